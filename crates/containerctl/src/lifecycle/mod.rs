//! Containers as lasting things: every run registers its container in the
//! store under the state root (`runtime::store`) before it creates anything
//! else, records PID 1 and its cgroups once it starts and its exit status
//! when it ends, so that `ps`, `logs`, `stop`, `exec`, `gc` and the rest
//! can find it from another process. A foreground run's record goes when it
//! ends; a detached one (`run -d`, see `detach`) stays until `rm`.

pub mod detach;
pub mod reclaim;
pub mod target;

use std::fs::File;
use std::os::fd::AsRawFd;

use anyhow::Context;
use runtime::store::{self, ContainerState, Phase, Store};
use runtime::RuntimeError;

use crate::cli::Globals;

/// How a new container is named and kept.
pub struct Registration<'a> {
    pub id: &'a str,
    /// `--name`: must be free.
    pub explicit_name: Option<&'a str>,
    /// The workload's `name:`: used if free, else suffixed with the short id.
    pub default_name: Option<&'a str>,
    pub detached: bool,
    /// Keep the record after exit (detached without `--rm`).
    pub keep: bool,
    pub source: String,
    pub command: Vec<String>,
}

/// A registered container; its record follows the run and, unless kept,
/// is removed when this is dropped.
pub struct Registered {
    store: Store,
    pub state: ContainerState,
    /// A detached container's output file, kept open while it runs.
    log: Option<(File, File)>,
    finished: bool,
}

impl Registered {
    /// Records the container, choosing its name. A detached container's
    /// monitor moves its own log to `monitor.log` here.
    pub fn create(globals: &Globals, reg: &Registration) -> anyhow::Result<Registered> {
        let store = Store::new(&globals.state_root);
        let monitor = runtime::current_owner()?;
        let short = runtime::short_id(reg.id);
        let mut state = ContainerState::created(reg.id, short, monitor);
        state.detached = reg.detached;
        state.remove_on_exit = !reg.keep;
        state.source = reg.source.clone();
        state.command = reg.command.clone();
        state.cgroup_parent = globals.cgroup_parent.clone();
        create_named(&store, &mut state, reg)?;
        let mut registered = Registered {
            store,
            state,
            log: None,
            finished: false,
        };
        if reg.detached {
            registered.open_logs()?;
        }
        tracing::info!(step = "register", name = %registered.state.name, "registered as {:?}", registered.state.name);
        Ok(registered)
    }

    pub fn name(&self) -> &str {
        &self.state.name
    }

    pub fn dir(&self) -> std::path::PathBuf {
        self.store.dir(&self.state.id)
    }

    /// `container.log` for the workload, `monitor.log` for our own log
    /// (stderr of this monitor process from now on).
    fn open_logs(&mut self) -> anyhow::Result<()> {
        let dir = self.dir();
        let open = |name: &str| {
            let path = dir.join(name);
            File::options()
                .create(true)
                .append(true)
                .open(&path)
                .with_context(|| format!("opening {}", path.display()))
        };
        let monitor_log = open(store::MONITOR_LOG_FILE)?;
        // SAFETY: dup2 onto our own stderr; single-threaded at this point.
        if unsafe { libc::dup2(monitor_log.as_raw_fd(), 2) } < 0 {
            return Err(std::io::Error::last_os_error()).context("redirecting the monitor's log");
        }
        let null = File::open("/dev/null").context("opening /dev/null")?;
        self.log = Some((open(store::LOG_FILE)?, null));
        Ok(())
    }

    /// Where the workload's streams go: the log file when detached.
    pub fn stdio(&self, otherwise: runtime::Stdio) -> runtime::Stdio {
        match &self.log {
            Some((log, null)) => runtime::Stdio::Files {
                stdin: null.as_raw_fd(),
                stdout: log.as_raw_fd(),
                stderr: log.as_raw_fd(),
            },
            None => otherwise,
        }
    }

    /// Saves the Spec the container runs (for `inspect` and `exec`).
    pub fn save_spec(&self, oci: &oci_spec::runtime::Spec) {
        let path = self.dir().join(store::CONFIG_FILE);
        if let Err(e) = oci.save(&path) {
            tracing::warn!(step = "register", "could not save {}: {e}", path.display());
        }
    }

    /// PID 1 runs in the cgroups at `paths`, on these cores and GPUs, at
    /// this bridge address.
    pub fn started(
        &mut self,
        pid: i32,
        paths: Vec<std::path::PathBuf>,
        placed: crate::cli::execute::Assigned,
        address: Option<std::net::Ipv4Addr>,
    ) {
        let pid1 = runtime::process_owner(pid);
        self.change(|s| {
            s.phase = Phase::Running;
            s.pid1 = pid1;
            s.started_ms = Some(store::now_ms());
            s.cpus = placed.cpus.to_vec();
            s.gpus = placed.gpus.to_vec();
            s.address = address;
            s.cgroup_paths = paths;
        });
    }

    /// The container ended with this outcome (or failed to start).
    pub fn finished(&mut self, outcome: Result<&runtime::RunOutcome, String>) {
        self.finished = true;
        if self.state.remove_on_exit && outcome.is_ok() {
            // Its record goes on drop: nobody is left to read this state.
            return;
        }
        self.change(|s| {
            s.phase = Phase::Exited;
            s.pid1 = None;
            s.finished_ms = Some(store::now_ms());
            match outcome {
                Ok(o) => {
                    s.exit_code = Some(o.exit_code());
                    s.oom_killed = o.oom_killed();
                }
                Err(message) => s.error = Some(message),
            }
        });
    }

    fn change(&mut self, change: impl FnOnce(&mut ContainerState)) {
        match self.store.update(&self.state.id, change) {
            Ok(state) => self.state = state,
            Err(e) => tracing::warn!(
                step = "register",
                "could not update the container state: {e}"
            ),
        }
    }
}

impl Drop for Registered {
    /// A record not kept goes; one that never finished (an error on the
    /// way) goes too: nothing of a failed start is left behind.
    fn drop(&mut self) {
        if self.state.remove_on_exit || !self.finished || self.state.error.is_some() {
            if let Err(e) = self.store.remove(&self.state.id, &self.state.name) {
                tracing::warn!(step = "cleanup", "{e}");
            }
        }
    }
}

/// Registers `state` under the name `reg` asks for.
fn create_named(
    store: &Store,
    state: &mut ContainerState,
    reg: &Registration,
) -> anyhow::Result<()> {
    if let Some(name) = reg.explicit_name {
        state.name = name.to_string();
        return Ok(store.create(state)?);
    }
    let short = runtime::short_id(reg.id).to_string();
    if let Some(name) = reg.default_name.filter(|n| store::valid_name(n)) {
        state.name = name.to_string();
        match store.create(state) {
            Err(RuntimeError::NameInUse { .. }) => state.name = format!("{name}-{short}"),
            other => return Ok(other?),
        }
    } else {
        state.name = short;
    }
    Ok(store.create(state)?)
}

/// The store of this state root.
pub fn store_of(globals: &Globals) -> Store {
    Store::new(&globals.state_root)
}

/// Whether the container's monitor still runs.
pub fn monitor_alive(state: &ContainerState) -> bool {
    runtime::owner_alive(&state.monitor)
}

/// The status a user sees.
pub fn status_of(state: &ContainerState) -> store::Status {
    state.status(monitor_alive(state))
}
