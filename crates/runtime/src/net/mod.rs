//! Container networking. `network: none` gives a new namespace with only
//! loopback ([`loopback`], done by the child); `host` shares the host's (no
//! namespace at all); `bridge` puts the container on a Linux bridge (`ctl0`
//! by default) through a veth pair, with an address leased from the
//! bridge's subnet ([`leases`], [`subnet`]), a default route via the bridge,
//! its own `/etc/hosts` and `/etc/resolv.conf` ([`files`]) and published
//! ports forwarded by a userspace proxy ([`proxy`]). All link, address and
//! route changes go through rtnetlink ([`netlink`]); nothing shells out.

mod attach;
mod bridge;
mod files;
mod leases;
pub mod loopback;
mod netlink;
mod proxy;
mod subnet;

pub use attach::{prepare, reclaim, veth_name, Attachment, BridgeRequest};
pub use bridge::{free_addresses, list, networks_dir, prune, NetworkInfo, Pruned};
pub use leases::Leases;
pub use proxy::Publish;
pub use subnet::{Subnet, DEFAULT_SUBNET};
