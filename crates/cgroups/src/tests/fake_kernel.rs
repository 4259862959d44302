//! A fake kernel for unit tests: plain directories in a temp dir stand in
//! for cgroupfs, and this module does what the kernel would do on mkdir
//! (create the control files, with the defaults a new cgroup has), rmdir
//! (EBUSY with child cgroups or tasks, else drop the files), kill and the
//! writes whose meaning is more than "store the text" (subtree_control,
//! cgroup.freeze, cgroup.kill, cgroup.procs, freezer.state, the v1 memsw
//! ordering rule). `fsutil` asks it first, per thread, only under `cargo
//! test`; paths outside its roots go to the real file system. The files
//! of a new cgroup are in `fake_files`, the writes in `fake_writes`. A global
//! lock stands in for the kernel's cgroup mutex, so threads racing on one
//! tree see mkdir/rmdir as atomic, as they are in the kernel.

use std::cell::RefCell;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::fake_files;

/// v2 controllers in the kernel's order.
pub(super) const KERNEL_ORDER: [&str; 8] = [
    "cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc",
];
pub(super) const V1_UNLIMITED: &str = "9223372036854771712";

static KERNEL: Mutex<()> = Mutex::new(());

thread_local! {
    static FAKE: RefCell<Option<Fake>> = const { RefCell::new(None) };
}

/// What the fake does, and what it saw.
#[derive(Debug, Clone, Default)]
pub(crate) struct Fake {
    /// Hierarchy roots the fake governs.
    pub roots: Vec<PathBuf>,
    /// Right before this many child mkdirs, the parent is removed (as a
    /// racing process would, finding it empty).
    pub parent_races: usize,
    /// rmdir of a cgroup with tasks answers EBUSY; after this many EBUSY
    /// answers the tasks have exited. `None`: they never exit.
    pub exit_after_busy: Option<usize>,
    /// Freezing never completes.
    pub freeze_sticks: bool,
    /// Pids SIGKILL cannot remove.
    pub unkillable: Vec<i32>,
    /// No swap accounting: no memory.swap.max / memory.memsw.* files.
    pub no_swap: bool,
    /// An older v2 kernel: no cgroup.kill, no memory.peak.
    pub old_v2: bool,
    /// "mkdir P", "rmdir P", "write P V", "kill PID", "race P".
    pub log: Vec<String>,
}

/// Uninstalls the fake when dropped.
pub(crate) struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        FAKE.with(|f| f.borrow_mut().take());
    }
}

pub(crate) fn install(fake: Fake) -> Installed {
    FAKE.with(|f| *f.borrow_mut() = Some(fake));
    Installed
}

/// The operations seen so far on this thread.
pub(crate) fn log() -> Vec<String> {
    FAKE.with(|f| {
        f.borrow()
            .as_ref()
            .map(|f| f.log.clone())
            .unwrap_or_default()
    })
}

/// Run `op` with this thread's fake if `path` is under one of its roots.
pub(super) fn with_fake<T>(path: &Path, op: impl FnOnce(&mut Fake) -> T) -> Option<T> {
    FAKE.with(|f| {
        let mut f = f.borrow_mut();
        let fake = f.as_mut()?;
        if !fake.roots.iter().any(|r| path.starts_with(r)) {
            return None;
        }
        let _kernel = KERNEL.lock().unwrap_or_else(|p| p.into_inner());
        Some(op(fake))
    })
}

pub(super) fn errno(code: i32) -> io::Error {
    io::Error::from_raw_os_error(code)
}

/// Prefix of the temp files behind [`put`].
pub(super) const TEMP_PREFIX: &str = ".fake-tmp-";

/// Replace a file's text atomically (temp file and rename), as a cgroupfs
/// write is: a racing reader sees the old or the new text, never "".
pub(super) fn put(path: &Path, text: &str) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = path.with_file_name(format!("{TEMP_PREFIX}{name}"));
    fs::write(&temp, text).expect("fake kernel writes its temp file");
    fs::rename(&temp, path).expect("fake kernel renames its temp file");
}

pub(super) fn get(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_default()
}

pub(crate) fn on_mkdir(path: &Path) -> Option<io::Result<()>> {
    with_fake(path, |fake| {
        let parent = path.parent()?.to_path_buf();
        let is_child = fake
            .roots
            .iter()
            .any(|r| parent.parent() == Some(r.as_path()));
        if is_child && fake.parent_races > 0 && parent.is_dir() {
            fake.parent_races -= 1;
            fake.log.push(format!("race {}", parent.display()));
            remove_cgroup(&parent).ok()?;
        }
        fake.log.push(format!("mkdir {}", path.display()));
        Some(fs::create_dir(path).map(|()| fake_files::populate(fake, path, &parent)))
    })
    .flatten()
}

pub(crate) fn on_rmdir(path: &Path) -> Option<io::Result<()>> {
    with_fake(path, |fake| {
        fake.log.push(format!("rmdir {}", path.display()));
        if !path.is_dir() {
            return Err(errno(libc::ENOENT));
        }
        let has_children = fs::read_dir(path)?.flatten().any(|e| e.path().is_dir());
        let procs = path.join("cgroup.procs");
        if has_children {
            return Err(errno(libc::EBUSY));
        }
        if !get(&procs).trim().is_empty() {
            match &mut fake.exit_after_busy {
                Some(0) => put(&procs, ""),
                Some(n) => {
                    *n -= 1;
                    return Err(errno(libc::EBUSY));
                }
                None => return Err(errno(libc::EBUSY)),
            }
        }
        remove_cgroup(path)
    })
}

/// Drop a cgroup's control files and the directory itself.
fn remove_cgroup(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)?.flatten() {
        if entry.path().is_file() {
            fs::remove_file(entry.path())?;
        }
    }
    fs::remove_dir(dir)
}

/// SIGKILL: the pid leaves every cgroup.procs under the roots. Without a
/// fake installed this refuses, so unit tests never signal real processes.
pub(crate) fn on_kill(pid: i32) -> nix::Result<()> {
    FAKE.with(|f| {
        let mut f = f.borrow_mut();
        let fake = f.as_mut().ok_or(nix::errno::Errno::EPERM)?;
        let _kernel = KERNEL.lock().unwrap_or_else(|p| p.into_inner());
        fake.log.push(format!("kill {pid}"));
        if fake.unkillable.contains(&pid) {
            return Ok(());
        }
        let mut found = false;
        for root in fake.roots.clone() {
            found |= drop_pid(&root, pid);
        }
        if found {
            Ok(())
        } else {
            Err(nix::errno::Errno::ESRCH)
        }
    })
}

fn drop_pid(dir: &Path, pid: i32) -> bool {
    let procs = dir.join("cgroup.procs");
    let text = get(&procs);
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| l.trim() != pid.to_string())
        .collect();
    let mut found = kept.len() != text.lines().count();
    if found {
        put(
            &procs,
            &kept.iter().map(|l| format!("{l}\n")).collect::<String>(),
        );
    }
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.path().is_dir() {
            found |= drop_pid(&entry.path(), pid);
        }
    }
    found
}
