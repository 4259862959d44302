//! What is known about one container: its state file's contents (id, name,
//! phase, who supervises it, PID 1, placement, times, exit status) and the
//! status shown to users, which also depends on whether its monitor still
//! lives. Pure: the liveness answer is passed in.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use sched::Owner;
use serde::{Deserialize, Serialize};

/// Where a container is in its life, as its monitor and the lifecycle
/// commands record it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Registered; PID 1 does not run yet (placement, setup).
    Created,
    Running,
    /// Frozen by `pause` (cgroup freezer).
    Paused,
    Exited,
}

/// The state file `<state root>/containers/<id>/state.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerState {
    pub id: String,
    pub name: String,
    pub phase: Phase,
    /// The process that supervises the container and records its end.
    pub monitor: Owner,
    /// PID 1 on the host, while it runs.
    pub pid1: Option<Owner>,
    /// Milliseconds since the Unix epoch.
    pub created_ms: u64,
    pub started_ms: Option<u64>,
    pub finished_ms: Option<u64>,
    pub exit_code: Option<i32>,
    pub oom_killed: bool,
    /// Why it never ran or how its monitor failed.
    pub error: Option<String>,
    /// Runs under a monitor of its own (`run -d`), not a foreground CLI.
    pub detached: bool,
    /// Its record goes when it exits (foreground runs, `run -d --rm`).
    pub remove_on_exit: bool,
    /// The workload file or bundle it came from.
    pub source: String,
    pub command: Vec<String>,
    pub cpus: Vec<u32>,
    pub gpus: Vec<u32>,
    pub cgroup_parent: String,
    pub cgroup_paths: Vec<PathBuf>,
    /// Its address on the bridge (`network: bridge`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<std::net::Ipv4Addr>,
}

impl ContainerState {
    /// A container just registered by `monitor`, not started yet.
    pub fn created(id: &str, name: &str, monitor: Owner) -> ContainerState {
        ContainerState {
            id: id.to_string(),
            name: name.to_string(),
            phase: Phase::Created,
            monitor,
            pid1: None,
            created_ms: now_ms(),
            started_ms: None,
            finished_ms: None,
            exit_code: None,
            oom_killed: false,
            error: None,
            detached: false,
            remove_on_exit: true,
            source: String::new(),
            command: Vec::new(),
            cpus: Vec::new(),
            gpus: Vec::new(),
            cgroup_parent: String::new(),
            cgroup_paths: Vec::new(),
            address: None,
        }
    }

    /// True while it may still have processes or resources: not exited.
    pub fn is_live(&self) -> bool {
        self.phase != Phase::Exited
    }

    /// The status a user sees. `monitor_alive` says whether the monitor
    /// process recorded in the state still runs.
    pub fn status(&self, monitor_alive: bool) -> Status {
        if self.is_live() && !monitor_alive {
            return Status::Dead;
        }
        match self.phase {
            Phase::Created => Status::Created,
            Phase::Running => Status::Running,
            Phase::Paused => Status::Paused,
            Phase::Exited if self.oom_killed => Status::OomKilled(self.exit_code.unwrap_or(137)),
            Phase::Exited => Status::Exited(self.exit_code.unwrap_or(-1)),
        }
    }
}

/// A container's status as `ps` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Created,
    Running,
    Paused,
    Exited(i32),
    OomKilled(i32),
    /// Not exited, but its monitor is gone: `gc` or `rm -f` cleans it up.
    Dead,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Status::Created => f.write_str("created"),
            Status::Running => f.write_str("running"),
            Status::Paused => f.write_str("paused"),
            Status::Exited(code) => write!(f, "exited ({code})"),
            Status::OomKilled(code) => write!(f, "OOM killed ({code})"),
            Status::Dead => f.write_str("dead (monitor gone)"),
        }
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(phase: Phase) -> ContainerState {
        let owner = Owner {
            pid: 1,
            start_ticks: 1,
        };
        ContainerState {
            phase,
            ..ContainerState::created("abc", "web", owner)
        }
    }

    #[test]
    fn a_live_container_without_its_monitor_is_dead() {
        for phase in [Phase::Created, Phase::Running, Phase::Paused] {
            assert_eq!(state(phase).status(false), Status::Dead);
        }
        assert_eq!(state(Phase::Running).status(true), Status::Running);
        assert_eq!(state(Phase::Paused).status(true), Status::Paused);
    }

    #[test]
    fn an_exited_container_shows_its_code_or_the_oom_kill() {
        let mut s = state(Phase::Exited);
        s.exit_code = Some(3);
        assert_eq!(s.status(false).to_string(), "exited (3)");
        s.oom_killed = true;
        s.exit_code = Some(137);
        assert_eq!(s.status(false).to_string(), "OOM killed (137)");
    }

    #[test]
    fn the_state_file_round_trips() {
        let s = state(Phase::Running);
        let text = serde_json::to_string(&s).expect("json");
        assert!(text.contains("\"phase\":\"running\""));
        let back: ContainerState = serde_json::from_str(&text).expect("parse");
        assert_eq!(back, s);
    }
}
