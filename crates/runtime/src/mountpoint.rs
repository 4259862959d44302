//! Mount destinations inside the staging root, in the child before
//! pivot_root: a destination must stay inside the root (absolute, no `..`,
//! no symlink on the way — a rootfs could point one at a host path, and
//! following it would create or mount outside the root), and a missing one
//! is created component by component (directories, or an empty file as the
//! last component for a file bind mount), never following a symlink.

use std::fs::{DirBuilder, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Component, Path, PathBuf};

use crate::child::StepError;
use crate::steps::Step;

fn refuse(destination: &Path, why: &str) -> StepError {
    StepError::new(
        Step::Mounts,
        format!("mount destination {}: {why}", destination.display()),
    )
}

/// `destination` inside `staging`, refused if it could lead out of it.
pub fn contained_target(staging: &Path, destination: &Path) -> Result<PathBuf, StepError> {
    if !destination.is_absolute() {
        return Err(refuse(destination, "not an absolute path"));
    }
    let mut target = staging.to_path_buf();
    for component in destination.components() {
        match component {
            Component::RootDir | Component::CurDir => continue,
            Component::Normal(name) => target.push(name),
            _ => return Err(refuse(destination, "contains `..`")),
        }
        if target
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
        {
            return Err(refuse(
                destination,
                "goes through a symlink in the root file system",
            ));
        }
    }
    Ok(target)
}

/// The contained target of `destination`, created when missing: missing
/// directories on the way are made (0755), and the last component is an
/// empty file (0644) when `file`, else a directory. mkdir and O_EXCL never
/// follow a symlink that appears at the last component.
pub fn create(staging: &Path, destination: &Path, file: bool) -> Result<PathBuf, StepError> {
    let target = contained_target(staging, destination)?;
    if target.symlink_metadata().is_ok() {
        return Ok(target);
    }
    let names: Vec<_> = destination
        .components()
        .filter_map(|c| match c {
            Component::Normal(name) => Some(name),
            _ => None,
        })
        .collect();
    let mut path = staging.to_path_buf();
    for (i, name) in names.iter().enumerate() {
        path.push(name);
        match path.symlink_metadata() {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(refuse(
                    destination,
                    "goes through a symlink in the root file system",
                ))
            }
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(creating(destination, &path, e)),
        }
        let made = if file && i + 1 == names.len() {
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o644)
                .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
                .open(&path)
                .map(drop)
        } else {
            DirBuilder::new().mode(0o755).create(&path)
        };
        made.map_err(|e| creating(destination, &path, e))?;
    }
    Ok(target)
}

fn creating(destination: &Path, path: &Path, e: std::io::Error) -> StepError {
    StepError::new(
        Step::Mounts,
        format!(
            "creating mount point {} ({}): {e}",
            destination.display(),
            path.display()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_dirs_and_files_are_created_inside() {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = create(root.path(), Path::new("/a/b/c"), false).expect("dir");
        assert!(dir.is_dir() && dir.starts_with(root.path()));
        let file = create(root.path(), Path::new("/a/f/file"), true).expect("file");
        assert!(file.is_file());
        assert!(root.path().join("a/f").is_dir());
        // Existing targets are returned as they are.
        assert_eq!(
            create(root.path(), Path::new("/a/b/c"), false).expect("again"),
            dir
        );
    }

    #[test]
    fn symlinks_and_dotdot_are_refused() {
        let root = tempfile::tempdir().expect("tempdir");
        let outside = tempfile::tempdir().expect("outside");
        std::os::unix::fs::symlink(outside.path(), root.path().join("link")).expect("symlink");
        let err = create(root.path(), Path::new("/link/x"), false).expect_err("symlink");
        assert!(err.message.contains("symlink"), "{}", err.message);
        assert!(!outside.path().join("x").exists());
        let err = create(root.path(), Path::new("/a/../../x"), false).expect_err("dotdot");
        assert!(err.message.contains(".."), "{}", err.message);
        assert!(contained_target(root.path(), Path::new("rel")).is_err());
    }
}
