//! The container store: one directory per container under
//! `<state root>/containers/<id>/` holding `state.json` (written to a temp
//! file and renamed, never truncated in place; every change to one
//! container is serialised by an exclusive flock on the directory itself,
//! so no lock file is made), the Spec it runs
//! (`config.json`), its output (`container.log`, detached ones) and its
//! monitor's own log (`monitor.log`). Names are reserved beside it
//! (`names`). The directory outlives the process; the monitor, the
//! lifecycle commands and `gc` all go through this door.

mod names;
mod record;

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};

pub use names::{valid_name, Names};
pub use record::{now_ms, ContainerState, Phase, Status};

use crate::error::RuntimeError;

pub const STATE_FILE: &str = "state.json";
pub const CONFIG_FILE: &str = "config.json";
pub const LOG_FILE: &str = "container.log";
pub const MONITOR_LOG_FILE: &str = "monitor.log";

/// The containers recorded under one state root.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
    names: Names,
}

/// One container's state, read under its lock; the lock is held until this
/// is dropped, and `save` writes the changed state.
#[derive(Debug)]
pub struct Locked {
    _lock: Flock<File>,
    path: PathBuf,
    pub state: ContainerState,
}

impl Locked {
    pub fn save(&self) -> Result<(), RuntimeError> {
        write_state(&self.path, &self.state)
    }
}

impl Store {
    pub fn new(state_root: &Path) -> Store {
        Store {
            dir: state_root.join("containers"),
            names: Names::new(state_root),
        }
    }

    /// The directory of container `id`.
    pub fn dir(&self, id: &str) -> PathBuf {
        self.dir.join(id)
    }

    pub fn names(&self) -> &Names {
        &self.names
    }

    /// Registers a new container: reserves its name, then writes its
    /// directory and state. Nothing is left if either step fails.
    pub fn create(&self, state: &ContainerState) -> Result<(), RuntimeError> {
        self.names.reserve(&state.name, &state.id)?;
        let dir = self.dir(&state.id);
        let made = std::fs::create_dir_all(&dir)
            .map_err(RuntimeError::io("creating the container dir", &dir))
            .and_then(|()| write_state(&dir.join(STATE_FILE), state));
        if made.is_err() {
            let _ = std::fs::remove_dir_all(&dir);
            self.names.release(&state.name, &state.id);
        }
        made
    }

    /// The state of `id`, read without the lock (a consistent snapshot:
    /// writers rename whole files).
    pub fn load(&self, id: &str) -> Result<ContainerState, RuntimeError> {
        let path = self.dir(id).join(STATE_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => RuntimeError::NoSuchContainer(id.to_string()),
            _ => RuntimeError::io("reading container state", &path)(e),
        })?;
        serde_json::from_str(&text).map_err(|e| RuntimeError::BadState {
            path,
            message: e.to_string(),
        })
    }

    /// Takes the lock of `id` (waiting for other holders) and reads its state.
    pub fn lock(&self, id: &str) -> Result<Locked, RuntimeError> {
        let dir = self.dir(id);
        let file = File::open(&dir).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => RuntimeError::NoSuchContainer(id.to_string()),
            _ => RuntimeError::io("opening the container dir to lock it", &dir)(e),
        })?;
        let lock =
            Flock::lock(file, FlockArg::LockExclusive).map_err(|(_, e)| RuntimeError::Sys {
                what: "locking the container state",
                source: e,
            })?;
        let state = self.load(id)?;
        Ok(Locked {
            _lock: lock,
            path: dir.join(STATE_FILE),
            state,
        })
    }

    /// Changes the state of `id` under its lock; returns the new state.
    pub fn update(
        &self,
        id: &str,
        change: impl FnOnce(&mut ContainerState),
    ) -> Result<ContainerState, RuntimeError> {
        let mut locked = self.lock(id)?;
        change(&mut locked.state);
        locked.save()?;
        Ok(locked.state)
    }

    /// The ids of every recorded container.
    pub fn ids(&self) -> Result<Vec<String>, RuntimeError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(RuntimeError::io("listing containers", &self.dir)(e)),
        };
        let mut ids: Vec<String> = entries
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|name| !name.starts_with('.'))
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// Every container whose state can be read, oldest first; unreadable
    /// ones (a half-made directory) are returned as errors beside them.
    pub fn list(&self) -> Result<(Vec<ContainerState>, Vec<RuntimeError>), RuntimeError> {
        let (mut states, mut broken) = (Vec::new(), Vec::new());
        for id in self.ids()? {
            match self.load(&id) {
                Ok(state) => states.push(state),
                Err(e) => broken.push(e),
            }
        }
        states.sort_by_key(|s| (s.created_ms, s.id.clone()));
        Ok((states, broken))
    }

    /// The id a user's word means: an id, a name or a unique id prefix.
    pub fn resolve(&self, query: &str) -> Result<String, RuntimeError> {
        names::resolve(query, &self.ids()?, self.names.owner(query))
    }

    /// Removes the container's directory and frees its name.
    pub fn remove(&self, id: &str, name: &str) -> Result<(), RuntimeError> {
        let dir = self.dir(id);
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(RuntimeError::io("removing the container dir", &dir)(e)),
        }
        self.names.release(name, id);
        Ok(())
    }
}

/// Writes `state` to a temp file beside `path` and renames it over `path`.
fn write_state(path: &Path, state: &ContainerState) -> Result<(), RuntimeError> {
    let text = serde_json::to_vec_pretty(state).map_err(|e| RuntimeError::BadState {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let temp = path.with_extension(format!("json.{}.tmp", std::process::id()));
    let mut file = File::create(&temp).map_err(RuntimeError::io("creating state file", &temp))?;
    file.write_all(&text)
        .map_err(RuntimeError::io("writing state file", &temp))?;
    std::fs::rename(&temp, path).map_err(RuntimeError::io("replacing state file", path))
}

#[cfg(test)]
mod tests;
