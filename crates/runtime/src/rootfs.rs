//! The container's file system view, assembled in a staging directory inside
//! the new mount namespace and then entered with pivot_root (never chroot).
//! The root goes first (`root_mount`: the host's root read-only, a bundle's
//! rootfs dir, or an overlay of rootfs/image layers), then the spec's mounts
//! on top, their mount points created inside the root (`mountpoint`): a fresh
//! /proc, a /dev tmpfs with only the standard nodes, /dev/pts, /dev/shm,
//! /dev/mqueue, a read-only /sys and cgroup tree, private /tmp and /run,
//! then volumes (bind mounts) and tmpfs mounts. A read-only rootfs or
//! overlay is remounted read-only after all of them. Masked and read-only
//! paths follow. Mounts are slaves of the host's, so a host unmount still
//! propagates in; nothing here propagates out.

use std::path::{Path, PathBuf};

use nix::mount::{mount, umount2, MntFlags, MsFlags};

use crate::child::{report, StepError};
use crate::mount_options::MountPlan;
use crate::mountpoint::contained_target;
use crate::plan::{ChildPlan, RootSource};
use crate::steps::Step;
use crate::sync::Channel;
use crate::{cgroupfs, devices};

const NONE: Option<&str> = None;

pub fn assemble(plan: &ChildPlan, channel: &Channel) -> Result<(), StepError> {
    make_mounts_slave()?;
    let root = crate::root_mount::mount_root(plan)?;
    let mut done = Vec::new();
    let mut readonly_later = Vec::new();
    for m in &plan.mounts {
        if m.optional && is_symlink_in_root(plan, &m.destination) {
            done.push(format!(
                "not {} (a symlink in the root)",
                m.destination.display()
            ));
            continue;
        }
        let target = mount_point(plan, m)?;
        mount_one(plan, m, &target)?;
        if m.destination == Path::new("/dev") {
            let n = devices::populate(&target, &plan.devices)?;
            done.push(format!("{} device nodes", n));
        }
        if m.readonly_after_setup {
            readonly_later.push((target, m.flags));
        }
        done.push(format!("{} on {}", m.fstype, m.destination.display()));
    }
    let masked = mask_paths(plan)?;
    let readonly = readonly_paths(plan)?;
    for (target, flags) in readonly_later {
        remount_readonly(&target, flags)?;
    }
    if plan.root_readonly && plan.root != RootSource::Host {
        remount_readonly(&plan.staging, MsFlags::MS_NODEV)?;
    }
    report(
        channel,
        Step::Mounts,
        format!(
            "root {root}; mounted {}; masked {masked} paths, {readonly} read-only paths",
            done.join(", ")
        ),
    )
}

/// pivot_root into the staging dir, then detach the old root.
pub fn pivot(plan: &ChildPlan, channel: &Channel) -> Result<(), StepError> {
    let fail = |what: &str| StepError::sys(Step::PivotRoot, what.to_string());
    let old_root = open_dir(Path::new("/"))?;
    nix::unistd::chdir(&plan.staging).map_err(fail("chdir to the staging root"))?;
    nix::unistd::pivot_root(".", ".").map_err(fail("pivot_root"))?;
    nix::unistd::fchdir(&old_root).map_err(fail("fchdir to the old root"))?;
    // The whole tree is already rslave (assemble), so the detach stays ours.
    umount2(".", MntFlags::MNT_DETACH).map_err(fail("detaching the old root"))?;
    nix::unistd::chdir("/").map_err(fail("chdir /"))?;
    report(
        channel,
        Step::PivotRoot,
        "pivot_root done, old root detached",
    )
}

fn open_dir(path: &Path) -> Result<std::fs::File, StepError> {
    std::fs::File::open(path)
        .map_err(|e| StepError::new(Step::PivotRoot, format!("opening {}: {e}", path.display())))
}

/// Nothing mounted from here on propagates back to the host, while the
/// host's unmounts still reach us (so we never pin a host mount).
fn make_mounts_slave() -> Result<(), StepError> {
    mount(NONE, "/", NONE, MsFlags::MS_REC | MsFlags::MS_SLAVE, NONE).map_err(StepError::sys(
        Step::Mounts,
        "making / a slave (MS_REC|MS_SLAVE)",
    ))
}

fn is_symlink_in_root(plan: &ChildPlan, destination: &Path) -> bool {
    let inside = destination.strip_prefix("/").unwrap_or(destination);
    plan.staging
        .join(inside)
        .symlink_metadata()
        .is_ok_and(|meta| meta.file_type().is_symlink())
}

/// The mount's target in the staging root, created when missing (an empty
/// file for a bind mount of a file).
fn mount_point(plan: &ChildPlan, m: &MountPlan) -> Result<PathBuf, StepError> {
    let file = m.is_bind() && std::fs::metadata(&m.source).is_ok_and(|meta| !meta.is_dir());
    crate::mountpoint::create(&plan.staging, &m.destination, file)
}

fn mount_one(plan: &ChildPlan, m: &MountPlan, target: &Path) -> Result<(), StepError> {
    let what = || format!("mounting {} on {}", m.fstype, m.destination.display());
    if m.fstype == "cgroup" {
        cgroupfs::mount_tree(&plan.cgroup_layout, target, m.flags)?;
    } else if m.is_bind() {
        let flags = m.flags - MsFlags::MS_RDONLY;
        mount(Some(m.source.as_str()), target, NONE, flags, NONE)
            .map_err(StepError::sys(Step::Mounts, what()))?;
        // A bind ignores every flag but MS_REC: ro/nosuid/nodev/noexec are
        // set afterwards with mount_setattr, recursively (so submounts of
        // an rbind are read-only too) and without clearing flags the source
        // mounts already had.
        let attrs = [
            (MsFlags::MS_RDONLY, 0x1),
            (MsFlags::MS_NOSUID, 0x2),
            (MsFlags::MS_NODEV, 0x4),
            (MsFlags::MS_NOEXEC, 0x8),
        ]
        .iter()
        .filter(|(flag, _)| m.flags.contains(*flag))
        .fold(0u64, |acc, (_, attr)| acc | attr);
        if attrs != 0 {
            crate::root_mount::set_attrs_recursive(target, attrs)?;
        }
    } else {
        let data = (!m.data.is_empty()).then_some(m.data.as_str());
        mount(
            Some(m.source.as_str()),
            target,
            Some(m.fstype.as_str()),
            m.flags,
            data,
        )
        .map_err(StepError::sys(Step::Mounts, what()))?;
    }
    if !m.propagation.is_empty() {
        mount(NONE, target, NONE, m.propagation, NONE)
            .map_err(StepError::sys(Step::Mounts, what()))?;
    }
    Ok(())
}

/// A bind remount changes only this mount's flags; keep the ones it had.
pub fn remount_readonly(target: &Path, flags: MsFlags) -> Result<(), StepError> {
    let keep = flags & (MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC);
    remount_bind(target, keep | MsFlags::MS_RDONLY)
}

/// MS_REMOUNT|MS_BIND: sets exactly `attrs` (ro, nosuid, nodev, noexec) on
/// this one mount.
fn remount_bind(target: &Path, attrs: MsFlags) -> Result<(), StepError> {
    mount(
        NONE,
        target,
        NONE,
        MsFlags::MS_REMOUNT | MsFlags::MS_BIND | attrs,
        NONE,
    )
    .map_err(StepError::sys(
        Step::Mounts,
        format!("remounting {} with {attrs:?}", target.display()),
    ))
}

/// Hides sensitive /proc and /sys entries: /dev/null over files, an empty
/// read-only tmpfs over directories. Paths that do not exist are skipped.
fn mask_paths(plan: &ChildPlan) -> Result<usize, StepError> {
    let mut count = 0;
    for path in &plan.masked_paths {
        let target = contained_target(&plan.staging, path)?;
        let Ok(meta) = target.symlink_metadata() else {
            continue;
        };
        let what = format!("masking {}", path.display());
        if meta.is_dir() {
            mount(
                Some("tmpfs"),
                &target,
                Some("tmpfs"),
                MsFlags::MS_RDONLY,
                Some("size=0"),
            )
        } else {
            mount(Some("/dev/null"), &target, NONE, MsFlags::MS_BIND, NONE)
        }
        .map_err(StepError::sys(Step::Mounts, what))?;
        count += 1;
    }
    Ok(count)
}

fn readonly_paths(plan: &ChildPlan) -> Result<usize, StepError> {
    let mut count = 0;
    for path in &plan.readonly_paths {
        let target = contained_target(&plan.staging, path)?;
        if target.symlink_metadata().is_err() {
            continue;
        }
        mount(
            Some(&target),
            &target,
            NONE,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            NONE,
        )
        .map_err(StepError::sys(
            Step::Mounts,
            format!("binding {} read-only", path.display()),
        ))?;
        remount_readonly(
            &target,
            MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        )?;
        count += 1;
    }
    Ok(count)
}
