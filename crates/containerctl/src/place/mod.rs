//! Placement glue for the CLI: takes the ledger lock, repairs it, refreshes
//! the load sample, asks `sched` for a decision, records the placement,
//! shrinks the shared pool around new exclusive cores (rewriting the
//! cpusets of the containers on it), and hands back a [`Held`] guard that
//! releases the placement and grows the pool back when the container ends
//! (success, failure or Ctrl-C). With `wait`, a request that cannot be met
//! now is retried every [`RETRY`] until it can (no ordering among waiters).

mod load;
mod pool;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use sched::cpu_policy::CpuLoad;
use sched::gpu::GpuInventory;
use sched::place::{self, Decision, Policies, Request};
use sched::topology::Topology;
use sched::{Ledger, SchedError};

pub use pool::{sync_pool, CgroupPlace};

/// How often a queued request tries again.
const RETRY: Duration = Duration::from_millis(200);

/// What the scheduler needs besides the request.
pub struct Machine<'a> {
    pub state_root: &'a Path,
    pub topology: &'a Topology,
    pub inventory: &'a GpuInventory,
    pub cgroups: &'a CgroupPlace,
}

/// A decision and the guard holding it.
pub struct Placed {
    pub decision: Decision,
    /// Releases the placement when dropped.
    pub _held: Held,
    /// The request had to wait for this long.
    pub waited: Option<Duration>,
}

/// Places `request` for container `id` (`name`) and records it in the
/// ledger; `on_queued` hears of the first refusal when it will wait.
pub fn place(
    machine: &Machine,
    id: &str,
    name: &str,
    request: &Request,
    policies: Policies,
    wait: bool,
    on_queued: &mut dyn FnMut(&SchedError),
) -> anyhow::Result<Placed> {
    let owner = runtime::current_owner()?;
    let started = std::time::Instant::now();
    let mut announced = false;
    let mut fresh = None;
    loop {
        let raw = load::read_raw()?;
        let (mut locked, repaired) = runtime::lock_ledger(machine.state_root)?;
        for stale in &repaired {
            tracing::warn!(step = "placement", container = %stale.name, "released the placement of {} ({}): its owner process {} is gone", stale.name, stale.id, stale.owner.pid);
        }
        if let Some(before) = load::refresh(&mut locked.ledger, raw, fresh.take()) {
            drop(locked); // sample without holding the lock, then decide again
            fresh = Some(load::sample_after(&before)?);
            continue;
        }
        let load = place::cpu_load(locked.ledger.load.as_ref());
        let decided = same_inventory(&locked.ledger, request, machine.inventory).and_then(|()| {
            place::decide(
                machine.topology,
                &load,
                machine.inventory,
                &locked.ledger,
                request,
                policies,
            )
        });
        match decided {
            Ok(decision) => {
                locked.ledger.waiting.remove(id);
                let entry = place::placement(id, name, owner, now_ms(), &decision);
                locked
                    .ledger
                    .insert(entry, &machine.inventory.memory_by_index())?;
                if !decision.gpu.as_ref().is_none_or(|g| g.grants.is_empty()) {
                    locked.ledger.gpu_inventory = Some(fingerprint(machine.inventory));
                }
                let resized = pool::resize(&mut locked.ledger, machine.topology);
                pool::apply(machine.cgroups, &locked.ledger, &resized);
                locked.save()?;
                drop(locked);
                let held = Held {
                    state_root: machine.state_root.to_path_buf(),
                    id: id.to_string(),
                    topology: machine.topology.clone(),
                    cgroups: machine.cgroups.clone(),
                };
                let waited = announced.then(|| started.elapsed());
                return Ok(Placed {
                    decision,
                    _held: held,
                    waited,
                });
            }
            Err(e @ (SchedError::CpusUnavailable { .. } | SchedError::GpusUnavailable { .. }))
                if wait && fits_when_idle(machine, request, policies) =>
            {
                if !announced {
                    tracing::info!(step = "placement", "queued: {e}; waiting (--wait)");
                    on_queued(&e);
                    announced = true;
                }
                let waiting = sched::Waiting {
                    name: name.to_string(),
                    owner,
                    since_ms: now_ms(),
                    request: describe(request),
                };
                locked
                    .ledger
                    .waiting
                    .entry(id.to_string())
                    .or_insert(waiting);
                locked.save()?;
                drop(locked);
                std::thread::sleep(RETRY);
            }
            Err(e) => {
                locked.ledger.waiting.remove(id);
                locked.save()?;
                return Err(e.into());
            }
        }
    }
}

/// A request in words, for the ledger's queue and `top`.
fn describe(request: &Request) -> String {
    let mut parts = vec![match (&request.fixed_cpus, request.cpu.millis) {
        (Some(cpus), _) => format!("cores {}", spec::cpulist::format(cpus)),
        (None, 0) => "the shared pool".to_string(),
        (None, m) => format!("cpu {}", m as f64 / 1000.0),
    }];
    if request.cpu.exclusive {
        parts.push("exclusive".into());
    }
    if let Some(gpu) = &request.gpu {
        parts.push(gpu.describe());
    }
    parts.join(", ")
}

/// The identity of an inventory as the ledger keeps it.
fn fingerprint(inventory: &GpuInventory) -> String {
    inventory
        .gpus
        .iter()
        .map(|g| g.uuid.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// GPU grants index into one inventory: a run with another (a different
/// `--gpus` file, or NVML against a simulated one) waits or is refused
/// while grants of the first are live.
fn same_inventory(
    ledger: &Ledger,
    request: &Request,
    inventory: &GpuInventory,
) -> Result<(), SchedError> {
    let in_use = ledger.placements.values().any(|p| !p.gpus.is_empty());
    match (&request.gpu, &ledger.gpu_inventory) {
        (Some(gpu), Some(theirs)) if in_use && *theirs != fingerprint(inventory) => Err(SchedError::GpusUnavailable {
            request: gpu.describe(),
            free: format!(
                "GPUs of another inventory ({theirs}) are in use by running containers; this run uses {}",
                inventory.describe()
            ),
        }),
        _ => Ok(()),
    }
}

/// Whether `request` could be placed on this machine with nothing else
/// running: waiting for one that cannot would wait forever.
fn fits_when_idle(machine: &Machine, request: &Request, policies: Policies) -> bool {
    let idle = Ledger::default();
    place::decide(
        machine.topology,
        &CpuLoad::default(),
        machine.inventory,
        &idle,
        request,
        policies,
    )
    .is_ok()
}

/// Whether all of `requests` (name, request, policies) fit on the machine
/// together with what already runs: each is decided against the ledger as
/// the ones before it would leave it. Nothing is recorded. The error names
/// the first one that does not fit.
pub fn fit_jointly(
    machine: &Machine,
    requests: &[(String, Request, Policies)],
) -> anyhow::Result<()> {
    let owner = runtime::current_owner()?;
    let (locked, _) = runtime::lock_ledger(machine.state_root)?;
    let mut ledger = locked.ledger.clone();
    drop(locked);
    let load = place::cpu_load(ledger.load.as_ref());
    for (n, (name, request, policies)) in requests.iter().enumerate() {
        let decision = place::decide(
            machine.topology,
            &load,
            machine.inventory,
            &ledger,
            request,
            *policies,
        )
        .with_context(|| {
            format!(
                "{name} does not fit beside the {n} container(s) before it in the file and those running now"
            )
        })?;
        let entry = place::placement(
            &format!("joint-check-{n}"),
            name,
            owner,
            now_ms(),
            &decision,
        );
        ledger
            .insert(entry, &machine.inventory.memory_by_index())
            .with_context(|| format!("{name} does not fit beside the ones before it"))?;
    }
    Ok(())
}

/// The ledger under `state_root`, read without the lock (the file is
/// replaced atomically), without the entries whose owner has died.
pub fn live_ledger(state_root: &Path) -> Ledger {
    let mut ledger =
        runtime::read_ledger(&state_root.join(runtime::LEDGER_FILE)).unwrap_or_default();
    ledger.retain_live(|p| runtime::owner_alive(&p.owner));
    ledger.waiting.retain(|_, w| runtime::owner_alive(&w.owner));
    ledger
}

/// The live placements under `state_root` (see [`live_ledger`]).
pub fn live_placements(state_root: &Path) -> Vec<sched::Placement> {
    live_ledger(state_root).placements.into_values().collect()
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A placement in the ledger, released when dropped.
#[derive(Debug)]
pub struct Held {
    state_root: PathBuf,
    id: String,
    topology: Topology,
    cgroups: CgroupPlace,
}

impl Held {
    fn release(&self) -> anyhow::Result<()> {
        let (mut locked, _) = runtime::lock_ledger(&self.state_root)?;
        if locked.ledger.release(&self.id).is_none() {
            return Ok(());
        }
        if !locked
            .ledger
            .placements
            .values()
            .any(|p| !p.gpus.is_empty())
        {
            locked.ledger.gpu_inventory = None;
        }
        let resized = pool::resize(&mut locked.ledger, &self.topology);
        pool::apply(&self.cgroups, &locked.ledger, &resized);
        locked.save().context("saving the ledger")?;
        Ok(())
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        match self.release() {
            Ok(()) => tracing::debug!(step = "placement", "placement released"),
            Err(e) => tracing::warn!(
                step = "placement",
                "could not release the placement: {e:#}; the next run repairs it"
            ),
        }
    }
}
