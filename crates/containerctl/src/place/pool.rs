//! The shared pool at run time: the cores no container of ours holds
//! exclusively, on which every container without whole pinned cores runs.
//! It shrinks when an exclusive placement is made and grows back when one
//! is released; the cpusets of the containers on it are rewritten to
//! match. A container whose cgroup did not exist yet at that moment syncs
//! itself once its cgroup is made ([`sync_pool`]).

use std::path::Path;

use cgroups::Layout;
use sched::cpu_policy::shared_pool;
use sched::topology::Topology;
use sched::Ledger;

/// Where container cgroups live.
#[derive(Debug, Clone)]
pub struct CgroupPlace {
    pub layout: Layout,
    pub parent: String,
}

/// Resizes the pool placements in `ledger`; returns the ids that changed.
pub fn resize(ledger: &mut Ledger, topology: &Topology) -> Vec<String> {
    let pool = shared_pool(topology, ledger);
    ledger.resize_pool(&pool)
}

/// Writes the ledger's cores of containers `ids` into their cpusets.
pub fn apply(cgroups: &CgroupPlace, ledger: &Ledger, ids: &[String]) {
    for id in ids {
        let Some(p) = ledger.placements.get(id) else {
            continue;
        };
        let cpus = spec::cpulist::format(&p.cpu.cpus);
        let resources = cgroups::Resources {
            cpus: Some(cpus.clone()),
            ..Default::default()
        };
        match cgroups::open(&cgroups.layout, &cgroups.parent, id).apply(&resources) {
            Ok(()) => {
                tracing::info!(step = "placement", container = %p.name, "shared pool of {} is now cores {cpus}", p.name)
            }
            // Not created yet (it syncs itself) or already gone.
            Err(e) => tracing::debug!(
                step = "placement",
                "pool cpuset of {} not written: {e}",
                p.name
            ),
        }
    }
}

/// Called once container `id`'s cgroup exists: if it runs on the pool and
/// the pool changed since its Spec was made, writes the current pool.
pub fn sync_pool(
    state_root: &Path,
    cgroups: &CgroupPlace,
    id: &str,
    spec_cpus: &[u32],
) -> anyhow::Result<()> {
    let (locked, _) = runtime::lock_ledger(state_root)?;
    if let Some(p) = locked.ledger.placements.get(id) {
        if !p.cpu.pinned && p.cpu.cpus != spec_cpus {
            apply(cgroups, &locked.ledger, &[id.to_string()]);
        }
    }
    Ok(())
}
