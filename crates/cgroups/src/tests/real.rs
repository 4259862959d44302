//! One test against the real /sys/fs/cgroup, only when running as root on
//! a host whose layout is detected: it makes `containerctl-unittest-<pid>`
//! as the parent in each hierarchy, adds no tasks, applies a memory limit,
//! reads it back and removes everything, checking the directories are
//! gone. Anywhere else it prints why it skipped.

use std::path::PathBuf;

use crate::{detect, open, CgroupManager, CgroupVersion, Resources};

/// Removes the test's cgroups even when an assertion fails half-way.
struct Cleanup(Box<dyn CgroupManager>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = self.0.remove();
    }
}

#[test]
fn real_hierarchy_round_trip_when_root() {
    if !nix::unistd::geteuid().is_root() {
        println!("skipped: not root, so the real /sys/fs/cgroup is left alone");
        return;
    }
    let layout = match detect() {
        Ok(layout) => layout,
        Err(e) => {
            println!("skipped: no cgroup layout detected ({e})");
            return;
        }
    };
    let parent = format!("containerctl-unittest-{}", std::process::id());
    let mut m = Cleanup(open(&layout, &parent, "probe"));
    let dirs: Vec<PathBuf> = m.0.paths();
    let parents: Vec<PathBuf> = dirs
        .iter()
        .filter_map(|d| d.parent().map(PathBuf::from))
        .collect();
    if let Err(e) = m.0.create() {
        println!(
            "skipped: cannot create cgroups here ({e}) on {}",
            layout.describe()
        );
        return;
    }
    assert!(dirs.iter().all(|d| d.is_dir()), "{dirs:?}");

    let limit: i64 = 64 << 20;
    let r = Resources {
        memory_max: Some(limit),
        swap_off: true,
        ..Default::default()
    };
    m.0.apply(&r).expect("apply a memory limit");
    let file = match m.0.version() {
        CgroupVersion::V1 => "memory.limit_in_bytes",
        CgroupVersion::V2 => "memory.max",
    };
    let mem_dir = dirs
        .iter()
        .find(|d| d.join(file).exists())
        .expect("a memory cgroup");
    let text = std::fs::read_to_string(mem_dir.join(file)).expect("read back");
    assert_eq!(text.trim(), limit.to_string());
    let stats = m.0.stats().expect("stats");
    assert_eq!(stats.memory_max, Some(limit as u64));
    assert!(m.0.pids().expect("pids").is_empty());

    m.0.remove().expect("remove");
    for d in dirs.iter().chain(&parents) {
        assert!(!d.exists(), "{} is still there", d.display());
    }
    println!("real {} round trip ok: {:?}", layout.describe(), dirs);
}
