//! `containerctl run FILE`: validate the workload, place it (cores by the
//! CPU policy from measured load, GPUs from the inventory), lower it to an
//! OCI Spec, run it in a new container with its output streamed, record what
//! was decided and measured, and exit with its status.
//! `run --bundle DIR` runs an OCI bundle's config.json as given (no
//! placement, no record), like `runc run`. As with docker, the workload's
//! stdin is /dev/null unless `-i` keeps it attached, and `-t` gives it a
//! new pseudo-terminal of its own, relayed to the CLI's stdio.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;

use super::Globals;
use crate::cli::placed::{self, PlaceArgs, RecordArgs};
use crate::lifecycle::{detach, Registered, Registration};

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Workload file (YAML).
    #[arg(required_unless_present = "bundle", conflicts_with = "bundle")]
    pub file: Option<PathBuf>,
    /// Run an OCI bundle (a directory with config.json and its rootfs) instead.
    #[arg(long, value_name = "DIR")]
    pub bundle: Option<PathBuf>,
    /// Name of the container (default: the workload's `name`, else its short id).
    #[arg(long)]
    pub name: Option<String>,
    /// Run the entry of this name from a file of several workloads (`containers:`).
    #[arg(long, value_name = "NAME", conflicts_with = "bundle")]
    pub entry: Option<String>,
    /// Run in the background: print the container's id once it runs and
    /// return; its output goes to `containerctl logs`.
    #[arg(short, long)]
    pub detach: bool,
    /// With `-d`: remove the container's record when it exits (a
    /// foreground run's record always goes).
    #[arg(long, requires = "detach")]
    pub rm: bool,
    /// Run a tiny init as PID 1 that reaps zombies and forwards signals.
    #[arg(long)]
    pub init: bool,
    /// Keep stdin attached to the workload (without it, its stdin is /dev/null).
    #[arg(short = 'i', long)]
    pub interactive: bool,
    /// Give the workload a pseudo-terminal of its own, relayed to this one
    /// (in raw mode with -i, so Ctrl-C reaches the workload).
    #[arg(short = 't', long)]
    pub tty: bool,
    /// Seconds between the stop signal (Ctrl-C, SIGTERM, timeout) and SIGKILL.
    #[arg(long, default_value_t = 10.0, value_name = "SECS")]
    pub stop_timeout: f64,
    /// With `network: bridge`: this address instead of the lowest free one.
    #[arg(long, value_name = "ADDRESS")]
    pub ip: Option<std::net::Ipv4Addr>,
    /// With `network: bridge`: an /etc/hosts entry NAME:ADDRESS (repeatable).
    #[arg(long, value_name = "NAME:ADDRESS", value_parser = host_entry)]
    pub add_host: Vec<(String, std::net::Ipv4Addr)>,
    #[command(flatten)]
    pub place: PlaceArgs,
    #[command(flatten)]
    pub record: RecordArgs,
}

pub fn run(globals: &Globals, args: RunArgs) -> anyhow::Result<i32> {
    if args.detach && (args.tty || args.interactive) {
        return Err(crate::exit::BadUsage(
            "-d cannot be combined with -i or -t: a detached container's output goes to `containerctl logs`".into(),
        )
        .into());
    }
    if args.detach && !detach::is_monitor() {
        return detach::start_monitor();
    }
    let stop_timeout = Duration::try_from_secs_f64(args.stop_timeout)
        .with_context(|| format!("--stop-timeout {} is not a duration", args.stop_timeout))?;
    // Kept open until the run ends: the container's stdin without -i.
    let dev_null = std::fs::File::open("/dev/null").context("opening /dev/null")?;
    let run = placed::Run {
        globals,
        init: args.init,
        stop_timeout,
        stdio: crate::terminal::stdio(args.tty, args.interactive, &dev_null),
        interactive: args.interactive,
        keep_record: args.detach && !args.rm,
        address: args.ip,
        hosts: args.add_host,
    };
    match (&args.file, &args.bundle) {
        (Some(file), _) => placed::run_workload(
            &run,
            &placed::Source {
                file,
                entry: args.entry.as_deref(),
            },
            args.name.as_deref(),
            &args.place,
            &args.record,
        ),
        (None, Some(dir)) => run_bundle(&run, dir, args.name.as_deref()),
        (None, None) => anyhow::bail!("give a workload file or --bundle DIR"),
    }
}

fn run_bundle(run: &placed::Run, dir: &std::path::Path, name: Option<&str>) -> anyhow::Result<i32> {
    let mut oci = spec::load_bundle(dir)?;
    let id = runtime::new_container_id().context("making a container id")?;
    let span = tracing::info_span!("container", id = runtime::short_id(&id));
    let _entered = span.enter();
    tracing::info!(step = "spec", id = %id, "OCI bundle {}", dir.display());
    let command = oci
        .process()
        .as_ref()
        .and_then(|p| p.args().clone())
        .unwrap_or_default();
    let mut reg = Registered::create(
        run.globals,
        &Registration {
            id: &id,
            explicit_name: name,
            default_name: None,
            detached: detach::is_monitor(),
            keep: run.keep_record,
            source: dir.display().to_string(),
            command,
        },
    )?;
    detach::report_id(&id);
    let outcome =
        super::execute::execute(run, &mut oci, &mut reg, Default::default(), &mut |_| {})?;
    Ok(outcome.exit_code())
}

/// `--add-host NAME:ADDRESS`.
fn host_entry(text: &str) -> Result<(String, std::net::Ipv4Addr), String> {
    let (name, address) = text
        .split_once(':')
        .ok_or_else(|| format!("{text:?}: expected NAME:ADDRESS like db:10.47.0.3"))?;
    let address = address
        .parse()
        .map_err(|_| format!("{text:?}: {address:?} is not an IPv4 address"))?;
    if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c == '#') {
        return Err(format!("{text:?}: {name:?} is not a host name"));
    }
    Ok((name.to_string(), address))
}
