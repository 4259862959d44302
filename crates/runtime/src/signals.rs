//! Signal plumbing shared by the supervisor and the tiny init: the signals a
//! container's supervisor forwards, blocking them into a signalfd so they are
//! read in the event loop instead of interrupting it, and restoring a clean
//! signal state (empty mask, default dispositions) before the workload execs.

use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};

/// Signals passed on to the container rather than acted on directly.
pub const FORWARDED: [Signal; 6] = [
    Signal::SIGINT,
    Signal::SIGTERM,
    Signal::SIGHUP,
    Signal::SIGQUIT,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
];

/// Signals blocked and readable from a signalfd while the guard lives; the
/// previous mask comes back on drop.
#[derive(Debug)]
pub struct BlockedSignals {
    fd: SignalFd,
    previous: SigSet,
}

impl BlockedSignals {
    pub fn block(extra: &[Signal]) -> nix::Result<BlockedSignals> {
        let mut mask = SigSet::empty();
        for signal in FORWARDED.iter().chain(extra) {
            mask.add(*signal);
        }
        let mut previous = SigSet::empty();
        nix::sys::signal::sigprocmask(SigmaskHow::SIG_BLOCK, Some(&mask), Some(&mut previous))?;
        let fd = SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)?;
        Ok(BlockedSignals { fd, previous })
    }

    /// The next pending signal, if any.
    pub fn next(&self) -> Option<Signal> {
        match self.fd.read_signal() {
            Ok(Some(info)) => Signal::try_from(info.ssi_signo as i32).ok(),
            _ => None,
        }
    }

    pub fn fd(&self) -> std::os::fd::BorrowedFd<'_> {
        use std::os::fd::AsFd;
        self.fd.as_fd()
    }
}

impl Drop for BlockedSignals {
    /// Signals that arrived after the last read are consumed, not delivered
    /// on unblocking: whoever held the guard is done with the container.
    fn drop(&mut self) {
        while self.next().is_some() {}
        let _ = nix::sys::signal::sigprocmask(SigmaskHow::SIG_SETMASK, Some(&self.previous), None);
    }
}

/// Default dispositions for every signal, real-time ones included, and an
/// empty mask, as a freshly started program expects (Rust ignores SIGPIPE,
/// and ignored signals survive execve).
pub fn restore_for_exec() -> nix::Result<()> {
    // SAFETY: a zeroed sigaction is SIG_DFL with an empty mask and no flags.
    let default: libc::sigaction = unsafe { std::mem::zeroed() };
    for signo in 1..=libc::SIGRTMAX() {
        if signo == libc::SIGKILL || signo == libc::SIGSTOP {
            continue;
        }
        // SAFETY: installing SIG_DFL; failures (signals glibc reserves) are harmless.
        unsafe { libc::sigaction(signo, &default, std::ptr::null_mut()) };
    }
    nix::sys::signal::sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None)
}

/// SIGCHLD must not be ignored (an inherited SIG_IGN makes the kernel reap
/// children itself, and waitpid would find nothing).
pub fn default_sigchld() -> nix::Result<()> {
    let default = SigAction::new(SigHandler::SigDfl, SaFlags::empty(), SigSet::empty());
    // SAFETY: installing SIG_DFL has no handler code to be unsafe about.
    unsafe { sigaction(Signal::SIGCHLD, &default) }.map(|_| ())
}
