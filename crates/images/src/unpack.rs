//! Safe, streaming tar unpacking. Every entry name is normalised (absolute
//! names and `..` are refused), every existing ancestor is checked with
//! `symlink_metadata` (a symlink anywhere on the way is refused, never
//! followed), hardlink targets get the same checks, device nodes are
//! refused, and the unpacked size is charged against a [`Budget`]. In
//! [`Mode::Layer`] docker whiteouts become overlayfs whiteouts and owners
//! are preserved; [`Mode::Outer`] is for extracting an archive that is then
//! read as a directory.

use crate::digest::{finish, TarStream};
use crate::fsutil::{make_whiteout, normalize, remove_existing, safe_join, set_mtime, set_opaque};
use crate::ImageError;
use std::fs::{self, OpenOptions, Permissions};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use tar::EntryType;

/// What the unpacked tree is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// An image layer: whiteouts converted, owners preserved.
    Layer,
    /// An outer archive (docker-archive, OCI layout tar): no conversion.
    Outer,
}

/// Bytes an import may still unpack: each entry costs its size plus one
/// 512-byte block, so archives of countless empty entries are bounded too.
#[derive(Debug)]
pub(crate) struct Budget {
    pub(crate) used: u64,
    pub(crate) limit: u64,
}

/// The result of unpacking one tar stream.
#[derive(Debug)]
pub(crate) struct Unpacked {
    /// `sha256:<hex>` of the uncompressed tar stream.
    pub(crate) diff_id: String,
    /// Bytes of regular file data written.
    pub(crate) size: u64,
    /// Number of entries read.
    pub(crate) entries: u64,
}

/// Unpacks `stream` (read from `archive`) into the existing dir `dest`.
pub(crate) fn unpack(
    stream: TarStream<'_>,
    archive: &Path,
    dest: &Path,
    mode: Mode,
    budget: &mut Budget,
) -> Result<Unpacked, ImageError> {
    let corrupt = |e: io::Error| ImageError::Corrupt {
        archive: archive.to_path_buf(),
        reason: e.to_string(),
    };
    let mut ar = tar::Archive::new(stream);
    let mut dirs: Vec<(PathBuf, u64)> = Vec::new();
    let mut out = Unpacked {
        diff_id: String::new(),
        size: 0,
        entries: 0,
    };
    for entry in ar.entries().map_err(corrupt)? {
        let mut entry = entry.map_err(corrupt)?;
        let raw = entry.path().map_err(corrupt)?.into_owned();
        let name = raw.display().to_string();
        let refuse = |reason: String| ImageError::entry(archive, name.clone(), reason);
        let rel = normalize(&raw).map_err(|r| refuse(r.to_string()))?;
        let size = entry.size();
        budget.used = budget.used.saturating_add(size).saturating_add(512);
        if budget.used > budget.limit {
            return Err(ImageError::TooLarge {
                archive: archive.to_path_buf(),
                limit: budget.limit,
            });
        }
        out.entries += 1;
        let kind = entry.header().entry_type();
        if matches!(kind, EntryType::XGlobalHeader | EntryType::XHeader) {
            continue;
        }
        if mode == Mode::Layer && whiteout(dest, &rel).map_err(refuse)? {
            continue;
        }
        if rel.as_os_str().is_empty() {
            if kind.is_dir() {
                continue;
            }
            return Err(refuse(
                "a non-directory entry names the archive root".into(),
            ));
        }
        let target = safe_join(dest, &rel, true).map_err(refuse)?;
        let header = entry.header();
        let perm = header.mode().map_err(corrupt)? & 0o7777;
        let owner = match mode {
            Mode::Layer => Some((
                header.uid().map_err(corrupt)?,
                header.gid().map_err(corrupt)?,
            )),
            Mode::Outer => None,
        };
        let mtime = header.mtime().unwrap_or(0);
        let io_err = |op: &str, e: io::Error| refuse(format!("{op}: {e}"));
        match kind {
            EntryType::Directory => {
                if !target.symlink_metadata().is_ok_and(|m| m.is_dir()) {
                    remove_existing(&target).map_err(|e| io_err("replacing", e))?;
                    fs::create_dir(&target).map_err(|e| io_err("mkdir", e))?;
                }
                chown(&target, owner).map_err(|e| io_err("chown", e))?;
                fs::set_permissions(&target, Permissions::from_mode(perm))
                    .map_err(|e| io_err("chmod", e))?;
                dirs.push((target, mtime));
                continue;
            }
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                remove_existing(&target).map_err(|e| io_err("replacing", e))?;
                let mut file = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .custom_flags(libc::O_NOFOLLOW)
                    .open(&target)
                    .map_err(|e| io_err("create", e))?;
                let copied = io::copy(&mut entry, &mut file).map_err(corrupt)?;
                if copied != size {
                    return Err(refuse(format!("truncated: {copied} of {size} bytes")));
                }
                if let Some((uid, gid)) = owner {
                    std::os::unix::fs::fchown(&file, id(uid), id(gid))
                        .map_err(|e| io_err("chown", e))?;
                }
                file.set_permissions(Permissions::from_mode(perm))
                    .map_err(|e| io_err("chmod", e))?;
                out.size += size;
            }
            EntryType::Symlink => {
                let link = entry.link_name().map_err(corrupt)?;
                let link = link.ok_or_else(|| refuse("symlink without a target".into()))?;
                remove_existing(&target).map_err(|e| io_err("replacing", e))?;
                std::os::unix::fs::symlink(&link, &target).map_err(|e| io_err("symlink", e))?;
                chown(&target, owner).map_err(|e| io_err("chown", e))?;
            }
            EntryType::Link => {
                let link = entry.link_name().map_err(corrupt)?;
                let link = link.ok_or_else(|| refuse("hardlink without a target".into()))?;
                let shown = link.display().to_string();
                let link_rel = normalize(&link)
                    .map_err(|r| refuse(format!("hardlink target {shown}: {r}")))?;
                let source = safe_join(dest, &link_rel, false)
                    .map_err(|r| refuse(format!("hardlink target {shown}: {r}")))?;
                match source.symlink_metadata() {
                    Ok(m) if !m.is_dir() => {}
                    Ok(_) => return Err(refuse(format!("hardlink target {shown} is a directory"))),
                    Err(e) => return Err(refuse(format!("hardlink target {shown}: {e}"))),
                }
                if source != target {
                    remove_existing(&target).map_err(|e| io_err("replacing", e))?;
                    fs::hard_link(&source, &target).map_err(|e| io_err("link", e))?;
                }
                continue;
            }
            EntryType::Fifo => {
                remove_existing(&target).map_err(|e| io_err("replacing", e))?;
                let m = nix::sys::stat::Mode::from_bits_truncate(perm);
                nix::unistd::mkfifo(&target, m).map_err(|e| io_err("mkfifo", e.into()))?;
                chown(&target, owner).map_err(|e| io_err("chown", e))?;
            }
            EntryType::Char | EntryType::Block => {
                return Err(refuse("device nodes are not allowed".into()));
            }
            other => return Err(refuse(format!("unsupported entry type {other:?}"))),
        }
        let _ = set_mtime(&target, mtime);
    }
    let mut stream = ar.into_inner();
    stream.drain(archive)?;
    for (dir, mtime) in dirs.iter().rev() {
        let _ = set_mtime(dir, *mtime);
    }
    out.diff_id = finish(stream.hasher);
    Ok(out)
}

fn id(raw: u64) -> Option<u32> {
    Some(u32::try_from(raw).unwrap_or(u32::MAX - 1))
}

fn chown(path: &Path, owner: Option<(u64, u64)>) -> io::Result<()> {
    match owner {
        Some((uid, gid)) => std::os::unix::fs::lchown(path, id(uid), id(gid)),
        None => Ok(()),
    }
}

/// Handles `rel` if it is a whiteout (`.wh.NAME` → char device 0:0 at
/// NAME; `.wh..wh..opq` → parent dir opaque; other `.wh..wh.*` aufs
/// metadata ignored). Returns whether it was one.
fn whiteout(dest: &Path, rel: &Path) -> Result<bool, String> {
    let Some(file) = rel.file_name() else {
        return Ok(false);
    };
    let Some(hidden) = file.as_bytes().strip_prefix(b".wh.") else {
        return Ok(false);
    };
    let path = safe_join(dest, rel, true)?;
    let parent = path.parent().unwrap_or(dest);
    if hidden == b".wh..opq" {
        set_opaque(parent).map_err(|e| format!("setting trusted.overlay.opaque: {e}"))?;
    } else if !hidden.starts_with(b".wh.") {
        if hidden.is_empty() || hidden == b"." || hidden == b".." {
            return Err("whiteout of an invalid name".into());
        }
        let victim = parent.join(std::ffi::OsStr::from_bytes(hidden));
        remove_existing(&victim).map_err(|e| format!("replacing: {e}"))?;
        make_whiteout(&victim).map_err(|e| format!("mknod whiteout: {e}"))?;
    }
    Ok(true)
}
