//! Filesystem helpers that never follow symlinks: normalising archive entry
//! names, creating an entry's parent dirs below an unpack root while
//! refusing any ancestor that is a symlink or not a directory, resolving a
//! manifest-named file inside an extracted archive without escaping it, and
//! the overlayfs whiteout primitives (char device 0:0, opaque xattr).

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

/// Normalises an archive entry name into a relative path: `.` parts and
/// leading `./` vanish; absolute names and `..` are refused (the reason is
/// returned). The empty path means the root itself.
pub(crate) fn normalize(name: &Path) -> Result<PathBuf, &'static str> {
    let mut out = PathBuf::new();
    for part in name.components() {
        match part {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            Component::ParentDir => return Err("path contains '..'"),
            Component::RootDir | Component::Prefix(_) => return Err("path is absolute"),
        }
    }
    Ok(out)
}

/// Checks every ancestor of `rel` below `root` is a real directory (not a
/// symlink), creating missing ones (mode 0755) when `create` is set.
/// Returns `root/rel`.
pub(crate) fn safe_join(root: &Path, rel: &Path, create: bool) -> Result<PathBuf, String> {
    let mut cur = root.to_path_buf();
    let parts: Vec<_> = rel.components().collect();
    let Some((_, parents)) = parts.split_last() else {
        return Ok(cur);
    };
    for part in parents {
        cur.push(part);
        match cur.symlink_metadata() {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(format!("{} is a symlink", strip(root, &cur)))
            }
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(format!("{} is not a directory", strip(root, &cur))),
            Err(e) if e.kind() == io::ErrorKind::NotFound && create => {
                std::fs::create_dir(&cur)
                    .map_err(|e| format!("creating {}: {e}", strip(root, &cur)))?;
            }
            Err(e) => return Err(format!("{}: {e}", strip(root, &cur))),
        }
    }
    Ok(root.join(rel))
}

fn strip(root: &Path, p: &Path) -> String {
    p.strip_prefix(root).unwrap_or(p).display().to_string()
}

/// Resolves `name` (a path named by a manifest) inside `root`, following
/// symlinks only while they stay inside `root`; refuses absolute names,
/// escapes and loops. The result is a regular file.
pub(crate) fn resolve_in(root: &Path, name: &str) -> Result<PathBuf, String> {
    let mut rel = normalize(Path::new(name)).map_err(str::to_string)?;
    for _ in 0..40 {
        let path = safe_join(root, &rel, false)?;
        let meta = path
            .symlink_metadata()
            .map_err(|e| format!("{name}: {e}"))?;
        if meta.is_file() {
            return Ok(path);
        }
        if !meta.file_type().is_symlink() {
            return Err(format!("{name} is not a regular file"));
        }
        let target = std::fs::read_link(&path).map_err(|e| format!("{name}: {e}"))?;
        if target.is_absolute() {
            return Err(format!("{name} is a symlink to an absolute path"));
        }
        let mut next = rel.parent().map(Path::to_path_buf).unwrap_or_default();
        for part in target.components() {
            let inside = match part {
                Component::Normal(p) => {
                    next.push(p);
                    true
                }
                Component::ParentDir => next.pop(),
                _ => true,
            };
            if !inside {
                return Err(format!("{name} points outside the archive"));
            }
        }
        rel = next;
    }
    Err(format!("{name}: too many levels of symlinks"))
}

/// Removes whatever is at `path` (a file, link or whole tree), if anything.
pub(crate) fn remove_existing(path: &Path) -> io::Result<()> {
    match path.symlink_metadata() {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

fn cpath(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| io::ErrorKind::InvalidInput.into())
}

/// Creates an overlayfs whiteout: a character device 0:0 at `path`.
pub(crate) fn make_whiteout(path: &Path) -> io::Result<()> {
    use nix::sys::stat::{mknod, Mode, SFlag};
    mknod(path, SFlag::S_IFCHR, Mode::empty(), 0).map_err(io::Error::from)
}

/// Marks the directory `path` opaque for overlayfs.
pub(crate) fn set_opaque(path: &Path) -> io::Result<()> {
    let c = cpath(path)?;
    let key = c"trusted.overlay.opaque";
    // SAFETY: both strings are NUL-terminated and live across the call; the
    // value pointer and length describe a valid 1-byte buffer.
    let rc = unsafe { libc::lsetxattr(c.as_ptr(), key.as_ptr(), b"y".as_ptr().cast(), 1, 0) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Sets the modification (and access) time of `path` without following a
/// final symlink. Errors are ignored by callers: mtimes are best effort.
pub(crate) fn set_mtime(path: &Path, secs: u64) -> io::Result<()> {
    use nix::sys::stat::{utimensat, UtimensatFlags};
    use nix::sys::time::TimeSpec;
    let t = TimeSpec::new(i64::try_from(secs).unwrap_or(0), 0);
    utimensat(
        nix::fcntl::AT_FDCWD,
        path,
        &t,
        &t,
        UtimensatFlags::NoFollowSymlink,
    )
    .map_err(io::Error::from)
}
