//! The topology policy for requests of several GPUs: prefer a set in which
//! every pair is NVLink-connected (a clique of `nvlink_peers`), else a set
//! on one NUMA node; among several such sets take the tightest (least total
//! free memory, best-fit's rule), ties to the set found first in best-fit
//! order. The clique search walks only NVLink neighbours and stops after a
//! fixed budget of steps, so its cost stays small on large machines.

use super::Candidate;
use crate::gpu::GpuInventory;

/// Most search steps spent looking for an NVLink clique.
const BUDGET: usize = 4096;

/// A set of `count` candidates (`fitting` is in best-fit order), or `None`
/// when neither an NVLink clique nor a single NUMA node can hold it.
pub(super) fn choose(
    inv: &GpuInventory,
    fitting: &[Candidate],
    count: usize,
) -> Option<Vec<Candidate>> {
    nvlink_clique(inv, fitting, count).or_else(|| one_numa_node(inv, fitting, count))
}

struct Search<'a> {
    inv: &'a GpuInventory,
    fitting: &'a [Candidate],
    /// Rank in `fitting` of each GPU index, if it fits.
    rank: Vec<Option<usize>>,
    count: usize,
    steps: usize,
    best: Option<(u64, Vec<usize>)>,
}

fn nvlink_clique(
    inv: &GpuInventory,
    fitting: &[Candidate],
    count: usize,
) -> Option<Vec<Candidate>> {
    let mut rank = vec![None; inv.gpus.len()];
    for (r, c) in fitting.iter().enumerate() {
        if let Some(slot) = rank.get_mut(c.index as usize) {
            *slot = Some(r);
        }
    }
    let mut search = Search {
        inv,
        fitting,
        rank,
        count,
        steps: 0,
        best: None,
    };
    let mut chosen = Vec::with_capacity(count);
    for (first, candidate) in fitting.iter().enumerate() {
        if search.steps >= BUDGET || search.pruned(0, 0, first) {
            break;
        }
        chosen.push(first);
        search.extend(&mut chosen, candidate.free);
        chosen.pop();
    }
    let (_, ranks) = search.best?;
    Some(ranks.into_iter().map(|r| fitting[r]).collect())
}

impl Search<'_> {
    /// True when no set that adds candidate `next` (and later ones) to
    /// `have` chosen with total free `sum` can beat the best so far.
    fn pruned(&self, have: usize, sum: u64, next: usize) -> bool {
        let Some((best, _)) = &self.best else {
            return false;
        };
        let needed = (self.count - have) as u64;
        let bound = self.fitting[next].free.saturating_mul(needed);
        sum.saturating_add(bound) >= *best
    }

    fn peers(&self, rank: usize) -> &[u32] {
        let index = self.fitting[rank].index as usize;
        self.inv
            .gpus
            .get(index)
            .map_or(&[], |g| g.nvlink_peers.as_slice())
    }

    fn linked(&self, a: usize, b: usize) -> bool {
        self.peers(a).binary_search(&self.fitting[b].index).is_ok()
    }

    fn extend(&mut self, chosen: &mut Vec<usize>, sum: u64) {
        self.steps += 1;
        if chosen.len() == self.count {
            if self.best.as_ref().is_none_or(|(best, _)| sum < *best) {
                self.best = Some((sum, chosen.clone()));
            }
            return;
        }
        let (Some(&first), Some(&last)) = (chosen.first(), chosen.last()) else {
            return;
        };
        // Later candidates (by rank) linked to the first one, in rank order.
        let mut next: Vec<usize> = self
            .peers(first)
            .iter()
            .filter_map(|&p| self.rank.get(p as usize).copied().flatten())
            .filter(|&r| r > last)
            .collect();
        next.sort_unstable();
        for r in next {
            if self.steps >= BUDGET || self.pruned(chosen.len(), sum, r) {
                return;
            }
            if chosen.iter().all(|&c| self.linked(c, r)) {
                chosen.push(r);
                self.extend(chosen, sum.saturating_add(self.fitting[r].free));
                chosen.pop();
            }
        }
    }
}

/// The tightest `count` candidates that share one NUMA node.
fn one_numa_node(
    inv: &GpuInventory,
    fitting: &[Candidate],
    count: usize,
) -> Option<Vec<Candidate>> {
    let mut nodes: Vec<u32> = inv.gpus.iter().filter_map(|g| g.numa_node).collect();
    nodes.sort_unstable();
    nodes.dedup();
    let mut best: Option<(u64, Vec<Candidate>)> = None;
    for node in nodes {
        let set: Vec<Candidate> = fitting
            .iter()
            .filter(|c| {
                inv.gpus
                    .get(c.index as usize)
                    .is_some_and(|g| g.numa_node == Some(node))
            })
            .take(count)
            .copied()
            .collect();
        if set.len() < count {
            continue;
        }
        let total = set.iter().fold(0u64, |s, c| s.saturating_add(c.free));
        if best.as_ref().is_none_or(|(b, _)| total < *b) {
            best = Some((total, set));
        }
    }
    best.map(|(_, set)| set)
}
