//! Populates the container's /dev tmpfs: the spec's device nodes (null, zero,
//! full, random, urandom, tty) created with mknod and their exact modes, and
//! the usual symlinks (fd, stdin, stdout, stderr, ptmx). The tmpfs is then
//! remounted read-only by the caller, so the workload's CAP_MKNOD cannot add
//! nodes there; its other writable mounts are nodev.

use std::path::Path;

use std::os::unix::fs::PermissionsExt;

use nix::sys::stat::{makedev, mknod, Mode};
use nix::unistd::{chown, Gid, Uid};

use crate::child::StepError;
use crate::plan::DevicePlan;
use crate::steps::Step;

const SYMLINKS: [(&str, &str); 5] = [
    ("fd", "/proc/self/fd"),
    ("stdin", "/proc/self/fd/0"),
    ("stdout", "/proc/self/fd/1"),
    ("stderr", "/proc/self/fd/2"),
    ("ptmx", "pts/ptmx"),
];

/// Creates the nodes and links inside `dev_dir` (the staged container /dev).
pub fn populate(dev_dir: &Path, devices: &[DevicePlan]) -> Result<usize, StepError> {
    for device in devices {
        let relative = device.path.strip_prefix("/dev").map_err(|_| {
            StepError::new(
                Step::Mounts,
                format!("device {} is not under /dev", device.path.display()),
            )
        })?;
        let target = dev_dir.join(relative);
        let what = || format!("creating device node {}", device.path.display());
        let mode = Mode::from_bits_truncate(device.mode);
        mknod(
            &target,
            device.kind,
            mode,
            makedev(device.major, device.minor),
        )
        .map_err(StepError::sys(Step::Mounts, what()))?;
        // mknod applies the umask; set the exact mode asked for.
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(device.mode))
            .map_err(|e| StepError::new(Step::Mounts, format!("{}: {e}", what())))?;
        chown(
            &target,
            Some(Uid::from_raw(device.uid)),
            Some(Gid::from_raw(device.gid)),
        )
        .map_err(StepError::sys(Step::Mounts, what()))?;
    }
    for (name, target) in SYMLINKS {
        let link = dev_dir.join(name);
        if link.symlink_metadata().is_ok() {
            continue;
        }
        std::os::unix::fs::symlink(target, &link).map_err(|e| {
            StepError::new(
                Step::Mounts,
                format!("linking /dev/{name} -> {target}: {e}"),
            )
        })?;
    }
    Ok(devices.len())
}
