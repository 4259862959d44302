//! `runtime::exec_in`: a new process in a running container (a shell held
//! open by a gate), started through containerctl-exec-helper (exec_in forks,
//! and this test binary is multi-threaded). From inside the new process:
//! the container's pid namespace (PID 1 is the workload), mount namespace
//! (its /proc), hostname and cgroups; a missing program is 127.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::*;

fn helper() -> &'static str {
    env!("CARGO_BIN_EXE_containerctl-exec-helper")
}

/// A running container and what exec_in needs to find it.
struct Running {
    id: String,
    pid1: i32,
    config: PathBuf,
    _dir: tempfile::TempDir,
}

/// Waits for the one container under `state` to run its workload.
fn find_container(state: &Path, dir: tempfile::TempDir, yaml: &str) -> Running {
    let start = Instant::now();
    loop {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no container appeared"
        );
        if let Some(found) = try_find(state) {
            let config = dir.path().join("config.json");
            write_config(yaml, dir.path(), &config);
            return Running {
                id: found.0,
                pid1: found.1,
                config,
                _dir: dir,
            };
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// (id, host pid of PID 1) once PID 1 runs the workload's shell.
fn try_find(state: &Path) -> Option<(String, i32)> {
    let entries = std::fs::read_dir(state).ok()?;
    let id = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|name| name.len() == 64)?;
    let layout = cgroups::detect().expect("cgroup layout");
    let pids = cgroups::open(&layout, cgroups::DEFAULT_PARENT, &id)
        .pids()
        .ok()?;
    let pid1 = pids.into_iter().find(|pid| is_namespace_init(*pid))?;
    let cmdline = std::fs::read_to_string(format!("/proc/{pid1}/cmdline")).ok()?;
    cmdline.starts_with("/bin/sh").then_some((id, pid1))
}

/// Its NSpid line ends in 1: PID 1 of its own pid namespace.
fn is_namespace_init(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/status")).is_ok_and(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("NSpid:"))
            .is_some_and(|ids| ids.split_whitespace().last() == Some("1"))
    })
}

/// The container's config.json, as `containerctl spec` lowers the workload.
fn write_config(yaml: &str, dir: &Path, config: &Path) {
    let file = dir.join("workload.yaml");
    std::fs::write(&file, yaml).expect("write workload");
    let out = Command::new(containerctl())
        .arg("spec")
        .arg(&file)
        .output()
        .expect("containerctl spec");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(config, &out.stdout).expect("write config.json");
}

fn exec(c: &Running, extra: &[&str], args: &[&str]) -> std::process::Output {
    Command::new(helper())
        .arg(c.pid1.to_string())
        .arg(cgroups::DEFAULT_PARENT)
        .arg(&c.id)
        .arg(&c.config)
        .args(extra)
        .arg("--")
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run the exec helper")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn exec_in_joins_the_containers_namespaces_and_cgroups() {
    let gate = Gate::new();
    let yaml = format!(
        "hostname: exec-box\nuser: \"1000:1001\"\n{}",
        sh(&format!("echo started; {}", gate.wait_script()))
    );
    let state = tempfile::tempdir().expect("state");
    let (child, pending) = RunBuilder::new(&yaml).state(state.path()).spawn();
    let container = find_container(state.path(), tempfile::tempdir().expect("dir"), &yaml);

    let script = "readlink /proc/self/ns/pid; tr '\\0' ' ' < /proc/1/cmdline; echo; \
                  cat /proc/sys/kernel/hostname; \
                  [ \"$(cat /proc/self/cgroup)\" = \"$(cat /proc/1/cgroup)\" ] && echo same-cgroups; \
                  echo helper=$EXEC_HELPER uid=$(id -u) cwd=$(pwd); exit 3";
    let out = exec(&container, &[], &["/bin/sh", "-c", script]);
    let missing = exec(&container, &[], &["no-such-program"]);
    let on_tty = exec(&container, &["-t"], &["/bin/sh", "-c", "busybox tty"]);
    let host_view =
        std::fs::read_link(format!("/proc/{}/ns/pid", container.pid1)).expect("ns of PID 1");
    gate.open();
    let run = pending.finish(child);
    run.expect_code(0).assert_clean();

    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{stdout}");
    assert_eq!(Path::new(lines[0]), host_view, "pid namespace");
    assert!(
        lines[1].starts_with("/bin/sh -c echo started"),
        "PID 1 is {:?}",
        lines[1]
    );
    assert_eq!(lines[2], "exec-box");
    assert_eq!(lines[3], "same-cgroups");
    assert_eq!(lines[4], "helper=1 uid=1000 cwd=/");

    assert_eq!(
        missing.status.code(),
        Some(127),
        "{}",
        text(&missing.stderr)
    );
    assert!(
        text(&missing.stderr).contains("no-such-program"),
        "{}",
        text(&missing.stderr)
    );
    assert_eq!(on_tty.status.code(), Some(0), "{}", text(&on_tty.stderr));
    assert!(
        text(&on_tty.stdout).starts_with("/dev/pts/"),
        "tty in the container: {:?}",
        text(&on_tty.stdout)
    );
}
