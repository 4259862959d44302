//! `exec [-i] [-t] [-e K=V] [-w DIR] ID CMD…`: a new process in a running
//! container, like `docker exec`. It joins the container's namespaces
//! (pid, mount, uts, ipc, net, cgroup) and its cgroups, runs as the
//! container's user with its capabilities and environment (the Spec saved
//! when it started), and exits with the process's status. `-t` gives it a
//! pseudo-terminal of its own; `-i` keeps stdin attached (else /dev/null).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use runtime::store;

use super::Globals;
use crate::lifecycle::target::Target;

#[derive(Debug, clap::Args)]
pub struct ExecArgs {
    /// Keep stdin attached.
    #[arg(short, long)]
    pub interactive: bool,
    /// Give the process a pseudo-terminal.
    #[arg(short, long)]
    pub tty: bool,
    /// Extra environment variables (KEY=VALUE).
    #[arg(short, long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Working directory inside the container (default: the container's).
    #[arg(short, long, value_name = "DIR")]
    pub workdir: Option<PathBuf>,
    #[arg(value_name = "CONTAINER")]
    pub container: String,
    /// The command and its arguments.
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

pub fn run(globals: &Globals, args: ExecArgs) -> anyhow::Result<i32> {
    if let Some(bad) = args.env.iter().find(|e| !e.contains('=')) {
        return Err(crate::exit::BadUsage(format!("-e {bad}: give KEY=VALUE")).into());
    }
    let target = Target::find(globals, &args.container)?;
    target.require_running("exec")?;
    let pid1 = target.pid1()?;
    let config = target.store.dir(target.id()).join(store::CONFIG_FILE);
    let spec = oci_spec::runtime::Spec::load(&config)
        .with_context(|| format!("reading the container's Spec {}", config.display()))?;
    let cgroup = target.cgroup()?;
    let dev_null = std::fs::File::open("/dev/null").context("opening /dev/null")?;
    let stdio = crate::terminal::stdio(args.tty, args.interactive, &dev_null);
    let request = runtime::ExecRequest {
        args: args.command.clone(),
        env: args.env.clone(),
        cwd: args.workdir.clone(),
        stdio,
        stop_timeout: Duration::from_secs(10),
    };
    let entered = runtime::Target {
        pid: pid1.pid,
        cgroup: &*cgroup,
        spec: &spec,
    };
    let status = crate::terminal::attached(args.tty, args.interactive, &mut |_| {}, |events| {
        runtime::exec_in_observed(&entered, &request, events)
    })??;
    Ok(match status {
        runtime::Status::Exited(code) => code,
        runtime::Status::Signaled(signo) => 128 + signo,
    })
}
