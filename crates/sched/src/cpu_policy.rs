//! Which cores a container gets, like the kubelet's static CPU manager. A
//! fractional `cpu:` runs unpinned in the shared pool (every CPU that no
//! one holds exclusively); a whole number n is pinned to n CPUs chosen by a
//! [`CpuPolicy`] from measured load plus the pins the [`Ledger`] records
//! since that load was sampled, so a burst of runs does not pile onto one
//! stale idle core. Exclusive requests take only CPUs no live placement
//! uses. A refusal names the free CPUs and who holds the others. The
//! per-call view of the ledger is built in one pass into vectors indexed
//! by topology position, so a decision stays in microseconds at 1000 CPUs.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use crate::ledger::{CpuGrant, Ledger};
use crate::topology::{format_cpulist, Topology};
use crate::SchedError;

mod refuse;
mod take_topology;
mod view;

use refuse::{fmt_millis, holders, refusal};
use take_topology::take_topology;
pub(crate) use view::View;

/// How pinned cores are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CpuPolicy {
    /// The n CPUs with the lowest effective load.
    #[default]
    LeastLoaded,
    /// Onto the CPUs that already carry the most pins, lowest ids first.
    Pack,
    /// Onto the CPUs with the fewest pins, then the least loaded.
    Spread,
    /// One NUMA node if possible, whole physical cores before threads.
    Topology,
}

impl CpuPolicy {
    pub const ALL: [CpuPolicy; 4] = [
        CpuPolicy::LeastLoaded,
        CpuPolicy::Pack,
        CpuPolicy::Spread,
        CpuPolicy::Topology,
    ];

    pub fn name(&self) -> &'static str {
        match self {
            CpuPolicy::LeastLoaded => "least-loaded",
            CpuPolicy::Pack => "pack",
            CpuPolicy::Spread => "spread",
            CpuPolicy::Topology => "topology",
        }
    }
}

impl FromStr for CpuPolicy {
    type Err = SchedError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CpuPolicy::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| SchedError::UnknownPolicy {
                kind: "cpu",
                name: s.to_string(),
                known: "least-loaded, pack, spread, topology",
            })
    }
}

impl fmt::Display for CpuPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A `cpu:` request: thousandths of a core (0: none given), and whether no
/// other container may share the cores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuRequest {
    pub millis: u64,
    pub exclusive: bool,
}

/// Measured utilisation in percent per CPU (a missing CPU counts as 0),
/// and when it was sampled (ms since the epoch).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CpuLoad {
    pub util: BTreeMap<u32, f64>,
    pub sampled_at_ms: Option<u64>,
}

/// A decision and the evidence it was made on.
#[derive(Debug, Clone, PartialEq)]
pub struct CpuChoice {
    pub grant: CpuGrant,
    /// Effective load (%) of every candidate CPU at the decision, ascending
    /// id: the "why" of the record.
    pub seen: Vec<(u32, f64)>,
}

/// Chooses cores for `req` under `policy`; see the module text.
pub fn place_cpus(
    topo: &Topology,
    load: &CpuLoad,
    ledger: &Ledger,
    req: &CpuRequest,
    policy: CpuPolicy,
) -> Result<CpuChoice, SchedError> {
    let view = View::new(topo, ledger, load);
    let millis = (req.millis != 0).then_some(req.millis);
    if req.millis == 0 || req.millis % 1000 != 0 {
        if req.exclusive {
            return Err(SchedError::CpusUnavailable {
                request: format!("cpu {} exclusively", fmt_millis(req.millis)),
                free: "exclusive needs a whole number of cores".into(),
            });
        }
        let pool = view.candidates(false);
        if pool.is_empty() {
            return Err(refusal(
                topo,
                ledger,
                &view,
                "a share of the pool".into(),
                &pool,
                false,
            ));
        }
        return Ok(view.choice(topo, pool.clone(), &pool, false, false, millis));
    }
    let want = req.millis / 1000;
    let adjective = if req.exclusive {
        "exclusive core"
    } else {
        "core"
    };
    let cands = view.candidates(req.exclusive);
    let request = || format!("{want} {adjective}{}", if want == 1 { "" } else { "s" });
    if want > cands.len() as u64 {
        return Err(refusal(
            topo,
            ledger,
            &view,
            request(),
            &cands,
            req.exclusive,
        ));
    }
    if req.exclusive && view.pool_users && want >= view.candidates(false).len() as u64 {
        return Err(SchedError::CpusUnavailable {
            request: request(),
            free: format!(
                "it would leave no core for the containers on the shared pool ({})",
                pool_users(ledger)
            ),
        });
    }
    let want = want as usize; // fits: it is at most cands.len()
    let chosen = match policy {
        CpuPolicy::LeastLoaded => take_by_key(&cands, want, |i| view.cpus[i].eff_key()),
        CpuPolicy::Pack => take_by_key(&cands, want, |i| Reverse(view.cpus[i].pins)),
        CpuPolicy::Spread => take_by_key(&cands, want, |i| {
            (view.cpus[i].pins, view.cpus[i].eff_key())
        }),
        CpuPolicy::Topology => take_topology(topo, &view, &cands, want),
    };
    Ok(view.choice(topo, chosen, &cands, true, req.exclusive, millis))
}

/// The shared pool: every topology CPU no placement holds exclusively.
pub fn shared_pool(topo: &Topology, ledger: &Ledger) -> Vec<u32> {
    let view = View::new(topo, ledger, &CpuLoad::default());
    let cpus = topo.cpus();
    view.candidates(false)
        .into_iter()
        .map(|i| cpus[i].id)
        .collect()
}

/// Names of the shared-pool placements, for a refusal (at most six).
fn pool_users(ledger: &Ledger) -> String {
    let names: Vec<&str> = ledger
        .placements
        .values()
        .filter(|p| !p.cpu.pinned)
        .map(|p| {
            if p.name.is_empty() {
                p.id.as_str()
            } else {
                p.name.as_str()
            }
        })
        .collect();
    match names.len() {
        0..=6 => names.join(", "),
        n => format!("{} and {} more", names[..6].join(", "), n - 6),
    }
}

/// Pins chosen by the user (`cpus:`): refused if a CPU is not in the
/// topology, is held exclusively by another placement, or (for an
/// exclusive request) is used by any. `seen` gives each pinned CPU's
/// load as far as the ledger knows it (100 per live pin).
pub fn place_fixed(
    topo: &Topology,
    ledger: &Ledger,
    cpus: &[u32],
    req: &CpuRequest,
) -> Result<CpuChoice, SchedError> {
    let mut ids = cpus.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let request = format!(
        "{}cores {}",
        if req.exclusive { "exclusive " } else { "" },
        format_cpulist(&ids)
    );
    if ids.is_empty() {
        return Err(SchedError::CpusUnavailable {
            request: "an empty core list".into(),
            free: "name at least one core".into(),
        });
    }
    let unknown: Vec<u32> = ids
        .iter()
        .copied()
        .filter(|&c| topo.get(c).is_none())
        .collect();
    if !unknown.is_empty() {
        return Err(SchedError::CpusUnavailable {
            request,
            free: format!(
                "{} not online or not allowed here (available: {})",
                format_cpulist(&unknown),
                format_cpulist(&topo.ids())
            ),
        });
    }
    let view = View::new(topo, ledger, &CpuLoad::default());
    let cands = view.candidates(req.exclusive);
    let positions: Vec<usize> = ids.iter().filter_map(|&c| topo.position(c)).collect();
    let blocked: BTreeSet<u32> = positions
        .iter()
        .filter(|i| cands.binary_search(i).is_err())
        .map(|&i| topo.cpus()[i].id)
        .collect();
    if !blocked.is_empty() {
        let free: Vec<u32> = cands.iter().map(|&i| topo.cpus()[i].id).collect();
        let free = if free.is_empty() {
            "none".into()
        } else {
            format_cpulist(&free)
        };
        let holders = holders(ledger, &blocked, req.exclusive).join("; ");
        return Err(SchedError::CpusUnavailable {
            request,
            free: format!("{holders}; free cores: {free}"),
        });
    }
    if req.exclusive && view.pool_users && positions.len() >= view.candidates(false).len() {
        return Err(SchedError::CpusUnavailable {
            request,
            free: format!(
                "it would leave no core for the containers on the shared pool ({})",
                pool_users(ledger)
            ),
        });
    }
    let millis = (req.millis != 0).then_some(req.millis);
    Ok(view.choice(
        topo,
        positions.clone(),
        &positions,
        true,
        req.exclusive,
        millis,
    ))
}

/// The `want` candidates with the smallest keys, ties by position (so
/// the choice is deterministic), in no particular order.
fn take_by_key<K: Ord>(cands: &[usize], want: usize, key: impl Fn(usize) -> K) -> Vec<usize> {
    let mut keyed: Vec<(K, usize)> = cands.iter().map(|&i| (key(i), i)).collect();
    if want < keyed.len() {
        keyed.select_nth_unstable(want);
        keyed.truncate(want);
    }
    keyed.into_iter().map(|(_, i)| i).collect()
}
