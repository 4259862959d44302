//! Where the container's standard streams come from: inherited from the
//! supervisor (a foreground `run`), three descriptors the caller opened (a
//! detached container's log file), the slave side of a pseudo-terminal the
//! caller opened, or a new pseudo-terminal the container opens in its own
//! /dev/pts once its root is in place (like runc's console socket: `tty`
//! inside then names a device it can see), whose master is sent back to the
//! parent over the setup channel. A terminal becomes the container's
//! controlling terminal, so that its Ctrl-C and window size reach the
//! workload. The child attaches given descriptors right after it starts its
//! own session, and opens a new terminal after pivot_root.

use std::os::fd::{AsFd, AsRawFd, RawFd};

use crate::child::{report, StepError};
use crate::pty::{self, WindowSize};
use crate::steps::Step;
use crate::sync::{Channel, FromChild};

/// The container's stdin, stdout and stderr. The descriptors stay owned by
/// the caller, who keeps them open until `run` returns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Stdio {
    /// The supervisor's own 0, 1 and 2.
    #[default]
    Inherit,
    /// Three open descriptors (they may be the same one).
    Files {
        stdin: RawFd,
        stdout: RawFd,
        stderr: RawFd,
    },
    /// A pty slave: all three streams, and the controlling terminal.
    Terminal(RawFd),
    /// A new pty opened inside the container (from its /dev/ptmx), with
    /// this window size if given: all three streams and the controlling
    /// terminal. Its master reaches the caller as `Event::Terminal`.
    NewTerminal(Option<WindowSize>),
}

/// Puts the chosen descriptors at 0, 1 and 2 of the calling process (a new
/// session leader, for a terminal).
pub fn attach(stdio: Stdio) -> Result<(), StepError> {
    let fds = match stdio {
        Stdio::Inherit | Stdio::NewTerminal(_) => return Ok(()),
        Stdio::Files {
            stdin,
            stdout,
            stderr,
        } => [stdin, stdout, stderr],
        Stdio::Terminal(slave) => {
            // SAFETY: TIOCSCTTY on a descriptor we were given; 0 = do not steal.
            if unsafe { libc::ioctl(slave, libc::TIOCSCTTY, 0) } != 0 {
                return Err(StepError::sys(Step::Stdio, "ioctl(TIOCSCTTY) on the pty")(
                    nix::errno::Errno::last(),
                ));
            }
            [slave; 3]
        }
    };
    for (target, fd) in fds.into_iter().enumerate() {
        // SAFETY: dup2 onto 0..2 of this process; the sources stay open.
        if fd != target as RawFd && unsafe { libc::dup2(fd, target as RawFd) } < 0 {
            return Err(StepError::sys(
                Step::Stdio,
                format!("dup2 onto fd {target}"),
            )(nix::errno::Errno::last()));
        }
    }
    Ok(())
}

/// For [`Stdio::NewTerminal`]: opens a pty from the /dev/ptmx the caller's
/// root shows, gives the slave to `owner` (the workload's uid), makes it the
/// controlling terminal and 0, 1 and 2, and sends the master to the parent.
/// The caller must be a session leader without a terminal.
pub fn open_terminal(stdio: Stdio, owner: u32, channel: &Channel) -> Result<(), StepError> {
    let Stdio::NewTerminal(size) = stdio else {
        return Ok(());
    };
    let fail = |e: crate::RuntimeError| StepError::new(Step::Stdio, e.to_string());
    let pty = pty::open().map_err(fail)?;
    if let Some(size) = size {
        pty::set_window_size(pty.master.as_fd(), size).map_err(fail)?;
    }
    nix::unistd::fchown(
        pty.slave.as_fd(),
        Some(nix::unistd::Uid::from_raw(owner)),
        None,
    )
    .map_err(StepError::sys(Step::Stdio, "fchown of the pty slave"))?;
    attach(Stdio::Terminal(pty.slave.as_raw_fd()))?;
    channel
        .send_with_fd(&FromChild::Terminal, pty.master.as_fd())
        .map_err(|e| StepError::new(Step::Stdio, format!("sending the pty master: {e}")))?;
    report(channel, Step::Stdio, describe(size))
}

fn describe(size: Option<WindowSize>) -> String {
    match size {
        Some(s) => format!("new pty as controlling terminal, {}x{}", s.cols, s.rows),
        None => "new pty as controlling terminal".to_string(),
    }
}
