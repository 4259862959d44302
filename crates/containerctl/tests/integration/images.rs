//! The image flow end to end through the CLI: a busybox root file system
//! built at test time (busybox-static, no network) is packed with the
//! system `tar` as a rootfs tarball and as a docker-archive (manifest.json,
//! config with Cmd and Env, one layer), imported, listed, run with its own
//! root (checked from inside), and removed; a hostile archive is refused
//! with nothing stored.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{containerctl, require_root, Busybox, RunBuilder};

/// A busybox root file system with a marker file the host does not have.
fn busybox_rootfs() -> Busybox {
    let busybox = Busybox::new();
    std::fs::write(busybox.path().join("etc/image-marker"), "busybox image\n").expect("marker");
    busybox
}

fn tar(dir: &Path, out: &Path, what: &[&str]) {
    let status = Command::new("tar")
        .arg("-C")
        .arg(dir)
        .arg("-cf")
        .arg(out)
        .args(what)
        .status()
        .expect("tar");
    assert!(status.success());
}

fn ctl(image_root: &Path, args: &[&str]) -> Output {
    Command::new(containerctl())
        .arg("--image-root")
        .arg(image_root)
        .args(args)
        .output()
        .expect("containerctl")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn a_rootfs_tarball_imports_and_runs_with_its_own_root() {
    require_root();
    let work = tempfile::tempdir().expect("tempdir");
    let rootfs = busybox_rootfs();
    let archive = work.path().join("busybox.tar");
    tar(rootfs.path(), &archive, &["."]);
    let store = work.path().join("images");
    let out = ctl(
        &store,
        &[
            "image",
            "import",
            archive.to_str().expect("utf-8"),
            "--name",
            "busybox",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let ls = ctl(&store, &["image", "ls"]);
    assert!(
        text(&ls).contains("busybox:latest") || text(&ls).contains("busybox"),
        "{}",
        text(&ls)
    );

    let run = RunBuilder::new("image: busybox\ncommand: sh -c 'cat /etc/image-marker; ls /usr/bin/stress 2>&1; echo written > /newfile; cat /newfile'")
        .env("CONTAINERCTL_IMAGE_ROOT", &store)
        .run();
    run.expect_code(0);
    run.assert_clean();
    assert!(run.stdout.contains("busybox image"), "{}", run.stdout);
    assert!(
        run.stdout.contains("No such file"),
        "host files are visible: {}",
        run.stdout
    );
    assert!(run.stdout.contains("written"));
    let leftover: Vec<_> = walk(&store)
        .into_iter()
        .filter(|p| p.ends_with("newfile"))
        .collect();
    assert!(
        leftover.is_empty(),
        "a container write reached the store: {leftover:?}"
    );

    let rm = ctl(&store, &["image", "rm", "busybox"]);
    assert!(rm.status.success(), "{}", text(&rm));
    let gone = RunBuilder::new("image: busybox\ncommand: true")
        .env("CONTAINERCTL_IMAGE_ROOT", &store)
        .run();
    gone.expect_code(2);
    assert!(gone.stderr.contains("busybox"), "{}", gone.stderr);
}

#[test]
fn a_docker_archive_brings_its_command_and_environment() {
    require_root();
    let work = tempfile::tempdir().expect("tempdir");
    let rootfs = busybox_rootfs();
    let archive_dir = work.path().join("archive");
    std::fs::create_dir_all(archive_dir.join("layer1")).expect("mkdir");
    tar(rootfs.path(), &archive_dir.join("layer1/layer.tar"), &["."]);
    let config = r#"{"config":{"Env":["PATH=/bin","GREETING=from-image"],"Cmd":["sh","-c","echo $GREETING; cat /etc/image-marker"],"WorkingDir":"/tmp"}}"#;
    std::fs::write(archive_dir.join("config.json"), config).expect("config");
    let manifest =
        r#"[{"Config":"config.json","RepoTags":["demo:1.0"],"Layers":["layer1/layer.tar"]}]"#;
    std::fs::write(archive_dir.join("manifest.json"), manifest).expect("manifest");
    let archive = work.path().join("demo.tar");
    tar(
        &archive_dir,
        &archive,
        &["manifest.json", "config.json", "layer1"],
    );
    let store = work.path().join("images");
    let out = ctl(
        &store,
        &["image", "import", archive.to_str().expect("utf-8")],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("demo:1.0"), "{}", text(&out));

    let run = RunBuilder::new("image: demo:1.0\n")
        .env("CONTAINERCTL_IMAGE_ROOT", &store)
        .run();
    run.expect_code(0);
    run.assert_clean();
    assert!(run.stdout.contains("from-image"), "{}", run.stdout);
    assert!(run.stdout.contains("busybox image"), "{}", run.stdout);
    let overridden = RunBuilder::new(
        "image: demo:1.0\nenv: {GREETING: from-workload}\ncommand: sh -c 'echo $GREETING; pwd'",
    )
    .env("CONTAINERCTL_IMAGE_ROOT", &store)
    .run();
    overridden.expect_code(0);
    assert!(
        overridden.stdout.contains("from-workload"),
        "{}",
        overridden.stdout
    );
    assert!(
        overridden.stdout.contains("/tmp"),
        "WorkingDir applies: {}",
        overridden.stdout
    );
}

#[test]
fn a_rootfs_directory_imports_and_shares_nothing_with_the_host() {
    require_root();
    let work = tempfile::tempdir().expect("tempdir");
    let rootfs = busybox_rootfs();
    let store = work.path().join("images");
    let dir = rootfs.path().to_str().expect("utf-8");
    let out = ctl(&store, &["image", "import", dir, "--name", "bbdir"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("directory"), "{}", text(&out));
    let run = RunBuilder::new("image: bbdir\ncommand: sh -c 'cat /etc/image-marker; ls /etc'")
        .env("CONTAINERCTL_IMAGE_ROOT", &store)
        .run();
    run.expect_code(0);
    run.assert_clean();
    assert!(run.stdout.contains("busybox image"), "{}", run.stdout);
    assert!(
        !run.stdout.contains("debian_version"),
        "host /etc is visible: {}",
        run.stdout
    );
}

#[test]
fn a_hostile_archive_is_refused_and_nothing_is_stored() {
    require_root();
    let work = tempfile::tempdir().expect("tempdir");
    let inner = work.path().join("inner");
    std::fs::create_dir_all(inner.join("a")).expect("mkdir");
    std::fs::write(work.path().join("evil"), "x").expect("evil");
    // `a/../../evil` climbs out of the unpack dir.
    let status = Command::new("tar")
        .arg("-C")
        .arg(&inner)
        .args(["-cf"])
        .arg(work.path().join("evil.tar"))
        .args(["-P", "a/../../evil"])
        .status()
        .expect("tar");
    assert!(status.success());
    let store = work.path().join("images");
    let out = ctl(
        &store,
        &[
            "image",
            "import",
            work.path().join("evil.tar").to_str().expect("utf-8"),
            "--name",
            "evil",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains(".."),
        "the error names the entry: {}",
        text(&out)
    );
    let ls = ctl(&store, &["image", "ls", "--json"]);
    assert_eq!(String::from_utf8_lossy(&ls.stdout).trim(), "[]");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.symlink_metadata().is_ok_and(|m| m.is_dir()) {
                out.extend(walk(&path));
            }
            out.push(path);
        }
    }
    out
}
