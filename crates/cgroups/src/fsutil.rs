//! File-system helpers for control files: read, write, mkdir, rmdir and
//! kill, each turning an error into a [`CgroupError`] that names the path
//! and the step. Writes send the value without a trailing newline in one
//! write call (the kernel parses each write on its own) and are logged at
//! info level; directory changes at debug level. Unit tests install a fake
//! kernel (thread-local, see `tests::fake_kernel`) that sees mkdir, rmdir,
//! writes and kills first, to emulate what cgroupfs does with plain files.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::Path;

use crate::CgroupError;

#[cfg(test)]
use crate::tests::{fake_kernel as fake, fake_writes};

/// Read a control file that must exist.
pub(crate) fn read(path: &Path) -> Result<String, CgroupError> {
    std::fs::read_to_string(path).map_err(|e| CgroupError::io("reading", path, e))
}

/// Read a control file that may be absent (an older kernel, a controller
/// that is not enabled); `None` when it is.
pub(crate) fn read_optional(path: &Path) -> Result<Option<String>, CgroupError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CgroupError::io("reading", path, e)),
    }
}

/// Read a file that must exist and parse it with a pure parser.
pub(crate) fn read_parsed<T>(
    path: &Path,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<T, CgroupError> {
    let text = read(path)?;
    parse(&text).map_err(|reason| CgroupError::Parse {
        path: path.to_path_buf(),
        reason,
    })
}

/// Read a file that may be absent and parse it with a pure parser.
pub(crate) fn read_parsed_optional<T>(
    path: &Path,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<Option<T>, CgroupError> {
    match read_optional(path)? {
        None => Ok(None),
        Some(text) => parse(&text).map(Some).map_err(|reason| CgroupError::Parse {
            path: path.to_path_buf(),
            reason,
        }),
    }
}

/// Write `value` to a control file that must exist.
pub(crate) fn write(path: &Path, value: &str) -> Result<(), CgroupError> {
    write_raw(path, value).map_err(|e| CgroupError::io(format!("writing {value:?} to"), path, e))
}

/// Write `value` to a control file that may be absent; `false` when it is.
pub(crate) fn write_optional(path: &Path, value: &str) -> Result<bool, CgroupError> {
    match write_raw(path, value) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(CgroupError::io(format!("writing {value:?} to"), path, e)),
    }
}

/// Open without creating (a missing control file is an error, not a new
/// plain file), truncate (plain files in tests; cgroupfs ignores it), then
/// one write of the whole value.
fn write_raw(path: &Path, value: &str) -> io::Result<()> {
    #[cfg(test)]
    if let Some(result) = fake_writes::on_write(path, value) {
        log_write(path, value, &result);
        return result;
    }
    let result = (|| {
        let mut file = OpenOptions::new().write(true).truncate(true).open(path)?;
        loop {
            match file.write(value.as_bytes()) {
                Ok(n) if n == value.len() => return Ok(()),
                Ok(n) => {
                    return Err(io::Error::other(format!(
                        "short write ({n} of {} bytes)",
                        value.len()
                    )))
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    })();
    log_write(path, value, &result);
    result
}

/// Control files whose writes are routine mechanics (joining, freezing,
/// killing) rather than configuration; logged at debug.
const MECHANICS: [&str; 5] = [
    "cgroup.procs",
    "freezer.state",
    "cgroup.freeze",
    "cgroup.kill",
    "tasks",
];

fn log_write(path: &Path, value: &str, result: &io::Result<()>) {
    let routine = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| MECHANICS.contains(&n));
    match result {
        Ok(()) if routine => {
            tracing::debug!(step = "cgroup", path = %path.display(), value = %value, "wrote")
        }
        Ok(()) => tracing::info!(step = "cgroup", path = %path.display(), value = %value, "wrote"),
        Err(e) => {
            tracing::debug!(step = "cgroup", path = %path.display(), value = %value, error = %e, "write failed")
        }
    }
}

/// Create one directory (not its parents). The raw error is returned so
/// callers can tell ENOENT and EEXIST apart.
pub(crate) fn mkdir(path: &Path) -> io::Result<()> {
    #[cfg(test)]
    let result = match fake::on_mkdir(path) {
        Some(result) => result,
        None => std::fs::create_dir(path),
    };
    #[cfg(not(test))]
    let result = std::fs::create_dir(path);
    match &result {
        Ok(()) => tracing::debug!(step = "cgroup", path = %path.display(), "created directory"),
        Err(e) => {
            tracing::debug!(step = "cgroup", path = %path.display(), error = %e, "mkdir failed")
        }
    }
    result
}

/// Remove one (cgroup) directory. The raw error is returned so callers can
/// tell EBUSY, ENOTEMPTY and ENOENT apart.
pub(crate) fn rmdir(path: &Path) -> io::Result<()> {
    #[cfg(test)]
    let result = match fake::on_rmdir(path) {
        Some(result) => result,
        None => std::fs::remove_dir(path),
    };
    #[cfg(not(test))]
    let result = std::fs::remove_dir(path);
    match &result {
        Ok(()) => tracing::debug!(step = "cgroup", path = %path.display(), "removed directory"),
        Err(e) => {
            tracing::debug!(step = "cgroup", path = %path.display(), error = %e, "rmdir failed")
        }
    }
    result
}

/// SIGKILL one process. Under `cargo test` only the fake kernel is ever
/// asked, so unit tests can never signal a real process.
pub(crate) fn kill_pid(pid: i32) -> nix::Result<()> {
    #[cfg(test)]
    return fake::on_kill(pid);
    #[cfg(not(test))]
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    )
}

/// Whether a path exists (a directory or control file).
pub(crate) fn exists(path: &Path) -> bool {
    path.exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    // No fake kernel is installed here: these are the real calls.

    #[test]
    fn write_replaces_the_text_without_a_newline() {
        let tmp = tempfile::TempDir::new().expect("temp dir");
        let file = tmp.path().join("cpu.max");
        std::fs::write(&file, "max 100000\n").expect("seed");
        write(&file, "50000 100000").expect("write");
        assert_eq!(
            std::fs::read_to_string(&file).expect("read"),
            "50000 100000"
        );
        assert_eq!(read(&file).expect("read"), "50000 100000");
    }

    #[test]
    fn a_missing_control_file_is_not_created() {
        let tmp = tempfile::TempDir::new().expect("temp dir");
        let file = tmp.path().join("memory.swap.max");
        let msg = write(&file, "0").expect_err("missing").to_string();
        assert_eq!(
            msg,
            format!(
                "writing \"0\" to {}: No such file or directory",
                file.display()
            )
        );
        assert!(!file.exists());
        assert!(!write_optional(&file, "0").expect("optional"));
        assert!(!file.exists());
        assert_eq!(read_optional(&file).expect("optional"), None);
        let msg = read(&file).expect_err("missing").to_string();
        assert!(msg.starts_with("reading "), "{msg}");
    }

    #[test]
    fn parse_errors_name_the_file() {
        let tmp = tempfile::TempDir::new().expect("temp dir");
        let file = tmp.path().join("pids.current");
        std::fs::write(&file, "many\n").expect("seed");
        let err = read_parsed(&file, crate::stats::parse_u64).expect_err("garbage");
        assert_eq!(
            err.to_string(),
            format!(
                "parsing {}: expected an unsigned number, found \"many\"",
                file.display()
            )
        );
    }

    #[test]
    fn mkdir_and_rmdir_report_raw_errors() {
        let tmp = tempfile::TempDir::new().expect("temp dir");
        let dir = tmp.path().join("a");
        mkdir(&dir).expect("mkdir");
        assert_eq!(
            mkdir(&dir).expect_err("exists").kind(),
            io::ErrorKind::AlreadyExists
        );
        assert_eq!(
            mkdir(&tmp.path().join("x/y"))
                .expect_err("no parent")
                .kind(),
            io::ErrorKind::NotFound
        );
        rmdir(&dir).expect("rmdir");
        assert_eq!(
            rmdir(&dir).expect_err("gone").kind(),
            io::ErrorKind::NotFound
        );
    }

    #[test]
    fn kill_never_reaches_a_real_process_in_tests() {
        assert_eq!(
            kill_pid(std::process::id() as i32),
            Err(nix::errno::Errno::EPERM)
        );
    }
}
