//! One CPU placement decision (`place_cpus`, least-loaded and topology) on
//! a 1024-CPU machine (4 nodes × 128 cores × 2 threads) whose ledger holds
//! 1,000 live placements (mostly 1-4-core shared pins, some exclusive) and
//! whose load sample covers every CPU. Target: under 20 µs a decision.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use sched::cpu_policy::{place_cpus, CpuLoad, CpuPolicy, CpuRequest};
use sched::topology::Topology;
use sched::{CpuGrant, Ledger, Owner, Placement};

/// A small deterministic generator (xorshift), so runs are comparable.
struct Xorshift(u64);

impl Xorshift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// 1,000 placements: every 20th takes 2 exclusive CPUs from the top of the
/// id range, the rest pin 1-4 shared CPUs below it.
fn busy_ledger(cpus: u32) -> Ledger {
    let mut rng = Xorshift(0x9e37_79b9_7f4a_7c15);
    let mut ledger = Ledger::default();
    let mut next_exclusive = cpus;
    for k in 0..1000u64 {
        let exclusive = k % 20 == 0;
        let ids: Vec<u32> = if exclusive {
            next_exclusive -= 2;
            vec![next_exclusive, next_exclusive + 1]
        } else {
            let n = 1 + rng.below(4) as u32;
            let start = rng.below(u64::from(cpus - 100 - n)) as u32;
            (start..start + n).collect()
        };
        let placement = Placement {
            id: format!("c{k}"),
            name: format!("job{k}"),
            owner: Owner {
                pid: 1,
                start_ticks: 0,
            },
            placed_at_ms: k,
            cpu: CpuGrant {
                millis: Some(ids.len() as u64 * 1000),
                cpus: ids,
                pinned: true,
                exclusive,
            },
            gpus: vec![],
        };
        if ledger.insert(placement, &[]).is_err() {
            panic!("bench ledger conflict at {k}");
        }
    }
    ledger
}

fn bench(c: &mut Criterion) {
    let topo = Topology::synthetic(4, 128, 2);
    let ledger = busy_ledger(topo.len() as u32);
    let mut rng = Xorshift(7);
    let load = CpuLoad {
        util: topo
            .ids()
            .into_iter()
            .map(|id| (id, rng.below(10_000) as f64 / 100.0))
            .collect(),
        sampled_at_ms: Some(500),
    };
    for policy in [CpuPolicy::LeastLoaded, CpuPolicy::Topology] {
        for (cores, exclusive) in [(4, false), (8, true)] {
            let req = CpuRequest {
                millis: cores * 1000,
                exclusive,
            };
            let name = format!(
                "{policy}/{cores}{}",
                if exclusive { "-exclusive" } else { "" }
            );
            c.bench_function(&name, |b| {
                b.iter(|| place_cpus(&topo, &load, &ledger, black_box(&req), policy))
            });
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
