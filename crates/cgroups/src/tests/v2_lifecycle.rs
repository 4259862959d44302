//! The v2 back end's life cycle against the fake kernel: freeze, tasks,
//! kill, remove (only what was made, EBUSY retries), id collisions and a
//! parent removed by a racing process.

use std::time::Duration;

use super::fake_kernel::{self, install};
use super::v2::{created, manager, ALL};
use super::{fake, read, subdirs, v2_root, write};
use crate::{CgroupError, CgroupManager};

#[test]
fn freeze_waits_for_the_kernel_and_thaw_undoes_it() {
    let (_tmp, root) = v2_root(ALL, "");
    let _k = install(fake(vec![root.clone()]));
    let m = created(&root, "abc");
    let dir = m.paths()[0].clone();
    m.freeze().expect("freeze");
    assert_eq!(read(&dir.join("cgroup.freeze")), "1");
    m.thaw().expect("thaw");
    assert_eq!(read(&dir.join("cgroup.freeze")), "0");
}

#[test]
fn freeze_that_never_completes_times_out() {
    let (_tmp, root) = v2_root(ALL, "");
    let _k = install(fake_kernel::Fake {
        freeze_sticks: true,
        ..fake(vec![root.clone()])
    });
    let m = created(&root, "abc");
    let err = m.freeze().expect_err("stuck");
    assert!(matches!(err, CgroupError::Timeout { .. }), "{err}");
    assert!(err.to_string().contains("cgroup.events"), "{err}");
}

#[test]
fn tasks_pids_and_kill() {
    let (_tmp, root) = v2_root(ALL, "");
    let _k = install(fake(vec![root.clone()]));
    let m = created(&root, "abc");
    m.add_task(4242).expect("add");
    m.add_task(17).expect("add");
    assert_eq!(m.pids().expect("pids"), vec![17, 4242]);
    assert!(matches!(
        m.add_task(0),
        Err(CgroupError::InvalidValue { .. })
    ));
    assert!(matches!(
        m.add_task(-5),
        Err(CgroupError::InvalidValue { .. })
    ));
    m.kill_all().expect("kill");
    assert_eq!(m.pids().expect("pids"), Vec::<i32>::new());
    let log = fake_kernel::log();
    assert!(log.iter().any(|l| l.ends_with("cgroup.kill 1")));
    assert!(
        !log.iter().any(|l| l.starts_with("kill ")),
        "cgroup.kill did it: {log:?}"
    );
}

#[test]
fn kill_without_cgroup_kill_signals_each_pid() {
    let (_tmp, root) = v2_root(ALL, "");
    let _k = install(fake_kernel::Fake {
        old_v2: true,
        ..fake(vec![root.clone()])
    });
    let m = created(&root, "abc");
    m.add_task(11).expect("add");
    m.add_task(12).expect("add");
    m.kill_all().expect("kill");
    let log = fake_kernel::log();
    assert!(log.contains(&"kill 11".to_string()) && log.contains(&"kill 12".to_string()));
    assert!(m.pids().expect("pids").is_empty());
}

#[test]
fn kill_that_never_empties_times_out() {
    let (_tmp, root) = v2_root(ALL, "");
    let fk = fake_kernel::Fake {
        old_v2: true,
        unkillable: vec![13],
        ..fake(vec![root.clone()])
    };
    let _k = install(fk);
    let m = created(&root, "abc");
    m.add_task(13).expect("add");
    let err = m.kill_all().expect_err("unkillable");
    assert!(matches!(err, CgroupError::Timeout { .. }), "{err}");
}

#[test]
fn remove_takes_only_what_create_made_and_the_parent_when_empty() {
    let (_tmp, root) = v2_root(ALL, "");
    let _k = install(fake(vec![root.clone()]));
    // The management agent's own cgroup next to ours must survive.
    std::fs::create_dir_all(root.join("process_api/xyz")).expect("mkdir agent");
    write(&root.join("process_api/xyz/cgroup.procs"), "1\n");
    let mut a = created(&root, "a");
    let mut b = created(&root, "b");
    let parent = root.join("containerctl");
    assert_eq!(subdirs(&parent), ["a", "b"]);
    a.remove().expect("remove a");
    assert_eq!(subdirs(&parent), ["b"], "sibling stays, parent stays");
    b.remove().expect("remove b");
    assert!(!parent.exists(), "empty parent removed");
    a.remove().expect("removing twice is fine");
    assert_eq!(subdirs(&root), ["process_api"]);
    assert_eq!(read(&root.join("process_api/xyz/cgroup.procs")), "1\n");
    assert!(root.join("cgroup.controllers").exists());
}

#[test]
fn remove_retries_while_busy() {
    let (_tmp, root) = v2_root(ALL, "");
    let fk = fake_kernel::Fake {
        exit_after_busy: Some(3),
        ..fake(vec![root.clone()])
    };
    let _k = install(fk);
    let mut m = created(&root, "abc");
    m.timing.busy = Duration::from_secs(2);
    m.add_task(99).expect("add");
    m.remove().expect("remove after EBUSY x3");
    let child = m.paths()[0].clone();
    let tries = fake_kernel::log()
        .iter()
        .filter(|l| **l == format!("rmdir {}", child.display()))
        .count();
    assert_eq!(tries, 4);
    assert!(!child.exists());
}

#[test]
fn remove_gives_up_when_busy_for_good() {
    let (_tmp, root) = v2_root(ALL, "");
    let _k = install(fake(vec![root.clone()]));
    let mut m = created(&root, "abc");
    m.add_task(99).expect("add");
    let msg = m.remove().expect_err("busy").to_string();
    assert!(
        msg.contains("still busy") && msg.ends_with("Device or resource busy"),
        "{msg}"
    );
    assert!(m.paths()[0].exists());
}

#[test]
fn create_twice_is_an_id_collision_and_remove_leaves_theirs() {
    let (_tmp, root) = v2_root(ALL, "");
    let _k = install(fake(vec![root.clone()]));
    let theirs = created(&root, "abc");
    let mut mine = manager(&root, "abc");
    let err = mine.create().expect_err("collision");
    assert!(matches!(err, CgroupError::AlreadyExists { .. }), "{err}");
    theirs.add_task(77).expect("their task");
    mine.kill_all().expect("nothing of mine to kill");
    mine.remove().expect("nothing of mine to remove");
    assert!(
        theirs.paths()[0].is_dir(),
        "the other container's cgroup stays"
    );
    assert_eq!(theirs.pids().expect("pids"), vec![77], "and its process");
    let log = fake_kernel::log();
    assert!(!log
        .iter()
        .any(|l| l.starts_with("kill ") || l.contains("cgroup.kill")));
}

#[test]
fn kill_all_on_an_empty_or_removed_cgroup_is_a_no_op() {
    let (_tmp, root) = v2_root(ALL, "");
    let _k = install(fake(vec![root.clone()]));
    let mut m = created(&root, "abc");
    m.kill_all().expect("empty");
    m.remove().expect("remove");
    m.kill_all().expect("removed");
    manager(&root, "never-made").kill_all().expect("never made");
    assert!(!fake_kernel::log().iter().any(|l| l.contains("cgroup.kill")));
}

#[test]
fn a_manager_that_did_not_create_removes_the_container() {
    // `containerctl delete` runs in another process than `create`.
    let (_tmp, root) = v2_root(ALL, "");
    let _k = install(fake(vec![root.clone()]));
    let first = created(&root, "abc");
    let mut later = manager(&root, "abc");
    later.remove().expect("remove");
    assert!(!first.paths()[0].exists());
    assert!(!root.join("containerctl").exists());
}

#[test]
fn a_parent_removed_by_a_racing_process_is_made_again() {
    let (_tmp, root) = v2_root(ALL, "");
    let _k = install(fake_kernel::Fake {
        parent_races: 2,
        ..fake(vec![root.clone()])
    });
    let m = created(&root, "abc");
    assert_eq!(
        fake_kernel::log()
            .iter()
            .filter(|l| l.starts_with("race "))
            .count(),
        2
    );
    assert_eq!(
        read(&root.join("containerctl/cgroup.subtree_control")),
        "cpuset cpu memory pids"
    );
    assert_eq!(
        read(&m.paths()[0].join("cgroup.controllers")),
        "cpuset cpu memory pids"
    );
}

#[test]
fn a_parent_that_keeps_vanishing_is_a_clear_error() {
    let (_tmp, root) = v2_root(ALL, "");
    let _k = install(fake_kernel::Fake {
        parent_races: 100,
        ..fake(vec![root.clone()])
    });
    let msg = manager(&root, "abc")
        .create()
        .expect_err("gives up")
        .to_string();
    assert!(msg.contains("parent vanished 5 times"), "{msg}");
}
