//! Property tests over random sequences of placements and releases on
//! several machine shapes: no exclusive core is ever handed out twice,
//! grants name only topology CPUs, releasing everything empties the
//! ledger, `place_cpus` succeeds exactly when the request fits the free
//! CPUs, the per-call view agrees with the ledger's own counts, and the
//! topology policy stays on one node whenever one node can hold the request.

use std::collections::BTreeSet;

use proptest::prelude::*;

use super::placement;
use crate::cpu_policy::{place_cpus, shared_pool, CpuLoad, CpuPolicy, CpuRequest, View};
use crate::topology::{Cpu, Topology};
use crate::{Ledger, SchedError};

#[derive(Debug, Clone)]
enum Op {
    Place {
        millis: u64,
        exclusive: bool,
        policy: usize,
    },
    Release(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u64..6, any::<bool>(), any::<bool>(), 0usize..4).prop_map(|(n, frac, exclusive, policy)| {
            let millis = if frac { n * 300 } else { n * 1000 };
            Op::Place { millis, exclusive, policy }
        }),
        1 => any::<usize>().prop_map(Op::Release),
    ]
}

fn shape(k: usize) -> Topology {
    match k {
        0 => Topology::synthetic(1, 2, 1),
        1 => Topology::synthetic(1, 8, 2),
        2 => Topology::synthetic(2, 4, 2),
        3 => Topology::synthetic(4, 4, 1),
        // Offline holes (an id table) and sparse ids (binary search).
        4 => without(Topology::synthetic(2, 4, 2), &[3, 9, 10]),
        _ => {
            let cpu = |id, core_id, node| Cpu {
                id,
                core_id,
                package: node,
                node,
            };
            Topology::from_cpus(vec![
                cpu(0, 0, 0),
                cpu(5, 1, 0),
                cpu(900, 0, 1),
                cpu(901, 0, 1),
                cpu(5000, 2, 1),
            ])
        }
    }
}

fn without(topo: Topology, gone: &[u32]) -> Topology {
    Topology::from_cpus(
        topo.cpus()
            .iter()
            .copied()
            .filter(|c| !gone.contains(&c.id))
            .collect(),
    )
}

fn load() -> impl Strategy<Value = CpuLoad> {
    (
        proptest::collection::btree_map(
            prop_oneof![0u32..40, Just(900u32), Just(5000u32)],
            0.0f64..100.0,
            0..40,
        ),
        proptest::option::of(0u64..40),
    )
        .prop_map(|(util, sampled_at_ms)| CpuLoad {
            util,
            sampled_at_ms,
        })
}

/// Whether `req` fits, worked out from the ledger directly.
fn fits(topo: &Topology, ledger: &Ledger, req: &CpuRequest) -> bool {
    let exclusive = ledger.exclusive_cpus();
    let pinned: BTreeSet<u32> = ledger
        .placements
        .values()
        .filter(|p| p.cpu.pinned)
        .flat_map(|p| p.cpu.cpus.iter().copied())
        .collect();
    let free = topo
        .ids()
        .into_iter()
        .filter(|c| !(exclusive.contains(c) || (req.exclusive && pinned.contains(c))))
        .count() as u64;
    let pool = topo
        .ids()
        .into_iter()
        .filter(|c| !exclusive.contains(c))
        .count() as u64;
    let pool_users = ledger.placements.values().any(|p| !p.cpu.pinned);
    if req.millis == 0 || req.millis % 1000 != 0 {
        !req.exclusive && free > 0
    } else if req.exclusive && pool_users {
        req.millis / 1000 <= free && req.millis / 1000 < pool
    } else {
        req.millis / 1000 <= free
    }
}

fn check_invariants(topo: &Topology, ledger: &Ledger) -> Result<(), TestCaseError> {
    let known: BTreeSet<u32> = topo.ids().into_iter().collect();
    for (id, p) in &ledger.placements {
        prop_assert!(
            p.cpu.cpus.iter().all(|c| known.contains(c)),
            "{id} names unknown CPUs"
        );
        prop_assert!(
            p.cpu.cpus.windows(2).all(|w| w[0] < w[1]),
            "{id}: not sorted"
        );
        prop_assert!(!p.cpu.cpus.is_empty());
        if !p.cpu.exclusive {
            continue;
        }
        for (other_id, other) in &ledger.placements {
            if other_id != id {
                prop_assert!(
                    p.cpu.cpus.iter().all(|c| !other.cpu.cpus.contains(c)),
                    "{id} shares with {other_id}"
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_sequences_keep_the_ledger_sound(
        k in 0usize..6,
        load in load(),
        ops in proptest::collection::vec(op(), 1..40),
    ) {
        let topo = shape(k);
        let mut ledger = Ledger::default();
        for (step, op) in ops.into_iter().enumerate() {
            match op {
                Op::Place { millis, exclusive, policy } => {
                    let req = CpuRequest { millis, exclusive };
                    let fit = fits(&topo, &ledger, &req);
                    match place_cpus(&topo, &load, &ledger, &req, CpuPolicy::ALL[policy]) {
                        Ok(choice) => {
                            prop_assert!(fit, "placed {req:?} that does not fit");
                            let whole = millis != 0 && millis % 1000 == 0;
                            if whole {
                                prop_assert_eq!(choice.grant.cpus.len() as u64, millis / 1000);
                            }
                            prop_assert_eq!(choice.grant.pinned, whole);
                            let p = placement(&format!("p{step}"), choice.grant, step as u64);
                            prop_assert!(ledger.insert(p, &[]).is_ok(), "ledger refused a choice");
                            ledger.resize_pool(&shared_pool(&topo, &ledger));
                        }
                        Err(SchedError::CpusUnavailable { .. }) => prop_assert!(!fit, "refused {req:?} that fits"),
                        Err(e) => prop_assert!(false, "unexpected error {e}"),
                    }
                }
                Op::Release(i) if !ledger.placements.is_empty() => {
                    let id = ledger.placements.keys().nth(i % ledger.placements.len()).cloned().unwrap();
                    ledger.release(&id);
                    ledger.resize_pool(&shared_pool(&topo, &ledger));
                }
                Op::Release(_) => {}
            }
            check_invariants(&topo, &ledger)?;
            let view = View::new(&topo, &ledger, &CpuLoad::default());
            let pins = ledger.pins_per_cpu(None);
            let excl = ledger.exclusive_cpus();
            for (i, cpu) in topo.cpus().iter().enumerate() {
                prop_assert_eq!(view.cpus[i].pins as usize, pins.get(&cpu.id).copied().unwrap_or(0));
                prop_assert_eq!(view.cpus[i].exclusive, excl.contains(&cpu.id));
                prop_assert_eq!(view.cpus[i].eff, 100.0 * view.cpus[i].pins as f64);
            }
        }
        let ids: Vec<String> = ledger.placements.keys().cloned().collect();
        for id in ids {
            prop_assert!(ledger.release(&id).is_some());
        }
        prop_assert_eq!(ledger, Ledger::default());
    }

    #[test]
    fn topology_stays_on_one_node_when_one_fits(
        held in proptest::collection::btree_set(0u32..16, 0..12),
        n in 1u64..6,
    ) {
        let topo = shape(2);
        let mut ledger = Ledger::default();
        let grant = crate::CpuGrant { cpus: held.iter().copied().collect(), pinned: true, exclusive: true, millis: None };
        if !held.is_empty() {
            ledger.insert(placement("held", grant, 0), &[]).unwrap();
        }
        let free_on = |node| topo.cpus().iter().filter(|c| c.node == node && !held.contains(&c.id)).count() as u64;
        let req = CpuRequest { millis: n * 1000, exclusive: false };
        let result = place_cpus(&topo, &CpuLoad::default(), &ledger, &req, CpuPolicy::Topology);
        if free_on(0) >= n || free_on(1) >= n {
            let cpus = result.unwrap().grant.cpus;
            let nodes: BTreeSet<u32> = cpus.iter().map(|&c| topo.get(c).unwrap().node).collect();
            prop_assert_eq!(nodes.len(), 1, "{:?}", cpus);
        }
    }
}
