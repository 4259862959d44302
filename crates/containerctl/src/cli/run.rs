//! `containerctl run FILE`: validate the workload, lower it to an OCI Spec,
//! run it in a new container with its output streamed, and exit with its
//! status. Logs the chosen cores, the cgroup layout and every setup step.
//! `run --bundle DIR` runs an OCI bundle's config.json the same way.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;

use super::Globals;

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Workload file (YAML).
    #[arg(required_unless_present = "bundle", conflicts_with = "bundle")]
    pub file: Option<PathBuf>,
    /// Run an OCI bundle (a directory with config.json and its rootfs) instead.
    #[arg(long, value_name = "DIR")]
    pub bundle: Option<PathBuf>,
    /// Run a tiny init as PID 1 that reaps zombies and forwards signals.
    #[arg(long)]
    pub init: bool,
    /// Seconds between the stop signal (Ctrl-C, SIGTERM, timeout) and SIGKILL.
    #[arg(long, default_value_t = 10.0, value_name = "SECS")]
    pub stop_timeout: f64,
}

pub fn run(globals: &Globals, args: RunArgs) -> anyhow::Result<i32> {
    let host = crate::host::facts()?;
    let (mut oci, source) = match (&args.file, &args.bundle) {
        (Some(file), _) => {
            let workload = spec::load_workload(file, &host)?;
            let source = format!("workload {}: {}", file.display(), summary(&workload));
            (spec::lower(&workload)?, source)
        }
        (None, Some(dir)) => (
            spec::load_bundle(dir)?,
            format!("OCI bundle {}", dir.display()),
        ),
        (None, None) => anyhow::bail!("give a workload file or --bundle DIR"),
    };
    let timeout = timeout_of(&oci)?;
    let id = runtime::new_container_id().context("making a container id")?;
    if oci.hostname().is_none() && has_own_uts_namespace(&oci) {
        oci.set_hostname(Some(runtime::short_id(&id).to_string()));
    }
    let layout = cgroups::detect()?;
    let span = tracing::info_span!("container", id = runtime::short_id(&id));
    let _entered = span.enter();
    tracing::info!(step = "spec", id = %id, "{source}");
    tracing::info!(step = "cgroup", "cgroup layout: {}", layout.describe());
    log_placement(&oci, &host);
    let stop_timeout = Duration::try_from_secs_f64(args.stop_timeout)
        .with_context(|| format!("--stop-timeout {} is not a duration", args.stop_timeout))?;
    let container = runtime::Container {
        id,
        state_root: globals.state_root.clone(),
        cgroup_layout: layout,
        cgroup_parent: globals.cgroup_parent.clone(),
    };
    let options = runtime::RunOptions {
        init: args.init,
        stop_timeout,
        timeout,
    };
    let outcome = runtime::run(&oci, &container, &options)?;
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
    Ok(code)
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

/// Says which cores the container may use and what GPU it asked for.
fn log_placement(oci: &oci_spec::runtime::Spec, host: &spec::HostFacts) {
    let pinned = oci
        .linux()
        .as_ref()
        .and_then(|l| l.resources().as_ref())
        .and_then(|r| r.cpu().as_ref())
        .and_then(|c| c.cpus().clone());
    match pinned {
        Some(cores) => {
            tracing::info!(step = "affinity", cores = %cores, "cores chosen: {cores} (from cpus:)")
        }
        None => {
            let cores = spec::cpulist::format(&host.cpus);
            tracing::info!(step = "affinity", cores = %cores, "no cores pinned: may run on {cores}");
        }
    }
    if let Some(gpu) = oci
        .annotations()
        .as_ref()
        .and_then(|a| a.get(spec::ANNOTATION_GPU))
    {
        tracing::info!(
            step = "gpu",
            request = %gpu,
            "GPU requested and recorded in the spec; GPU placement is not implemented yet"
        );
    }
}

/// One line describing a workload's resources and command.
pub fn summary(w: &spec::Workload) -> String {
    let mut parts = Vec::new();
    if let Some(cpu) = &w.cpu {
        parts.push(format!("cpu {}", cpu.cores()));
    }
    if let Some(memory) = w.memory {
        parts.push(format!("memory {} MiB", memory as f64 / 1048576.0));
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
