//! One GPU allocation decision (`place_gpus`, best-fit and topology, two
//! GPUs) on a 64-GPU machine (80 GiB each, NVLink groups of 8, two NUMA
//! nodes) whose ledger holds 200 live memory shares spread over the first
//! 48 GPUs, the last 16 left unheld. Target: under 5 µs a decision.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use sched::gpu::{Gpu, GpuInventory, InventorySource};
use sched::gpu_policy::{place_gpus, GpuPolicy, GpuRequest};
use sched::rng::Rng;
use sched::{CpuGrant, GpuGrant, Ledger, Owner, Placement};

const GIB: u64 = 1 << 30;

fn machine() -> GpuInventory {
    let gpus = (0..64u32)
        .map(|i| Gpu {
            index: i,
            uuid: format!("BENCH-{i}"),
            model: "bench".into(),
            memory: 80 * GIB,
            numa_node: Some(i / 32),
            nvlink_peers: (i / 8 * 8..i / 8 * 8 + 8).filter(|&p| p != i).collect(),
        })
        .collect();
    GpuInventory {
        source: InventorySource::SimulatedDefault,
        gpus,
    }
}

/// 200 placements of one or two shares of 1-8 GiB on GPUs 0-47.
fn busy_ledger(inv: &GpuInventory) -> Ledger {
    let capacity = inv.memory_by_index();
    let mut rng = Rng::new(7);
    let mut ledger = Ledger::default();
    for k in 0..200u32 {
        let first = rng.uniform(0..48) as u32;
        let second = (first + 1 + rng.uniform(0..47) as u32) % 48;
        let count = if rng.chance(0.5) { 1 } else { 2 };
        let gpus = [first, second][..count]
            .iter()
            .map(|&gpu| GpuGrant {
                gpu,
                memory: rng.uniform(1..9) * GIB,
                whole: false,
            })
            .collect();
        let placement = Placement {
            id: format!("c{k}"),
            name: format!("c{k}"),
            owner: Owner {
                pid: 1,
                start_ticks: 1,
            },
            placed_at_ms: 0,
            cpu: CpuGrant {
                cpus: vec![],
                pinned: false,
                exclusive: false,
                millis: None,
            },
            gpus,
        };
        ledger.insert(placement, &capacity).unwrap();
    }
    ledger
}

fn bench(c: &mut Criterion) {
    let inv = machine();
    let ledger = busy_ledger(&inv);
    let share = GpuRequest {
        count: 2,
        memory: Some(10 * GIB),
    };
    let whole = GpuRequest {
        count: 2,
        memory: None,
    };
    for (name, req, policy) in [
        ("best-fit 2 × 10 GiB", share, GpuPolicy::BestFit),
        ("topology 2 × 10 GiB", share, GpuPolicy::Topology),
        ("best-fit 2 whole", whole, GpuPolicy::BestFit),
        ("topology 2 whole", whole, GpuPolicy::Topology),
    ] {
        c.bench_function(&format!("place_gpus {name} (64 GPUs, 200 shares)"), |b| {
            b.iter(|| {
                place_gpus(black_box(&inv), black_box(&ledger), black_box(&req), policy).unwrap()
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
