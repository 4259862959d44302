//! The allocation ledger on disk: `<state root>/ledger.json`, guarded by an
//! exclusive `flock` on `<state root>/ledger.lock` so that concurrent
//! `containerctl` processes see each other's placements. Writes go to a temp
//! file that is renamed over the old one, so a crash never leaves half a
//! ledger. Placements whose owner process is gone (a CLI killed with
//! SIGKILL) are repaired away on every lock.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use nix::fcntl::Flock;
use sched::{Ledger, Owner, Placement};

use crate::error::RuntimeError;

/// File name of the ledger under the state root.
pub const LEDGER_FILE: &str = "ledger.json";
/// File name of the lock guarding it.
pub const LEDGER_LOCK: &str = "ledger.lock";

/// The ledger, read under its lock; the lock is held until this is dropped.
#[derive(Debug)]
pub struct LockedLedger {
    _lock: Flock<File>,
    path: PathBuf,
    pub ledger: Ledger,
}

/// Takes the ledger lock under `state_root` (waiting for other holders),
/// reads the ledger, and drops placements whose owner has died. Those are
/// returned in `repaired`, for the log.
pub fn lock_ledger(state_root: &Path) -> Result<(LockedLedger, Vec<Placement>), RuntimeError> {
    std::fs::create_dir_all(state_root)
        .map_err(RuntimeError::io("creating state root", state_root))?;
    let lock = crate::claim::lock_exclusive(&state_root.join(LEDGER_LOCK))?;
    let path = state_root.join(LEDGER_FILE);
    let ledger = read_ledger(&path)?;
    let mut locked = LockedLedger {
        _lock: lock,
        path,
        ledger,
    };
    let repaired = locked.ledger.retain_live(|p| owner_alive(&p.owner));
    locked.ledger.waiting.retain(|_, w| owner_alive(&w.owner));
    Ok((locked, repaired))
}

/// Reads the ledger file; a missing file is an empty ledger.
pub fn read_ledger(path: &Path) -> Result<Ledger, RuntimeError> {
    match std::fs::read(path) {
        // An empty file is what a crash between create and write can leave.
        Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => Ok(Ledger::default()),
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| RuntimeError::Io {
            what: "reading ledger (remove the file if no container of ours runs)",
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Ledger::default()),
        Err(e) => Err(RuntimeError::io("reading ledger", path)(e)),
    }
}

impl LockedLedger {
    /// Writes the ledger back atomically (temp file, then rename).
    pub fn save(&self) -> Result<(), RuntimeError> {
        let temp = self.path.with_extension("json.tmp");
        let text = serde_json::to_vec_pretty(&self.ledger).map_err(|e| RuntimeError::Io {
            what: "encoding ledger",
            path: self.path.clone(),
            source: std::io::Error::other(e),
        })?;
        let mut file = File::create(&temp).map_err(RuntimeError::io("writing ledger", &temp))?;
        // No fsync: the ledger describes running processes, which a crash
        // ends too; rename-over is atomic, and an empty file (what a crash
        // can leave on some file systems) reads as an empty ledger.
        file.write_all(&text)
            .map_err(RuntimeError::io("writing ledger", &temp))?;
        std::fs::rename(&temp, &self.path).map_err(RuntimeError::io("replacing ledger", &self.path))
    }
}

/// This process as a ledger owner: its pid and its start time.
pub fn current_owner() -> Result<Owner, RuntimeError> {
    let pid = std::process::id() as i32;
    let start_ticks = start_ticks(pid).ok_or_else(|| RuntimeError::Io {
        what: "reading own start time",
        path: PathBuf::from("/proc/self/stat"),
        source: std::io::Error::from(std::io::ErrorKind::InvalidData),
    })?;
    Ok(Owner { pid, start_ticks })
}

/// True while the owner's process still runs (same pid and same start time,
/// so a reused pid does not keep a dead placement alive).
pub fn owner_alive(owner: &Owner) -> bool {
    start_ticks(owner.pid) == Some(owner.start_ticks)
}

/// The process `pid` as an owner, if it runs.
pub fn process_owner(pid: i32) -> Option<Owner> {
    start_ticks(pid).map(|start_ticks| Owner { pid, start_ticks })
}

/// Field 22 of /proc/PID/stat: the process start time in clock ticks.
/// A zombie (dead, not yet reaped by its parent) has none: it is not running.
fn start_ticks(pid: i32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and ')': fields restart after the last ')'.
    let mut fields = text[text.rfind(')')? + 1..].split_whitespace();
    if matches!(fields.next(), Some("Z" | "X")) {
        return None;
    }
    fields.nth(18)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_process_is_alive_and_a_changed_start_time_is_not() {
        let me = current_owner().unwrap();
        assert!(owner_alive(&me));
        let reused = Owner {
            start_ticks: me.start_ticks + 1,
            ..me
        };
        assert!(!owner_alive(&reused));
    }

    #[test]
    fn missing_ledger_is_empty_and_saves_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let (mut locked, repaired) = lock_ledger(dir.path()).unwrap();
        assert!(repaired.is_empty());
        assert_eq!(locked.ledger, Ledger::default());
        locked.ledger.placements.insert(
            "a".into(),
            Placement {
                id: "a".into(),
                name: "a".into(),
                owner: current_owner().unwrap(),
                placed_at_ms: 1,
                cpu: sched::CpuGrant {
                    cpus: vec![0],
                    pinned: true,
                    exclusive: true,
                    millis: Some(1000),
                },
                gpus: vec![],
            },
        );
        locked.save().unwrap();
        drop(locked);
        let (again, repaired) = lock_ledger(dir.path()).unwrap();
        assert!(repaired.is_empty());
        assert_eq!(again.ledger.placements.len(), 1);
    }

    #[test]
    fn placements_of_dead_owners_are_repaired_away() {
        let dir = tempfile::tempdir().unwrap();
        let (mut locked, _) = lock_ledger(dir.path()).unwrap();
        let mut dead = current_owner().unwrap();
        dead.start_ticks += 7;
        locked.ledger.placements.insert(
            "gone".into(),
            Placement {
                id: "gone".into(),
                name: "gone".into(),
                owner: dead,
                placed_at_ms: 1,
                cpu: sched::CpuGrant {
                    cpus: vec![0],
                    pinned: false,
                    exclusive: false,
                    millis: None,
                },
                gpus: vec![],
            },
        );
        locked.save().unwrap();
        drop(locked);
        let (again, repaired) = lock_ledger(dir.path()).unwrap();
        assert_eq!(repaired.len(), 1);
        assert!(again.ledger.placements.is_empty());
    }

    #[test]
    fn corrupt_ledger_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(LEDGER_FILE), "{not json").unwrap();
        let err = lock_ledger(dir.path()).unwrap_err().to_string();
        assert!(err.contains("ledger.json"), "{err}");
    }
}
