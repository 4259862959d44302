//! Turns an OCI Spec into a `ChildPlan`: everything the container process
//! needs, resolved and checked in the parent before clone, so the child only
//! performs system calls and a spec the runtime cannot honour is refused
//! before anything is created. Pure: no system calls.

use std::ffi::CString;
use std::path::{Path, PathBuf};

use caps::{Capability as Cap, CapsHashSet};
use nix::mount::MsFlags;
use nix::sched::CloneFlags;
use nix::sys::stat::SFlag;
use oci_spec::runtime::{LinuxCapabilities, LinuxDeviceType, LinuxNamespaceType, Spec};

use crate::mount_options::{plan_mount, MountPlan};
use crate::refuse::unsupported;
use crate::RuntimeError;

/// Where the container's root file system comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum RootSource {
    /// The host's own root, bound recursively (no rootfs given).
    Host,
    /// A directory prepared for this container (an OCI bundle's rootfs).
    Path(PathBuf),
    /// An overlay: `lower` dirs (top first, never written), `upper` and
    /// `work` in the container's state dir.
    Overlay {
        lower: Vec<PathBuf>,
        upper: PathBuf,
        work: PathBuf,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct DevicePlan {
    pub path: PathBuf,
    pub kind: nix::sys::stat::SFlag,
    pub major: u64,
    pub minor: u64,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct CapsPlan {
    pub bounding: CapsHashSet,
    pub effective: CapsHashSet,
    pub permitted: CapsHashSet,
    pub inheritable: CapsHashSet,
    pub ambient: CapsHashSet,
}

/// Everything the child does, decided up front.
#[derive(Debug, Clone)]
pub struct ChildPlan {
    /// Namespaces created by clone3 itself.
    pub clone_flags: CloneFlags,
    /// The cgroup namespace is unshared later, once the cgroup is joined.
    pub new_cgroup_ns: bool,
    pub new_net_ns: bool,
    /// Staging directory on the host where the root is assembled.
    pub staging: PathBuf,
    pub root: RootSource,
    pub root_readonly: bool,
    /// Keep the overlay's upper dir after the run (`kept/<id>/upper`).
    pub keep_upper: bool,
    pub mounts: Vec<MountPlan>,
    pub devices: Vec<DevicePlan>,
    pub masked_paths: Vec<PathBuf>,
    pub readonly_paths: Vec<PathBuf>,
    pub cgroup_layout: cgroups::Layout,
    pub hostname: Option<String>,
    pub cpus: Option<Vec<u32>>,
    pub rlimits: Vec<crate::rlimits::RlimitPlan>,
    pub oom_score_adj: Option<i32>,
    pub umask: Option<u32>,
    pub uid: u32,
    pub gid: u32,
    pub additional_gids: Vec<u32>,
    pub caps: CapsPlan,
    pub no_new_privileges: bool,
    pub cwd: PathBuf,
    pub args: Vec<CString>,
    pub env: Vec<CString>,
    /// The PATH the program name is searched in (from the process env).
    pub search_path: String,
    pub init: bool,
    /// The container's standard streams.
    pub stdio: crate::Stdio,
}

impl ChildPlan {
    /// `staging` is `<state dir>/rootfs`; an overlay's upper and work dirs
    /// go beside it.
    pub fn from_spec(
        spec: &Spec,
        staging: PathBuf,
        cgroup_layout: &cgroups::Layout,
        init: bool,
    ) -> Result<ChildPlan, RuntimeError> {
        let process = spec
            .process()
            .as_ref()
            .ok_or_else(|| unsupported("the spec has no process"))?;
        let linux = spec.linux().clone().unwrap_or_default();
        let (clone_flags, new_cgroup_ns) = namespace_flags(&linux)?;
        crate::refuse::check(spec, process, clone_flags)?;
        let root = spec
            .root()
            .as_ref()
            .ok_or_else(|| unsupported("the spec has no root"))?;
        let state_dir = staging
            .parent()
            .ok_or_else(|| unsupported("the staging dir has no parent"))?;
        let root_source = crate::overlay::root_source(spec, state_dir)?;
        let args = process.args().clone().unwrap_or_default();
        if args.is_empty() {
            return Err(unsupported("process.args is empty"));
        }
        let env = process.env().clone().unwrap_or_default();
        let search_path = env
            .iter()
            .find_map(|e| e.strip_prefix("PATH="))
            .unwrap_or(spec::DEFAULT_PATH)
            .to_string();
        let cpus = linux
            .resources()
            .as_ref()
            .and_then(|r| r.cpu().as_ref())
            .and_then(|c| c.cpus().clone())
            .map(|text| spec::cpulist::parse(&text).map_err(|e| unsupported(&format!("cpus: {e}"))))
            .transpose()?;
        Ok(ChildPlan {
            clone_flags,
            new_cgroup_ns,
            new_net_ns: clone_flags.contains(CloneFlags::CLONE_NEWNET),
            staging,
            keep_upper: crate::overlay::keep_requested(spec)
                && matches!(root_source, RootSource::Overlay { .. }),
            root: root_source,
            root_readonly: root.readonly().unwrap_or(false),
            mounts: spec
                .mounts()
                .iter()
                .flatten()
                .map(|m| sysfs_without_netns(plan_mount(m), clone_flags))
                .collect(),
            devices: devices(&linux)?,
            masked_paths: linux
                .masked_paths()
                .clone()
                .unwrap_or_default()
                .into_iter()
                .map(PathBuf::from)
                .collect(),
            readonly_paths: linux
                .readonly_paths()
                .clone()
                .unwrap_or_default()
                .into_iter()
                .map(PathBuf::from)
                .collect(),
            cgroup_layout: cgroup_layout.clone(),
            hostname: spec.hostname().clone(),
            cpus,
            rlimits: crate::rlimits::plan(process.rlimits().as_deref().unwrap_or_default())?,
            oom_score_adj: process.oom_score_adj(),
            umask: process.user().umask(),
            uid: process.user().uid(),
            gid: process.user().gid(),
            additional_gids: process.user().additional_gids().clone().unwrap_or_default(),
            caps: caps_plan(process.capabilities().as_ref())?,
            no_new_privileges: process.no_new_privileges().unwrap_or(false),
            cwd: process.cwd().clone(),
            args: cstrings(&args, "process.args")?,
            env: cstrings(&env, "process.env")?,
            search_path,
            init,
            stdio: crate::Stdio::Inherit,
        })
    }
}

/// A fresh sysfs can only be mounted by the owner of a network namespace:
/// without a new one (`network: host`) the host's /sys is bound read-only
/// instead, as runc does. Not recursively: its submounts (the host's
/// cgroup tree, debugfs, securityfs) stay out, and the container's own
/// cgroup mount goes on the empty /sys/fs/cgroup (a second mount of the
/// same cgroup2 superblock on top of itself would be EBUSY).
fn sysfs_without_netns(mut mount: MountPlan, clone_flags: CloneFlags) -> MountPlan {
    if mount.fstype == "sysfs" && !clone_flags.contains(CloneFlags::CLONE_NEWNET) {
        mount.fstype = "bind".into();
        mount.source = "/sys".into();
        mount.flags |= MsFlags::MS_BIND | MsFlags::MS_RDONLY;
        mount.flags.remove(MsFlags::MS_REC);
        mount.data.clear();
    }
    mount
}

/// clone3 flags for the new namespaces, and whether a cgroup namespace is wanted.
fn namespace_flags(linux: &oci_spec::runtime::Linux) -> Result<(CloneFlags, bool), RuntimeError> {
    let mut flags = CloneFlags::empty();
    let mut cgroup = false;
    for ns in linux.namespaces().iter().flatten() {
        if ns.path().is_some() {
            return Err(unsupported("joining an existing namespace by path"));
        }
        match ns.typ() {
            LinuxNamespaceType::Pid => flags |= CloneFlags::CLONE_NEWPID,
            LinuxNamespaceType::Network => flags |= CloneFlags::CLONE_NEWNET,
            LinuxNamespaceType::Ipc => flags |= CloneFlags::CLONE_NEWIPC,
            LinuxNamespaceType::Uts => flags |= CloneFlags::CLONE_NEWUTS,
            LinuxNamespaceType::Mount => flags |= CloneFlags::CLONE_NEWNS,
            LinuxNamespaceType::Cgroup => cgroup = true,
            other => return Err(unsupported(&format!("namespace {other:?}"))),
        }
    }
    if !flags.contains(CloneFlags::CLONE_NEWNS) {
        return Err(unsupported("a container without its own mount namespace"));
    }
    Ok((flags, cgroup))
}

/// The spec's devices, then any default device (spec::DEFAULT_DEVICES) it
/// did not list, as the OCI runtime spec requires.
fn devices(linux: &oci_spec::runtime::Linux) -> Result<Vec<DevicePlan>, RuntimeError> {
    let mut devices = Vec::new();
    for d in linux.devices().iter().flatten() {
        let kind = match d.typ() {
            LinuxDeviceType::B => SFlag::S_IFBLK,
            LinuxDeviceType::P => SFlag::S_IFIFO,
            _ => SFlag::S_IFCHR,
        };
        devices.push(DevicePlan {
            mode: d.file_mode().unwrap_or(0o666),
            uid: d.uid().unwrap_or(0),
            gid: d.gid().unwrap_or(0),
            ..device(d.path().clone(), kind, d.major(), d.minor())?
        });
    }
    for (path, major, minor) in spec::DEFAULT_DEVICES {
        if !devices.iter().any(|d| d.path == Path::new(path)) {
            devices.push(device(PathBuf::from(path), SFlag::S_IFCHR, major, minor)?);
        }
    }
    Ok(devices)
}

fn device(path: PathBuf, kind: SFlag, major: i64, minor: i64) -> Result<DevicePlan, RuntimeError> {
    let number = |n: i64| {
        u64::try_from(n)
            .map_err(|_| unsupported(&format!("device {}: negative number {n}", path.display())))
    };
    Ok(DevicePlan {
        kind,
        major: number(major)?,
        minor: number(minor)?,
        path,
        mode: 0o666,
        uid: 0,
        gid: 0,
    })
}

fn caps_plan(caps: Option<&LinuxCapabilities>) -> Result<CapsPlan, RuntimeError> {
    let Some(caps) = caps else {
        return Ok(CapsPlan::default());
    };
    let convert =
        |set: &Option<oci_spec::runtime::Capabilities>| -> Result<CapsHashSet, RuntimeError> {
            set.iter()
                .flatten()
                .map(|c| {
                    let name = c.to_string();
                    let canonical = if name.starts_with("CAP_") {
                        name
                    } else {
                        format!("CAP_{name}")
                    };
                    canonical
                        .parse::<Cap>()
                        .map_err(|_| unsupported(&format!("unknown capability {canonical}")))
                })
                .collect()
        };
    Ok(CapsPlan {
        bounding: convert(caps.bounding())?,
        effective: convert(caps.effective())?,
        permitted: convert(caps.permitted())?,
        inheritable: convert(caps.inheritable())?,
        ambient: convert(caps.ambient())?,
    })
}

fn cstrings(values: &[String], what: &str) -> Result<Vec<CString>, RuntimeError> {
    values
        .iter()
        .map(|v| {
            CString::new(v.as_bytes())
                .map_err(|_| unsupported(&format!("{what} contains a NUL byte")))
        })
        .collect()
}
