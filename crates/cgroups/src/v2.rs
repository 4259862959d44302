//! The cgroup v2 back end, for unified hosts. The container's cgroup is
//! `<root>/<parent>/<id>`. Creating it first enables the cpu, cpuset,
//! memory and pids controllers (those the root offers) in the root's and
//! the parent's cgroup.subtree_control, writing only the missing ones.
//! Limits go to cpu.max, cpuset.cpus, memory.max, memory.swap.max and
//! pids.max; freezing uses cgroup.freeze and waits for "frozen 1" in
//! cgroup.events; killing uses cgroup.kill where the kernel has it.

use std::path::{Path, PathBuf};

use crate::common::{self, Owned, Timing};
use crate::stats::{self, has_word};
use crate::{fsutil, CgroupError, CgroupManager, CgroupVersion, Resources, Stats};

/// The controllers containerctl uses, in the order they are enabled.
const WANTED: [&str; 4] = ["cpu", "cpuset", "memory", "pids"];

/// The period written with a quota when none is given (the kernel default).
pub(crate) const DEFAULT_PERIOD_US: u64 = 100_000;

/// A container's cgroup on a unified (v2) host.
#[derive(Debug)]
pub(crate) struct V2Manager {
    root: PathBuf,
    parent: String,
    id: String,
    owned: Owned,
    pub(crate) timing: Timing,
}

impl V2Manager {
    pub(crate) fn new(root: PathBuf, parent: &str, id: &str) -> Self {
        V2Manager {
            root,
            parent: parent.to_string(),
            id: id.to_string(),
            owned: Owned::default(),
            timing: Timing::default(),
        }
    }

    fn dir(&self) -> PathBuf {
        self.root.join(&self.parent).join(&self.id)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir().join(name)
    }

    fn check(&self) -> Result<(), CgroupError> {
        common::check_name("parent", &self.parent)?;
        common::check_name("id", &self.id)
    }
}

/// The text for cpu.max, or `None` when neither quota nor period is set.
/// A quota of zero or less means no quota ("max").
pub(crate) fn cpu_max(quota: Option<i64>, period: Option<u64>) -> Option<String> {
    if quota.is_none() && period.is_none() {
        return None;
    }
    let period = period.unwrap_or(DEFAULT_PERIOD_US);
    Some(match quota {
        Some(q) if q > 0 => format!("{q} {period}"),
        _ => format!("max {period}"),
    })
}

/// Enable in `dir`'s cgroup.subtree_control those of `wanted` that `dir`
/// offers (its cgroup.controllers) and that are not enabled yet: one write
/// of all of them, or, if the kernel refuses that, one write each. A
/// controller that cannot be enabled is logged as a warning; the limits
/// that need it then fail on their own missing file.
fn enable_controllers(dir: &Path, wanted: &[&str]) -> Result<(), CgroupError> {
    let offered = fsutil::read(&dir.join("cgroup.controllers"))?;
    let control = dir.join("cgroup.subtree_control");
    let enabled = fsutil::read(&control)?;
    let missing: Vec<String> = wanted
        .iter()
        .filter(|c| has_word(&offered, c) && !has_word(&enabled, c))
        .map(|c| format!("+{c}"))
        .collect();
    if missing.is_empty() || fsutil::write(&control, &missing.join(" ")).is_ok() {
        return Ok(());
    }
    for one in &missing {
        if let Err(e) = fsutil::write(&control, one) {
            if !fsutil::exists(dir) {
                return Err(e);
            }
            tracing::warn!(step = "cgroup", error = %e, "could not enable a controller");
        }
    }
    Ok(())
}

impl CgroupManager for V2Manager {
    fn create(&mut self) -> Result<(), CgroupError> {
        self.check()?;
        self.owned = Owned::Roots(Vec::new());
        let offered = fsutil::read(&self.root.join("cgroup.controllers"))?;
        let wanted: Vec<&str> = WANTED
            .into_iter()
            .filter(|c| has_word(&offered, c))
            .collect();
        enable_controllers(&self.root, &wanted)?;
        let child = common::create_leaf(&self.root, &self.parent, &self.id, |parent| {
            enable_controllers(parent, &wanted)
        })?;
        // A parent made again by a racing process may not have them yet.
        let parent = self.root.join(&self.parent);
        if let Err(e) = enable_controllers(&parent, &wanted) {
            let roots = [self.root.clone()];
            let busy = self.timing.busy;
            let (left, _) = common::remove_leaves(&roots, &self.parent, &self.id, busy);
            self.owned = Owned::Roots(left);
            return Err(e);
        }
        tracing::debug!(step = "cgroup", path = %child.display(), "created v2 cgroup");
        self.owned = Owned::Roots(vec![self.root.clone()]);
        Ok(())
    }

    fn apply(&self, r: &Resources) -> Result<(), CgroupError> {
        self.check()?;
        if r.cpu_period_us == Some(0) {
            return Err(CgroupError::InvalidValue {
                what: "cpu period",
                reason: "must be greater than 0".into(),
            });
        }
        if let Some(value) = cpu_max(r.cpu_quota_us, r.cpu_period_us) {
            fsutil::write(&self.file("cpu.max"), &value)?;
        }
        if let Some(cpus) = &r.cpus {
            fsutil::write(&self.file("cpuset.cpus"), cpus)?;
        }
        if let Some(bytes) = r.memory_max {
            fsutil::write(&self.file("memory.max"), &limit_text(bytes))?;
        }
        if r.swap_off && !fsutil::write_optional(&self.file("memory.swap.max"), "0")? {
            tracing::debug!(
                step = "cgroup",
                "no memory.swap.max (no swap accounting); skipped"
            );
        }
        if let Some(pids) = r.pids_max {
            fsutil::write(&self.file("pids.max"), &limit_text(pids))?;
        }
        Ok(())
    }

    fn add_task(&self, pid: i32) -> Result<(), CgroupError> {
        self.check()?;
        check_pid(pid)?;
        fsutil::write(&self.file("cgroup.procs"), &pid.to_string())
    }

    fn freeze(&self) -> Result<(), CgroupError> {
        self.check()?;
        fsutil::write(&self.file("cgroup.freeze"), "1")?;
        let events = self.file("cgroup.events");
        let t = self.timing;
        common::wait_until("\"frozen 1\"", &events, t.freeze, t.poll, || {
            fsutil::read_parsed(&events, |text| stats::keyed(text, "frozen")).map(|v| v == Some(1))
        })
    }

    fn thaw(&self) -> Result<(), CgroupError> {
        self.check()?;
        fsutil::write(&self.file("cgroup.freeze"), "0")
    }

    fn stats(&self) -> Result<Stats, CgroupError> {
        self.check()?;
        let controllers = fsutil::read(&self.file("cgroup.controllers"))?;
        let cpu = fsutil::read_parsed(&self.file("cpu.stat"), stats::parse_cpu_stat_v2)?;
        let mut s = Stats {
            cpu_usage_us: cpu.usage_us,
            nr_periods: cpu.nr_periods,
            nr_throttled: cpu.nr_throttled,
            throttled_us: cpu.throttled_us,
            ..Stats::default()
        };
        if has_word(&controllers, "memory") {
            s.memory_current = fsutil::read_parsed(&self.file("memory.current"), stats::parse_u64)?;
            s.memory_peak =
                fsutil::read_parsed_optional(&self.file("memory.peak"), stats::parse_u64)?;
            s.memory_max = fsutil::read_parsed(&self.file("memory.max"), stats::parse_max)?;
            s.oom_kills = fsutil::read_parsed(&self.file("memory.events"), stats::parse_oom_kill)?;
        }
        if has_word(&controllers, "pids") {
            s.pids_current = fsutil::read_parsed(&self.file("pids.current"), stats::parse_u64)?;
        }
        Ok(s)
    }

    fn pids(&self) -> Result<Vec<i32>, CgroupError> {
        self.check()?;
        let mut pids = fsutil::read_parsed(&self.file("cgroup.procs"), stats::parse_pids)?;
        pids.sort_unstable();
        Ok(pids)
    }

    fn kill_all(&self) -> Result<(), CgroupError> {
        self.check()?;
        // Nothing of ours to kill: a failed create (the id may be another
        // container's), a cgroup already gone, or no process left.
        let gone = !fsutil::exists(&self.dir());
        if self.owned.made_nothing() || gone || self.pids()?.is_empty() {
            return Ok(());
        }
        let kill = self.file("cgroup.kill");
        if fsutil::exists(&kill) {
            fsutil::write(&kill, "1")?;
        }
        common::kill_until_empty(&self.file("cgroup.procs"), &self.timing, || self.pids())
    }

    fn remove(&mut self) -> Result<(), CgroupError> {
        self.check()?;
        let targets = self.owned.targets(vec![self.root.clone()]);
        let busy = self.timing.busy;
        let (left, error) = common::remove_leaves(&targets, &self.parent, &self.id, busy);
        self.owned = Owned::Roots(left);
        error.map_or(Ok(()), Err)
    }

    fn paths(&self) -> Vec<PathBuf> {
        vec![self.dir()]
    }

    fn version(&self) -> CgroupVersion {
        CgroupVersion::V2
    }
}

/// A v2 limit: the number, or "max" for zero or less.
fn limit_text(value: i64) -> String {
    if value > 0 {
        value.to_string()
    } else {
        "max".to_string()
    }
}

/// Writing 0 to cgroup.procs would move the writer itself: refuse it.
pub(crate) fn check_pid(pid: i32) -> Result<(), CgroupError> {
    if pid > 0 {
        Ok(())
    } else {
        Err(CgroupError::InvalidValue {
            what: "pid",
            reason: format!("{pid} is not a process id (must be greater than 0)"),
        })
    }
}
