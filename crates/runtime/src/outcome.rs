//! How a container run ended, and the exit code `containerctl run` reports
//! for it: the workload's own code, 128+N when killed by signal N, 137 with
//! "OOM killed" when the kernel's OOM killer fired in its memory cgroup (read
//! from memory.events / memory.oom_control, not guessed), 124 on timeout.

use std::time::Duration;

use nix::sys::signal::Signal;

/// Exit code when the run's `timeout` expired (as coreutils `timeout`).
pub const EXIT_TIMED_OUT: i32 = 124;
/// Exit code of a process killed by SIGKILL, and of an OOM kill.
pub const EXIT_KILLED: i32 = 128 + 9;

/// What the container's PID 1 ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Exited(i32),
    Signaled(i32),
}

#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub status: Status,
    /// OOM kills counted in the container's memory cgroup.
    pub oom_kills: u64,
    pub timed_out: Option<Duration>,
    /// The signal containerctl received that made it stop the container.
    pub stopped_by: Option<Signal>,
    pub stats: Option<cgroups::Stats>,
}

impl RunOutcome {
    /// The workload's status as a shell reports it (128+N for signal N).
    fn status_code(&self) -> i32 {
        match self.status {
            Status::Exited(code) => code,
            Status::Signaled(signo) => 128 + signo,
        }
    }

    /// Killed by SIGKILL (directly, or reported as 137 by the tiny init)
    /// while the cgroup counted an OOM kill.
    pub fn oom_killed(&self) -> bool {
        self.oom_kills > 0 && self.status_code() == EXIT_KILLED
    }

    pub fn exit_code(&self) -> i32 {
        if self.timed_out.is_some() {
            EXIT_TIMED_OUT
        } else {
            self.status_code()
        }
    }

    /// One line for the log: why the container ended.
    pub fn describe(&self) -> String {
        let base = match self.status {
            Status::Exited(code) => format!("exited with code {code}"),
            Status::Signaled(signo) => match Signal::try_from(signo) {
                Ok(signal) => format!("killed by {signal}"),
                Err(_) => format!("killed by signal {signo}"),
            },
        };
        let mut text = if self.oom_killed() {
            format!("OOM killed: the memory limit was reached ({base})")
        } else {
            base
        };
        if let Some(limit) = self.timed_out {
            text = format!("timed out after {:?}, stopped: {text}", limit);
        } else if let Some(signal) = self.stopped_by {
            text = format!("stopped on {signal}: {text}");
        }
        if self.oom_kills > 0 && !self.oom_killed() {
            text.push_str(&format!(
                " ({} process(es) in it were OOM killed)",
                self.oom_kills
            ));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(status: Status) -> RunOutcome {
        RunOutcome {
            status,
            oom_kills: 0,
            timed_out: None,
            stopped_by: None,
            stats: None,
        }
    }

    #[test]
    fn exit_codes_pass_through() {
        assert_eq!(outcome(Status::Exited(0)).exit_code(), 0);
        assert_eq!(outcome(Status::Exited(3)).exit_code(), 3);
        assert_eq!(outcome(Status::Signaled(15)).exit_code(), 143);
    }

    #[test]
    fn oom_kill_needs_both_the_counter_and_a_kill() {
        let mut o = outcome(Status::Signaled(9));
        assert!(!o.oom_killed());
        o.oom_kills = 1;
        assert!(o.oom_killed());
        assert_eq!(o.exit_code(), 137);
        assert!(o.describe().contains("OOM killed"));
        let mut survived = outcome(Status::Exited(0));
        survived.oom_kills = 1;
        assert!(!survived.oom_killed());
        assert!(survived.describe().contains("OOM killed"));
    }

    #[test]
    fn init_reported_kill_counts_as_oom() {
        let mut o = outcome(Status::Exited(137));
        o.oom_kills = 2;
        assert!(o.oom_killed());
    }

    #[test]
    fn timeout_wins_the_exit_code() {
        let mut o = outcome(Status::Signaled(9));
        o.timed_out = Some(Duration::from_secs(2));
        assert_eq!(o.exit_code(), 124);
        assert!(o.describe().starts_with("timed out after 2s"));
    }

    #[test]
    fn stop_signal_is_named() {
        let mut o = outcome(Status::Signaled(2));
        o.stopped_by = Some(Signal::SIGINT);
        assert_eq!(o.exit_code(), 130);
        assert!(o.describe().contains("stopped on SIGINT"));
    }
}
