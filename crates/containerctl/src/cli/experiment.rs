//! `containerctl experiment FILE --policy A --policy B …`: runs the same
//! batch of workloads (a `containers:` file) once under each placement
//! policy, all submitted at once (requests that do not fit wait), and
//! compares the policies: makespan, mean completion and wait time, mean CPU
//! utilisation, and GPU fragmentation (free GPU memory that no waiting
//! request can use, time-weighted, as % of all GPU memory). Each policy gets
//! a full run record; the comparison goes to comparison.csv and
//! graphs/comparison.png.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use record::{CpuMetricRow, EventRow, PolicyResult};
use sched::gpu::GpuInventory;
use sched::gpu_policy::GpuRequest;
use sched::place::Policies;

use super::Globals;
use crate::recorder::{self, Recorder, Sampler, Targets};

#[derive(Debug, clap::Args)]
pub struct ExperimentArgs {
    /// A file of several workloads (`containers:`), or one workload.
    pub file: PathBuf,
    /// A policy to compare (give two or more): least-loaded, pack, spread,
    /// topology, or CPU+GPU such as least-loaded+first-fit.
    #[arg(long = "policy", value_name = "POLICY", required = true)]
    pub policies: Vec<Policies>,
    /// Directory the experiment directory is made in.
    #[arg(
        long,
        value_name = "DIR",
        default_value = "experiments",
        env = "CONTAINERCTL_RECORD_DIR"
    )]
    pub out: PathBuf,
    /// Seconds between metric samples.
    #[arg(long, value_name = "SECS", default_value_t = 0.25)]
    pub sample_interval: f64,
    /// Simulated GPU inventory file instead of NVML or the built-in one.
    #[arg(long, value_name = "FILE", env = "CONTAINERCTL_GPUS")]
    pub gpus: Option<PathBuf>,
    /// Name of the experiment directory (default: `<UTC time>-<file stem>`).
    #[arg(long)]
    pub name: Option<String>,
    /// Seconds to let the machine settle between policies.
    #[arg(long, value_name = "SECS", default_value_t = 1.0)]
    pub settle: f64,
}

impl Drop for Job {
    /// A run still going when the experiment stops early (an error) is
    /// stopped like Ctrl-C would: SIGTERM, which it forwards, then waited for.
    fn drop(&mut self) {
        if self.code.is_none() {
            let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
            let _ = self.child.wait();
        }
    }
}

/// How often the experiment polls its runs and measures fragmentation.
const POLL: Duration = Duration::from_millis(100);

pub fn run(globals: &Globals, args: ExperimentArgs) -> anyhow::Result<i32> {
    let host = crate::host::facts()?;
    let batch = spec::load_batch(&args.file, &host)?;
    let mut names: Vec<String> = args.policies.iter().map(ToString::to_string).collect();
    names.sort();
    if let Some(twice) = names.windows(2).find(|w| w[0] == w[1]) {
        let message = format!(
            "--policy {} is given twice (policies are compared by name)",
            twice[0]
        );
        return Err(crate::exit::BadUsage(message).into());
    }
    let inventory = crate::gpus::inventory(args.gpus.as_deref())?;
    let stem = args
        .file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("batch");
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| format!("{}-{stem}", recorder::utc_stamp()));
    let root = args.out.join(name);
    if root.exists() {
        let message = format!(
            "{} already exists: give another --name or remove it",
            root.display()
        );
        return Err(crate::exit::BadUsage(message).into());
    }
    std::fs::create_dir_all(root.join(record::GRAPHS_DIR))
        .with_context(|| format!("creating {}", root.display()))?;
    tracing::info!(step = "experiment", dir = %root.display(), "{} workloads × {} policies; GPU inventory: {}", batch.len(), args.policies.len(), inventory.describe());
    let mut results = Vec::new();
    let mut failures = 0;
    for (n, policy) in args.policies.iter().enumerate() {
        if n > 0 {
            std::thread::sleep(Duration::try_from_secs_f64(args.settle).unwrap_or_default());
        }
        let dir = root.join(policy.to_string());
        let (result, failed) = run_policy(globals, &args, &batch, &inventory, *policy, &dir)?;
        tracing::info!(step = "experiment", policy = %policy, "{policy}: makespan {:.2} s, mean completion {:.2} s, CPU {:.1} %, GPU fragmentation {:.1} %", result.makespan_s, result.mean_completion_s, result.cpu_utilisation_pct, result.gpu_fragmentation_pct);
        failures += failed;
        results.push(result);
    }
    record::write_comparison(&root, &results)?;
    record::redraw(&root)?;
    println!("{}", record::summarise(&root)?);
    println!("experiment written to {}", root.display());
    if failures > 0 {
        tracing::warn!(
            step = "experiment",
            "{failures} run(s) did not exit 0: see the logs/ of each policy"
        );
        return Ok(1);
    }
    Ok(0)
}

/// One running `containerctl run` of the batch.
struct Job {
    name: String,
    gpu: Option<GpuRequest>,
    child: Child,
    code: Option<i32>,
}

fn run_policy(
    globals: &Globals,
    args: &ExperimentArgs,
    batch: &[spec::Workload],
    inventory: &GpuInventory,
    policy: Policies,
    dir: &Path,
) -> anyhow::Result<(PolicyResult, usize)> {
    let rec = Recorder::create(dir)?;
    let interval = super::execute::sample_interval(args.sample_interval)?;
    let sampler = Sampler::start(
        rec.clone(),
        interval,
        Targets::Ledger {
            state_root: globals.state_root.clone(),
        },
        super::placed::cgroup_place(globals)?,
    )?;
    let mut jobs = Vec::new();
    for workload in batch {
        let name = workload.name.clone().unwrap_or_default();
        let child = spawn_run(globals, args, &name, policy, dir)?;
        jobs.push(Job {
            name,
            gpu: workload.gpu,
            child,
            code: None,
        });
    }
    let fragmentation = wait_all(globals, inventory, &mut jobs)?;
    sampler.stop();
    let failed = jobs.iter().filter(|j| j.code != Some(0)).count();
    let events: Vec<EventRow> = record::read_rows(&dir.join(record::EVENTS_CSV))?;
    let metrics: Vec<CpuMetricRow> = record::read_rows(&dir.join(record::METRICS_CSV))?;
    Ok((
        result_of(policy, &jobs, &events, &metrics, fragmentation),
        failed,
    ))
}

fn spawn_run(
    globals: &Globals,
    args: &ExperimentArgs,
    name: &str,
    policy: Policies,
    dir: &Path,
) -> anyhow::Result<Child> {
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
    let log_path = logs.join(format!("{name}.log"));
    let log = std::fs::File::create(&log_path)
        .with_context(|| format!("creating {}", log_path.display()))?;
    let exe = std::env::current_exe().context("finding containerctl's own binary")?;
    let mut command = Command::new(exe);
    command
        .arg("--root")
        .arg(&globals.state_root)
        .args([
            "--cgroup-parent",
            &globals.cgroup_parent,
            "run",
            "--wait",
            "--policy",
            &policy.to_string(),
            "--entry",
            name,
        ])
        .arg("--record-into")
        .arg(dir)
        .arg(&args.file)
        .stdin(Stdio::null())
        .stdout(log.try_clone().context("duplicating a log file handle")?)
        .stderr(log);
    if let Some(gpus) = &args.gpus {
        command.arg("--gpus").arg(gpus);
    }
    command
        .spawn()
        .with_context(|| format!("starting the run of {name}"))
}

/// Waits for every job, measuring GPU fragmentation meanwhile; returns its
/// time-weighted mean in % of all GPU memory.
fn wait_all(globals: &Globals, inventory: &GpuInventory, jobs: &mut [Job]) -> anyhow::Result<f64> {
    let total = inventory.total_memory().max(1) as f64;
    let (mut weighted, mut elapsed) = (0.0, 0.0);
    let mut last = Instant::now();
    while jobs.iter().any(|j| j.code.is_none()) {
        std::thread::sleep(POLL);
        for job in jobs.iter_mut().filter(|j| j.code.is_none()) {
            if let Some(status) = job.child.try_wait().context("waiting for a run")? {
                job.code = Some(status.code().unwrap_or(128 + 9));
            }
        }
        // A ledger being replaced at this instant reads as empty: one poll.
        let ledger = runtime::read_ledger(&globals.state_root.join(runtime::LEDGER_FILE))
            .unwrap_or_default();
        let pending: Vec<GpuRequest> = jobs
            .iter()
            .filter(|j| j.code.is_none() && !ledger.placements.values().any(|p| p.name == j.name))
            .filter_map(|j| j.gpu)
            .collect();
        let dt = last.elapsed().as_secs_f64();
        last = Instant::now();
        weighted += sched::gpu_policy::fragmentation(inventory, &ledger, &pending) as f64 / total
            * 100.0
            * dt;
        elapsed += dt;
    }
    Ok(if elapsed > 0.0 {
        weighted / elapsed
    } else {
        0.0
    })
}

/// The comparison row of one policy, from its events and samples.
fn result_of(
    policy: Policies,
    jobs: &[Job],
    events: &[EventRow],
    metrics: &[CpuMetricRow],
    fragmentation: f64,
) -> PolicyResult {
    let time_of = |name: &str, event: &str| {
        events
            .iter()
            .find(|e| e.container == name && e.event == event)
            .map(|e| e.time_s)
    };
    let starts: Vec<f64> = jobs
        .iter()
        .filter_map(|j| time_of(&j.name, "start"))
        .collect();
    let ends: Vec<f64> = jobs
        .iter()
        .filter_map(|j| time_of(&j.name, "exit"))
        .collect();
    let makespan = ends.iter().copied().fold(0.0, f64::max);
    let cores: Vec<f64> = metrics
        .iter()
        .filter(|r| r.kind == "core" && r.time_s <= makespan + 1e-9)
        .map(|r| r.cpu_pct)
        .collect();
    PolicyResult {
        policy: policy.to_string(),
        jobs: jobs.len() as u32,
        completed: jobs.iter().filter(|j| j.code == Some(0)).count() as u32,
        makespan_s: makespan,
        mean_completion_s: mean(&ends),
        mean_wait_s: mean(&starts),
        cpu_utilisation_pct: mean(&cores),
        gpu_fragmentation_pct: fragmentation,
    }
}

fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        0.0
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}
