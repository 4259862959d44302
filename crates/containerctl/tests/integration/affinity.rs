//! CPU placement: `cpus:` pins with sched_setaffinity and the cpuset cgroup.

use crate::support::*;

fn host_cpus() -> Vec<u32> {
    let text = std::fs::read_to_string("/sys/devices/system/cpu/online").expect("online cpus");
    spec::cpulist::parse(&text).expect("cpu list")
}

fn allowed_list(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .map(|v| v.trim().to_string())
        .unwrap_or_else(|| panic!("no Cpus_allowed_list in {stdout}"))
}

#[test]
fn cpus_pin_the_workload_to_the_listed_core() {
    let last = *host_cpus().last().expect("a cpu");
    let script = "grep Cpus_allowed_list /proc/self/status; \
                  cat /sys/fs/cgroup/cpuset.cpus.effective 2>/dev/null || cat /sys/fs/cgroup/cpuset/cpuset.cpus";
    let run = run_yaml(&format!("cpus: \"{last}\"\n{}", sh(script)));
    run.expect_code(0).assert_clean();
    assert_eq!(allowed_list(&run.stdout), last.to_string());
    assert_eq!(
        run.stdout.lines().nth(1).map(str::trim),
        Some(last.to_string().as_str()),
        "cpuset: {}",
        run.stdout
    );
    let logged = run.step("affinity");
    assert_eq!(
        logged[0]["cores"],
        last.to_string(),
        "the run log names the chosen cores"
    );
}

#[test]
fn without_cpus_the_workload_may_use_every_core() {
    let run = run_yaml(&sh("grep Cpus_allowed_list /proc/self/status"));
    run.expect_code(0);
    assert_eq!(
        allowed_list(&run.stdout),
        spec::cpulist::format(&host_cpus())
    );
}
