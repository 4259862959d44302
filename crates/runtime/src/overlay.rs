//! The parent's side of an overlay root. A spec whose annotation
//! `org.containerctl.rootfs.lower` lists lower dirs (top first) gets an
//! overlay root whose upper and work dirs live in the container's state dir
//! (`<state_root>/<id>/upper`, `/work`): created here before clone, removed
//! with the state dir by the cleanup — or, with `org.containerctl.rootfs.keep`,
//! the upper dir is first moved to `<state_root>/kept/<id>/upper`.

use std::path::{Path, PathBuf};

use oci_spec::runtime::Spec;

use crate::plan::{ChildPlan, RootSource};
use crate::refuse::unsupported;
use crate::{Container, RuntimeError};

/// Where the root comes from: an overlay (the annotation), the host's root
/// (`/`), or a bundle's rootfs dir. `state_dir` holds the upper/work dirs.
pub fn root_source(spec: &Spec, state_dir: &Path) -> Result<RootSource, RuntimeError> {
    let root = spec
        .root()
        .as_ref()
        .ok_or_else(|| unsupported("the spec has no root"))?;
    let annotation = spec
        .annotations()
        .as_ref()
        .and_then(|a| a.get(spec::ANNOTATION_ROOTFS_LOWER));
    let Some(joined) = annotation else {
        return Ok(if root.path().as_os_str() == spec::HOST_ROOTFS {
            RootSource::Host
        } else {
            RootSource::Path(root.path().clone())
        });
    };
    let lower: Vec<PathBuf> = joined.split(':').map(PathBuf::from).collect();
    if let Some(bad) = lower
        .iter()
        .find(|p| !p.is_absolute() || p.as_os_str().as_encoded_bytes().contains(&b','))
    {
        return Err(unsupported(&format!(
            "annotation {}: layer `{}` is not an absolute path free of ','",
            spec::ANNOTATION_ROOTFS_LOWER,
            bad.display()
        )));
    }
    Ok(RootSource::Overlay {
        lower,
        upper: state_dir.join("upper"),
        work: state_dir.join("work"),
    })
}

/// Whether the spec asks to keep the overlay's upper layer.
pub fn keep_requested(spec: &Spec) -> bool {
    spec.annotations()
        .as_ref()
        .and_then(|a| a.get(spec::ANNOTATION_ROOTFS_KEEP))
        .is_some_and(|v| v == "true")
}

/// Creates the upper and work dirs (the state dir exists already); returns
/// where the upper dir is to be kept (`<state_root>/kept/<id>`), if asked.
pub fn prepare(plan: &ChildPlan, container: &Container) -> Result<Option<PathBuf>, RuntimeError> {
    if let RootSource::Overlay { upper, work, .. } = &plan.root {
        for dir in [upper, work] {
            std::fs::create_dir(dir).map_err(RuntimeError::io("creating overlay dir", dir))?;
        }
    }
    Ok(plan
        .keep_upper
        .then(|| container.state_root.join("kept").join(&container.id)))
}

/// Moves `upper` to `kept/upper`, logging where (or why not).
pub fn keep_upper(upper: &Path, kept: &Path) {
    if !upper.exists() {
        return;
    }
    let target = kept.join("upper");
    let moved = std::fs::create_dir_all(kept).and_then(|()| std::fs::rename(upper, &target));
    match moved {
        Ok(()) => tracing::info!(
            step = "cleanup",
            path = %target.display(),
            "kept the container's upper layer at {}",
            target.display()
        ),
        Err(e) => tracing::warn!(
            step = "cleanup",
            "keeping the upper layer {} at {}: {e}",
            upper.display(),
            target.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oci_spec::runtime::{RootBuilder, SpecBuilder};
    use std::collections::HashMap;

    fn spec(path: &str, lower: Option<&str>) -> Spec {
        let mut spec = SpecBuilder::default()
            .root(RootBuilder::default().path(path).build().expect("root"))
            .build()
            .expect("spec");
        let annotations = lower
            .map(|l| HashMap::from([(spec::ANNOTATION_ROOTFS_LOWER.to_string(), l.to_string())]));
        spec.set_annotations(annotations);
        spec
    }

    #[test]
    fn the_annotation_makes_an_overlay_in_the_state_dir() {
        let state = Path::new("/run/c/id");
        let root = root_source(&spec("/img/a", Some("/img/a:/img/b")), state).expect("overlay");
        assert_eq!(
            root,
            RootSource::Overlay {
                lower: vec!["/img/a".into(), "/img/b".into()],
                upper: state.join("upper"),
                work: state.join("work"),
            }
        );
        assert_eq!(
            root_source(&spec("/", None), state).expect("host"),
            RootSource::Host
        );
        assert_eq!(
            root_source(&spec("/b/rootfs", None), state).expect("path"),
            RootSource::Path("/b/rootfs".into())
        );
        assert!(root_source(&spec("/a", Some("rel:/b")), state).is_err());
        assert!(root_source(&spec("/a", Some("/a,b")), state).is_err());
    }

    #[test]
    fn keep_moves_the_upper_dir() {
        let dir = tempfile::tempdir().expect("tempdir");
        let upper = dir.path().join("id/upper");
        std::fs::create_dir_all(&upper).expect("upper");
        std::fs::write(upper.join("newfile"), "x").expect("file");
        let kept = dir.path().join("kept/id");
        keep_upper(&upper, &kept);
        assert!(kept.join("upper/newfile").is_file());
        assert!(!upper.exists());
    }
}
