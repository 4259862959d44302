//! `rootfs:` workloads in real containers: a busybox root file system built
//! at test time (busybox-static, no network) becomes the lower layer of an
//! overlay root. Checked from inside: `/` is the image, writes land in the
//! container's own upper layer (the rootfs dir is never changed and nothing
//! is left in the state root), `readonly`, volumes, tmpfs, `keep`, and the
//! refusals (a missing volume source, a mount through a symlink).

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::support::*;

/// Test-only views of a busybox root.
trait BusyboxExt {
    fn yaml(&self, extra: &str, script: &str) -> String;
    fn snapshot(&self) -> BTreeMap<PathBuf, (u32, u64, i64, i64)>;
}

impl BusyboxExt for Busybox {
    /// `rootfs: DIR` plus `extra` keys and a shell script.
    fn yaml(&self, extra: &str, script: &str) -> String {
        format!("rootfs: {}\n{extra}{}", self.path().display(), sh(script))
    }

    /// Every entry with its kind, size, mode and mtime: equal before and
    /// after a run means the run did not touch the dir.
    fn snapshot(&self) -> BTreeMap<PathBuf, (u32, u64, i64, i64)> {
        fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, (u32, u64, i64, i64)>) {
            for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
                let meta = entry.path().symlink_metadata().expect("lstat");
                out.insert(
                    entry.path(),
                    (meta.mode(), meta.size(), meta.mtime(), meta.mtime_nsec()),
                );
                if meta.is_dir() {
                    walk(&entry.path(), out);
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(self.path(), &mut out);
        out
    }
}

/// The state root holds only the shared ledger files (and `kept/` if asked).
fn assert_state_root_empty(run: &Run, allowed: &[&str]) {
    let left = state_leftovers(&run.state);
    assert!(
        left.iter().all(|name| allowed.contains(&name.as_str())),
        "state root holds {left:?}"
    );
}

#[test]
fn the_rootfs_is_the_root_and_is_never_written() {
    let image = Busybox::new();
    let before = image.snapshot();
    let run = RunBuilder::new(&image.yaml(
        "",
        "ls /; test -e /etc/debian_version || echo no-debian; \
         test -e /usr/bin/stress || echo no-stress; \
         echo written > /newfile && cat /newfile && rm /bin/ls && echo removed",
    ))
    .run();
    run.expect_code(0).assert_clean();
    let listed: Vec<&str> = run
        .stdout
        .lines()
        .take_while(|l| !l.starts_with("no-"))
        .collect();
    let mut expected = vec!["bin", "dev", "etc", "proc", "root", "run", "sys", "tmp"];
    expected.sort_unstable();
    assert_eq!(listed, expected, "ls / inside:\n{}", run.stdout);
    for line in ["no-debian", "no-stress", "written", "removed"] {
        assert!(
            run.stdout.lines().any(|l| l == line),
            "{line}:\n{}",
            run.stdout
        );
    }
    let mounts = run.step("mounts");
    assert!(
        mounts
            .iter()
            .any(|l| l["message"].as_str().is_some_and(|m| m.contains("overlay"))),
        "{mounts:?}"
    );
    assert!(!image.path().join("newfile").exists());
    assert_eq!(image.snapshot(), before, "the rootfs dir changed");
    assert_state_root_empty(&run, &[]);
}

#[test]
fn a_readonly_root_refuses_writes() {
    let image = Busybox::new();
    let run = RunBuilder::new(&image.yaml(
        "readonly: true\n",
        "touch /x 2>&1; echo rc=$?; echo ok > /tmp/t && cat /tmp/t",
    ))
    .run();
    run.expect_code(0).assert_clean();
    assert!(
        run.stdout.contains("Read-only file system"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("rc=1") && run.stdout.contains("ok"),
        "{}",
        run.stdout
    );
    assert!(!image.path().join("x").exists());
}

#[test]
fn volumes_bind_host_paths_read_write_or_read_only() {
    let image = Busybox::new();
    let host = tempfile::tempdir_in("/var/tmp").expect("host dir");
    let (rw, ro, file) = (
        host.path().join("rw"),
        host.path().join("ro"),
        host.path().join("conf"),
    );
    std::fs::create_dir(&rw).expect("rw");
    std::fs::create_dir(&ro).expect("ro");
    std::fs::write(ro.join("in"), "from host\n").expect("in");
    std::fs::write(&file, "setting=1\n").expect("conf");
    let extra = format!(
        "volumes: [\"{}:/data\", \"{}:/srv/ro:ro\", \"{}:/etc/app/app.conf:ro\"]\n",
        rw.display(),
        ro.display(),
        file.display()
    );
    let run = RunBuilder::new(&image.yaml(
        &extra,
        "echo out > /data/out && cat /srv/ro/in /etc/app/app.conf; \
         touch /srv/ro/x 2>&1; echo rc=$?",
    ))
    .run();
    run.expect_code(0).assert_clean();
    assert_eq!(
        std::fs::read_to_string(rw.join("out")).expect("out"),
        "out\n"
    );
    for line in ["from host", "setting=1", "Read-only file system", "rc=1"] {
        assert!(run.stdout.contains(line), "{line}:\n{}", run.stdout);
    }
    assert!(!ro.join("x").exists());
    assert!(!image.path().join("data").exists() && !image.path().join("srv").exists());
    assert_state_root_empty(&run, &[]);
}

#[test]
fn tmpfs_mounts_are_fresh_and_sized() {
    let image = Busybox::new();
    let run = RunBuilder::new(&image.yaml(
        "tmpfs: [\"/scratch:1M\", /cache]\n",
        "echo t > /scratch/f && cat /scratch/f && grep -E ' /(scratch|cache) ' /proc/mounts",
    ))
    .run();
    run.expect_code(0).assert_clean();
    let scratch = run
        .stdout
        .lines()
        .find(|l| l.contains(" /scratch "))
        .expect("/scratch");
    assert!(
        scratch.starts_with("tmpfs ") && scratch.contains("size=1024k"),
        "{scratch}"
    );
    assert!(
        run.stdout.lines().any(|l| l.starts_with("tmpfs /cache ")),
        "{}",
        run.stdout
    );
    assert!(!image.path().join("scratch").exists());
}

#[test]
fn a_missing_volume_source_is_a_file_line_error() {
    let image = Busybox::new();
    let run = RunBuilder::new(&format!(
        "rootfs: {}\ncommand: /bin/true\nvolumes: [\"/no/such/dir:/data\"]\n",
        image.path().display()
    ))
    .run();
    run.expect_code(2);
    assert!(
        run.stderr.contains("workload.yaml:3:11: volumes:"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("/no/such/dir"), "{}", run.stderr);
    assert_state_root_empty(&run, &[]);
}

#[test]
fn a_mount_through_a_symlink_in_the_rootfs_is_refused() {
    let image = Busybox::new();
    std::os::unix::fs::symlink("/etc", image.path().join("link")).expect("symlink");
    let host = tempfile::tempdir_in("/var/tmp").expect("host dir");
    let before = image.snapshot();
    let run = RunBuilder::new(&image.yaml(
        &format!("volumes: [\"{}:/link/x\"]\n", host.path().display()),
        "echo should-not-run",
    ))
    .run();
    run.expect_code(runtime::EXIT_RUNTIME_FAILURE)
        .assert_clean();
    assert!(
        run.stderr.contains("goes through a symlink"),
        "{}",
        run.stderr
    );
    assert!(!run.stdout.contains("should-not-run"));
    assert!(!Path::new("/etc/x").exists());
    assert_eq!(image.snapshot(), before);
    assert_state_root_empty(&run, &[]);
}

#[test]
fn keep_leaves_the_upper_layer_under_kept() {
    let image = Busybox::new();
    // A state root that can hold an upper layer: /run is a tmpfs in the VM
    // lane, whose root (and so /tmp) is an overlay, where the upper layer
    // would go to a throwaway tmpfs instead.
    let state = tempfile::tempdir_in("/run").expect("state root under /run");
    let run = RunBuilder::new(&image.yaml("keep: true\n", "echo kept > /newfile"))
        .state(state.path())
        .run();
    run.expect_code(0).assert_clean();
    let id = run.container_id();
    let upper = run.state.join("kept").join(&id).join("upper");
    assert_eq!(
        std::fs::read_to_string(upper.join("newfile")).expect("kept newfile"),
        "kept\n"
    );
    assert!(!image.path().join("newfile").exists());
    let logged = run.step("cleanup");
    assert!(
        logged
            .iter()
            .any(|l| l["message"].as_str().is_some_and(|m| m.contains("kept"))),
        "{logged:?}"
    );
    assert_state_root_empty(&run, &["kept"]);
}
