//! Chart tests: every case must produce a real PNG of some size, never a
//! panic. Set RECORD_PREVIEW_DIR to keep the images for a look.

mod common;

use std::path::Path;

use common::*;
use record::{draw_comparison, draw_cpu_usage, PolicyResult};

fn assert_png(path: &Path) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is not a PNG",
        path.display()
    );
    assert!(
        bytes.len() > 4096,
        "{} is only {} bytes",
        path.display(),
        bytes.len()
    );
}

#[test]
fn cpu_usage_with_many_samples_and_containers() {
    let (dir, _guard) = out_dir();
    let (m, e) = basic_run();
    let out = dir.join("cpu_usage_basic.png");
    draw_cpu_usage(&m, &e, &out).unwrap();
    assert_png(&out);
}

#[test]
fn cpu_usage_cores_only_with_crowded_marks() {
    let (dir, _guard) = out_dir();
    let (m, e) = crowded_run();
    let out = dir.join("cpu_usage_crowded.png");
    draw_cpu_usage(&m, &e, &out).unwrap();
    assert_png(&out);
}

#[test]
fn cpu_usage_with_no_samples() {
    let (dir, _guard) = out_dir();
    let out = dir.join("cpu_usage_empty.png");
    draw_cpu_usage(&[], &[], &out).unwrap();
    assert_png(&out);
}

#[test]
fn cpu_usage_with_one_sample() {
    let (dir, _guard) = out_dir();
    let out = dir.join("cpu_usage_one.png");
    let m = vec![core(0.0, 0, 42.0), container(0.0, "solo", 40.0, 1 << 20)];
    draw_cpu_usage(&m, &[event(0.0, "solo", "start", "")], &out).unwrap();
    assert_png(&out);
}

#[test]
fn cpu_usage_with_256_cores() {
    let (dir, _guard) = out_dir();
    let out = dir.join("cpu_usage_256.png");
    draw_cpu_usage(&wide_run(256), &[], &out).unwrap();
    assert_png(&out);
}

#[test]
fn cpu_usage_survives_odd_values() {
    let (dir, _guard) = out_dir();
    let out = dir.join("nested/more/cpu_usage_odd.png");
    let m = vec![
        core(f64::NAN, 0, 10.0),
        core(1.0, 0, f64::INFINITY),
        core(2.0, 0, 250.0),
        core(3.0, 0, -5.0),
    ];
    draw_cpu_usage(&m, &[event(f64::NAN, "x", "start", "")], &out).unwrap();
    assert_png(&out);
}

#[test]
fn comparison_with_three_policies() {
    let (dir, _guard) = out_dir();
    let out = dir.join("comparison.png");
    draw_comparison(&results(), &out).unwrap();
    assert_png(&out);
}

#[test]
fn comparison_with_no_results_and_zero_values() {
    let (dir, _guard) = out_dir();
    let out = dir.join("comparison_empty.png");
    draw_comparison(&[], &out).unwrap();
    assert_png(&out);
    let zero = PolicyResult {
        policy: "a-very-long-policy-name-that-does-not-fit-anywhere".into(),
        jobs: 0,
        completed: 0,
        makespan_s: 0.0,
        mean_completion_s: f64::NAN,
        mean_wait_s: 0.0,
        cpu_utilisation_pct: 0.0,
        gpu_fragmentation_pct: 0.0,
    };
    let out = dir.join("comparison_zero.png");
    draw_comparison(&vec![zero; 6], &out).unwrap();
    assert_png(&out);
}
