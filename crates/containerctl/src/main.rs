//! containerctl: run workloads described in a small YAML file in real
//! containers (namespaces, cgroups, CPU affinity). This file is the CLI's
//! front door: argument parsing, logging setup, and the mapping of errors to
//! exit codes (2 bad input, 125 runtime failure, 126/127 cannot execute /
//! not found, otherwise the workload's own status).

mod cli;
mod exit;
mod gpus;
mod host;
mod lifecycle;
mod logging;
mod place;
mod recorder;
mod terminal;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "containerctl",
    version,
    about = "Run YAML-described workloads in real Linux containers"
)]
struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = logging::Format::Human)]
    log_format: logging::Format,
    /// Log level (error, warn, info, debug, trace) or a tracing filter.
    #[arg(long, global = true, default_value = "info", env = "CONTAINERCTL_LOG")]
    log_level: String,
    /// Only log warnings and errors (`ps`: only print ids).
    #[arg(short, long, global = true)]
    quiet: bool,
    /// State root: the container store, runtime state and the ledger.
    #[arg(long, global = true, default_value = "/run/containerctl")]
    root: PathBuf,
    /// The local image store (`image import`, `image: NAME`).
    #[arg(
        long,
        global = true,
        default_value = "/var/lib/containerctl/images",
        env = "CONTAINERCTL_IMAGE_ROOT"
    )]
    image_root: PathBuf,
    /// Name of our own cgroup parent at the root of each hierarchy.
    #[arg(long, global = true, default_value = cgroups::DEFAULT_PARENT)]
    cgroup_parent: String,
    /// The bridge of `network: bridge` containers (created on first use).
    #[arg(long, global = true, default_value = "ctl0", env = "CONTAINERCTL_BRIDGE",
          value_parser = cli::network::bridge_name)]
    bridge: String,
    /// Its subnet when it is created [default: 10.47.0.0/24]; an existing
    /// bridge keeps the subnet it was created with.
    #[arg(long, global = true, value_name = "CIDR", env = "CONTAINERCTL_SUBNET")]
    subnet: Option<runtime::net::Subnet>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a workload file in a new container (in the background with -d).
    Run(cli::run::RunArgs),
    /// List containers (running ones; -a for all).
    Ps(cli::ps::PsArgs),
    /// Print a detached container's output.
    Logs(cli::logs::LogsArgs),
    /// Run a command inside a running container.
    Exec(cli::exec::ExecArgs),
    /// Stop containers: SIGTERM, then SIGKILL after the grace period.
    Stop(cli::stop::StopArgs),
    /// Send a signal to running containers (SIGKILL by default).
    Kill(cli::stop::KillArgs),
    /// Remove containers (-f: running ones too).
    Rm(cli::rm::RmArgs),
    /// Freeze every process of containers.
    Pause(cli::pause::PauseArgs),
    /// Thaw paused containers.
    #[command(alias = "unpause")]
    Resume(cli::pause::PauseArgs),
    /// Wait for containers to exit and print their exit codes.
    Wait(cli::wait::WaitArgs),
    /// Everything known about containers, as JSON.
    Inspect(cli::inspect::InspectArgs),
    /// Start every container of a multi-workload file, or none.
    Up(cli::up::UpArgs),
    /// Stop and remove the containers of a file `up` started.
    Down(cli::up::DownArgs),
    /// Clean up after containers whose monitor died.
    Gc(cli::rm::GcArgs),
    /// Bridge networks: list them, or prune the unused ones.
    #[command(subcommand)]
    Network(cli::network::NetworkCommand),
    /// Check a workload file without running it.
    Validate(cli::validate::ValidateArgs),
    /// Print the OCI runtime config.json a workload file lowers to.
    Spec(cli::spec::SpecArgs),
    /// Live per-core and per-container usage, like `docker stats`.
    #[command(alias = "stats")]
    Top(cli::top::TopArgs),
    /// Redraw the graphs of a run record or experiment and summarise it.
    Report(cli::report::ReportArgs),
    /// Run one batch of workloads under several policies and compare them.
    Experiment(cli::experiment::ExperimentArgs),
    /// Import, list and remove images in the local store.
    #[command(subcommand)]
    Image(cli::image::ImageCommand),
    /// Generate synthetic request traces and replay them offline.
    #[command(subcommand)]
    Trace(cli::trace::TraceCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let format = cli.log_format;
    let level = if cli.quiet {
        "warn"
    } else {
        cli.log_level.as_str()
    };
    if let Err(e) = logging::init(format, level) {
        eprintln!("containerctl: {e}");
        return ExitCode::from(exit::USAGE as u8);
    }
    lifecycle::detach::adopt_report_pipe();
    let globals = cli::Globals {
        state_root: cli.root,
        cgroup_parent: cli.cgroup_parent,
        image_root: cli.image_root,
        quiet: cli.quiet,
        bridge: cli.bridge,
        subnet: cli.subnet,
    };
    let result = match cli.command {
        Command::Run(args) => cli::run::run(&globals, args),
        Command::Ps(args) => cli::ps::run(&globals, args),
        Command::Logs(args) => cli::logs::run(&globals, args),
        Command::Exec(args) => cli::exec::run(&globals, args),
        Command::Stop(args) => cli::stop::stop(&globals, args),
        Command::Kill(args) => cli::stop::kill(&globals, args),
        Command::Rm(args) => cli::rm::rm(&globals, args),
        Command::Pause(args) => cli::pause::pause(&globals, args),
        Command::Resume(args) => cli::pause::resume(&globals, args),
        Command::Wait(args) => cli::wait::run(&globals, args),
        Command::Inspect(args) => cli::inspect::run(&globals, args),
        Command::Gc(args) => cli::rm::gc(&globals, args),
        Command::Up(args) => cli::up::up(&globals, args),
        Command::Down(args) => cli::up::down(&globals, args),
        Command::Network(command) => cli::network::run(&globals, command),
        Command::Validate(args) => cli::validate::run(args),
        Command::Spec(args) => cli::spec::run(&globals, args),
        Command::Top(args) => cli::top::run(&globals, args),
        Command::Report(args) => cli::report::run(args),
        Command::Experiment(args) => cli::experiment::run(&globals, args),
        Command::Trace(command) => cli::trace::run(command),
        Command::Image(command) => cli::image::run(&globals, command),
    };
    match result {
        Ok(code) => {
            // A monitor whose container ended before it was reported running.
            lifecycle::detach::report_failure(code, "the container ended during its setup");
            ExitCode::from(code.clamp(0, 255) as u8)
        }
        Err(e) => {
            let code = exit::code_for(&e);
            lifecycle::detach::report_failure(code, &format!("{e:#}"));
            match format {
                logging::Format::Json => tracing::error!(exit_code = code, "{e:#}"),
                logging::Format::Human => eprintln!("containerctl: error: {e:#}"),
            }
            ExitCode::from(code as u8)
        }
    }
}
