//! The container's root, mounted on the staging dir in the child's own
//! mount namespace (so it vanishes with it): the host's root bound
//! recursively and made read-only, nosuid and nodev (mount_setattr with
//! AT_RECURSIVE); an OCI bundle's rootfs dir bound and made nodev; or an
//! overlay whose lower layers are the rootfs/image dirs (never written) and
//! whose upper and work dirs the parent made in the container's state dir.

use std::path::{Path, PathBuf};

use nix::mount::{mount, MsFlags};

use crate::child::StepError;
use crate::plan::{ChildPlan, RootSource};
use crate::steps::Step;

const NONE: Option<&str> = None;
const MOUNT_ATTR_RDONLY: u64 = 0x1;
const MOUNT_ATTR_NOSUID: u64 = 0x2;
const MOUNT_ATTR_NODEV: u64 = 0x4;

/// The upper and work dirs to use. overlayfs refuses an upper dir that is
/// itself on overlayfs (a state dir inside a container, or a VM whose root
/// is an overlay): then a tmpfs is mounted on `<state dir>/scratch` in this
/// mount namespace only (it vanishes with the container) and holds them.
fn usable_upper(upper: &Path, work: &Path) -> Result<(PathBuf, PathBuf, &'static str), StepError> {
    let state_dir = upper.parent().unwrap_or(upper);
    let on_overlay = nix::sys::statfs::statfs(state_dir)
        .is_ok_and(|fs| fs.filesystem_type() == nix::sys::statfs::OVERLAYFS_SUPER_MAGIC);
    if !on_overlay {
        return Ok((upper.to_path_buf(), work.to_path_buf(), ""));
    }
    let scratch = state_dir.join("scratch");
    let fail = |what: String| StepError::sys(Step::Mounts, what);
    std::fs::create_dir_all(&scratch).map_err(|e| {
        StepError::new(Step::Mounts, format!("creating {}: {e}", scratch.display()))
    })?;
    mount(
        Some("tmpfs"),
        &scratch,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
        Some("mode=0700"),
    )
    .map_err(fail(format!("mounting a tmpfs on {}", scratch.display())))?;
    let (upper, work) = (scratch.join("upper"), scratch.join("work"));
    for dir in [&upper, &work] {
        std::fs::create_dir(dir).map_err(|e| {
            StepError::new(Step::Mounts, format!("creating {}: {e}", dir.display()))
        })?;
    }
    Ok((
        upper,
        work,
        "; upper layer on a tmpfs (the state dir is on overlayfs; `keep` keeps nothing)",
    ))
}

/// Mount options must fit in one page. When the layers' absolute paths
/// would not, each gets a short symlink `<state dir>/lower/<n>` and this
/// process (the container's PID 1, before pivot_root) changes into that
/// directory and names them `0:1:…`: overlayfs resolves lowerdir paths, and
/// follows the links, at mount time. The links go with the state dir.
fn lower_option(lower: &[PathBuf], state_dir: &Path) -> Result<Vec<String>, StepError> {
    const ROOM: usize = 3072;
    let absolute: Vec<String> = lower.iter().map(|p| p.display().to_string()).collect();
    if absolute.iter().map(|p| p.len() + 1).sum::<usize>() <= ROOM {
        return Ok(absolute);
    }
    let links = state_dir.join("lower");
    let io = |what: String| {
        move |e: std::io::Error| StepError::new(Step::Mounts, format!("{what}: {e}"))
    };
    std::fs::create_dir_all(&links).map_err(io(format!("creating {}", links.display())))?;
    for (n, layer) in lower.iter().enumerate() {
        let link = links.join(n.to_string());
        std::os::unix::fs::symlink(layer, &link)
            .map_err(io(format!("linking {}", link.display())))?;
    }
    nix::unistd::chdir(&links).map_err(StepError::sys(
        Step::Mounts,
        format!("chdir to {}", links.display()),
    ))?;
    Ok((0..lower.len()).map(|n| n.to_string()).collect())
}

/// Mounts the root on `plan.staging`; returns how to describe it.
pub fn mount_root(plan: &ChildPlan) -> Result<String, StepError> {
    let (source, description): (&Path, String) = match &plan.root {
        RootSource::Overlay { lower, upper, work } => {
            let state_dir = plan.staging.parent().unwrap_or(&plan.staging);
            let lowerdir = lower_option(lower, state_dir)?;
            let (upper, work, note) = usable_upper(upper, work)?;
            let data = format!(
                "lowerdir={},upperdir={},workdir={}",
                lowerdir.join(":"),
                upper.display(),
                work.display()
            );
            mount(
                Some("overlay"),
                &plan.staging,
                Some("overlay"),
                MsFlags::MS_NODEV,
                Some(data.as_str()),
            )
            .map_err(StepError::sys(
                Step::Mounts,
                format!("mounting overlay ({data}) on {}", plan.staging.display()),
            ))?;
            return Ok(format!(
                "overlay of {} layer(s) (top {}){note}",
                lower.len(),
                lowerdir.first().map_or("?", String::as_str)
            ));
        }
        RootSource::Host => (Path::new("/"), "host root (read-only)".to_string()),
        RootSource::Path(p) => (p, p.display().to_string()),
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
        _ => MOUNT_ATTR_NODEV,
    };
    set_attrs_recursive(&plan.staging, attrs)?;
    Ok(description)
}

/// mount_setattr(2) with AT_RECURSIVE: `attrs` on every mount under `path`.
pub(crate) fn set_attrs_recursive(path: &Path, attrs: u64) -> Result<(), StepError> {
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
