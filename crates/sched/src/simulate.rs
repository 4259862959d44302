//! Offline replay of a [`Job`] trace against a topology and a GPU inventory
//! under one CPU and one GPU policy, with no containers: it answers "which
//! policy finishes sooner, wastes less" at thousands of jobs in a blink.
//!
//! The model. Time moves from event to event (arrivals and completions, in
//! time order; at one instant completions come first). A job asks for
//! ceil(cpu_millis / 1000) cores (at least one) as a pinned placement with
//! its exclusive flag, plus its GPU request, and holds them for exactly
//! `duration_ms` once started. Waiting jobs form a FIFO queue with
//! backfill: after each event the queue is walked in arrival order and
//! every job that [`place_cpus`] and [`place_gpus`] can place now against
//! the [`Ledger`] is started (inserted; released at completion). A job that
//! would not fit even an empty machine is counted in `never_fit` and
//! dropped. Makespan runs from the first arrival to the last completion;
//! utilisation and fragmentation are averaged over it, weighted by time. A
//! core is busy while any running job holds it; fragmentation is
//! [`fragmentation`] with the queued jobs' GPU requests as `pending`.
//!
//! Speed without changing the outcome: a job that cannot fit is turned away
//! by counting free cores and GPUs (see `state.rs`); resources only shrink
//! during a walk, so a request no smaller than one that just failed is
//! skipped (`walk.rs`); and after an event with arrivals only, just the new
//! jobs are tried. A property test checks the result against a naive
//! replay that asks the policies about every queued job at every event.
//!
//! [`place_cpus`]: crate::cpu_policy::place_cpus
//! [`place_gpus`]: crate::gpu_policy::place_gpus
//! [`Ledger`]: crate::Ledger
//! [`fragmentation`]: crate::gpu_policy::fragmentation

use std::cmp::Reverse;

use crate::cpu_policy::CpuPolicy;
use crate::gpu::GpuInventory;
use crate::gpu_policy::GpuPolicy;
use crate::topology::Topology;
use crate::trace::Job;

mod state;
mod walk;

use state::Sim;

/// The outcome of one replay.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SimResult {
    /// `cpu_policy/gpu_policy`.
    pub policy: String,
    pub jobs: u32,
    pub completed: u32,
    pub never_fit: u32,
    pub makespan_ms: u64,
    /// Mean of completion − arrival over completed jobs.
    pub mean_completion_ms: f64,
    /// Mean of start − arrival over completed jobs.
    pub mean_wait_ms: f64,
    /// Time-weighted busy cores / all cores over the makespan, in percent.
    pub cpu_utilisation_pct: f64,
    /// Time-weighted [`fragmentation`](crate::gpu_policy::fragmentation)
    /// over all GPU memory, in percent.
    pub gpu_fragmentation_pct: f64,
}

/// The machine and the policies to replay a trace on.
pub struct SimConfig<'a> {
    pub topology: &'a Topology,
    pub inventory: &'a GpuInventory,
    pub cpu_policy: CpuPolicy,
    pub gpu_policy: GpuPolicy,
}

/// Whole cores a job holds in the simulation: its CPU rounded up, ≥ 1.
pub fn cores_of(job: &Job) -> u64 {
    job.cpu_millis.div_ceil(1000).max(1)
}

/// Replays `trace` (in any order; it is sorted by arrival) on `cfg`.
pub fn simulate(trace: &[Job], cfg: &SimConfig) -> SimResult {
    let mut sim = Sim::new(trace, cfg);
    let mut order: Vec<usize> = (0..trace.len()).collect();
    order.sort_by_key(|&i| (trace[i].arrival_ms, i));
    let mut result = SimResult {
        policy: format!("{}/{}", cfg.cpu_policy.name(), cfg.gpu_policy.name()),
        jobs: u32::try_from(trace.len()).unwrap_or(u32::MAX),
        completed: 0,
        never_fit: 0,
        makespan_ms: 0,
        mean_completion_ms: 0.0,
        mean_wait_ms: 0.0,
        cpu_utilisation_pct: 0.0,
        gpu_fragmentation_pct: 0.0,
    };
    let first_arrival = order.first().map_or(0, |&i| trace[i].arrival_ms);
    let (mut now, mut last_end) = (first_arrival, first_arrival);
    let (mut busy_area, mut frag_area, mut frag) = (0f64, 0f64, 0u64);
    let (mut sum_completion, mut sum_wait) = (0f64, 0f64);
    let mut queue: Vec<usize> = Vec::new();
    let mut next = 0;
    loop {
        let arrival = order.get(next).map(|&i| trace[i].arrival_ms);
        let completion = sim.running.peek().map(|Reverse((end, _))| *end);
        let t = match (arrival, completion) {
            (Some(a), Some(c)) => a.min(c),
            (Some(t), None) | (None, Some(t)) => t,
            (None, None) => break,
        };
        let dt = t.saturating_sub(now) as f64;
        busy_area += sim.busy as f64 * dt;
        frag_area += frag as f64 * dt;
        now = t;
        let mut released = false;
        while let Some(&Reverse((end, i))) = sim.running.peek() {
            if end != t {
                break;
            }
            sim.running.pop();
            sim.finish(i);
            let job = &trace[i];
            let start = sim.started[i].unwrap_or(end);
            sum_completion += end.saturating_sub(job.arrival_ms) as f64;
            sum_wait += start.saturating_sub(job.arrival_ms) as f64;
            result.completed += 1;
            last_end = end;
            released = true;
        }
        let old_len = queue.len();
        while let Some(&i) = order.get(next).filter(|&&i| trace[i].arrival_ms == t) {
            next += 1;
            if sim.fits_empty(&trace[i]) {
                queue.push(i);
            } else {
                result.never_fit += 1;
            }
        }
        let from = if released { 0 } else { old_len };
        sim.walk(&mut queue, from, t);
        frag = sim.fragmentation(&queue);
    }
    let makespan = last_end.saturating_sub(first_arrival);
    result.makespan_ms = makespan;
    if result.completed > 0 {
        result.mean_completion_ms = sum_completion / f64::from(result.completed);
        result.mean_wait_ms = sum_wait / f64::from(result.completed);
    }
    let cores = sim.holders.len() as f64;
    if makespan > 0 && cores > 0.0 {
        result.cpu_utilisation_pct = 100.0 * busy_area / (cores * makespan as f64);
    }
    let total_gpu = cfg.inventory.total_memory() as f64;
    if makespan > 0 && total_gpu > 0.0 {
        result.gpu_fragmentation_pct = 100.0 * frag_area / (total_gpu * makespan as f64);
    }
    result
}
