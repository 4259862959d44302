//! The runtime's one error type. Every variant names what it was doing: the
//! setup step, the path, or the system call, so a failure reads as a reason
//! ("mounting proc on /proc: Operation not permitted"), never a bare errno.

use std::path::PathBuf;

/// Exit code of a failure inside containerctl itself (docker uses the same).
pub const EXIT_RUNTIME_FAILURE: i32 = 125;
/// Exit code when the workload's program exists but cannot be executed.
pub const EXIT_CANNOT_EXECUTE: i32 = 126;
/// Exit code when the workload's program is not found.
pub const EXIT_NOT_FOUND: i32 = 127;

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The Spec asks for something this runtime does not do.
    #[error("unsupported spec: {0}")]
    Unsupported(String),

    /// A cgroup could not be created, configured, read or removed.
    #[error(transparent)]
    Cgroup(#[from] cgroups::CgroupError),

    /// A file-system operation of the supervisor failed.
    #[error("{what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },

    /// A system call of the supervisor failed.
    #[error("{what}: {source}")]
    Sys {
        what: &'static str,
        source: nix::errno::Errno,
    },

    /// The container process reported a failure during one of its setup steps.
    #[error("container setup failed at step {step}: {message}")]
    Setup {
        step: String,
        message: String,
        exit_code: i32,
    },
}

impl RuntimeError {
    /// The exit code `containerctl run` should end with for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            RuntimeError::Setup { exit_code, .. } => *exit_code,
            _ => EXIT_RUNTIME_FAILURE,
        }
    }

    pub(crate) fn sys(what: &'static str) -> impl FnOnce(nix::errno::Errno) -> RuntimeError {
        move |source| RuntimeError::Sys { what, source }
    }

    pub(crate) fn io(
        what: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> RuntimeError {
        let path = path.into();
        move |source| RuntimeError::Io { what, path, source }
    }
}
