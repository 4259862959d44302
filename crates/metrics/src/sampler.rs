//! A `/proc/stat` sampler and the container CPU-percent formula.
//!
//! [`CpuSampler`] keeps the previous reading and reports utilisation since
//! it on every [`CpuSampler::sample`] call. It is built to be called every
//! few hundred milliseconds for as long as a container runs, so it reuses
//! its read buffer and its per-CPU map between calls; the only allocation
//! left in the steady state is the copy of the reading handed back in
//! [`CoreSample::stat`]. The proc root is a parameter ("/proc" in
//! production) so tests can point it at a temporary directory.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{read_error, read_into};
use crate::proc_stat::{parse_proc_stat, parse_proc_stat_into, ProcStat, Utilisation};
use crate::MetricsError;

/// Reads `<proc_root>/stat` each time `sample` is called and reports the
/// utilisation since the previous call.
#[derive(Debug)]
pub struct CpuSampler {
    path: PathBuf,
    buf: String,
    prev: ProcStat,
    /// Scratch reading, filled in place then swapped with `prev`.
    next: ProcStat,
    prev_at: Instant,
}

/// What one call of [`CpuSampler::sample`] saw.
#[derive(Debug, Clone, PartialEq)]
pub struct CoreSample {
    /// Wall time since the previous sample (or since `new`).
    pub elapsed: Duration,
    /// Utilisation over that interval.
    pub utilisation: Utilisation,
    /// The cumulative counters read this time.
    pub stat: ProcStat,
}

impl CpuSampler {
    /// Opens a sampler on `<proc_root>/stat` and takes the baseline now.
    pub fn new(proc_root: &Path) -> Result<CpuSampler, MetricsError> {
        let mut sampler = CpuSampler {
            path: proc_root.join("stat"),
            buf: String::new(),
            prev: ProcStat::default(),
            next: ProcStat::default(),
            prev_at: Instant::now(),
        };
        sampler.read_next()?;
        std::mem::swap(&mut sampler.prev, &mut sampler.next);
        sampler.prev_at = Instant::now();
        Ok(sampler)
    }

    /// Reads the counters again and reports utilisation since the previous
    /// call. On error the previous reading is kept, so the next successful
    /// sample covers the whole gap.
    pub fn sample(&mut self) -> Result<CoreSample, MetricsError> {
        self.read_next()?;
        let now = Instant::now();
        let elapsed = now.duration_since(self.prev_at);
        let utilisation = self.next.utilisation_since(&self.prev);
        std::mem::swap(&mut self.prev, &mut self.next);
        self.prev_at = now;
        Ok(CoreSample {
            elapsed,
            utilisation,
            stat: self.prev.clone(),
        })
    }

    /// The most recent reading (the baseline before the first `sample`).
    pub fn last(&self) -> &ProcStat {
        &self.prev
    }

    /// Reads and parses the file into `self.next`.
    fn read_next(&mut self) -> Result<(), MetricsError> {
        read_into(&self.path, &mut self.buf).map_err(|e| read_error(&self.path, e))?;
        parse_proc_stat_into(&self.buf, &mut self.next).map_err(|e| e.at_path(&self.path))
    }
}

/// Container CPU % over an interval from two cumulative usage readings in
/// µs (cgroup v2 `cpu.stat` `usage_usec`, or v1 `cpuacct.usage` / 1000).
/// 100 % is one full core, so a container using two cores reads 200 %.
/// 0 if `elapsed` is 0 or the usage went backwards (cgroup recreated).
pub fn cpu_percent(prev_usage_us: u64, usage_us: u64, elapsed: Duration) -> f64 {
    let elapsed_us = elapsed.as_secs_f64() * 1e6;
    if elapsed_us <= 0.0 || usage_us < prev_usage_us {
        return 0.0;
    }
    (usage_us - prev_usage_us) as f64 / elapsed_us * 100.0
}

/// Reads and parses `<proc_root>/stat` once.
pub fn read_proc_stat(proc_root: &Path) -> Result<ProcStat, MetricsError> {
    let path = proc_root.join("stat");
    let mut text = String::new();
    read_into(&path, &mut text).map_err(|e| read_error(&path, e))?;
    parse_proc_stat(&text).map_err(|e| e.at_path(&path))
}

#[cfg(test)]
mod tests;
