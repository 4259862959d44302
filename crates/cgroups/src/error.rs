//! The crate's one error type. Every variant that is about a file or
//! directory names it, and I/O errors also name the step that failed, so a
//! message reads like `writing "50000 100000" to /sys/fs/cgroup/x/cpu.max:
//! Invalid argument`. The OS message is part of the text (not a `source()`
//! chain), so `anyhow`'s `{:#}` prints it once; `raw_os_error()` gives the
//! errno to callers that want to branch on it.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// Anything that can go wrong while detecting, creating, configuring,
/// inspecting or removing a cgroup.
#[derive(Debug, thiserror::Error)]
pub enum CgroupError {
    /// A file-system call failed. `step` reads like "reading",
    /// `writing "max" to`, "creating directory".
    #[error("{step} {}: {}", path.display(), os_message(err))]
    Io {
        step: String,
        path: PathBuf,
        err: io::Error,
    },

    /// A control file held text this crate could not understand.
    #[error("parsing {}: {reason}", path.display())]
    Parse { path: PathBuf, reason: String },

    /// A line of /proc/self/mountinfo (or the text given) is malformed.
    #[error("mountinfo line {line}: {reason}")]
    Mountinfo { line: usize, reason: String },

    /// The mount table lists neither a cgroup (v1) nor a cgroup2 mount.
    #[error("no cgroup or cgroup2 mount found in the mount table (is /sys/fs/cgroup mounted?)")]
    NoCgroupMounts,

    /// The container's own cgroup already exists: most likely an id that is
    /// already in use by another container.
    #[error("cgroup {} already exists (is the container id already in use?)", path.display())]
    AlreadyExists { path: PathBuf },

    /// The parent name or container id cannot be used as one directory name.
    #[error("invalid cgroup {what} {value:?}: {reason}")]
    InvalidName {
        what: &'static str,
        value: String,
        reason: &'static str,
    },

    /// A value the caller passed cannot be applied.
    #[error("invalid value for {what}: {reason}")]
    InvalidValue { what: &'static str, reason: String },

    /// The operation needs a controller that this host does not provide.
    #[error("{what} needs the {controller} controller, which is not mounted on this host")]
    ControllerMissing {
        controller: &'static str,
        what: &'static str,
    },

    /// A bounded wait ran out (freezing, killing, a busy rmdir).
    #[error("timed out after {} ms waiting for {what} ({})", waited.as_millis(), path.display())]
    Timeout {
        what: String,
        path: PathBuf,
        waited: Duration,
    },

    /// Sending a signal to a process of the cgroup failed.
    #[error("sending SIGKILL to pid {pid} (listed in {}): {}", path.display(), errno.desc())]
    Signal {
        pid: i32,
        path: PathBuf,
        errno: nix::errno::Errno,
    },
}

impl CgroupError {
    /// Build an [`CgroupError::Io`] from a step, a path and the error.
    pub(crate) fn io(step: impl Into<String>, path: impl Into<PathBuf>, err: io::Error) -> Self {
        CgroupError::Io {
            step: step.into(),
            path: path.into(),
            err,
        }
    }

    /// The errno behind an I/O or signal error, if there is one.
    pub fn raw_os_error(&self) -> Option<i32> {
        match self {
            CgroupError::Io { err, .. } => err.raw_os_error(),
            CgroupError::Signal { errno, .. } => Some(*errno as i32),
            _ => None,
        }
    }
}

/// "Invalid argument" rather than "Invalid argument (os error 22)".
fn os_message(err: &io::Error) -> String {
    match err.raw_os_error() {
        Some(code) => nix::errno::Errno::from_raw(code).desc().to_string(),
        None => err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_error_names_step_path_and_os_message() {
        let e = CgroupError::io(
            format!("writing {:?} to", "50000 100000"),
            "/sys/fs/cgroup/containerctl/abc/cpu.max",
            io::Error::from_raw_os_error(libc::EINVAL),
        );
        assert_eq!(
            e.to_string(),
            "writing \"50000 100000\" to /sys/fs/cgroup/containerctl/abc/cpu.max: Invalid argument"
        );
        assert_eq!(e.raw_os_error(), Some(libc::EINVAL));
    }

    #[test]
    fn non_os_io_error_keeps_its_text() {
        let e = CgroupError::io("reading", "/x", io::Error::other("short write"));
        assert_eq!(e.to_string(), "reading /x: short write");
        assert_eq!(e.raw_os_error(), None);
    }
}
