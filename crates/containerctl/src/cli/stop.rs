//! `stop` and `kill`, like docker's. `stop [-t SECS] ID…` sends SIGTERM to
//! PID 1 and SIGKILL once the grace period is over, then waits for the
//! monitor to record the exit; a stopped container stays stopped (no
//! error). `kill [-s SIG] ID…` sends one signal (SIGKILL by default) to a
//! running container. A paused container is thawed after the signal, so
//! that it can act on it; `kill` asks to resume it first.

use std::time::Duration;

use nix::sys::signal::Signal;
use runtime::store::Status;

use super::Globals;
use crate::lifecycle::target::Target;

/// How long the monitor gets to record an exit after PID 1 is gone.
const RECORD_GRACE: Duration = Duration::from_secs(10);

#[derive(Debug, clap::Args)]
pub struct StopArgs {
    /// Seconds between SIGTERM and SIGKILL.
    #[arg(
        short = 't',
        long = "time",
        default_value_t = 10.0,
        value_name = "SECS"
    )]
    pub time: f64,
    #[arg(required = true, value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct KillArgs {
    /// The signal: a name (TERM, SIGTERM) or a number.
    #[arg(short, long, default_value = "KILL", value_parser = parse_signal)]
    pub signal: Signal,
    #[arg(required = true, value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

pub fn stop(globals: &Globals, args: StopArgs) -> anyhow::Result<i32> {
    let grace = grace_period(args.time)?;
    for query in &args.containers {
        let mut target = Target::find(globals, query)?;
        stop_one(&mut target, grace)?;
        println!("{query}");
    }
    Ok(0)
}

/// Stops one container and waits until its end is recorded.
pub fn stop_one(target: &mut Target, grace: Duration) -> anyhow::Result<()> {
    match target.status() {
        Status::Exited(_) | Status::OomKilled(_) => return Ok(()),
        Status::Dead => {
            return Err(target.wrong_state("use `containerctl rm -f` or `containerctl gc`"))
        }
        // Not started yet (placing, waiting for cores): its monitor stops it.
        Status::Created => {
            if let Some(monitor) = target.monitor() {
                monitor.signal(Signal::SIGTERM)?;
            }
        }
        Status::Running | Status::Paused => {
            // No PID 1 to open: it exited just now and its monitor records that.
            if let Ok(pid1) = target.pid1() {
                pid1.signal(Signal::SIGTERM)?;
                thaw_if_paused(target)?;
                if !pid1.wait_exit(grace) {
                    tracing::info!(step = "stop", "grace period over: sending SIGKILL");
                    pid1.signal(Signal::SIGKILL)?;
                }
            }
        }
    }
    if !target.wait_recorded(grace + RECORD_GRACE)? {
        anyhow::bail!(
            "container {} did not stop within {:?}",
            target.state.name,
            grace + RECORD_GRACE
        );
    }
    Ok(())
}

pub fn kill(globals: &Globals, args: KillArgs) -> anyhow::Result<i32> {
    for query in &args.containers {
        let target = Target::find(globals, query)?;
        target.require_running("kill")?;
        target.pid1()?.signal(args.signal)?;
        println!("{query}");
    }
    Ok(0)
}

/// `-t SECS` as a duration.
pub fn grace_period(secs: f64) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(secs)
        .map_err(|_| crate::exit::BadUsage(format!("-t {secs}: not a number of seconds")).into())
}

/// A paused container cannot act on a signal until it is thawed.
pub fn thaw_if_paused(target: &mut Target) -> anyhow::Result<()> {
    let mut locked = target.lock()?;
    if locked.state.phase == runtime::store::Phase::Paused {
        target.cgroup()?.thaw()?;
        locked.state.phase = runtime::store::Phase::Running;
        locked.save()?;
    }
    Ok(())
}

/// A signal by name (`TERM`, `SIGTERM`, any case) or number.
pub fn parse_signal(text: &str) -> Result<Signal, String> {
    if let Ok(number) = text.parse::<i32>() {
        return Signal::try_from(number).map_err(|_| format!("{number} is not a signal number"));
    }
    let upper = text.to_ascii_uppercase();
    let name = if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    };
    name.parse::<Signal>()
        .map_err(|_| format!("{text:?} is not a signal name"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_by_name_or_number() {
        assert_eq!(parse_signal("TERM").unwrap(), Signal::SIGTERM);
        assert_eq!(parse_signal("sigusr1").unwrap(), Signal::SIGUSR1);
        assert_eq!(parse_signal("9").unwrap(), Signal::SIGKILL);
        assert!(parse_signal("NOPE").is_err());
        assert!(parse_signal("999").is_err());
    }
}
