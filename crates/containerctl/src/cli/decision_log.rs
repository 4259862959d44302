//! What a placement decision looks like to the user: the log lines (cores
//! chosen and the load each candidate showed, GPUs chosen with their free
//! memory before and after, and whether they are simulated), the rows of
//! cpu_affinity.csv and gpu_schedule.csv, and the one-line workload summary.

use sched::gpu::GpuInventory;
use sched::place::{Policies, Request};

use crate::place::Placed;
use crate::recorder::{self, Recorder};

/// Logs the decision and writes its rows.
pub fn log_and_record(
    placed: &Placed,
    request: &Request,
    policies: Policies,
    inventory: &GpuInventory,
    name: &str,
    recorder: Option<&Recorder>,
) {
    let cpu = &placed.decision.cpu;
    let cores = spec::cpulist::format(&cpu.grant.cpus);
    let seen: Vec<String> = cpu
        .seen
        .iter()
        .map(|(c, l)| format!("cpu{c} {l:.0}%"))
        .collect();
    let how = match (&request.fixed_cpus, cpu.grant.pinned, cpu.grant.exclusive) {
        (Some(_), _, _) => "pinned by cpus:".to_string(),
        (None, true, true) => format!("pinned exclusively by {}", policies.cpu),
        (None, true, false) => format!("pinned by {}", policies.cpu),
        (None, false, _) => "shared pool, limited by quota".to_string(),
    };
    if let Some(waited) = placed.waited {
        tracing::info!(
            step = "placement",
            "waited {:.1} s for the resources",
            waited.as_secs_f64()
        );
    }
    tracing::info!(step = "affinity", cores = %cores, policy = %policies.cpu, "cores chosen: {cores} ({how}; load seen: {})", seen.join(", "));
    if let (Some(gpu_req), Some(choice)) = (&request.gpu, &placed.decision.gpu) {
        tracing::info!(step = "gpu", "GPU inventory: {}", inventory.describe());
        for (grant, (before, after)) in choice
            .grants
            .iter()
            .zip(choice.free_before.iter().zip(&choice.free_after))
        {
            let model = inventory
                .gpus
                .get(grant.gpu as usize)
                .map_or("?", |g| g.model.as_str());
            tracing::info!(
                step = "gpu",
                gpu = grant.gpu,
                policy = %policies.gpu,
                "GPU chosen: {} ({model}{}) for {}: free {} → {}",
                grant.gpu,
                if inventory.is_simulated() { ", simulated: nothing runs on it" } else { "" },
                gpu_req.describe(),
                gib(*before),
                gib(*after)
            );
        }
    }
    let Some(rec) = recorder else { return };
    let time_s = rec.time_s();
    let row = recorder::affinity_row(time_s, name, &policies.to_string(), cpu);
    if let Err(e) = rec.append(record::AFFINITY_CSV, &[row]) {
        tracing::warn!(step = "record", "could not record the placement: {e:#}");
    }
    if let Some(gpu_req) = &request.gpu {
        let row = recorder::gpu_row(
            time_s,
            name,
            gpu_req,
            policies.gpu.name(),
            inventory,
            placed.decision.gpu.as_ref(),
            "placed",
        );
        if let Err(e) = rec.append(record::GPU_CSV, &[row]) {
            tracing::warn!(step = "record", "could not record the GPU decision: {e:#}");
        }
    }
}

fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / (1u64 << 30) as f64)
}

/// One line describing a workload's resources and command.
pub fn summary(w: &spec::Workload) -> String {
    let mut parts = Vec::new();
    if let Some(cpu) = &w.cpu {
        parts.push(format!(
            "cpu {}{}",
            cpu.cores(),
            if w.exclusive { " exclusive" } else { "" }
        ));
    }
    if let Some(memory) = w.memory {
        parts.push(format!("memory {} MiB", memory as f64 / 1048576.0));
    }
    if let Some(gpu) = &w.gpu {
        parts.push(format!("gpu {}", gpu.describe()));
    }
    if let Some(pids) = w.pids {
        parts.push(format!("pids {pids}"));
    }
    if let Some(cpus) = &w.cpus {
        parts.push(format!("cpus {}", spec::cpulist::format(cpus)));
    }
    if let Some(timeout) = w.timeout {
        parts.push(format!("timeout {timeout:?}"));
    }
    parts.push(format!("command {:?}", w.args.join(" ")));
    parts.join(", ")
}
