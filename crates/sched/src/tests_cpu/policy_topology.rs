//! The `topology` CPU policy on a 2-node machine with 2 threads per core:
//! whole idle cores first, the idle sibling of a partly used core before
//! breaking a whole one, the tightest-fitting node, and spilling over nodes.

use super::{ledger_of, load, pick};
use crate::cpu_policy::{CpuLoad, CpuPolicy};
use crate::topology::Topology;
use crate::Ledger;

#[test]
fn topology_takes_whole_cores_on_one_node() {
    // Node 0: cores 0-3 (threads 0-3 and 8-11); node 1: cores 4-7 (4-7, 12-15).
    let topo = Topology::synthetic(2, 4, 2);
    let idle = CpuLoad::default();
    let none = Ledger::default();
    assert_eq!(pick(&topo, &none, &idle, 1, CpuPolicy::Topology), vec![0]);
    assert_eq!(
        pick(&topo, &none, &idle, 2, CpuPolicy::Topology),
        vec![0, 8]
    );
    assert_eq!(
        pick(&topo, &none, &idle, 3, CpuPolicy::Topology),
        vec![0, 1, 8]
    );
    assert_eq!(
        pick(&topo, &none, &idle, 4, CpuPolicy::Topology),
        vec![0, 1, 8, 9]
    );
    // Busy whole cores go last.
    let busy = load(&[(0, 50.0), (8, 50.0)], None);
    assert_eq!(
        pick(&topo, &none, &busy, 2, CpuPolicy::Topology),
        vec![1, 9]
    );
}

#[test]
fn topology_uses_the_idle_thread_of_a_partly_used_core_first() {
    let topo = Topology::synthetic(2, 4, 2);
    let ledger = ledger_of(&[("a", &[0], false)]);
    assert_eq!(
        pick(&topo, &ledger, &CpuLoad::default(), 1, CpuPolicy::Topology),
        vec![8]
    );
    assert_eq!(
        pick(&topo, &ledger, &CpuLoad::default(), 3, CpuPolicy::Topology),
        vec![1, 8, 9]
    );
}

#[test]
fn topology_picks_the_tightest_node_and_spills_when_none_fits() {
    let topo = Topology::synthetic(2, 4, 2);
    // Node 0 keeps only 2 and 10 free: the tightest fit for two CPUs.
    let ledger = ledger_of(&[("big", &[0, 1, 3, 8, 9, 11], true)]);
    let idle = CpuLoad::default();
    assert_eq!(
        pick(&topo, &ledger, &idle, 2, CpuPolicy::Topology),
        vec![2, 10]
    );
    assert_eq!(
        pick(&topo, &ledger, &idle, 3, CpuPolicy::Topology),
        vec![4, 5, 12]
    );
    // Ten CPUs: all 8 of node 1 (the fullest), then the 2 of node 0.
    assert_eq!(
        pick(&topo, &ledger, &idle, 10, CpuPolicy::Topology),
        vec![2, 4, 5, 6, 7, 10, 12, 13, 14, 15]
    );
    let none = Ledger::default();
    let ten = pick(&topo, &none, &idle, 10, CpuPolicy::Topology);
    assert_eq!(ten, vec![0, 1, 2, 3, 4, 8, 9, 10, 11, 12]);
}
