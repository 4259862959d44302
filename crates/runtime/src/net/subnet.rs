//! An IPv4 subnet in CIDR form (`10.47.0.0/24`): parsing, the usable host
//! addresses, and the gateway (the first of them, the bridge's own
//! address). Pure: values in, values out.

use std::net::Ipv4Addr;
use std::str::FromStr;

/// The subnet a bridge network hands addresses from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Subnet {
    network: Ipv4Addr,
    prefix: u8,
}

/// The subnet used when none is configured: a private /24 of our own.
pub const DEFAULT_SUBNET: Subnet = Subnet {
    network: Ipv4Addr::new(10, 47, 0, 0),
    prefix: 24,
};

impl Subnet {
    /// `network/prefix`; `None` unless the host bits of `network` are zero
    /// and the prefix leaves room for a gateway and one container (≤ 30)
    /// without being absurdly large (≥ 16: 65533 containers).
    pub fn new(network: Ipv4Addr, prefix: u8) -> Option<Subnet> {
        if !(16..=30).contains(&prefix) || u32::from(network) & !mask(prefix) != 0 {
            return None;
        }
        Some(Subnet { network, prefix })
    }

    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// The bridge's own address: the first host address.
    pub fn gateway(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.network) + 1)
    }

    /// Addresses a container may get: every host address but the gateway.
    pub fn container_addresses(&self) -> impl Iterator<Item = Ipv4Addr> {
        let first = u32::from(self.network) + 2;
        (first..u32::from(self.broadcast())).map(Ipv4Addr::from)
    }

    /// Whether a container may have `address`: in the subnet, and neither
    /// the network, the gateway nor the broadcast address.
    pub fn is_container_address(&self, address: Ipv4Addr) -> bool {
        let (first, broadcast) = (u32::from(self.network) + 2, u32::from(self.broadcast()));
        (first..broadcast).contains(&u32::from(address))
    }

    fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.network) | !mask(self.prefix))
    }

    pub fn contains(&self, address: Ipv4Addr) -> bool {
        u32::from(address) & mask(self.prefix) == u32::from(self.network)
    }

    /// Whether the two subnets share any address.
    pub fn overlaps(&self, other: &Subnet) -> bool {
        self.overlaps_range(other.network, other.prefix)
    }

    /// Whether any address of `network/prefix` (a route: any prefix, 0 for
    /// the default route) is in this subnet.
    pub fn overlaps_range(&self, network: Ipv4Addr, prefix: u8) -> bool {
        let common = mask(self.prefix.min(prefix.min(32)));
        u32::from(self.network) & common == u32::from(network) & common
    }
}

fn mask(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

impl FromStr for Subnet {
    type Err = String;

    fn from_str(text: &str) -> Result<Subnet, String> {
        let (address, prefix) = text
            .split_once('/')
            .ok_or_else(|| format!("subnet {text:?}: expected CIDR like 10.47.0.0/24"))?;
        let network: Ipv4Addr = address
            .parse()
            .map_err(|_| format!("subnet {text:?}: {address:?} is not an IPv4 address"))?;
        let prefix: u8 = prefix
            .parse()
            .map_err(|_| format!("subnet {text:?}: {prefix:?} is not a prefix length"))?;
        if !(16..=30).contains(&prefix) {
            return Err(format!(
                "subnet {text:?}: the prefix must be 16-30 (65533 to 1 container addresses)"
            ));
        }
        Subnet::new(network, prefix).ok_or_else(|| {
            format!(
                "subnet {text:?}: host bits are set; the network is {}/{prefix}",
                Ipv4Addr::from(u32::from(network) & mask(prefix))
            )
        })
    }
}

impl std::fmt::Display for Subnet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_slash_24_has_253_container_addresses_after_the_gateway() {
        let subnet: Subnet = "10.47.0.0/24".parse().expect("valid");
        assert_eq!(subnet, DEFAULT_SUBNET);
        assert_eq!(subnet.gateway(), Ipv4Addr::new(10, 47, 0, 1));
        let all: Vec<_> = subnet.container_addresses().collect();
        assert_eq!(all.len(), 253);
        assert_eq!(all[0], Ipv4Addr::new(10, 47, 0, 2));
        assert_eq!(all[252], Ipv4Addr::new(10, 47, 0, 254));
    }

    #[test]
    fn a_slash_30_has_one_container_address() {
        let subnet: Subnet = "192.168.9.4/30".parse().expect("valid");
        assert_eq!(
            subnet.container_addresses().collect::<Vec<_>>(),
            vec![Ipv4Addr::new(192, 168, 9, 6)]
        );
    }

    #[test]
    fn bad_subnets_say_what_is_wrong() {
        for (text, needle) in [
            ("10.47.0.0", "expected CIDR"),
            ("10.47.0/24", "not an IPv4 address"),
            ("10.47.0.0/x", "not a prefix length"),
            ("10.47.0.1/24", "the network is 10.47.0.0/24"),
            ("10.47.0.0/31", "prefix must be 16-30"),
            ("10.0.0.0/8", "prefix must be 16-30"),
        ] {
            let err = text.parse::<Subnet>().expect_err(text);
            assert!(err.contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn overlap_is_symmetric_and_nesting_overlaps() {
        let a: Subnet = "10.47.0.0/16".parse().expect("valid");
        let b: Subnet = "10.47.3.0/24".parse().expect("valid");
        let c: Subnet = "10.48.0.0/24".parse().expect("valid");
        assert!(a.overlaps(&b) && b.overlaps(&a));
        assert!(!a.overlaps(&c) && !c.overlaps(&a));
    }

    proptest! {
        #[test]
        fn every_container_address_is_inside_and_not_the_gateway(
            raw in any::<u32>(), prefix in 16u8..=30
        ) {
            let network = Ipv4Addr::from(raw & mask(prefix));
            let subnet = Subnet::new(network, prefix).expect("host bits are zero");
            prop_assert_eq!(subnet.to_string().parse::<Subnet>(), Ok(subnet));
            let count = subnet.container_addresses().count() as u64;
            prop_assert_eq!(count, (1u64 << (32 - prefix)) - 3);
            for address in subnet.container_addresses().take(4) {
                prop_assert!(subnet.contains(address) && subnet.is_container_address(address));
                prop_assert_ne!(address, subnet.gateway());
            }
        }
    }
}
