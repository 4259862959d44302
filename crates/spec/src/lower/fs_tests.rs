//! Tests for lowering the container's files: the overlay root and its
//! annotations, the refusal of an unresolved image, volumes and tmpfs.

use super::*;
use crate::{Root, Tmpfs, Volume};

#[test]
fn a_rootfs_becomes_overlay_annotations() {
    let mut w = Workload::new(vec!["sh".into()]);
    w.root = Root::Layers(vec!["/img/top".into(), "/img/base".into()]);
    w.readonly = true;
    w.keep = true;
    let spec = lower(&w).unwrap();
    let root = spec.root().as_ref().unwrap();
    assert_eq!(root.path().to_str(), Some("/img/top"));
    assert_eq!(root.readonly(), Some(true));
    let annotations = spec.annotations().as_ref().unwrap();
    assert_eq!(
        annotations[crate::ANNOTATION_ROOTFS_LOWER],
        "/img/top:/img/base"
    );
    assert_eq!(annotations[crate::ANNOTATION_ROOTFS_KEEP], "true");

    w.root = Root::Dir("/srv/a,b".into());
    assert!(matches!(lower(&w), Err(SpecError::Lower(m)) if m.contains("':'")));
}

#[test]
fn an_unresolved_image_is_refused() {
    let mut w = Workload::new(Vec::new());
    w.image = Some("busybox".into());
    assert!(matches!(lower(&w), Err(SpecError::Lower(m)) if m.contains("not resolved")));
}

#[test]
fn volumes_and_tmpfs_follow_the_default_mounts() {
    let mut w = Workload::new(vec!["sh".into()]);
    w.volumes = vec![Volume {
        source: "/srv/data".into(),
        target: "/data".into(),
        readonly: true,
    }];
    w.tmpfs = vec![Tmpfs {
        target: "/cache".into(),
        size: Some(1024),
    }];
    let spec = lower(&w).unwrap();
    let mounts = spec.mounts().as_ref().unwrap();
    let n = mounts.len();
    let bind = &mounts[n - 2];
    assert_eq!(bind.typ().as_deref(), Some("bind"));
    assert_eq!(bind.source().as_ref().unwrap().to_str(), Some("/srv/data"));
    assert_eq!(bind.destination().to_str(), Some("/data"));
    assert_eq!(
        bind.options().as_deref().unwrap(),
        ["rbind", "ro", "nosuid", "nodev"]
    );
    let tmpfs = &mounts[n - 1];
    assert_eq!(tmpfs.typ().as_deref(), Some("tmpfs"));
    assert_eq!(tmpfs.destination().to_str(), Some("/cache"));
    assert_eq!(
        tmpfs.options().as_deref().unwrap(),
        ["nosuid", "nodev", "mode=1777", "size=1024"]
    );
    assert_eq!(spec.annotations(), &None);
}
