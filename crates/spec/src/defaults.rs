//! The fixed parts of every lowered Spec, following Docker's and runc's
//! defaults: capabilities, mounts, device nodes, namespaces, masked and
//! read-only paths, and the base environment.

use oci_spec::runtime::{
    Capability, LinuxDevice, LinuxDeviceBuilder, LinuxDeviceType, LinuxNamespace,
    LinuxNamespaceBuilder, LinuxNamespaceType, Mount, MountBuilder,
};
use oci_spec::OciSpecError;

use crate::workload::Network;

/// `PATH` every workload starts with.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Docker's default 14 capabilities (bounding, effective and permitted sets).
pub fn default_capabilities() -> Vec<Capability> {
    vec![
        Capability::Chown,
        Capability::DacOverride,
        Capability::Fsetid,
        Capability::Fowner,
        Capability::Mknod,
        Capability::NetRaw,
        Capability::Setgid,
        Capability::Setuid,
        Capability::Setfcap,
        Capability::Setpcap,
        Capability::NetBindService,
        Capability::SysChroot,
        Capability::Kill,
        Capability::AuditWrite,
    ]
}

/// The base environment: `PATH`, and `HOME` (`/root` for uid 0, else `/`).
pub fn base_env(uid: u32) -> Vec<(String, String)> {
    let home = if uid == 0 { "/root" } else { "/" };
    vec![
        ("PATH".into(), DEFAULT_PATH.into()),
        ("HOME".into(), home.into()),
    ]
}

/// (destination, type, source, options) of the default mounts, in mount order.
/// `/dev` is mounted read-write, populated by the runtime, then remounted read-only
/// (its `ro` option), because the workload holds `CAP_MKNOD`.
const MOUNTS: [(&str, &str, &str, &[&str]); 9] = [
    ("/proc", "proc", "proc", &["nosuid", "noexec", "nodev"]),
    (
        "/dev",
        "tmpfs",
        "tmpfs",
        &["nosuid", "strictatime", "mode=755", "size=65536k", "ro"],
    ),
    (
        "/dev/pts",
        "devpts",
        "devpts",
        &[
            "nosuid",
            "noexec",
            "newinstance",
            "ptmxmode=0666",
            "mode=0620",
            "gid=5",
        ],
    ),
    (
        "/dev/shm",
        "tmpfs",
        "shm",
        &["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
    ),
    (
        "/dev/mqueue",
        "mqueue",
        "mqueue",
        &["nosuid", "noexec", "nodev"],
    ),
    (
        "/sys",
        "sysfs",
        "sysfs",
        &["nosuid", "noexec", "nodev", "ro"],
    ),
    (
        "/sys/fs/cgroup",
        "cgroup",
        "cgroup",
        &["nosuid", "noexec", "nodev", "relatime", "ro"],
    ),
    ("/tmp", "tmpfs", "tmpfs", &["nosuid", "nodev", "mode=1777"]),
    // Hides the host's sockets (docker, containerd, systemd, D-Bus...): the
    // read-only host root does not stop connect() on a unix socket.
    ("/run", "tmpfs", "tmpfs", &["nosuid", "nodev", "mode=755"]),
];

/// The default mounts, in mount order.
pub fn default_mounts() -> Result<Vec<Mount>, OciSpecError> {
    MOUNTS
        .iter()
        .map(|(destination, typ, source, options)| {
            MountBuilder::default()
                .destination(*destination)
                .typ(*typ)
                .source(*source)
                .options(options.iter().map(|o| o.to_string()).collect::<Vec<_>>())
                .build()
        })
        .collect()
}

/// Character devices every container's `/dev` holds: (path, major, minor).
/// The runtime adds these to any Spec that does not list them.
pub const DEFAULT_DEVICES: [(&str, i64, i64); 6] = [
    ("/dev/null", 1, 3),
    ("/dev/zero", 1, 5),
    ("/dev/full", 1, 7),
    ("/dev/random", 1, 8),
    ("/dev/urandom", 1, 9),
    ("/dev/tty", 5, 0),
];

/// The default device nodes: mode 0666, owned by root.
pub fn default_devices() -> Result<Vec<LinuxDevice>, OciSpecError> {
    DEFAULT_DEVICES
        .iter()
        .map(|(path, major, minor)| {
            LinuxDeviceBuilder::default()
                .path(*path)
                .typ(LinuxDeviceType::C)
                .major(*major)
                .minor(*minor)
                .file_mode(0o666u32)
                .uid(0u32)
                .gid(0u32)
                .build()
        })
        .collect()
}

/// New pid, network, ipc, uts, mount and cgroup namespaces (no user
/// namespace); no network namespace with [`Network::Host`] (the container
/// shares the host's).
pub fn default_namespaces(network: Network) -> Result<Vec<LinuxNamespace>, OciSpecError> {
    [
        LinuxNamespaceType::Pid,
        LinuxNamespaceType::Network,
        LinuxNamespaceType::Ipc,
        LinuxNamespaceType::Uts,
        LinuxNamespaceType::Mount,
        LinuxNamespaceType::Cgroup,
    ]
    .into_iter()
    .filter(|typ| network != Network::Host || *typ != LinuxNamespaceType::Network)
    .map(|typ| LinuxNamespaceBuilder::default().typ(typ).build())
    .collect()
}

/// Paths hidden from the workload (Docker's list).
pub const MASKED_PATHS: [&str; 11] = [
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
];

/// Paths the workload sees read-only (Docker's list).
pub const READONLY_PATHS: [&str; 5] = [
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];
