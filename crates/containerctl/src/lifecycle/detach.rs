//! `run -d`: the CLI starts a monitor (this same binary, re-executed with
//! the same arguments in a session of its own, stdio on /dev/null) and
//! waits on a pipe until the monitor reports the container running or why
//! it could not start; then it prints the id and returns. The monitor
//! places and runs the container as a foreground run would, with the
//! workload's output going to `container.log`, and records its exit.
//!
//! The report pipe is the monitor's descriptor named by the
//! `CONTAINERCTL_MONITOR_FD` environment variable. Lines on it:
//! `id ID`, then `running` or `error CODE MESSAGE`.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::sync::Mutex;

use anyhow::Context;

const REPORT_FD_ENV: &str = "CONTAINERCTL_MONITOR_FD";

/// The monitor's end of the report pipe, until the container runs.
static REPORT: Mutex<Option<File>> = Mutex::new(None);

/// Called once at start: in a monitor, takes the report pipe named by the
/// environment (and removes the variable, so nothing below inherits it).
pub fn adopt_report_pipe() {
    let Some(fd) = std::env::var(REPORT_FD_ENV)
        .ok()
        .and_then(|v| v.parse::<i32>().ok())
    else {
        return;
    };
    std::env::remove_var(REPORT_FD_ENV);
    // SAFETY: the descriptor was made for us by the CLI that started us.
    let file = unsafe { File::from_raw_fd(fd) };
    if let Ok(mut report) = REPORT.lock() {
        *report = Some(file);
    }
}

/// True in a monitor started by `run -d`.
pub fn is_monitor() -> bool {
    REPORT.lock().is_ok_and(|r| r.is_some())
}

fn send(line: &str, last: bool) {
    if let Ok(mut report) = REPORT.lock() {
        if let Some(file) = report.as_mut() {
            // The CLI may be gone (killed): the container goes on anyway.
            let _ = writeln!(file, "{line}");
        }
        if last {
            *report = None;
        }
    }
}

/// The monitor registered container `id`.
pub fn report_id(id: &str) {
    send(&format!("id {id}"), false);
}

/// The workload was exec'd: the CLI may return.
pub fn report_running() {
    send("running", true);
}

/// The container could not start: the CLI shows `message` and exits `code`.
pub fn report_failure(code: i32, message: &str) {
    send(
        &format!("error {code} {}", message.replace('\n', " ")),
        true,
    );
}

/// The CLI side: starts the monitor and waits for its report. Prints the
/// id and returns 0 once the container runs.
pub fn start_monitor() -> anyhow::Result<i32> {
    let (read_end, write_end) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
        .context("making the monitor's report pipe")?;
    let write_fd = write_end.as_raw_fd();
    let mut command = std::process::Command::new("/proc/self/exe");
    command
        .args(std::env::args_os().skip(1))
        .env(REPORT_FD_ENV, write_fd.to_string())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(move || {
            if libc::setsid() < 0 || libc::fcntl(write_fd, libc::F_SETFD, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let monitor = command
        .spawn()
        .context("starting the container's monitor")?;
    drop(write_end);
    let outcome = read_report(read_end);
    // The monitor lives on; it is not our child to wait for (init reaps it).
    drop(monitor);
    outcome
}

/// Reads the monitor's report to its end.
fn read_report(read_end: OwnedFd) -> anyhow::Result<i32> {
    let mut id = None;
    for line in BufReader::new(File::from(read_end)).lines() {
        let line = line.context("reading the monitor's report")?;
        let (word, rest) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        match word {
            "id" => id = Some(rest.to_string()),
            "running" => {
                let id = id.context("the monitor reported a container without an id")?;
                println!("{id}");
                return Ok(0);
            }
            "error" => {
                let (code, message) = rest.split_once(' ').unwrap_or((rest, ""));
                return Err(MonitorFailure {
                    code: code.parse().unwrap_or(runtime::EXIT_RUNTIME_FAILURE),
                    message: message.to_string(),
                }
                .into());
            }
            _ => {}
        }
    }
    Err(MonitorFailure {
        code: runtime::EXIT_RUNTIME_FAILURE,
        message: match id {
            Some(id) => format!(
                "the monitor of container {} ended before it started; `containerctl gc` cleans up what is left",
                runtime::short_id(&id)
            ),
            None => "the container's monitor ended before it registered the container".to_string(),
        },
    }
    .into())
}

/// Why a detached container did not start, with the exit code to end with.
#[derive(Debug)]
pub struct MonitorFailure {
    pub code: i32,
    pub message: String,
}

impl std::fmt::Display for MonitorFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for MonitorFailure {}
