//! What a run has created, torn down in reverse on every path out: normal
//! exit, a setup failure, an error in the supervisor, or a signal. The
//! container's process (and with it its namespaces and mounts) is killed and
//! reaped, its cgroups are emptied and removed, its state dir deleted (with
//! an overlay's upper and work dirs; a kept upper dir is moved out first).

use std::path::PathBuf;

use nix::sys::signal::{kill, Signal};
use nix::sys::wait::waitpid;
use nix::unistd::Pid;

#[derive(Debug, Default)]
pub struct Cleanup {
    /// Container PID 1 while it has not been reaped.
    pub child: Option<Pid>,
    pub cgroup: Option<Box<dyn cgroups::CgroupManager>>,
    pub state_dir: Option<PathBuf>,
    /// Where the overlay's upper dir goes before the state dir is removed
    /// (`<state_root>/kept/<id>`), when the spec asked to keep it.
    pub keep_upper: Option<PathBuf>,
    /// The container's place on a bridge network: veth, lease, ports.
    pub network: Option<crate::net::Attachment>,
}

impl Cleanup {
    /// Tears everything down now, logging what could not be removed.
    pub fn run(&mut self) {
        if let Some(pid) = self.child.take() {
            let _ = kill(pid, Signal::SIGKILL);
            let _ = waitpid(pid, None);
        }
        if let Some(mut cgroup) = self.cgroup.take() {
            if let Err(e) = cgroup.kill_all() {
                tracing::warn!(step = "cleanup", "{e}");
            }
            match cgroup.remove() {
                Ok(()) => {
                    tracing::info!(step = "cleanup", paths = ?cgroup.paths(), "cgroups removed")
                }
                Err(e) => tracing::warn!(step = "cleanup", "{e}"),
            }
        }
        // Only now that no process of the container is left: its address
        // must not be leased again while its eth0 could still answer.
        if let Some(mut network) = self.network.take() {
            network.teardown();
        }
        if let Some(dir) = self.state_dir.take() {
            if let Some(kept) = self.keep_upper.take() {
                crate::overlay::keep_upper(&dir.join("upper"), &kept);
            }
            if let Err(e) = std::fs::remove_dir_all(&dir) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(step = "cleanup", "removing {}: {e}", dir.display());
                }
            }
        }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        self.run();
    }
}

/// Removes what a container whose supervisor died may have left on the
/// host: processes in its cgroups (killed), the cgroups, its state dir,
/// its veth and its address leases.
/// Its mounts lived in its own mount namespace and went with it.
pub fn reclaim(container: &crate::Container) {
    let mut cleanup = Cleanup {
        child: None,
        cgroup: Some(cgroups::open(
            &container.cgroup_layout,
            &container.cgroup_parent,
            &container.id,
        )),
        state_dir: Some(container.state_root.join(&container.id)),
        keep_upper: None,
        network: None,
    };
    cleanup.run();
    crate::net::reclaim(&container.state_root, &container.id);
}
