//! CPU affinity: pins the calling process to a list of cores with
//! sched_setaffinity. The cpuset cgroup enforces the same set from outside.

use nix::sched::{sched_setaffinity, CpuSet};
use nix::unistd::Pid;

use crate::child::StepError;
use crate::steps::Step;

/// Builds the kernel's CPU mask from a core list.
pub fn mask(cpus: &[u32]) -> Result<CpuSet, String> {
    let mut set = CpuSet::new();
    for &cpu in cpus {
        set.set(cpu as usize).map_err(|_| {
            format!(
                "core {cpu} is beyond the largest CPU mask ({})",
                CpuSet::count()
            )
        })?;
    }
    Ok(set)
}

pub fn pin_self(cpus: &[u32]) -> Result<(), StepError> {
    let set = mask(cpus).map_err(|e| StepError::new(Step::Affinity, e))?;
    sched_setaffinity(Pid::from_raw(0), &set).map_err(StepError::sys(
        Step::Affinity,
        format!("sched_setaffinity({})", spec::cpulist::format(cpus)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_holds_exactly_the_listed_cores() {
        let set = mask(&[0, 3]).expect("mask");
        assert!(set.is_set(0).expect("0"));
        assert!(!set.is_set(1).expect("1"));
        assert!(set.is_set(3).expect("3"));
    }

    #[test]
    fn mask_refuses_impossible_cores() {
        assert!(mask(&[u32::MAX]).is_err());
    }
}
