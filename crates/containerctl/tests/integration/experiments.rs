//! The record commands end to end: `experiment` runs a real batch under
//! three policies and writes a comparison (CSV + PNG) and one run record
//! per policy; `report` redraws and summarises it; `top` shows a running
//! container of ours; `trace generate | simulate` compares policies offline.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{containerctl, probe, require_root, sh, Gate, RunBuilder, CPU_BOUND};

fn ctl(args: &[&str]) -> Output {
    Command::new(containerctl())
        .args(args)
        .env_remove("CONTAINERCTL_GPUS")
        .output()
        .expect("containerctl")
}

fn only_subdir(dir: &Path) -> PathBuf {
    let dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs[0].clone()
}

#[test]
fn experiment_compares_three_policies_with_records_and_a_plot() {
    require_root();
    let _cpus = CPU_BOUND.lock().unwrap_or_else(|e| e.into_inner());
    let work = tempfile::tempdir().expect("tempdir");
    let batch = work.path().join("batch.yaml");
    let busy = |name: &str, extra: &str| {
        format!(
            "  - name: {name}\n    cpu: 1\n{extra}    args: [\"{}\", \"busy\", \"1\"]\n",
            probe()
        )
    };
    let text = format!(
        "containers:\n{}{}{}",
        busy("a", ""),
        busy("b", "    gpu: {count: 1, memory: 30G}\n"),
        busy("c", "    gpu: true\n")
    );
    std::fs::write(&batch, text).expect("batch");
    let state = work.path().join("state");
    let out = work.path().join("out");
    let output = Command::new(containerctl())
        .arg("--root")
        .arg(&state)
        .args(["experiment", "--settle", "0", "--sample-interval", "0.1"])
        .args([
            "--policy",
            "least-loaded",
            "--policy",
            "pack",
            "--policy",
            "spread",
        ])
        .arg("--out")
        .arg(&out)
        .arg(&batch)
        .output()
        .expect("experiment");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let root = only_subdir(&out);
    let results: Vec<record::PolicyResult> =
        record::read_rows(&root.join(record::COMPARISON_CSV)).expect("comparison");
    let names: Vec<&str> = results.iter().map(|r| r.policy.as_str()).collect();
    assert_eq!(names, ["least-loaded+best-fit", "pack", "spread"]);
    for r in &results {
        assert_eq!((r.jobs, r.completed), (3, 3), "{r:?}");
        assert!(r.makespan_s >= 1.0 && r.mean_completion_s >= 0.9, "{r:?}");
        let dir = root.join(&r.policy);
        let affinity: Vec<record::AffinityRow> =
            record::read_rows(&dir.join(record::AFFINITY_CSV)).expect("affinity");
        assert_eq!(affinity.len(), 3, "{affinity:?}");
        assert!(affinity.iter().all(|a| a.policy == r.policy));
        let gpus: Vec<record::GpuScheduleRow> =
            record::read_rows(&dir.join(record::GPU_CSV)).expect("gpus");
        assert_eq!(gpus.len(), 2);
        assert!(dir.join("graphs/cpu_usage.png").exists());
    }
    let png = std::fs::read(root.join("graphs/comparison.png")).expect("comparison.png");
    assert!(png.starts_with(b"\x89PNG"));
    assert!(
        stdout.contains("pack"),
        "the summary names the policies: {stdout}"
    );

    let report = ctl(&["report", root.to_str().expect("utf-8")]);
    assert!(
        report.status.success(),
        "{}",
        String::from_utf8_lossy(&report.stderr)
    );
    assert!(String::from_utf8_lossy(&report.stdout).contains("spread"));
    let ledger = runtime::read_ledger(&state.join(runtime::LEDGER_FILE)).expect("ledger");
    assert!(ledger.placements.is_empty());
}

#[test]
fn top_lists_a_running_container_of_ours() {
    let state = tempfile::tempdir().expect("state");
    let gate = Gate::new();
    let (child, pending) = RunBuilder::new(&format!(
        "name: watched\ncpu: 1\n{}",
        sh(&gate.wait_script())
    ))
    .state(state.path())
    .spawn();
    let ledger = state.path().join(runtime::LEDGER_FILE);
    let start = std::time::Instant::now();
    while runtime::read_ledger(&ledger)
        .map(|l| l.placements.is_empty())
        .unwrap_or(true)
    {
        assert!(start.elapsed().as_secs() < 30, "never placed");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let top = ctl(&[
        "--root",
        state.path().to_str().expect("utf-8"),
        "top",
        "-n",
        "2",
        "-i",
        "0.3",
    ]);
    let text = String::from_utf8_lossy(&top.stdout);
    assert!(
        top.status.success(),
        "{}",
        String::from_utf8_lossy(&top.stderr)
    );
    gate.open();
    assert!(text.contains("watched") && text.contains("cpu0"), "{text}");
    let run = pending.finish(child);
    run.expect_code(0);
    run.assert_clean();
}

#[test]
fn traces_are_reproducible_and_simulate_under_several_policies() {
    let work = tempfile::tempdir().expect("tempdir");
    let trace = work.path().join("trace.csv");
    let trace_s = trace.to_str().expect("utf-8");
    let again = work.path().join("again.csv");
    for path in [trace_s, again.to_str().expect("utf-8")] {
        let out = ctl(&[
            "trace", "generate", "--seed", "7", "--jobs", "300", "--out", path,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(
        std::fs::read(&trace).expect("trace"),
        std::fs::read(&again).expect("again")
    );
    let out_dir = work.path().join("sim");
    let out = ctl(&[
        "trace",
        "simulate",
        trace_s,
        "--policy",
        "least-loaded",
        "--policy",
        "pack",
        "--policy",
        "topology",
        "--gpu-count",
        "16",
        "--out",
        out_dir.to_str().expect("utf-8"),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<record::PolicyResult> =
        record::read_rows(&out_dir.join(record::COMPARISON_CSV)).expect("csv");
    assert_eq!(results.len(), 3);
    assert!(
        results.iter().all(|r| r.jobs == 300 && r.makespan_s > 0.0),
        "{results:?}"
    );
    assert!(out_dir.join("graphs/comparison.png").exists());
}
