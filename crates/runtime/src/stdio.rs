//! Where the container's standard streams come from: inherited from the
//! supervisor (a foreground `run`), three descriptors the caller opened (a
//! detached container's log file), or the slave side of a pseudo-terminal,
//! which then becomes the container's controlling terminal so that the
//! terminal's Ctrl-C and window size reach the workload. The child applies
//! it right after it starts its own session.

use std::os::fd::RawFd;

use crate::child::StepError;
use crate::steps::Step;

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
}

/// Puts the chosen descriptors at 0, 1 and 2 of the calling process (a new
/// session leader, for a terminal).
pub fn attach(stdio: Stdio) -> Result<(), StepError> {
    let fds = match stdio {
        Stdio::Inherit => return Ok(()),
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
