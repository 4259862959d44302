//! `containerctl trace generate` writes a seeded synthetic trace of CPU/GPU
//! requests as CSV; `containerctl trace simulate TRACE --policy A --policy B`
//! replays it offline on a synthetic machine (no containers run) and
//! compares the policies, writing comparison.csv and graphs/comparison.png.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use sched::gpu::{Gpu, GpuInventory, InventorySource};
use sched::place::Policies;
use sched::simulate::{simulate, SimConfig};
use sched::topology::Topology;
use sched::trace::{generate, Job, TraceParams};

#[derive(Debug, clap::Subcommand)]
pub enum TraceCommand {
    /// Write a synthetic trace (CSV, one job per row) to stdout or --out.
    Generate(GenerateArgs),
    /// Replay a trace offline under several policies and compare them.
    Simulate(SimulateArgs),
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    #[arg(long, default_value_t = 1000)]
    pub jobs: u32,
    /// Mean time between arrivals, in milliseconds.
    #[arg(long, default_value_t = 500)]
    pub interarrival_ms: u64,
    /// Mean job duration, in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    pub duration_ms: u64,
    /// Largest CPU request, in cores.
    #[arg(long, default_value_t = 8)]
    pub max_cpus: u32,
    /// Share of jobs that ask for GPUs (0–1).
    #[arg(long, default_value_t = 0.6)]
    pub gpu_fraction: f64,
    /// Share of jobs that want their cores exclusively (0–1). The simulator
    /// lets non-exclusive jobs share a core without slowing down, so give 1
    /// to treat cores as capacity when comparing CPU policies.
    #[arg(long, default_value_t = 0.2)]
    pub exclusive_fraction: f64,
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// A trace written by `trace generate`.
    pub trace: PathBuf,
    /// A policy to compare (give one or more).
    #[arg(long = "policy", value_name = "POLICY", required = true)]
    pub policies: Vec<Policies>,
    /// Synthetic machine: NUMA nodes.
    #[arg(long, default_value_t = 2)]
    pub nodes: u32,
    /// Synthetic machine: physical cores per node.
    #[arg(long, default_value_t = 64)]
    pub cores_per_node: u32,
    /// Synthetic machine: SMT threads per core.
    #[arg(long, default_value_t = 2)]
    pub threads: u32,
    /// GPU inventory file; default: --gpu-count built-in simulated GPUs.
    #[arg(long, value_name = "FILE")]
    pub gpus: Option<PathBuf>,
    /// Number of simulated 40 GiB GPUs (NVLink pairs, split over the nodes).
    #[arg(long, default_value_t = 64)]
    pub gpu_count: u32,
    /// Directory for comparison.csv and graphs/comparison.png.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

pub fn run(command: TraceCommand) -> anyhow::Result<i32> {
    match command {
        TraceCommand::Generate(args) => generate_trace(args),
        TraceCommand::Simulate(args) => simulate_trace(args),
    }
}

fn generate_trace(args: GenerateArgs) -> anyhow::Result<i32> {
    let params = TraceParams {
        seed: args.seed,
        jobs: args.jobs,
        mean_interarrival_ms: args.interarrival_ms,
        mean_duration_ms: args.duration_ms,
        max_cpus: args.max_cpus,
        gpu_fraction: args.gpu_fraction,
        exclusive_fraction: args.exclusive_fraction,
        ..TraceParams::default()
    };
    let jobs = generate(&params)?;
    let sink: Box<dyn std::io::Write> = match &args.out {
        Some(path) => Box::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut writer = csv::Writer::from_writer(sink);
    for job in &jobs {
        writer.serialize(job).context("writing the trace")?;
    }
    writer.flush().context("writing the trace")?;
    Ok(0)
}

fn simulate_trace(args: SimulateArgs) -> anyhow::Result<i32> {
    let mut reader = csv::Reader::from_path(&args.trace)
        .with_context(|| format!("reading {}", args.trace.display()))?;
    let jobs: Vec<Job> = reader
        .deserialize()
        .enumerate()
        .map(|(n, row)| row.with_context(|| format!("{}: row {}", args.trace.display(), n + 2)))
        .collect::<anyhow::Result<_>>()?;
    let topology = Topology::synthetic(args.nodes, args.cores_per_node, args.threads);
    let inventory = match &args.gpus {
        Some(path) => GpuInventory::load(path)?,
        None => simulated_gpus(args.gpu_count, args.nodes),
    };
    println!(
        "{} jobs on {}; GPUs: {}",
        jobs.len(),
        topology.describe(),
        inventory.describe()
    );
    let mut results = Vec::new();
    for policies in &args.policies {
        let started = Instant::now();
        let config = SimConfig {
            topology: &topology,
            inventory: &inventory,
            cpu_policy: policies.cpu,
            gpu_policy: policies.gpu,
        };
        let r = simulate(&jobs, &config);
        println!(
            "{:<28} makespan {:>9.1} s  mean completion {:>8.1} s  mean wait {:>8.1} s  CPU {:>5.1} %  GPU fragmentation {:>5.1} %  ({} never fit; simulated in {:.0} ms)",
            policies.to_string(), r.makespan_ms as f64 / 1000.0, r.mean_completion_ms / 1000.0, r.mean_wait_ms / 1000.0,
            r.cpu_utilisation_pct, r.gpu_fragmentation_pct, r.never_fit, started.elapsed().as_secs_f64() * 1000.0
        );
        results.push(record::PolicyResult {
            policy: policies.to_string(),
            jobs: r.jobs,
            completed: r.completed,
            makespan_s: r.makespan_ms as f64 / 1000.0,
            mean_completion_s: r.mean_completion_ms / 1000.0,
            mean_wait_s: r.mean_wait_ms / 1000.0,
            cpu_utilisation_pct: r.cpu_utilisation_pct,
            gpu_fragmentation_pct: r.gpu_fragmentation_pct,
        });
    }
    if let Some(out) = &args.out {
        record::write_comparison(out, &results)?;
        record::redraw(out)?;
        println!("comparison written to {}", out.display());
    }
    Ok(0)
}

/// `count` simulated 40 GiB GPUs in NVLink pairs, spread evenly over `nodes`.
fn simulated_gpus(count: u32, nodes: u32) -> GpuInventory {
    let per_node = count.div_ceil(nodes.max(1)).max(1);
    let gpus = (0..count)
        .map(|index| Gpu {
            index,
            uuid: format!("SIM-GPU-{index}"),
            model: "Simulated A100-SXM4-40GB".into(),
            memory: 40 << 30,
            numa_node: Some(index / per_node),
            nvlink_peers: [index ^ 1].into_iter().filter(|&p| p < count).collect(),
        })
        .collect();
    GpuInventory {
        source: InventorySource::SimulatedDefault,
        gpus,
    }
}
