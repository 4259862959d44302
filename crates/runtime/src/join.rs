//! The namespaces of a running container, for `exec_in`: opened from
//! /proc/<pid>/ns/* in the parent (only those that differ from ours), then
//! joined with setns. The pid namespace is joined by the parent for its next
//! child only (the new process is born in it) and left again right after the
//! fork; the others are joined by the forked child, which is single-threaded
//! as setns into a mount namespace requires.

use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use nix::sched::{setns, CloneFlags};

use crate::child::StepError;
use crate::steps::Step;
use crate::RuntimeError;

/// The order the child joins them in; mnt late, so /proc paths of the host
/// are not needed after it, and pid is the parent's business.
const KINDS: [(&str, CloneFlags); 6] = [
    ("ipc", CloneFlags::CLONE_NEWIPC),
    ("uts", CloneFlags::CLONE_NEWUTS),
    ("net", CloneFlags::CLONE_NEWNET),
    ("cgroup", CloneFlags::CLONE_NEWCGROUP),
    ("mnt", CloneFlags::CLONE_NEWNS),
    ("pid", CloneFlags::CLONE_NEWPID),
];

/// One namespace of the container that is not ours.
#[derive(Debug)]
pub struct Namespace {
    pub name: &'static str,
    pub kind: CloneFlags,
    pub fd: OwnedFd,
    /// For the mount namespace: PID 1's root directory. setns puts the
    /// caller at the namespace's root mount, which is not the container's
    /// root when its supervisor ran chrooted; this is (as `nsenter --root`).
    pub root: Option<OwnedFd>,
}

/// Opens the container's namespaces that differ from the caller's.
pub fn differing(pid: i32) -> Result<Vec<Namespace>, RuntimeError> {
    let mut found = Vec::new();
    for (name, kind) in KINDS {
        let theirs = format!("/proc/{pid}/ns/{name}");
        let ours = format!("/proc/self/ns/{name}");
        if same_namespace(Path::new(&theirs), Path::new(&ours))? {
            continue;
        }
        let file = std::fs::File::open(&theirs).map_err(RuntimeError::io(
            "opening the container's namespace",
            &theirs,
        ))?;
        let root = match kind == CloneFlags::CLONE_NEWNS {
            true => {
                let path = format!("/proc/{pid}/root");
                let dir = std::fs::File::open(&path)
                    .map_err(RuntimeError::io("opening the container's root", &path))?;
                Some(dir.into())
            }
            false => None,
        };
        found.push(Namespace {
            name,
            kind,
            fd: file.into(),
            root,
        });
    }
    Ok(found)
}

fn same_namespace(theirs: &Path, ours: &Path) -> Result<bool, RuntimeError> {
    let a = std::fs::metadata(theirs).map_err(RuntimeError::io(
        "reading the container's namespace",
        theirs,
    ))?;
    let b = std::fs::metadata(ours).map_err(RuntimeError::io("reading our namespace", ours))?;
    Ok(a.dev() == b.dev() && a.ino() == b.ino())
}

/// The pid namespace among them, if the container has its own.
pub fn pid_namespace(namespaces: &[Namespace]) -> Option<&Namespace> {
    namespaces
        .iter()
        .find(|n| n.kind == CloneFlags::CLONE_NEWPID)
}

/// Joins the pid namespace for the caller's next children; the guard puts
/// the caller's own back when dropped (after the fork).
pub fn pid_for_children(ns: &Namespace) -> Result<PidNamespaceGuard, RuntimeError> {
    let own = std::fs::File::open("/proc/self/ns/pid").map_err(RuntimeError::io(
        "opening our namespace",
        "/proc/self/ns/pid",
    ))?;
    setns(ns.fd.as_fd(), CloneFlags::CLONE_NEWPID).map_err(RuntimeError::sys(
        "setns into the container's pid namespace",
    ))?;
    Ok(PidNamespaceGuard { own: own.into() })
}

/// The caller's own pid namespace, restored for its children on drop.
#[derive(Debug)]
pub struct PidNamespaceGuard {
    own: OwnedFd,
}

impl PidNamespaceGuard {
    /// Restores now, reporting a failure (drop would only log it).
    pub fn restore(self) -> Result<(), RuntimeError> {
        let result = setns(self.own.as_fd(), CloneFlags::CLONE_NEWPID)
            .map_err(RuntimeError::sys("setns back into our pid namespace"));
        std::mem::forget(self);
        result
    }
}

impl Drop for PidNamespaceGuard {
    fn drop(&mut self) {
        if let Err(e) = setns(self.own.as_fd(), CloneFlags::CLONE_NEWPID) {
            tracing::warn!(
                step = "namespaces",
                "setns back into our pid namespace: {e}"
            );
        }
    }
}

/// In the child: joins every namespace but pid (already ours from birth).
pub fn enter_all(namespaces: &[Namespace]) -> Result<Vec<&'static str>, StepError> {
    let mut joined = Vec::new();
    for ns in namespaces {
        if ns.kind == CloneFlags::CLONE_NEWPID {
            joined.push(ns.name);
            continue;
        }
        setns(ns.fd.as_fd(), ns.kind).map_err(StepError::sys(
            Step::Namespaces,
            format!("setns into the container's {} namespace", ns.name),
        ))?;
        if let Some(root) = &ns.root {
            nix::unistd::fchdir(root.as_fd())
                .and_then(|()| nix::unistd::chroot("."))
                .map_err(StepError::sys(
                    Step::Namespaces,
                    "entering the container's root",
                ))?;
        }
        joined.push(ns.name);
    }
    Ok(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_namespaces_are_not_listed() {
        let ours = differing(std::process::id() as i32).expect("namespaces");
        assert!(ours.is_empty(), "{ours:?}");
    }

    #[test]
    fn a_missing_process_names_its_proc_path() {
        let err = differing(i32::MAX).expect_err("no such process");
        assert!(
            err.to_string().contains(&format!("/proc/{}/ns", i32::MAX)),
            "{err}"
        );
    }
}
