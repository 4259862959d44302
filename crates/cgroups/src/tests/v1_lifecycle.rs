//! The v1 back end's life cycle against the fake kernel: freeze, tasks
//! and kill, remove (only what was made) and rolling back a failed create.

use super::fake_kernel::{self, install};
use super::v1::{created, dir, manager, position, roots, GROUPS};
use super::{fake, read, subdirs, v1_roots};
use crate::{CgroupError, CgroupManager};

#[test]
fn freeze_thaw_and_a_freeze_that_sticks() {
    let (_tmp, hs) = v1_roots(GROUPS);
    let _k = install(fake(roots(&hs)));
    let m = created(&hs, "abc");
    let state = dir(&hs, "freezer", "abc").join("freezer.state");
    m.freeze().expect("freeze");
    assert_eq!(read(&state), "FROZEN");
    m.thaw().expect("thaw");
    assert_eq!(read(&state), "THAWED");

    let (_tmp2, hs2) = v1_roots(GROUPS);
    let _k2 = install(fake_kernel::Fake {
        freeze_sticks: true,
        ..fake(roots(&hs2))
    });
    let m2 = created(&hs2, "abc");
    let err = m2.freeze().expect_err("stuck");
    assert!(matches!(err, CgroupError::Timeout { .. }), "{err}");
    assert_eq!(
        read(&dir(&hs2, "freezer", "abc").join("freezer.state")),
        "THAWED",
        "not left FREEZING"
    );
}

#[test]
fn tasks_join_every_hierarchy_and_kill_freezes_first() {
    let (_tmp, hs) = v1_roots(GROUPS);
    let _k = install(fake(roots(&hs)));
    let m = created(&hs, "abc");
    m.add_task(321).expect("add");
    for p in m.paths() {
        assert_eq!(read(&p.join("cgroup.procs")), "321\n", "{}", p.display());
    }
    assert_eq!(m.pids().expect("pids"), vec![321]);
    assert!(matches!(
        m.add_task(0),
        Err(CgroupError::InvalidValue { .. })
    ));
    m.kill_all().expect("kill");
    assert!(m.pids().expect("pids").is_empty());
    let log = fake_kernel::log();
    let frozen = position(&log, "freezer.state FROZEN");
    let killed = position(&log, "kill 321");
    let thawed = position(&log, "freezer.state THAWED");
    assert!(frozen < killed && killed < thawed, "{log:?}");
}

#[test]
fn remove_takes_only_what_create_made() {
    let (_tmp, hs) = v1_roots(GROUPS);
    let _k = install(fake(roots(&hs)));
    let mem_root = &hs[2].mount_point;
    std::fs::create_dir_all(mem_root.join("process_api/agent")).expect("agent cgroup");
    let mut a = created(&hs, "a");
    let mut b = created(&hs, "b");
    a.remove().expect("remove a");
    for p in b.paths() {
        assert_eq!(subdirs(p.parent().expect("parent")), ["b"]);
    }
    b.remove().expect("remove b");
    for h in &hs {
        assert!(
            !h.mount_point.join("containerctl").exists(),
            "{}",
            h.mount_point.display()
        );
    }
    assert_eq!(subdirs(mem_root), ["process_api"]);
    assert!(mem_root.join("process_api/agent").is_dir());
    b.remove().expect("idempotent");
}

#[test]
fn a_failed_create_rolls_back_what_it_made() {
    let (_tmp, hs) = v1_roots(GROUPS);
    let _k = install(fake(roots(&hs)));
    // Someone else's "abc" in the memory hierarchy only.
    let theirs = dir(&hs, "memory", "abc");
    std::fs::create_dir_all(&theirs).expect("theirs");
    let mut mine = manager(&hs, "abc");
    let err = mine.create().expect_err("collision");
    assert!(
        matches!(err, CgroupError::AlreadyExists { ref path } if path == &theirs),
        "{err}"
    );
    assert!(!dir(&hs, "cpu", "abc").exists(), "rolled back");
    assert!(!dir(&hs, "cpuset", "abc").exists(), "rolled back");
    assert!(theirs.is_dir(), "theirs untouched");
    mine.remove().expect("nothing of mine left to remove");
    assert!(theirs.is_dir(), "theirs untouched by remove");
}
