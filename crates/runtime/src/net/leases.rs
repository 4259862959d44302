//! The address allocator of a bridge network: one file per leased address,
//! `<network dir>/leases/<address>`, holding the id of the container that
//! holds it. A lease is taken by creating its file with O_EXCL, so two
//! concurrent runs can never get the same address, and it lives on disk, so
//! a crashed supervisor's lease is found (by owner) and released by `gc`.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use super::subnet::Subnet;
use crate::RuntimeError;

/// The leases of one network.
#[derive(Debug, Clone)]
pub struct Leases {
    dir: PathBuf,
    /// `<network dir>/last`: the address leased last.
    last: PathBuf,
}

impl Leases {
    pub fn new(network_dir: &Path) -> Leases {
        Leases {
            dir: network_dir.join("leases"),
            last: network_dir.join("last"),
        }
    }

    fn path(&self, address: Ipv4Addr) -> PathBuf {
        self.dir.join(address.to_string())
    }

    /// Leases `wanted` (refused if taken or outside the subnet), or else the
    /// lowest free address of `subnet`, to container `owner`.
    pub fn take(
        &self,
        subnet: &Subnet,
        owner: &str,
        wanted: Option<Ipv4Addr>,
    ) -> Result<Ipv4Addr, RuntimeError> {
        std::fs::create_dir_all(&self.dir)
            .map_err(RuntimeError::io("creating the leases dir", &self.dir))?;
        if let Some(address) = wanted {
            if !subnet.is_container_address(address) {
                return Err(RuntimeError::AddressUnusable {
                    address,
                    subnet: subnet.to_string(),
                });
            }
            return match self.try_take(address, owner)? {
                true => {
                    self.remember_last(address);
                    Ok(address)
                }
                false => Err(RuntimeError::AddressInUse {
                    address,
                    owner: self.owner(address).unwrap_or_default(),
                }),
            };
        }
        for address in self.round_robin(subnet) {
            if self.try_take(address, owner)? {
                self.remember_last(address);
                return Ok(address);
            }
        }
        Err(RuntimeError::SubnetExhausted {
            subnet: subnet.to_string(),
            leased: self.list().len(),
        })
    }

    /// Creates the lease file; false when another container holds it.
    fn try_take(&self, address: Ipv4Addr, owner: &str) -> Result<bool, RuntimeError> {
        let path = self.path(address);
        crate::claim::claim(&path, owner).map_err(RuntimeError::io("taking the lease", &path))
    }

    /// The subnet's addresses starting after the one leased last, as
    /// docker does: an address just released (whose old MAC the host may
    /// still have in its neighbour cache for a while) is reused last.
    pub fn round_robin(&self, subnet: &Subnet) -> Vec<Ipv4Addr> {
        let mut all: Vec<Ipv4Addr> = subnet.container_addresses().collect();
        let last = std::fs::read_to_string(&self.last)
            .ok()
            .and_then(|text| text.trim().parse::<Ipv4Addr>().ok());
        let start = last
            .and_then(|last| all.iter().position(|a| *a == last))
            .map_or(0, |i| i + 1);
        let start = start.min(all.len());
        all.rotate_left(start);
        all
    }

    /// Best effort: a lost write only makes the next scan start lower.
    fn remember_last(&self, address: Ipv4Addr) {
        let _ = std::fs::write(&self.last, address.to_string());
    }

    /// Who holds `address`, if anyone.
    pub fn owner(&self, address: Ipv4Addr) -> Option<String> {
        std::fs::read_to_string(self.path(address)).ok()
    }

    /// Every lease: (address, owner), in address order.
    pub fn list(&self) -> Vec<(Ipv4Addr, String)> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut leases: Vec<_> = entries
            .flatten()
            .filter_map(|entry| entry.file_name().to_str()?.parse::<Ipv4Addr>().ok())
            .filter_map(|address| Some((address, self.owner(address)?)))
            .collect();
        leases.sort();
        leases
    }

    /// Releases `address` if `owner` holds it; true when it did.
    pub fn release(&self, address: Ipv4Addr, owner: &str) -> bool {
        self.owner(address).as_deref() == Some(owner)
            && std::fs::remove_file(self.path(address)).is_ok()
    }

    /// Releases every lease `owner` holds; returns the addresses released.
    pub fn release_owned_by(&self, owner: &str) -> Vec<Ipv4Addr> {
        let mut released = Vec::new();
        for (address, holder) in self.list() {
            if holder == owner && std::fs::remove_file(self.path(address)).is_ok() {
                released.push(address);
            }
        }
        released
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subnet(text: &str) -> Subnet {
        text.parse().expect("valid subnet")
    }

    #[test]
    fn leases_go_round_robin_and_are_released_by_owner() {
        let dir = tempfile::tempdir().expect("tempdir");
        let leases = Leases::new(dir.path());
        let net = subnet("10.9.0.0/29");
        let a = leases.take(&net, "a", None).expect("first");
        let b = leases.take(&net, "b", None).expect("second");
        assert_eq!(
            (a, b),
            (Ipv4Addr::new(10, 9, 0, 2), Ipv4Addr::new(10, 9, 0, 3))
        );
        assert_eq!(leases.release_owned_by("a"), vec![a]);
        let c = leases.take(&net, "c", None).expect("third");
        assert_eq!(
            c,
            Ipv4Addr::new(10, 9, 0, 4),
            "a released address comes last"
        );
        for owner in ["d", "e"] {
            leases.take(&net, owner, None).expect("fits");
        }
        assert_eq!(leases.take(&net, "f", None).expect("wraps around"), a);
        assert_eq!(leases.list().len(), 5);
        assert_eq!(leases.list()[0], (a, "f".into()));
    }

    #[test]
    fn an_exhausted_subnet_is_an_error_naming_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let leases = Leases::new(dir.path());
        let net = subnet("10.9.0.0/29");
        for n in 0..5 {
            leases.take(&net, &format!("c{n}"), None).expect("fits");
        }
        let err = leases.take(&net, "late", None).expect_err("full");
        assert!(
            err.to_string().contains("10.9.0.0/29") && err.to_string().contains("5"),
            "{err}"
        );
    }

    #[test]
    fn a_wanted_address_is_checked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let leases = Leases::new(dir.path());
        let net = subnet("10.9.0.0/24");
        let wanted = Ipv4Addr::new(10, 9, 0, 77);
        assert_eq!(leases.take(&net, "a", Some(wanted)).expect("free"), wanted);
        let taken = leases.take(&net, "b", Some(wanted)).expect_err("taken");
        assert!(taken.to_string().contains("container a"), "{taken}");
        for bad in [
            Ipv4Addr::new(10, 9, 0, 0),
            Ipv4Addr::new(10, 9, 0, 1),
            Ipv4Addr::new(10, 9, 0, 255),
            Ipv4Addr::new(10, 8, 0, 5),
        ] {
            assert!(leases.take(&net, "b", Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn concurrent_takers_never_share_an_address() {
        let dir = tempfile::tempdir().expect("tempdir");
        let net = subnet("10.9.0.0/26");
        let got: Vec<Ipv4Addr> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..40)
                .map(|n| {
                    let leases = Leases::new(dir.path());
                    s.spawn(move || leases.take(&net, &format!("c{n}"), None).expect("fits"))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("join"))
                .collect()
        });
        let unique: std::collections::BTreeSet<_> = got.iter().collect();
        assert_eq!(unique.len(), 40);
    }
}
