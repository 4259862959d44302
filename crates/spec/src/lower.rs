//! Lowering: a validated [`Workload`] becomes the OCI runtime [`Spec`] that
//! the runtime executes (its root and mounts from `fs`, Docker-like defaults
//! from `defaults`, and the workload's command, user, resources and
//! annotations).

use crate::defaults::{
    base_env, default_capabilities, default_devices, default_namespaces, MASKED_PATHS,
    READONLY_PATHS,
};
use crate::error::SpecError;
use crate::ports::ports_annotation;
use crate::workload::{Network, UserSpec, Workload};
use crate::{
    cpulist, ANNOTATION_GPU, ANNOTATION_NAME, ANNOTATION_NETWORK, ANNOTATION_PORTS,
    ANNOTATION_TIMEOUT, CFS_PERIOD_US,
};
use oci_spec::runtime::{
    Capabilities, LinuxBuilder, LinuxCapabilities, LinuxCapabilitiesBuilder, LinuxCpuBuilder,
    LinuxMemoryBuilder, LinuxPidsBuilder, LinuxResources, LinuxResourcesBuilder, Process,
    ProcessBuilder, Spec, SpecBuilder, UserBuilder,
};
use std::collections::HashMap;

/// The OCI runtime spec version the lowered Spec declares.
pub const OCI_VERSION: &str = "1.2.0";

/// Lowers a validated workload to the OCI runtime Spec the runtime executes.
pub fn lower(w: &Workload) -> Result<Spec, SpecError> {
    if !w.ports.is_empty() && w.network != Network::Bridge {
        return Err(SpecError::Lower(format!(
            "ports are published only with network bridge, not {}",
            w.network
        )));
    }
    let linux = LinuxBuilder::default()
        .namespaces(default_namespaces(w.network)?)
        .devices(default_devices()?)
        .resources(resources(w)?)
        .masked_paths(MASKED_PATHS.map(String::from).to_vec())
        .readonly_paths(READONLY_PATHS.map(String::from).to_vec())
        .build()?;
    let mut annotations = annotations(w);
    let mut spec = SpecBuilder::default()
        .version(OCI_VERSION)
        .root(fs::root(w, &mut annotations)?)
        .mounts(fs::mounts(w)?)
        .process(process(w)?)
        .linux(linux)
        .build()?;
    // Fields whose builder default is not "unset" are set explicitly.
    spec.set_hostname(w.hostname.clone().or_else(|| w.name.clone()));
    spec.set_annotations((!annotations.is_empty()).then_some(annotations));
    Ok(spec)
}

fn process(w: &Workload) -> Result<Process, SpecError> {
    let user = w.user.unwrap_or(UserSpec { uid: 0, gid: 0 });
    let mut process = ProcessBuilder::default()
        .terminal(false)
        .user(
            UserBuilder::default()
                .uid(user.uid)
                .gid(user.gid)
                .additional_gids(Vec::<u32>::new())
                .build()?,
        )
        .args(w.args.clone())
        .env(environment(w, user.uid))
        .cwd(w.workdir.clone())
        .capabilities(capabilities()?)
        .no_new_privileges(true)
        .build()?;
    process.set_rlimits(None);
    Ok(process)
}

/// `PATH` and `HOME`, then the user's variables; a user `PATH` or `HOME`
/// replaces the default in place, so no name appears twice.
fn environment(w: &Workload, uid: u32) -> Vec<String> {
    let mut env = base_env(uid);
    for (name, value) in &w.env {
        match env.iter_mut().find(|(existing, _)| existing == name) {
            Some(entry) => entry.1.clone_from(value),
            None => env.push((name.clone(), value.clone())),
        }
    }
    env.into_iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect()
}

fn capabilities() -> Result<LinuxCapabilities, SpecError> {
    let set: Capabilities = default_capabilities().into_iter().collect();
    Ok(LinuxCapabilitiesBuilder::default()
        .bounding(set.clone())
        .effective(set.clone())
        .permitted(set)
        .inheritable(Capabilities::new())
        .ambient(Capabilities::new())
        .build()?)
}

fn resources(w: &Workload) -> Result<LinuxResources, SpecError> {
    let mut resources = LinuxResourcesBuilder::default();
    if w.cpu.is_some() || w.cpus.is_some() {
        let mut cpu = LinuxCpuBuilder::default();
        if let Some(count) = w.cpu {
            let quota = count
                .millis
                .checked_mul(CFS_PERIOD_US)
                .map(|q| q / 1000)
                .and_then(|q| i64::try_from(q).ok())
                .ok_or_else(|| {
                    SpecError::Lower(format!("cpu {} cores is too large", count.cores()))
                })?;
            cpu = cpu.quota(quota).period(CFS_PERIOD_US);
        }
        if let Some(cpus) = &w.cpus {
            cpu = cpu.cpus(cpulist::format(cpus));
        }
        resources = resources.cpu(cpu.build()?);
    }
    if let Some(bytes) = w.memory {
        let limit = i64::try_from(bytes)
            .map_err(|_| SpecError::Lower(format!("memory {bytes} bytes is too large")))?;
        resources = resources.memory(
            LinuxMemoryBuilder::default()
                .limit(limit)
                .swap(limit)
                .build()?,
        );
    }
    if let Some(pids) = w.pids {
        let limit = i64::try_from(pids)
            .map_err(|_| SpecError::Lower(format!("pids {pids} is too large")))?;
        resources = resources.pids(LinuxPidsBuilder::default().limit(limit).build()?);
    }
    Ok(resources.build()?)
}

fn annotations(w: &Workload) -> HashMap<String, String> {
    let mut annotations = HashMap::new();
    if let Some(name) = &w.name {
        annotations.insert(ANNOTATION_NAME.to_string(), name.clone());
    }
    if let Some(gpu) = w.gpu.filter(|gpu| gpu.count > 0) {
        let memory = gpu
            .memory
            .map_or_else(|| "null".to_string(), |m| m.to_string());
        annotations.insert(
            ANNOTATION_GPU.to_string(),
            format!("{{\"count\":{},\"memory\":{memory}}}", gpu.count),
        );
    }
    if let Some(timeout) = w.timeout {
        annotations.insert(
            ANNOTATION_TIMEOUT.to_string(),
            timeout.as_millis().to_string(),
        );
    }
    if w.network != Network::None {
        annotations.insert(ANNOTATION_NETWORK.to_string(), w.network.to_string());
    }
    if !w.ports.is_empty() {
        annotations.insert(ANNOTATION_PORTS.to_string(), ports_annotation(&w.ports));
    }
    annotations
}

mod fs;
#[cfg(test)]
mod fs_tests;
#[cfg(test)]
mod network_tests;
#[cfg(test)]
mod tests;
