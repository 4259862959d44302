//! The fake kernel's control files for a new cgroup: for v2 the core
//! files plus those of each controller enabled in the parent's
//! cgroup.subtree_control; for v1 the parent's files with the defaults a
//! new cgroup has (notably empty cpuset.cpus and cpuset.mems).

use std::fs;
use std::path::Path;

use super::fake_kernel::{get, put, Fake, TEMP_PREFIX, V1_UNLIMITED};

/// The control files of a new cgroup.
pub(super) fn populate(fake: &Fake, dir: &Path, parent: &Path) {
    let v2 = parent.join("cgroup.controllers").exists();
    let files: Vec<(String, String)> = if v2 {
        v2_files(fake, &get(&parent.join("cgroup.subtree_control")))
    } else {
        v1_files(fake, parent)
    };
    for (name, text) in files {
        put(&dir.join(name), &text);
    }
}

pub(super) fn v2_files(fake: &Fake, enabled: &str) -> Vec<(String, String)> {
    let on = |c: &str| enabled.split_whitespace().any(|w| w == c);
    let mut f = vec![
        ("cgroup.controllers", enabled.trim().to_string()),
        ("cgroup.subtree_control", String::new()),
        ("cgroup.procs", String::new()),
        ("cgroup.events", "populated 0\nfrozen 0\n".into()),
        ("cgroup.freeze", "0".into()),
        (
            "cpu.stat",
            "usage_usec 0\nuser_usec 0\nsystem_usec 0\n".into(),
        ),
    ];
    if !fake.old_v2 {
        f.push(("cgroup.kill", String::new()));
    }
    if on("cpu") {
        f.push(("cpu.max", "max 100000".into()));
    }
    if on("cpuset") {
        f.extend([
            ("cpuset.cpus", String::new()),
            ("cpuset.mems", String::new()),
        ]);
    }
    if on("memory") {
        f.extend([
            ("memory.current", "0".into()),
            ("memory.max", "max".into()),
            (
                "memory.events",
                "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n".into(),
            ),
        ]);
        if !fake.old_v2 {
            f.push(("memory.peak", "0".into()));
        }
        if !fake.no_swap {
            f.push(("memory.swap.max", "max".into()));
        }
    }
    if on("pids") {
        f.extend([("pids.max", "max".into()), ("pids.current", "0".into())]);
    }
    f.into_iter().map(|(n, t)| (n.to_string(), t)).collect()
}

/// A v1 child gets the parent's files with a new cgroup's defaults (so
/// test roots also hold pids.max and freezer.state, which real roots lack).
fn v1_files(fake: &Fake, parent: &Path) -> Vec<(String, String)> {
    let mut names: Vec<String> = fs::read_dir(parent)
        .map(|rd| rd.flatten().filter(|e| e.path().is_file()))
        .into_iter()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with(TEMP_PREFIX))
        .collect();
    names.retain(|n| !(fake.no_swap && n.starts_with("memory.memsw.")));
    names
        .into_iter()
        .map(|n| {
            let text = match n.as_str() {
                "cpu.cfs_period_us" => "100000",
                "cpu.cfs_quota_us" => "-1",
                "cpu.stat" => "nr_periods 0\nnr_throttled 0\nthrottled_time 0\n",
                "memory.limit_in_bytes" | "memory.memsw.limit_in_bytes" => V1_UNLIMITED,
                "memory.oom_control" => "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n",
                "pids.max" => "max",
                "freezer.state" => "THAWED",
                "cpuacct.usage"
                | "memory.usage_in_bytes"
                | "memory.max_usage_in_bytes"
                | "pids.current" => "0",
                _ => "",
            };
            (n, text.to_string())
        })
        .collect()
}
