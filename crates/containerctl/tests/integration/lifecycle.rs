//! Many containers with a lifecycle: `run -d` under a monitor, then `ps`,
//! `logs`, `stop`, `kill`, `rm`, `pause`, `resume`, `wait`, `inspect`,
//! `gc`, and `up`/`down`. Checked against the kernel: PID 1 alive in its
//! cgroup while running, the freezer state while paused, nothing (process,
//! cgroup, state dir, record) left after stop and rm.

use std::time::{Duration, Instant};

use crate::ctl::Ctl;
use crate::support::{sh, Gate};

/// 50 `run -d` at once from parallel CLI calls: distinct ids and names,
/// each PID 1 alive in its own cgroup; `rm -f` of all leaves nothing.
#[test]
fn fifty_concurrent_detached_containers() {
    let ctl = Ctl::new("fifty");
    let gate = Gate::new();
    // Long enough for 50 starts in the slow VM too.
    let file = ctl.workload(
        "many",
        &format!("name: many\n{}", sh(&gate.wait_script_for(600))),
    );
    let ids = ctl.detach_many(&file, 50);
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 50, "distinct ids");

    let listed = ctl.ps();
    assert_eq!(listed.len(), 50);
    let mut names: Vec<&str> = listed.iter().filter_map(|c| c["name"].as_str()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 50, "distinct names");
    assert!(
        names.contains(&"many"),
        "one keeps the workload's name: {names:?}"
    );
    for c in &listed {
        assert_eq!(c["status"], "running", "{c}");
        let pid = c["pid1"]["pid"].as_i64().expect("pid1") as i32;
        let id = c["id"].as_str().expect("id");
        let cgroup = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).expect("PID 1 alive");
        assert!(
            cgroup.contains(id),
            "PID 1 {pid} is in its own cgroup: {cgroup}"
        );
    }

    let mut rm = vec!["rm", "-f"];
    rm.extend(ids.iter().map(String::as_str));
    ctl.ok(&rm);
    ctl.assert_clean();
    assert!(ctl.cgroup_pids().is_empty());
}

/// Each verb against an id no container has: exit 4 and a clear message.
#[test]
fn every_verb_against_a_missing_container() {
    let ctl = Ctl::new("missing");
    let verbs: [&[&str]; 11] = [
        &["logs", "nope"],
        &["stop", "nope"],
        &["kill", "nope"],
        &["rm", "nope"],
        &["rm", "-f", "nope"],
        &["pause", "nope"],
        &["resume", "nope"],
        &["wait", "nope"],
        &["inspect", "nope"],
        &["exec", "nope", "true"],
        &["stats", "--no-stream", "nope"],
    ];
    for verb in verbs {
        let out = ctl.run(verb);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{verb:?}: {stderr}");
        assert!(
            stderr.contains("no such container: nope"),
            "{verb:?}: {stderr}"
        );
    }
}

/// An exited container: stop is a no-op, kill/pause/resume/exec refuse
/// (exit 5), logs/wait/inspect answer, rm removes it.
#[test]
fn every_verb_against_an_exited_container() {
    let ctl = Ctl::new("exited");
    let file = ctl.workload(
        "quick",
        &format!("name: quick\n{}", sh("echo one; echo two; exit 3")),
    );
    let id = ctl.detach(&file, &[]);
    assert_eq!(ctl.ok(&["wait", "quick"]).trim(), "3");
    assert_eq!(ctl.status(&id), "exited (3)");
    assert_eq!(ctl.ok(&["logs", "quick"]), "one\ntwo\n");
    assert_eq!(ctl.ok(&["logs", "--tail", "1", &id[..6]]), "two\n");
    ctl.ok(&["stop", "quick"]);
    for verb in ["kill", "pause", "resume"] {
        let stderr = String::from_utf8_lossy(&ctl.run(&[verb, "quick"]).stderr).into_owned();
        ctl.expect(&[verb, "quick"], 5);
        assert!(stderr.contains("exited (3)"), "{verb}: {stderr}");
    }
    ctl.expect(&["exec", "quick", "true"], 5);
    let inspect: serde_json::Value =
        serde_json::from_str(&ctl.ok(&["inspect", "quick"])).expect("json");
    assert_eq!(inspect[0]["exit_code"], 3);
    assert_eq!(inspect[0]["spec"]["process"]["args"][0], "/bin/sh");
    ctl.ok(&["rm", "quick"]);
    ctl.expect(&["inspect", "quick"], 4);
    ctl.assert_clean();
}

/// A paused container is frozen (the kernel says so); kill/exec/pause/rm
/// refuse, resume thaws it, and stop works on it directly.
#[test]
fn every_verb_against_a_paused_container() {
    let ctl = Ctl::new("paused");
    let file = ctl.workload(
        "ticker",
        &format!(
            "name: ticker\n{}",
            sh("while true; do echo tick; sleep 0.05; done")
        ),
    );
    let id = ctl.detach(&file, &[]);
    ctl.ok(&["pause", "ticker"]);
    assert_eq!(ctl.status(&id), "paused");
    assert!(frozen(&ctl, &id), "the cgroup is frozen");
    let before = ctl.ok(&["logs", "ticker"]).len();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        ctl.ok(&["logs", "ticker"]).len(),
        before,
        "no output while frozen"
    );
    for verb in [
        &["kill", "ticker"][..],
        &["pause", "ticker"],
        &["exec", "ticker", "true"],
        &["rm", "ticker"],
    ] {
        ctl.expect(verb, 5);
    }
    let inspect: serde_json::Value =
        serde_json::from_str(&ctl.ok(&["inspect", "ticker"])).expect("json");
    assert_eq!(inspect[0]["status"], "paused");
    ctl.ok(&["resume", "ticker"]);
    assert!(!frozen(&ctl, &id));
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        ctl.ok(&["logs", "ticker"]).len() > before,
        "output again once thawed"
    );
    ctl.expect(&["resume", "ticker"], 5);
    ctl.ok(&["pause", "ticker"]);
    ctl.ok(&["stop", "-t", "0.5", "ticker"]);
    assert!(ctl.status(&id).starts_with("exited"), "{}", ctl.status(&id));
    ctl.ok(&["rm", "ticker"]);
    ctl.assert_clean();
}

/// The freezer state as the kernel reports it.
fn frozen(ctl: &Ctl, id: &str) -> bool {
    let layout = cgroups::detect().expect("layout");
    match layout {
        cgroups::Layout::Unified { root } => {
            let events =
                std::fs::read_to_string(root.join(&ctl.parent).join(id).join("cgroup.events"))
                    .expect("cgroup.events");
            events.contains("frozen 1")
        }
        _ => {
            std::fs::read_to_string(
                std::path::Path::new("/sys/fs/cgroup/freezer")
                    .join(&ctl.parent)
                    .join(id)
                    .join("freezer.state"),
            )
            .expect("freezer.state")
            .trim()
                == "FROZEN"
        }
    }
}

/// stop sends SIGTERM first: a workload that traps it exits with its own
/// code well inside the grace period; `logs -f` follows to the end.
#[test]
fn stop_is_graceful_and_logs_follow_to_the_end() {
    let ctl = Ctl::new("stop");
    let file = ctl.workload(
        "trap",
        &format!(
            "name: trap\n{}",
            sh("trap 'echo bye; exit 42' TERM; echo ready; while true; do sleep 0.05; done")
        ),
    );
    let id = ctl.detach(&file, &[]);
    let follower = ctl
        .command(&["logs", "-f", "trap"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("logs -f");
    wait_for(|| ctl.ok(&["logs", "trap"]).contains("ready"));
    let started = Instant::now();
    ctl.ok(&["stop", "-t", "30", "trap"]);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "SIGTERM ended it, not SIGKILL"
    );
    assert_eq!(ctl.status(&id), "exited (42)");
    let followed = follower
        .wait_with_output()
        .expect("logs -f ends with the container");
    assert_eq!(String::from_utf8_lossy(&followed.stdout), "ready\nbye\n");
    ctl.ok(&["rm", &id]);
    ctl.assert_clean();
}

/// The monitor or the CLI killed at a random point of `run -d`: whatever is
/// left, no process lives untracked, and `gc` (then `rm -f`) repairs it all.
#[test]
fn killing_the_monitor_or_the_cli_mid_run_is_repaired_by_gc() {
    let ctl = Ctl::new("killed");
    let gate = Gate::new();
    let file = ctl.workload(
        "victim",
        &format!("name: victim\n{}", sh(&gate.wait_script_for(600))),
    );
    let file = file.to_str().expect("path").to_string();
    let mut seed = std::process::id() as u64;
    for round in 0..8u64 {
        ctl.start_and_kill(&file, round, &mut seed);
        assert_every_process_tracked(&ctl);
    }
    ctl.ok(&["gc"]);
    for c in ctl.ps() {
        let status = c["status"].as_str().unwrap_or_default().to_string();
        assert!(!status.starts_with("dead"), "after gc: {c}");
    }
    assert_every_process_tracked(&ctl);
    let ids: Vec<String> = ctl
        .ps()
        .iter()
        .filter_map(|c| c["id"].as_str().map(String::from))
        .collect();
    if !ids.is_empty() {
        let mut rm = vec!["rm", "-f"];
        rm.extend(ids.iter().map(String::as_str));
        ctl.ok(&rm);
    }
    ctl.assert_clean();
}

/// Every process in our cgroups is PID 1 (or below) of a container whose
/// record shows it running under a live monitor.
fn assert_every_process_tracked(ctl: &Ctl) {
    // A monitor killed a moment ago takes its container down with it (PDEATHSIG).
    std::thread::sleep(Duration::from_millis(200));
    let listed = ctl.ps();
    for pid in ctl.cgroup_pids() {
        let cgroup = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default();
        if !cgroup.contains(&ctl.parent) {
            continue; // gone (or exiting) meanwhile
        }
        let owner = listed
            .iter()
            .find(|c| c["id"].as_str().is_some_and(|id| cgroup.contains(id)));
        let owner = owner.unwrap_or_else(|| {
            panic!("pid {pid} runs in a cgroup of no recorded container: {cgroup}")
        });
        assert_ne!(
            owner["status"], "dead (monitor gone)",
            "pid {pid} outlived its monitor: {owner}"
        );
    }
}

/// `up` starts all or nothing; `down` removes them.
#[test]
fn up_starts_all_or_nothing_and_down_removes_them() {
    let ctl = Ctl::new("up");
    let file = ctl.workload(
        "pair",
        "containers:\n  - name: web\n    cpu: 1\n    args: [sleep, '100']\n  - name: batch\n    cpu: 0.5\n    memory: 64M\n    gpu: true\n    args: [/bin/sh, -c, 'echo gpu=$CUDA_VISIBLE_DEVICES; sleep 100']\n",
    );
    let too_big = ctl.workload(
        "big",
        "containers:\n  - name: a\n    cpu: 1\n    cpus: '0'\n    exclusive: true\n    args: [sleep, '100']\n  - name: b\n    cpu: 1\n    cpus: '0'\n    exclusive: true\n    args: [sleep, '100']\n",
    );
    let out = ctl.run(&["up", "--no-record", too_big.to_str().expect("path")]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("b does not fit"));
    assert!(ctl.ps().is_empty(), "nothing started");

    let pair = pair_path(&file);
    ctl.ok(&["up", "--no-record", &pair]);
    let listed = ctl.ps();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|c| c["status"] == "running"));
    wait_for(|| ctl.ok(&["logs", "batch"]).starts_with("gpu="));
    ctl.expect(&["up", "--no-record", &pair], 5);
    ctl.ok(&["down", "-t", "0.2", &pair]);
    ctl.assert_clean();
}

fn pair_path(p: &std::path::Path) -> String {
    p.to_str().expect("path").to_string()
}

fn wait_for(mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready() {
        assert!(Instant::now() < deadline, "timed out");
        std::thread::sleep(Duration::from_millis(50));
    }
}
