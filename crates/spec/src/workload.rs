//! The validated, typed workload ([`Workload`]) that the scheduler and the
//! lowering work from, with its small value types. Every field has been
//! checked by `validate`; a `Workload` holds no invalid value.

use crate::ports::PortMapping;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
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
    /// Program and arguments; never empty, except with `image` before the
    /// CLI fills them in from the image's Entrypoint/Cmd.
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
    /// `image:` as written: a name in the local image store.
    pub image: Option<String>,
    /// Where the root file system comes from.
    pub root: Root,
    /// The root is mounted read-only (only with a rootfs or image).
    pub readonly: bool,
    /// Keep the container's upper layer after it ends.
    pub keep: bool,
    /// Bind mounts from the host, in file order.
    pub volumes: Vec<Volume>,
    /// tmpfs mounts, in file order.
    pub tmpfs: Vec<Tmpfs>,
    /// The container's network.
    pub network: Network,
    /// Host TCP ports forwarded into the container, in file order; only
    /// with [`Network::Bridge`], no two on the same host port and address.
    pub ports: Vec<PortMapping>,
}

/// `network:`: which network the container sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Network {
    /// Its own network namespace with only a loopback device (the default).
    #[default]
    None,
    /// The host's network namespace: no isolation, no port forwarding needed.
    Host,
    /// Its own network namespace, attached to a bridge; `ports` are forwarded.
    Bridge,
}

impl Network {
    /// Every mode, in the order messages list them.
    pub const ALL: [Network; 3] = [Network::None, Network::Host, Network::Bridge];

    /// The word a workload file uses: `none`, `host` or `bridge`.
    pub fn as_str(self) -> &'static str {
        match self {
            Network::None => "none",
            Network::Host => "host",
            Network::Bridge => "bridge",
        }
    }
}

impl FromStr for Network {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Network::ALL
            .into_iter()
            .find(|n| n.as_str() == s)
            .ok_or_else(|| format!("unknown network `{s}`; expected one of none, host, bridge"))
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The container's root file system.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Root {
    /// The host's root, read-only (no `rootfs` or `image`).
    #[default]
    Host,
    /// `rootfs: DIR`: the lower layer of an overlay; never modified.
    Dir(PathBuf),
    /// An image's layer dirs, TOP first: the overlay's lower layers.
    Layers(Vec<PathBuf>),
}

impl Root {
    /// The overlay's lower dirs, top first (empty for [`Root::Host`]).
    pub fn lower_dirs(&self) -> &[PathBuf] {
        match self {
            Root::Host => &[],
            Root::Dir(dir) => std::slice::from_ref(dir),
            Root::Layers(dirs) => dirs,
        }
    }
}

/// `volumes:` entry `SOURCE:TARGET[:ro|rw]`: a host path bound into the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume {
    /// Absolute host path (it existed at validation).
    pub source: PathBuf,
    /// Absolute path in the container, not `/`.
    pub target: PathBuf,
    pub readonly: bool,
}

/// `tmpfs:` entry `TARGET[:SIZE]`: a fresh tmpfs in the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tmpfs {
    /// Absolute path in the container, not `/`.
    pub target: PathBuf,
    /// Size limit in bytes; the kernel's default (half the RAM) when `None`.
    pub size: Option<u64>,
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
            image: None,
            root: Root::Host,
            readonly: false,
            keep: false,
            volumes: Vec::new(),
            tmpfs: Vec::new(),
            network: Network::None,
            ports: Vec::new(),
        }
    }
}
