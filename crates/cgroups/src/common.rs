//! What both back ends share: checking the parent and id names, creating
//! `<root>/<parent>/<id>` safely while other containerctl processes create
//! and remove siblings (the parent may vanish between "ensure parent" and
//! "mkdir child": then the parent is made again, a bounded number of
//! times), removing it with a short retry while the kernel still says
//! EBUSY, killing a cgroup's processes until none are left, and bounded
//! waits.

use std::io;
use std::path::{Path, PathBuf};
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::{fsutil, CgroupError};

/// How often the child mkdir is tried when its parent keeps vanishing.
pub(crate) const CREATE_ATTEMPTS: usize = 5;

/// Which hierarchy roots `remove()` cleans up. A manager that never ran
/// `create()` (say `delete` in another process) removes the container's
/// directory under every root it uses; one that did removes only what its
/// `create()` made and a previous `remove()` left: nothing after a failed
/// create (that rolled itself back, and an existing directory with this
/// id belongs to someone else).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Owned {
    #[default]
    NotCreatedHere,
    Roots(Vec<PathBuf>),
}

impl Owned {
    /// The roots to clean, given all the roots the manager uses.
    pub(crate) fn targets(&self, all: Vec<PathBuf>) -> Vec<PathBuf> {
        match self {
            Owned::NotCreatedHere => all,
            Owned::Roots(roots) => roots.clone(),
        }
    }

    /// Whether `create()` ran here and nothing it made is left.
    pub(crate) fn made_nothing(&self) -> bool {
        matches!(self, Owned::Roots(roots) if roots.is_empty())
    }
}

/// Bounds on the waits a manager does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timing {
    /// Until the kernel reports the cgroup frozen.
    pub freeze: Duration,
    /// Until every process is gone after SIGKILL.
    pub kill: Duration,
    /// Retrying rmdir while the kernel answers EBUSY.
    pub busy: Duration,
    /// Sleep between polls.
    pub poll: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            freeze: Duration::from_secs(5),
            kill: Duration::from_secs(5),
            busy: Duration::from_secs(1),
            poll: Duration::from_millis(10),
        }
    }
}

/// Check that a parent name or id is one plain directory name.
pub(crate) fn check_name(what: &'static str, value: &str) -> Result<(), CgroupError> {
    let reason = if value.is_empty() {
        Some("must not be empty")
    } else if value == "." || value == ".." {
        Some("must not be \".\" or \"..\"")
    } else if value.contains('/') || value.contains('\0') {
        Some("must be a single directory name (no '/' or NUL)")
    } else if value.len() > 255 {
        Some("must be at most 255 bytes")
    } else {
        None
    };
    match reason {
        None => Ok(()),
        Some(reason) => Err(CgroupError::InvalidName {
            what,
            value: value.to_string(),
            reason,
        }),
    }
}

/// Create `root/parent` if missing and then `root/parent/id`.
/// `prepare_parent` runs each time the parent has been ensured (enable
/// controllers, fill cpuset). If the parent vanishes before the child is
/// made (another process removed it while empty), start over, at most
/// [`CREATE_ATTEMPTS`] times. An existing child is an error.
pub(crate) fn create_leaf(
    root: &Path,
    parent: &str,
    id: &str,
    mut prepare_parent: impl FnMut(&Path) -> Result<(), CgroupError>,
) -> Result<PathBuf, CgroupError> {
    let parent_dir = root.join(parent);
    let child = parent_dir.join(id);
    for attempt in 1..=CREATE_ATTEMPTS {
        let last = attempt == CREATE_ATTEMPTS;
        match fsutil::mkdir(&parent_dir) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(CgroupError::io("creating directory", &parent_dir, e)),
        }
        if let Err(e) = prepare_parent(&parent_dir) {
            // Gone, or gone and made again while a file in it was read.
            let vanished = !fsutil::exists(&parent_dir) || e.raw_os_error() == Some(libc::ENOENT);
            if !last && vanished {
                tracing::debug!(path = %parent_dir.display(), attempt, "parent vanished while preparing it; retrying");
                continue;
            }
            return Err(e);
        }
        match fsutil::mkdir(&child) {
            Ok(()) => return Ok(child),
            Err(e) if e.kind() == io::ErrorKind::NotFound && !last => {
                tracing::debug!(path = %parent_dir.display(), attempt, "parent vanished before the child was made; retrying");
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return Err(CgroupError::AlreadyExists { path: child })
            }
            Err(e) => {
                let step = match e.kind() {
                    io::ErrorKind::NotFound => {
                        format!("creating directory (its parent vanished {CREATE_ATTEMPTS} times)")
                    }
                    _ => "creating directory".to_string(),
                };
                return Err(CgroupError::io(step, &child, e));
            }
        }
    }
    // Every path through the loop's last attempt returns.
    Err(CgroupError::io(
        "creating directory",
        &child,
        io::Error::from_raw_os_error(libc::ENOENT),
    ))
}

/// Remove `root/parent/id` (gone already is fine), retrying while the
/// kernel answers EBUSY until `busy` is spent (at least one try), then
/// `root/parent` if that left it empty.
pub(crate) fn remove_leaf(
    root: &Path,
    parent: &str,
    id: &str,
    busy: Duration,
) -> Result<(), CgroupError> {
    let parent_dir = root.join(parent);
    let child = parent_dir.join(id);
    let start = Instant::now();
    match retry_busy(|| fsutil::rmdir(&child), busy) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {
            let waited = start.elapsed().as_millis();
            let step = format!("removing directory (still busy after {waited} ms)");
            return Err(CgroupError::io(step, &child, e));
        }
        Err(e) => return Err(CgroupError::io("removing directory", &child, e)),
    }
    match fsutil::rmdir(&parent_dir) {
        Ok(()) => Ok(()),
        Err(e) if is_in_use_or_gone(&e) => Ok(()),
        Err(e) => Err(CgroupError::io("removing directory", &parent_dir, e)),
    }
}

/// Remove the leaf under each of `roots` (one EBUSY budget for them all,
/// not one each), going on past failures. Returns the roots whose leaf is
/// still there and the first error.
pub(crate) fn remove_leaves(
    roots: &[PathBuf],
    parent: &str,
    id: &str,
    busy: Duration,
) -> (Vec<PathBuf>, Option<CgroupError>) {
    let deadline = Instant::now() + busy;
    let mut left = Vec::new();
    let mut first_error = None;
    for root in roots {
        let budget = deadline.saturating_duration_since(Instant::now());
        if let Err(e) = remove_leaf(root, parent, id, budget) {
            tracing::warn!(step = "cgroup", error = %e, "could not remove a cgroup");
            left.push(root.clone());
            first_error.get_or_insert(e);
        }
    }
    (left, first_error)
}

/// ENOTEMPTY, EBUSY (siblings or tasks left) or ENOENT (already removed).
fn is_in_use_or_gone(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::NotFound
        || matches!(e.raw_os_error(), Some(libc::ENOTEMPTY) | Some(libc::EBUSY))
}

/// Run `op` until it stops failing with EBUSY or `budget` is spent,
/// sleeping 5 ms, then doubling up to 100 ms, between tries.
pub(crate) fn retry_busy(
    mut op: impl FnMut() -> io::Result<()>,
    budget: Duration,
) -> io::Result<()> {
    let deadline = Instant::now() + budget;
    let mut pause = Duration::from_millis(5);
    loop {
        match op() {
            Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {
                let now = Instant::now();
                if now >= deadline {
                    return Err(e);
                }
                sleep(pause.min(deadline - now));
                pause = (pause * 2).min(Duration::from_millis(100));
            }
            other => return other,
        }
    }
}

/// Poll `done` until it says true, or fail with a timeout naming `what`.
pub(crate) fn wait_until(
    what: &str,
    path: &Path,
    limit: Duration,
    poll: Duration,
    mut done: impl FnMut() -> Result<bool, CgroupError>,
) -> Result<(), CgroupError> {
    let start = Instant::now();
    loop {
        if done()? {
            return Ok(());
        }
        if start.elapsed() >= limit {
            return Err(CgroupError::Timeout {
                what: what.to_string(),
                path: path.to_path_buf(),
                waited: start.elapsed(),
            });
        }
        sleep(poll);
    }
}

/// SIGKILL every pid `list` returns, again and again, until it returns
/// none or `timing.kill` is spent.
pub(crate) fn kill_until_empty(
    procs: &Path,
    timing: &Timing,
    mut list: impl FnMut() -> Result<Vec<i32>, CgroupError>,
) -> Result<(), CgroupError> {
    wait_until(
        "every process to exit after SIGKILL",
        procs,
        timing.kill,
        timing.poll,
        || {
            let pids = list()?;
            kill_pids(procs, &pids)?;
            Ok(pids.is_empty())
        },
    )
}

/// SIGKILL each pid (read from `procs`); one that is already gone is fine.
pub(crate) fn kill_pids(procs: &Path, pids: &[i32]) -> Result<(), CgroupError> {
    for &pid in pids {
        match fsutil::kill_pid(pid) {
            Ok(()) | Err(nix::errno::Errno::ESRCH) => {}
            Err(errno) => {
                return Err(CgroupError::Signal {
                    pid,
                    path: procs.to_path_buf(),
                    errno,
                })
            }
        }
    }
    Ok(())
}
