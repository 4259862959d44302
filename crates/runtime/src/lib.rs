//! The runtime room: executes an OCI runtime Spec on this machine. A
//! supervisor (`run`) creates the container's cgroups and state dir, clones
//! PID 1 into new namespaces and watches it; the child performs the named
//! setup steps (cgroup namespace → mounts → pivot_root → hostname → network →
//! affinity → user → capabilities → no_new_privs → exec), reporting each over
//! a socketpair. Only this crate and `cgroups` make system calls.
//!
//! Where to look: `plan` (Spec → what the child will do, checked up front),
//! `child` (the step list), `rootfs` (with `root_mount`, `overlay`,
//! `mountpoint`), `devices`, `cgroupfs`, `net` (loopback, bridge, veth,
//! leases, published ports),
//! `security`, `affinity`, `exec`, `init`, `supervise` (the parent's event
//! loop), `cleanup`, `outcome` (exit codes), `stdio` and `pty` (terminals),
//! `enter` (a new process in a running container, like `runc exec`).

mod affinity;
mod cgroupfs;
mod child;
mod claim;
mod cleanup;
mod devices;
mod enter;
mod error;
mod exec;
mod id;
mod init;
mod join;
mod ledger_store;
mod mount_options;
mod mountpoint;
pub mod net;
mod outcome;
mod overlay;
mod plan;
pub mod pty;
mod refuse;
mod resources;
mod rlimits;
mod root_mount;
mod rootfs;
mod security;
mod signals;
mod spawn;
mod stdio;
mod steps;
pub mod store;
mod supervise;
mod sync;
mod watch;

pub use cleanup::reclaim;
pub use enter::{exec_in, exec_in_observed, ExecRequest, Target};
pub use error::{
    RuntimeError, EXIT_CANNOT_EXECUTE, EXIT_CONFLICT, EXIT_NOT_FOUND, EXIT_NO_SUCH_CONTAINER,
    EXIT_RUNTIME_FAILURE, EXIT_UNAVAILABLE,
};
pub use id::{new_container_id, short_id};
pub use ledger_store::{
    current_owner, lock_ledger, owner_alive, process_owner, read_ledger, LockedLedger, LEDGER_FILE,
    LEDGER_LOCK,
};
pub use outcome::{RunOutcome, Status, EXIT_KILLED, EXIT_TIMED_OUT};
pub use plan::ChildPlan;
pub use pty::WindowSize;
pub use stdio::Stdio;
pub use supervise::{run, run_observed, Container, Event, RunOptions};
