//! The name files a bridge container gets: `/etc/hosts` (loopback, its own
//! name and address, and the peers it was told about) and
//! `/etc/resolv.conf` (the host's, minus loopback name servers, which mean
//! the host's own resolver and are unreachable from another namespace).
//! Pure text in, text out; the supervisor writes them into the state dir
//! and they are bound over the container's.

use std::net::Ipv4Addr;

/// `/etc/hosts` for a container called `hostname` at `address`.
pub fn hosts(hostname: Option<&str>, address: Ipv4Addr, peers: &[(String, Ipv4Addr)]) -> String {
    let mut text =
        String::from("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
    if let Some(name) = hostname {
        text.push_str(&format!("{address}\t{name}\n"));
    }
    for (name, peer) in peers {
        if Some(name.as_str()) != hostname {
            text.push_str(&format!("{peer}\t{name}\n"));
        }
    }
    text
}

/// `/etc/resolv.conf` from the host's: search and option lines are kept,
/// name servers on loopback are dropped.
pub fn resolv_conf(host: &str) -> String {
    let mut text = String::from("# written by containerctl from the host's resolv.conf\n");
    for line in host.lines() {
        let mut words = line.split_whitespace();
        let keep = match words.next() {
            Some("nameserver") => words
                .next()
                .and_then(|a| a.parse::<std::net::IpAddr>().ok())
                .is_some_and(|a| !a.is_loopback()),
            Some("search" | "domain" | "options") => true,
            _ => false,
        };
        if keep {
            text.push_str(line.trim());
            text.push('\n');
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_name_the_container_and_its_peers_once() {
        let me = Ipv4Addr::new(10, 47, 0, 2);
        let peers = vec![
            ("web".to_string(), me),
            ("db".to_string(), Ipv4Addr::new(10, 47, 0, 3)),
        ];
        let text = hosts(Some("web"), me, &peers);
        assert!(text.starts_with("127.0.0.1\tlocalhost\n"));
        assert!(text.contains("10.47.0.2\tweb\n"));
        assert!(text.contains("10.47.0.3\tdb\n"));
        assert_eq!(text.matches("web").count(), 1, "{text}");
    }

    #[test]
    fn loopback_name_servers_are_dropped() {
        let host = "# comment\nnameserver 127.0.0.53\nnameserver 10.255.255.53\n\
                    nameserver ::1\nsearch example.org\noptions edns0\nsortlist x\n";
        let text = resolv_conf(host);
        assert!(text.contains("nameserver 10.255.255.53\n"));
        assert!(text.contains("search example.org\n") && text.contains("options edns0\n"));
        assert!(
            !text.contains("127.0.0.53") && !text.contains("::1") && !text.contains("sortlist")
        );
    }
}
