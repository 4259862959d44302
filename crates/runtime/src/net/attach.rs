//! A container's place on a bridge network, in the supervisor's three
//! moments: [`prepare`] before PID 1 exists (bridge, lease, name files,
//! published ports bound: every way this can fail, it fails before the
//! clone), [`Attachment::connect`] once PID 1 waits in its new network
//! namespace (the veth pair with its eth0 end created inside it, address,
//! default route), and [`Attachment::teardown`] on every way out (ports
//! closed, lease released; the veth goes with the namespace).

use std::net::Ipv4Addr;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use super::bridge::{self, net_error};
use super::leases::Leases;
use super::netlink::Rtnl;
use super::proxy::{self, Bound, Forwarding, Publish};
use super::subnet::Subnet;
use crate::RuntimeError;

/// Put the container on a bridge network.
#[derive(Debug, Clone, Default)]
pub struct BridgeRequest {
    /// The bridge (`ctl0` by default).
    pub bridge: String,
    /// The subnet to create it with; `None`: the one it has, else the default.
    pub subnet: Option<Subnet>,
    /// This address rather than the next free one.
    pub address: Option<Ipv4Addr>,
    /// Host ports forwarded to the container.
    pub ports: Vec<Publish>,
    /// More `/etc/hosts` entries (the peers started by the same `up`).
    pub hosts: Vec<(String, Ipv4Addr)>,
}

/// Where a container stands on a bridge network: its lease, its veth,
/// its published ports and its name files.
#[derive(Debug)]
pub struct Attachment {
    id: String,
    bridge_index: u32,
    subnet: Subnet,
    pub address: Ipv4Addr,
    leases: Leases,
    veth: String,
    bound: Option<Bound>,
    forwarding: Option<Forwarding>,
    /// Host files to bind over `/etc/hosts`, `/etc/resolv.conf` and `/etc/hostname`.
    pub files: Vec<(PathBuf, &'static str)>,
}

/// The host end of a container's veth pair: `veth` and 11 characters of its id.
pub fn veth_name(id: &str) -> String {
    format!("veth{}", id.get(..11).unwrap_or(id))
}

/// The MAC of the eth0 that has `address`: locally administered, the
/// address in its last four bytes (as docker does), so whoever gets an
/// address again gets its MAC too and the neighbour caches stay right.
pub fn mac_for(address: Ipv4Addr) -> [u8; 6] {
    let [a, b, c, d] = address.octets();
    [0x02, 0x42, a, b, c, d]
}

/// Bridge, lease, name files and bound ports, before the clone.
pub fn prepare(
    state_root: &Path,
    state_dir: &Path,
    id: &str,
    hostname: Option<&str>,
    request: &BridgeRequest,
) -> Result<Attachment, RuntimeError> {
    let (network, address) = {
        let lock = bridge::lock(state_root)?;
        let network = bridge::ensure(state_root, &request.bridge, request.subnet, &lock)?;
        let address = network.leases.take(&network.subnet, id, request.address)?;
        (network, address)
    };
    let mut attachment = Attachment {
        id: id.to_string(),
        bridge_index: network.index,
        subnet: network.subnet,
        address,
        leases: network.leases,
        veth: veth_name(id),
        bound: None,
        forwarding: None,
        files: Vec::new(),
    };
    // From here on a failure releases the lease (the attachment drops).
    attachment.write_files(state_dir, hostname, &request.hosts)?;
    attachment.bound = Some(proxy::bind(&request.ports)?);
    tracing::info!(
        step = "network",
        bridge = %network.bridge,
        "leased {address}/{} on {}",
        network.subnet.prefix(),
        network.bridge
    );
    Ok(attachment)
}

impl Attachment {
    fn write_files(
        &mut self,
        state_dir: &Path,
        hostname: Option<&str>,
        peers: &[(String, Ipv4Addr)],
    ) -> Result<(), RuntimeError> {
        let host_resolv = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
        let mut files = vec![
            (
                "hosts",
                super::files::hosts(hostname, self.address, peers),
                "/etc/hosts",
            ),
            (
                "resolv.conf",
                super::files::resolv_conf(&host_resolv),
                "/etc/resolv.conf",
            ),
        ];
        if let Some(name) = hostname {
            files.push(("hostname", format!("{name}\n"), "/etc/hostname"));
        }
        for (name, text, destination) in files {
            let path = state_dir.join(name);
            std::fs::write(&path, text).map_err(RuntimeError::io("writing", &path))?;
            self.files.push((path, destination));
        }
        Ok(())
    }

    /// Wires PID 1's network namespace to the bridge: a veth pair whose
    /// `eth0` end is created inside it, the address and the default route.
    pub fn connect(&mut self, pid1: i32) -> Result<(), RuntimeError> {
        let ns_path = format!("/proc/{pid1}/ns/net");
        let netns = std::fs::File::open(&ns_path).map_err(RuntimeError::io("opening", &ns_path))?;
        let mut host = Rtnl::open().map_err(net_error("opening rtnetlink"))?;
        host.add_veth(&self.veth, "eth0", mac_for(self.address), netns.as_fd())
            .map_err(net_error("creating the veth pair"))?;
        let index = host
            .link_index(&self.veth)
            .map_err(net_error("looking up the veth"))?
            .ok_or_else(|| RuntimeError::NetworkConflict(format!("{} vanished", self.veth)))?;
        host.set_up(index, Some(self.bridge_index))
            .map_err(net_error("putting the veth on the bridge"))?;
        let mut inside = Rtnl::open_in(netns.as_fd())
            .map_err(net_error("entering the container's network namespace"))?;
        let eth0 = inside
            .link_index("eth0")
            .map_err(net_error("looking up eth0"))?
            .ok_or_else(|| {
                RuntimeError::NetworkConflict("eth0 is missing in the container".into())
            })?;
        inside
            .add_address(eth0, self.address, self.subnet.prefix())
            .map_err(net_error("giving eth0 its address"))?;
        inside
            .set_up(eth0, None)
            .map_err(net_error("setting eth0 up"))?;
        inside
            .add_default_route(self.subnet.gateway())
            .map_err(net_error("adding the default route"))?;
        tracing::info!(
            step = "network",
            "eth0 {}/{} via {} ({} on the host)",
            self.address,
            self.subnet.prefix(),
            self.subnet.gateway(),
            self.veth
        );
        Ok(())
    }

    /// Starts forwarding the published ports (threads: after the clone).
    pub fn forward_ports(&mut self) {
        if let Some(bound) = self.bound.take() {
            self.forwarding = Some(bound.start(self.address));
        }
    }

    /// Closes the ports and releases the lease, once the container's
    /// processes are gone. The veth pair goes with the container's network
    /// namespace: once its last process has gone, the kernel deletes eth0,
    /// and with it the host end, asynchronously (usually within tens of
    /// ms). Deleting it here ourselves would cost every run ~25 ms (an RCU
    /// grace period in unregister_netdevice) for what the kernel does anyway;
    /// [`reclaim`] still deletes it for a crashed supervisor. Until then the
    /// old eth0 may still answer ARP for the address: leases go round-robin
    /// (an address is reused last), and the MAC follows from the address
    /// ([`mac_for`]), so a reused address keeps its MAC and no neighbour
    /// cache goes stale.
    pub fn teardown(&mut self) {
        if let Some(mut forwarding) = self.forwarding.take() {
            forwarding.stop();
        }
        self.bound = None;
        if self.leases.release(self.address, &self.id) {
            tracing::info!(step = "cleanup", "released {}", self.address);
        }
    }
}

impl Drop for Attachment {
    fn drop(&mut self) {
        self.teardown();
    }
}

/// What a container whose supervisor died may have left: its veth and its
/// leases on any network of this state root.
pub fn reclaim(state_root: &Path, id: &str) {
    if id.len() < 11 {
        return; // not a container id: no veth or lease of ours
    }
    let veth = veth_name(id);
    match Rtnl::open().and_then(|mut rtnl| rtnl.delete_link(&veth)) {
        Ok(true) => tracing::info!(step = "cleanup", "deleted {veth}"),
        Ok(false) => {}
        Err(e) => tracing::warn!(step = "cleanup", "deleting {veth}: {e}"),
    }
    let Ok(entries) = std::fs::read_dir(bridge::networks_dir(state_root)) else {
        return;
    };
    for entry in entries.flatten().filter(|entry| entry.path().is_dir()) {
        for address in Leases::new(&entry.path()).release_owned_by(id) {
            tracing::info!(step = "cleanup", "released {address}");
        }
    }
}
