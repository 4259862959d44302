//! The allocation ledger: every live placement of ours (cores, GPUs, GPU
//! memory), keyed by container id, plus the last CPU load sample. It is a
//! plain value: the runtime stores it as JSON under the state directory,
//! behind a file lock, so concurrent `containerctl run`s see each other. The
//! checks here make it impossible to hand out an exclusive core or GPU
//! memory twice, whatever the caller does.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::topology::format_cpulist;
use crate::SchedError;

/// The process that holds a placement. When it is gone (and its start time
/// no longer matches, which guards against pid reuse) the placement is stale
/// and the runtime repairs the ledger by dropping it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    pub pid: i32,
    /// Field 22 of /proc/PID/stat (clock ticks since boot).
    pub start_ticks: u64,
}

/// Cores given to one container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuGrant {
    /// Cores the container may run on (its cpuset), ascending.
    pub cpus: Vec<u32>,
    /// Pinned to these cores by an integer `cpu:` (or `cpus:`); false for a
    /// fractional request, which runs in the shared pool under a quota.
    pub pinned: bool,
    /// No other container of ours may use these cores while it runs.
    pub exclusive: bool,
    /// The `cpu:` allowance in thousandths of a core, if one was given.
    pub millis: Option<u64>,
}

/// One GPU (or a share of its memory) given to one container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GpuGrant {
    /// Index of the GPU in the inventory.
    pub gpu: u32,
    /// Bytes of the GPU's memory held: all of it for a whole GPU.
    pub memory: u64,
    /// The whole GPU: no one else may share it.
    pub whole: bool,
}

/// Everything one live container holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    pub id: String,
    pub name: String,
    pub owner: Owner,
    /// Milliseconds since the Unix epoch when the placement was made.
    pub placed_at_ms: u64,
    pub cpu: CpuGrant,
    pub gpus: Vec<GpuGrant>,
}

/// A request waiting (`--wait`) for its cores or GPUs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiting {
    pub name: String,
    pub owner: Owner,
    /// Milliseconds since the Unix epoch when it started waiting.
    pub since_ms: u64,
    /// What it asks for, in words.
    pub request: String,
}

/// The last /proc/stat sample the placement decisions used.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadSnapshot {
    /// Milliseconds since the Unix epoch when `raw` was read.
    pub at_ms: u64,
    /// Per CPU: (busy ticks, total ticks) as read then.
    pub raw: BTreeMap<u32, (u64, u64)>,
    /// Per CPU utilisation in percent over the interval that ended at `at_ms`.
    pub util: BTreeMap<u32, f64>,
}

/// How much of one GPU is held.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GpuUse {
    pub memory: u64,
    pub whole: bool,
    pub holders: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    pub placements: BTreeMap<String, Placement>,
    /// Requests waiting for resources, by container id.
    #[serde(default)]
    pub waiting: BTreeMap<String, Waiting>,
    #[serde(default)]
    pub load: Option<LoadSnapshot>,
    /// Which GPU inventory the live GPU grants index into (its GPUs'
    /// UUIDs), so runs with another inventory do not misread them.
    #[serde(default)]
    pub gpu_inventory: Option<String>,
}

impl Ledger {
    /// Cores held exclusively by some container.
    pub fn exclusive_cpus(&self) -> BTreeSet<u32> {
        self.placements
            .values()
            .filter(|p| p.cpu.exclusive)
            .flat_map(|p| p.cpu.cpus.iter().copied())
            .collect()
    }

    /// Number of pinned, non-exclusive placements on each core, counting only
    /// those made at or after `since_ms` when it is given.
    pub fn pins_per_cpu(&self, since_ms: Option<u64>) -> BTreeMap<u32, usize> {
        let mut counts = BTreeMap::new();
        for p in self.placements.values() {
            if !p.cpu.pinned || p.cpu.exclusive || since_ms.is_some_and(|s| p.placed_at_ms < s) {
                continue;
            }
            for &cpu in &p.cpu.cpus {
                *counts.entry(cpu).or_insert(0) += 1;
            }
        }
        counts
    }

    /// What is held on each GPU that anyone holds.
    pub fn gpu_use(&self) -> BTreeMap<u32, GpuUse> {
        let mut uses: BTreeMap<u32, GpuUse> = BTreeMap::new();
        for grant in self.placements.values().flat_map(|p| &p.gpus) {
            let entry = uses.entry(grant.gpu).or_default();
            entry.memory = entry.memory.saturating_add(grant.memory);
            entry.whole |= grant.whole;
            entry.holders += 1;
        }
        uses
    }

    /// Records a placement. Refuses one that reuses an id, takes a core
    /// another container holds exclusively (or exclusively takes a core in
    /// use), shares a whole GPU, or overcommits a GPU's memory
    /// (`gpu_memory` gives each GPU's capacity by index).
    pub fn insert(&mut self, placement: Placement, gpu_memory: &[u64]) -> Result<(), SchedError> {
        if self.placements.contains_key(&placement.id) {
            return Err(SchedError::Conflict(format!(
                "container {} is already placed",
                placement.id
            )));
        }
        self.check_cpus(&placement)?;
        self.check_gpus(&placement, gpu_memory)?;
        self.placements.insert(placement.id.clone(), placement);
        Ok(())
    }

    fn check_cpus(&self, new: &Placement) -> Result<(), SchedError> {
        let mine: BTreeSet<u32> = new.cpu.cpus.iter().copied().collect();
        for other in self.placements.values() {
            // Sharing is fine unless one side is exclusive; an exclusive
            // placement may overlap the shared pool, which then shrinks
            // (see `resize_pool`).
            if !new.cpu.exclusive && !other.cpu.exclusive || new.cpu.exclusive && !other.cpu.pinned
            {
                continue;
            }
            let overlap: Vec<u32> = other
                .cpu
                .cpus
                .iter()
                .copied()
                .filter(|c| mine.contains(c))
                .collect();
            if !overlap.is_empty() {
                return Err(SchedError::Conflict(format!(
                    "cores {} of {} are also held by {}, and one of them is exclusive",
                    format_cpulist(&overlap),
                    new.name,
                    other.name
                )));
            }
        }
        Ok(())
    }

    fn check_gpus(&self, new: &Placement, gpu_memory: &[u64]) -> Result<(), SchedError> {
        let uses = self.gpu_use();
        let mut seen = BTreeSet::new();
        for grant in &new.gpus {
            let capacity = gpu_memory.get(grant.gpu as usize).copied().ok_or_else(|| {
                SchedError::Conflict(format!("GPU {} is not in the inventory", grant.gpu))
            })?;
            if !seen.insert(grant.gpu) {
                return Err(SchedError::Conflict(format!(
                    "GPU {} granted twice to {}",
                    grant.gpu, new.name
                )));
            }
            let used = uses.get(&grant.gpu).copied().unwrap_or_default();
            if used.whole || (grant.whole && used.holders > 0) {
                return Err(SchedError::Conflict(format!(
                    "GPU {} is held whole by another container",
                    grant.gpu
                )));
            }
            if used.memory.saturating_add(grant.memory) > capacity {
                return Err(SchedError::Conflict(format!(
                    "GPU {} has {} bytes free, {} asked",
                    grant.gpu,
                    capacity.saturating_sub(used.memory),
                    grant.memory
                )));
            }
        }
        Ok(())
    }

    /// Sets the cores of every shared-pool (unpinned) placement to `pool`;
    /// returns the ids of those whose cores changed, whose cpusets the
    /// caller must then rewrite. Called after every exclusive placement
    /// and release, as the kubelet's static CPU manager shrinks and grows
    /// its shared pool.
    pub fn resize_pool(&mut self, pool: &[u32]) -> Vec<String> {
        let mut changed = Vec::new();
        for p in self.placements.values_mut() {
            if !p.cpu.pinned && p.cpu.cpus != pool {
                p.cpu.cpus = pool.to_vec();
                changed.push(p.id.clone());
            }
        }
        changed
    }

    /// Whether some live placement runs on the shared pool.
    pub fn has_pool_users(&self) -> bool {
        self.placements.values().any(|p| !p.cpu.pinned)
    }

    /// Removes and returns a container's placement.
    pub fn release(&mut self, id: &str) -> Option<Placement> {
        self.placements.remove(id)
    }

    /// Drops every placement for which `alive` is false; returns them.
    pub fn retain_live(&mut self, mut alive: impl FnMut(&Placement) -> bool) -> Vec<Placement> {
        let (live, dead): (BTreeMap<_, _>, BTreeMap<_, _>) = std::mem::take(&mut self.placements)
            .into_iter()
            .partition(|(_, p)| alive(p));
        self.placements = live;
        dead.into_values().collect()
    }
}
