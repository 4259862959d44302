//! The container process: PID 1 of its new namespaces, running the setup
//! steps in a fixed order, each a small function in its own room, then
//! exec'ing the workload (or becoming the tiny init that forks it). Each
//! finished step is reported to the parent; the first failure is reported
//! with its step and reason and ends the child.

use crate::net::loopback;
use crate::plan::ChildPlan;
use crate::steps::Step;
use crate::sync::{Channel, FromChild, ToChild};
use crate::{exec, init, rlimits, rootfs, security, EXIT_RUNTIME_FAILURE};

/// A failed setup step, as reported to the parent.
#[derive(Debug)]
pub struct StepError {
    pub step: Step,
    pub message: String,
    pub exit_code: i32,
}

impl StepError {
    pub fn new(step: Step, message: impl Into<String>) -> StepError {
        StepError {
            step,
            message: message.into(),
            exit_code: EXIT_RUNTIME_FAILURE,
        }
    }

    /// Maps a nix error to a step failure, with what was being done.
    pub fn sys(
        step: Step,
        what: impl std::fmt::Display,
    ) -> impl FnOnce(nix::errno::Errno) -> StepError {
        move |errno| StepError::new(step, format!("{what}: {}", errno.desc()))
    }
}

/// Entry point after clone3; returns the exit code if setup fails.
pub fn main(plan: &ChildPlan, channel: Channel) -> i32 {
    if let Err(failure) = setup(plan, &channel) {
        return fail(&channel, failure);
    }
    if plan.init {
        return init::run(plan, channel);
    }
    let failure = exec::exec_workload(plan, &channel);
    fail(&channel, failure)
}

/// Tells the parent why setup failed; returns the exit code to end with.
pub fn fail(channel: &Channel, failure: StepError) -> i32 {
    // If the parent is gone there is no one left to tell.
    let _ = channel.send(&FromChild::Failed {
        step: failure.step,
        message: failure.message,
        exit_code: failure.exit_code,
    });
    failure.exit_code
}

/// Reports a finished step to the parent.
pub fn report(channel: &Channel, step: Step, detail: impl Into<String>) -> Result<(), StepError> {
    channel
        .send(&FromChild::StepDone {
            step,
            detail: detail.into(),
        })
        .map_err(|e| StepError::new(step, format!("reporting to the parent: {e}")))
}

/// Every step up to the exec, in order.
fn setup(plan: &ChildPlan, channel: &Channel) -> Result<(), StepError> {
    close_inherited_fds()?;
    die_with_parent()?;
    crate::stdio::attach(plan.stdio)?;
    wait_for_cgroup(channel)?;
    if plan.new_cgroup_ns {
        enter_cgroup_namespace(channel)?;
    }
    rootfs::assemble(plan, channel)?;
    rootfs::pivot(plan, channel)?;
    crate::stdio::open_terminal(plan.stdio, plan.uid, channel)?;
    set_hostname(plan, channel)?;
    if plan.new_net_ns {
        loopback::loopback_up(channel)?;
    }
    set_affinity(plan, channel)?;
    rlimits::apply(&plan.rlimits, plan.oom_score_adj, channel)?;
    security::switch_user(plan, channel)?;
    security::set_capabilities(plan, channel)?;
    if plan.no_new_privileges {
        security::set_no_new_privileges(channel)?;
    }
    change_dir(plan, channel)
}

/// Descriptors containerctl inherited (from a shell, an engine, a CI job)
/// must not reach the workload: an open directory would lead out of the
/// mount namespace. Everything above stderr closes on exec.
pub(crate) fn close_inherited_fds() -> Result<(), StepError> {
    // SAFETY: close_range only changes flags of descriptors of this process.
    let rc = unsafe {
        libc::close_range(
            3,
            libc::c_uint::MAX,
            libc::CLOSE_RANGE_CLOEXEC as libc::c_int,
        )
    };
    if rc != 0 {
        return Err(StepError::sys(
            Step::CgroupJoin,
            "close_range(3.., CLOEXEC)",
        )(nix::errno::Errno::last()));
    }
    Ok(())
}

/// The container dies with containerctl, and lives in its own session so
/// that a terminal's Ctrl-C reaches containerctl, which decides what to do.
pub(crate) fn die_with_parent() -> Result<(), StepError> {
    set_death_signal(Step::CgroupJoin)?;
    nix::unistd::setsid().map_err(StepError::sys(Step::CgroupJoin, "setsid"))?;
    Ok(())
}

/// PR_SET_PDEATHSIG; the kernel clears it on a uid change, so `user` sets it again.
pub fn set_death_signal(step: Step) -> Result<(), StepError> {
    nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
        .map_err(StepError::sys(step, "prctl(PR_SET_PDEATHSIG)"))
}

pub(crate) fn wait_for_cgroup(channel: &Channel) -> Result<(), StepError> {
    match channel.recv::<ToChild>() {
        Ok(Some(ToChild::CgroupJoined)) => Ok(()),
        Ok(None) => Err(StepError::new(Step::CgroupJoin, "the parent went away")),
        Err(e) => Err(StepError::new(
            Step::CgroupJoin,
            format!("reading from the parent: {e}"),
        )),
    }
}

fn enter_cgroup_namespace(channel: &Channel) -> Result<(), StepError> {
    nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWCGROUP).map_err(StepError::sys(
        Step::CgroupNamespace,
        "unshare(CLONE_NEWCGROUP)",
    ))?;
    report(
        channel,
        Step::CgroupNamespace,
        "new cgroup namespace rooted at the container's cgroup",
    )
}

fn set_hostname(plan: &ChildPlan, channel: &Channel) -> Result<(), StepError> {
    let Some(name) = &plan.hostname else {
        return Ok(());
    };
    nix::unistd::sethostname(name).map_err(StepError::sys(
        Step::Hostname,
        format!("sethostname({name})"),
    ))?;
    report(channel, Step::Hostname, format!("hostname {name}"))
}

pub(crate) fn set_affinity(plan: &ChildPlan, channel: &Channel) -> Result<(), StepError> {
    let Some(cpus) = &plan.cpus else {
        return Ok(());
    };
    crate::affinity::pin_self(cpus)?;
    report(
        channel,
        Step::Affinity,
        format!("sched_setaffinity to cores {}", spec::cpulist::format(cpus)),
    )
}

pub(crate) fn change_dir(plan: &ChildPlan, channel: &Channel) -> Result<(), StepError> {
    nix::unistd::chdir(&plan.cwd).map_err(StepError::sys(
        Step::Workdir,
        format!("chdir({})", plan.cwd.display()),
    ))?;
    report(
        channel,
        Step::Workdir,
        format!("cwd {}", plan.cwd.display()),
    )
}
