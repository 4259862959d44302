//! `network` and `ports`: the accepted forms, and each mistake at its line,
//! column and key.

use super::{expect_invalid, host};
use crate::{parse_workload, Network, PortMapping};
use std::net::Ipv4Addr;

fn parse(source: &str) -> (Network, Vec<PortMapping>) {
    let w = parse_workload(source, "t.yaml", &host()).unwrap();
    (w.network, w.ports)
}

fn port(host_ip: Option<Ipv4Addr>, host_port: u16, container_port: u16) -> PortMapping {
    PortMapping {
        host_ip,
        host_port,
        container_port,
    }
}

#[test]
fn network_defaults_to_none() {
    assert_eq!(parse("command: x"), (Network::None, vec![]));
    assert_eq!(parse("command: x\nnetwork: none").0, Network::None);
    assert_eq!(parse("command: x\nnetwork: host").0, Network::Host);
    assert_eq!(parse("command: x\nnetwork: bridge").0, Network::Bridge);
    assert_eq!(parse("command: x\nports: []"), (Network::None, vec![]));
}

#[test]
fn ports_in_every_accepted_form() {
    let ip = |last| Some(Ipv4Addr::new(127, 0, 0, last));
    let (network, ports) = parse(
        "command: x\nnetwork: bridge\nports:\n  - 8080:80\n  - \"127.0.0.1:8443:443\"\n  - 9000:90/tcp\n  - 0.0.0.0:9001:91\n  - 127.0.0.1:9002:92\n  - 127.0.0.2:9002:92\n",
    );
    assert_eq!(network, Network::Bridge);
    assert_eq!(
        ports,
        [
            port(None, 8080, 80),
            port(ip(1), 8443, 443),
            port(None, 9000, 90),
            port(None, 9001, 91),
            port(ip(1), 9002, 92),
            port(ip(2), 9002, 92),
        ]
    );
    let (_, ports) = parse("command: x\nnetwork: bridge\nports: [8080:80, 8081:80]");
    assert_eq!(ports, [port(None, 8080, 80), port(None, 8081, 80)]);
}

#[test]
fn unknown_network_names_the_choices() {
    expect_invalid(
        "command: x\nnetwork: nat",
        (2, 10),
        "network",
        "unknown network `nat`; expected one of none, host, bridge",
    );
    expect_invalid(
        "command: x\nnetwork: [host]",
        (2, 10),
        "network",
        "expected a network: none, host or bridge, got `[host]`",
    );
}

#[test]
fn ports_need_a_bridge() {
    expect_invalid(
        "command: x\nports: [\"8080:80\"]",
        (2, 8),
        "ports",
        "needs `network: bridge`; with `network: none` (the default)",
    );
    expect_invalid(
        "command: x\nnetwork: none\nports:\n  - 8080:80",
        (4, 3),
        "ports",
        "needs `network: bridge`",
    );
    expect_invalid(
        "command: x\nnetwork: host\nports: [\"8080:80\"]",
        (3, 8),
        "ports",
        "needs `network: bridge`; with `network: host` the workload listens on the host's ports",
    );
}

#[test]
fn bad_entries_point_at_the_entry() {
    let bridge = "command: x\nnetwork: bridge\n";
    let cases = [
        (
            "ports: [\"0:80\"]",
            (3, 9),
            "`0:80`: host port 0 is out of range 1-65535",
        ),
        (
            "ports: [\"80:70000\"]",
            (3, 9),
            "container port 70000 is out of range 1-65535",
        ),
        (
            "ports: [\"8080:80/udp\"]",
            (3, 9),
            "`8080:80/udp`: \"/udp\": only tcp ports are published (the forwarder is a TCP proxy)",
        ),
        (
            "ports: [\"80\"]",
            (3, 9),
            "`80`: expected [HOST_IP:]HOST_PORT:CONTAINER_PORT like 8080:80",
        ),
        (
            "ports:\n  - 8080:80\n  - \"localhost:1:2\"",
            (5, 5),
            "`localhost` is not an IPv4 address",
        ),
        (
            "ports: [\"http:80\"]",
            (3, 9),
            "the host port `http` is not a number",
        ),
    ];
    for (ports, at, fragment) in cases {
        expect_invalid(&format!("{bridge}{ports}"), at, "ports", fragment);
    }
}

#[test]
fn ports_of_the_wrong_kind() {
    expect_invalid(
        "command: x\nnetwork: bridge\nports: 8080",
        (3, 8),
        "ports",
        "expected a list of \"[HOST_IP:]HOST_PORT:CONTAINER_PORT\" strings like \"8080:80\", got `8080`",
    );
    expect_invalid(
        "command: x\nnetwork: bridge\nports: {a: 1}",
        (3, 8),
        "ports",
        "got `{a: 1}`",
    );
}

#[test]
fn a_host_port_published_twice_on_a_common_address() {
    let bridge = "command: x\nnetwork: bridge\n";
    expect_invalid(
        &format!("{bridge}ports:\n  - 8080:80\n  - 8080:81\n"),
        (5, 5),
        "ports",
        "`8080:81`: host port 8080 is already published by `8080:80` at line 4",
    );
    expect_invalid(
        &format!("{bridge}ports: [\"127.0.0.1:8080:80\", \"9090:90\", \"8080:81\"]"),
        (3, 41),
        "ports",
        "host port 8080 is already published by `127.0.0.1:8080:80` at line 3",
    );
    expect_invalid(
        &format!("{bridge}ports:\n  - 8080:80\n  - 127.0.0.1:8080:81\n"),
        (5, 5),
        "ports",
        "host port 8080 is already published by `8080:80`",
    );
    expect_invalid(
        &format!("{bridge}ports:\n  - 10.0.0.1:8080:80\n  - 10.0.0.1:8080:81\n"),
        (5, 5),
        "ports",
        "host port 8080 is already published by `10.0.0.1:8080:80`",
    );
}
