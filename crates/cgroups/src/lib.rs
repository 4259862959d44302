//! cgroup manager for containerctl: one [`CgroupManager`] trait with a v1
//! and a v2 back end, and detection of unified, hybrid and legacy hosts.
//! Nothing here knows where cgroups are mounted: [`detect`] (or
//! [`parse_mountinfo`] on given text) yields a [`Layout`], and [`open`]
//! turns a layout plus a parent name and a container id into a manager
//! that only ever creates, changes or removes `<mount>/<parent>/<id>` and
//! the `<parent>` directory itself. Every write is logged at info level
//! (step "cgroup"), directory changes at debug level.

use std::path::PathBuf;

mod common;
mod detect;
mod error;
mod fsutil;
mod stats;
mod v1;
mod v1_rules;
mod v2;

#[cfg(test)]
mod tests;

pub use detect::{detect, parse_mountinfo};
pub use error::CgroupError;

/// The directory, directly under each hierarchy's root, that holds every
/// container's cgroup.
pub const DEFAULT_PARENT: &str = "containerctl";

/// How cgroups are mounted on this host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// Only cgroup2, normally at /sys/fs/cgroup.
    Unified { root: PathBuf },
    /// v1 controller hierarchies plus a cgroup2 mount (for example at
    /// /sys/fs/cgroup/unified) that holds few or no controllers.
    Hybrid {
        v1: Vec<V1Hierarchy>,
        unified: PathBuf,
    },
    /// Only v1 hierarchies.
    Legacy { v1: Vec<V1Hierarchy> },
}

/// One mounted v1 hierarchy with the controllers it carries, for example
/// `["cpu", "cpuacct"]` at /sys/fs/cgroup/cpu,cpuacct. Named hierarchies
/// without controllers (name=systemd) are not listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V1Hierarchy {
    pub controllers: Vec<String>,
    pub mount_point: PathBuf,
}

/// Limits to apply to a container's cgroup. `None` leaves a setting as it
/// is. A quota, memory limit or pids limit of zero or less means
/// "unlimited" (written as `max` on v2, `-1` on v1 for cpu and memory).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resources {
    pub cpu_quota_us: Option<i64>,
    pub cpu_period_us: Option<u64>,
    /// cpuset list text, e.g. "0-1".
    pub cpus: Option<String>,
    /// Bytes.
    pub memory_max: Option<i64>,
    /// No swap beyond `memory_max`: v2 memory.swap.max = 0, v1
    /// memory.memsw.limit_in_bytes = the memory limit (where those exist).
    pub swap_off: bool,
    pub pids_max: Option<i64>,
}

/// A snapshot of a container's usage. Counters of controllers the host
/// does not provide read as zero.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    pub cpu_usage_us: u64,
    pub nr_periods: u64,
    pub nr_throttled: u64,
    pub throttled_us: u64,
    pub memory_current: u64,
    pub memory_peak: Option<u64>,
    /// `None` when unlimited.
    pub memory_max: Option<u64>,
    /// memory.events oom_kill (v2) / memory.oom_control oom_kill (v1).
    pub oom_kills: u64,
    pub pids_current: u64,
}

/// Which cgroup interface a manager drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CgroupVersion {
    V1,
    V2,
}

impl std::fmt::Display for CgroupVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CgroupVersion::V1 => "v1",
            CgroupVersion::V2 => "v2",
        })
    }
}

/// One container's cgroup, in every hierarchy the back end uses.
pub trait CgroupManager: std::fmt::Debug + Send {
    /// Create `<hierarchy root>/<parent>/<id>` in every hierarchy used,
    /// creating `<parent>` if missing. An existing `<id>` is an error.
    fn create(&mut self) -> Result<(), CgroupError>;
    /// Write the given limits.
    fn apply(&self, r: &Resources) -> Result<(), CgroupError>;
    /// Move a process in (cgroup.procs in every hierarchy).
    fn add_task(&self, pid: i32) -> Result<(), CgroupError>;
    /// Freeze every process and wait (bounded) until the kernel says so.
    fn freeze(&self) -> Result<(), CgroupError>;
    /// Thaw the cgroup.
    fn thaw(&self) -> Result<(), CgroupError>;
    /// Read usage counters.
    fn stats(&self) -> Result<Stats, CgroupError>;
    /// The processes in the cgroup, sorted.
    fn pids(&self) -> Result<Vec<i32>, CgroupError>;
    /// SIGKILL everything in the cgroup and wait (bounded) until it is
    /// empty. Does nothing after a failed `create()` (an existing cgroup
    /// with this id is someone else's), or when the cgroup is gone or empty.
    fn kill_all(&self) -> Result<(), CgroupError>;
    /// Remove the container's cgroup directories (never anything else),
    /// retrying EBUSY for up to about a second, then the parent where it is
    /// left empty. After `create()` ran on this manager only what it made
    /// is removed (nothing after a failed create); a manager that never ran
    /// `create()` (e.g. `delete` in another process) removes
    /// `<mount>/<parent>/<id>` in every hierarchy it uses. Removing twice
    /// is fine.
    fn remove(&mut self) -> Result<(), CgroupError>;
    /// The container's cgroup directories.
    fn paths(&self) -> Vec<PathBuf>;
    /// V1 or V2.
    fn version(&self) -> CgroupVersion;
}

/// A manager for container `id` under `parent` (normally
/// [`DEFAULT_PARENT`]). Unified hosts get the v2 back end; hybrid and
/// legacy hosts the v1 back end, since there the v2 mount holds few or no
/// controllers. Names are checked by every operation that touches the
/// file system: both must be single, non-empty directory names.
pub fn open(layout: &Layout, parent: &str, id: &str) -> Box<dyn CgroupManager> {
    match layout {
        Layout::Unified { root } => Box::new(v2::V2Manager::new(root.clone(), parent, id)),
        Layout::Hybrid { v1, .. } | Layout::Legacy { v1 } => {
            Box::new(v1::V1Manager::new(v1, parent, id))
        }
    }
}
