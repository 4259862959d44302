//! Sample rows shared by the integration tests: a small realistic run, a
//! crowded run with many close start/exit marks, and a wide machine.

#![allow(dead_code)]

use std::path::PathBuf;

use record::{CpuMetricRow, EventRow, PolicyResult};

/// Where tests put charts: $RECORD_PREVIEW_DIR when set (to look at
/// them), otherwise a fresh temp dir kept alive by the returned guard.
pub fn out_dir() -> (PathBuf, Option<tempfile::TempDir>) {
    match std::env::var_os("RECORD_PREVIEW_DIR") {
        Some(d) => {
            std::fs::create_dir_all(&d).unwrap();
            (PathBuf::from(d), None)
        }
        None => {
            let t = tempfile::tempdir().unwrap();
            (t.path().to_path_buf(), Some(t))
        }
    }
}

pub fn core(t: f64, id: usize, pct: f64) -> CpuMetricRow {
    CpuMetricRow {
        time_s: t,
        kind: "core".into(),
        id: id.to_string(),
        cpu_pct: pct,
        user_pct: Some(pct * 0.8),
        system_pct: Some(pct * 0.2),
        iowait_pct: Some(0.0),
        steal_pct: Some(0.0),
        memory_bytes: None,
        memory_peak_bytes: None,
        pids: None,
        nr_throttled: None,
        psi_some_avg10: Some(0.5),
    }
}

pub fn container(t: f64, name: &str, pct: f64, mem: u64) -> CpuMetricRow {
    CpuMetricRow {
        time_s: t,
        kind: "container".into(),
        id: name.into(),
        cpu_pct: pct,
        user_pct: None,
        system_pct: None,
        iowait_pct: None,
        steal_pct: None,
        memory_bytes: Some(mem),
        memory_peak_bytes: Some(mem + 4096),
        pids: Some(3),
        nr_throttled: Some(0),
        psi_some_avg10: None,
    }
}

pub fn event(t: f64, name: &str, what: &str, detail: &str) -> EventRow {
    EventRow {
        time_s: t,
        container: name.into(),
        event: what.into(),
        detail: detail.into(),
    }
}

/// Two cores, 0.5 s samples for 30 s; "web" runs 2–20 s on cpu0, "batch"
/// 8–27 s on cpu1.
pub fn basic_run() -> (Vec<CpuMetricRow>, Vec<EventRow>) {
    let mut m = Vec::new();
    for i in 0..=60 {
        let t = i as f64 * 0.5;
        let web = (2.0..20.0).contains(&t);
        let batch = (8.0..27.0).contains(&t);
        let wobble = (i as f64 * 0.7).sin() * 4.0;
        m.push(core(
            t,
            0,
            if web {
                90.0 + wobble
            } else {
                3.0 + wobble.abs()
            },
        ));
        m.push(core(t, 1, if batch { 75.0 + wobble } else { 2.0 }));
        if web {
            m.push(container(t, "web", 88.0 + wobble, 30 << 20));
        }
        if batch {
            m.push(container(t, "batch", 150.0 + 3.0 * wobble, 120 << 20));
        }
    }
    let e = vec![
        event(2.0, "web", "start", "cores 0"),
        event(8.0, "batch", "start", "cores 1"),
        event(20.0, "web", "exit", "exit 0"),
        event(27.0, "batch", "exit", "exit 1"),
    ];
    (m, e)
}

/// Four cores and eight containers starting 0.3 s apart (labels crowd).
pub fn crowded_run() -> (Vec<CpuMetricRow>, Vec<EventRow>) {
    let mut m = Vec::new();
    let mut e = Vec::new();
    for i in 0..=40 {
        let t = i as f64 * 0.25;
        for c in 0..4 {
            m.push(core(
                t,
                c,
                (50.0 + 45.0 * ((t + c as f64) * 0.9).sin()).abs(),
            ));
        }
    }
    for j in 0..8 {
        let name = format!("job-{j}");
        e.push(event(1.0 + j as f64 * 0.3, &name, "start", "cores 0-3"));
        e.push(event(6.0 + j as f64 * 0.4, &name, "exit", "exit 0"));
    }
    (m, e)
}

/// `n` cores, 20 samples.
pub fn wide_run(n: usize) -> Vec<CpuMetricRow> {
    let mut m = Vec::new();
    for i in 0..20 {
        for c in 0..n {
            let wave = (i as f64 * 0.4 + c as f64 * 0.05).sin();
            let pct = (50.0 + 45.0 * wave * (c % 5) as f64 / 4.0).clamp(0.0, 100.0);
            m.push(core(i as f64, c, pct));
        }
    }
    m
}

pub fn results() -> Vec<PolicyResult> {
    let r = |policy: &str, makespan, completion, cpu, frag| PolicyResult {
        policy: policy.into(),
        jobs: 12,
        completed: 12,
        makespan_s: makespan,
        mean_completion_s: completion,
        mean_wait_s: completion / 3.0,
        cpu_utilisation_pct: cpu,
        gpu_fragmentation_pct: frag,
    };
    vec![
        r("first-fit", 41.2, 18.7, 63.5, 25.0),
        r("least-loaded", 35.8, 15.2, 74.1, 12.5),
        r("best-fit", 37.0, 16.9, 70.3, 0.0),
    ]
}
