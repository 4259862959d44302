//! The image flow end to end through the CLI: a busybox root file system
//! built at test time (busybox-static, no network) is packed with the
//! system `tar` as a rootfs tarball and as a docker-archive (manifest.json,
//! config with Cmd and Env, one layer), imported, listed, run with its own
//! root (checked from inside), and removed; a hostile archive is refused
//! with nothing stored.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{containerctl, require_root, Busybox, Gate, Run, RunBuilder};

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

/// Runs `yaml` with the image store at `store`.
fn run_image(store: &Path, yaml: &str) -> Run {
    RunBuilder::new(yaml)
        .env("CONTAINERCTL_IMAGE_ROOT", store)
        .run()
}

/// `image import SOURCE [--name NAME]`, which must succeed.
fn import(store: &Path, source: &str, name: Option<&str>) -> Output {
    let mut args = vec!["image", "import", source];
    args.extend(name.iter().flat_map(|n| ["--name", n]));
    let out = ctl(store, &args);
    assert!(out.status.success(), "{}", text(&out));
    out
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
    import(&store, archive.to_str().expect("utf-8"), Some("busybox"));
    let ls = ctl(&store, &["image", "ls"]);
    assert!(
        text(&ls).contains("busybox:latest") || text(&ls).contains("busybox"),
        "{}",
        text(&ls)
    );

    let run = run_image(&store, "image: busybox\ncommand: sh -c 'cat /etc/image-marker; ls /usr/bin/stress 2>&1; echo written > /newfile; cat /newfile'");
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
    let gone = run_image(&store, "image: busybox\ncommand: true");
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
    let out = import(&store, archive.to_str().expect("utf-8"), None);
    assert!(text(&out).contains("demo:1.0"), "{}", text(&out));

    let run = run_image(&store, "image: demo:1.0\n");
    run.expect_code(0);
    run.assert_clean();
    assert!(run.stdout.contains("from-image"), "{}", run.stdout);
    assert!(run.stdout.contains("busybox image"), "{}", run.stdout);
    let overridden = run_image(
        &store,
        "image: demo:1.0\nenv: {GREETING: from-workload}\ncommand: sh -c 'echo $GREETING; pwd'",
    );
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
fn layers_stack_in_order_with_whiteouts_and_a_repeated_layer() {
    require_root();
    let work = tempfile::tempdir().expect("tempdir");
    let base = busybox_rootfs();
    std::fs::write(base.path().join("etc/a"), "from the base\n").expect("a");
    std::fs::create_dir_all(base.path().join("olddir")).expect("olddir");
    std::fs::write(base.path().join("olddir/old"), "old\n").expect("old");
    let top = work.path().join("top");
    std::fs::create_dir_all(top.join("etc")).expect("etc");
    std::fs::create_dir_all(top.join("olddir")).expect("olddir");
    std::fs::write(top.join("etc/.wh.a"), "").expect("whiteout");
    std::fs::write(top.join("olddir/.wh..wh..opq"), "").expect("opaque");
    std::fs::write(top.join("olddir/new"), "new\n").expect("new");
    std::fs::write(top.join("etc/top"), "from the top\n").expect("top");
    let empty = work.path().join("empty");
    std::fs::create_dir_all(empty.join("tmp")).expect("empty");
    let archive_dir = work.path().join("archive");
    for (name, dir) in [
        ("base", base.path()),
        ("top", top.as_path()),
        ("empty", empty.as_path()),
    ] {
        std::fs::create_dir_all(archive_dir.join(name)).expect("mkdir");
        tar(dir, &archive_dir.join(name).join("layer.tar"), &["."]);
    }
    std::fs::write(
        archive_dir.join("config.json"),
        r#"{"config":{"Cmd":["sh"]}}"#,
    )
    .expect("config");
    let manifest = r#"[{"Config":"config.json","RepoTags":["stacked:1"],"Layers":["base/layer.tar","empty/layer.tar","top/layer.tar","empty/layer.tar"]}]"#;
    std::fs::write(archive_dir.join("manifest.json"), manifest).expect("manifest");
    let archive = work.path().join("stacked.tar");
    tar(
        &archive_dir,
        &archive,
        &["manifest.json", "config.json", "base", "top", "empty"],
    );
    // Opaque dirs need trusted.* xattrs, which overlayfs (the VM lane's
    // root, so its /tmp) does not store: keep this store on /run (a tmpfs there).
    let store_dir = tempfile::tempdir_in("/run").expect("store under /run");
    let store = store_dir.path().join("images");
    import(&store, archive.to_str().expect("utf-8"), None);
    let run = run_image(
        &store,
        "image: stacked:1\ncommand: sh -c 'ls -a /etc /olddir; cat /etc/top'",
    );
    run.expect_code(0);
    run.assert_clean();
    let listing = &run.stdout;
    assert!(listing.contains("from the top"), "{listing}");
    assert!(listing.contains("new"), "{listing}");
    assert!(
        !listing.lines().any(|l| l.trim() == "a"),
        "the whiteout did not hide /etc/a: {listing}"
    );
    assert!(
        !listing.contains("old\n") && !listing.lines().any(|l| l.trim() == "old"),
        "the opaque dir shows the base: {listing}"
    );
    assert!(
        listing.contains("passwd"),
        "the base layer is missing: {listing}"
    );
}

#[test]
fn an_image_of_sixty_layers_mounts() {
    require_root();
    let work = tempfile::tempdir().expect("tempdir");
    let base = busybox_rootfs();
    let archive_dir = work.path().join("archive");
    let mut layers = vec!["l0/layer.tar".to_string()];
    std::fs::create_dir_all(archive_dir.join("l0")).expect("mkdir");
    tar(base.path(), &archive_dir.join("l0/layer.tar"), &["."]);
    for n in 1..60 {
        let dir = work.path().join(format!("d{n}"));
        std::fs::create_dir_all(dir.join("layers")).expect("mkdir");
        std::fs::write(dir.join("layers").join(n.to_string()), "").expect("file");
        std::fs::create_dir_all(archive_dir.join(format!("l{n}"))).expect("mkdir");
        tar(&dir, &archive_dir.join(format!("l{n}/layer.tar")), &["."]);
        layers.push(format!("l{n}/layer.tar"));
    }
    std::fs::write(archive_dir.join("config.json"), r#"{"config":{}}"#).expect("config");
    let manifest =
        serde_json::json!([{"Config": "config.json", "RepoTags": ["tall:1"], "Layers": layers}]);
    std::fs::write(archive_dir.join("manifest.json"), manifest.to_string()).expect("manifest");
    let archive = work.path().join("tall.tar");
    tar(&archive_dir, &archive, &["."]);
    let store = work.path().join("images");
    import(&store, archive.to_str().expect("utf-8"), None);
    let run = run_image(
        &store,
        "image: tall:1\ncommand: sh -c 'ls /layers | wc -l; cat /etc/image-marker'",
    );
    run.expect_code(0);
    run.assert_clean();
    assert!(run.stdout.starts_with("59"), "{}", run.stdout);
    assert!(run.stdout.contains("busybox image"), "{}", run.stdout);
}

#[test]
fn a_rootfs_directory_imports_and_shares_nothing_with_the_host() {
    require_root();
    let work = tempfile::tempdir().expect("tempdir");
    let rootfs = busybox_rootfs();
    let store = work.path().join("images");
    let dir = rootfs.path().to_str().expect("utf-8");
    let out = import(&store, dir, Some("bbdir"));
    assert!(text(&out).contains("directory"), "{}", text(&out));
    let run = run_image(
        &store,
        "image: bbdir\ncommand: sh -c 'cat /etc/image-marker; ls /etc'",
    );
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
fn removing_an_image_keeps_the_layers_a_running_container_uses() {
    require_root();
    let work = tempfile::tempdir().expect("tempdir");
    let rootfs = busybox_rootfs();
    let archive = work.path().join("busybox.tar");
    tar(rootfs.path(), &archive, &["."]);
    let store = work.path().join("images");
    import(&store, archive.to_str().expect("utf-8"), Some("held"));
    let gate = Gate::new();
    let (volume, wait) = gate.volume_and_wait_script();
    let yaml = format!(
        "image: held\nvolumes: [\"{volume}\"]\ncommand: sh -c '{wait}; cat /etc/image-marker'"
    );
    let state = tempfile::tempdir().expect("state");
    let (child, pending) = RunBuilder::new(&yaml)
        .env("CONTAINERCTL_IMAGE_ROOT", &store)
        .state(state.path())
        .spawn();
    let layers = store.join("layers/sha256");
    let start = std::time::Instant::now();
    // Placed means the run has resolved the image and holds the store.
    let ledger = state.path().join(runtime::LEDGER_FILE);
    while runtime::read_ledger(&ledger).map_or(true, |l| l.placements.is_empty()) {
        assert!(start.elapsed().as_secs() < 30, "the run was never placed");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let rm = ctl(&store, &["image", "rm", "held"]);
    assert!(rm.status.success(), "{}", text(&rm));
    assert_eq!(
        std::fs::read_dir(&layers).expect("layers").count(),
        1,
        "the layer in use was deleted"
    );
    gate.open();
    let run = pending.finish(child);
    run.expect_code(0);
    run.assert_clean();
    assert!(run.stdout.contains("busybox image"), "{}", run.stdout);
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
