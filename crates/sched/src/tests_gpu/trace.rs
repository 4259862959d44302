//! Trace generation: reproducible from the seed, shaped by its parameters,
//! and refusing parameters that describe no trace.

use super::GIB;
use crate::trace::{generate, Job, TraceParams, MIN_DURATION_MS};
use crate::SchedError;

#[test]
fn same_seed_same_trace_other_seed_other_trace() {
    let params = TraceParams::default();
    let a = generate(&params).unwrap();
    assert_eq!(a, generate(&params).unwrap());
    let b = generate(&TraceParams {
        seed: 43,
        ..params.clone()
    })
    .unwrap();
    assert_ne!(a, b);
    assert_eq!(a.len(), 1000);
}

#[test]
fn a_default_trace_has_the_promised_shape() {
    let params = TraceParams::default();
    let jobs = generate(&params).unwrap();
    let n = jobs.len() as f64;
    for (i, j) in jobs.iter().enumerate() {
        assert_eq!(j.id as usize, i);
        assert!(j.duration_ms >= MIN_DURATION_MS);
        assert!(j.cpu_millis >= 250 && j.cpu_millis <= 8000);
        assert!(j.cpu_millis < 1000 || j.cpu_millis % 1000 == 0);
        assert!(j.gpu_count <= 4);
        if let Some(m) = j.gpu_memory {
            assert!(j.gpu_count > 0);
            assert!(params.gpu_memory_choices.contains(&m));
        }
    }
    assert!(jobs.windows(2).all(|w| w[0].arrival_ms <= w[1].arrival_ms));
    let share = |f: &dyn Fn(&Job) -> bool| jobs.iter().filter(|j| f(j)).count() as f64 / n;
    let gpu = share(&|j| j.gpu_count > 0);
    assert!((gpu - 0.6).abs() < 0.06, "{gpu}");
    let exclusive = share(&|j| j.exclusive);
    assert!((exclusive - 0.2).abs() < 0.05, "{exclusive}");
    let fractional = share(&|j| j.cpu_millis < 1000);
    assert!((fractional - 0.1).abs() < 0.04, "{fractional}");
    let whole = share(&|j| j.gpu_count > 0 && j.gpu_memory.is_none()) / gpu;
    assert!((whole - 0.3).abs() < 0.06, "{whole}");
    let gap = jobs.last().unwrap().arrival_ms as f64 / n;
    assert!((gap - 500.0).abs() < 50.0, "{gap}");
    let duration = jobs.iter().map(|j| j.duration_ms as f64).sum::<f64>() / n;
    assert!((duration - 10_000.0).abs() < 1500.0, "{duration}");
}

#[test]
fn fractions_at_the_edges() {
    let none = generate(&TraceParams {
        gpu_fraction: 0.0,
        gpu_memory_choices: vec![],
        ..TraceParams::default()
    })
    .unwrap();
    assert!(none.iter().all(|j| j.gpu().is_none()));
    let all_whole = generate(&TraceParams {
        gpu_fraction: 1.0,
        whole_gpu_fraction: 1.0,
        max_gpus: 2,
        ..TraceParams::default()
    })
    .unwrap();
    assert!(all_whole
        .iter()
        .all(|j| matches!(j.gpu(), Some(r) if r.memory.is_none() && (1..=2).contains(&r.count))));
}

#[test]
fn jobs_round_trip_through_json_and_give_their_request() {
    let job = Job {
        id: 3,
        arrival_ms: 10,
        duration_ms: 200,
        cpu_millis: 500,
        exclusive: false,
        gpu_count: 2,
        gpu_memory: Some(5 * GIB),
    };
    let text = serde_json::to_string(&job).unwrap();
    assert_eq!(serde_json::from_str::<Job>(&text).unwrap(), job);
    let req = job.gpu().unwrap();
    assert_eq!((req.count, req.memory), (2, Some(5 * GIB)));
}

#[test]
fn bad_parameters_are_refused() {
    let d = TraceParams::default;
    let cases = [
        (TraceParams { jobs: 0, ..d() }, "jobs"),
        (
            TraceParams {
                mean_duration_ms: 0,
                ..d()
            },
            "duration",
        ),
        (TraceParams { max_cpus: 0, ..d() }, "CPUs"),
        (
            TraceParams {
                gpu_fraction: 1.5,
                ..d()
            },
            "GPU fraction",
        ),
        (
            TraceParams {
                gpu_fraction: f64::NAN,
                ..d()
            },
            "GPU fraction",
        ),
        (
            TraceParams {
                whole_gpu_fraction: -0.1,
                ..d()
            },
            "whole-GPU fraction",
        ),
        (TraceParams { max_gpus: 0, ..d() }, "max GPUs"),
        (
            TraceParams {
                gpu_memory_choices: vec![],
                ..d()
            },
            "memory choices are empty",
        ),
        (
            TraceParams {
                gpu_memory_choices: vec![0],
                ..d()
            },
            "more than 0",
        ),
    ];
    for (params, want) in cases {
        match generate(&params) {
            Err(SchedError::Trace(m)) => assert!(m.contains(want), "{m}"),
            other => panic!("{params:?}: {other:?}"),
        }
    }
}
