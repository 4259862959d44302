//! Placement glue for the CLI: takes the ledger lock, repairs it, refreshes
//! the load sample, asks `sched` for a decision, records the placement, and
//! hands back a [`Held`] guard that releases it when the container ends
//! (success, failure or Ctrl-C). With `wait`, a request that cannot be met
//! now is retried until it can (a queue in arrival order of retries).

mod load;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use sched::cpu_policy::CpuLoad;
use sched::gpu::GpuInventory;
use sched::place::{self, Decision, Policies, Request};
use sched::topology::Topology;
use sched::SchedError;

/// How often a queued request tries again.
const RETRY: Duration = Duration::from_millis(200);

/// What the scheduler needs besides the request.
pub struct Machine<'a> {
    pub state_root: &'a Path,
    pub topology: &'a Topology,
    pub inventory: &'a GpuInventory,
}

/// A decision and the guard holding it.
pub struct Placed {
    pub decision: Decision,
    /// Releases the placement when dropped.
    pub _held: Held,
    /// The request had to wait for this long.
    pub waited: Option<Duration>,
}

/// Places `request` for container `id` (`name`) and records it in the ledger.
pub fn place(
    machine: &Machine,
    id: &str,
    name: &str,
    request: &Request,
    policies: Policies,
    wait: bool,
) -> anyhow::Result<Placed> {
    let owner = runtime::current_owner()?;
    let started = std::time::Instant::now();
    let mut announced = false;
    loop {
        let (mut locked, repaired) = runtime::lock_ledger(machine.state_root)?;
        for stale in &repaired {
            tracing::warn!(step = "placement", container = %stale.name, "released the placement of {} ({}): its owner process {} is gone", stale.name, stale.id, stale.owner.pid);
        }
        load::refresh(&mut locked.ledger)?;
        let load = place::cpu_load(locked.ledger.load.as_ref());
        let decided = place::decide(
            machine.topology,
            &load,
            machine.inventory,
            &locked.ledger,
            request,
            policies,
        );
        match decided {
            Ok(decision) => {
                let entry = place::placement(id, name, owner, now_ms(), &decision);
                locked
                    .ledger
                    .insert(entry, &machine.inventory.memory_by_index())?;
                locked.save()?;
                let waited = announced.then(|| started.elapsed());
                let held = Held {
                    state_root: machine.state_root.to_path_buf(),
                    id: id.to_string(),
                };
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
                    announced = true;
                }
                if repaired.is_empty() {
                    drop(locked);
                } else {
                    locked.save()?;
                }
                std::thread::sleep(RETRY);
            }
            Err(e) => {
                if !repaired.is_empty() {
                    locked.save()?;
                }
                return Err(e.into());
            }
        }
    }
}

/// Whether `request` could be placed on this machine with nothing else
/// running: waiting for one that cannot would wait forever.
fn fits_when_idle(machine: &Machine, request: &Request, policies: Policies) -> bool {
    let idle = sched::Ledger::default();
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
}

impl Held {
    fn release(&self) -> anyhow::Result<()> {
        let (mut locked, _) = runtime::lock_ledger(&self.state_root)?;
        if locked.ledger.release(&self.id).is_some() {
            locked.save().context("saving the ledger")?;
        }
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
