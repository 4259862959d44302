//! Cleaning up after containers whose monitor died (killed, or the machine
//! lost it mid `run -d`): their processes are killed, their cgroups and
//! runtime state dir removed, their record and name dropped, and the
//! ledger repaired. `gc` runs this over the whole state root; `rm -f` over
//! one container.

use std::path::Path;

use runtime::store::{ContainerState, Store};

use crate::cli::Globals;

/// What `gc` removed.
#[derive(Debug, Default)]
pub struct Collected {
    /// Containers whose monitor was gone: (short id, name).
    pub dead: Vec<(String, String)>,
    /// Runtime state dirs, names and placements left without a container.
    pub strays: Vec<String>,
}

/// Removes everything of one container whose monitor is gone.
pub fn reclaim(globals: &Globals, store: &Store, state: &ContainerState) -> anyhow::Result<()> {
    let layout = cgroups::detect()?;
    runtime::reclaim(&runtime::Container {
        id: state.id.clone(),
        state_root: globals.state_root.clone(),
        cgroup_layout: layout,
        cgroup_parent: state.cgroup_parent.clone(),
    });
    store.remove(&state.id, &state.name)?;
    Ok(())
}

/// Reclaims every dead container under the state root, then what is left
/// of none: runtime state dirs, names and address leases without a
/// record, and ledger placements whose owner died.
pub fn collect(globals: &Globals) -> anyhow::Result<Collected> {
    let store = super::store_of(globals);
    let mut collected = Collected::default();
    // Read before the records: a run registers before it takes a lease,
    // so a lease seen here whose owner has no record below is a stray.
    let leases = runtime::net::list(&globals.state_root);
    for id in store.ids()? {
        // Under the container's lock: its monitor cannot be mid-update.
        let state = match store.lock(&id) {
            Ok(locked) => locked.state.clone(),
            Err(runtime::RuntimeError::BadState { .. }) => {
                // A state file that never got written whole: its creator died.
                stray_record(&store, &id, &mut collected);
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if state.is_live() && !super::monitor_alive(&state) {
            reclaim(globals, &store, &state)?;
            collected
                .dead
                .push((runtime::short_id(&id).to_string(), state.name.clone()));
        }
    }
    let ids = store.ids()?;
    for (name, id) in store.names().all() {
        if !ids.contains(&id) {
            store.names().release(&name, &id);
            collected.strays.push(format!("name {name}"));
        }
    }
    remove_stray_state_dirs(&globals.state_root, &ids, &mut collected);
    for network in leases {
        for (address, owner) in network.leases {
            // Only leases of container ids: a file of anyone else stays.
            let an_id = owner.len() == 64 && owner.chars().all(|c| c.is_ascii_hexdigit());
            if an_id && !ids.contains(&owner) {
                runtime::net::reclaim(&globals.state_root, &owner);
                collected
                    .strays
                    .push(format!("lease {address} on {}", network.bridge));
            }
        }
    }
    let (ledger, repaired) = runtime::lock_ledger(&globals.state_root)?;
    if !repaired.is_empty() {
        ledger.save()?;
        for placement in repaired {
            collected
                .strays
                .push(format!("placement of {}", runtime::short_id(&placement.id)));
        }
    }
    Ok(collected)
}

fn stray_record(store: &Store, id: &str, collected: &mut Collected) {
    if store.remove(id, "").is_ok() {
        collected
            .strays
            .push(format!("unreadable record {}", runtime::short_id(id)));
    }
}

/// Runtime state dirs (`<root>/<64 hex>`) of no recorded container.
fn remove_stray_state_dirs(root: &Path, ids: &[String], collected: &mut Collected) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let looks_like_id = name.len() == 64 && name.chars().all(|c| c.is_ascii_hexdigit());
        if looks_like_id && !ids.contains(&name) && std::fs::remove_dir_all(entry.path()).is_ok() {
            collected
                .strays
                .push(format!("state dir {}", runtime::short_id(&name)));
        }
    }
}
