//! Dropping privilege, in the order that keeps each step possible: user and
//! groups (keeping capabilities across setuid), then the capability sets
//! (bounding first, while CAP_SETPCAP is still held), then no_new_privs. After
//! this the workload cannot remount, unmount, load modules or regain caps.

use caps::{CapSet, CapsHashSet};
use nix::unistd::{setgroups, setresgid, setresuid, Gid, Uid};

use crate::child::{report, StepError};
use crate::plan::ChildPlan;
use crate::steps::Step;
use crate::sync::Channel;

pub fn switch_user(plan: &ChildPlan, channel: &Channel) -> Result<(), StepError> {
    let fail = |what: &str| StepError::sys(Step::User, what.to_string());
    let mut groups: Vec<Gid> = vec![Gid::from_raw(plan.gid)];
    groups.extend(plan.additional_gids.iter().map(|g| Gid::from_raw(*g)));
    // Keep the permitted set across the uid change; set_capabilities trims it.
    nix::sys::prctl::set_keepcaps(true).map_err(fail("prctl(PR_SET_KEEPCAPS)"))?;
    drop_bounding(&plan.caps.bounding)?;
    setgroups(&groups).map_err(fail("setgroups"))?;
    let gid = Gid::from_raw(plan.gid);
    setresgid(gid, gid, gid).map_err(fail(&format!("setresgid({})", plan.gid)))?;
    let uid = Uid::from_raw(plan.uid);
    setresuid(uid, uid, uid).map_err(fail(&format!("setresuid({})", plan.uid)))?;
    // The kernel clears the death signal when the uid changes.
    crate::child::set_death_signal(Step::User)?;
    report(
        channel,
        Step::User,
        format!("uid {} gid {}", plan.uid, plan.gid),
    )
}

/// Removes every capability outside `keep` from the bounding set.
fn drop_bounding(keep: &CapsHashSet) -> Result<(), StepError> {
    let known = caps::runtime::thread_all_supported();
    for cap in known {
        if keep.contains(&cap) {
            continue;
        }
        caps::drop(None, CapSet::Bounding, cap).map_err(|e| {
            StepError::new(
                Step::Capabilities,
                format!("dropping {cap} from the bounding set: {e}"),
            )
        })?;
    }
    Ok(())
}

pub fn set_capabilities(plan: &ChildPlan, channel: &Channel) -> Result<(), StepError> {
    let set = |which: CapSet, value: &CapsHashSet| {
        caps::set(None, which, value).map_err(|e| {
            StepError::new(
                Step::Capabilities,
                format!("setting the {which:?} set: {e}"),
            )
        })
    };
    // Effective must stay a subset of permitted at every step.
    set(
        CapSet::Effective,
        &plan
            .caps
            .effective
            .intersection(&plan.caps.permitted)
            .copied()
            .collect(),
    )?;
    set(CapSet::Permitted, &plan.caps.permitted)?;
    set(CapSet::Effective, &plan.caps.effective)?;
    set(CapSet::Inheritable, &plan.caps.inheritable)?;
    // The kernel only allows ambient capabilities that are also permitted and
    // inheritable; like runc, leave out the others rather than fail.
    let ambient: CapsHashSet = plan
        .caps
        .ambient
        .iter()
        .filter(|c| plan.caps.permitted.contains(c) && plan.caps.inheritable.contains(c))
        .copied()
        .collect();
    set(CapSet::Ambient, &ambient)?;
    nix::sys::prctl::set_keepcaps(false).map_err(StepError::sys(
        Step::Capabilities,
        "prctl(PR_SET_KEEPCAPS, 0)",
    ))?;
    let mut names: Vec<String> = plan.caps.bounding.iter().map(|c| c.to_string()).collect();
    names.sort();
    report(
        channel,
        Step::Capabilities,
        format!(
            "bounding set {} capabilities: {}; {} ambient ({} requested)",
            names.len(),
            names.join(" "),
            ambient.len(),
            plan.caps.ambient.len()
        ),
    )
}

pub fn set_no_new_privileges(channel: &Channel) -> Result<(), StepError> {
    nix::sys::prctl::set_no_new_privs().map_err(StepError::sys(
        Step::NoNewPrivileges,
        "prctl(PR_SET_NO_NEW_PRIVS)",
    ))?;
    report(channel, Step::NoNewPrivileges, "no_new_privs set")
}
