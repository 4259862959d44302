//! The metrics sampler: a thread that every interval reads /proc/stat (per
//! core utilisation with its user/system/iowait/steal split, and system CPU
//! pressure) and the cgroup stats of the containers it watches, and appends
//! the rows to cpu_metrics.csv. It blocks every signal, so Ctrl-C still
//! reaches the supervisor's signalfd, and it measures its own CPU time.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use cgroups::CgroupManager;
use metrics::CpuSampler;
use record::CpuMetricRow;

use super::{Recorder, UsageRates};
use crate::place::CgroupPlace;

/// Which containers to sample.
#[derive(Debug, Clone)]
pub enum Targets {
    /// One container, by name and id.
    One { name: String, id: String },
    /// Every container in the ledger under this state root (experiments).
    Ledger { state_root: PathBuf },
}

/// A running sampler; [`Sampler::stop`] takes a last sample and joins it.
pub struct Sampler {
    stop: mpsc::Sender<()>,
    thread: JoinHandle<Duration>,
    started: Instant,
}

impl Sampler {
    /// Starts sampling every `interval` into `recorder`'s cpu_metrics.csv.
    pub fn start(
        recorder: Recorder,
        interval: Duration,
        targets: Targets,
        cgroups: CgroupPlace,
    ) -> anyhow::Result<Sampler> {
        let mut cores = Cores::new()?;
        let (stop, stopped) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("sampler".into())
            .spawn(move || {
                block_all_signals();
                let mut containers = Containers::new(targets, cgroups);
                loop {
                    let last = match stopped.recv_timeout(interval) {
                        Err(RecvTimeoutError::Timeout) => false,
                        Ok(()) | Err(RecvTimeoutError::Disconnected) => true,
                    };
                    let mut rows = cores.rows(recorder.time_s());
                    rows.extend(containers.rows(recorder.time_s()));
                    if let Err(e) = recorder.append(record::METRICS_CSV, &rows) {
                        tracing::warn!(step = "metrics", "could not record a sample: {e:#}");
                    }
                    if last {
                        return thread_cpu_time();
                    }
                }
            })?;
        Ok(Sampler {
            stop,
            thread,
            started: Instant::now(),
        })
    }

    /// Takes the last sample, stops the thread and logs its own CPU cost.
    pub fn stop(self) {
        let _ = self.stop.send(());
        let wall = self.started.elapsed();
        match self.thread.join() {
            Ok(cpu) => tracing::info!(
                step = "metrics",
                sampler_cpu_ms = cpu.as_secs_f64() * 1000.0,
                "sampler used {:.1} ms of CPU over {:.1} s ({:.3} % of one core)",
                cpu.as_secs_f64() * 1000.0,
                wall.as_secs_f64(),
                cpu.as_secs_f64() * 100.0 / wall.as_secs_f64().max(1e-9)
            ),
            Err(_) => tracing::warn!(step = "metrics", "the sampler thread panicked"),
        }
    }
}

fn block_all_signals() {
    let all = nix::sys::signal::SigSet::all();
    let _ = nix::sys::signal::pthread_sigmask(
        nix::sys::signal::SigmaskHow::SIG_BLOCK,
        Some(&all),
        None,
    );
}

/// CPU time this thread has used (user + system).
fn thread_cpu_time() -> Duration {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_THREAD_CPUTIME_ID)
        .map(Duration::from)
        .unwrap_or_default()
}

/// The per-core part of a sample, with the previous counters for the split.
struct Cores {
    sampler: CpuSampler,
    previous: metrics::ProcStat,
}

impl Cores {
    fn new() -> anyhow::Result<Cores> {
        let sampler = CpuSampler::new(Path::new("/proc"))?;
        let previous = sampler.last().clone();
        Ok(Cores { sampler, previous })
    }

    fn rows(&mut self, time_s: f64) -> Vec<CpuMetricRow> {
        let sample = match self.sampler.sample() {
            Ok(sample) => sample,
            Err(e) => {
                tracing::warn!(step = "metrics", "cannot read /proc/stat: {e}");
                return Vec::new();
            }
        };
        let psi = metrics::read_psi(Path::new("/proc/pressure/cpu"))
            .ok()
            .flatten()
            .map(|p| p.some.avg10);
        let previous = std::mem::replace(&mut self.previous, sample.stat.clone());
        sample
            .utilisation
            .per_cpu
            .iter()
            .map(|(&cpu, &pct)| {
                let split = split_of(&sample.stat, &previous, cpu);
                CpuMetricRow {
                    time_s,
                    kind: "core".into(),
                    id: cpu.to_string(),
                    cpu_pct: pct,
                    user_pct: split.map(|s| s[0]),
                    system_pct: split.map(|s| s[1]),
                    iowait_pct: split.map(|s| s[2]),
                    steal_pct: split.map(|s| s[3]),
                    memory_bytes: None,
                    memory_peak_bytes: None,
                    pids: None,
                    nr_throttled: None,
                    psi_some_avg10: psi,
                }
            })
            .collect()
    }
}

/// Percent of `cpu`'s time since `before` in user(+nice), system(+irq+softirq), iowait, steal.
fn split_of(now: &metrics::ProcStat, before: &metrics::ProcStat, cpu: u32) -> Option<[f64; 4]> {
    let (a, b) = (before.cpus.get(&cpu)?, now.cpus.get(&cpu)?);
    let total = b.total().checked_sub(a.total()).filter(|&t| t > 0)? as f64;
    let d = |x: u64, y: u64| y.saturating_sub(x) as f64 * 100.0 / total;
    Some([
        d(a.user + a.nice, b.user + b.nice),
        d(a.system + a.irq + a.softirq, b.system + b.irq + b.softirq),
        d(a.iowait, b.iowait),
        d(a.steal, b.steal),
    ])
}

/// The containers being watched, with their previous CPU usage.
struct Containers {
    targets: Targets,
    cgroups: CgroupPlace,
    rates: UsageRates,
}

impl Containers {
    fn new(targets: Targets, cgroups: CgroupPlace) -> Containers {
        Containers {
            targets,
            cgroups,
            rates: UsageRates::default(),
        }
    }

    /// (name, id) of every container to sample now.
    fn current(&self) -> Vec<(String, String)> {
        match &self.targets {
            Targets::One { name, id } => vec![(name.clone(), id.clone())],
            Targets::Ledger { state_root } => crate::place::live_placements(state_root)
                .into_iter()
                .map(|p| (p.name, p.id))
                .collect(),
        }
    }

    fn rows(&mut self, time_s: f64) -> Vec<CpuMetricRow> {
        let current = self.current();
        self.rates
            .keep_only(current.iter().map(|(_, id)| id.as_str()));
        let mut rows = Vec::new();
        for (name, id) in current {
            let cgroup = cgroups::open(&self.cgroups.layout, &self.cgroups.parent, &id);
            let Ok(stats) = cgroup.stats() else { continue };
            let Some(cpu_pct) = self.rates.percent(&id, stats.cpu_usage_us) else {
                continue;
            };
            rows.push(CpuMetricRow {
                time_s,
                kind: "container".into(),
                id: name,
                cpu_pct,
                user_pct: None,
                system_pct: None,
                iowait_pct: None,
                steal_pct: None,
                memory_bytes: Some(stats.memory_current),
                memory_peak_bytes: stats.memory_peak,
                pids: Some(stats.pids_current),
                nr_throttled: Some(stats.nr_throttled),
                psi_some_avg10: pressure(&*cgroup),
            });
        }
        rows
    }
}

/// The container's CPU pressure (cgroup v2 cpu.pressure), where the kernel has it.
fn pressure(cgroup: &dyn CgroupManager) -> Option<f64> {
    cgroup
        .paths()
        .iter()
        .find_map(|dir| metrics::read_psi(&dir.join("cpu.pressure")).ok().flatten())
        .map(|p| p.some.avg10)
}
