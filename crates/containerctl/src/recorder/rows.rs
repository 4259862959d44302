//! Rows of cpu_affinity.csv and gpu_schedule.csv for one decision: the cores
//! chosen and why (the load each candidate core showed), the GPUs chosen and
//! their free memory before and after.

use sched::cpu_policy::CpuChoice;
use sched::gpu::GpuInventory;
use sched::gpu_policy::{GpuChoice, GpuRequest};

/// The affinity row for `choice`.
pub fn affinity_row(
    time_s: f64,
    container: &str,
    policy: &str,
    choice: &CpuChoice,
) -> record::AffinityRow {
    let seen: Vec<String> = choice
        .seen
        .iter()
        .map(|(cpu, load)| format!("cpu{cpu}={load:.1}"))
        .collect();
    let why = if choice.grant.pinned {
        format!("effective load % {}", seen.join(" "))
    } else {
        format!(
            "shared pool under quota; effective load % {}",
            seen.join(" ")
        )
    };
    record::AffinityRow {
        time_s,
        container: container.to_string(),
        policy: policy.to_string(),
        cores: spec::cpulist::format(&choice.grant.cpus),
        pinned: choice.grant.pinned,
        exclusive: choice.grant.exclusive,
        why,
    }
}

/// The GPU row for a placed request (`choice`) or a queued/refused one.
pub fn gpu_row(
    time_s: f64,
    container: &str,
    request: &GpuRequest,
    policy: &str,
    inventory: &GpuInventory,
    choice: Option<&GpuChoice>,
    outcome: &str,
) -> record::GpuScheduleRow {
    let join = |values: &mut dyn Iterator<Item = String>| values.collect::<Vec<_>>().join(";");
    let (gpu, before, after) = match choice {
        Some(c) => (
            c.grants
                .iter()
                .map(|g| g.gpu.to_string())
                .collect::<Vec<_>>()
                .join(","),
            join(&mut c.free_before.iter().map(u64::to_string)),
            join(&mut c.free_after.iter().map(u64::to_string)),
        ),
        None => ("-".to_string(), String::new(), String::new()),
    };
    record::GpuScheduleRow {
        time_s,
        container: container.to_string(),
        request: request.describe(),
        policy: policy.to_string(),
        inventory: if inventory.is_simulated() {
            "simulated"
        } else {
            "nvml"
        }
        .to_string(),
        gpu,
        free_before_bytes: before,
        free_after_bytes: after,
        outcome: outcome.to_string(),
    }
}
