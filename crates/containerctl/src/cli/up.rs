//! `up FILE` and `down FILE`: the containers of a multi-workload file
//! (`containers:`) started together, like `docker compose up -d`, and
//! stopped and removed together. `up` first checks that all of them fit
//! beside what already runs (placement decided jointly, on a copy of the
//! ledger) and that their names are free, and refuses as a whole,
//! starting nothing, if not. It then starts each as `run -d --entry NAME`;
//! if one still fails (the machine changed meanwhile), the ones already
//! started are removed again. Entries on the bridge get their addresses
//! decided up front (`run --ip`), and each names all of them in its
//! /etc/hosts (`run --add-host`), so they reach each other by name.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;
use sched::gpu::{GpuInventory, InventorySource};
use sched::place::Policies;
use sched::topology::Topology;

use super::placed::{cgroup_place, request_of};
use super::Globals;
use crate::lifecycle::{detach::MonitorFailure, target::Target};
use crate::place::Machine;

#[derive(Debug, clap::Args)]
pub struct UpArgs {
    /// A file with a `containers:` list.
    pub file: PathBuf,
    /// Placement policy for all of them (see `run --policy`).
    #[arg(long, value_name = "POLICY")]
    pub policy: Option<Policies>,
    /// Simulated GPU inventory file instead of NVML or the built-in one.
    #[arg(long, value_name = "FILE", env = "CONTAINERCTL_GPUS")]
    pub gpus: Option<PathBuf>,
    /// Write no run records.
    #[arg(long)]
    pub no_record: bool,
}

#[derive(Debug, clap::Args)]
pub struct DownArgs {
    /// The file `up` was given.
    pub file: PathBuf,
    /// Seconds between SIGTERM and SIGKILL.
    #[arg(
        short = 't',
        long = "time",
        default_value_t = 10.0,
        value_name = "SECS"
    )]
    pub time: f64,
}

pub fn up(globals: &Globals, args: UpArgs) -> anyhow::Result<i32> {
    let workloads = entries(&args.file)?;
    let store = crate::lifecycle::store_of(globals);
    for w in &workloads {
        if let Some(id) = store.names().owner(&w.name) {
            return Err(runtime::RuntimeError::NameInUse {
                name: w.name.clone(),
                id: runtime::short_id(&id).to_string(),
            }
            .into());
        }
    }
    check_fit(globals, &args, &workloads)?;
    let addresses = bridge_addresses(globals, &workloads)?;
    let mut started: Vec<String> = Vec::new();
    for w in &workloads {
        match start(globals, &args, &w.name, &addresses) {
            Ok(id) => {
                println!("{} {}", w.name, runtime::short_id(&id));
                started.push(id);
            }
            Err(e) => {
                roll_back(globals, &started);
                return Err(e.context(format!(
                    "starting {} (the others were removed again)",
                    w.name
                )));
            }
        }
    }
    Ok(0)
}

pub fn down(globals: &Globals, args: DownArgs) -> anyhow::Result<i32> {
    let grace = super::stop::grace_period(args.time)?;
    for w in entries(&args.file)? {
        let mut target = match Target::find(globals, &w.name) {
            Ok(target) => target,
            Err(e) if no_such(&e) => {
                println!("{}: not there", w.name);
                continue;
            }
            Err(e) => return Err(e),
        };
        super::stop::stop_one(&mut target, grace).or_else(|e| {
            // One whose monitor died is removed below all the same.
            if target.status() == runtime::store::Status::Dead {
                Ok(())
            } else {
                Err(e)
            }
        })?;
        super::rm::remove_one(globals, &mut target, true)?;
        println!("{}: removed", w.name);
    }
    Ok(0)
}

/// The named entries of the file.
fn entries(file: &Path) -> anyhow::Result<Vec<Named>> {
    let host = crate::host::facts()?;
    let workloads = spec::load_batch(file, &host)?;
    Ok(workloads
        .into_iter()
        .map(|w| Named {
            name: w.name.clone().unwrap_or_default(),
            workload: w,
        })
        .collect())
}

struct Named {
    name: String,
    workload: spec::Workload,
}

/// All of them together, beside what runs now, or an error naming the first misfit.
fn check_fit(globals: &Globals, args: &UpArgs, workloads: &[Named]) -> anyhow::Result<()> {
    let host = crate::host::facts()?;
    let topology = Topology::from_sysfs(Path::new("/sys"), Some(&host.cpus))?;
    let inventory = if workloads.iter().any(|w| w.workload.gpu.is_some()) {
        crate::gpus::inventory(args.gpus.as_deref())?
    } else {
        GpuInventory {
            source: InventorySource::SimulatedDefault,
            gpus: Vec::new(),
        }
    };
    let cgroups = cgroup_place(globals)?;
    let machine = Machine {
        state_root: &globals.state_root,
        topology: &topology,
        inventory: &inventory,
        cgroups: &cgroups,
    };
    let requests: Vec<_> = workloads
        .iter()
        .map(|w| {
            let policies = args.policy.unwrap_or(Policies {
                cpu: w.workload.policy.unwrap_or_default(),
                gpu: w.workload.gpu_policy.unwrap_or_default(),
            });
            (w.name.clone(), request_of(&w.workload), policies)
        })
        .collect();
    crate::place::fit_jointly(&machine, &requests)
}

/// An address for each `network: bridge` entry, decided up front so that
/// every one of them can name all the others in its /etc/hosts.
fn bridge_addresses(
    globals: &Globals,
    workloads: &[Named],
) -> anyhow::Result<Vec<(String, std::net::Ipv4Addr)>> {
    let names: Vec<&str> = workloads
        .iter()
        .filter(|w| w.workload.network == spec::Network::Bridge)
        .map(|w| w.name.as_str())
        .collect();
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let free = runtime::net::free_addresses(
        &globals.state_root,
        &globals.bridge,
        globals.subnet,
        names.len(),
    )?;
    Ok(names.into_iter().map(String::from).zip(free).collect())
}

/// `containerctl run -d --entry NAME FILE` with our global options (and,
/// on the bridge, its address and its peers' names); the id.
fn start(
    globals: &Globals,
    args: &UpArgs,
    name: &str,
    addresses: &[(String, std::net::Ipv4Addr)],
) -> anyhow::Result<String> {
    let mut command = Command::new("/proc/self/exe");
    command
        .arg("--root")
        .arg(&globals.state_root)
        .arg("--cgroup-parent")
        .arg(&globals.cgroup_parent)
        .arg("--image-root")
        .arg(&globals.image_root)
        .arg("--bridge")
        .arg(&globals.bridge);
    if let Some(subnet) = &globals.subnet {
        command.arg("--subnet").arg(subnet.to_string());
    }
    command
        .args(["-q", "run", "-d", "--entry", name, "--name", name])
        .arg(&args.file);
    if let Some((_, address)) = addresses.iter().find(|(n, _)| n == name) {
        command.arg("--ip").arg(address.to_string());
        for (peer, address) in addresses {
            command.arg("--add-host").arg(format!("{peer}:{address}"));
        }
    }
    if let Some(policy) = &args.policy {
        command.arg("--policy").arg(policy.to_string());
    }
    if let Some(gpus) = &args.gpus {
        command.arg("--gpus").arg(gpus);
    }
    if args.no_record {
        command.arg("--no-record");
    }
    let output = command.output().context("starting `containerctl run -d`")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    match output.status.code() {
        Some(0) => Ok(stdout.trim().to_string()),
        code => {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let message = stderr.trim().trim_start_matches("containerctl: error: ");
            Err(MonitorFailure {
                code: code.unwrap_or(runtime::EXIT_RUNTIME_FAILURE),
                message: message.to_string(),
            }
            .into())
        }
    }
}

/// Kills and removes the containers `up` started before a failure.
fn roll_back(globals: &Globals, ids: &[String]) {
    for id in ids {
        let removed = Target::find(globals, id)
            .and_then(|mut target| super::rm::remove_one(globals, &mut target, true));
        if let Err(e) = removed {
            tracing::warn!(
                step = "up",
                "could not remove {}: {e:#}",
                runtime::short_id(id)
            );
        }
    }
}

fn no_such(e: &anyhow::Error) -> bool {
    matches!(
        e.downcast_ref::<runtime::RuntimeError>(),
        Some(runtime::RuntimeError::NoSuchContainer(_))
    )
}
