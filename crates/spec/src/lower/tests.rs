//! Tests for lowering: resource numbers, environment, user, capabilities,
//! namespaces, mounts, annotations, and that the Spec survives JSON.

use super::*;
use crate::workload::{CpuCount, GpuRequest};
use crate::{parse_workload, HostFacts, HOST_ROOTFS};
use oci_spec::runtime::{Capability, LinuxNamespaceType};
use std::time::Duration;

fn workload(source: &str) -> Workload {
    parse_workload(
        source,
        "t.yaml",
        &HostFacts {
            cpus: vec![0, 1, 2, 3],
        },
    )
    .unwrap()
}

fn env_of(spec: &Spec) -> Vec<String> {
    spec.process().as_ref().unwrap().env().clone().unwrap()
}

#[test]
fn minimal_workload_gets_the_fixed_parts() {
    let spec = lower(&Workload::new(vec!["true".into()])).unwrap();
    assert_eq!(spec.version(), "1.2.0");
    let root = spec.root().as_ref().unwrap();
    assert_eq!(root.path().to_str(), Some(HOST_ROOTFS));
    assert_eq!(root.readonly(), Some(true));
    assert_eq!(spec.hostname(), &None);
    assert_eq!(spec.annotations(), &None);

    let process = spec.process().as_ref().unwrap();
    assert_eq!(process.args().as_deref(), Some(&["true".to_string()][..]));
    assert_eq!(process.cwd().to_str(), Some("/"));
    assert_eq!(process.terminal(), Some(false));
    assert_eq!(process.no_new_privileges(), Some(true));
    assert_eq!(process.rlimits(), &None);
    assert_eq!((process.user().uid(), process.user().gid()), (0, 0));
    assert_eq!(process.user().additional_gids().as_deref(), Some(&[][..]));
    assert_eq!(
        env_of(&spec),
        [
            format!("PATH={}", crate::DEFAULT_PATH),
            "HOME=/root".to_string()
        ]
    );

    let resources = spec.linux().as_ref().unwrap().resources().as_ref().unwrap();
    assert!(
        resources.cpu().is_none() && resources.memory().is_none() && resources.pids().is_none()
    );
}

#[test]
fn half_a_cpu_is_a_50ms_quota_per_100ms() {
    let spec = lower(&workload("command: x\ncpu: 0.5\ncpus: \"3,1-2\"")).unwrap();
    let cpu = spec
        .linux()
        .as_ref()
        .unwrap()
        .resources()
        .as_ref()
        .unwrap()
        .cpu()
        .clone()
        .unwrap();
    assert_eq!(cpu.quota(), Some(50_000));
    assert_eq!(cpu.period(), Some(CFS_PERIOD_US));
    assert_eq!(cpu.cpus().as_deref(), Some("1-3"));
}

#[test]
fn cpus_without_cpu_sets_only_the_cpu_list() {
    let spec = lower(&workload("command: x\ncpus: 2")).unwrap();
    let cpu = spec
        .linux()
        .as_ref()
        .unwrap()
        .resources()
        .as_ref()
        .unwrap()
        .cpu()
        .clone()
        .unwrap();
    assert_eq!(
        (cpu.quota(), cpu.period(), cpu.cpus().as_deref()),
        (None, None, Some("2"))
    );
}

#[test]
fn memory_and_pids_limits() {
    let spec = lower(&workload("command: x\nmemory: 512M\npids: 100\ncpu: 2")).unwrap();
    let resources = spec.linux().as_ref().unwrap().resources().clone().unwrap();
    let memory = resources.memory().unwrap();
    assert_eq!(memory.limit(), Some(512 << 20));
    assert_eq!(
        memory.swap(),
        Some(512 << 20),
        "swap equal to limit means no swap"
    );
    assert_eq!(resources.pids().as_ref().unwrap().limit(), 100);
    assert_eq!(resources.cpu().as_ref().unwrap().quota(), Some(200_000));
}

#[test]
fn user_env_overrides_path_and_home_without_duplicates() {
    let spec = lower(&workload(
        "command: x\nuser: 1000\nenv: {FOO: bar, PATH: /opt/bin, N: 1}",
    ))
    .unwrap();
    assert_eq!(env_of(&spec), ["PATH=/opt/bin", "HOME=/", "FOO=bar", "N=1"]);
    let user = spec.process().as_ref().unwrap().user().clone();
    assert_eq!((user.uid(), user.gid()), (1000, 1000));
    let spec = lower(&workload("command: x\nenv: {HOME: /home/me}")).unwrap();
    assert_eq!(env_of(&spec)[1], "HOME=/home/me");
}

#[test]
fn capabilities_are_dockers_fourteen() {
    assert_eq!(default_capabilities().len(), 14);
    let spec = lower(&workload("command: x")).unwrap();
    let caps = spec
        .process()
        .as_ref()
        .unwrap()
        .capabilities()
        .clone()
        .unwrap();
    for set in [caps.bounding(), caps.effective(), caps.permitted()] {
        let set = set.as_ref().unwrap();
        assert_eq!(set.len(), 14);
        assert!(set.contains(&Capability::Mknod) && set.contains(&Capability::NetBindService));
        assert!(!set.contains(&Capability::SysAdmin));
    }
    assert!(caps.inheritable().as_ref().unwrap().is_empty());
    assert!(caps.ambient().as_ref().unwrap().is_empty());
}

#[test]
fn namespaces_devices_and_paths() {
    let spec = lower(&workload("command: x")).unwrap();
    let linux = spec.linux().as_ref().unwrap();
    let namespaces: Vec<LinuxNamespaceType> = linux
        .namespaces()
        .as_ref()
        .unwrap()
        .iter()
        .map(|ns| ns.typ())
        .collect();
    assert_eq!(
        namespaces,
        [
            LinuxNamespaceType::Pid,
            LinuxNamespaceType::Network,
            LinuxNamespaceType::Ipc,
            LinuxNamespaceType::Uts,
            LinuxNamespaceType::Mount,
            LinuxNamespaceType::Cgroup
        ]
    );
    assert!(linux
        .namespaces()
        .as_ref()
        .unwrap()
        .iter()
        .all(|ns| ns.path().is_none()));
    let devices = linux.devices().as_ref().unwrap();
    assert_eq!(devices.len(), 6);
    let tty = devices
        .iter()
        .find(|d| d.path().to_str() == Some("/dev/tty"))
        .unwrap();
    assert_eq!(
        (tty.major(), tty.minor(), tty.file_mode()),
        (5, 0, Some(0o666))
    );
    assert_eq!(linux.masked_paths().as_ref().unwrap().len(), 11);
    assert_eq!(linux.readonly_paths().as_ref().unwrap().len(), 5);
    assert!(linux.uid_mappings().is_none() && linux.seccomp().is_none());
}

#[test]
fn mounts_in_order() {
    let spec = lower(&workload("command: x")).unwrap();
    let mounts = spec.mounts().as_ref().unwrap();
    let destinations: Vec<&str> = mounts
        .iter()
        .map(|m| m.destination().to_str().unwrap())
        .collect();
    assert_eq!(
        destinations,
        [
            "/proc",
            "/dev",
            "/dev/pts",
            "/dev/shm",
            "/dev/mqueue",
            "/sys",
            "/sys/fs/cgroup",
            "/tmp",
            "/run"
        ]
    );
    let dev = &mounts[1];
    assert_eq!(dev.typ().as_deref(), Some("tmpfs"));
    assert!(dev.options().as_ref().unwrap().contains(&"ro".to_string()));
}

#[test]
fn hostname_falls_back_to_name() {
    assert_eq!(
        lower(&workload("command: x\nname: web"))
            .unwrap()
            .hostname()
            .as_deref(),
        Some("web")
    );
    let spec = lower(&workload("command: x\nname: web\nhostname: box1")).unwrap();
    assert_eq!(spec.hostname().as_deref(), Some("box1"));
}

#[test]
fn annotations_for_name_gpu_and_timeout() {
    let spec = lower(&workload(
        "command: x\nname: web\ngpu: true\ntimeout: 1m30s",
    ))
    .unwrap();
    let annotations = spec.annotations().clone().unwrap();
    assert_eq!(annotations[ANNOTATION_NAME], "web");
    assert_eq!(annotations[ANNOTATION_GPU], r#"{"count":1,"memory":null}"#);
    assert_eq!(annotations[ANNOTATION_TIMEOUT], "90000");
    let spec = lower(&workload("command: x\ngpu: {count: 2, memory: 1G}")).unwrap();
    let gpu = &spec.annotations().as_ref().unwrap()[ANNOTATION_GPU];
    let parsed: serde_json::Value = serde_json::from_str(gpu).unwrap();
    assert_eq!(
        parsed,
        serde_json::json!({"count": 2, "memory": 1u64 << 30})
    );
    let spec = lower(&workload("command: x\ngpu: false")).unwrap();
    assert_eq!(spec.annotations(), &None);
}

#[test]
fn json_round_trip() {
    let mut w = workload(
        "name: web\ncommand: stress --cpu 2\ncpu: 1.5\nmemory: 64M\npids: 10\ncpus: 0-1\ntimeout: 30s\nuser: 1:2\nenv: {A: b}\nworkdir: /tmp",
    );
    w.gpu = Some(GpuRequest {
        count: 1,
        memory: None,
    });
    assert_eq!(w.cpu, Some(CpuCount { millis: 1500 }));
    assert_eq!(w.timeout, Some(Duration::from_secs(30)));
    let spec = lower(&w).unwrap();
    let json = serde_json::to_string_pretty(&spec).unwrap();
    assert!(json.contains("\"ociVersion\": \"1.2.0\""), "{json}");
    let back: Spec = serde_json::from_str(&json).unwrap();
    assert_eq!(back, spec);
}

#[test]
fn limits_too_large_for_oci_are_lower_errors() {
    let mut w = Workload::new(vec!["x".into()]);
    w.memory = Some(u64::MAX);
    assert!(matches!(lower(&w), Err(SpecError::Lower(_))));
}
