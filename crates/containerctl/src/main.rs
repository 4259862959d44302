//! containerctl: run workloads described in a small YAML file in real
//! containers (namespaces, cgroups, CPU affinity). This file is the CLI's
//! front door: argument parsing, logging setup, and the mapping of errors to
//! exit codes (2 bad input, 125 runtime failure, 126/127 cannot execute /
//! not found, otherwise the workload's own status).

mod cli;
mod exit;
mod gpus;
mod host;
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
    /// Only log warnings and errors.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// State root: one directory per running container.
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
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a workload file in a new container and wait for it to end.
    Run(cli::run::RunArgs),
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
    let globals = cli::Globals {
        state_root: cli.root,
        cgroup_parent: cli.cgroup_parent,
        image_root: cli.image_root,
    };
    let result = match cli.command {
        Command::Run(args) => cli::run::run(&globals, args),
        Command::Validate(args) => cli::validate::run(args),
        Command::Spec(args) => cli::spec::run(&globals, args),
        Command::Top(args) => cli::top::run(&globals, args),
        Command::Report(args) => cli::report::run(args),
        Command::Experiment(args) => cli::experiment::run(&globals, args),
        Command::Trace(command) => cli::trace::run(command),
        Command::Image(command) => cli::image::run(&globals, command),
    };
    match result {
        Ok(code) => ExitCode::from(code.clamp(0, 255) as u8),
        Err(e) => {
            let code = exit::code_for(&e);
            match format {
                logging::Format::Json => tracing::error!(exit_code = code, "{e:#}"),
                logging::Format::Human => eprintln!("containerctl: error: {e:#}"),
            }
            ExitCode::from(code as u8)
        }
    }
}
