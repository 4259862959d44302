//! The bridge a network's containers hang off: created on first use with
//! the subnet's first address (the containers' gateway), adopted when it
//! already exists as ours, refused when it is another's (a bridge of ours
//! carries its state root in its alias: another `--root`'s bridge, or one
//! made by hand, is never adopted or pruned), when it has another address,
//! or when the subnet overlaps a route of the host. Its subnet is remembered in
//! `<state root>/networks/<bridge>/subnet`; a lock file serialises creating,
//! attaching to and pruning networks. The bridge stays when its last
//! container goes; [`prune`] removes bridges without leases.

use std::fs::File;
use std::path::{Path, PathBuf};

use nix::fcntl::Flock;

use super::leases::Leases;
use super::netlink::{Link, Rtnl};
use super::subnet::{Subnet, DEFAULT_SUBNET};
use crate::RuntimeError;

/// A bridge network that exists on the host, as far as a container needs it.
#[derive(Debug, Clone)]
pub struct Network {
    pub bridge: String,
    pub index: u32,
    pub subnet: Subnet,
    pub leases: Leases,
}

/// `<state root>/networks`.
pub fn networks_dir(state_root: &Path) -> PathBuf {
    state_root.join("networks")
}

/// Holds the networks lock of a state root while alive.
pub struct NetworksLock {
    _held: Flock<File>,
}

pub fn lock(state_root: &Path) -> Result<NetworksLock, RuntimeError> {
    let dir = networks_dir(state_root);
    std::fs::create_dir_all(&dir).map_err(RuntimeError::io("creating", &dir))?;
    crate::claim::lock_exclusive(&dir.join("lock")).map(|held| NetworksLock { _held: held })
}

/// The bridge `name`, created or adopted; the caller holds the lock.
/// `wanted` is the subnet asked for (`None`: the remembered one, else the default).
pub fn ensure(
    state_root: &Path,
    name: &str,
    wanted: Option<Subnet>,
    _lock: &NetworksLock,
) -> Result<Network, RuntimeError> {
    let dir = networks_dir(state_root).join(name);
    let remembered = read_subnet(&dir)?;
    let subnet = subnet_of(name, remembered, wanted)?;
    let owner = owner_alias(state_root);
    let mut rtnl = Rtnl::open().map_err(net_error("opening rtnetlink"))?;
    let index = match rtnl
        .link(name)
        .map_err(net_error("looking up the bridge"))?
    {
        Some(link) => adopt(name, &link, &owner)?,
        None => create(&mut rtnl, name, &subnet, &owner)?,
    };
    give_gateway(&mut rtnl, name, index, &subnet)?;
    rtnl.set_up(index, None)
        .map_err(net_error("setting the bridge up"))?;
    if remembered.is_none() {
        std::fs::create_dir_all(&dir).map_err(RuntimeError::io("creating", &dir))?;
        let path = dir.join("subnet");
        std::fs::write(&path, subnet.to_string())
            .map_err(RuntimeError::io("writing the subnet", &path))?;
    }
    Ok(Network {
        bridge: name.to_string(),
        index,
        subnet,
        leases: Leases::new(&dir),
    })
}

/// The subnet bridge `name` serves: the one it was created with, which a
/// different `wanted` may not change; else `wanted` or the default.
fn subnet_of(
    name: &str,
    remembered: Option<Subnet>,
    wanted: Option<Subnet>,
) -> Result<Subnet, RuntimeError> {
    match (remembered, wanted) {
        (Some(had), Some(asked)) if had != asked => Err(RuntimeError::NetworkConflict(format!(
            "bridge {name} already serves {had}; `containerctl network prune` it before asking for {asked}"
        ))),
        (Some(had), _) => Ok(had),
        (None, asked) => Ok(asked.unwrap_or(DEFAULT_SUBNET)),
    }
}

/// `count` addresses free on bridge `name` now, in the order a run would
/// take them (for `up`, which hands them out with `--ip`); nothing is leased.
pub fn free_addresses(
    state_root: &Path,
    name: &str,
    wanted: Option<Subnet>,
    count: usize,
) -> Result<Vec<std::net::Ipv4Addr>, RuntimeError> {
    let dir = networks_dir(state_root).join(name);
    let subnet = subnet_of(name, read_subnet(&dir)?, wanted)?;
    let leases = Leases::new(&dir);
    let leased: Vec<_> = leases.list().into_iter().map(|(a, _)| a).collect();
    let free: Vec<_> = leases
        .round_robin(&subnet)
        .into_iter()
        .filter(|a| !leased.contains(a))
        .take(count)
        .collect();
    if free.len() < count {
        return Err(RuntimeError::SubnetExhausted {
            subnet: subnet.to_string(),
            leased: leased.len(),
        });
    }
    Ok(free)
}

fn read_subnet(dir: &Path) -> Result<Option<Subnet>, RuntimeError> {
    let path = dir.join("subnet");
    match std::fs::read_to_string(&path) {
        Ok(text) => text
            .trim()
            .parse()
            .map(Some)
            .map_err(|message| RuntimeError::BadState { path, message }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(RuntimeError::io("reading the subnet", &path)(e)),
    }
}

/// The alias a bridge of this state root carries: it tells our bridges
/// from anyone else's (another `--root`, a bridge made by hand), so that
/// neither leases nor `network prune` ever act on a bridge not ours.
fn owner_alias(state_root: &Path) -> String {
    let root = std::fs::canonicalize(state_root).unwrap_or_else(|_| state_root.to_path_buf());
    format!("containerctl {}", root.display())
}

/// An existing link of that name: ours only if it is a bridge with our alias.
fn adopt(name: &str, link: &Link, owner: &str) -> Result<u32, RuntimeError> {
    if !link.is_bridge {
        return Err(RuntimeError::NetworkConflict(format!(
            "link {name} exists and is not a bridge; choose another with --bridge"
        )));
    }
    if link.alias.as_deref() != Some(owner) {
        return Err(RuntimeError::NetworkConflict(format!(
            "bridge {name} is not this state root's (its alias: {:?}, ours: {owner:?}); \
             choose another with --bridge",
            link.alias.as_deref().unwrap_or("")
        )));
    }
    Ok(link.index)
}

/// A new bridge with our alias, after checking that no host route covers
/// the subnet.
fn create(rtnl: &mut Rtnl, name: &str, subnet: &Subnet, owner: &str) -> Result<u32, RuntimeError> {
    for route in rtnl
        .ipv4_routes()
        .map_err(net_error("reading the host's routes"))?
    {
        // The default route covers everything and says nothing about use.
        if route.prefix > 0 && subnet.overlaps_range(route.destination, route.prefix) {
            return Err(RuntimeError::NetworkConflict(format!(
                "subnet {subnet} overlaps the host's route to {}/{}; choose another with --subnet",
                route.destination, route.prefix
            )));
        }
    }
    match rtnl.add_bridge(name) {
        Ok(()) => {}
        // Made a moment ago by someone outside our lock: not ours.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(RuntimeError::NetworkConflict(format!(
                "bridge {name} was just created by someone else; choose another with --bridge"
            )))
        }
        Err(e) => return Err(net_error("creating the bridge")(e)),
    }
    let index = rtnl
        .link_index(name)
        .map_err(net_error("looking up the bridge"))?
        .ok_or_else(|| RuntimeError::NetworkConflict(format!("bridge {name} vanished")))?;
    rtnl.set_alias(index, owner)
        .map_err(net_error("naming the bridge's owner"))?;
    tracing::info!(step = "network", "created bridge {name} for {subnet}");
    Ok(index)
}

/// The bridge carries the gateway address, and no other IPv4 address.
fn give_gateway(
    rtnl: &mut Rtnl,
    name: &str,
    index: u32,
    subnet: &Subnet,
) -> Result<(), RuntimeError> {
    let gateway = (subnet.gateway(), subnet.prefix());
    let addresses = rtnl
        .ipv4_addresses(index)
        .map_err(net_error("reading the bridge's addresses"))?;
    if addresses.contains(&gateway) {
        return Ok(());
    }
    if let Some((address, prefix)) = addresses.first() {
        return Err(RuntimeError::NetworkConflict(format!(
            "link {name} exists with {address}/{prefix}, not {}/{}: not a bridge of this subnet",
            gateway.0, gateway.1
        )));
    }
    match rtnl.add_address(index, gateway.0, gateway.1) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
            Err(net_error("giving the bridge its address")(e))
        }
        _ => Ok(()),
    }
}

/// A network of this state root: its bridge, subnet and leases.
#[derive(Debug, Clone)]
pub struct NetworkInfo {
    pub bridge: String,
    pub subnet: Option<Subnet>,
    /// (address, holder's container id)
    pub leases: Vec<(std::net::Ipv4Addr, String)>,
}

/// The networks of this state root, by bridge name.
pub fn list(state_root: &Path) -> Vec<NetworkInfo> {
    let dir = networks_dir(state_root);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut networks: Vec<NetworkInfo> = entries
        .flatten()
        .filter(|entry| entry.path().is_dir())
        .filter_map(|entry| {
            let path = entry.path();
            Some(NetworkInfo {
                bridge: entry.file_name().into_string().ok()?,
                subnet: read_subnet(&path).ok().flatten(),
                leases: Leases::new(&path).list(),
            })
        })
        .collect();
    networks.sort_by(|a, b| a.bridge.cmp(&b.bridge));
    networks
}

/// What [`prune`] did with one network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pruned {
    Removed {
        bridge: String,
        subnet: String,
    },
    InUse {
        bridge: String,
        holders: Vec<String>,
    },
}

/// Removes every network of this state root that no container holds a
/// lease on: its bridge and its state dir.
pub fn prune(state_root: &Path) -> Result<Vec<Pruned>, RuntimeError> {
    let lock = lock(state_root)?;
    let owner = owner_alias(state_root);
    let mut rtnl = Rtnl::open().map_err(net_error("opening rtnetlink"))?;
    let mut done = Vec::new();
    for network in list(state_root) {
        let NetworkInfo {
            bridge,
            subnet,
            leases,
        } = network;
        if !leases.is_empty() {
            let holders = leases
                .iter()
                .map(|(address, owner)| format!("{address} {}", crate::short_id(owner)))
                .collect();
            done.push(Pruned::InUse { bridge, holders });
            continue;
        }
        let network_dir = networks_dir(state_root).join(&bridge);
        let link = rtnl
            .link(&bridge)
            .map_err(net_error("looking up the bridge"))?;
        if link.is_some_and(|link| link.is_bridge && link.alias.as_deref() == Some(&owner)) {
            rtnl.delete_link(&bridge)
                .map_err(net_error("deleting the bridge"))?;
        }
        std::fs::remove_dir_all(&network_dir)
            .map_err(RuntimeError::io("removing", &network_dir))?;
        let subnet = subnet.map(|s| s.to_string()).unwrap_or_default();
        done.push(Pruned::Removed { bridge, subnet });
    }
    drop(lock);
    Ok(done)
}

pub(super) fn net_error(what: &'static str) -> impl FnOnce(std::io::Error) -> RuntimeError {
    move |source| RuntimeError::Network { what, source }
}
