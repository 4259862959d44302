//! `containerctl network ls` and `network prune`: the bridge networks of
//! this state root (bridge, subnet, which containers hold which address),
//! and removing those no container uses. A bridge is created by the first
//! `network: bridge` container and stays until it is pruned.

use super::Globals;
use runtime::net::Pruned;

#[derive(Debug, clap::Subcommand)]
pub enum NetworkCommand {
    /// List the bridge networks and their leased addresses.
    Ls,
    /// Remove every bridge network no container holds an address on.
    Prune,
}

pub fn run(globals: &Globals, command: NetworkCommand) -> anyhow::Result<i32> {
    match command {
        NetworkCommand::Ls => {
            println!("{:<16} {:<18} LEASES", "BRIDGE", "SUBNET");
            for network in runtime::net::list(&globals.state_root) {
                let subnet = network.subnet.map(|s| s.to_string()).unwrap_or_default();
                let leases: Vec<String> = network
                    .leases
                    .iter()
                    .map(|(address, owner)| format!("{address}={}", runtime::short_id(owner)))
                    .collect();
                println!("{:<16} {subnet:<18} {}", network.bridge, leases.join(" "));
            }
            Ok(0)
        }
        NetworkCommand::Prune => {
            let mut in_use = false;
            for pruned in runtime::net::prune(&globals.state_root)? {
                match pruned {
                    Pruned::Removed { bridge, subnet } => {
                        println!("removed bridge {bridge} ({subnet})")
                    }
                    Pruned::InUse { bridge, holders } => {
                        in_use = true;
                        eprintln!(
                            "kept bridge {bridge}: still in use by {}",
                            holders.join(", ")
                        );
                    }
                }
            }
            Ok(if in_use { runtime::EXIT_CONFLICT } else { 0 })
        }
    }
}

/// `--bridge`: a Linux interface name (1-15 characters, no '/', ':' or space).
pub fn bridge_name(name: &str) -> Result<String, String> {
    let fine = !name.is_empty()
        && name.len() <= 15
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if fine {
        Ok(name.to_string())
    } else {
        Err(format!(
            "{name:?} is not an interface name: 1-15 letters, digits, '-', '_' or '.'"
        ))
    }
}
