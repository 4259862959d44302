//! `exec_in`: a new process in an already running container, like `runc
//! exec` / `docker exec`. The parent opens the container's namespaces, is
//! born the child into its pid namespace (setns for children, fork, back),
//! puts the child's host pid in the container's cgroups and only then lets it
//! go on; the child joins the other namespaces (mnt last), opens a terminal
//! if asked, and runs the same steps as PID 1 from the container's Spec
//! (affinity, limits, user, capabilities, no_new_privs, workdir, exec with a
//! PATH search). A failed step comes back as `RuntimeError::Setup` (127 not
//! found, 126 not executable). The parent forwards signals while it waits
//! and returns the process's exit status. Call it from a single-threaded
//! process, as `run`: threads may start from `Event::Started` on.

use std::ffi::CString;
use std::path::PathBuf;
use std::time::Duration;

use oci_spec::runtime::Spec;

use crate::child::{self, report, StepError};
use crate::join::{self, Namespace};
use crate::outcome::Status;
use crate::plan::ChildPlan;
use crate::signals::BlockedSignals;
use crate::spawn::{clone_into_namespaces, Cloned, Spawned};
use crate::steps::Step;
use crate::supervise::Event;
use crate::sync::{Channel, ToChild};
use crate::watch::Watch;
use crate::{exec, rlimits, security, RuntimeError, Stdio, EXIT_RUNTIME_FAILURE};

/// The running container to enter.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// Host pid of the container's PID 1.
    pub pid: i32,
    /// The container's cgroup, e.g. `cgroups::open(&layout, parent, id)`.
    pub cgroup: &'a dyn cgroups::CgroupManager,
    /// The Spec the container runs (its config.json): the new process takes
    /// user, groups, capabilities, no_new_privileges, rlimits, env, cwd and
    /// cpus from its `process` and `linux.resources`.
    pub spec: &'a Spec,
}

/// What to run there.
#[derive(Debug, Clone)]
pub struct ExecRequest {
    /// The program (searched in the PATH of the resulting env) and its arguments.
    pub args: Vec<String>,
    /// `KEY=VALUE` entries added to the Spec's env (replacing the same keys).
    pub env: Vec<String>,
    /// Working directory inside the container (default: the Spec's cwd).
    pub cwd: Option<PathBuf>,
    /// Its standard streams; [`Stdio::NewTerminal`] opens a pty in the
    /// container and hands its master over as [`Event::Terminal`].
    pub stdio: Stdio,
    /// Grace period between a forwarded SIGINT/SIGTERM and SIGKILL.
    pub stop_timeout: Duration,
}

/// Runs `request` in the container and waits for it: its exit status.
pub fn exec_in(target: &Target, request: &ExecRequest) -> Result<Status, RuntimeError> {
    exec_in_observed(target, request, &mut |_| {})
}

/// Like [`exec_in`], telling `on_event` when the process is in the
/// container's cgroups ([`Event::Started`], its host pid), when it opened a
/// new terminal ([`Event::Terminal`]) and when its setup is over
/// ([`Event::Running`]).
pub fn exec_in_observed(
    target: &Target,
    request: &ExecRequest,
    on_event: &mut dyn FnMut(Event),
) -> Result<Status, RuntimeError> {
    let plan = exec_plan(target.spec, request)?;
    let namespaces = join::differing(target.pid)?;
    let signals = BlockedSignals::block(&[]).map_err(RuntimeError::sys("blocking signals"))?;
    crate::signals::default_sigchld().map_err(RuntimeError::sys("resetting SIGCHLD"))?;
    let (spawned, channel) = start(&plan, &namespaces)?;
    let mut running = Running(Some(spawned.pid));
    target.cgroup.add_task(spawned.pid.as_raw())?;
    tracing::info!(
        step = "cgroup-join",
        pid = spawned.pid.as_raw(),
        paths = ?target.cgroup.paths(),
        "process placed in the container's cgroups"
    );
    on_event(Event::Started(spawned.pid.as_raw()));
    channel
        .send(&ToChild::CgroupJoined)
        .map_err(RuntimeError::io("signalling the new process", "socketpair"))?;
    let mut watch = Watch::new(spawned.pid, request.stop_timeout, None);
    let status = watch.until_exit(&channel, &spawned.pidfd, &signals, on_event)?;
    running.0 = None;
    match watch.failure {
        Some(failure) => Err(failure),
        None => Ok(status),
    }
}

/// The container's process settings with the request's args, env and cwd.
fn exec_plan(spec: &Spec, request: &ExecRequest) -> Result<ChildPlan, RuntimeError> {
    if request.args.is_empty() {
        return Err(crate::refuse::unsupported("exec: no program given"));
    }
    // Only the process settings are used: nothing is mounted or created,
    // so the staging dir and cgroup layout are placeholders.
    let placeholder = cgroups::Layout::Legacy { v1: Vec::new() };
    let mut plan = ChildPlan::from_spec(spec, PathBuf::from("/exec/rootfs"), &placeholder, false)?;
    let base: Vec<String> = spec
        .process()
        .as_ref()
        .and_then(|p| p.env().clone())
        .unwrap_or_default();
    let env = merge_env(&base, &request.env);
    plan.search_path = env
        .iter()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or(spec::DEFAULT_PATH)
        .to_string();
    plan.args = cstrings(&request.args, "exec args")?;
    plan.env = cstrings(&env, "exec env")?;
    if let Some(cwd) = &request.cwd {
        plan.cwd = cwd.clone();
    }
    plan.stdio = request.stdio;
    plan.hostname = None;
    plan.init = false;
    Ok(plan)
}

/// `base` with `extra` applied: a key given again replaces its old value.
fn merge_env(base: &[String], extra: &[String]) -> Vec<String> {
    let key = |entry: &str| entry.split('=').next().unwrap_or_default().to_string();
    let mut merged: Vec<String> = base
        .iter()
        .filter(|b| !extra.iter().any(|e| key(e) == key(b)))
        .cloned()
        .collect();
    merged.extend(extra.iter().cloned());
    merged
}

fn cstrings(values: &[String], what: &str) -> Result<Vec<CString>, RuntimeError> {
    values
        .iter()
        .map(|v| {
            CString::new(v.as_bytes()).map_err(|_| {
                crate::refuse::unsupported(&format!("{what} contain a NUL byte: {v:?}"))
            })
        })
        .collect()
}

/// Forks the new process inside the container's pid namespace (if it has
/// its own); the child never returns here.
fn start(plan: &ChildPlan, namespaces: &[Namespace]) -> Result<(Spawned, Channel), RuntimeError> {
    let (parent_end, child_end) = Channel::pair().map_err(RuntimeError::sys("socketpair"))?;
    let guard = join::pid_namespace(namespaces)
        .map(join::pid_for_children)
        .transpose()?;
    let cloned = clone_into_namespaces(nix::sched::CloneFlags::empty());
    if let Ok(Cloned::Child) = cloned {
        drop(parent_end);
        // The child stays in the container's pid namespace.
        std::mem::forget(guard);
        child_exit(plan, namespaces, &child_end)
    }
    let restored = guard.map(join::PidNamespaceGuard::restore).transpose();
    let spawned = match cloned? {
        Cloned::Parent(spawned) => spawned,
        Cloned::Child => child_exit(plan, namespaces, &child_end),
    };
    if let Err(e) = restored {
        kill_and_reap(spawned.pid);
        return Err(e);
    }
    Ok((spawned, parent_end))
}

/// Runs the child's steps and leaves without the parent's destructors.
fn child_exit(plan: &ChildPlan, namespaces: &[Namespace], channel: &Channel) -> ! {
    let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        child_main(plan, namespaces, channel)
    }))
    .unwrap_or(EXIT_RUNTIME_FAILURE);
    // SAFETY: the child leaves without running the parent's destructors.
    unsafe { libc::_exit(code) }
}

/// The new process: every step up to the exec; returns its exit code only
/// if one fails.
fn child_main(plan: &ChildPlan, namespaces: &[Namespace], channel: &Channel) -> i32 {
    match setup(plan, namespaces, channel) {
        Ok(()) => {
            let failure = exec::exec_workload(plan, channel);
            child::fail(channel, failure)
        }
        Err(failure) => child::fail(channel, failure),
    }
}

fn setup(plan: &ChildPlan, namespaces: &[Namespace], channel: &Channel) -> Result<(), StepError> {
    child::close_inherited_fds()?;
    child::die_with_parent()?;
    crate::stdio::attach(plan.stdio)?;
    child::wait_for_cgroup(channel)?;
    let joined = join::enter_all(namespaces)?;
    report(
        channel,
        Step::Namespaces,
        format!("joined the container's namespaces: {}", names(&joined)),
    )?;
    crate::stdio::open_terminal(plan.stdio, plan.uid, channel)?;
    child::set_affinity(plan, channel)?;
    rlimits::apply(&plan.rlimits, plan.oom_score_adj, channel)?;
    security::switch_user(plan, channel)?;
    security::set_capabilities(plan, channel)?;
    if plan.no_new_privileges {
        security::set_no_new_privileges(channel)?;
    }
    child::change_dir(plan, channel)
}

fn names(joined: &[&str]) -> String {
    if joined.is_empty() {
        "none (they are ours)".to_string()
    } else {
        joined.join(", ")
    }
}

/// Ends a child that must not run on; used on the parent's error paths.
fn kill_and_reap(pid: nix::unistd::Pid) {
    let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
    let _ = nix::sys::wait::waitpid(pid, None);
}

/// The child until it was waited for: killed and reaped if the parent
/// leaves early (a cgroup write failed, the channel broke).
struct Running(Option<nix::unistd::Pid>);

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(pid) = self.0.take() {
            kill_and_reap(pid);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn extra_env_replaces_and_adds() {
        let base = strings(&["PATH=/bin", "HOME=/root", "TERM=xterm"]);
        let merged = merge_env(&base, &strings(&["HOME=/tmp", "X=1=2"]));
        assert_eq!(
            merged,
            strings(&["PATH=/bin", "TERM=xterm", "HOME=/tmp", "X=1=2"])
        );
    }

    fn spec_with(args: &[&str], env: &[&str]) -> Spec {
        let mut spec = Spec::default();
        let mut process = spec.process().clone().unwrap_or_default();
        process.set_args(Some(strings(args)));
        process.set_env(Some(strings(env)));
        spec.set_process(Some(process));
        spec
    }

    fn request(args: &[&str], env: &[&str]) -> ExecRequest {
        ExecRequest {
            args: strings(args),
            env: strings(env),
            cwd: Some(PathBuf::from("/tmp")),
            stdio: Stdio::Inherit,
            stop_timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn the_plan_takes_the_request_over_the_spec() {
        let spec = spec_with(&["sleep", "9"], &["PATH=/usr/bin"]);
        let plan = exec_plan(&spec, &request(&["ls", "-l"], &["PATH=/opt/bin"])).expect("plan");
        assert_eq!(plan.args, vec![c"ls".to_owned(), c"-l".to_owned()]);
        assert_eq!(plan.search_path, "/opt/bin");
        assert_eq!(plan.cwd, PathBuf::from("/tmp"));
        assert!(plan.hostname.is_none() && !plan.init);
    }

    #[test]
    fn no_program_is_refused() {
        let spec = spec_with(&["sleep", "9"], &[]);
        let err = exec_plan(&spec, &request(&[], &[])).expect_err("no args");
        assert!(err.to_string().contains("no program"), "{err}");
    }
}
