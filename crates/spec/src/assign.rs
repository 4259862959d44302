//! Applying a placement to a lowered Spec: the cores the scheduler chose
//! become the cpuset, and the GPUs it granted become environment variables
//! (`CUDA_VISIBLE_DEVICES`, `NVIDIA_VISIBLE_DEVICES`, and
//! `CONTAINERCTL_GPU_SIMULATED=1` when the inventory is simulated), device
//! nodes when a real driver is present, and annotations for `inspect`.

use oci_spec::runtime::{
    LinuxCpuBuilder, LinuxDevice, LinuxDeviceBuilder, LinuxDeviceType, LinuxResourcesBuilder, Spec,
};

use crate::{cpulist, SpecError};

/// Annotation holding the cpuset the scheduler chose, as a CPU list.
pub const ANNOTATION_CPUS: &str = "org.containerctl.cpus";
/// Annotation holding the granted GPU indices, comma-separated.
pub const ANNOTATION_GPUS: &str = "org.containerctl.gpus";

/// A character device node to create in the container's /dev.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceNode {
    pub path: String,
    pub major: i64,
    pub minor: i64,
}

/// Where the scheduler put a workload.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Assignment {
    /// The cpuset, ascending; empty leaves the Spec's own.
    pub cpus: Vec<u32>,
    /// Granted GPUs: (inventory index, UUID).
    pub gpus: Vec<(u32, String)>,
    /// The GPUs come from a simulated inventory: nothing real is exposed.
    pub simulated: bool,
    /// Device nodes of real GPUs (and the driver's control nodes).
    pub devices: Vec<DeviceNode>,
}

/// Writes `assignment` into `spec`.
pub fn assign(spec: &mut Spec, assignment: &Assignment) -> Result<(), SpecError> {
    let mut annotations = spec.annotations().clone().unwrap_or_default();
    if !assignment.cpus.is_empty() {
        let cpus = cpulist::format(&assignment.cpus);
        set_cpuset(spec, &cpus)?;
        annotations.insert(ANNOTATION_CPUS.to_string(), cpus);
    }
    if !assignment.gpus.is_empty() {
        let indices = join(assignment.gpus.iter().map(|(i, _)| i.to_string()));
        let uuids = join(assignment.gpus.iter().map(|(_, u)| u.clone()));
        set_env(spec, "CUDA_VISIBLE_DEVICES", &indices);
        set_env(spec, "NVIDIA_VISIBLE_DEVICES", &uuids);
        if assignment.simulated {
            set_env(spec, "CONTAINERCTL_GPU_SIMULATED", "1");
        }
        annotations.insert(ANNOTATION_GPUS.to_string(), indices);
        add_devices(spec, &assignment.devices)?;
    }
    spec.set_annotations(Some(annotations));
    Ok(())
}

fn join(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(",")
}

fn set_cpuset(spec: &mut Spec, cpus: &str) -> Result<(), SpecError> {
    let mut linux = spec.linux().clone().unwrap_or_default();
    let mut resources = match linux.resources() {
        Some(r) => r.clone(),
        None => LinuxResourcesBuilder::default().build()?,
    };
    let mut cpu = match resources.cpu() {
        Some(c) => c.clone(),
        None => LinuxCpuBuilder::default().build()?,
    };
    cpu.set_cpus(Some(cpus.to_string()));
    resources.set_cpu(Some(cpu));
    linux.set_resources(Some(resources));
    spec.set_linux(Some(linux));
    Ok(())
}

/// Sets `name=value` in the process environment, replacing an earlier value.
fn set_env(spec: &mut Spec, name: &str, value: &str) {
    let Some(mut process) = spec.process().clone() else {
        return;
    };
    let prefix = format!("{name}=");
    let mut env = process.env().clone().unwrap_or_default();
    env.retain(|entry| !entry.starts_with(&prefix));
    env.push(format!("{name}={value}"));
    process.set_env(Some(env));
    spec.set_process(Some(process));
}

fn add_devices(spec: &mut Spec, nodes: &[DeviceNode]) -> Result<(), SpecError> {
    if nodes.is_empty() {
        return Ok(());
    }
    let mut linux = spec.linux().clone().unwrap_or_default();
    let mut devices = linux.devices().clone().unwrap_or_default();
    for node in nodes {
        if devices
            .iter()
            .any(|d| d.path().to_str() == Some(node.path.as_str()))
        {
            continue;
        }
        devices.push(device(node)?);
    }
    linux.set_devices(Some(devices));
    spec.set_linux(Some(linux));
    Ok(())
}

fn device(node: &DeviceNode) -> Result<LinuxDevice, SpecError> {
    Ok(LinuxDeviceBuilder::default()
        .path(node.path.as_str())
        .typ(LinuxDeviceType::C)
        .major(node.major)
        .minor(node.minor)
        .file_mode(0o666u32)
        .uid(0u32)
        .gid(0u32)
        .build()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{lower, Workload};

    fn env_of(spec: &Spec) -> Vec<String> {
        spec.process().as_ref().unwrap().env().clone().unwrap()
    }

    #[test]
    fn cores_become_the_cpuset_and_keep_the_quota() {
        let mut w = Workload::new(vec!["true".into()]);
        w.cpu = Some(crate::CpuCount { millis: 1500 });
        let mut spec = lower(&w).unwrap();
        assign(
            &mut spec,
            &Assignment {
                cpus: vec![0, 1, 3],
                ..Default::default()
            },
        )
        .unwrap();
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
        assert_eq!(cpu.cpus().as_deref(), Some("0-1,3"));
        assert_eq!(cpu.quota(), Some(150_000));
        assert_eq!(
            spec.annotations().as_ref().unwrap()[ANNOTATION_CPUS],
            "0-1,3"
        );
    }

    #[test]
    fn gpus_become_environment_and_say_when_simulated() {
        let mut spec = lower(&Workload::new(vec!["true".into()])).unwrap();
        let assignment = Assignment {
            cpus: vec![0],
            gpus: vec![(1, "SIM-GPU-1".into()), (3, "SIM-GPU-3".into())],
            simulated: true,
            devices: vec![],
        };
        assign(&mut spec, &assignment).unwrap();
        let env = env_of(&spec);
        assert!(
            env.contains(&"CUDA_VISIBLE_DEVICES=1,3".to_string()),
            "{env:?}"
        );
        assert!(env.contains(&"NVIDIA_VISIBLE_DEVICES=SIM-GPU-1,SIM-GPU-3".to_string()));
        assert!(env.contains(&"CONTAINERCTL_GPU_SIMULATED=1".to_string()));
        assert_eq!(spec.annotations().as_ref().unwrap()[ANNOTATION_GPUS], "1,3");
    }

    #[test]
    fn real_gpu_devices_are_added_once() {
        let mut spec = lower(&Workload::new(vec!["true".into()])).unwrap();
        let node = DeviceNode {
            path: "/dev/nvidia0".into(),
            major: 195,
            minor: 0,
        };
        let assignment = Assignment {
            gpus: vec![(0, "GPU-abc".into())],
            devices: vec![node.clone(), node],
            ..Default::default()
        };
        assign(&mut spec, &assignment).unwrap();
        let devices = spec.linux().as_ref().unwrap().devices().clone().unwrap();
        let nvidia: Vec<_> = devices
            .iter()
            .filter(|d| d.path().ends_with("nvidia0"))
            .collect();
        assert_eq!(nvidia.len(), 1);
        assert!(!env_of(&spec)
            .iter()
            .any(|e| e.starts_with("CONTAINERCTL_GPU_SIMULATED")));
    }
}
