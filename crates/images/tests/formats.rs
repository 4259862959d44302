//! Imports of every supported source format: rootfs tar and tar.gz,
//! docker-archive (with whiteouts and an opaque dir), OCI layout as a
//! directory and as a tar (with a nested index), a rootfs directory, and a
//! busybox rootfs tarred by the system `tar`.

mod common;
use common::*;
use images::{Store, DEFAULT_LIMIT};
use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;

fn rootfs() -> Vec<u8> {
    T::new()
        .dir("etc/")
        .file("etc/hostname", b"box\n")
        .owned("etc/secret", b"s", 0o640, 1000, 2000)
        .symlink("etc/link", "/etc/hostname")
        .link("etc/hard", "etc/hostname")
        .raw("run/fifo", tar::EntryType::Fifo, "", b"", 0o600)
        .done()
}

#[test]
fn rootfs_tar() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store")).unwrap();
    let tar = rootfs();
    let src = write(dir.path(), "My-Root.tar", &tar);
    let mut reports = vec![];
    let img = store.import(&src, None, &mut |p| reports.push(p)).unwrap();
    assert_eq!(img.name, "my-root");
    assert_eq!(img.source, "rootfs tarball");
    assert_eq!(img.layers, vec![sha(&tar)]);
    assert_eq!(img.size, 5);
    let last = reports.last().unwrap();
    assert_eq!(
        (last.done, last.total),
        (tar.len() as u64, Some(tar.len() as u64))
    );
    let l = &store.lower_dirs(&img)[0];
    assert_eq!(fs::read(l.join("etc/hostname")).unwrap(), b"box\n");
    let m = fs::metadata(l.join("etc/secret")).unwrap();
    assert_eq!((m.uid(), m.gid(), m.mode() & 0o7777), (1000, 2000, 0o640));
    assert_eq!(
        fs::read_link(l.join("etc/link")).unwrap(),
        Path::new("/etc/hostname")
    );
    let ino = |p: &str| fs::metadata(l.join(p)).unwrap().ino();
    assert_eq!(ino("etc/hard"), ino("etc/hostname"));
    assert!(fs::symlink_metadata(l.join("run/fifo"))
        .unwrap()
        .file_type()
        .is_fifo());
    assert_eq!(m.mtime(), 0);
    assert_eq!(store.get("my-root").unwrap(), img);
}

#[test]
fn rootfs_tar_gz_hashes_uncompressed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store")).unwrap();
    let tar = rootfs();
    let src = write(dir.path(), "x.bin", &gz(&tar));
    let img = store
        .import(&src, Some("root:v1"), &mut no_progress())
        .unwrap();
    assert_eq!(img.layers, vec![sha(&tar)]);
    assert_eq!(img.name, "root:v1");
    assert!(store.lower_dirs(&img)[0].join("etc/hostname").is_file());
}

fn two_layers() -> (Vec<u8>, Vec<u8>) {
    let base = T::new()
        .dir("etc/")
        .file("etc/keep", b"k")
        .file("etc/removed", b"r")
        .dir("opt/")
        .file("opt/old", b"o")
        .done();
    let top = T::new()
        .file("etc/.wh.removed", b"")
        .dir("opt/")
        .file("opt/.wh..wh..opq", b"")
        .file("opt/new", b"n")
        .done();
    (base, top)
}

#[test]
fn docker_archive_with_whiteouts() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store")).unwrap();
    let (base, top) = two_layers();
    let src = write(
        dir.path(),
        "save.tar",
        &docker_archive(&[base.clone(), top.clone()], &[1], &["busybox:latest"]),
    );
    let img = store.import(&src, None, &mut no_progress()).unwrap();
    assert_eq!(img.name, "busybox:latest");
    assert_eq!(img.source, "docker archive");
    assert_eq!(img.layers, vec![sha(&base), sha(&top)]);
    assert_eq!(img.config.env, vec!["PATH=/bin", "A=b"]);
    assert_eq!(img.config.cmd, vec!["/bin/sh", "-c", "true"]);
    assert!(img.config.entrypoint.is_empty());
    assert_eq!(img.config.working_dir.as_deref(), Some("/work"));
    assert_eq!(img.config.user.as_deref(), Some("1000:1000"));
    assert!(img.id.starts_with("sha256:"));
    let lowers = store.lower_dirs(&img);
    assert_eq!(
        lowers[0],
        store.root().join("layers/sha256").join(&sha(&top)[7..])
    );
    let wh = fs::symlink_metadata(lowers[0].join("etc/removed")).unwrap();
    assert!(wh.file_type().is_char_device());
    assert_eq!(wh.rdev(), 0);
    assert!(!lowers[0].join("etc/.wh.removed").exists());
    assert_eq!(
        xattr(&lowers[0].join("opt"), "trusted.overlay.opaque"),
        Some(b"y".to_vec())
    );
    assert!(!lowers[0].join("opt/.wh..wh..opq").exists());
    assert!(lowers[1].join("etc/removed").is_file());
    assert_eq!(store.get("busybox").unwrap().name, "busybox:latest");
}

fn check_oci(store: &Store, src: &Path) {
    let (base, top) = two_layers();
    let img = store.import(src, None, &mut no_progress()).unwrap();
    assert_eq!(img.source, "OCI layout");
    assert_eq!(img.name, "example.com/app:1.0");
    assert_eq!(img.layers, vec![sha(&base), sha(&top)]);
    assert_eq!(img.config.working_dir.as_deref(), Some("/work"));
    let lowers = store.lower_dirs(&img);
    assert!(fs::symlink_metadata(lowers[0].join("etc/removed"))
        .unwrap()
        .file_type()
        .is_char_device());
    assert!(lowers[1].join("opt/old").is_file());
}

#[test]
fn oci_layout_dir_and_tar() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store")).unwrap();
    let (base, top) = two_layers();
    let layout = dir.path().join("layout");
    oci_layout(&layout, &[base, top], "example.com/app:1.0", false);
    check_oci(&store, &layout);
    let nested = dir.path().join("nested");
    oci_layout(&nested, &two_layers_vec(), "example.com/app:1.0", true);
    let tar = dir.path().join("nested.tar");
    let st = std::process::Command::new("tar")
        .args([
            "-C",
            nested.to_str().unwrap(),
            "-cf",
            tar.to_str().unwrap(),
            ".",
        ])
        .status()
        .unwrap();
    assert!(st.success());
    check_oci(&store, &tar);
    assert_eq!(store.list().unwrap().len(), 1);
    assert_eq!(
        fs::read_dir(store.root().join("layers/sha256"))
            .unwrap()
            .count(),
        2
    );
}

fn two_layers_vec() -> Vec<Vec<u8>> {
    let (a, b) = two_layers();
    vec![a, b]
}

#[test]
fn rootfs_directory_is_copied_deterministically() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store")).unwrap();
    let src = dir.path().join("rootfs");
    fs::create_dir_all(src.join("usr/bin")).unwrap();
    fs::write(src.join("usr/bin/tool"), b"#!/bin/sh\n").unwrap();
    fs::set_permissions(src.join("usr/bin/tool"), fs::Permissions::from_mode(0o755)).unwrap();
    fs::hard_link(src.join("usr/bin/tool"), src.join("usr/bin/tool2")).unwrap();
    std::os::unix::fs::symlink("usr/bin", src.join("bin")).unwrap();
    let img = store.import(&src, None, &mut no_progress()).unwrap();
    assert_eq!(
        (img.name.as_str(), img.source.as_str()),
        ("rootfs", "directory")
    );
    let l = &store.lower_dirs(&img)[0];
    let m = fs::metadata(l.join("usr/bin/tool")).unwrap();
    assert_eq!(m.mode() & 0o777, 0o755);
    assert_eq!(
        m.ino(),
        fs::metadata(l.join("usr/bin/tool2")).unwrap().ino()
    );
    assert_eq!(fs::read_link(l.join("bin")).unwrap(), Path::new("usr/bin"));
    let again = store
        .import(&src, Some("rootfs2"), &mut no_progress())
        .unwrap();
    assert_eq!(again.layers, img.layers);
    assert_eq!(
        fs::read_dir(store.root().join("layers/sha256"))
            .unwrap()
            .count(),
        1
    );
}

#[test]
fn busybox_rootfs_from_system_tar() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::with_limit(&dir.path().join("store"), DEFAULT_LIMIT).unwrap();
    let root = dir.path().join("bb");
    fs::create_dir_all(root.join("bin")).unwrap();
    fs::create_dir_all(root.join("tmp")).unwrap();
    fs::copy("/bin/busybox", root.join("bin/busybox")).unwrap();
    for app in ["sh", "ls", "cat", "echo"] {
        std::os::unix::fs::symlink("busybox", root.join("bin").join(app)).unwrap();
    }
    let tar = dir.path().join("busybox.tar.gz");
    let st = std::process::Command::new("tar")
        .args([
            "-C",
            root.to_str().unwrap(),
            "-czf",
            tar.to_str().unwrap(),
            ".",
        ])
        .status()
        .unwrap();
    assert!(st.success());
    let img = store.import(&tar, None, &mut no_progress()).unwrap();
    assert_eq!(img.name, "busybox");
    let l = &store.lower_dirs(&img)[0];
    let m = fs::metadata(l.join("bin/busybox")).unwrap();
    assert_eq!(m.len(), fs::metadata("/bin/busybox").unwrap().len());
    assert!(m.mode() & 0o111 != 0);
    assert_eq!(
        fs::read_link(l.join("bin/sh")).unwrap(),
        Path::new("busybox")
    );
    let out = std::process::Command::new(l.join("bin/busybox"))
        .args(["echo", "hi"])
        .output()
        .unwrap();
    assert_eq!(out.stdout, b"hi\n");
}
