//! The simulator on tiny hand-made traces with results worked out by hand,
//! and (ignored by default) a timing run at 5,000 jobs on a large machine.

use super::{inventory, GIB};
use crate::cpu_policy::CpuPolicy;
use crate::gpu::{Gpu, GpuInventory};
use crate::gpu_policy::GpuPolicy;
use crate::simulate::{simulate, SimConfig, SimResult};
use crate::topology::Topology;
use crate::trace::{generate, Job, TraceParams};

fn job(id: u32, arrival_ms: u64, duration_ms: u64, cpus: u64, gpus: u32, gib: Option<u64>) -> Job {
    Job {
        id,
        arrival_ms,
        duration_ms,
        cpu_millis: cpus * 1000,
        exclusive: false,
        gpu_count: gpus,
        gpu_memory: gib.map(|g| g * GIB),
    }
}

fn run(trace: &[Job], cpus: u32, inv: &GpuInventory) -> SimResult {
    let topology = Topology::synthetic(1, cpus, 1);
    let cfg = SimConfig {
        topology: &topology,
        inventory: inv,
        cpu_policy: CpuPolicy::Spread,
        gpu_policy: GpuPolicy::BestFit,
    };
    simulate(trace, &cfg)
}

fn two_gpus() -> GpuInventory {
    inventory(&[(40, None, &[]), (40, None, &[])])
}

#[test]
fn a_third_whole_gpu_job_waits_for_the_first_two() {
    let trace = [
        job(0, 0, 1000, 1, 1, None),
        job(1, 0, 1000, 1, 1, None),
        job(2, 0, 1000, 1, 1, None),
    ];
    let r = run(&trace, 4, &two_gpus());
    assert_eq!(r.policy, "spread/best-fit");
    assert_eq!((r.jobs, r.completed, r.never_fit), (3, 3, 0));
    assert_eq!(r.makespan_ms, 2000);
    assert!((r.mean_wait_ms - 1000.0 / 3.0).abs() < 1e-9);
    assert!((r.mean_completion_ms - 4000.0 / 3.0).abs() < 1e-9);
    // 2 of 4 cores for 1 s, then 1 for 1 s: 3 core-seconds of 8.
    assert!((r.cpu_utilisation_pct - 37.5).abs() < 1e-9, "{r:?}");
    // Both GPUs held whole while job 2 waits: nothing free to strand.
    assert_eq!(r.gpu_fragmentation_pct, 0.0);
}

#[test]
fn small_jobs_backfill_and_impossible_jobs_are_dropped() {
    let trace = [
        job(0, 0, 3000, 1, 1, None),
        job(1, 10, 1000, 1, 2, None), // waits for job 0
        job(2, 20, 500, 1, 1, None),  // backfills past job 1
        job(3, 30, 100, 1, 3, None),  // 3 GPUs: never fits
        job(4, 40, 100, 8, 0, None),  // 8 cores on 4: never fits
    ];
    let r = run(&trace, 4, &two_gpus());
    assert_eq!((r.completed, r.never_fit), (3, 2));
    // Job 1 starts at 3000 and ends at 4000.
    assert_eq!(r.makespan_ms, 4000);
    assert!((r.mean_wait_ms - (0.0 + 2990.0 + 0.0) / 3.0).abs() < 1e-9);
    assert!((r.mean_completion_ms - (3000.0 + 3990.0 + 500.0) / 3.0).abs() < 1e-9);
}

#[test]
fn stranded_gpu_memory_counts_as_fragmentation() {
    let inv = inventory(&[(40, None, &[])]);
    let trace = [
        job(0, 0, 1000, 1, 1, Some(30)),
        job(1, 0, 1000, 1, 1, Some(20)),
    ];
    let r = run(&trace, 2, &inv);
    assert_eq!(r.makespan_ms, 2000);
    // 10 GiB of 40 stranded for 1 s of 2.
    assert!((r.gpu_fragmentation_pct - 12.5).abs() < 1e-9, "{r:?}");
}

#[test]
fn exclusive_and_fractional_jobs_hold_whole_cores() {
    let mut hog = job(0, 0, 100, 2, 0, None);
    hog.exclusive = true;
    let mut half = job(1, 0, 100, 0, 0, None);
    half.cpu_millis = 500;
    let r = run(&[hog, half], 2, &two_gpus());
    assert_eq!(r.completed, 2);
    // The half-core job waits for the exclusive one: 100 ms + 100 ms.
    assert_eq!(r.makespan_ms, 200);
    assert!((r.mean_wait_ms - 50.0).abs() < 1e-9);
    assert!((r.cpu_utilisation_pct - 75.0).abs() < 1e-9, "{r:?}");
}

#[test]
fn an_empty_trace_gives_zeros_and_a_real_one_completes() {
    let r = run(&[], 4, &two_gpus());
    assert_eq!((r.jobs, r.completed, r.makespan_ms), (0, 0, 0));
    let trace = generate(&TraceParams {
        jobs: 200,
        max_gpus: 2,
        ..TraceParams::default()
    })
    .unwrap();
    let inv = GpuInventory::simulated_default();
    let topology = Topology::synthetic(2, 4, 2);
    for gpu_policy in GpuPolicy::ALL {
        for cpu_policy in CpuPolicy::ALL {
            let cfg = SimConfig {
                topology: &topology,
                inventory: &inv,
                cpu_policy,
                gpu_policy,
            };
            let r = simulate(&trace, &cfg);
            assert_eq!(r.completed + r.never_fit, 200, "{r:?}");
            assert!(r.cpu_utilisation_pct > 0.0 && r.cpu_utilisation_pct <= 100.0);
            assert!((0.0..=100.0).contains(&r.gpu_fragmentation_pct));
            assert_eq!(simulate(&trace, &cfg), r);
        }
    }
}

/// 128 × 80 GiB GPUs in NVLink groups of 8, 64 per NUMA node.
pub(crate) fn big_inventory() -> GpuInventory {
    let gpus = (0..128u32)
        .map(|i| Gpu {
            index: i,
            uuid: format!("B-{i}"),
            model: "B".into(),
            memory: 80 * GIB,
            numa_node: Some(i / 64),
            nvlink_peers: (i / 8 * 8..i / 8 * 8 + 8).filter(|&p| p != i).collect(),
        })
        .collect();
    GpuInventory {
        source: crate::gpu::InventorySource::SimulatedDefault,
        gpus,
    }
}

/// `cargo test --release -p sched big_simulation -- --ignored --nocapture`
#[test]
#[ignore]
fn big_simulation_timing() {
    let trace = generate(&TraceParams {
        jobs: 5000,
        mean_interarrival_ms: 40,
        gpu_memory_choices: vec![5 * GIB, 10 * GIB, 20 * GIB, 40 * GIB, 80 * GIB],
        ..TraceParams::default()
    })
    .unwrap();
    let inv = big_inventory();
    let topology = Topology::synthetic(2, 64, 2);
    for gpu_policy in GpuPolicy::ALL {
        let cfg = SimConfig {
            topology: &topology,
            inventory: &inv,
            cpu_policy: CpuPolicy::LeastLoaded,
            gpu_policy,
        };
        let start = std::time::Instant::now();
        let r = simulate(&trace, &cfg);
        eprintln!("{:?} {r:?}", start.elapsed());
    }
}
