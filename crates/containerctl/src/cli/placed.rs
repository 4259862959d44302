//! The path of one YAML workload through `run`: placement (with `--policy`,
//! `--gpus`, `--wait`), the record directory, the sampler, and the
//! execution shared with `run --bundle` ([`execute`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use runtime::RunOutcome;
use sched::gpu::{GpuInventory, InventorySource};
use sched::place::{Policies, Request};
use sched::topology::Topology;

use super::Globals;
use crate::place::{self as placement, Machine, Placed};
use crate::recorder::{self, Recorder, Sampler, Targets};

#[derive(Debug, Clone, clap::Args)]
pub struct PlaceArgs {
    /// Placement policy: least-loaded (default), pack, spread, topology; a GPU
    /// policy (best-fit, first-fit, …); or both as CPU+GPU, e.g. pack+first-fit.
    /// Overrides the workload's `policy:` and `gpu_policy:`.
    #[arg(long, value_name = "POLICY")]
    pub policy: Option<Policies>,
    /// Simulated GPU inventory file (YAML `gpus:` list) instead of NVML or the built-in one.
    #[arg(long, value_name = "FILE", env = "CONTAINERCTL_GPUS")]
    pub gpus: Option<PathBuf>,
    /// When the cores or GPUs asked for are taken, wait for them instead of refusing.
    #[arg(long)]
    pub wait: bool,
}

#[derive(Debug, Clone, clap::Args)]
pub struct RecordArgs {
    /// Where run records go: one directory per run inside it.
    #[arg(
        long,
        value_name = "DIR",
        default_value = "experiments",
        env = "CONTAINERCTL_RECORD_DIR"
    )]
    pub record_dir: PathBuf,
    /// Write no record (no CSVs, no graphs, no sampler).
    #[arg(long, conflicts_with = "record_into")]
    pub no_record: bool,
    /// Append to an existing record directory (used by `experiment`); draws no graph.
    #[arg(long, value_name = "DIR", hide = true)]
    pub record_into: Option<PathBuf>,
    /// Seconds between metric samples.
    #[arg(long, value_name = "SECS", default_value_t = 0.5)]
    pub sample_interval: f64,
}

/// What every run shares.
pub struct Run<'a> {
    pub globals: &'a Globals,
    pub init: bool,
    pub stop_timeout: Duration,
}

/// A workload file, or one entry of a file of several.
pub struct Source<'a> {
    pub file: &'a Path,
    pub entry: Option<&'a str>,
}

impl Source<'_> {
    fn load(&self, host: &spec::HostFacts) -> anyhow::Result<spec::Workload> {
        let Some(entry) = self.entry else {
            return Ok(spec::load_workload(self.file, host)?);
        };
        spec::load_batch(self.file, host)?
            .into_iter()
            .find(|w| w.name.as_deref() == Some(entry))
            .with_context(|| format!("{}: no workload named {entry:?}", self.file.display()))
    }
}

/// Places, records and runs the workload from `source`.
pub fn run_workload(
    run: &Run,
    source: &Source,
    name: Option<&str>,
    place: &PlaceArgs,
    record: &RecordArgs,
) -> anyhow::Result<i32> {
    let host = crate::host::facts()?;
    let workload = source.load(&host)?;
    let file = source.file;
    let id = runtime::new_container_id().context("making a container id")?;
    let short = runtime::short_id(&id).to_string();
    let name = name
        .map(String::from)
        .or_else(|| workload.name.clone())
        .unwrap_or_else(|| short.clone());
    let span = tracing::info_span!("container", id = %short);
    let _entered = span.enter();
    tracing::info!(step = "spec", id = %id, "workload {}: {}", file.display(), summary(&workload));

    let topology = Topology::from_sysfs(Path::new("/sys"), Some(&host.cpus))?;
    let inventory = match workload.gpu {
        Some(_) => crate::gpus::inventory(place.gpus.as_deref())?,
        None => GpuInventory {
            source: InventorySource::SimulatedDefault,
            gpus: Vec::new(),
        },
    };
    let policies = place.policy.unwrap_or(Policies {
        cpu: workload.policy.unwrap_or_default(),
        gpu: workload.gpu_policy.unwrap_or_default(),
    });
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("workload");
    let recorder = open_record(record, workload.name.as_deref().unwrap_or(stem), &short)?;
    let request = Request {
        cpu: sched::cpu_policy::CpuRequest {
            millis: workload.cpu.map_or(0, |c| c.millis),
            exclusive: workload.exclusive,
        },
        fixed_cpus: workload.cpus.clone(),
        gpu: workload.gpu,
    };
    let machine = Machine {
        state_root: &run.globals.state_root,
        topology: &topology,
        inventory: &inventory,
    };
    let placed = match placement::place(&machine, &id, &name, &request, policies, place.wait) {
        Ok(placed) => placed,
        Err(e) => {
            if let Some(rec) = &recorder {
                rec.event(&name, "refused", format!("{e:#}"));
            }
            return Err(e);
        }
    };
    tracing::info!(step = "placement", "topology: {}", topology.describe());
    log_and_record(
        &placed,
        &request,
        policies,
        &inventory,
        &name,
        recorder.as_ref(),
    );

    let mut oci = spec::lower(&workload)?;
    let gpus: Vec<(u32, String)> = placed
        .decision
        .gpu
        .iter()
        .flat_map(|g| &g.grants)
        .map(|g| {
            (
                g.gpu,
                inventory
                    .gpus
                    .get(g.gpu as usize)
                    .map_or_else(String::new, |gpu| gpu.uuid.clone()),
            )
        })
        .collect();
    let indices: Vec<u32> = gpus.iter().map(|(i, _)| *i).collect();
    spec::assign(
        &mut oci,
        &spec::Assignment {
            cpus: placed.decision.cpu.grant.cpus.clone(),
            devices: crate::gpus::device_nodes(&inventory, &indices),
            simulated: inventory.is_simulated(),
            gpus,
        },
    )?;

    let cores = spec::cpulist::format(&placed.decision.cpu.grant.cpus);
    let watched = Watched {
        id: &id,
        name: &name,
        recorder: recorder.as_ref(),
        record,
    };
    let outcome = execute_recorded(run, &mut oci, &watched, &cores);
    drop(placed);
    if let (Some(rec), None) = (&recorder, &record.record_into) {
        finish_record(rec);
    }
    Ok(outcome?.exit_code())
}

/// A container being run and recorded.
struct Watched<'a> {
    id: &'a str,
    name: &'a str,
    recorder: Option<&'a Recorder>,
    record: &'a RecordArgs,
}

/// Runs the container with start/exit events and, for a run record of its
/// own, the metrics sampler (started once PID 1 exists: see
/// [`runtime::run_observed`] for why not earlier).
fn execute_recorded(
    run: &Run,
    oci: &mut oci_spec::runtime::Spec,
    w: &Watched,
    cores: &str,
) -> anyhow::Result<RunOutcome> {
    let mut sampling = match (w.recorder, &w.record.record_into) {
        (Some(rec), None) => Some((
            rec.clone(),
            sample_interval(w.record.sample_interval)?,
            cgroup_place(run.globals)?,
        )),
        _ => None,
    };
    if let Some(rec) = w.recorder {
        rec.event(w.name, "start", format!("cores {cores}"));
    }
    let mut sampler = None;
    let mut start_sampler = |_pid: i32| {
        let Some((rec, interval, place)) = sampling.take() else {
            return;
        };
        let targets = Targets::One {
            name: w.name.to_string(),
            id: w.id.to_string(),
        };
        match Sampler::start(rec, interval, targets, place) {
            Ok(started) => sampler = Some(started),
            Err(e) => tracing::warn!(step = "metrics", "no metrics for this run: {e:#}"),
        }
    };
    let outcome = execute(run, oci, w.id, &mut start_sampler);
    if let Some(rec) = w.recorder {
        let detail = match &outcome {
            Ok(o) => format!("exit {}: {}", o.exit_code(), o.describe()),
            Err(e) => format!("failed: {e}"),
        };
        rec.event(w.name, "exit", detail);
    }
    if let Some(sampler) = sampler {
        sampler.stop();
    }
    outcome
}

fn open_record(record: &RecordArgs, name: &str, short: &str) -> anyhow::Result<Option<Recorder>> {
    if record.no_record {
        return Ok(None);
    }
    Ok(Some(match &record.record_into {
        Some(dir) => Recorder::join(dir)?,
        None => Recorder::create(&recorder::run_dir(&record.record_dir, name, short))?,
    }))
}

fn finish_record(rec: &Recorder) {
    match rec.draw() {
        Ok(pngs) => tracing::info!(
            step = "record",
            dir = %rec.path().display(),
            "record written to {} (CSVs and {} graph(s)); redraw with: containerctl report {}",
            rec.path().display(),
            pngs.len(),
            rec.path().display()
        ),
        Err(e) => tracing::warn!(
            step = "record",
            "could not draw the graphs in {}: {e:#}",
            rec.path().display()
        ),
    }
}

fn sample_interval(secs: f64) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(secs)
        .ok()
        .filter(|d| *d >= Duration::from_millis(10))
        .with_context(|| format!("--sample-interval {secs}: give at least 0.01 seconds"))
}

pub fn cgroup_place(globals: &Globals) -> anyhow::Result<recorder::CgroupPlace> {
    Ok(recorder::CgroupPlace {
        layout: cgroups::detect()?,
        parent: globals.cgroup_parent.clone(),
    })
}

/// Logs the decision and writes its rows.
fn log_and_record(
    placed: &Placed,
    request: &Request,
    policies: Policies,
    inventory: &GpuInventory,
    name: &str,
    recorder: Option<&Recorder>,
) {
    let cpu = &placed.decision.cpu;
    let cores = spec::cpulist::format(&cpu.grant.cpus);
    let seen: Vec<String> = cpu
        .seen
        .iter()
        .map(|(c, l)| format!("cpu{c} {l:.0}%"))
        .collect();
    let how = match (&request.fixed_cpus, cpu.grant.pinned, cpu.grant.exclusive) {
        (Some(_), _, _) => "pinned by cpus:".to_string(),
        (None, true, true) => format!("pinned exclusively by {}", policies.cpu),
        (None, true, false) => format!("pinned by {}", policies.cpu),
        (None, false, _) => "shared pool, limited by quota".to_string(),
    };
    if let Some(waited) = placed.waited {
        tracing::info!(
            step = "placement",
            "waited {:.1} s for the resources",
            waited.as_secs_f64()
        );
    }
    tracing::info!(step = "affinity", cores = %cores, policy = %policies.cpu, "cores chosen: {cores} ({how}; load seen: {})", seen.join(", "));
    if let (Some(gpu_req), Some(choice)) = (&request.gpu, &placed.decision.gpu) {
        tracing::info!(step = "gpu", "GPU inventory: {}", inventory.describe());
        for (grant, (before, after)) in choice
            .grants
            .iter()
            .zip(choice.free_before.iter().zip(&choice.free_after))
        {
            let model = inventory
                .gpus
                .get(grant.gpu as usize)
                .map_or("?", |g| g.model.as_str());
            tracing::info!(
                step = "gpu",
                gpu = grant.gpu,
                policy = %policies.gpu,
                "GPU chosen: {} ({model}{}) for {}: free {} → {}",
                grant.gpu,
                if inventory.is_simulated() { ", simulated: nothing runs on it" } else { "" },
                gpu_req.describe(),
                gib(*before),
                gib(*after)
            );
        }
    }
    let Some(rec) = recorder else { return };
    let time_s = rec.time_s();
    let row = recorder::affinity_row(time_s, name, &policies.to_string(), cpu);
    if let Err(e) = rec.append(record::AFFINITY_CSV, &[row]) {
        tracing::warn!(step = "record", "could not record the placement: {e:#}");
    }
    if let Some(gpu_req) = &request.gpu {
        let row = recorder::gpu_row(
            time_s,
            name,
            gpu_req,
            policies.gpu.name(),
            inventory,
            placed.decision.gpu.as_ref(),
            "placed",
        );
        if let Err(e) = rec.append(record::GPU_CSV, &[row]) {
            tracing::warn!(step = "record", "could not record the GPU decision: {e:#}");
        }
    }
}

fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / (1u64 << 30) as f64)
}

/// Runs a Spec as container `id` and logs how it ended.
pub fn execute(
    run: &Run,
    oci: &mut oci_spec::runtime::Spec,
    id: &str,
    on_started: &mut dyn FnMut(i32),
) -> anyhow::Result<RunOutcome> {
    let timeout = timeout_of(oci)?;
    if oci.hostname().is_none() && has_own_uts_namespace(oci) {
        oci.set_hostname(Some(runtime::short_id(id).to_string()));
    }
    let layout = cgroups::detect()?;
    tracing::info!(step = "cgroup", "cgroup layout: {}", layout.describe());
    let container = runtime::Container {
        id: id.to_string(),
        state_root: run.globals.state_root.clone(),
        cgroup_layout: layout,
        cgroup_parent: run.globals.cgroup_parent.clone(),
    };
    let options = runtime::RunOptions {
        init: run.init,
        stop_timeout: run.stop_timeout,
        timeout,
    };
    let outcome = runtime::run_observed(oci, &container, &options, on_started)?;
    let code = outcome.exit_code();
    if code == 0 {
        tracing::info!(
            step = "exit",
            exit_code = code,
            "container {}",
            outcome.describe()
        );
    } else {
        tracing::warn!(
            step = "exit",
            exit_code = code,
            "container {}",
            outcome.describe()
        );
    }
    Ok(outcome)
}

/// The workload's `timeout`, carried in the Spec's annotation so a bundle
/// made with `containerctl spec` behaves like the YAML it came from.
fn timeout_of(oci: &oci_spec::runtime::Spec) -> anyhow::Result<Option<Duration>> {
    let Some(text) = oci
        .annotations()
        .as_ref()
        .and_then(|a| a.get(spec::ANNOTATION_TIMEOUT))
    else {
        return Ok(None);
    };
    let millis: u64 = text.parse().with_context(|| {
        format!(
            "annotation {}: {text:?} is not milliseconds",
            spec::ANNOTATION_TIMEOUT
        )
    })?;
    Ok(Some(Duration::from_millis(millis)))
}

fn has_own_uts_namespace(oci: &oci_spec::runtime::Spec) -> bool {
    oci.linux()
        .as_ref()
        .and_then(|l| l.namespaces().as_ref())
        .is_some_and(|namespaces| {
            namespaces.iter().any(|n| {
                n.typ() == oci_spec::runtime::LinuxNamespaceType::Uts && n.path().is_none()
            })
        })
}

/// One line describing a workload's resources and command.
pub fn summary(w: &spec::Workload) -> String {
    let mut parts = Vec::new();
    if let Some(cpu) = &w.cpu {
        parts.push(format!(
            "cpu {}{}",
            cpu.cores(),
            if w.exclusive { " exclusive" } else { "" }
        ));
    }
    if let Some(memory) = w.memory {
        parts.push(format!("memory {} MiB", memory as f64 / 1048576.0));
    }
    if let Some(gpu) = &w.gpu {
        parts.push(format!("gpu {}", gpu.describe()));
    }
    if let Some(pids) = w.pids {
        parts.push(format!("pids {pids}"));
    }
    if let Some(cpus) = &w.cpus {
        parts.push(format!("cpus {}", spec::cpulist::format(cpus)));
    }
    if let Some(timeout) = w.timeout {
        parts.push(format!("timeout {timeout:?}"));
    }
    parts.push(format!("command {:?}", w.args.join(" ")));
    parts.join(", ")
}
