//! Tests for the root, volume and tmpfs keys: what they become, and the
//! file:line:column: key error for each kind of mistake.

use crate::workload::{Root, Tmpfs, Volume};
use crate::{parse_workload, HostFacts, SpecError, Workload};
use std::path::PathBuf;

fn parse(source: &str) -> Result<Workload, SpecError> {
    parse_workload(source, "t.yaml", &HostFacts { cpus: vec![0] })
}

#[track_caller]
fn expect_error(source: &str, at: &str, fragment: &str) {
    let text = match parse(source) {
        Err(err @ SpecError::Invalid { .. }) => err.to_string(),
        other => panic!("expected an Invalid error for {source:?}, got {other:?}"),
    };
    assert!(text.starts_with(&format!("t.yaml:{at}: ")), "{text}");
    assert!(text.contains(fragment), "{text:?} lacks {fragment:?}");
}

fn dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

#[test]
fn rootfs_is_a_dir_root() {
    let d = dir();
    let w = parse(&format!(
        "rootfs: {}\nreadonly: true\nkeep: true\ncommand: x",
        d.path().display()
    ))
    .unwrap();
    assert_eq!(w.root, Root::Dir(d.path().to_path_buf()));
    assert!(w.readonly && w.keep);
    assert_eq!(w.image, None);
}

#[test]
fn rootfs_must_be_an_existing_absolute_dir() {
    expect_error("command: x\nrootfs: rel/dir", "2:9", "absolute");
    expect_error("command: x\nrootfs: /no/such/dir", "2:9", "/no/such/dir");
    let d = dir();
    let file = d.path().join("f");
    std::fs::write(&file, "").unwrap();
    expect_error(
        &format!("command: x\nrootfs: {}", file.display()),
        "2:9",
        "not a directory",
    );
}

#[test]
fn image_makes_the_command_optional() {
    let w = parse("image: library/busybox:1.36").unwrap();
    assert_eq!(w.image.as_deref(), Some("library/busybox:1.36"));
    assert!(w.args.is_empty());
    assert_eq!(w.root, Root::Host);
    expect_error("image: Busybox", "1:8", "not an image name");
    expect_error("image: \"busybox:\"", "1:8", "not an image name");
}

#[test]
fn not_both_rootfs_and_image() {
    let d = dir();
    expect_error(
        &format!("image: b\nrootfs: {}", d.path().display()),
        "2:9",
        "not both",
    );
}

#[test]
fn readonly_and_keep_need_a_root() {
    expect_error(
        "command: x\nreadonly: true",
        "2:11",
        "needs `rootfs` or `image`",
    );
    expect_error("command: x\nkeep: true", "2:7", "needs `rootfs` or `image`");
    assert!(!parse("command: x\nkeep: false").unwrap().keep);
}

#[test]
fn volumes_are_parsed_and_checked() {
    let d = dir();
    let src = d.path().display();
    let w = parse(&format!(
        "command: x\nvolumes: [\"{src}:/data\", \"{src}:/ro:ro\", \"{src}:/rw:rw\"]"
    ))
    .unwrap();
    let v = |target: &str, readonly| Volume {
        source: d.path().to_path_buf(),
        target: PathBuf::from(target),
        readonly,
    };
    assert_eq!(
        w.volumes,
        [v("/data", false), v("/ro", true), v("/rw", false)]
    );
    expect_error(
        "command: x\nvolumes: [\"/no/such:/data\"]",
        "2:11",
        "`/no/such:/data`: the host path `/no/such`",
    );
    expect_error(
        &format!("command: x\nvolumes:\n  - {src}:/a\n  - {src}:/\n"),
        "4:5",
        "root `/`",
    );
    expect_error(
        &format!("command: x\nvolumes: [\"{src}:data\"]"),
        "2:11",
        "must be absolute",
    );
    expect_error(
        &format!("command: x\nvolumes: [\"{src}:/a:rx\"]"),
        "2:11",
        "`ro` or `rw`",
    );
    expect_error(
        "command: x\nvolumes: [\"tmp:/a\"]",
        "2:11",
        "must be absolute",
    );
    expect_error(
        &format!("command: x\nvolumes: [\"{src}:/a/../b\"]"),
        "2:11",
        "`..`",
    );
}

#[test]
fn tmpfs_entries_take_an_optional_size() {
    let w = parse("command: x\ntmpfs: [/scratch, \"/cache:64M\"]").unwrap();
    assert_eq!(
        w.tmpfs,
        [
            Tmpfs {
                target: "/scratch".into(),
                size: None
            },
            Tmpfs {
                target: "/cache".into(),
                size: Some(64 << 20)
            },
        ]
    );
    expect_error("command: x\ntmpfs: [\"/c:lots\"]", "2:9", "tmpfs");
    expect_error("command: x\ntmpfs: [\"/c:0\"]", "2:9", "greater than 0");
    expect_error("command: x\ntmpfs: [scratch]", "2:9", "must be absolute");
}
