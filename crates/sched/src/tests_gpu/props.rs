//! Property tests: across random sequences of place/insert/release on
//! random inventories, under every policy, GPU memory is never handed out
//! twice or beyond capacity, a whole GPU is held by one container with all
//! its memory, a refusal happens only when the request truly does not fit,
//! and releasing everything leaves the ledger empty.

use proptest::prelude::*;

use super::{holding, GIB};
use crate::gpu::{Gpu, GpuInventory, InventorySource};
use crate::gpu_policy::{free_memory, place_gpus, GpuPolicy, GpuRequest};
use crate::{Ledger, SchedError};

#[derive(Debug, Clone)]
enum Op {
    Place { req: GpuRequest, policy: usize },
    Release(usize),
}

fn inventory_strategy() -> impl Strategy<Value = GpuInventory> {
    (1usize..9).prop_flat_map(|n| {
        (
            prop::collection::vec((prop::sample::select(vec![8u64, 16, 40, 80]), 0u32..2), n),
            prop::collection::vec((0..n as u32, 0..n as u32), 0..n * 2),
        )
            .prop_map(|(gpus, links)| {
                let mut gpus: Vec<Gpu> = gpus
                    .into_iter()
                    .enumerate()
                    .map(|(i, (gib, node))| Gpu {
                        index: i as u32,
                        uuid: format!("P-{i}"),
                        model: "P".into(),
                        memory: gib * GIB,
                        numa_node: Some(node),
                        nvlink_peers: vec![],
                    })
                    .collect();
                for (a, b) in links.into_iter().filter(|(a, b)| a != b) {
                    gpus[a as usize].nvlink_peers.push(b);
                    gpus[b as usize].nvlink_peers.push(a);
                }
                for g in &mut gpus {
                    g.nvlink_peers.sort_unstable();
                    g.nvlink_peers.dedup();
                }
                GpuInventory {
                    source: InventorySource::SimulatedDefault,
                    gpus,
                }
            })
    })
}

fn op_strategy() -> impl Strategy<Value = Op> {
    let memory = prop_oneof![
        Just(None),
        prop::sample::select(vec![1u64, 4, 8, 16, 20, 40, 80, 100]).prop_map(|g| Some(g * GIB)),
    ];
    prop_oneof![
        3 => (1u32..5, memory, 0usize..5)
            .prop_map(|(count, memory, policy)| Op::Place { req: GpuRequest { count, memory }, policy }),
        1 => (0usize..64).prop_map(Op::Release),
    ]
}

/// Checks the ledger against capacity and the meaning of `whole`.
fn check(inv: &GpuInventory, ledger: &Ledger) {
    let uses = ledger.gpu_use();
    let free = free_memory(inv, ledger);
    for g in &inv.gpus {
        let u = uses.get(&g.index).copied().unwrap_or_default();
        assert!(u.memory <= g.memory, "GPU {} overcommitted: {u:?}", g.index);
        if u.whole {
            assert_eq!(
                (u.holders, u.memory),
                (1, g.memory),
                "GPU {} whole but shared",
                g.index
            );
            assert_eq!(free[g.index as usize], 0);
        } else {
            assert_eq!(free[g.index as usize], g.memory - u.memory);
        }
    }
}

/// Independent count of GPUs that fit `req`.
fn fitting(inv: &GpuInventory, ledger: &Ledger, req: &GpuRequest) -> usize {
    let uses = ledger.gpu_use();
    inv.gpus
        .iter()
        .filter(|g| {
            let u = uses.get(&g.index).copied().unwrap_or_default();
            match req.memory {
                None => u.holders == 0,
                Some(m) => !u.whole && g.memory - u.memory >= m,
            }
        })
        .count()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn gpu_memory_is_never_handed_out_twice(
        inv in inventory_strategy(),
        ops in prop::collection::vec(op_strategy(), 1..60),
    ) {
        let capacity = inv.memory_by_index();
        let mut ledger = Ledger::default();
        let mut live: Vec<String> = Vec::new();
        for (n, op) in ops.into_iter().enumerate() {
            match op {
                Op::Place { req, policy } => {
                    let policy = GpuPolicy::ALL[policy];
                    match place_gpus(&inv, &ledger, &req, policy) {
                        Ok(choice) => {
                            prop_assert_eq!(choice.grants.len(), req.count as usize);
                            for g in &choice.grants {
                                prop_assert_eq!(g.whole, req.memory.is_none());
                                let want = req.memory.unwrap_or(capacity[g.gpu as usize]);
                                prop_assert_eq!(g.memory, want);
                            }
                            let id = format!("c{n}");
                            ledger.insert(holding(&id, choice.grants), &capacity).unwrap();
                            live.push(id);
                        }
                        Err(SchedError::GpusUnavailable { .. }) => {
                            prop_assert!(fitting(&inv, &ledger, &req) < req.count as usize);
                        }
                        Err(other) => prop_assert!(false, "unexpected {other:?}"),
                    }
                }
                Op::Release(k) if !live.is_empty() => {
                    let id = live.remove(k % live.len());
                    prop_assert!(ledger.release(&id).is_some());
                }
                Op::Release(_) => {}
            }
            check(&inv, &ledger);
        }
        for id in live.drain(..) {
            prop_assert!(ledger.release(&id).is_some());
        }
        prop_assert!(ledger.placements.is_empty());
        prop_assert!(ledger.gpu_use().is_empty());
        prop_assert_eq!(free_memory(&inv, &ledger), capacity);
    }

    #[test]
    fn every_policy_agrees_on_whether_a_request_fits(
        inv in inventory_strategy(),
        held in prop::collection::vec(op_strategy(), 0..20),
        req in (1u32..5, prop::option::of(1u64..90)).prop_map(|(count, g)| GpuRequest { count, memory: g.map(|g| g * GIB) }),
    ) {
        let capacity = inv.memory_by_index();
        let mut ledger = Ledger::default();
        for (n, op) in held.into_iter().enumerate() {
            if let Op::Place { req, .. } = op {
                if let Ok(c) = place_gpus(&inv, &ledger, &req, GpuPolicy::FirstFit) {
                    ledger.insert(holding(&format!("h{n}"), c.grants), &capacity).unwrap();
                }
            }
        }
        let fits = fitting(&inv, &ledger, &req) >= req.count as usize;
        for policy in GpuPolicy::ALL {
            let result = place_gpus(&inv, &ledger, &req, policy);
            prop_assert_eq!(result.is_ok(), fits, "{}", policy);
            if let Ok(c) = result {
                let mut after = ledger.clone();
                prop_assert!(after.insert(holding("new", c.grants), &capacity).is_ok());
            }
        }
    }
}
