//! Unit tests of the back ends against temp dirs laid out like real
//! hierarchies, with a fake kernel (`fake_kernel`) standing in for
//! cgroupfs; plus mount table fixtures and one test on the real
//! /sys/fs/cgroup that runs only as root.

pub(crate) mod fake_files;
pub(crate) mod fake_kernel;
pub(crate) mod fake_writes;

mod common;
mod mountinfo;
mod real;
mod v1;
mod v1_lifecycle;
mod v2;
mod v2_lifecycle;

use std::fs;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

use crate::V1Hierarchy;

pub(crate) const UNLIMITED_V1: &str = "9223372036854771712";

/// The text of a file, or a panic naming it.
pub(crate) fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

pub(crate) fn write(path: &Path, text: &str) {
    fs::write(path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

/// A cgroup2 root offering `controllers`, with `subtree` already enabled.
pub(crate) fn v2_root(controllers: &str, subtree: &str) -> (TempDir, PathBuf) {
    let tmp = TempDir::new().expect("temp dir");
    let root = tmp.path().join("cgroup");
    fs::create_dir(&root).expect("mkdir root");
    for (name, text) in [
        ("cgroup.controllers", controllers),
        ("cgroup.subtree_control", subtree),
        ("cgroup.procs", "1\n"),
        ("cgroup.max.depth", "max"),
        ("cpu.stat", "usage_usec 1\nuser_usec 1\nsystem_usec 0\n"),
        ("cpuset.cpus.effective", "0-1"),
        ("cpuset.mems.effective", "0"),
    ] {
        write(&root.join(name), text);
    }
    (tmp, root)
}

/// v1 hierarchies, one per group of co-mounted controllers, mounted at
/// `<tmp>/<controllers joined by ','>`, with root files for each.
pub(crate) fn v1_roots(groups: &[&[&str]]) -> (TempDir, Vec<V1Hierarchy>) {
    let tmp = TempDir::new().expect("temp dir");
    let mut out = Vec::new();
    for group in groups {
        let root = tmp.path().join(group.join(","));
        fs::create_dir(&root).expect("mkdir hierarchy");
        let mut files = vec![
            ("cgroup.procs", "1\n"),
            ("tasks", "1\n"),
            ("cgroup.clone_children", "0"),
            ("notify_on_release", "0"),
        ];
        for c in group.iter() {
            files.extend(match *c {
                "cpu" => vec![
                    ("cpu.cfs_period_us", "100000"),
                    ("cpu.cfs_quota_us", "-1"),
                    ("cpu.shares", "1024"),
                    (
                        "cpu.stat",
                        "nr_periods 0\nnr_throttled 0\nthrottled_time 0\n",
                    ),
                ],
                "cpuacct" => vec![("cpuacct.usage", "99")],
                "cpuset" => vec![("cpuset.cpus", "0-1\n"), ("cpuset.mems", "0\n")],
                "memory" => vec![
                    ("memory.limit_in_bytes", UNLIMITED_V1),
                    ("memory.memsw.limit_in_bytes", UNLIMITED_V1),
                    ("memory.usage_in_bytes", "4096"),
                    ("memory.max_usage_in_bytes", "8192"),
                    (
                        "memory.oom_control",
                        "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n",
                    ),
                ],
                "pids" => vec![("pids.current", "1"), ("pids.max", "max")],
                "freezer" => vec![("freezer.state", "THAWED")],
                _ => vec![],
            });
        }
        for (name, text) in files {
            write(&root.join(name), text);
        }
        out.push(V1Hierarchy {
            controllers: group.iter().map(|c| c.to_string()).collect(),
            mount_point: root,
        });
    }
    (tmp, out)
}

/// A fake kernel governing `roots`.
pub(crate) fn fake(roots: Vec<PathBuf>) -> fake_kernel::Fake {
    fake_kernel::Fake {
        roots,
        ..Default::default()
    }
}

/// Entries of a directory that are directories, sorted.
pub(crate) fn subdirs(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|rd| rd.flatten().filter(|e| e.path().is_dir()))
        .into_iter()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
