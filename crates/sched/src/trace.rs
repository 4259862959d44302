//! Synthetic request traces for the offline simulator: a seeded stream of
//! [`Job`]s with Poisson arrivals (exponential gaps), log-normal durations
//! (mean as given, clamped to at least 100 ms), mostly small CPU requests
//! (about 10% fractional), a share of them exclusive (20% by default), and GPU requests per the
//! fractions in [`TraceParams`]. The same parameters give the same trace.
//! A [`Job`] is flat so it round-trips through CSV.

use crate::gpu_policy::GpuRequest;
use crate::rng::Rng;
use crate::SchedError;

const GIB: u64 = 1 << 30;
/// Shortest job duration.
pub const MIN_DURATION_MS: u64 = 100;

/// One request of a trace.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Job {
    pub id: u32,
    pub arrival_ms: u64,
    pub duration_ms: u64,
    /// CPU wanted, in thousandths of a core.
    pub cpu_millis: u64,
    pub exclusive: bool,
    /// Number of GPUs; 0 for none.
    pub gpu_count: u32,
    /// Bytes on each GPU; `None` for whole GPUs.
    pub gpu_memory: Option<u64>,
}

impl Job {
    /// The job's GPU request, if it wants any GPU.
    pub fn gpu(&self) -> Option<GpuRequest> {
        (self.gpu_count > 0).then_some(GpuRequest {
            count: self.gpu_count,
            memory: self.gpu_memory,
        })
    }
}

/// What a synthetic trace looks like.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceParams {
    pub seed: u64,
    pub jobs: u32,
    pub mean_interarrival_ms: u64,
    pub mean_duration_ms: u64,
    /// Largest CPU request, in cores.
    pub max_cpus: u32,
    /// Share of jobs that want GPUs.
    pub gpu_fraction: f64,
    /// Share of GPU jobs that want whole GPUs (the rest want memory shares).
    pub whole_gpu_fraction: f64,
    /// Largest GPU count of one job.
    pub max_gpus: u32,
    /// Memory sizes a shared-GPU job picks from (bytes).
    pub gpu_memory_choices: Vec<u64>,
    /// Share of jobs that want their cores exclusively.
    pub exclusive_fraction: f64,
}

impl Default for TraceParams {
    fn default() -> Self {
        TraceParams {
            seed: 42,
            jobs: 1000,
            mean_interarrival_ms: 500,
            mean_duration_ms: 10_000,
            max_cpus: 8,
            gpu_fraction: 0.6,
            whole_gpu_fraction: 0.3,
            max_gpus: 4,
            gpu_memory_choices: vec![5 * GIB, 10 * GIB, 20 * GIB, 40 * GIB],
            exclusive_fraction: 0.2,
        }
    }
}

impl TraceParams {
    /// Refuses parameters that cannot describe a trace.
    pub fn validate(&self) -> Result<(), SchedError> {
        let bad = |m: String| Err(SchedError::Trace(m));
        if self.jobs == 0 {
            return bad("jobs must be at least 1".into());
        }
        if self.mean_duration_ms == 0 {
            return bad("mean duration must be more than 0 ms".into());
        }
        if self.max_cpus == 0 {
            return bad("max CPUs must be at least 1".into());
        }
        for (name, value) in [
            ("GPU fraction", self.gpu_fraction),
            ("whole-GPU fraction", self.whole_gpu_fraction),
            ("exclusive fraction", self.exclusive_fraction),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return bad(format!("{name} must be between 0 and 1, got {value}"));
            }
        }
        if self.gpu_fraction > 0.0 {
            if self.max_gpus == 0 {
                return bad("max GPUs must be at least 1 when some jobs want GPUs".into());
            }
            if self.whole_gpu_fraction < 1.0 && self.gpu_memory_choices.is_empty() {
                return bad("GPU memory choices are empty but some jobs want GPU memory".into());
            }
        }
        if self.gpu_memory_choices.contains(&0) {
            return bad("GPU memory choices must all be more than 0".into());
        }
        Ok(())
    }
}

/// Generates a trace; jobs are numbered from 0 in arrival order.
pub fn generate(params: &TraceParams) -> Result<Vec<Job>, SchedError> {
    params.validate()?;
    let mut rng = Rng::new(params.seed);
    let mean_gap = params.mean_interarrival_ms as f64;
    let mean_duration = params.mean_duration_ms as f64;
    // Log-normal with this sigma and the given mean: exp(mu + sigma * z).
    let sigma = 1.0;
    let mu = mean_duration.ln() - sigma * sigma / 2.0;
    let longest = params
        .mean_duration_ms
        .saturating_mul(50)
        .max(MIN_DURATION_MS);
    let mut now: u64 = 0;
    let mut jobs = Vec::with_capacity(params.jobs as usize);
    for id in 0..params.jobs {
        now = now.saturating_add(rng.exp(mean_gap).round() as u64);
        let duration = (mu + sigma * rng.normal()).exp().round() as u64;
        let cpu_millis = cpu_request(&mut rng, params.max_cpus);
        let exclusive = rng.chance(params.exclusive_fraction);
        let (gpu_count, gpu_memory) = if rng.chance(params.gpu_fraction) {
            gpu_request(&mut rng, params)
        } else {
            (0, None)
        };
        jobs.push(Job {
            id,
            arrival_ms: now,
            duration_ms: duration.clamp(MIN_DURATION_MS, longest),
            cpu_millis,
            exclusive,
            gpu_count,
            gpu_memory,
        });
    }
    Ok(jobs)
}

/// Mostly small: 10% a fraction of a core, then half of the rest one core,
/// a quarter two, the rest anything up to `max_cpus`.
fn cpu_request(rng: &mut Rng, max_cpus: u32) -> u64 {
    if rng.chance(0.1) {
        return [250, 500, 750][rng.uniform(0..3) as usize];
    }
    let max = u64::from(max_cpus);
    let roll = rng.f64();
    let cores = if roll < 0.5 {
        1
    } else if roll < 0.75 {
        2
    } else {
        rng.uniform(1..max + 1)
    };
    cores.min(max) * 1000
}

/// Mostly one GPU; whole GPUs with `whole_gpu_fraction`, else a memory
/// share drawn from `gpu_memory_choices`.
fn gpu_request(rng: &mut Rng, params: &TraceParams) -> (u32, Option<u64>) {
    let count = if rng.chance(0.6) {
        1
    } else {
        rng.uniform(1..u64::from(params.max_gpus) + 1) as u32
    };
    if rng.chance(params.whole_gpu_fraction) || params.gpu_memory_choices.is_empty() {
        return (count, None);
    }
    let choices = &params.gpu_memory_choices;
    let pick = rng.uniform(0..choices.len() as u64) as usize;
    (count, choices.get(pick).copied())
}
