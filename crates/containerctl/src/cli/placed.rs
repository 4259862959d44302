//! The path of one YAML workload through `run`, as named steps: load and
//! validate it, place it (with `--policy`, `--gpus`, `--wait`), lower it
//! to a Spec with the placement applied, run it with its record
//! (`execute`), and draw the record's graphs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use sched::gpu::{GpuInventory, InventorySource};
use sched::place::{Policies, Request};
use sched::topology::Topology;

use super::decision_log::{log_and_record, summary};
use super::execute::{execute_recorded, Watched};
use super::Globals;
use crate::lifecycle::{detach, Registered, Registration};
use crate::place::{self as placement, CgroupPlace, Machine, Placed};
use crate::recorder::{self, Recorder};

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
    /// The container's standard streams.
    pub stdio: runtime::Stdio,
    /// Keep the container's record after it exits (`run -d` without `--rm`).
    pub keep_record: bool,
    /// With a new terminal: relay the CLI's stdin to it too (`-i`), with
    /// the CLI's terminal in raw mode.
    pub interactive: bool,
    /// `--ip`: the bridge address asked for.
    pub address: Option<std::net::Ipv4Addr>,
    /// `--add-host`: more /etc/hosts entries.
    pub hosts: Vec<(String, std::net::Ipv4Addr)>,
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
    let mut workload = source.load(&host)?;
    let _layers_in_use = super::resolve_image::resolve(&run.globals.image_root, &mut workload)?;
    let id = runtime::new_container_id().context("making a container id")?;
    let short = runtime::short_id(&id).to_string();
    let span = tracing::info_span!("container", id = %short);
    let _entered = span.enter();
    let mut reg = Registered::create(
        run.globals,
        &Registration {
            id: &id,
            explicit_name: name,
            default_name: workload.name.as_deref(),
            detached: detach::is_monitor(),
            keep: run.keep_record,
            source: source.file.display().to_string(),
            command: workload.args.clone(),
        },
    )?;
    detach::report_id(&id);
    let name = reg.name().to_string();
    tracing::info!(step = "spec", id = %id, "workload {}: {}", source.file.display(), summary(&workload));

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
    let stem = source
        .file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("workload");
    let recorder = open_record(record, workload.name.as_deref().unwrap_or(stem), &short)?;
    let request = request_of(&workload);
    let cgroups = cgroup_place(run.globals)?;
    let machine = Machine {
        state_root: &run.globals.state_root,
        topology: &topology,
        inventory: &inventory,
        cgroups: &cgroups,
    };
    let mut on_queued = |e: &sched::SchedError| {
        if let Some(rec) = &recorder {
            record_queued(rec, &name, &request, policies, &inventory, e);
        }
    };
    let placed = match placement::place(
        &machine,
        &id,
        &name,
        &request,
        policies,
        place.wait,
        &mut on_queued,
    ) {
        Ok(placed) => placed,
        Err(e) => {
            if let Some(rec) = &recorder {
                rec.event(&name, "refused", format!("{e:#}"));
                finish_record(rec, record);
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
    spec::assign(&mut oci, &assignment(&placed, &inventory))?;
    let gpus: Vec<u32> = placed
        .decision
        .gpu
        .iter()
        .flat_map(|g| &g.grants)
        .map(|g| g.gpu)
        .collect();
    let watched = Watched {
        id: &id,
        name: &name,
        recorder: recorder.as_ref(),
        record,
        machine: &machine,
        cpus: &placed.decision.cpu.grant.cpus,
        gpus: &gpus,
        on_pool: !placed.decision.cpu.grant.pinned,
    };
    let outcome = execute_recorded(run, &mut oci, &watched, &mut reg);
    drop(placed);
    if let Some(rec) = &recorder {
        finish_record(rec, record);
    }
    Ok(outcome?.exit_code())
}

/// The record of a request that waits: an event, and a GPU row if it asked for GPUs.
fn record_queued(
    rec: &Recorder,
    name: &str,
    request: &Request,
    policies: Policies,
    inventory: &GpuInventory,
    why: &sched::SchedError,
) {
    rec.event(name, "queued", why.to_string());
    if let Some(gpu) = &request.gpu {
        let row = recorder::gpu_row(
            rec.time_s(),
            name,
            gpu,
            policies.gpu.name(),
            inventory,
            None,
            "queued",
        );
        if let Err(e) = rec.append(record::GPU_CSV, &[row]) {
            tracing::warn!(step = "record", "could not record the wait: {e:#}");
        }
    }
}

/// What the workload asks the scheduler for.
pub fn request_of(workload: &spec::Workload) -> Request {
    Request {
        cpu: sched::cpu_policy::CpuRequest {
            millis: workload.cpu.map_or(0, |c| c.millis),
            exclusive: workload.exclusive,
        },
        fixed_cpus: workload.cpus.clone(),
        gpu: workload.gpu,
    }
}

/// The decision as the Spec needs it: cpuset, GPU indices and UUIDs, nodes.
fn assignment(placed: &Placed, inventory: &GpuInventory) -> spec::Assignment {
    let gpus: Vec<(u32, String)> = placed
        .decision
        .gpu
        .iter()
        .flat_map(|g| &g.grants)
        .map(|g| {
            let uuid = inventory
                .gpus
                .get(g.gpu as usize)
                .map_or_else(String::new, |gpu| gpu.uuid.clone());
            (g.gpu, uuid)
        })
        .collect();
    let indices: Vec<u32> = gpus.iter().map(|(i, _)| *i).collect();
    spec::Assignment {
        cpus: placed.decision.cpu.grant.cpus.clone(),
        devices: crate::gpus::device_nodes(inventory, &indices),
        simulated: inventory.is_simulated(),
        gpus,
    }
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

/// Draws the graphs of a record of its own (not of one joined with --record-into).
fn finish_record(rec: &Recorder, record: &RecordArgs) {
    if record.record_into.is_some() {
        return;
    }
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

pub fn cgroup_place(globals: &Globals) -> anyhow::Result<CgroupPlace> {
    Ok(CgroupPlace {
        layout: cgroups::detect()?,
        parent: globals.cgroup_parent.clone(),
    })
}
