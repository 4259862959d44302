//! Running a placed container: start and exit events in its record, the
//! metrics sampler started once PID 1 exists, the pool cpuset synced once
//! its cgroup exists, and the execution shared with `run --bundle`
//! ([`execute`]): timeout, default hostname, cgroup layout, a terminal
//! relay for `-t` (raw mode with `-i`), outcome log.

use std::time::Duration;

use anyhow::Context;
use runtime::RunOutcome;

use super::placed::{RecordArgs, Run};
use crate::lifecycle::Registered;
use crate::place::{sync_pool, Machine};

/// The cores and GPUs a container was given, for its record.
#[derive(Debug, Clone, Copy, Default)]
pub struct Assigned<'a> {
    pub cpus: &'a [u32],
    pub gpus: &'a [u32],
}
use crate::recorder::{Recorder, Sampler, Targets};

/// A container being run and recorded.
pub struct Watched<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub recorder: Option<&'a Recorder>,
    pub record: &'a RecordArgs,
    pub machine: &'a Machine<'a>,
    /// The cores its Spec was given.
    pub cpus: &'a [u32],
    /// The GPUs it was given.
    pub gpus: &'a [u32],
    /// It runs on the shared pool (not pinned), whose cores may change.
    pub on_pool: bool,
}

/// Runs the container with start/exit events and, for a run record of its
/// own, the metrics sampler. Both the sampler and the pool sync start once
/// PID 1 is in its cgroups: see [`runtime::run_observed`] for why the
/// sampler thread cannot start earlier.
pub fn execute_recorded(
    run: &Run,
    oci: &mut oci_spec::runtime::Spec,
    w: &Watched,
    reg: &mut Registered,
) -> anyhow::Result<RunOutcome> {
    let mut sampling = match (w.recorder, &w.record.record_into) {
        (Some(rec), None) => Some((rec.clone(), sample_interval(w.record.sample_interval)?)),
        _ => None,
    };
    if let Some(rec) = w.recorder {
        rec.event(
            w.name,
            "start",
            format!("cores {}", spec::cpulist::format(w.cpus)),
        );
    }
    let mut sampler = None;
    let mut on_started = |event: runtime::Event| {
        if !matches!(event, runtime::Event::Started(_)) {
            return;
        }
        let m = w.machine;
        if w.on_pool {
            if let Err(e) = sync_pool(m.state_root, m.cgroups, w.id, w.cpus) {
                tracing::warn!(step = "placement", "could not sync the shared pool: {e:#}");
            }
        }
        let Some((rec, interval)) = sampling.take() else {
            return;
        };
        let targets = Targets::One {
            name: w.name.to_string(),
            id: w.id.to_string(),
        };
        match Sampler::start(rec, interval, targets, m.cgroups.clone()) {
            Ok(started) => sampler = Some(started),
            Err(e) => tracing::warn!(step = "metrics", "no metrics for this run: {e:#}"),
        }
    };
    let assigned = Assigned {
        cpus: w.cpus,
        gpus: w.gpus,
    };
    let outcome = execute(run, oci, reg, assigned, &mut on_started);
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

/// `--sample-interval` as a duration (at least 10 ms).
pub fn sample_interval(secs: f64) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(secs)
        .ok()
        .filter(|d| *d >= Duration::from_millis(10))
        .ok_or_else(|| {
            crate::exit::BadUsage(format!(
                "--sample-interval {secs}: give at least 0.01 seconds"
            ))
            .into()
        })
}

/// Runs a Spec as the registered container `reg`, keeps its record up to
/// date (PID 1, cgroups, exit status) and logs how it ended.
pub fn execute(
    run: &Run,
    oci: &mut oci_spec::runtime::Spec,
    reg: &mut Registered,
    placed: Assigned,
    on_event: &mut dyn FnMut(runtime::Event),
) -> anyhow::Result<RunOutcome> {
    let id = reg.state.id.clone();
    let timeout = timeout_of(oci)?;
    if oci.hostname().is_none() && has_own_uts_namespace(oci) {
        oci.set_hostname(Some(runtime::short_id(&id).to_string()));
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
        stdio: reg.stdio(run.stdio),
        network: bridge_request(run, oci)?,
    };
    let cgroup_paths =
        cgroups::open(&container.cgroup_layout, &container.cgroup_parent, &id).paths();
    let oci: &oci_spec::runtime::Spec = oci;
    let mut pid1 = None;
    let mut address = None;
    // The record is written once the workload runs, not while PID 1 waits
    // for its cgroups: that wait is on every start's critical path.
    let mut observe = |event: runtime::Event| {
        match event {
            runtime::Event::Started(pid) => pid1 = Some(pid),
            runtime::Event::Address(a) => address = Some(a),
            runtime::Event::Running => {
                if let Some(pid) = pid1 {
                    reg.save_spec(oci);
                    reg.started(pid, cgroup_paths.clone(), placed, address);
                }
                crate::lifecycle::detach::report_running();
            }
            runtime::Event::Terminal(_) => {}
        }
        on_event(event);
    };
    let outcome = run_attached(run, oci, &container, &options, &mut observe);
    reg.finished(outcome.as_ref().map_err(|e| format!("{e:#}")));
    let outcome = outcome?;
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

/// Runs the container, with its new terminal attached to ours for `-t`.
fn run_attached(
    run: &Run,
    oci: &oci_spec::runtime::Spec,
    container: &runtime::Container,
    options: &runtime::RunOptions,
    on_event: &mut dyn FnMut(runtime::Event),
) -> anyhow::Result<RunOutcome> {
    let new_terminal = matches!(run.stdio, runtime::Stdio::NewTerminal(_));
    let outcome = crate::terminal::attached(new_terminal, run.interactive, on_event, |events| {
        runtime::run_observed(oci, container, options, events)
    })?;
    Ok(outcome?)
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

/// `network: bridge` (the Spec's annotation, so a bundle made with
/// `containerctl spec` behaves like its YAML): the bridge of `--bridge`,
/// the ports of the annotation, `--ip` and `--add-host`.
fn bridge_request(
    run: &Run,
    oci: &oci_spec::runtime::Spec,
) -> anyhow::Result<Option<runtime::net::BridgeRequest>> {
    let annotation = |key: &str| oci.annotations().as_ref().and_then(|a| a.get(key).cloned());
    let network = annotation(spec::ANNOTATION_NETWORK).unwrap_or_default();
    if network != spec::Network::Bridge.as_str() {
        if run.address.is_some() || !run.hosts.is_empty() {
            return Err(crate::exit::BadUsage(
                "--ip and --add-host need a workload with `network: bridge`".into(),
            )
            .into());
        }
        return Ok(None);
    }
    let ports =
        spec::ports_from_annotation(&annotation(spec::ANNOTATION_PORTS).unwrap_or_default())
            .map_err(|e| anyhow::anyhow!("annotation {}: {e}", spec::ANNOTATION_PORTS))?;
    Ok(Some(runtime::net::BridgeRequest {
        bridge: run.globals.bridge.clone(),
        subnet: run.globals.subnet,
        address: run.address,
        ports: ports
            .iter()
            .map(|p| runtime::net::Publish {
                host: std::net::SocketAddrV4::new(
                    p.host_ip.unwrap_or(std::net::Ipv4Addr::UNSPECIFIED),
                    p.host_port,
                ),
                container_port: p.container_port,
            })
            .collect(),
        hosts: run.hosts.clone(),
    }))
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
