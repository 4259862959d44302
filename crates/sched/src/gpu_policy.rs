//! GPU allocation: which GPUs (or which shares of GPU memory) a request gets,
//! given the inventory and the live [`Ledger`]. A whole-GPU request needs
//! GPUs nobody holds and takes all their memory; a memory request takes that
//! many bytes on each of `count` distinct GPUs that are not held whole and
//! have the memory free. A [`GpuPolicy`] orders the GPUs that fit; the first
//! `count` win (the topology policy looks for an NVLink-connected set, then
//! one NUMA node: `gpu_policy/topology.rs`). Nothing here overcommits: the
//! result is always accepted by [`Ledger::insert`]. [`fragmentation`]
//! measures free memory that no pending request can use.

use std::fmt;
use std::str::FromStr;

use crate::gpu::{format_bytes, GpuInventory};
use crate::ledger::GpuUse;
use crate::{GpuGrant, Ledger, SchedError};

mod refusal;
mod topology;

use refusal::describe_free;

/// How to choose among the GPUs that fit a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GpuPolicy {
    /// Least free memory that fits (tightest), ties to the lowest index.
    #[default]
    BestFit,
    /// Lowest index that fits.
    FirstFit,
    /// Most free memory first, ties to the lowest index.
    Spread,
    /// GPUs that already have holders first, then best-fit.
    Pack,
    /// For several GPUs: an NVLink clique, else one NUMA node, else best-fit.
    Topology,
}

impl GpuPolicy {
    pub const ALL: [GpuPolicy; 5] = [
        GpuPolicy::BestFit,
        GpuPolicy::FirstFit,
        GpuPolicy::Spread,
        GpuPolicy::Pack,
        GpuPolicy::Topology,
    ];

    pub fn name(&self) -> &'static str {
        match self {
            GpuPolicy::BestFit => "best-fit",
            GpuPolicy::FirstFit => "first-fit",
            GpuPolicy::Spread => "spread",
            GpuPolicy::Pack => "pack",
            GpuPolicy::Topology => "topology",
        }
    }
}

impl FromStr for GpuPolicy {
    type Err = SchedError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        GpuPolicy::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| SchedError::UnknownPolicy {
                kind: "gpu",
                name: s.to_string(),
                known: "best-fit, first-fit, spread, pack, topology",
            })
    }
}

impl fmt::Display for GpuPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `count` whole GPUs (`memory: None`), or `memory` bytes on each of `count`
/// distinct GPUs, which other containers may share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GpuRequest {
    pub count: u32,
    pub memory: Option<u64>,
}

impl GpuRequest {
    /// `1 GPU`, `2 GPUs`, `1 GPU × 20 GiB`.
    pub fn describe(&self) -> String {
        let plural = if self.count == 1 { "" } else { "s" };
        match self.memory {
            None => format!("{} GPU{plural}", self.count),
            Some(m) => format!("{} GPU{plural} × {}", self.count, format_bytes(m)),
        }
    }
}

/// What a request was given: grants in ascending GPU order, with each GPU's
/// free memory before and after (parallel to `grants`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuChoice {
    pub grants: Vec<GpuGrant>,
    pub free_before: Vec<u64>,
    pub free_after: Vec<u64>,
}

/// Use of each GPU by index (GPUs outside the inventory are ignored).
fn uses(inv: &GpuInventory, ledger: &Ledger) -> Vec<GpuUse> {
    let mut uses = vec![GpuUse::default(); inv.gpus.len()];
    for grant in ledger.placements.values().flat_map(|p| &p.gpus) {
        if let Some(u) = uses.get_mut(grant.gpu as usize) {
            u.memory = u.memory.saturating_add(grant.memory);
            u.whole |= grant.whole;
            u.holders += 1;
        }
    }
    uses
}

pub(crate) fn free_of(capacity: u64, used: &GpuUse) -> u64 {
    if used.whole {
        0
    } else {
        capacity.saturating_sub(used.memory)
    }
}

/// Free memory of each GPU by index; 0 for a GPU held whole.
pub fn free_memory(inv: &GpuInventory, ledger: &Ledger) -> Vec<u64> {
    let uses = uses(inv, ledger);
    inv.gpus
        .iter()
        .zip(&uses)
        .map(|(g, u)| free_of(g.memory, u))
        .collect()
}

/// A GPU that fits the request: its index, free bytes and holder count.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Candidate {
    pub index: u32,
    pub free: u64,
    pub holders: usize,
}

fn fits(req: &GpuRequest, free: u64, used: &GpuUse) -> bool {
    match req.memory {
        None => used.holders == 0,
        Some(m) => !used.whole && free >= m,
    }
}

/// Whether `req` fits now, given each GPU's use by index (as the ledger
/// would report it): the cheap test behind [`place_gpus`]'s refusal.
pub fn fits_now(inv: &GpuInventory, uses: &[GpuUse], req: &GpuRequest) -> bool {
    let fitting = inv
        .gpus
        .iter()
        .zip(uses)
        .filter(|(g, u)| fits(req, free_of(g.memory, u), u))
        .take(req.count as usize)
        .count();
    !inv.gpus.is_empty() && fitting >= req.count as usize
}

/// Chooses GPUs for `req` under `policy`, or says what is free.
pub fn place_gpus(
    inv: &GpuInventory,
    ledger: &Ledger,
    req: &GpuRequest,
    policy: GpuPolicy,
) -> Result<GpuChoice, SchedError> {
    let unavailable = |free: String| SchedError::GpusUnavailable {
        request: req.describe(),
        free,
    };
    if inv.gpus.is_empty() {
        return Err(unavailable("there are no GPUs in the inventory".into()));
    }
    let uses = uses(inv, ledger);
    let mut fitting: Vec<Candidate> = inv
        .gpus
        .iter()
        .zip(&uses)
        .filter_map(|(g, u)| {
            let free = free_of(g.memory, u);
            fits(req, free, u).then_some(Candidate {
                index: g.index,
                free,
                holders: u.holders,
            })
        })
        .collect();
    let count = req.count as usize;
    if fitting.len() < count {
        return Err(unavailable(describe_free(inv, &uses, req)));
    }
    let best_fit = |c: &Candidate| (c.free, c.index);
    let chosen: Vec<Candidate> = match policy {
        GpuPolicy::BestFit => take_by(fitting, count, best_fit),
        GpuPolicy::FirstFit => take_by(fitting, count, |c| c.index),
        GpuPolicy::Spread => take_by(fitting, count, |c| (u64::MAX - c.free, c.index)),
        GpuPolicy::Pack => take_by(fitting, count, |c| (c.holders == 0, c.free, c.index)),
        GpuPolicy::Topology if count > 1 => {
            fitting.sort_unstable_by_key(best_fit);
            topology::choose(inv, &fitting, count)
                .unwrap_or_else(|| fitting.into_iter().take(count).collect())
        }
        GpuPolicy::Topology => take_by(fitting, count, best_fit),
    };
    Ok(choice(inv, req, chosen))
}

/// The `count` smallest candidates by `key`.
fn take_by<K: Ord>(
    mut fitting: Vec<Candidate>,
    count: usize,
    key: impl Fn(&Candidate) -> K,
) -> Vec<Candidate> {
    if count < fitting.len() && count > 0 {
        fitting.select_nth_unstable_by_key(count - 1, &key);
    }
    fitting.truncate(count);
    fitting
}

fn choice(inv: &GpuInventory, req: &GpuRequest, mut chosen: Vec<Candidate>) -> GpuChoice {
    chosen.sort_unstable_by_key(|c| c.index);
    let mut out = GpuChoice {
        grants: Vec::with_capacity(chosen.len()),
        free_before: Vec::with_capacity(chosen.len()),
        free_after: Vec::with_capacity(chosen.len()),
    };
    for c in chosen {
        let capacity = inv.gpus.get(c.index as usize).map_or(0, |g| g.memory);
        let memory = req.memory.unwrap_or(capacity);
        out.grants.push(GpuGrant {
            gpu: c.index,
            memory,
            whole: req.memory.is_none(),
        });
        out.free_before.push(c.free);
        out.free_after.push(if req.memory.is_none() {
            0
        } else {
            c.free.saturating_sub(memory)
        });
    }
    out
}

/// Free GPU memory (bytes) that no pending request can use: the sum of free
/// memory over GPUs where none of `pending` fits (a whole-GPU request fits
/// only a GPU nobody holds; a memory request fits where free >= memory).
/// Empty `pending` → 0.
pub fn fragmentation(inv: &GpuInventory, ledger: &Ledger, pending: &[GpuRequest]) -> u64 {
    if pending.is_empty() {
        return 0;
    }
    let any_whole = pending.iter().any(|r| r.memory.is_none());
    let smallest = pending.iter().filter_map(|r| r.memory).min();
    let uses = uses(inv, ledger);
    inv.gpus
        .iter()
        .zip(&uses)
        .map(|(g, u)| {
            let free = free_of(g.memory, u);
            let usable =
                (any_whole && u.holders == 0) || (!u.whole && smallest.is_some_and(|m| free >= m));
            if usable {
                0
            } else {
                free
            }
        })
        .fold(0u64, u64::saturating_add)
}
