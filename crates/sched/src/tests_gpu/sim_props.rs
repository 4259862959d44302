//! The simulator against a naive reference: the same model, but every
//! queued job is offered to the policies at every event, with no tallies,
//! no memo of failed shapes and no arrival-only shortcut. On random small
//! traces both must start every job at the same time.

use proptest::prelude::*;

use super::{holding, inventory, GIB};
use crate::cpu_policy::{place_cpus, CpuLoad, CpuPolicy, CpuRequest};
use crate::gpu_policy::{place_gpus, GpuPolicy};
use crate::simulate::{cores_of, simulate, SimConfig};
use crate::topology::Topology;
use crate::trace::Job;
use crate::Ledger;

/// (completed, makespan, total wait) by brute force.
fn reference(trace: &[Job], cfg: &SimConfig) -> (u32, u64, u64) {
    let load = CpuLoad::default();
    let capacity = cfg.inventory.memory_by_index();
    let place = |ledger: &Ledger, job: &Job| {
        let gpus = match job.gpu() {
            None => vec![],
            Some(req) => {
                place_gpus(cfg.inventory, ledger, &req, cfg.gpu_policy)
                    .ok()?
                    .grants
            }
        };
        let req = CpuRequest {
            millis: cores_of(job) * 1000,
            exclusive: job.exclusive,
        };
        let cpu = place_cpus(cfg.topology, &load, ledger, &req, cfg.cpu_policy)
            .ok()?
            .grant;
        let mut p = holding("", gpus);
        p.cpu = cpu;
        Some(p)
    };
    let mut ledger = Ledger::default();
    let (mut running, mut queue): (Vec<(u64, usize)>, Vec<usize>) = (vec![], vec![]);
    let (mut completed, mut wait, mut last) = (0, 0, 0);
    let mut next = 0;
    while next < trace.len() || !running.is_empty() {
        let t = trace
            .get(next)
            .map(|j| j.arrival_ms)
            .into_iter()
            .chain(running.iter().map(|r| r.0))
            .min()
            .unwrap();
        running.retain(|&(end, i)| end != t || ledger.release(&i.to_string()).is_none());
        while trace.get(next).is_some_and(|j| j.arrival_ms == t) {
            if place(&Ledger::default(), &trace[next]).is_some() {
                queue.push(next);
            }
            next += 1;
        }
        let mut still = vec![];
        for i in queue.drain(..) {
            match place(&ledger, &trace[i]) {
                Some(mut p) => {
                    p.id = i.to_string();
                    ledger.insert(p, &capacity).unwrap();
                    running.push((t + trace[i].duration_ms, i));
                    completed += 1;
                    wait += t - trace[i].arrival_ms;
                    last = last.max(t + trace[i].duration_ms);
                }
                None => still.push(i),
            }
        }
        queue = still;
    }
    (
        completed,
        last.saturating_sub(trace.first().map_or(0, |j| j.arrival_ms)),
        wait,
    )
}

fn job_strategy() -> impl Strategy<Value = (u64, u64, u64, bool, u32, Option<u64>)> {
    (
        0u64..30,
        1u64..40,
        1u64..4000,
        prop::bool::weighted(0.3),
        0u32..4,
        prop::option::of(prop::sample::select(vec![8u64, 16, 24, 40])),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn simulate_matches_the_naive_reference(
        raw in prop::collection::vec(job_strategy(), 1..40),
        gpu_policy in 0usize..5,
        cpu_policy in 0usize..4,
    ) {
        let mut arrival = 0;
        let trace: Vec<Job> = raw.into_iter().enumerate().map(|(i, (gap, dur, millis, exclusive, gpus, gib))| {
            arrival += gap * 10;
            Job { id: i as u32, arrival_ms: arrival, duration_ms: dur * 10, cpu_millis: millis, exclusive, gpu_count: gpus, gpu_memory: gib.map(|g| g * GIB) }
        }).collect();
        let topology = Topology::synthetic(1, 4, 1);
        let inv = inventory(&[(40, Some(0), &[1]), (40, Some(0), &[0]), (24, Some(1), &[])]);
        let cfg = SimConfig { topology: &topology, inventory: &inv, cpu_policy: CpuPolicy::ALL[cpu_policy], gpu_policy: GpuPolicy::ALL[gpu_policy] };
        let r = simulate(&trace, &cfg);
        let (completed, makespan, wait) = reference(&trace, &cfg);
        prop_assert_eq!(r.completed + r.never_fit, r.jobs);
        prop_assert_eq!(r.completed, completed);
        prop_assert_eq!(r.makespan_ms, makespan);
        let expected_wait = if completed == 0 { 0.0 } else { wait as f64 / f64::from(completed) };
        prop_assert!((r.mean_wait_ms - expected_wait).abs() < 1e-6, "{} vs {}", r.mean_wait_ms, expected_wait);
    }
}
