//! The tiny init (`--init`): PID 1 of the container forks the workload, then
//! reaps every zombie re-parented to it and forwards the signals it receives
//! to the workload, exiting with the workload's status (128+N when killed by
//! signal N). Without it the workload itself is PID 1, which the kernel
//! shields from signals it installed no handler for.

use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::{fork, ForkResult, Pid};

use crate::child::{fail, report, StepError};
use crate::plan::ChildPlan;
use crate::signals::BlockedSignals;
use crate::steps::Step;
use crate::sync::Channel;

/// Runs as PID 1 until the workload ends; returns only if setup fails.
pub fn run(plan: &ChildPlan, channel: Channel) -> i32 {
    let signals = match BlockedSignals::block(&[Signal::SIGCHLD, Signal::SIGWINCH]) {
        Ok(signals) => signals,
        Err(errno) => {
            return fail(
                &channel,
                StepError::sys(Step::Init, "blocking signals")(errno),
            )
        }
    };
    if let Err(failure) = report(
        &channel,
        Step::Init,
        "tiny init is PID 1, forwarding signals and reaping zombies",
    ) {
        return fail(&channel, failure);
    }
    // SAFETY: the container process is single-threaded.
    match unsafe { fork() } {
        Err(errno) => fail(&channel, StepError::sys(Step::Init, "fork")(errno)),
        Ok(ForkResult::Child) => {
            // Not dropped: draining could swallow a signal init forwards to
            // us before exec. The fd is close-on-exec, the mask reset below.
            std::mem::forget(signals);
            let failure = crate::exec::exec_workload(plan, &channel);
            let code = fail(&channel, failure);
            // SAFETY: leaving the forked child without running the parent's destructors.
            unsafe { libc::_exit(code) }
        }
        Ok(ForkResult::Parent { child }) => {
            // Our copy must close so the parent sees EOF once the workload execs.
            drop(channel);
            // A copy of the host's containerctl binary: keep the workload out
            // of /proc/1/exe and /proc/1/mem.
            let _ = nix::sys::prctl::set_dumpable(false);
            let code = supervise(child, &signals);
            // SAFETY: PID 1 ends; the kernel then kills the rest of the namespace.
            unsafe { libc::_exit(code) }
        }
    }
}

fn supervise(workload: Pid, signals: &BlockedSignals) -> i32 {
    loop {
        let mut fds = [nix::poll::PollFd::new(
            signals.fd(),
            nix::poll::PollFlags::POLLIN,
        )];
        let _ = nix::poll::poll(&mut fds, nix::poll::PollTimeout::NONE);
        while let Some(signal) = signals.next() {
            if signal != Signal::SIGCHLD {
                let _ = kill(workload, signal);
            }
        }
        if let Some(code) = reap(workload) {
            return code;
        }
    }
}

/// Reaps every exited child; returns the workload's exit code once it is gone.
fn reap(workload: Pid) -> Option<i32> {
    let mut result = None;
    loop {
        match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Exited(pid, code)) if pid == workload => result = Some(code),
            Ok(WaitStatus::Signaled(pid, signal, _)) if pid == workload => {
                result = Some(128 + signal as i32)
            }
            Ok(WaitStatus::StillAlive) | Err(_) => return result,
            Ok(_) => {}
        }
    }
}
