//! Process limits: resource limits (OCI process.rlimits) with setrlimit, and
//! the OOM killer's preference (process.oomScoreAdj), applied before
//! capabilities are dropped so hard limits can still be raised.

use nix::sys::resource::{setrlimit, Resource};
use oci_spec::runtime::{PosixRlimit, PosixRlimitType};

use crate::child::{report, StepError};
use crate::steps::Step;
use crate::sync::Channel;
use crate::RuntimeError;

#[derive(Debug, Clone, PartialEq)]
pub struct RlimitPlan {
    pub resource: Resource,
    pub soft: u64,
    pub hard: u64,
}

pub fn plan(rlimits: &[PosixRlimit]) -> Result<Vec<RlimitPlan>, RuntimeError> {
    rlimits
        .iter()
        .map(|r| {
            Ok(RlimitPlan {
                resource: resource(r.typ())?,
                soft: r.soft(),
                hard: r.hard(),
            })
        })
        .collect()
}

fn resource(kind: PosixRlimitType) -> Result<Resource, RuntimeError> {
    use PosixRlimitType as T;
    Ok(match kind {
        T::RlimitCpu => Resource::RLIMIT_CPU,
        T::RlimitFsize => Resource::RLIMIT_FSIZE,
        T::RlimitData => Resource::RLIMIT_DATA,
        T::RlimitStack => Resource::RLIMIT_STACK,
        T::RlimitCore => Resource::RLIMIT_CORE,
        T::RlimitRss => Resource::RLIMIT_RSS,
        T::RlimitNproc => Resource::RLIMIT_NPROC,
        T::RlimitNofile => Resource::RLIMIT_NOFILE,
        T::RlimitMemlock => Resource::RLIMIT_MEMLOCK,
        T::RlimitAs => Resource::RLIMIT_AS,
        T::RlimitLocks => Resource::RLIMIT_LOCKS,
        T::RlimitSigpending => Resource::RLIMIT_SIGPENDING,
        T::RlimitMsgqueue => Resource::RLIMIT_MSGQUEUE,
        T::RlimitNice => Resource::RLIMIT_NICE,
        T::RlimitRtprio => Resource::RLIMIT_RTPRIO,
        T::RlimitRttime => Resource::RLIMIT_RTTIME,
        #[allow(unreachable_patterns)]
        other => return Err(RuntimeError::Unsupported(format!("rlimit {other:?}"))),
    })
}

pub fn apply(
    limits: &[RlimitPlan],
    oom_score_adj: Option<i32>,
    channel: &Channel,
) -> Result<(), StepError> {
    for limit in limits {
        setrlimit(limit.resource, limit.soft, limit.hard).map_err(StepError::sys(
            Step::Limits,
            format!(
                "setrlimit({:?}, {}, {})",
                limit.resource, limit.soft, limit.hard
            ),
        ))?;
    }
    if let Some(score) = oom_score_adj {
        std::fs::write("/proc/self/oom_score_adj", score.to_string()).map_err(|e| {
            StepError::new(Step::Limits, format!("writing oom_score_adj {score}: {e}"))
        })?;
    }
    if limits.is_empty() && oom_score_adj.is_none() {
        return Ok(());
    }
    report(
        channel,
        Step::Limits,
        format!(
            "{} rlimits set, oom_score_adj {oom_score_adj:?}",
            limits.len()
        ),
    )
}
