//! The container's file system view, assembled in a staging directory inside
//! the new mount namespace and then entered with pivot_root (never chroot).
//! Without a rootfs the host's root is bound recursively and made read-only,
//! nosuid and nodev (mount_setattr, AT_RECURSIVE; a rootfs dir gets nodev),
//! then the spec's mounts go on top: a fresh
//! /proc, a /dev tmpfs with only the standard nodes, /dev/pts, /dev/shm,
//! /dev/mqueue, a read-only /sys and cgroup tree, private /tmp and /run.
//! Masked and read-only paths follow. Mounts are slaves of the host's, so a
//! host unmount still propagates in; nothing here propagates out.

use std::path::{Path, PathBuf};

use nix::mount::{mount, umount2, MntFlags, MsFlags};

use crate::child::{report, StepError};
use crate::mount_options::MountPlan;
use crate::plan::{ChildPlan, RootSource};
use crate::steps::Step;
use crate::sync::Channel;
use crate::{cgroupfs, devices};

const NONE: Option<&str> = None;

pub fn assemble(plan: &ChildPlan, channel: &Channel) -> Result<(), StepError> {
    make_mounts_slave()?;
    bind_root(plan)?;
    let mut done = Vec::new();
    let mut readonly_later = Vec::new();
    for m in &plan.mounts {
        let target = contained_target(&plan.staging, &m.destination)?;
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
    let root = match &plan.root {
        RootSource::Host => "host root (read-only)".to_string(),
        RootSource::Path(p) => p.display().to_string(),
    };
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

/// A mount destination inside the staging dir that cannot lead out of it:
/// absolute, no `..`, and no symlink on the way (a rootfs could point one at
/// a host path; following it would create or mount outside the root).
fn contained_target(staging: &Path, destination: &Path) -> Result<PathBuf, StepError> {
    use std::path::Component;
    let refuse = |why: &str| {
        StepError::new(
            Step::Mounts,
            format!("mount destination {}: {why}", destination.display()),
        )
    };
    if !destination.is_absolute() {
        return Err(refuse("not an absolute path"));
    }
    let mut target = staging.to_path_buf();
    for component in destination.components() {
        match component {
            Component::RootDir | Component::CurDir => continue,
            Component::Normal(name) => target.push(name),
            _ => return Err(refuse("contains `..`")),
        }
        if target
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
        {
            return Err(refuse("goes through a symlink in the root file system"));
        }
    }
    Ok(target)
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

fn bind_root(plan: &ChildPlan) -> Result<(), StepError> {
    let source: &Path = match &plan.root {
        RootSource::Host => Path::new("/"),
        RootSource::Path(p) => p,
    };
    let what = format!("binding {} on {}", source.display(), plan.staging.display());
    mount(
        Some(source),
        &plan.staging,
        NONE,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        NONE,
    )
    .map_err(StepError::sys(Step::Mounts, what))?;
    // Device nodes anywhere in the root are inert; the host's root is also
    // read-only and nosuid (a rootfs dir turns read-only after the mounts).
    let attrs = match plan.root {
        RootSource::Host => MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID | MOUNT_ATTR_RDONLY,
        RootSource::Path(_) => MOUNT_ATTR_NODEV,
    };
    set_attrs_recursive(&plan.staging, attrs)
}

const MOUNT_ATTR_RDONLY: u64 = 0x1;
const MOUNT_ATTR_NOSUID: u64 = 0x2;
const MOUNT_ATTR_NODEV: u64 = 0x4;

/// mount_setattr(2) with AT_RECURSIVE: `attrs` on every mount under `path`.
fn set_attrs_recursive(path: &Path, attrs: u64) -> Result<(), StepError> {
    #[repr(C)]
    struct MountAttr {
        attr_set: u64,
        attr_clr: u64,
        propagation: u64,
        userns_fd: u64,
    }
    const AT_RECURSIVE: libc::c_uint = 0x8000;
    let what = format!(
        "setting mount attributes {attrs:#x} on {} (mount_setattr)",
        path.display()
    );
    let cpath = std::ffi::CString::new(path.as_os_str().as_encoded_bytes())
        .map_err(|_| StepError::new(Step::Mounts, format!("{what}: NUL in path")))?;
    let attr = MountAttr {
        attr_set: attrs,
        attr_clr: 0,
        propagation: 0,
        userns_fd: 0,
    };
    // SAFETY: a valid C string and a properly sized mount_attr that outlive the call.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            libc::AT_FDCWD,
            cpath.as_ptr(),
            AT_RECURSIVE,
            &attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        )
    };
    if rc != 0 {
        return Err(StepError::sys(Step::Mounts, what)(nix::errno::Errno::last()));
    }
    Ok(())
}

fn mount_one(plan: &ChildPlan, m: &MountPlan, target: &Path) -> Result<(), StepError> {
    if !target.exists() {
        std::fs::create_dir_all(target).map_err(|e| {
            StepError::new(
                Step::Mounts,
                format!("creating mount point {}: {e}", m.destination.display()),
            )
        })?;
    }
    let what = || format!("mounting {} on {}", m.fstype, m.destination.display());
    if m.fstype == "cgroup" {
        cgroupfs::mount_tree(&plan.cgroup_layout, target, m.flags)?;
    } else if m.is_bind() {
        let flags = m.flags - MsFlags::MS_RDONLY;
        mount(Some(m.source.as_str()), target, NONE, flags, NONE)
            .map_err(StepError::sys(Step::Mounts, what()))?;
        if m.flags.contains(MsFlags::MS_RDONLY) {
            remount_readonly(target, m.flags)?;
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
    mount(
        NONE,
        target,
        NONE,
        MsFlags::MS_REMOUNT | MsFlags::MS_BIND | MsFlags::MS_RDONLY | keep,
        NONE,
    )
    .map_err(StepError::sys(
        Step::Mounts,
        format!("remounting {} read-only", target.display()),
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
