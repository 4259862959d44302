//! Mounts the container's view of the cgroup tree at /sys/fs/cgroup. Inside
//! its cgroup namespace the container's own cgroup appears as the root. On a
//! unified host that is one cgroup2 mount; on hybrid and legacy hosts it is a
//! tmpfs holding one mount per v1 hierarchy (cpu, memory, pids, ...), with a
//! symlink per controller of a co-mounted hierarchy, as runc lays it out.

use std::path::Path;

use cgroups::Layout;
use nix::mount::{mount, MsFlags};

use crate::child::StepError;
use crate::rootfs::remount_readonly;
use crate::steps::Step;

pub fn mount_tree(layout: &Layout, target: &Path, flags: MsFlags) -> Result<(), StepError> {
    let fail = |what: String| StepError::sys(Step::Mounts, what);
    match layout {
        Layout::Unified { .. } => mount(
            Some("cgroup2"),
            target,
            Some("cgroup2"),
            flags,
            None::<&str>,
        )
        .map_err(fail(format!("mounting cgroup2 on {}", target.display()))),
        Layout::Hybrid { v1, .. } | Layout::Legacy { v1 } => {
            let tmpfs_flags = flags - MsFlags::MS_RDONLY;
            mount(
                Some("tmpfs"),
                target,
                Some("tmpfs"),
                tmpfs_flags,
                Some("mode=755"),
            )
            .map_err(fail(format!("mounting tmpfs on {}", target.display())))?;
            for hierarchy in v1 {
                let name = hierarchy.controllers.join(",");
                let dir = target.join(&name);
                std::fs::create_dir_all(&dir).map_err(|e| {
                    StepError::new(Step::Mounts, format!("creating {}: {e}", dir.display()))
                })?;
                mount(
                    Some("cgroup"),
                    &dir,
                    Some("cgroup"),
                    flags,
                    Some(name.as_str()),
                )
                .map_err(fail(format!(
                    "mounting cgroup ({name}) on {}",
                    dir.display()
                )))?;
                if hierarchy.controllers.len() > 1 {
                    for controller in &hierarchy.controllers {
                        let _ = std::os::unix::fs::symlink(&name, target.join(controller));
                    }
                }
            }
            if flags.contains(MsFlags::MS_RDONLY) {
                remount_readonly(target, tmpfs_flags)?;
            }
            Ok(())
        }
    }
}
