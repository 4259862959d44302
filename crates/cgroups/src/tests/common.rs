//! The shared pieces: name checks, the EBUSY retry, and many threads
//! creating and removing sibling containers under one parent at once.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::fake_kernel::{self, install};
use super::{fake, subdirs, v1_roots, v2_root};
use crate::common::{check_name, retry_busy};
use crate::v1::V1Manager;
use crate::v2::V2Manager;
use crate::{CgroupError, CgroupManager, Resources};

#[test]
fn names_must_be_one_plain_directory_name() {
    for good in ["containerctl", "abc-123_x.y", "containerctl-unittest-42"] {
        assert!(check_name("id", good).is_ok(), "{good}");
    }
    let long = "x".repeat(256);
    for bad in ["", ".", "..", "a/b", "/abs", "nul\0", long.as_str()] {
        let err = check_name("id", bad).expect_err(bad);
        assert!(
            matches!(err, CgroupError::InvalidName { what: "id", .. }),
            "{err}"
        );
    }
}

#[test]
fn retry_busy_retries_only_ebusy() {
    let mut calls = 0;
    let result = retry_busy(
        || {
            calls += 1;
            if calls < 3 {
                Err(io::Error::from_raw_os_error(libc::EBUSY))
            } else {
                Ok(())
            }
        },
        Duration::from_secs(1),
    );
    assert!(result.is_ok());
    assert_eq!(calls, 3);

    let mut calls = 0;
    let result = retry_busy(
        || {
            calls += 1;
            Err(io::Error::from_raw_os_error(libc::EACCES))
        },
        Duration::from_secs(1),
    );
    assert_eq!(
        result.expect_err("EACCES").raw_os_error(),
        Some(libc::EACCES)
    );
    assert_eq!(calls, 1);
}

#[test]
fn retry_busy_gives_up_within_its_budget() {
    let start = Instant::now();
    let result = retry_busy(
        || Err(io::Error::from_raw_os_error(libc::EBUSY)),
        Duration::from_millis(200),
    );
    assert_eq!(result.expect_err("busy").raw_os_error(), Some(libc::EBUSY));
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(200) && took < Duration::from_millis(1500),
        "{took:?}"
    );
}

type Make = Arc<dyn Fn(String) -> Box<dyn CgroupManager> + Send + Sync>;

/// Threads each create, configure and remove their own containers under
/// one parent; every one of them removes the parent when it finds it
/// empty, so the others hit the "parent vanished" path for real.
fn race(roots: Vec<PathBuf>, make: Make) {
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let roots = roots.clone();
            let make = Arc::clone(&make);
            std::thread::spawn(move || {
                let _k = install(fake(roots));
                let mut children = 0;
                for i in 0..25 {
                    let mut m = make(format!("t{t}-{i}"));
                    m.create().expect("create under contention");
                    let r = Resources {
                        pids_max: Some(10),
                        ..Default::default()
                    };
                    m.apply(&r).expect("apply under contention");
                    m.remove().expect("remove under contention");
                    children += m.paths().len();
                }
                // Child mkdirs beyond one per directory: the retry path ran.
                let child_mkdirs = fake_kernel::log()
                    .iter()
                    .filter(|l| l.starts_with("mkdir ") && l.contains("/containerctl/"))
                    .count();
                child_mkdirs - children
            })
        })
        .collect();
    let retries: usize = threads.into_iter().map(|t| t.join().expect("thread")).sum();
    println!("child mkdirs retried after the parent vanished: {retries}");
    for root in &roots {
        assert!(!root.join("containerctl").exists(), "{}", root.display());
    }
}

#[test]
fn concurrent_siblings_v2() {
    let (_tmp, root) = v2_root("cpuset cpu memory pids", "");
    let r = root.clone();
    race(
        vec![root.clone()],
        Arc::new(move |id: String| {
            Box::new(V2Manager::new(r.clone(), "containerctl", &id)) as Box<dyn CgroupManager>
        }),
    );
    assert!(subdirs(&root).is_empty());
}

#[test]
fn concurrent_siblings_v1() {
    let (_tmp, hs) = v1_roots(&[&["cpu", "cpuacct"], &["cpuset"], &["pids"]]);
    let roots = hs.iter().map(|h| h.mount_point.clone()).collect();
    race(
        roots,
        Arc::new(move |id: String| {
            Box::new(V1Manager::new(&hs, "containerctl", &id)) as Box<dyn CgroupManager>
        }),
    );
}
