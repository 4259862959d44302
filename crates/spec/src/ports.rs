//! Published ports: `ports:` entries `[HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp]`
//! parsed into [`PortMapping`]s, the checks on the list (it needs
//! `network: bridge`, and no host port may be published twice on a common
//! address), and the [`crate::ANNOTATION_PORTS`] value that carries the
//! mappings to the runtime ([`ports_from_annotation`] reads it back).

use crate::error::SpecError;
use crate::validate::Check;
use crate::workload::Network;
use serde_saphyr::Spanned;
use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

const FORMAT: &str = "expected [HOST_IP:]HOST_PORT:CONTAINER_PORT like 8080:80";

/// One published port: TCP connections to `host_port` on the host (on
/// `host_ip`, or on every address) are forwarded to `container_port` in the
/// container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PortMapping {
    /// The host address to listen on; `None` for every address. Parsing
    /// reads `0.0.0.0` as `None`, and `Display` writes `Some(0.0.0.0)` as it.
    pub host_ip: Option<Ipv4Addr>,
    pub host_port: u16,
    pub container_port: u16,
}

impl PortMapping {
    /// The one address listened on, `None` for every address.
    fn listen_ip(&self) -> Option<Ipv4Addr> {
        self.host_ip.filter(|ip| !ip.is_unspecified())
    }

    /// Both listen on the same host port and on a common address (the same
    /// IP, or either on every address), so they cannot both be bound.
    pub fn overlaps(&self, other: &PortMapping) -> bool {
        self.host_port == other.host_port
            && match (self.listen_ip(), other.listen_ip()) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }
}

impl FromStr for PortMapping {
    type Err = String;

    /// `8080:80`, `127.0.0.1:8080:80`, either with `/tcp`.
    fn from_str(text: &str) -> Result<Self, String> {
        let mapping = match text.split_once('/') {
            Some((mapping, protocol)) if protocol.eq_ignore_ascii_case("tcp") => mapping,
            Some((_, "")) => {
                return Err("nothing after '/'; write /tcp or leave the protocol out".to_string())
            }
            Some((_, protocol)) => {
                return Err(format!(
                    "\"/{protocol}\": only tcp ports are published (the forwarder is a TCP proxy)"
                ))
            }
            None => text,
        };
        let parts: Vec<&str> = mapping.split(':').collect();
        let (host_ip, host, container) = match parts[..] {
            [host, container] => (None, host, container),
            [ip, host, container] => (host_ip(ip)?, host, container),
            _ => return Err(FORMAT.to_string()),
        };
        Ok(PortMapping {
            host_ip,
            host_port: port(host, "host")?,
            container_port: port(container, "container")?,
        })
    }
}

impl fmt::Display for PortMapping {
    /// The canonical form: `8080:80`, or `127.0.0.1:8080:80`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(ip) = self.listen_ip() {
            write!(f, "{ip}:")?;
        }
        write!(f, "{}:{}", self.host_port, self.container_port)
    }
}

fn host_ip(text: &str) -> Result<Option<Ipv4Addr>, String> {
    if text.is_empty() {
        return Err(
            "the host IP is empty; give one like 127.0.0.1, or leave it out for every address"
                .to_string(),
        );
    }
    let ip: Ipv4Addr = text
        .parse()
        .map_err(|_| format!("`{text}` is not an IPv4 address like 127.0.0.1"))?;
    Ok((!ip.is_unspecified()).then_some(ip))
}

/// A port number in 1-65535; `which` is `host` or `container`.
fn port(text: &str, which: &str) -> Result<u16, String> {
    if text.is_empty() {
        return Err(format!("the {which} port is missing; {FORMAT}"));
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("the {which} port `{text}` is not a number"));
    }
    text.parse::<u16>()
        .ok()
        .filter(|&port| port > 0)
        .ok_or_else(|| format!("{which} port {text} is out of range 1-65535"))
}

/// The [`crate::ANNOTATION_PORTS`] value: the canonical forms joined by `,`.
pub(crate) fn ports_annotation(ports: &[PortMapping]) -> String {
    let texts: Vec<String> = ports.iter().map(PortMapping::to_string).collect();
    texts.join(",")
}

/// Reads an [`crate::ANNOTATION_PORTS`] value back (the inverse of what
/// lowering writes; spaces around entries are allowed, an empty value is no
/// ports). Overlapping entries are not checked here: validation did that.
pub fn ports_from_annotation(value: &str) -> Result<Vec<PortMapping>, String> {
    if value.trim().is_empty() {
        return Ok(Vec::new());
    }
    value
        .split(',')
        .map(|entry| {
            let entry = entry.trim();
            entry.parse().map_err(|m| format!("`{entry}`: {m}"))
        })
        .collect()
}

impl Check<'_> {
    /// `ports`: every entry parsed, only with `network: bridge`, and no two
    /// entries overlapping (the error points at the second one).
    pub(crate) fn ports(
        &self,
        ports: Option<Spanned<Vec<Spanned<String>>>>,
        network: Network,
    ) -> Result<Vec<PortMapping>, SpecError> {
        let Some(ports) = ports.filter(|p| !p.value.is_empty()) else {
            return Ok(Vec::new());
        };
        if network != Network::Bridge {
            return Err(self.err(&ports.referenced, "ports", needs_bridge(network)));
        }
        let mut seen: Vec<(PortMapping, String, u64)> = Vec::with_capacity(ports.value.len());
        for entry in ports.value {
            let at = entry.referenced;
            let text = entry.value;
            let mapping: PortMapping = text
                .parse()
                .map_err(|m| self.err(&at, "ports", format!("`{text}`: {m}")))?;
            if let Some((_, first, line)) = seen.iter().find(|(m, ..)| m.overlaps(&mapping)) {
                let message = format!(
                    "`{text}`: host port {} is already published by `{first}` at line {line}",
                    mapping.host_port
                );
                return Err(self.err(&at, "ports", message));
            }
            seen.push((mapping, text, at.line()));
        }
        Ok(seen.into_iter().map(|(mapping, ..)| mapping).collect())
    }
}

fn needs_bridge(network: Network) -> &'static str {
    match network {
        Network::Host => {
            "needs `network: bridge`; with `network: host` the workload listens on the host's ports itself"
        }
        Network::None | Network::Bridge => {
            "needs `network: bridge`; with `network: none` (the default) there is no network to forward to"
        }
    }
}

#[cfg(test)]
mod tests;
