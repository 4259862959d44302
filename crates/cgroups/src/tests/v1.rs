//! The v1 back end against temp-dir hierarchies and the fake kernel.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::fake_kernel::{self, install};
use super::{fake, read, subdirs, v1_roots, write, UNLIMITED_V1};
use crate::v1::V1Manager;
use crate::{
    open, CgroupError, CgroupManager, CgroupVersion, Layout, Resources, Stats, V1Hierarchy,
};

/// cpu and cpuacct co-mounted, devices unused by containerctl.
pub(super) const GROUPS: &[&[&str]] = &[
    &["cpu", "cpuacct"],
    &["cpuset"],
    &["memory"],
    &["devices"],
    &["freezer"],
    &["pids"],
];

pub(super) fn roots(hs: &[V1Hierarchy]) -> Vec<PathBuf> {
    hs.iter().map(|h| h.mount_point.clone()).collect()
}

pub(super) fn manager(hs: &[V1Hierarchy], id: &str) -> V1Manager {
    let mut m = V1Manager::new(hs, "containerctl", id);
    m.timing.freeze = Duration::from_millis(50);
    m.timing.kill = Duration::from_millis(50);
    m.timing.busy = Duration::from_millis(50);
    m.timing.poll = Duration::from_millis(1);
    m
}

pub(super) fn created(hs: &[V1Hierarchy], id: &str) -> V1Manager {
    let mut m = manager(hs, id);
    m.create().expect("create");
    m
}

pub(super) fn dir(hs: &[V1Hierarchy], controller: &str, id: &str) -> PathBuf {
    let h = hs
        .iter()
        .find(|h| h.controllers.iter().any(|c| c == controller))
        .expect("hierarchy");
    h.mount_point.join("containerctl").join(id)
}

pub(super) fn position(log: &[String], needle: &str) -> usize {
    log.iter()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} not in {log:?}"))
}

#[test]
fn create_makes_a_dir_per_used_hierarchy_and_fills_cpuset() {
    let (_tmp, hs) = v1_roots(GROUPS);
    let _k = install(fake(roots(&hs)));
    let m = created(&hs, "abc");
    let want: Vec<PathBuf> = ["cpu", "cpuset", "memory", "freezer", "pids"]
        .iter()
        .map(|c| dir(&hs, c, "abc"))
        .collect();
    assert_eq!(m.paths(), want);
    assert!(want.iter().all(|p| p.is_dir()));
    let devices = &hs[3].mount_point;
    assert!(subdirs(devices).is_empty(), "devices is not used");
    let cpuset = dir(&hs, "cpuset", "abc");
    for d in [cpuset.parent().expect("parent"), cpuset.as_path()] {
        assert_eq!(read(&d.join("cpuset.cpus")), "0-1");
        assert_eq!(read(&d.join("cpuset.mems")), "0");
    }
    assert_eq!(m.version(), CgroupVersion::V1);
}

#[test]
fn an_empty_cpuset_parent_is_filled_again() {
    let (_tmp, hs) = v1_roots(GROUPS);
    let _k = install(fake(roots(&hs)));
    created(&hs, "a");
    let parent = dir(&hs, "cpuset", "a")
        .parent()
        .expect("parent")
        .to_path_buf();
    write(&parent.join("cpuset.cpus"), "");
    created(&hs, "b");
    assert_eq!(read(&parent.join("cpuset.cpus")), "0-1");
    assert_eq!(read(&dir(&hs, "cpuset", "b").join("cpuset.cpus")), "0-1");
}

#[test]
fn apply_writes_exact_values_in_order() {
    let (_tmp, hs) = v1_roots(GROUPS);
    let _k = install(fake(roots(&hs)));
    let m = created(&hs, "abc");
    let r = Resources {
        cpu_quota_us: Some(50_000),
        cpu_period_us: Some(100_000),
        cpus: Some("1".into()),
        memory_max: Some(256 << 20),
        swap_off: true,
        pids_max: Some(64),
    };
    m.apply(&r).expect("apply");
    let cpu = dir(&hs, "cpu", "abc");
    let mem = dir(&hs, "memory", "abc");
    assert_eq!(read(&cpu.join("cpu.cfs_period_us")), "100000");
    assert_eq!(read(&cpu.join("cpu.cfs_quota_us")), "50000");
    assert_eq!(read(&dir(&hs, "cpuset", "abc").join("cpuset.cpus")), "1");
    assert_eq!(read(&mem.join("memory.limit_in_bytes")), "268435456");
    assert_eq!(read(&mem.join("memory.memsw.limit_in_bytes")), "268435456");
    assert_eq!(read(&dir(&hs, "pids", "abc").join("pids.max")), "64");
    let log = fake_kernel::log();
    assert!(position(&log, "cfs_period_us") < position(&log, "cfs_quota_us"));
    assert!(position(&log, "memory.limit_in_bytes") < position(&log, "memsw.limit_in_bytes"));

    let unlimited = Resources {
        cpu_quota_us: Some(-1),
        pids_max: Some(0),
        ..Default::default()
    };
    m.apply(&unlimited).expect("apply unlimited");
    assert_eq!(read(&cpu.join("cpu.cfs_quota_us")), "-1");
    assert_eq!(read(&dir(&hs, "pids", "abc").join("pids.max")), "max");
}

#[test]
fn raising_the_memory_limit_writes_memsw_first() {
    let (_tmp, hs) = v1_roots(GROUPS);
    let _k = install(fake(roots(&hs)));
    let m = created(&hs, "abc");
    let mem = dir(&hs, "memory", "abc");
    let limit = |bytes: i64, swap_off| Resources {
        memory_max: Some(bytes),
        swap_off,
        ..Default::default()
    };
    m.apply(&limit(100 << 20, true)).expect("100M");
    m.apply(&limit(200 << 20, true)).expect("raise to 200M");
    assert_eq!(read(&mem.join("memory.memsw.limit_in_bytes")), "209715200");
    m.apply(&limit(50 << 20, true)).expect("lower to 50M");
    assert_eq!(read(&mem.join("memory.limit_in_bytes")), "52428800");
    assert_eq!(read(&mem.join("memory.memsw.limit_in_bytes")), "52428800");
    // Swap allowed again: memsw no longer holds the limit down.
    m.apply(&limit(100 << 20, false))
        .expect("raise without swap_off");
    assert_eq!(read(&mem.join("memory.memsw.limit_in_bytes")), UNLIMITED_V1);
    assert_eq!(read(&mem.join("memory.limit_in_bytes")), "104857600");
}

#[test]
fn swap_off_without_memsw_files_is_fine() {
    let (_tmp, hs) = v1_roots(GROUPS);
    let _k = install(fake_kernel::Fake {
        no_swap: true,
        ..fake(roots(&hs))
    });
    let m = created(&hs, "abc");
    let r = Resources {
        memory_max: Some(1 << 20),
        swap_off: true,
        ..Default::default()
    };
    m.apply(&r).expect("apply");
    assert_eq!(
        read(&dir(&hs, "memory", "abc").join("memory.limit_in_bytes")),
        "1048576"
    );
}

#[test]
fn a_missing_controller_is_named() {
    let (_tmp, hs) = v1_roots(&[&["cpu", "cpuacct"], &["memory"]]);
    let _k = install(fake(roots(&hs)));
    let m = created(&hs, "abc");
    let err = m
        .apply(&Resources {
            pids_max: Some(5),
            ..Default::default()
        })
        .expect_err("no pids");
    assert_eq!(
        err.to_string(),
        "a pids limit needs the pids controller, which is not mounted on this host"
    );
    assert!(matches!(
        m.freeze(),
        Err(CgroupError::ControllerMissing { .. })
    ));
}

#[test]
fn stats_from_fixture_text() {
    let (_tmp, hs) = v1_roots(GROUPS);
    let _k = install(fake(roots(&hs)));
    let m = created(&hs, "abc");
    let cpu = dir(&hs, "cpu", "abc");
    let mem = dir(&hs, "memory", "abc");
    write(&cpu.join("cpuacct.usage"), "5000000123\n");
    write(
        &cpu.join("cpu.stat"),
        "nr_periods 30\nnr_throttled 4\nthrottled_time 2500000\n",
    );
    write(&mem.join("memory.usage_in_bytes"), "1048576\n");
    write(&mem.join("memory.max_usage_in_bytes"), "3145728\n");
    write(
        &mem.join("memory.oom_control"),
        "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
    );
    write(&dir(&hs, "pids", "abc").join("pids.current"), "3\n");
    let want = Stats {
        cpu_usage_us: 5000000,
        nr_periods: 30,
        nr_throttled: 4,
        throttled_us: 2500,
        memory_current: 1048576,
        memory_peak: Some(3145728),
        memory_max: None,
        oom_kills: 2,
        pids_current: 3,
    };
    assert_eq!(m.stats().expect("stats"), want);
    m.apply(&Resources {
        memory_max: Some(1 << 30),
        ..Default::default()
    })
    .expect("limit");
    assert_eq!(m.stats().expect("stats").memory_max, Some(1 << 30));
}

#[test]
fn open_picks_v1_for_hybrid_and_legacy() {
    let (_tmp, hs) = v1_roots(GROUPS);
    let hybrid = Layout::Hybrid {
        v1: hs.clone(),
        unified: PathBuf::from("/x/unified"),
    };
    let legacy = Layout::Legacy { v1: hs.clone() };
    for layout in [hybrid, legacy] {
        let m = open(&layout, "containerctl", "abc");
        assert_eq!(m.version(), CgroupVersion::V1);
        assert_eq!(m.paths().len(), 5);
        assert!(m.paths().iter().all(|p| !p.starts_with(Path::new("/x"))));
    }
}

#[test]
fn co_mounted_hierarchies_are_used_once() {
    let hs = vec![
        V1Hierarchy {
            controllers: vec!["cpu".into(), "cpuacct".into()],
            mount_point: "/c".into(),
        },
        V1Hierarchy {
            controllers: vec!["cpuacct".into()],
            mount_point: "/c".into(),
        },
        V1Hierarchy {
            controllers: vec!["net_cls".into()],
            mount_point: "/n".into(),
        },
    ];
    let m = V1Manager::new(&hs, "p", "i");
    assert_eq!(m.paths(), vec![PathBuf::from("/c/p/i")]);
}
