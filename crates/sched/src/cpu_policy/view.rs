//! The per-call view of the ledger and the load that every CPU policy
//! decides on: for each topology CPU (by position in `Topology::cpus`)
//! whether it is held exclusively or used at all, how many pinned
//! placements share it, and its effective load (utilisation plus 100 per
//! pin made since the sample). Built in one pass over the ledger into
//! vectors, so a decision stays in microseconds at 1000 CPUs.

use super::{CpuChoice, CpuLoad};
use crate::ledger::{CpuGrant, Ledger};
use crate::topology::Topology;

/// One topology CPU as the ledger and the load describe it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct CpuState {
    /// Held exclusively by some placement.
    pub(crate) exclusive: bool,
    /// In some live pinned placement (the shared pool gives way to an
    /// exclusive request, so pool placements do not count).
    pub(crate) used: bool,
    /// Live pinned non-exclusive placements on the CPU.
    pub(crate) pins: u32,
    /// Utilisation (NaN or negative counts as 0) plus 100 per pin made at
    /// or after the load sample: never negative, never NaN.
    pub(crate) eff: f64,
}

impl CpuState {
    /// `eff` as an integer key with the same order (it is never negative).
    pub(crate) fn eff_key(&self) -> u64 {
        self.eff.to_bits()
    }
}

/// Every topology CPU's state, indexed by position in [`Topology::cpus`].
pub(crate) struct View {
    pub(crate) cpus: Vec<CpuState>,
    /// Some live placement runs on the shared pool, which must keep a core.
    pub(crate) pool_users: bool,
}

impl View {
    pub(crate) fn new(topo: &Topology, ledger: &Ledger, load: &CpuLoad) -> View {
        let cpus = topo.cpus();
        let n = cpus.len();
        let index = Index::new(topo);
        let pos = |id: u32| index.position(topo, id);
        let mut state = vec![CpuState::default(); n];
        let since = load.sampled_at_ms;
        for p in ledger.placements.values() {
            let exclusive = p.cpu.exclusive;
            let pin = p.cpu.pinned && !exclusive;
            let pins = u32::from(pin);
            let recent = if pin && since.is_none_or(|s| p.placed_at_ms >= s) {
                100.0
            } else {
                0.0
            };
            for i in p.cpu.cpus.iter().filter_map(|&id| pos(id)) {
                let cpu = &mut state[i];
                cpu.used |= p.cpu.pinned;
                cpu.exclusive |= exclusive;
                cpu.pins += pins;
                cpu.eff += recent;
            }
        }
        for (&id, &util) in &load.util {
            if let Some(i) = pos(id) {
                // `max` drops NaN and negatives alike.
                state[i].eff += util.max(0.0);
            }
        }
        View {
            cpus: state,
            pool_users: ledger.has_pool_users(),
        }
    }

    /// Positions a request may take, ascending: not held exclusively, and
    /// for an exclusive request not pinned by anyone.
    pub(crate) fn candidates(&self, exclusive: bool) -> Vec<usize> {
        (0..self.cpus.len())
            .filter(|&i| {
                let cpu = &self.cpus[i];
                !(cpu.exclusive || (exclusive && cpu.used))
            })
            .collect()
    }

    /// The grant of `chosen` and the evidence: `seen`'s effective loads.
    pub(super) fn choice(
        &self,
        topo: &Topology,
        mut chosen: Vec<usize>,
        seen: &[usize],
        pinned: bool,
        exclusive: bool,
        millis: Option<u64>,
    ) -> CpuChoice {
        chosen.sort_unstable();
        let cpus = topo.cpus();
        CpuChoice {
            grant: CpuGrant {
                cpus: chosen.iter().map(|&i| cpus[i].id).collect(),
                pinned,
                exclusive,
                millis,
            },
            seen: seen
                .iter()
                .map(|&i| (cpus[i].id, self.cpus[i].eff))
                .collect(),
        }
    }
}

/// CPU id → position in [`Topology::cpus`], fast for the usual shapes.
enum Index {
    /// Ids are exactly 0..n: the id is the position.
    Identity(usize),
    /// Ids are dense enough for a table (u32::MAX: not in the topology).
    Table(Vec<u32>),
    /// Sparse ids: binary search.
    Search,
}

impl Index {
    fn new(topo: &Topology) -> Index {
        let cpus = topo.cpus();
        let n = cpus.len();
        let max_id = cpus.last().map_or(0, |c| c.id as usize);
        if max_id + 1 == n {
            return Index::Identity(n); // sorted, distinct ids 0..=n-1
        }
        if max_id > n.saturating_mul(4).saturating_add(64) {
            return Index::Search;
        }
        let mut table = vec![u32::MAX; max_id + 1];
        for (i, c) in cpus.iter().enumerate() {
            table[c.id as usize] = i as u32;
        }
        Index::Table(table)
    }

    #[inline]
    fn position(&self, topo: &Topology, id: u32) -> Option<usize> {
        match self {
            Index::Identity(n) => ((id as usize) < *n).then_some(id as usize),
            Index::Table(table) => table
                .get(id as usize)
                .filter(|&&s| s != u32::MAX)
                .map(|&s| s as usize),
            Index::Search => topo.position(id),
        }
    }
}
