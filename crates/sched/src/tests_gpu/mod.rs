//! Tests of the GPU side of `sched`: inventory parsing, GPU allocation
//! policies and fragmentation, trace generation, the offline simulator, and
//! property tests that the allocator never hands out memory twice.

mod inventory;
mod policy;
mod props;
mod sim_props;
mod simulate;
mod trace;

use crate::gpu::{Gpu, GpuInventory, InventorySource};
use crate::{GpuGrant, Ledger, Owner, Placement};

pub(crate) const GIB: u64 = 1 << 30;

/// An inventory of GPUs given as (memory GiB, NUMA node, NVLink peers).
pub(crate) fn inventory(gpus: &[(u64, Option<u32>, &[u32])]) -> GpuInventory {
    GpuInventory {
        source: InventorySource::SimulatedDefault,
        gpus: gpus
            .iter()
            .enumerate()
            .map(|(i, &(gib, numa_node, peers))| Gpu {
                index: i as u32,
                uuid: format!("T-{i}"),
                model: "T".into(),
                memory: gib * GIB,
                numa_node,
                nvlink_peers: peers.to_vec(),
            })
            .collect(),
    }
}

/// A placement of `id` holding these GPU grants and no cores.
pub(crate) fn holding(id: &str, gpus: Vec<GpuGrant>) -> Placement {
    Placement {
        id: id.into(),
        name: id.into(),
        owner: Owner {
            pid: 1,
            start_ticks: 1,
        },
        placed_at_ms: 0,
        cpu: crate::CpuGrant {
            cpus: vec![],
            pinned: false,
            exclusive: false,
            millis: None,
        },
        gpus,
    }
}

/// A ledger with these (id, grants), each accepted by `Ledger::insert`.
pub(crate) fn ledger_with(inv: &GpuInventory, held: &[(&str, Vec<GpuGrant>)]) -> Ledger {
    let mut ledger = Ledger::default();
    for (id, grants) in held {
        ledger
            .insert(holding(id, grants.clone()), &inv.memory_by_index())
            .unwrap();
    }
    ledger
}

pub(crate) fn share(gpu: u32, gib: u64) -> GpuGrant {
    GpuGrant {
        gpu,
        memory: gib * GIB,
        whole: false,
    }
}

pub(crate) fn whole(inv: &GpuInventory, gpu: u32) -> GpuGrant {
    GpuGrant {
        gpu,
        memory: inv.gpus[gpu as usize].memory,
        whole: true,
    }
}
