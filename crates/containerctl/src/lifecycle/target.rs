//! A container named on the command line: resolved from an id, a unique id
//! prefix or a name, with its state, and the checks and handles the
//! lifecycle commands share (its cgroup, a pidfd on its PID 1 that cannot
//! hit a reused pid, waiting for its monitor to record its end).

use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

use anyhow::Context;
use nix::sys::signal::Signal;
use runtime::store::{self, ContainerState, Status, Store};
use runtime::RuntimeError;

use crate::cli::Globals;

/// A container found by a user's word.
pub struct Target {
    pub store: Store,
    pub state: ContainerState,
}

impl Target {
    pub fn find(globals: &Globals, query: &str) -> anyhow::Result<Target> {
        let store = super::store_of(globals);
        let id = store.resolve(query)?;
        let state = store.load(&id)?;
        Ok(Target { store, state })
    }

    pub fn id(&self) -> &str {
        &self.state.id
    }

    pub fn status(&self) -> Status {
        super::status_of(&self.state)
    }

    /// Takes the container's lock, refreshing the state seen here with the
    /// one read under it; changes are saved through the returned guard.
    pub fn lock(&mut self) -> anyhow::Result<store::Locked> {
        let locked = self.store.lock(&self.state.id)?;
        self.state = locked.state.clone();
        Ok(locked)
    }

    /// Reads the state again (after a change by another process).
    pub fn reload(&mut self) -> anyhow::Result<()> {
        self.state = self.store.load(&self.state.id)?;
        Ok(())
    }

    /// An error saying the container is `status` and so cannot be `why`.
    pub fn wrong_state(&self, why: &str) -> anyhow::Error {
        RuntimeError::WrongState {
            id: runtime::short_id(&self.state.id).to_string(),
            name: self.state.name.clone(),
            state: self.status().to_string(),
            why: why.to_string(),
        }
        .into()
    }

    /// Fails unless the container runs (not paused, not exited, not dead).
    pub fn require_running(&self, verb: &str) -> anyhow::Result<()> {
        match self.status() {
            Status::Running => Ok(()),
            Status::Paused => Err(self.wrong_state(&format!("resume it before you {verb} it"))),
            _ => Err(self.wrong_state(&format!("`{verb}` needs a running container"))),
        }
    }

    /// Its cgroups in every hierarchy.
    pub fn cgroup(&self) -> anyhow::Result<Box<dyn cgroups::CgroupManager>> {
        let layout = cgroups::detect()?;
        Ok(cgroups::open(
            &layout,
            &self.state.cgroup_parent,
            &self.state.id,
        ))
    }

    /// A pidfd on PID 1, checked to be the process the state recorded.
    pub fn pid1(&self) -> anyhow::Result<Process> {
        let owner = self
            .state
            .pid1
            .filter(|_| self.state.is_live())
            .ok_or_else(|| self.wrong_state("it has no running process"))?;
        Process::open(owner).ok_or_else(|| self.wrong_state("its process is gone"))
    }

    /// A pidfd on the monitor, if it still runs.
    pub fn monitor(&self) -> Option<Process> {
        Process::open(self.state.monitor)
    }

    /// Waits until the container's end is recorded and its monitor has
    /// finished (released its placement, removed a record not kept), or
    /// the monitor died, up to `limit`; true if so.
    pub fn wait_recorded(&mut self, limit: Duration) -> anyhow::Result<bool> {
        let deadline = Instant::now() + limit;
        loop {
            match self.store.load(&self.state.id) {
                Ok(state) => self.state = state,
                // Removed on exit (`--rm`, a foreground run): only the monitor is left to end.
                Err(RuntimeError::NoSuchContainer(_)) => {}
                Err(e) => return Err(e.into()),
            }
            if !super::monitor_alive(&self.state) {
                return Ok(true);
            }
            if Instant::now() >= deadline {
                return Ok(false);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A process held by a pidfd (PID 1, a monitor).
pub struct Process {
    fd: OwnedFd,
    pub pid: i32,
}

impl Process {
    /// A pidfd on `owner`, if that very process (pid and start time) runs.
    pub fn open(owner: sched::Owner) -> Option<Process> {
        // SAFETY: pidfd_open has no memory arguments.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, owner.pid, 0) };
        if fd < 0 {
            return None;
        }
        // SAFETY: a fresh descriptor from pidfd_open.
        let fd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
        // Checked after opening: the pidfd cannot move to a reused pid.
        runtime::owner_alive(&owner).then_some(Process { fd, pid: owner.pid })
    }

    pub fn signal(&self, signal: Signal) -> anyhow::Result<()> {
        // SAFETY: pidfd_send_signal on our pidfd, no siginfo.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                self.fd.as_raw_fd(),
                signal as i32,
                std::ptr::null::<libc::siginfo_t>(),
                0,
            )
        };
        if rc < 0 {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::ESRCH) {
                return Err(e).with_context(|| format!("sending {signal} to pid {}", self.pid));
            }
        }
        Ok(())
    }

    /// Waits up to `limit` for the process to end; true if it did.
    pub fn wait_exit(&self, limit: Duration) -> bool {
        use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let ms = PollTimeout::try_from(left.as_millis().min(60_000) as i32)
                .unwrap_or(PollTimeout::MAX);
            let mut fds = [PollFd::new(self.fd.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, ms) {
                Ok(n) if n > 0 => return true,
                Ok(_) if left.is_zero() => return false,
                Ok(_) | Err(nix::errno::Errno::EINTR) => {}
                Err(_) => return false,
            }
        }
    }
}
