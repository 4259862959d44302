//! clone3(2) into new namespaces. Without a stack argument clone3 behaves
//! like fork, so the child continues in this process image; CLONE_PIDFD gives
//! the parent a pidfd that becomes readable when the child exits, which the
//! supervisor polls together with its signals and the setup channel. The
//! caller must be single-threaded (the CLI is), as after any fork.

use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use nix::sched::CloneFlags;
use nix::unistd::Pid;

use crate::RuntimeError;

/// What the parent holds after a successful clone.
#[derive(Debug)]
pub struct Spawned {
    pub pid: Pid,
    pub pidfd: OwnedFd,
}

/// Which side of the clone this is.
pub enum Cloned {
    Child,
    Parent(Spawned),
}

pub fn clone_into_namespaces(flags: CloneFlags) -> Result<Cloned, RuntimeError> {
    let mut pidfd: RawFd = -1;
    // SAFETY: clone_args is plain old data; zero is the documented default for every field.
    let mut args: libc::clone_args = unsafe { std::mem::zeroed() };
    args.flags = flags.bits() as u64 | libc::CLONE_PIDFD as u64;
    args.pidfd = &mut pidfd as *mut RawFd as u64;
    args.exit_signal = libc::SIGCHLD as u64;
    // SAFETY: clone3 with no stack forks this (single-threaded) process; args outlives the call.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_clone3,
            &mut args as *mut libc::clone_args,
            std::mem::size_of::<libc::clone_args>(),
        )
    };
    match rc {
        -1 => Err(RuntimeError::Sys {
            what: "clone3 into new namespaces",
            source: nix::errno::Errno::last(),
        }),
        0 => Ok(Cloned::Child),
        pid => Ok(Cloned::Parent(Spawned {
            pid: Pid::from_raw(pid as i32),
            // SAFETY: the kernel wrote a fresh pidfd that only we own.
            pidfd: unsafe { OwnedFd::from_raw_fd(pidfd) },
        })),
    }
}

/// Human names of the namespaces a flag set creates.
pub fn namespace_names(flags: CloneFlags, cgroup: bool) -> Vec<&'static str> {
    let table = [
        (CloneFlags::CLONE_NEWPID, "pid"),
        (CloneFlags::CLONE_NEWNET, "net"),
        (CloneFlags::CLONE_NEWIPC, "ipc"),
        (CloneFlags::CLONE_NEWUTS, "uts"),
        (CloneFlags::CLONE_NEWNS, "mnt"),
    ];
    let mut names: Vec<&str> = table
        .iter()
        .filter(|(flag, _)| flags.contains(*flag))
        .map(|(_, name)| *name)
        .collect();
    if cgroup {
        names.push("cgroup");
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_flags() {
        let flags = CloneFlags::CLONE_NEWPID | CloneFlags::CLONE_NEWNS;
        assert_eq!(namespace_names(flags, true), vec!["pid", "mnt", "cgroup"]);
        assert!(namespace_names(CloneFlags::empty(), false).is_empty());
    }
}
