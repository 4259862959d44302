//! The cgroup v1 back end, for legacy and hybrid hosts. It uses every
//! mounted hierarchy that carries cpu, cpuacct, cpuset, memory, pids or
//! freezer (co-mounted ones such as cpu,cpuacct once) and makes
//! `<mount>/<parent>/<id>` in each. A new cpuset cgroup starts with empty
//! cpuset.cpus and cpuset.mems and then refuses tasks, so the parent and
//! the child are filled from the level above. memory.memsw is kept at or
//! above memory.limit_in_bytes by writing the two in the order the kernel
//! accepts.

use std::path::PathBuf;

use crate::common::{self, Owned, Timing};
use crate::stats;
use crate::v1_rules::{apply_memory, fill_cpuset};
use crate::v2::check_pid;
use crate::{fsutil, CgroupError, CgroupManager, CgroupVersion, Resources, Stats, V1Hierarchy};

/// The controllers containerctl uses.
const USED: [&str; 6] = ["cpu", "cpuacct", "cpuset", "memory", "pids", "freezer"];

/// A container's cgroups on a v1 (legacy or hybrid) host.
#[derive(Debug)]
pub(crate) struct V1Manager {
    hierarchies: Vec<V1Hierarchy>,
    parent: String,
    id: String,
    owned: Owned,
    pub(crate) timing: Timing,
}

impl V1Manager {
    pub(crate) fn new(all: &[V1Hierarchy], parent: &str, id: &str) -> Self {
        let mut hierarchies: Vec<V1Hierarchy> = Vec::new();
        for h in all {
            let used = h.controllers.iter().any(|c| USED.contains(&c.as_str()));
            if used && !hierarchies.iter().any(|k| k.mount_point == h.mount_point) {
                hierarchies.push(h.clone());
            }
        }
        V1Manager {
            hierarchies,
            parent: parent.to_string(),
            id: id.to_string(),
            owned: Owned::default(),
            timing: Timing::default(),
        }
    }

    fn check(&self) -> Result<(), CgroupError> {
        common::check_name("parent", &self.parent)?;
        common::check_name("id", &self.id)
    }

    fn leaf(&self, h: &V1Hierarchy) -> PathBuf {
        h.mount_point.join(&self.parent).join(&self.id)
    }

    /// The container's directory in the hierarchy carrying `controller`.
    fn dir_of(&self, controller: &str) -> Option<PathBuf> {
        self.hierarchies
            .iter()
            .find(|h| h.controllers.iter().any(|c| c == controller))
            .map(|h| self.leaf(h))
    }

    fn require(
        &self,
        controller: &'static str,
        what: &'static str,
    ) -> Result<PathBuf, CgroupError> {
        self.dir_of(controller)
            .ok_or(CgroupError::ControllerMissing { controller, what })
    }

    fn create_in(&self, h: &V1Hierarchy) -> Result<PathBuf, CgroupError> {
        let root = &h.mount_point;
        if !h.controllers.iter().any(|c| c == "cpuset") {
            return common::create_leaf(root, &self.parent, &self.id, |_| Ok(()));
        }
        let child = common::create_leaf(root, &self.parent, &self.id, |p| fill_cpuset(p, root))?;
        let parent = root.join(&self.parent);
        // Fill the parent again in case a racing process made it anew.
        let filled = fill_cpuset(&parent, root).and_then(|()| fill_cpuset(&child, &parent));
        match filled {
            Ok(()) => Ok(child),
            Err(e) => {
                let _ = common::remove_leaf(root, &self.parent, &self.id, self.timing.busy);
                Err(e)
            }
        }
    }

    fn signal_all(&self) -> Result<(), CgroupError> {
        common::kill_pids(&self.procs_path(), &self.pids()?)
    }

    fn procs_path(&self) -> PathBuf {
        match self.hierarchies.first() {
            Some(h) => self.leaf(h).join("cgroup.procs"),
            None => PathBuf::from("cgroup.procs"),
        }
    }
}

impl CgroupManager for V1Manager {
    fn create(&mut self) -> Result<(), CgroupError> {
        self.check()?;
        self.owned = Owned::Roots(Vec::new());
        if self.hierarchies.is_empty() {
            return Err(CgroupError::ControllerMissing {
                controller: "cpu, cpuacct, cpuset, memory, pids or freezer",
                what: "a v1 container cgroup",
            });
        }
        let mut made: Vec<PathBuf> = Vec::new();
        for h in &self.hierarchies {
            if let Err(e) = self.create_in(h) {
                let busy = self.timing.busy;
                let (left, _) = common::remove_leaves(&made, &self.parent, &self.id, busy);
                self.owned = Owned::Roots(left);
                return Err(e);
            }
            made.push(h.mount_point.clone());
        }
        self.owned = Owned::Roots(made);
        Ok(())
    }

    fn apply(&self, r: &Resources) -> Result<(), CgroupError> {
        self.check()?;
        if r.cpu_quota_us.is_some() || r.cpu_period_us.is_some() {
            let dir = self.require("cpu", "a cpu quota or period")?;
            if let Some(period) = r.cpu_period_us {
                fsutil::write(&dir.join("cpu.cfs_period_us"), &period.to_string())?;
            }
            if let Some(quota) = r.cpu_quota_us {
                let text = if quota > 0 {
                    quota.to_string()
                } else {
                    "-1".to_string()
                };
                fsutil::write(&dir.join("cpu.cfs_quota_us"), &text)?;
            }
        }
        if let Some(cpus) = &r.cpus {
            let dir = self.require("cpuset", "a cpu set")?;
            fsutil::write(&dir.join("cpuset.cpus"), cpus)?;
        }
        if let Some(bytes) = r.memory_max {
            apply_memory(
                &self.require("memory", "a memory limit")?,
                bytes,
                r.swap_off,
            )?;
        } else if r.swap_off {
            tracing::debug!(
                step = "cgroup",
                "swap_off without a memory limit: nothing to write on v1"
            );
        }
        if let Some(max) = r.pids_max {
            let dir = self.require("pids", "a pids limit")?;
            let text = if max > 0 {
                max.to_string()
            } else {
                "max".to_string()
            };
            fsutil::write(&dir.join("pids.max"), &text)?;
        }
        Ok(())
    }

    fn add_task(&self, pid: i32) -> Result<(), CgroupError> {
        self.check()?;
        check_pid(pid)?;
        for h in &self.hierarchies {
            fsutil::write(&self.leaf(h).join("cgroup.procs"), &pid.to_string())?;
        }
        Ok(())
    }

    fn freeze(&self) -> Result<(), CgroupError> {
        self.check()?;
        let state = self.require("freezer", "freezing")?.join("freezer.state");
        fsutil::write(&state, "FROZEN")?;
        let t = self.timing;
        let waited = common::wait_until("freezer.state FROZEN", &state, t.freeze, t.poll, || {
            fsutil::read(&state).map(|s| s.trim() == "FROZEN")
        });
        if waited.is_err() {
            // Do not leave it stuck half-way in FREEZING.
            let _ = fsutil::write(&state, "THAWED");
        }
        waited
    }

    fn thaw(&self) -> Result<(), CgroupError> {
        self.check()?;
        let state = self.require("freezer", "thawing")?.join("freezer.state");
        fsutil::write(&state, "THAWED")
    }

    fn stats(&self) -> Result<Stats, CgroupError> {
        self.check()?;
        let mut s = Stats::default();
        if let Some(dir) = self.dir_of("cpuacct") {
            s.cpu_usage_us =
                fsutil::read_parsed(&dir.join("cpuacct.usage"), stats::parse_cpuacct_usage)?;
        }
        if let Some(dir) = self.dir_of("cpu") {
            let cpu = fsutil::read_parsed(&dir.join("cpu.stat"), stats::parse_cpu_stat_v1)?;
            s.nr_periods = cpu.nr_periods;
            s.nr_throttled = cpu.nr_throttled;
            s.throttled_us = cpu.throttled_us;
        }
        if let Some(dir) = self.dir_of("memory") {
            let file = |name: &str| dir.join(name);
            s.memory_current =
                fsutil::read_parsed(&file("memory.usage_in_bytes"), stats::parse_u64)?;
            s.memory_peak =
                fsutil::read_parsed_optional(&file("memory.max_usage_in_bytes"), stats::parse_u64)?;
            s.memory_max =
                fsutil::read_parsed(&file("memory.limit_in_bytes"), stats::parse_v1_limit)?;
            s.oom_kills = fsutil::read_parsed(&file("memory.oom_control"), stats::parse_oom_kill)?;
        }
        if let Some(dir) = self.dir_of("pids") {
            s.pids_current = fsutil::read_parsed(&dir.join("pids.current"), stats::parse_u64)?;
        }
        Ok(s)
    }

    fn pids(&self) -> Result<Vec<i32>, CgroupError> {
        self.check()?;
        let mut all = Vec::new();
        for h in &self.hierarchies {
            let procs = self.leaf(h).join("cgroup.procs");
            all.extend(fsutil::read_parsed(&procs, stats::parse_pids)?);
        }
        all.sort_unstable();
        all.dedup();
        Ok(all)
    }

    fn kill_all(&self) -> Result<(), CgroupError> {
        self.check()?;
        // Nothing of ours to kill: a failed create (the id may be another
        // container's), a cgroup already gone, or no process left.
        let gone = self.paths().iter().all(|p| !fsutil::exists(p));
        if self.owned.made_nothing() || gone || self.pids()?.is_empty() {
            return Ok(());
        }
        // Freeze first where possible, so nothing forks while being killed.
        let frozen = self.dir_of("freezer").is_some() && self.freeze().is_ok();
        if frozen {
            let signalled = self.signal_all();
            self.thaw()?;
            signalled?;
        }
        common::kill_until_empty(&self.procs_path(), &self.timing, || self.pids())
    }

    fn remove(&mut self) -> Result<(), CgroupError> {
        self.check()?;
        let all = self.hierarchies.iter().map(|h| h.mount_point.clone());
        let targets = self.owned.targets(all.collect());
        let busy = self.timing.busy;
        let (left, error) = common::remove_leaves(&targets, &self.parent, &self.id, busy);
        self.owned = Owned::Roots(left);
        error.map_or(Ok(()), Err)
    }

    fn paths(&self) -> Vec<PathBuf> {
        self.hierarchies.iter().map(|h| self.leaf(h)).collect()
    }

    fn version(&self) -> CgroupVersion {
        CgroupVersion::V1
    }
}
