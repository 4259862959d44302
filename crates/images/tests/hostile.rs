//! Hostile input: escaping names, symlink and hardlink tricks, device
//! nodes, size bombs, truncated or random archives, manifests naming files
//! outside the archive, and digest mismatches. Every case must fail with an
//! error naming the culprit and leave the store (and the host) untouched.

mod common;
use common::*;
use images::{ImageError, Store};
use std::path::Path;
use tar::EntryType;

/// Imports `bytes` and returns the error; checks the store stayed clean.
fn refuse(bytes: &[u8], limit: u64) -> ImageError {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::with_limit(&dir.path().join("store"), limit).unwrap();
    let src = write(dir.path(), "evil.tar", bytes);
    let err = store.import(&src, None, &mut no_progress()).unwrap_err();
    assert_clean(&store);
    assert!(
        err.to_string().contains("evil.tar") || err.to_string().contains("/tmp/"),
        "{err}"
    );
    err
}

fn entry_err(bytes: &[u8], entry: &str) -> String {
    let err = refuse(bytes, u64::MAX);
    let msg = err.to_string();
    assert!(matches!(err, ImageError::Entry { .. }), "{msg}");
    assert!(msg.contains(entry), "{msg} does not name {entry}");
    msg
}

#[test]
fn absolute_and_dotdot_names() {
    entry_err(
        &T::new().file("/tmp/abs-evil", b"x").done(),
        "/tmp/abs-evil",
    );
    entry_err(
        &T::new().file("a/../../dotdot-evil", b"x").done(),
        "../dotdot-evil",
    );
    entry_err(&T::new().file("../x", b"x").done(), "../x");
    assert!(!Path::new("/tmp/abs-evil").exists());
}

#[test]
fn writes_through_symlinks() {
    let outside = tempfile::tempdir().unwrap();
    let out = outside.path().to_str().unwrap();
    let msg = entry_err(
        &T::new()
            .symlink("evil", out)
            .file("evil/passwd", b"x")
            .done(),
        "evil/passwd",
    );
    assert!(msg.contains("symlink"), "{msg}");
    entry_err(
        &T::new()
            .symlink("evil", "../../../../../..")
            .file("evil/tmp/x", b"x")
            .done(),
        "evil/tmp/x",
    );
    entry_err(
        &T::new()
            .dir("d/")
            .symlink("d/up", "..")
            .dir("d/up/sub/")
            .done(),
        "d/up/sub",
    );
    // A whiteout through a symlink must not plant a device outside either.
    entry_err(
        &T::new().symlink("evil", out).file("evil/.wh.x", b"").done(),
        "evil/.wh.x",
    );
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
}

#[test]
fn hostile_hardlinks() {
    entry_err(&T::new().link("h", "/etc/passwd").done(), "h");
    entry_err(&T::new().link("h", "../../etc/passwd").done(), "h");
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), b"s").unwrap();
    let t = T::new()
        .symlink("evil", outside.path().to_str().unwrap())
        .link("h", "evil/secret");
    let msg = entry_err(&t.done(), "h");
    assert!(msg.contains("symlink"), "{msg}");
    entry_err(&T::new().link("h", "missing").done(), "h");
}

#[test]
fn device_nodes() {
    let msg = entry_err(
        &T::new()
            .raw("dev/sda", EntryType::Block, "", b"", 0o600)
            .done(),
        "dev/sda",
    );
    assert!(msg.contains("device"), "{msg}");
    entry_err(
        &T::new()
            .raw("dev/null", EntryType::Char, "", b"", 0o666)
            .done(),
        "dev/null",
    );
}

#[test]
fn size_limit() {
    let tar = T::new()
        .file("a", &[7u8; 4096])
        .file("b", &[7u8; 4096])
        .done();
    let err = refuse(&gz(&tar), 6000);
    assert!(
        matches!(err, ImageError::TooLarge { limit: 6000, .. }),
        "{err}"
    );
    // A docker archive: each layer fits, all of them do not.
    let layer = T::new().file("a", &[1u8; 3000]).done();
    let layer2 = T::new().file("b", &[2u8; 3000]).done();
    let err = refuse(&docker_archive(&[layer, layer2], &[], &["x:1"]), 5000);
    assert!(matches!(err, ImageError::TooLarge { .. }), "{err}");
}

#[test]
fn truncated_and_random_archives() {
    let tar = T::new().file("a", &[3u8; 20000]).file("b", b"b").done();
    let zipped = gz(&tar);
    let err = refuse(&zipped[..zipped.len() / 2], u64::MAX);
    assert!(matches!(err, ImageError::Corrupt { .. }), "{err}");
    let err = refuse(&tar[..tar.len() / 2], u64::MAX);
    assert!(err.to_string().contains("evil.tar"), "{err}");
    // Cut right after a whole entry: no end-of-archive block.
    let err = refuse(&tar[..512 + 20480], u64::MAX);
    assert!(matches!(err, ImageError::Corrupt { .. }), "{err}");
    let random: Vec<u8> = (0..5000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let err = refuse(&random, u64::MAX);
    assert!(matches!(err, ImageError::Corrupt { .. }), "{err}");
    let mut bad_gz = vec![0x1f, 0x8b];
    bad_gz.extend_from_slice(&random);
    refuse(&bad_gz, u64::MAX);
    refuse(b"", u64::MAX);
}

#[test]
fn manifest_naming_files_outside() {
    for layer in ["../x", "/etc/passwd", "a/../../x"] {
        let manifest =
            format!(r#"[{{"Config":"c.json","RepoTags":["x:1"],"Layers":["{layer}"]}}]"#);
        let t = archive(&[
            ("c.json", b"{}".to_vec()),
            ("manifest.json", manifest.into_bytes()),
        ]);
        let err = refuse(&t, u64::MAX);
        assert!(matches!(err, ImageError::Manifest { .. }), "{err}");
        assert!(err.to_string().contains("manifest.json"), "{err}");
    }
    // A layer that is a symlink leaving the archive.
    let manifest = br#"[{"Config":"c.json","Layers":["l.tar"]}]"#.to_vec();
    let t = T::new()
        .file("c.json", b"{}")
        .symlink("l.tar", "../../../../etc/passwd");
    let err = refuse(&t.file("manifest.json", &manifest).done(), u64::MAX);
    assert!(matches!(err, ImageError::Manifest { .. }), "{err}");
}

#[test]
fn hostile_layer_inside_docker_archive() {
    let good = T::new().file("ok", b"1").done();
    let bad = T::new()
        .symlink("evil", "/etc")
        .file("evil/passwd", b"x")
        .done();
    let err = refuse(&docker_archive(&[good, bad], &[1], &["x:1"]), u64::MAX);
    assert!(err.to_string().contains("evil/passwd"), "{err}");
    let outer = T::new()
        .file("manifest.json", b"[]")
        .file("../escape", b"x")
        .done();
    let err = refuse(&outer, u64::MAX);
    assert!(err.to_string().contains("../escape"), "{err}");
}

#[test]
fn oci_digest_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    oci_layout(&layout, &[T::new().file("f", b"1").done()], "a:1", false);
    for e in std::fs::read_dir(layout.join("blobs/sha256")).unwrap() {
        let p = e.unwrap().path();
        if std::fs::read(&p).unwrap().starts_with(&[0x1f, 0x8b]) {
            std::fs::write(&p, gz(&T::new().file("f", b"2").done())).unwrap();
        }
    }
    let store = Store::open(&dir.path().join("store")).unwrap();
    let err = store.import(&layout, None, &mut no_progress()).unwrap_err();
    assert!(matches!(err, ImageError::Digest { .. }), "{err}");
    assert_clean(&store);
}
