//! Reads the cgroup-relevant part of an OCI Spec (linux.resources) into the
//! cgroup manager's `Resources`. OCI's memory.swap is memory+swap, so a swap
//! equal to the limit means "no swap".

use oci_spec::runtime::Spec;

pub fn from_spec(spec: &Spec) -> cgroups::Resources {
    let mut out = cgroups::Resources::default();
    let Some(resources) = spec.linux().as_ref().and_then(|l| l.resources().as_ref()) else {
        return out;
    };
    if let Some(cpu) = resources.cpu() {
        out.cpu_quota_us = cpu.quota();
        out.cpu_period_us = cpu.period();
        out.cpus = cpu.cpus().clone();
    }
    if let Some(memory) = resources.memory() {
        out.memory_max = memory.limit();
        out.swap_off = memory.limit().is_some() && memory.swap() == memory.limit();
    }
    if let Some(pids) = resources.pids() {
        out.pids_max = Some(pids.limit());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use oci_spec::runtime::{
        LinuxBuilder, LinuxCpuBuilder, LinuxMemoryBuilder, LinuxPidsBuilder, LinuxResourcesBuilder,
        SpecBuilder,
    };

    #[test]
    fn resources_come_through() {
        let resources = LinuxResourcesBuilder::default()
            .cpu(
                LinuxCpuBuilder::default()
                    .quota(50_000i64)
                    .period(100_000u64)
                    .cpus("0-1")
                    .build()
                    .expect("cpu"),
            )
            .memory(
                LinuxMemoryBuilder::default()
                    .limit(64i64 << 20)
                    .swap(64i64 << 20)
                    .build()
                    .expect("memory"),
            )
            .pids(
                LinuxPidsBuilder::default()
                    .limit(20i64)
                    .build()
                    .expect("pids"),
            )
            .build()
            .expect("resources");
        let spec = SpecBuilder::default()
            .linux(
                LinuxBuilder::default()
                    .resources(resources)
                    .build()
                    .expect("linux"),
            )
            .build()
            .expect("spec");
        let r = from_spec(&spec);
        assert_eq!(r.cpu_quota_us, Some(50_000));
        assert_eq!(r.cpu_period_us, Some(100_000));
        assert_eq!(r.cpus.as_deref(), Some("0-1"));
        assert_eq!(r.memory_max, Some(64 << 20));
        assert!(r.swap_off);
        assert_eq!(r.pids_max, Some(20));
    }

    #[test]
    fn no_resources_means_no_limits() {
        let spec = SpecBuilder::default().build().expect("spec");
        assert_eq!(from_spec(&spec), cgroups::Resources::default());
    }
}
