//! The v2 back end against a temp-dir cgroup2 root and the fake kernel.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::fake_kernel::{self, install};
use super::{fake, read, subdirs, v2_root, write};
use crate::v2::{cpu_max, V2Manager};
use crate::{open, CgroupError, CgroupManager, CgroupVersion, Layout, Resources, Stats};

pub(super) const ALL: &str = "cpuset cpu io memory hugetlb pids rdma misc";

pub(super) fn manager(root: &Path, id: &str) -> V2Manager {
    let mut m = V2Manager::new(root.to_path_buf(), "containerctl", id);
    m.timing.freeze = Duration::from_millis(50);
    m.timing.kill = Duration::from_millis(50);
    m.timing.busy = Duration::from_millis(50);
    m.timing.poll = Duration::from_millis(1);
    m
}

pub(super) fn created(root: &Path, id: &str) -> V2Manager {
    let mut m = manager(root, id);
    m.create().expect("create");
    m
}

#[test]
fn create_enables_only_missing_offered_controllers() {
    let (_tmp, root) = v2_root(ALL, "cpu io");
    let _k = install(fake(vec![root.clone()]));
    let m = created(&root, "abc");
    let parent = root.join("containerctl");
    let child = parent.join("abc");
    let log = fake_kernel::log();
    let root_control = root.join("cgroup.subtree_control");
    assert!(log.contains(&format!(
        "write {} +cpuset +memory +pids",
        root_control.display()
    )));
    assert_eq!(read(&root_control), "cpuset cpu io memory pids");
    assert_eq!(
        read(&parent.join("cgroup.subtree_control")),
        "cpuset cpu memory pids"
    );
    assert_eq!(
        read(&child.join("cgroup.controllers")),
        "cpuset cpu memory pids"
    );
    assert_eq!(m.paths(), vec![child]);
    assert_eq!(m.version(), CgroupVersion::V2);
}

#[test]
fn create_skips_controllers_the_root_lacks_and_writes_nothing_when_all_on() {
    let (_tmp, root) = v2_root("cpu io memory pids", "cpu io memory pids");
    let _k = install(fake(vec![root.clone()]));
    created(&root, "abc");
    let root_control = root.join("cgroup.subtree_control");
    assert!(!fake_kernel::log()
        .iter()
        .any(|l| l.starts_with(&format!("write {}", root_control.display()))));
    assert_eq!(
        read(&root.join("containerctl/cgroup.subtree_control")),
        "cpu memory pids"
    );
}

#[test]
fn apply_writes_exact_values() {
    let (_tmp, root) = v2_root(ALL, "");
    let _k = install(fake(vec![root.clone()]));
    let m = created(&root, "abc");
    let r = Resources {
        cpu_quota_us: Some(50_000),
        cpu_period_us: Some(100_000),
        cpus: Some("0-1".into()),
        memory_max: Some(256 << 20),
        swap_off: true,
        pids_max: Some(64),
    };
    m.apply(&r).expect("apply");
    let dir = &m.paths()[0];
    assert_eq!(read(&dir.join("cpu.max")), "50000 100000");
    assert_eq!(read(&dir.join("cpuset.cpus")), "0-1");
    assert_eq!(read(&dir.join("memory.max")), "268435456");
    assert_eq!(read(&dir.join("memory.swap.max")), "0");
    assert_eq!(read(&dir.join("pids.max")), "64");

    let unlimited = Resources {
        cpu_quota_us: Some(-1),
        memory_max: Some(-1),
        pids_max: Some(0),
        ..Default::default()
    };
    m.apply(&unlimited).expect("apply unlimited");
    assert_eq!(read(&dir.join("cpu.max")), "max 100000");
    assert_eq!(read(&dir.join("memory.max")), "max");
    assert_eq!(read(&dir.join("pids.max")), "max");
    assert_eq!(
        read(&dir.join("memory.swap.max")),
        "0",
        "untouched without swap_off"
    );
}

#[test]
fn cpu_max_text() {
    assert_eq!(cpu_max(None, None), None);
    assert_eq!(cpu_max(Some(50_000), None).as_deref(), Some("50000 100000"));
    assert_eq!(
        cpu_max(Some(150_000), Some(50_000)).as_deref(),
        Some("150000 50000")
    );
    assert_eq!(cpu_max(None, Some(20_000)).as_deref(), Some("max 20000"));
    assert_eq!(cpu_max(Some(0), None).as_deref(), Some("max 100000"));
}

#[test]
fn swap_off_without_swap_accounting_is_fine() {
    let (_tmp, root) = v2_root(ALL, "");
    let _k = install(fake_kernel::Fake {
        no_swap: true,
        ..fake(vec![root.clone()])
    });
    let m = created(&root, "abc");
    let r = Resources {
        memory_max: Some(1 << 20),
        swap_off: true,
        ..Default::default()
    };
    m.apply(&r).expect("apply");
    assert!(!m.paths()[0].join("memory.swap.max").exists());
}

#[test]
fn a_missing_required_file_is_named() {
    // No cpu controller on this root: cpu.max never appears.
    let (_tmp, root) = v2_root("memory pids", "");
    let _k = install(fake(vec![root.clone()]));
    let m = created(&root, "abc");
    let r = Resources {
        cpu_quota_us: Some(50_000),
        ..Default::default()
    };
    let msg = m.apply(&r).expect_err("no cpu.max").to_string();
    let want = format!(
        "writing \"50000 100000\" to {}: No such file or directory",
        m.paths()[0].join("cpu.max").display()
    );
    assert_eq!(msg, want);
    let period = Resources {
        cpu_period_us: Some(0),
        ..Default::default()
    };
    assert!(matches!(
        m.apply(&period),
        Err(CgroupError::InvalidValue { .. })
    ));
}

#[test]
fn stats_from_fixture_text() {
    let (_tmp, root) = v2_root(ALL, "");
    let _k = install(fake(vec![root.clone()]));
    let m = created(&root, "abc");
    let dir = m.paths()[0].clone();
    write(&dir.join("cpu.stat"), "usage_usec 123456\nuser_usec 100000\nsystem_usec 23456\nnr_periods 40\nnr_throttled 12\nthrottled_usec 7890\nnr_bursts 0\nburst_usec 0\n");
    write(&dir.join("memory.current"), "1048576\n");
    write(&dir.join("memory.peak"), "2097152\n");
    write(&dir.join("memory.max"), "268435456\n");
    write(
        &dir.join("memory.events"),
        "low 0\nhigh 0\nmax 9\noom 3\noom_kill 2\noom_group_kill 0\n",
    );
    write(&dir.join("pids.current"), "4\n");
    let want = Stats {
        cpu_usage_us: 123456,
        nr_periods: 40,
        nr_throttled: 12,
        throttled_us: 7890,
        memory_current: 1048576,
        memory_peak: Some(2097152),
        memory_max: Some(268435456),
        oom_kills: 2,
        pids_current: 4,
    };
    assert_eq!(m.stats().expect("stats"), want);

    write(&dir.join("memory.max"), "max\n");
    std::fs::remove_file(dir.join("memory.peak")).expect("rm peak");
    let s = m.stats().expect("stats");
    assert_eq!((s.memory_max, s.memory_peak), (None, None));

    write(&dir.join("memory.current"), "lots\n");
    let msg = m.stats().expect_err("garbage").to_string();
    assert!(
        msg.starts_with(&format!("parsing {}", dir.join("memory.current").display())),
        "{msg}"
    );
}

#[test]
fn bad_names_touch_nothing() {
    let (_tmp, root) = v2_root(ALL, "");
    let _k = install(fake(vec![root.clone()]));
    for id in ["", ".", "..", "../../etc", "a/b"] {
        let mut m = manager(&root, id);
        assert!(
            matches!(m.create(), Err(CgroupError::InvalidName { .. })),
            "{id:?}"
        );
        assert!(
            matches!(m.remove(), Err(CgroupError::InvalidName { .. })),
            "{id:?}"
        );
    }
    let mut m = V2Manager::new(root.clone(), "..", "x");
    assert!(matches!(m.create(), Err(CgroupError::InvalidName { .. })));
    assert!(subdirs(&root).is_empty());
    assert!(fake_kernel::log().is_empty());
}

#[test]
fn open_picks_v2_for_unified() {
    let layout = Layout::Unified {
        root: PathBuf::from("/sys/fs/cgroup"),
    };
    let m = open(&layout, crate::DEFAULT_PARENT, "abc");
    assert_eq!(m.version(), CgroupVersion::V2);
    assert_eq!(
        m.paths(),
        vec![PathBuf::from("/sys/fs/cgroup/containerctl/abc")]
    );
}
