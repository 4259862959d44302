//! `containerctl exec`: a new process in a running container (a detached
//! shell held open by a gate). From inside the new process: the
//! container's pid namespace (PID 1 is the workload), mount namespace (its
//! /proc), hostname, cgroups, user and environment; a missing program is
//! 127; `-t` gives it a terminal of its own.

use std::path::Path;

use crate::ctl::Ctl;
use crate::support::{sh, Gate};

#[test]
fn exec_joins_the_containers_namespaces_and_cgroups() {
    let ctl = Ctl::new("exec");
    let gate = Gate::new();
    let file = ctl.workload(
        "box",
        &format!(
            "name: box\nhostname: exec-box\nuser: \"1000:1001\"\n{}",
            sh(&format!("echo started; {}", gate.wait_script()))
        ),
    );
    let id = ctl.detach(&file, &[]);
    let listed = ctl.ps();
    let pid1 = listed[0]["pid1"]["pid"].as_i64().expect("pid1");
    let host_view = std::fs::read_link(format!("/proc/{pid1}/ns/pid")).expect("ns of PID 1");

    let script = "readlink /proc/self/ns/pid; tr '\\0' ' ' < /proc/1/cmdline; echo; \
                  cat /proc/sys/kernel/hostname; \
                  [ \"$(cat /proc/self/cgroup)\" = \"$(cat /proc/1/cgroup)\" ] && echo same-cgroups; \
                  echo var=$EXEC_VAR uid=$(id -u) cwd=$(pwd); exit 3";
    let out = ctl.run(&[
        "exec",
        "-e",
        "EXEC_VAR=1",
        "-w",
        "/tmp",
        "box",
        "/bin/sh",
        "-c",
        script,
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
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
    assert_eq!(lines[4], "var=1 uid=1000 cwd=/tmp");

    let missing = ctl.run(&["exec", &id[..8], "no-such-program"]);
    assert_eq!(missing.status.code(), Some(127));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no-such-program"));

    let on_tty = ctl.ok(&["exec", "-t", "box", "/bin/sh", "-c", "busybox tty || tty"]);
    assert!(
        on_tty.starts_with("/dev/pts/"),
        "tty in the container: {on_tty:?}"
    );

    gate.open();
    assert_eq!(ctl.ok(&["wait", "box"]).trim(), "0");
    ctl.ok(&["rm", "box"]);
    ctl.assert_clean();
}
