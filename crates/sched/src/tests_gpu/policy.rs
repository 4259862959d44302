//! GPU allocation: which GPU each policy picks and why, refusals that say
//! what is free, and fragmentation. Every choice is inserted into the
//! ledger to show the ledger accepts it.

use super::{holding, inventory, ledger_with, share, whole, GIB};
use crate::gpu::GpuInventory;
use crate::gpu_policy::{fragmentation, free_memory, place_gpus, GpuPolicy, GpuRequest};
use crate::{Ledger, SchedError};

fn mem(count: u32, gib: u64) -> GpuRequest {
    GpuRequest {
        count,
        memory: Some(gib * GIB),
    }
}

fn whole_gpus(count: u32) -> GpuRequest {
    GpuRequest {
        count,
        memory: None,
    }
}

/// The GPUs chosen, after checking the ledger accepts the choice.
fn pick(inv: &GpuInventory, ledger: &Ledger, req: GpuRequest, policy: GpuPolicy) -> Vec<u32> {
    let choice = place_gpus(inv, ledger, &req, policy).unwrap();
    let mut after = ledger.clone();
    after
        .insert(
            holding("new", choice.grants.clone()),
            &inv.memory_by_index(),
        )
        .unwrap();
    assert_eq!(choice.grants.len(), req.count as usize);
    for (g, (before, left)) in choice
        .grants
        .iter()
        .zip(choice.free_before.iter().zip(&choice.free_after))
    {
        assert_eq!(g.whole, req.memory.is_none());
        assert_eq!(*left, if g.whole { 0 } else { before - g.memory });
    }
    choice.grants.iter().map(|g| g.gpu).collect()
}

/// GPUs 0–3 of 40 GiB and GPU 4 of 16 GiB; free 30, 20, 40, held whole, 16.
fn mixed() -> (GpuInventory, Ledger) {
    let inv = inventory(&[
        (40, None, &[]),
        (40, None, &[]),
        (40, None, &[]),
        (40, None, &[]),
        (16, None, &[]),
    ]);
    let ledger = ledger_with(
        &inv,
        &[
            ("a", vec![share(0, 10)]),
            ("b", vec![share(1, 20)]),
            ("c", vec![whole(&inv, 3)]),
        ],
    );
    (inv, ledger)
}

#[test]
fn names_parse_and_print() {
    for p in GpuPolicy::ALL {
        assert_eq!(p.name().parse::<GpuPolicy>().unwrap(), p);
        assert_eq!(p.to_string(), p.name());
    }
    assert_eq!(GpuPolicy::default(), GpuPolicy::BestFit);
    match "tightest".parse::<GpuPolicy>() {
        Err(SchedError::UnknownPolicy { kind, name, known }) => {
            assert_eq!((kind, name.as_str()), ("gpu", "tightest"));
            assert!(known.contains("best-fit"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn requests_describe_themselves() {
    assert_eq!(whole_gpus(1).describe(), "1 GPU");
    assert_eq!(whole_gpus(2).describe(), "2 GPUs");
    assert_eq!(mem(1, 20).describe(), "1 GPU × 20 GiB");
    assert_eq!(mem(3, 5).describe(), "3 GPUs × 5 GiB");
}

#[test]
fn free_memory_is_zero_for_whole_gpus() {
    let (inv, ledger) = mixed();
    assert_eq!(
        free_memory(&inv, &ledger),
        vec![30 * GIB, 20 * GIB, 40 * GIB, 0, 16 * GIB]
    );
}

#[test]
fn each_policy_picks_its_gpu_for_a_share() {
    let (inv, ledger) = mixed();
    let req = mem(1, 8);
    // Tightest fit: GPU 4 has 16 GiB free, the least that holds 8.
    assert_eq!(pick(&inv, &ledger, req, GpuPolicy::BestFit), vec![4]);
    // Lowest index that fits.
    assert_eq!(pick(&inv, &ledger, req, GpuPolicy::FirstFit), vec![0]);
    // Most free memory.
    assert_eq!(pick(&inv, &ledger, req, GpuPolicy::Spread), vec![2]);
    // GPUs already in use first (0 and 1), the tighter of them.
    assert_eq!(pick(&inv, &ledger, req, GpuPolicy::Pack), vec![1]);
    // One GPU: topology is best-fit.
    assert_eq!(pick(&inv, &ledger, req, GpuPolicy::Topology), vec![4]);
    // Two GPUs: the two tightest, in ascending order.
    assert_eq!(
        pick(&inv, &ledger, mem(2, 8), GpuPolicy::BestFit),
        vec![1, 4]
    );
    assert_eq!(
        pick(&inv, &ledger, mem(2, 8), GpuPolicy::Spread),
        vec![0, 2]
    );
    // 25 GiB fits only GPUs 0 and 2.
    assert_eq!(pick(&inv, &ledger, mem(1, 25), GpuPolicy::BestFit), vec![0]);
}

#[test]
fn whole_gpus_need_unheld_gpus_and_take_all_their_memory() {
    let (inv, ledger) = mixed();
    let req = whole_gpus(1);
    assert_eq!(pick(&inv, &ledger, req, GpuPolicy::BestFit), vec![4]);
    assert_eq!(pick(&inv, &ledger, req, GpuPolicy::FirstFit), vec![2]);
    assert_eq!(pick(&inv, &ledger, req, GpuPolicy::Spread), vec![2]);
    assert_eq!(pick(&inv, &ledger, req, GpuPolicy::Pack), vec![4]);
    let choice = place_gpus(&inv, &ledger, &whole_gpus(2), GpuPolicy::BestFit).unwrap();
    assert_eq!(choice.free_before, vec![40 * GIB, 16 * GIB]);
    assert_eq!(choice.free_after, vec![0, 0]);
    assert_eq!(choice.grants[0].memory, 40 * GIB);
    assert!(place_gpus(&inv, &ledger, &whole_gpus(3), GpuPolicy::BestFit).is_err());
}

/// 8 × 40 GiB: NVLink 0–1, 2–3 and 4–5–6 (all pairs); 0–3 on node 0.
fn nvlink_machine() -> GpuInventory {
    inventory(&[
        (40, Some(0), &[1]),
        (40, Some(0), &[0]),
        (40, Some(0), &[3]),
        (40, Some(0), &[2]),
        (40, Some(1), &[5, 6]),
        (40, Some(1), &[4, 6]),
        (40, Some(1), &[4, 5]),
        (40, Some(1), &[]),
    ])
}

#[test]
fn topology_prefers_an_nvlink_clique() {
    let inv = nvlink_machine();
    let ledger = ledger_with(&inv, &[("a", vec![share(0, 1)])]);
    // GPU 0 is shared, so its partner 1 is alone: 2–3 is the first pair.
    assert_eq!(
        pick(&inv, &ledger, whole_gpus(2), GpuPolicy::BestFit),
        vec![1, 2]
    );
    assert_eq!(
        pick(&inv, &ledger, whole_gpus(2), GpuPolicy::Topology),
        vec![2, 3]
    );
    // Three: only 4–5–6 is fully connected.
    assert_eq!(
        pick(&inv, &ledger, whole_gpus(3), GpuPolicy::BestFit),
        vec![1, 2, 3]
    );
    assert_eq!(
        pick(&inv, &ledger, whole_gpus(3), GpuPolicy::Topology),
        vec![4, 5, 6]
    );
}

#[test]
fn topology_takes_the_tightest_clique_for_shares() {
    let inv = nvlink_machine();
    let ledger = ledger_with(&inv, &[("a", vec![share(2, 25), share(3, 25)])]);
    // {2,3} has 30 GiB free in all, every other clique 80.
    assert_eq!(
        pick(&inv, &ledger, mem(2, 10), GpuPolicy::Topology),
        vec![2, 3]
    );
    // 20 GiB does not fit 2 or 3: the first 40+40 clique.
    assert_eq!(
        pick(&inv, &ledger, mem(2, 20), GpuPolicy::Topology),
        vec![0, 1]
    );
}

#[test]
fn topology_falls_back_to_one_numa_node_then_best_fit() {
    let inv = nvlink_machine();
    let held = [("a", vec![share(0, 1), share(1, 1), share(4, 1)])];
    let ledger = ledger_with(&inv, &held);
    // Unheld: 2, 3 (node 0), 5, 6, 7 (node 1); no 3-clique; node 1 has 3.
    assert_eq!(
        pick(&inv, &ledger, whole_gpus(3), GpuPolicy::BestFit),
        vec![2, 3, 5]
    );
    assert_eq!(
        pick(&inv, &ledger, whole_gpus(3), GpuPolicy::Topology),
        vec![5, 6, 7]
    );
    // Four fit no clique and no node: best-fit.
    assert_eq!(
        pick(&inv, &ledger, whole_gpus(4), GpuPolicy::Topology),
        vec![2, 3, 5, 6]
    );
}

#[test]
fn refusals_name_what_is_free() {
    let inv = GpuInventory::simulated_default();
    let held = [
        ("a", vec![share(0, 28)]),
        ("b", vec![whole(&inv, 1), whole(&inv, 2)]),
    ];
    let ledger = ledger_with(&inv, &held);
    let err = place_gpus(&inv, &ledger, &whole_gpus(2), GpuPolicy::BestFit).unwrap_err();
    match &err {
        SchedError::GpusUnavailable { request, free } => {
            assert_eq!(request, "2 GPUs");
            assert!(
                free.starts_with("free: GPU 0 12.0 GiB, GPU 3 40.0 GiB (GPUs 1, 2 held whole)"),
                "{free}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(err
        .to_string()
        .starts_with("cannot place 2 GPUs: free: GPU 0 12.0 GiB"));
    let err = place_gpus(&inv, &ledger, &mem(2, 20), GpuPolicy::Spread).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot place 2 GPUs × 20 GiB: free:"),
        "{err}"
    );
    let empty = GpuInventory {
        gpus: vec![],
        ..inv.clone()
    };
    let err = place_gpus(
        &empty,
        &Ledger::default(),
        &whole_gpus(1),
        GpuPolicy::BestFit,
    );
    assert!(err.unwrap_err().to_string().contains("no GPUs"));
}

#[test]
fn zero_gpus_is_an_empty_choice() {
    let inv = GpuInventory::simulated_default();
    let choice = place_gpus(
        &inv,
        &Ledger::default(),
        &whole_gpus(0),
        GpuPolicy::Topology,
    )
    .unwrap();
    assert!(choice.grants.is_empty());
}

#[test]
fn fragmentation_counts_memory_no_pending_request_can_use() {
    let inv = GpuInventory::simulated_default();
    // Free: GPU 0 5 GiB, GPU 1 30 GiB, GPU 2 held whole, GPU 3 40 GiB.
    let held = [
        ("a", vec![share(0, 35), share(1, 10)]),
        ("b", vec![whole(&inv, 2)]),
    ];
    let ledger = ledger_with(&inv, &held);
    let frag = |pending: &[GpuRequest]| fragmentation(&inv, &ledger, pending) / GIB;
    assert_eq!(frag(&[]), 0);
    assert_eq!(frag(&[mem(1, 10)]), 5);
    assert_eq!(frag(&[mem(1, 20)]), 5);
    assert_eq!(frag(&[mem(1, 31)]), 35);
    assert_eq!(frag(&[mem(1, 50)]), 75);
    // A whole GPU fits only GPU 3: the shared ones' free memory is stranded.
    assert_eq!(frag(&[whole_gpus(1)]), 35);
    assert_eq!(frag(&[whole_gpus(1), mem(1, 4)]), 0);
    assert_eq!(
        fragmentation(&inv, &Ledger::default(), &[mem(1, 50)]),
        160 * GIB
    );
}
