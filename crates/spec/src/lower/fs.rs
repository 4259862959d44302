//! Lowering of the container's files: the OCI `root` and the overlay
//! annotations for a `rootfs`/`image` root, and the OCI mounts for
//! `volumes` (rbind) and `tmpfs`, appended after the default mounts.

use crate::defaults::default_mounts;
use crate::error::SpecError;
use crate::workload::{Root, Workload};
use crate::{ANNOTATION_ROOTFS_KEEP, ANNOTATION_ROOTFS_LOWER, HOST_ROOTFS};
use oci_spec::runtime::{Mount, MountBuilder, Root as OciRoot, RootBuilder};
use std::collections::HashMap;

/// The OCI root and, for an overlay root, its annotations.
pub fn root(w: &Workload, annotations: &mut HashMap<String, String>) -> Result<OciRoot, SpecError> {
    let lower = w.root.lower_dirs();
    let Some(first) = lower.first() else {
        if let Some(image) = &w.image {
            return Err(SpecError::Lower(format!(
                "image {image} was not resolved to its layers"
            )));
        }
        return Ok(RootBuilder::default()
            .path(HOST_ROOTFS)
            .readonly(true)
            .build()?);
    };
    let mut joined = Vec::with_capacity(lower.len());
    for dir in lower {
        let text = dir.to_str().ok_or_else(|| {
            SpecError::Lower(format!("layer path {} is not UTF-8", dir.display()))
        })?;
        if text.contains([':', ',']) || !dir.is_absolute() {
            return Err(SpecError::Lower(format!(
                "layer path {text} must be absolute and free of ':' and ','"
            )));
        }
        joined.push(text);
    }
    annotations.insert(ANNOTATION_ROOTFS_LOWER.to_string(), joined.join(":"));
    if w.keep {
        annotations.insert(ANNOTATION_ROOTFS_KEEP.to_string(), "true".to_string());
    }
    debug_assert!(w.root != Root::Host);
    Ok(RootBuilder::default()
        .path(first.clone())
        .readonly(w.readonly)
        .build()?)
}

/// The default mounts, then the volumes, then the tmpfs mounts.
pub fn mounts(w: &Workload) -> Result<Vec<Mount>, SpecError> {
    let mut mounts = default_mounts()?;
    for v in &w.volumes {
        let mode = if v.readonly { "ro" } else { "rw" };
        mounts.push(
            MountBuilder::default()
                .typ("bind")
                .source(v.source.clone())
                .destination(v.target.clone())
                .options(strings(&["rbind", mode, "nosuid", "nodev"]))
                .build()?,
        );
    }
    for t in &w.tmpfs {
        let mut options = strings(&["nosuid", "nodev", "mode=1777"]);
        if let Some(size) = t.size {
            options.push(format!("size={size}"));
        }
        mounts.push(
            MountBuilder::default()
                .typ("tmpfs")
                .source("tmpfs")
                .destination(t.target.clone())
                .options(options)
                .build()?,
        );
    }
    Ok(mounts)
}

fn strings(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}
