//! Files that stand for ownership, shared by the container store, the
//! placement ledger and the networks: a lock file held with an exclusive
//! flock while a state is read and changed, and a claim file created with
//! O_EXCL holding its owner's id (atomic across processes: exactly one
//! creator wins, and the file outlives a crashed owner for `gc` to find).

use std::fs::File;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::Path;

use nix::fcntl::{Flock, FlockArg};

use crate::RuntimeError;

/// Opens (creating when missing) and locks `path`, waiting for other holders.
pub fn lock_exclusive(path: &Path) -> Result<Flock<File>, RuntimeError> {
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(RuntimeError::io("opening the lock file", path))?;
    Flock::lock(file, FlockArg::LockExclusive)
        .map_err(|(_, errno)| RuntimeError::io("locking", path)(errno.into()))
}

/// Creates `path` holding `owner`; `Ok(false)` when someone has it already.
/// The owner is written to a file without a name first (O_TMPFILE, or a
/// dot-named temp file where the file system has no O_TMPFILE), which is
/// then linked into place (link fails if the name exists): nobody ever
/// sees the claim without its owner, even if we die halfway.
pub fn claim(path: &Path, owner: &str) -> std::io::Result<bool> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let linked = match unnamed_file(dir) {
        Ok(mut file) => {
            file.write_all(owner.as_bytes())?;
            link_unnamed(&file, path)
        }
        Err(_) => {
            let (temp, mut file) = named_temp_file(dir)?;
            let written = file.write_all(owner.as_bytes());
            let linked = written.and_then(|()| std::fs::hard_link(&temp, path));
            let _ = std::fs::remove_file(&temp);
            linked
        }
    };
    match linked {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

/// linkat(AT_FDCWD, "/proc/self/fd/N", AT_FDCWD, path, AT_SYMLINK_FOLLOW):
/// gives the O_TMPFILE file its name.
fn link_unnamed(file: &File, path: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let from = std::ffi::CString::new(format!("/proc/self/fd/{}", file.as_raw_fd()))?;
    let to = std::ffi::CString::new(path.as_os_str().as_bytes())?;
    // SAFETY: both are NUL-terminated paths that outlive the call.
    let rc = unsafe {
        libc::linkat(
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            libc::AT_SYMLINK_FOLLOW,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

fn unnamed_file(dir: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    File::options()
        .write(true)
        .custom_flags(libc::O_TMPFILE)
        .mode(0o644)
        .open(dir)
}

/// A new file `.claim-<pid>-<n>` in `dir` (dot-named: never a valid name,
/// lease or id, so readers of the dir skip it).
fn named_temp_file(dir: &Path) -> std::io::Result<(std::path::PathBuf, File)> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    loop {
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = dir.join(format!(".claim-{}-{n}", std::process::id()));
        match File::options().write(true).create_new(true).open(&path) {
            Ok(file) => return Ok((path, file)),
            // Left by a dead process that had our pid: try the next number.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_claim_wins_and_names_its_owner() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("thing");
        assert!(claim(&path, "a").expect("first"));
        assert!(!claim(&path, "b").expect("second"));
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "a");
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .expect("dir")
            .flatten()
            .collect();
        assert_eq!(left.len(), 1, "no temp file stays: {left:?}");
    }
}
