//! Tests for lowering `network` and `ports`: which namespaces the Spec asks
//! for, and the network and ports annotations (read back with
//! [`ports_from_annotation`]).

use super::*;
use crate::{parse_workload, ports_from_annotation, HostFacts, PortMapping};
use oci_spec::runtime::LinuxNamespaceType;
use std::net::Ipv4Addr;

fn lowered(source: &str) -> Spec {
    let w = parse_workload(source, "t.yaml", &HostFacts { cpus: vec![0] }).unwrap();
    lower(&w).unwrap()
}

fn namespaces(spec: &Spec) -> Vec<LinuxNamespaceType> {
    let linux = spec.linux().as_ref().unwrap();
    linux
        .namespaces()
        .as_ref()
        .unwrap()
        .iter()
        .map(|ns| ns.typ())
        .collect()
}

fn annotation(spec: &Spec, key: &str) -> Option<String> {
    spec.annotations().as_ref()?.get(key).cloned()
}

#[test]
fn host_network_has_no_network_namespace() {
    let spec = lowered("command: x\nnetwork: host");
    assert_eq!(
        namespaces(&spec),
        [
            LinuxNamespaceType::Pid,
            LinuxNamespaceType::Ipc,
            LinuxNamespaceType::Uts,
            LinuxNamespaceType::Mount,
            LinuxNamespaceType::Cgroup
        ]
    );
    assert_eq!(
        annotation(&spec, ANNOTATION_NETWORK).as_deref(),
        Some("host")
    );
    assert_eq!(annotation(&spec, ANNOTATION_PORTS), None);
}

#[test]
fn none_keeps_the_namespace_without_annotations() {
    for source in ["command: x", "command: x\nnetwork: none"] {
        let spec = lowered(source);
        assert!(namespaces(&spec).contains(&LinuxNamespaceType::Network));
        assert_eq!(spec.annotations(), &None, "{source}");
    }
}

#[test]
fn bridge_keeps_the_namespace_and_annotates_network_and_ports() {
    let spec = lowered(
        "command: x\nnetwork: bridge\nports: [\"8080:80/tcp\", \"0.0.0.0:9090:90\", \"127.0.0.1:8443:443\"]",
    );
    assert_eq!(namespaces(&spec).len(), 6);
    assert!(namespaces(&spec).contains(&LinuxNamespaceType::Network));
    assert_eq!(
        annotation(&spec, ANNOTATION_NETWORK).as_deref(),
        Some("bridge")
    );
    let ports = annotation(&spec, ANNOTATION_PORTS).unwrap();
    assert_eq!(ports, "8080:80,9090:90,127.0.0.1:8443:443");
    let back = ports_from_annotation(&ports).unwrap();
    assert_eq!(
        back[2],
        PortMapping {
            host_ip: Some(Ipv4Addr::LOCALHOST),
            host_port: 8443,
            container_port: 443
        }
    );
    let spec = lowered("command: x\nnetwork: bridge");
    assert_eq!(annotation(&spec, ANNOTATION_PORTS), None);
}

#[test]
fn ports_annotation_round_trips_the_workload_ports() {
    let mut w = Workload::new(vec!["x".into()]);
    w.network = Network::Bridge;
    w.ports = vec![
        "1:65535".parse().unwrap(),
        "10.1.2.3:80:8080".parse().unwrap(),
    ];
    let spec = lower(&w).unwrap();
    let value = annotation(&spec, ANNOTATION_PORTS).unwrap();
    assert_eq!(ports_from_annotation(&value), Ok(w.ports));
}

#[test]
fn ports_without_a_bridge_are_a_lower_error() {
    let mut w = Workload::new(vec!["x".into()]);
    w.ports = vec!["8080:80".parse().unwrap()];
    assert!(matches!(lower(&w), Err(SpecError::Lower(_))));
    w.network = Network::Host;
    assert!(matches!(lower(&w), Err(SpecError::Lower(_))));
}
