//! cgroup limits, checked by what the kernel does to the workload.

use crate::support::*;

#[test]
fn exceeding_memory_is_oom_killed() {
    let run = run_yaml(&format!(
        "memory: 32M\n{}",
        args_yaml(&[probe(), "alloc", "256"])
    ));
    run.expect_code(137).assert_clean();
    assert!(run.stderr.contains("OOM killed"), "{}", run.stderr);
    let stats = run.step("stats");
    assert!(
        stats
            .first()
            .and_then(|s| s["oom_kills"].as_u64())
            .unwrap_or(0)
            >= 1,
        "{}",
        run.stderr
    );
}

#[test]
fn memory_under_the_limit_is_fine() {
    let run = run_yaml(&format!(
        "memory: 64M\n{}",
        args_yaml(&[probe(), "alloc", "16"])
    ));
    run.expect_code(0).assert_clean();
    assert!(run.stdout.contains("allocated all 16 MiB"));
}

#[test]
fn memory_limit_is_visible_in_the_container_cgroup() {
    let run = run_yaml(&format!(
        "memory: 48M\n{}",
        sh("cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes")
    ));
    run.expect_code(0).assert_clean();
    assert_eq!(run.stdout.trim(), (48u64 << 20).to_string());
}

#[test]
fn half_a_cpu_gets_about_half_a_core_and_is_throttled() {
    let _cpu = CPU_BOUND.lock().unwrap_or_else(|e| e.into_inner());
    let script = format!(
        "{} busy 2; cat /sys/fs/cgroup/cpu.stat 2>/dev/null || cat /sys/fs/cgroup/cpu/cpu.stat",
        probe()
    );
    let run = run_yaml(&format!("cpu: 0.5\n{}", sh(&script)));
    run.expect_code(0).assert_clean();
    let first = run.stdout.lines().next().unwrap_or("");
    let ratio = field(first, "ratio");
    // The quota caps it at 0.5; a noisy or emulated machine may give less.
    let floor = if in_slow_vm() { 0.15 } else { 0.3 };
    assert!(
        (floor..=0.62).contains(&ratio),
        "busy loop got {ratio} of a core: {first}"
    );
    let throttled: u64 = run
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("nr_throttled "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no nr_throttled in {}", run.stdout));
    assert!(
        throttled > 0,
        "cpu.stat shows no throttling: {}",
        run.stdout
    );
    let logged = run.step("stats")[0]["nr_throttled"].as_u64().unwrap_or(0);
    assert!(logged > 0, "the exit stats show no throttling");
}

#[test]
fn pids_limit_refuses_forks() {
    let run = run_yaml(&format!("pids: 8\n{}", args_yaml(&[probe(), "fork", "40"])));
    run.expect_code(0).assert_clean();
    let forked = field(&run.stdout, "forked");
    assert!(forked < 8.0, "forked {forked} children under pids: 8");
    assert!(
        run.stdout.contains("Resource temporarily unavailable"),
        "{}",
        run.stdout
    );
}
