//! The validated, typed workload ([`Workload`]) that the scheduler and the
//! lowering work from, with its small value types. Every field has been
//! checked by `validate`; nothing here can fail.

use std::path::PathBuf;
use std::time::Duration;

/// What the caller knows about the machine, needed to validate `cpu` and `cpus`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HostFacts {
    /// CPUs the caller may use, sorted ascending (e.g. from `sched_getaffinity`).
    pub cpus: Vec<u32>,
}

/// A CPU allowance in thousandths of a core (`1000` = one core).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CpuCount {
    pub millis: u64,
}

impl CpuCount {
    /// The allowance in cores (`500` millis → `0.5`).
    pub fn cores(&self) -> f64 {
        self.millis as f64 / 1000.0
    }
}

/// GPUs asked for: `count` whole GPUs, or `memory` bytes on each of `count` GPUs.
pub use sched::gpu_policy::GpuRequest;
/// Placement policies a workload may name.
pub use sched::{cpu_policy::CpuPolicy, gpu_policy::GpuPolicy};

/// The numeric user and group the workload runs as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserSpec {
    pub uid: u32,
    pub gid: u32,
}

/// A validated workload. See the crate docs for the file format.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    pub name: Option<String>,
    pub hostname: Option<String>,
    pub cpu: Option<CpuCount>,
    /// Memory limit in bytes.
    pub memory: Option<u64>,
    pub gpu: Option<GpuRequest>,
    /// Program and arguments; never empty.
    pub args: Vec<String>,
    /// User-given environment, in file order (defaults are added by `lower`).
    pub env: Vec<(String, String)>,
    /// Absolute working directory; `/` when not given.
    pub workdir: PathBuf,
    /// Maximum number of processes.
    pub pids: Option<u64>,
    /// CPUs to pin to: sorted, deduplicated, all in [`HostFacts::cpus`].
    pub cpus: Option<Vec<u32>>,
    pub timeout: Option<Duration>,
    pub user: Option<UserSpec>,
    /// CPU placement policy; the caller's default when not given.
    pub policy: Option<CpuPolicy>,
    /// GPU allocation policy; the caller's default when not given.
    pub gpu_policy: Option<GpuPolicy>,
    /// Its cores are given to no other container while it runs.
    pub exclusive: bool,
}

impl Workload {
    /// A workload that runs `args` with every optional field unset.
    pub fn new(args: Vec<String>) -> Self {
        Workload {
            name: None,
            hostname: None,
            cpu: None,
            memory: None,
            gpu: None,
            args,
            env: Vec::new(),
            workdir: PathBuf::from("/"),
            pids: None,
            cpus: None,
            timeout: None,
            user: None,
            policy: None,
            gpu_policy: None,
            exclusive: false,
        }
    }
}
