//! The `topology` CPU policy, like the kubelet's takeByTopology: keep a
//! request on one NUMA node when one can hold it (the tightest fit), and
//! within a node hand out whole idle physical cores before single SMT
//! threads, so that neighbours do not share a core's caches and pipelines.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use super::take_by_key;
use super::view::View;
use crate::topology::Topology;

/// Like the kubelet's takeByTopology: the node that fits all `want` most
/// tightly (else the fullest nodes whole, then the tightest for the rest);
/// within a node whole idle physical cores first (least loaded first), then
/// threads of partly used cores (least loaded first), then threads of
/// the remaining idle cores in order.
pub(super) fn take_topology(
    topo: &Topology,
    view: &View,
    cands: &[usize],
    want: usize,
) -> Vec<usize> {
    let cpus = topo.cpus();
    let mut free: BTreeMap<u32, usize> = BTreeMap::new();
    for &i in cands {
        *free.entry(cpus[i].node).or_default() += 1;
    }
    let mut is_cand = vec![false; cpus.len()];
    for &i in cands {
        is_cand[i] = true;
    }
    let mut chosen = Vec::with_capacity(want);
    let mut need = want;
    while need > 0 {
        let tight = free
            .iter()
            .filter(|&(_, &count)| count >= need)
            .min_by_key(|&(&node, &count)| (count - need, node));
        let fullest = free
            .iter()
            .max_by_key(|&(&node, &count)| (count, Reverse(node)));
        let Some((node, take)) = tight
            .map(|(&node, _)| (node, need))
            .or(fullest.map(|(&node, &count)| (node, count)))
        else {
            break; // unreachable: the caller checked that enough are free
        };
        free.remove(&node);
        take_in_node(topo, view, &is_cand, node, take, &mut chosen);
        need -= take;
    }
    chosen
}

fn take_in_node(
    topo: &Topology,
    view: &View,
    is_cand: &[bool],
    node: u32,
    mut need: usize,
    out: &mut Vec<usize>,
) {
    let cpus = topo.cpus();
    let groups = topo
        .core_groups()
        .iter()
        .filter(|g| g.first().is_some_and(|&i| cpus[i].node == node));
    let mut idle: Vec<(&Vec<usize>, f64)> = Vec::new();
    let mut partly: Vec<usize> = Vec::new();
    for group in groups {
        if group.iter().all(|&i| is_cand[i] && view.cpus[i].pins == 0) {
            idle.push((group, group.iter().map(|&i| view.cpus[i].eff).sum()));
        } else {
            partly.extend(group.iter().copied().filter(|&i| is_cand[i]));
        }
    }
    idle.sort_by(|a, b| a.1.total_cmp(&b.1)); // stable: ties keep core order
    let mut broken: Vec<usize> = Vec::new();
    for (group, _) in idle {
        if group.len() <= need {
            out.extend_from_slice(group);
            need -= group.len();
        } else {
            broken.extend_from_slice(group);
        }
    }
    let from_partly = need.min(partly.len());
    out.extend(take_by_key(&partly, from_partly, |i| {
        view.cpus[i].eff_key()
    }));
    out.extend(broken.into_iter().take(need - from_partly));
}
