//! `pause ID…` freezes every process of a running container with the cgroup
//! freezer; `resume ID…` (alias `unpause`) thaws a paused one. The phase is
//! changed under the container's lock, so two commands cannot race.

use runtime::store::Phase;

use super::Globals;
use crate::lifecycle::target::Target;

#[derive(Debug, clap::Args)]
pub struct PauseArgs {
    #[arg(required = true, value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

pub fn pause(globals: &Globals, args: PauseArgs) -> anyhow::Result<i32> {
    for query in &args.containers {
        let mut target = Target::find(globals, query)?;
        let mut locked = target.lock()?;
        target.require_running("pause")?;
        target.cgroup()?.freeze()?;
        locked.state.phase = Phase::Paused;
        locked.save()?;
        println!("{query}");
    }
    Ok(0)
}

pub fn resume(globals: &Globals, args: PauseArgs) -> anyhow::Result<i32> {
    for query in &args.containers {
        let mut target = Target::find(globals, query)?;
        let mut locked = target.lock()?;
        if target.status() != runtime::store::Status::Paused {
            return Err(target.wrong_state("only a paused container can be resumed"));
        }
        target.cgroup()?.thaw()?;
        locked.state.phase = Phase::Running;
        locked.save()?;
        println!("{query}");
    }
    Ok(0)
}
