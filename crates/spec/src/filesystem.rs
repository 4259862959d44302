//! Validation of the keys that shape the container's files: `rootfs` or
//! `image` (the root), `readonly` and `keep` (which need one of them),
//! `volumes` (host bind mounts) and `tmpfs`. A `rootfs` directory and each
//! volume's source must exist on this host when the file is validated: the
//! only system calls besides reading the file are these `stat`s.

use crate::error::SpecError;
use crate::raw::RawScalar;
use crate::scalars::memory_size;
use crate::validate::Check;
use crate::values::check_no_nul;
use crate::workload::{Root, Tmpfs, Volume};
use serde_saphyr::{Location, Spanned};
use std::path::{Component, Path, PathBuf};

/// The raw keys, as read.
pub(crate) struct FsKeys {
    pub rootfs: Option<Spanned<String>>,
    pub image: Option<Spanned<String>>,
    pub readonly: Option<Spanned<bool>>,
    pub keep: Option<Spanned<bool>>,
    pub volumes: Option<Spanned<Vec<Spanned<String>>>>,
    pub tmpfs: Option<Spanned<Vec<Spanned<String>>>>,
}

/// The validated values.
pub(crate) struct Fs {
    pub image: Option<String>,
    pub root: Root,
    pub readonly: bool,
    pub keep: bool,
    pub volumes: Vec<Volume>,
    pub tmpfs: Vec<Tmpfs>,
}

impl Check<'_> {
    pub(crate) fn filesystem(&self, keys: FsKeys) -> Result<Fs, SpecError> {
        let (image, root) = match (keys.rootfs, keys.image) {
            (Some(rootfs), Some(image)) => {
                let (key, at) = if image.referenced.line() >= rootfs.referenced.line() {
                    ("image", image.referenced)
                } else {
                    ("rootfs", rootfs.referenced)
                };
                return Err(self.err(&at, key, "give either `rootfs` or `image`, not both"));
            }
            (Some(rootfs), None) => {
                let at = rootfs.referenced;
                let dir = rootfs_dir(&rootfs.value).map_err(|m| self.err(&at, "rootfs", m))?;
                (None, Root::Dir(dir))
            }
            (None, Some(image)) => {
                let at = image.referenced;
                check_image_name(&image.value).map_err(|m| self.err(&at, "image", m))?;
                (Some(image.value), Root::Host)
            }
            (None, None) => (None, Root::Host),
        };
        let has_root = image.is_some() || root != Root::Host;
        Ok(Fs {
            readonly: self.root_flag("readonly", keys.readonly, has_root)?,
            keep: self.root_flag("keep", keys.keep, has_root)?,
            image,
            root,
            volumes: self.entries("volumes", keys.volumes, volume)?,
            tmpfs: self.entries("tmpfs", keys.tmpfs, tmpfs)?,
        })
    }

    /// `readonly: true` / `keep: true` mean something only with a rootfs or image.
    fn root_flag(
        &self,
        key: &str,
        value: Option<Spanned<bool>>,
        has_root: bool,
    ) -> Result<bool, SpecError> {
        match value {
            Some(v) if v.value && !has_root => Err(self.err(
                &v.referenced,
                key,
                "needs `rootfs` or `image` (without them the root is the host's, always read-only)",
            )),
            Some(v) => Ok(v.value),
            None => Ok(false),
        }
    }

    /// Each entry of a list of strings, parsed by `f`; errors point at the entry.
    fn entries<T>(
        &self,
        key: &str,
        list: Option<Spanned<Vec<Spanned<String>>>>,
        f: fn(&str) -> Result<T, String>,
    ) -> Result<Vec<T>, SpecError> {
        let Some(list) = list else {
            return Ok(Vec::new());
        };
        list.value
            .into_iter()
            .map(|entry| {
                let at: Location = entry.referenced;
                f(&entry.value).map_err(|m| self.err(&at, key, format!("`{}`: {m}", entry.value)))
            })
            .collect()
    }
}

fn rootfs_dir(text: &str) -> Result<PathBuf, String> {
    check_no_nul(text)?;
    if !text.starts_with('/') {
        return Err(format!("must be an absolute path, got `{text}`"));
    }
    if text.contains([':', ',']) {
        return Err(format!(
            "`{text}`: an overlay layer path cannot contain ':' or ','"
        ));
    }
    match std::fs::metadata(text) {
        Ok(meta) if meta.is_dir() => Ok(PathBuf::from(text)),
        Ok(_) => Err(format!("`{text}` is not a directory")),
        Err(e) => Err(format!("`{text}`: {e}")),
    }
}

/// `[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9._-]+)?`
fn check_image_name(name: &str) -> Result<(), String> {
    let (repo, tag) = match name.split_once(':') {
        Some((repo, tag)) => (repo, Some(tag)),
        None => (name, None),
    };
    let repo_ok = repo
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && repo
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._/-".contains(c));
    let tag_ok = tag.is_none_or(|t| {
        !t.is_empty()
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    });
    if repo_ok && tag_ok {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not an image name: lowercase letters, digits, '.', '_', '/', '-' (starting with a letter or digit), optionally `:TAG`"
        ))
    }
}

/// An absolute path in the container, not `/`, without `..`.
fn container_path(text: &str) -> Result<PathBuf, String> {
    check_no_nul(text)?;
    let path = Path::new(text);
    if !path.is_absolute() {
        return Err(format!("the container path `{text}` must be absolute"));
    }
    if path.components().any(|c| c == Component::ParentDir) {
        return Err(format!("the container path `{text}` must not contain `..`"));
    }
    if !path.components().any(|c| matches!(c, Component::Normal(_))) {
        return Err("cannot mount over the container's root `/`".to_string());
    }
    Ok(path.to_path_buf())
}

/// `/host/path:/in/container[:ro|rw]`
fn volume(entry: &str) -> Result<Volume, String> {
    let parts: Vec<&str> = entry.split(':').collect();
    let (source, target, readonly) = match parts[..] {
        [source, target] => (source, target, false),
        [source, target, "ro"] => (source, target, true),
        [source, target, "rw"] => (source, target, false),
        [_, _, option] => {
            return Err(format!("unknown option `{option}`; use `ro` or `rw`"));
        }
        _ => return Err("expected /host/path:/in/container[:ro|rw]".to_string()),
    };
    check_no_nul(source)?;
    if !source.starts_with('/') {
        return Err(format!("the host path `{source}` must be absolute"));
    }
    std::fs::metadata(source).map_err(|e| format!("the host path `{source}`: {e}"))?;
    Ok(Volume {
        source: PathBuf::from(source),
        target: container_path(target)?,
        readonly,
    })
}

/// `/in/container[:SIZE]`
fn tmpfs(entry: &str) -> Result<Tmpfs, String> {
    let (target, size) = match entry.split_once(':') {
        Some((target, size)) => {
            let bytes = memory_size(&RawScalar::Text(size.to_string()), "tmpfs")?;
            if bytes == 0 {
                return Err("the size must be greater than 0".to_string());
            }
            (target, Some(bytes))
        }
        None => (entry, None),
    };
    Ok(Tmpfs {
        target: container_path(target)?,
        size,
    })
}

#[cfg(test)]
mod tests;
