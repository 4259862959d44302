//! `rm [-f] ID…` and `gc`. `rm` removes an exited container's record and
//! log; a running or paused one only with `-f` (killed first, as `docker rm
//! -f`), and one whose monitor died only with `-f` (its leftovers are
//! reclaimed). `gc` reclaims every container whose monitor died and what no
//! container owns any more (runtime state dirs, names, ledger placements).

use std::time::Duration;

use nix::sys::signal::Signal;
use runtime::store::Status;

use super::Globals;
use crate::lifecycle::{reclaim, target::Target};

#[derive(Debug, clap::Args)]
pub struct RmArgs {
    /// Kill a running or paused container first; clean up a dead one.
    #[arg(short, long)]
    pub force: bool,
    #[arg(required = true, value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

pub fn rm(globals: &Globals, args: RmArgs) -> anyhow::Result<i32> {
    for query in &args.containers {
        let mut target = Target::find(globals, query)?;
        remove_one(globals, &mut target, args.force)?;
        println!("{query}");
    }
    Ok(0)
}

/// Removes one container (killing it first with `force`).
pub fn remove_one(globals: &Globals, target: &mut Target, force: bool) -> anyhow::Result<()> {
    match target.status() {
        Status::Exited(_) | Status::OomKilled(_) => {}
        Status::Dead if force => {}
        Status::Dead => return Err(target.wrong_state("its monitor is gone: use `rm -f` or `gc`")),
        _ if !force => return Err(target.wrong_state("stop it first, or use `rm -f`")),
        Status::Created => super::stop::stop_one(target, Duration::ZERO)?,
        _ => {
            // PID 1 may have exited just now: its monitor records that.
            if let Ok(pid1) = target.pid1() {
                pid1.signal(Signal::SIGKILL)?;
            }
            super::stop::thaw_if_paused(target)?;
            target.wait_recorded(Duration::from_secs(10))?;
        }
    }
    // A foreground run removes its own record when it ends.
    if let Err(e) = target.reload() {
        return match e.downcast_ref::<runtime::RuntimeError>() {
            Some(runtime::RuntimeError::NoSuchContainer(_)) => Ok(()),
            _ => Err(e),
        };
    }
    if target.state.is_live() {
        reclaim::reclaim(globals, &target.store, &target.state)?;
    } else {
        target.store.remove(target.id(), &target.state.name)?;
    }
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct GcArgs {}

pub fn gc(globals: &Globals, _args: GcArgs) -> anyhow::Result<i32> {
    let collected = reclaim::collect(globals)?;
    for (id, name) in &collected.dead {
        println!("reclaimed container {id} ({name}): its monitor was gone");
    }
    for stray in &collected.strays {
        println!("removed stray {stray}");
    }
    if collected.dead.is_empty() && collected.strays.is_empty() {
        println!("nothing to clean up");
    }
    Ok(0)
}
