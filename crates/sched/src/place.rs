//! One decision for one workload: cores and GPUs together, under a pair of
//! policies, against the ledger and the last load sample. Also how fresh a
//! load sample must be ([`next_load`]): decisions closer together than
//! [`MIN_SAMPLE_MS`] reuse the last sample and count the placements made
//! since, so a burst of runs does not pile onto one stale "idle" core.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::cpu_policy::{place_cpus, place_fixed, CpuChoice, CpuLoad, CpuPolicy, CpuRequest};
use crate::gpu::GpuInventory;
use crate::gpu_policy::{place_gpus, GpuChoice, GpuPolicy, GpuRequest};
use crate::topology::Topology;
use crate::{Ledger, LoadSnapshot, Owner, Placement, SchedError};

/// Two samples closer than this are not compared (too few ticks to mean anything).
pub const MIN_SAMPLE_MS: u64 = 100;
/// A sample older than this no longer says what the machine is doing now.
pub const STALE_SAMPLE_MS: u64 = 10_000;

/// A CPU policy and a GPU policy, written `cpu+gpu` (`least-loaded+first-fit`)
/// or with one name: a name both kinds know (`pack`, `spread`, `topology`)
/// sets both; a CPU-only or GPU-only name keeps the other default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Policies {
    pub cpu: CpuPolicy,
    pub gpu: GpuPolicy,
}

impl FromStr for Policies {
    type Err = SchedError;

    fn from_str(text: &str) -> Result<Self, SchedError> {
        if let Some((cpu, gpu)) = text.split_once('+') {
            return Ok(Policies {
                cpu: cpu.parse()?,
                gpu: gpu.parse()?,
            });
        }
        match (text.parse::<CpuPolicy>(), text.parse::<GpuPolicy>()) {
            (Ok(cpu), Ok(gpu)) => Ok(Policies { cpu, gpu }),
            (Ok(cpu), Err(_)) => Ok(Policies { cpu, ..Policies::default() }),
            (Err(_), Ok(gpu)) => Ok(Policies { gpu, ..Policies::default() }),
            (Err(_), Err(_)) => Err(SchedError::UnknownPolicy {
                kind: "placement",
                name: text.to_string(),
                known: "least-loaded, pack, spread, topology, best-fit, first-fit, or CPU+GPU like pack+first-fit",
            }),
        }
    }
}

impl fmt::Display for Policies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.cpu.name() == self.gpu.name() {
            f.write_str(self.cpu.name())
        } else {
            write!(f, "{}+{}", self.cpu.name(), self.gpu.name())
        }
    }
}

/// What one workload asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub cpu: CpuRequest,
    /// Cores the user pinned with `cpus:`; the policy is not consulted.
    pub fixed_cpus: Option<Vec<u32>>,
    pub gpu: Option<GpuRequest>,
}

/// The cores and GPUs chosen for one workload.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub cpu: CpuChoice,
    pub gpu: Option<GpuChoice>,
}

/// Decides cores, then GPUs, for `request`. Nothing is recorded: the caller
/// turns the decision into a [`Placement`] and inserts it into the ledger.
pub fn decide(
    topology: &Topology,
    load: &CpuLoad,
    inventory: &GpuInventory,
    ledger: &Ledger,
    request: &Request,
    policies: Policies,
) -> Result<Decision, SchedError> {
    let cpu = match &request.fixed_cpus {
        Some(cpus) => place_fixed(topology, ledger, cpus, &request.cpu)?,
        None => place_cpus(topology, load, ledger, &request.cpu, policies.cpu)?,
    };
    let gpu = match &request.gpu {
        Some(gpu) => Some(place_gpus(inventory, ledger, gpu, policies.gpu)?),
        None => None,
    };
    Ok(Decision { cpu, gpu })
}

/// The ledger entry for a decision.
pub fn placement(
    id: &str,
    name: &str,
    owner: Owner,
    now_ms: u64,
    decision: &Decision,
) -> Placement {
    Placement {
        id: id.to_string(),
        name: name.to_string(),
        owner,
        placed_at_ms: now_ms,
        cpu: decision.cpu.grant.clone(),
        gpus: decision
            .gpu
            .as_ref()
            .map(|g| g.grants.clone())
            .unwrap_or_default(),
    }
}

/// What to do with the load sample before a decision.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadStep {
    /// The stored sample is recent: use it (with placements made since).
    Reuse,
    /// A new sample, compared with the stored one.
    Replace(LoadSnapshot),
    /// No usable earlier sample: read /proc/stat again after [`MIN_SAMPLE_MS`].
    SampleAgain,
}

/// Decides, from the stored sample and counters read now (`raw`: per CPU
/// busy and total ticks), whether to reuse, replace or resample.
pub fn next_load(
    stored: Option<&LoadSnapshot>,
    raw: &BTreeMap<u32, (u64, u64)>,
    now_ms: u64,
) -> LoadStep {
    let Some(stored) = stored else {
        return LoadStep::SampleAgain;
    };
    let age = now_ms.saturating_sub(stored.at_ms);
    if age < MIN_SAMPLE_MS && now_ms >= stored.at_ms {
        LoadStep::Reuse
    } else if age <= STALE_SAMPLE_MS && now_ms >= stored.at_ms {
        LoadStep::Replace(snapshot_between(&stored.raw, raw.clone(), now_ms))
    } else {
        LoadStep::SampleAgain
    }
}

/// A snapshot of `now` with the utilisation of each CPU since `before`.
pub fn snapshot_between(
    before: &BTreeMap<u32, (u64, u64)>,
    now: BTreeMap<u32, (u64, u64)>,
    now_ms: u64,
) -> LoadSnapshot {
    let util = now
        .iter()
        .map(|(&cpu, &(busy, total))| {
            let (busy0, total0) = before.get(&cpu).copied().unwrap_or((busy, total));
            let d_total = total.saturating_sub(total0);
            let d_busy = busy.saturating_sub(busy0).min(d_total);
            let pct = if d_total == 0 {
                0.0
            } else {
                d_busy as f64 * 100.0 / d_total as f64
            };
            (cpu, pct)
        })
        .collect();
    LoadSnapshot {
        at_ms: now_ms,
        raw: now,
        util,
    }
}

/// The load a decision sees, from a snapshot.
pub fn cpu_load(snapshot: Option<&LoadSnapshot>) -> CpuLoad {
    match snapshot {
        Some(s) => CpuLoad {
            util: s.util.clone(),
            sampled_at_ms: Some(s.at_ms),
        },
        None => CpuLoad::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_names_set_one_or_both_kinds() {
        let p: Policies = "pack".parse().unwrap();
        assert_eq!((p.cpu, p.gpu), (CpuPolicy::Pack, GpuPolicy::Pack));
        let p: Policies = "least-loaded".parse().unwrap();
        assert_eq!((p.cpu, p.gpu), (CpuPolicy::LeastLoaded, GpuPolicy::BestFit));
        let p: Policies = "first-fit".parse().unwrap();
        assert_eq!(
            (p.cpu, p.gpu),
            (CpuPolicy::LeastLoaded, GpuPolicy::FirstFit)
        );
        let p: Policies = "spread+best-fit".parse().unwrap();
        assert_eq!(p.to_string(), "spread+best-fit");
        assert_eq!(
            "topology".parse::<Policies>().unwrap().to_string(),
            "topology"
        );
        let err = "fastest".parse::<Policies>().unwrap_err().to_string();
        assert!(
            err.contains("fastest") && err.contains("least-loaded"),
            "{err}"
        );
        assert!("pack+nope".parse::<Policies>().is_err());
    }

    #[test]
    fn samples_are_reused_replaced_or_taken_again_by_age() {
        let raw = BTreeMap::from([(0, (50, 100)), (1, (10, 100))]);
        assert_eq!(next_load(None, &raw, 1000), LoadStep::SampleAgain);
        let stored = LoadSnapshot {
            at_ms: 1000,
            raw: BTreeMap::from([(0, (0, 0)), (1, (0, 0))]),
            util: BTreeMap::new(),
        };
        assert_eq!(next_load(Some(&stored), &raw, 1050), LoadStep::Reuse);
        match next_load(Some(&stored), &raw, 1500) {
            LoadStep::Replace(s) => {
                assert_eq!(s.at_ms, 1500);
                assert_eq!(s.util[&0], 50.0);
                assert_eq!(s.util[&1], 10.0);
            }
            other => panic!("expected a replacement, got {other:?}"),
        }
        assert_eq!(
            next_load(Some(&stored), &raw, 1000 + STALE_SAMPLE_MS + 1),
            LoadStep::SampleAgain
        );
        assert_eq!(
            next_load(Some(&stored), &raw, 10),
            LoadStep::SampleAgain,
            "clock went back"
        );
    }

    #[test]
    fn counters_that_went_backwards_count_as_idle() {
        let before = BTreeMap::from([(0, (500, 1000))]);
        let s = snapshot_between(&before, BTreeMap::from([(0, (100, 200)), (1, (5, 10))]), 7);
        assert_eq!(s.util[&0], 0.0);
        assert_eq!(
            s.util[&1], 0.0,
            "a CPU new since the last sample has no interval yet"
        );
    }
}
