//! What the runtime does not honour yet, refused up front with a clear
//! message instead of silently ignored (an engine would otherwise believe,
//! say, that its seccomp profile is in force). Pure checks on the Spec.

use nix::sched::CloneFlags;
use oci_spec::runtime::{Process, Spec};

use crate::RuntimeError;

pub fn unsupported(what: &str) -> RuntimeError {
    RuntimeError::Unsupported(what.to_string())
}

/// Refuses a Spec that asks for something this runtime would not do.
pub fn check(spec: &Spec, process: &Process, clone_flags: CloneFlags) -> Result<(), RuntimeError> {
    let linux = spec.linux().clone().unwrap_or_default();
    let mut refused: Vec<&str> = Vec::new();
    if linux.seccomp().is_some() {
        refused.push("linux.seccomp");
    }
    if linux.sysctl().as_ref().is_some_and(|s| !s.is_empty()) {
        refused.push("linux.sysctl");
    }
    if linux.intel_rdt().is_some() {
        refused.push("linux.intelRdt");
    }
    if linux.personality().is_some() {
        refused.push("linux.personality");
    }
    if linux.time_offsets().as_ref().is_some_and(|t| !t.is_empty()) {
        refused.push("linux.timeOffsets");
    }
    if linux
        .rootfs_propagation()
        .as_deref()
        .is_some_and(|p| !p.is_empty() && p != "slave" && p != "rslave")
    {
        refused.push("linux.rootfsPropagation (only slave)");
    }
    if process
        .apparmor_profile()
        .as_deref()
        .is_some_and(|p| !p.is_empty())
    {
        refused.push("process.apparmorProfile");
    }
    if process
        .selinux_label()
        .as_deref()
        .is_some_and(|l| !l.is_empty())
    {
        refused.push("process.selinuxLabel");
    }
    if process.terminal().unwrap_or(false) {
        refused.push("process.terminal");
    }
    if spec.hooks().is_some() {
        refused.push("hooks");
    }
    if !refused.is_empty() {
        return Err(unsupported(&format!(
            "not implemented yet: {}",
            refused.join(", ")
        )));
    }
    if spec.hostname().is_some() && !clone_flags.contains(CloneFlags::CLONE_NEWUTS) {
        return Err(unsupported(
            "a hostname without a new uts namespace would rename the host",
        ));
    }
    let root = spec
        .root()
        .as_ref()
        .ok_or_else(|| unsupported("the spec has no root"))?;
    if root.path().as_os_str() == spec::HOST_ROOTFS && root.readonly() != Some(true) {
        return Err(unsupported(
            "the host's root (/) as a container root must be read-only",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use oci_spec::runtime::{
        LinuxBuilder, LinuxSeccompBuilder, ProcessBuilder, RootBuilder, SpecBuilder,
    };

    fn spec_with(root: &str, readonly: bool) -> SpecBuilder {
        SpecBuilder::default().root(
            RootBuilder::default()
                .path(root)
                .readonly(readonly)
                .build()
                .expect("root"),
        )
    }

    fn process() -> Process {
        ProcessBuilder::default()
            .args(vec!["x".to_string()])
            .build()
            .expect("process")
    }

    #[test]
    fn a_plain_spec_passes() {
        let spec = spec_with("/", true).hostname("box").build().expect("spec");
        assert!(check(&spec, &process(), CloneFlags::CLONE_NEWUTS).is_ok());
    }

    #[test]
    fn seccomp_is_refused_by_name() {
        let linux = LinuxBuilder::default()
            .seccomp(LinuxSeccompBuilder::default().build().expect("seccomp"))
            .build()
            .expect("linux");
        let spec = spec_with("/x", true).linux(linux).build().expect("spec");
        let err = check(&spec, &process(), CloneFlags::empty()).expect_err("refused");
        assert!(err.to_string().contains("linux.seccomp"), "{err}");
    }

    #[test]
    fn hostname_needs_a_uts_namespace() {
        let spec = spec_with("/x", true).hostname("box").build().expect("spec");
        assert!(check(&spec, &process(), CloneFlags::CLONE_NEWNS).is_err());
    }

    #[test]
    fn host_root_must_be_read_only() {
        let spec = spec_with("/", false).build().expect("spec");
        assert!(check(&spec, &process(), CloneFlags::empty()).is_err());
    }
}
