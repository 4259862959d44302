//! Ctrl-C and SIGTERM to containerctl stop the container and clean up.

use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::support::*;

/// Starts a long sleep, waits until it runs, signals containerctl.
fn stop_with(signal: Signal, init: bool) -> (Run, Duration) {
    let mut builder = RunBuilder::new("command: sleep 300\n")
        .arg("--stop-timeout")
        .arg("1");
    if init {
        builder = builder.arg("--init");
    }
    let (child, pending) = builder.spawn();
    let cli = Pid::from_raw(child.id() as i32);
    // Wait for the container to exist: its PID 1 has a child of ours.
    let start = Instant::now();
    while !has_running_child(cli) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the container never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let sent = Instant::now();
    kill(cli, signal).expect("signal containerctl");
    let run = pending.finish(child);
    (run, sent.elapsed())
}

fn has_running_child(pid: Pid) -> bool {
    let path = format!("/proc/{pid}/task/{pid}/children");
    std::fs::read_to_string(path).is_ok_and(|c| !c.trim().is_empty())
}

#[test]
fn sigint_stops_the_container_and_cleans_up() {
    let (run, took) = stop_with(Signal::SIGINT, false);
    // `sleep` as PID 1 has no SIGINT handler, so the kernel shields it: the
    // grace period runs out and it is killed.
    run.expect_code(137).assert_clean();
    assert!(took < Duration::from_secs(20), "stopping took {took:?}");
    assert!(run.stderr.contains("SIGINT"), "{}", run.stderr);
}

#[test]
fn sigterm_under_init_reaches_the_workload() {
    let (run, took) = stop_with(Signal::SIGTERM, true);
    run.expect_code(143).assert_clean();
    assert!(took < Duration::from_secs(20), "stopping took {took:?}");
}
