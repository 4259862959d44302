//! The last step: find the workload's program and execve it. The program is
//! searched in the container's PATH (as seen inside the new root) so that a
//! missing binary is reported by name with exit code 127 and an unusable one
//! with 126, as a shell would, instead of a bare failure.

use std::convert::Infallible;
use std::ffi::{CStr, CString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::unistd::{access, AccessFlags};

use crate::child::{report, StepError};
use crate::plan::ChildPlan;
use crate::steps::Step;
use crate::sync::Channel;
use crate::{EXIT_CANNOT_EXECUTE, EXIT_NOT_FOUND};

/// Why a program could not be run, with the exit code a shell would give.
#[derive(Debug, PartialEq)]
pub struct ExecFailure {
    pub exit_code: i32,
    pub message: String,
}

impl From<ExecFailure> for StepError {
    fn from(f: ExecFailure) -> StepError {
        StepError {
            step: Step::Exec,
            message: f.message,
            exit_code: f.exit_code,
        }
    }
}

/// Restores a clean signal state and execs the workload; returns only the
/// reason it could not.
pub fn exec_workload(plan: &ChildPlan, channel: &Channel) -> StepError {
    if let Err(errno) = crate::signals::restore_for_exec() {
        return StepError::sys(Step::Exec, "restoring signal dispositions")(errno);
    }
    match exec(plan, channel) {
        Ok(never) => match never {},
        Err(failure) => failure,
    }
}

fn exec(plan: &ChildPlan, channel: &Channel) -> Result<Infallible, StepError> {
    let program = resolve(&plan.args[0], &plan.search_path, executable)?;
    report(channel, Step::Exec, format!("execve {}", program.display()))?;
    let path = CString::new(program.as_os_str().as_bytes())
        .map_err(|_| StepError::new(Step::Exec, "NUL byte in program path"))?;
    let errno = match nix::unistd::execve(&path, &plan.args, &plan.env) {
        Ok(never) => match never {},
        Err(errno) => errno,
    };
    Err(exec_failure(&program, errno).into())
}

/// Outcome of checking one candidate path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Candidate {
    Executable,
    NotExecutable(Errno),
    Missing,
}

fn executable(path: &Path) -> Candidate {
    match std::fs::metadata(path) {
        Err(_) => Candidate::Missing,
        Ok(meta) if meta.is_dir() => Candidate::NotExecutable(Errno::EISDIR),
        Ok(_) => match access(path, AccessFlags::X_OK) {
            Ok(()) => Candidate::Executable,
            Err(errno) => Candidate::NotExecutable(errno),
        },
    }
}

/// execvp's search, with the checks pulled out so it can be tested.
pub fn resolve(
    program: &CStr,
    search_path: &str,
    check: impl Fn(&Path) -> Candidate,
) -> Result<PathBuf, ExecFailure> {
    let name = Path::new(std::ffi::OsStr::from_bytes(program.to_bytes()));
    if name.as_os_str().is_empty() {
        return Err(ExecFailure {
            exit_code: EXIT_NOT_FOUND,
            message: "empty program name".into(),
        });
    }
    if program.to_bytes().contains(&b'/') {
        return match check(name) {
            Candidate::Executable => Ok(name.to_path_buf()),
            Candidate::Missing => Err(exec_failure(name, Errno::ENOENT)),
            Candidate::NotExecutable(errno) => Err(exec_failure(name, errno)),
        };
    }
    let mut refused = None;
    for dir in search_path.split(':').filter(|d| !d.is_empty()) {
        let candidate = Path::new(dir).join(name);
        match check(&candidate) {
            Candidate::Executable => return Ok(candidate),
            Candidate::NotExecutable(errno) => refused = refused.or(Some((candidate, errno))),
            Candidate::Missing => {}
        }
    }
    Err(match refused {
        Some((candidate, errno)) => exec_failure(&candidate, errno),
        None => ExecFailure {
            exit_code: EXIT_NOT_FOUND,
            message: format!(
                "{}: command not found in PATH ({search_path})",
                name.display()
            ),
        },
    })
}

fn exec_failure(program: &Path, errno: Errno) -> ExecFailure {
    let exit_code = if errno == Errno::ENOENT {
        EXIT_NOT_FOUND
    } else {
        EXIT_CANNOT_EXECUTE
    };
    ExecFailure {
        exit_code,
        message: format!("cannot execute {}: {}", program.display(), errno.desc()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> CString {
        CString::new(s).expect("cstring")
    }

    #[test]
    fn searches_path_in_order() {
        let found = resolve(&name("stress"), "/a:/b:/c", |p| {
            if p.starts_with("/b") || p.starts_with("/c") {
                Candidate::Executable
            } else {
                Candidate::Missing
            }
        });
        assert_eq!(found, Ok(PathBuf::from("/b/stress")));
    }

    #[test]
    fn missing_everywhere_is_127_and_names_the_program() {
        let err = resolve(&name("nope"), "/a:/b", |_| Candidate::Missing).expect_err("missing");
        assert_eq!(err.exit_code, 127);
        assert!(err.message.contains("nope"), "{}", err.message);
        assert!(err.message.contains("/a:/b"), "{}", err.message);
    }

    #[test]
    fn present_but_not_executable_is_126() {
        let err = resolve(&name("/etc/passwd"), "", |_| {
            Candidate::NotExecutable(Errno::EACCES)
        })
        .expect_err("refused");
        assert_eq!(err.exit_code, 126);
        assert!(err.message.contains("/etc/passwd"));
    }

    #[test]
    fn a_later_executable_wins_over_an_earlier_refusal() {
        let found = resolve(&name("x"), "/a:/b", |p| {
            if p.starts_with("/a") {
                Candidate::NotExecutable(Errno::EACCES)
            } else {
                Candidate::Executable
            }
        });
        assert_eq!(found, Ok(PathBuf::from("/b/x")));
    }

    #[test]
    fn absolute_missing_path_is_127() {
        let err = resolve(&name("/no/such"), "/bin", |_| Candidate::Missing).expect_err("missing");
        assert_eq!(err.exit_code, 127);
    }
}
