//! The runtime's one error type. Every variant names what it was doing: the
//! setup step, the path, or the system call, so a failure reads as a reason
//! ("mounting proc on /proc: Operation not permitted"), never a bare errno.

use std::path::PathBuf;

/// Exit code of a failure inside containerctl itself (docker uses the same).
pub const EXIT_RUNTIME_FAILURE: i32 = 125;
/// Exit code when the workload's program exists but cannot be executed.
pub const EXIT_CANNOT_EXECUTE: i32 = 126;
/// Exit code when the workload's program is not found.
pub const EXIT_NOT_FOUND: i32 = 127;
/// Exit code of a lifecycle command given an id or name that matches no container.
pub const EXIT_NO_SUCH_CONTAINER: i32 = 4;
/// Exit code of a lifecycle command on a container in the wrong state for it
/// (stopping an exited one, removing a running one), or a name already taken.
pub const EXIT_CONFLICT: i32 = 5;
/// Exit code when what the container needs is not free now: its subnet has
/// no address left (the CLI uses the same code for cores and GPUs).
pub const EXIT_UNAVAILABLE: i32 = 3;

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The Spec asks for something this runtime does not do.
    #[error("unsupported spec: {0}")]
    Unsupported(String),

    /// A cgroup could not be created, configured, read or removed.
    #[error(transparent)]
    Cgroup(#[from] cgroups::CgroupError),

    /// A file-system operation of the supervisor failed.
    #[error("{what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },

    /// A system call of the supervisor failed.
    #[error("{what}: {source}")]
    Sys {
        what: &'static str,
        source: nix::errno::Errno,
    },

    /// The container process reported a failure during one of its setup steps.
    #[error("container setup failed at step {step}: {message}")]
    Setup {
        step: String,
        message: String,
        exit_code: i32,
    },

    /// No container has this id, id prefix or name.
    #[error("no such container: {0}")]
    NoSuchContainer(String),

    /// An id prefix that matches several containers.
    #[error("{query:?} matches {} containers ({}); give more of the id", matches.len(), matches.join(", "))]
    AmbiguousId { query: String, matches: Vec<String> },

    /// A container name already in use.
    #[error("the name {name:?} is already in use by container {id}")]
    NameInUse { name: String, id: String },

    /// A container name docker would not accept either.
    #[error("invalid container name {0:?}: use letters, digits, '_', '.' and '-', starting with a letter or digit")]
    BadName(String),

    /// The container is not in a state the command can act on.
    #[error("container {name} ({id}) is {state}: {why}")]
    WrongState {
        id: String,
        name: String,
        state: String,
        why: String,
    },

    /// A netlink request for the container's network failed.
    #[error("network: {what}: {source}")]
    Network {
        what: &'static str,
        source: std::io::Error,
    },

    /// A bridge, subnet or link that clashes with what is on the host.
    #[error("network: {0}")]
    NetworkConflict(String),

    /// A published host port that cannot be bound.
    #[error("cannot publish port {port}: {source}")]
    PortUnavailable {
        port: String,
        source: std::io::Error,
    },

    /// An address asked for that is not a container address of the subnet.
    #[error(
        "address {address} is not a container address of {subnet} (the first is the bridge's)"
    )]
    AddressUnusable {
        address: std::net::Ipv4Addr,
        subnet: String,
    },

    /// An address asked for that another container holds.
    #[error("address {address} is already leased to container {owner}")]
    AddressInUse {
        address: std::net::Ipv4Addr,
        owner: String,
    },

    /// Every container address of the subnet is leased.
    #[error("subnet {subnet} is exhausted: all {leased} container addresses are leased")]
    SubnetExhausted { subnet: String, leased: usize },

    /// A container's state file could not be understood.
    #[error("state file {}: {message}", path.display())]
    BadState { path: PathBuf, message: String },
}

impl RuntimeError {
    /// The exit code `containerctl run` should end with for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            RuntimeError::Setup { exit_code, .. } => *exit_code,
            RuntimeError::NoSuchContainer(_) => EXIT_NO_SUCH_CONTAINER,
            RuntimeError::NameInUse { .. }
            | RuntimeError::WrongState { .. }
            | RuntimeError::NetworkConflict(_)
            | RuntimeError::AddressInUse { .. }
            | RuntimeError::PortUnavailable { .. } => EXIT_CONFLICT,
            RuntimeError::SubnetExhausted { .. } => EXIT_UNAVAILABLE,
            RuntimeError::AmbiguousId { .. }
            | RuntimeError::BadName(_)
            | RuntimeError::AddressUnusable { .. } => 2,
            _ => EXIT_RUNTIME_FAILURE,
        }
    }

    pub(crate) fn sys(what: &'static str) -> impl FnOnce(nix::errno::Errno) -> RuntimeError {
        move |source| RuntimeError::Sys { what, source }
    }

    pub(crate) fn io(
        what: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> RuntimeError {
        let path = path.into();
        move |source| RuntimeError::Io { what, path, source }
    }
}
