//! Facts about this machine that validation needs: the CPUs containerctl may
//! use (its own affinity mask, which honours the cpuset it was started in).

use nix::sched::{sched_getaffinity, CpuSet};
use nix::unistd::Pid;

pub fn facts() -> anyhow::Result<spec::HostFacts> {
    let mask = sched_getaffinity(Pid::from_raw(0))?;
    let cpus = (0..CpuSet::count())
        .filter(|&cpu| mask.is_set(cpu).unwrap_or(false))
        .map(|cpu| cpu as u32)
        .collect();
    Ok(spec::HostFacts { cpus })
}
