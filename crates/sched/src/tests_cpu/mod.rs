//! Tests of the CPU side of the crate: sysfs topology reading
//! ([`topology`](self::topology)), each CPU policy on synthetic machines
//! ([`policy`](self::policy), [`policy_topology`](self::policy_topology)), the ledger's checks ([`ledger`](self::ledger))
//! and property tests over random request sequences ([`props`](self::props)).
//! Shared helpers for building placements live here; sysfs trees are built
//! by [`fixtures`](self::fixtures).

mod fixtures;
mod ledger;
mod policy;
mod policy_topology;
mod props;
mod topology;

use std::collections::BTreeMap;

use crate::cpu_policy::{place_cpus, CpuLoad, CpuPolicy, CpuRequest};
use crate::ledger::{CpuGrant, Ledger, Owner, Placement};
use crate::topology::Topology;

/// A placement named `name` (also its id) holding `grant`, made at `at_ms`.
pub(super) fn placement(name: &str, grant: CpuGrant, at_ms: u64) -> Placement {
    Placement {
        id: name.to_string(),
        name: name.to_string(),
        owner: Owner {
            pid: 1,
            start_ticks: 0,
        },
        placed_at_ms: at_ms,
        cpu: grant,
        gpus: vec![],
    }
}

/// A pinned grant of `cpus`.
pub(super) fn pinned(cpus: &[u32], exclusive: bool) -> CpuGrant {
    CpuGrant {
        cpus: cpus.to_vec(),
        pinned: true,
        exclusive,
        millis: Some(cpus.len() as u64 * 1000),
    }
}

/// A ledger holding `(name, cpus, exclusive)` pins, all made at time 0.
pub(super) fn ledger_of(pins: &[(&str, &[u32], bool)]) -> Ledger {
    let mut ledger = Ledger::default();
    for &(name, cpus, exclusive) in pins {
        ledger
            .insert(placement(name, pinned(cpus, exclusive), 0), &[])
            .unwrap();
    }
    ledger
}

pub(super) fn req(millis: u64, exclusive: bool) -> CpuRequest {
    CpuRequest { millis, exclusive }
}

pub(super) fn load(util: &[(u32, f64)], at: Option<u64>) -> CpuLoad {
    CpuLoad {
        util: util.iter().copied().collect::<BTreeMap<_, _>>(),
        sampled_at_ms: at,
    }
}

pub(super) fn pick(
    topo: &Topology,
    ledger: &Ledger,
    load: &CpuLoad,
    cores: u64,
    policy: CpuPolicy,
) -> Vec<u32> {
    place_cpus(topo, load, ledger, &req(cores * 1000, false), policy)
        .unwrap()
        .grant
        .cpus
}
