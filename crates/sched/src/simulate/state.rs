//! The simulator's machine state between events: the [`Ledger`] of running
//! jobs, plus tallies kept beside it (holders per core, exclusive cores,
//! use per GPU) so that a job that cannot fit is turned away by counting,
//! without asking the policies to build a refusal. The tallies follow the
//! ledger's own rules: a shared pinned request needs cores nobody holds
//! exclusively, an exclusive one needs cores nobody holds at all, and GPUs
//! fit as in [`fits_now`]. Starting a job asks the real policies and
//! inserts their choice into the ledger.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use super::{cores_of, SimConfig};
use crate::cpu_policy::{place_cpus, CpuLoad, CpuRequest};
use crate::gpu_policy::{fits_now, fragmentation, place_gpus, GpuRequest};
use crate::ledger::GpuUse;
use crate::trace::Job;
use crate::{Ledger, Owner, Placement};

pub(super) struct Sim<'a> {
    cfg: &'a SimConfig<'a>,
    pub trace: &'a [Job],
    load: CpuLoad,
    gpu_memory: Vec<u64>,
    ledger: Ledger,
    /// Running jobs holding each core, by topology position.
    pub holders: Vec<u32>,
    /// Whether an exclusive job holds each core, by topology position.
    exclusive: Vec<bool>,
    /// Topology position of each CPU id (dense table).
    position: Vec<Option<usize>>,
    /// Cores held by any job, and by an exclusive job.
    pub busy: u64,
    held_exclusive: u64,
    gpu_use: Vec<GpuUse>,
    /// (end, trace index) of running jobs, soonest first.
    pub running: BinaryHeap<Reverse<(u64, usize)>>,
    /// Start time of each job, once started.
    pub started: Vec<Option<u64>>,
    /// Whether a request could fit an empty machine, by shape.
    cpu_fits_empty: HashMap<(u64, bool), bool>,
    gpu_fits_empty: HashMap<(u32, Option<u64>), bool>,
}

/// Why a job could not start now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Blocked {
    Cpu,
    Gpu,
    /// The ledger refused the policies' choice (never expected).
    Ledger,
}

fn cpu_request(job: &Job) -> CpuRequest {
    CpuRequest {
        millis: cores_of(job).saturating_mul(1000),
        exclusive: job.exclusive,
    }
}

impl<'a> Sim<'a> {
    pub fn new(trace: &'a [Job], cfg: &'a SimConfig<'a>) -> Self {
        let ids = cfg.topology.ids();
        let max_id = ids.iter().copied().max().map_or(0, |m| m as usize + 1);
        let mut position = vec![None; max_id];
        for (i, &id) in ids.iter().enumerate() {
            if let Some(slot) = position.get_mut(id as usize) {
                *slot = Some(i);
            }
        }
        Sim {
            cfg,
            trace,
            load: CpuLoad::default(),
            gpu_memory: cfg.inventory.memory_by_index(),
            ledger: Ledger::default(),
            holders: vec![0; ids.len()],
            exclusive: vec![false; ids.len()],
            position,
            busy: 0,
            held_exclusive: 0,
            gpu_use: vec![GpuUse::default(); cfg.inventory.gpus.len()],
            running: BinaryHeap::new(),
            started: vec![None; trace.len()],
            cpu_fits_empty: HashMap::new(),
            gpu_fits_empty: HashMap::new(),
        }
    }

    /// Whether the job could be placed on an empty machine (memoised).
    pub fn fits_empty(&mut self, job: &Job) -> bool {
        let empty = Ledger::default();
        let (cfg, load) = (self.cfg, &self.load);
        let cpu = cpu_request(job);
        let cpu_ok = *self
            .cpu_fits_empty
            .entry((cpu.millis, cpu.exclusive))
            .or_insert_with(|| {
                place_cpus(cfg.topology, load, &empty, &cpu, cfg.cpu_policy).is_ok()
            });
        let gpu_ok = job.gpu().is_none_or(|req| {
            *self
                .gpu_fits_empty
                .entry((req.count, req.memory))
                .or_insert_with(|| place_gpus(cfg.inventory, &empty, &req, cfg.gpu_policy).is_ok())
        });
        cpu_ok && gpu_ok
    }

    /// Starts job `i` at `now` if both policies place it.
    pub fn try_start(&mut self, i: usize, now: u64) -> Result<(), Blocked> {
        let job = &self.trace[i];
        let cpu = cpu_request(job);
        let taken = if cpu.exclusive {
            self.busy
        } else {
            self.held_exclusive
        };
        let free_cores = (self.holders.len() as u64).saturating_sub(taken);
        if cores_of(job) > free_cores {
            return Err(Blocked::Cpu);
        }
        let gpus = match job.gpu() {
            None => Vec::new(),
            Some(req) if !fits_now(self.cfg.inventory, &self.gpu_use, &req) => {
                return Err(Blocked::Gpu)
            }
            Some(req) => {
                place_gpus(self.cfg.inventory, &self.ledger, &req, self.cfg.gpu_policy)
                    .map_err(|_| Blocked::Gpu)?
                    .grants
            }
        };
        let (cfg, load) = (self.cfg, &self.load);
        let choice = place_cpus(cfg.topology, load, &self.ledger, &cpu, cfg.cpu_policy)
            .map_err(|_| Blocked::Cpu)?;
        let placement = Placement {
            id: i.to_string(),
            name: format!("job-{}", job.id),
            owner: Owner {
                pid: 0,
                start_ticks: 0,
            },
            placed_at_ms: now,
            cpu: choice.grant,
            gpus,
        };
        let (cpus, grants) = (placement.cpu.cpus.clone(), placement.gpus.clone());
        self.ledger
            .insert(placement, &self.gpu_memory)
            .map_err(|_| Blocked::Ledger)?;
        for id in cpus {
            self.hold(id, true, job.exclusive);
        }
        for g in grants {
            if let Some(u) = self.gpu_use.get_mut(g.gpu as usize) {
                u.memory = u.memory.saturating_add(g.memory);
                u.whole |= g.whole;
                u.holders += 1;
            }
        }
        self.started[i] = Some(now);
        self.running
            .push(Reverse((now.saturating_add(job.duration_ms), i)));
        Ok(())
    }

    /// Releases job `i`'s cores and GPUs.
    pub fn finish(&mut self, i: usize) {
        let Some(p) = self.ledger.release(&i.to_string()) else {
            return;
        };
        for id in p.cpu.cpus {
            self.hold(id, false, p.cpu.exclusive);
        }
        for g in p.gpus {
            if let Some(u) = self.gpu_use.get_mut(g.gpu as usize) {
                u.memory = u.memory.saturating_sub(g.memory);
                u.whole &= !g.whole;
                u.holders = u.holders.saturating_sub(1);
            }
        }
    }

    /// Takes (or gives back) one hold on core `id`.
    fn hold(&mut self, id: u32, take: bool, exclusive: bool) {
        let Some(pos) = self.position.get(id as usize).copied().flatten() else {
            return;
        };
        let (Some(h), Some(x)) = (self.holders.get_mut(pos), self.exclusive.get_mut(pos)) else {
            return;
        };
        match (take, *h) {
            (true, 0) => self.busy += 1,
            (false, 1) => self.busy = self.busy.saturating_sub(1),
            _ => {}
        }
        *h = if take { *h + 1 } else { h.saturating_sub(1) };
        if exclusive && *x != take {
            *x = take;
            if take {
                self.held_exclusive += 1;
            } else {
                self.held_exclusive = self.held_exclusive.saturating_sub(1);
            }
        }
    }

    /// [`fragmentation`] with the queued jobs' GPU requests as pending.
    /// Only the smallest memory request and whether any wants whole GPUs
    /// matter, so those two stand in for the whole queue.
    pub fn fragmentation(&self, queue: &[usize]) -> u64 {
        let mut whole = None;
        let mut smallest: Option<u64> = None;
        for req in queue.iter().filter_map(|&i| self.trace[i].gpu()) {
            match req.memory {
                None => whole = Some(req),
                Some(m) => smallest = Some(smallest.map_or(m, |s| s.min(m))),
            }
        }
        let share = smallest.map(|m| GpuRequest {
            count: 1,
            memory: Some(m),
        });
        let pending: Vec<GpuRequest> = whole.into_iter().chain(share).collect();
        fragmentation(self.cfg.inventory, &self.ledger, &pending)
    }
}
