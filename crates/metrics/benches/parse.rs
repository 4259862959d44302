//! Benchmarks of the sampling path: parsing a synthetic 256-CPU
//! `/proc/stat` (the text of a large server), and one
//! `CpuSampler::sample()` on a temp proc root holding that text and on this
//! machine's real `/proc` (read + parse + utilisation + copy of the reading). Run with
//! `cargo bench -p metrics -- --warm-up-time 1 --measurement-time 3`.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use metrics::{parse_proc_stat, CpuSampler};

/// A `/proc/stat` with `cpus` CPU lines of realistic magnitudes, followed
/// by the usual non-CPU lines (a long intr line included).
fn synthetic_proc_stat(cpus: u32) -> String {
    let mut text = String::new();
    let row = |i: u64| {
        [
            81_234_567 + i * 13,
            1_234 + i,
            20_345_678 + i * 7,
            912_345_678 + i * 31,
            345_678 + i,
            0,
            123_456 + i,
            9_876 + i,
            0,
            0,
        ]
    };
    let join = |f: [u64; 10]| f.map(|v| v.to_string()).join(" ");
    let _ = writeln!(text, "cpu  {}", join(row(u64::from(cpus) * 1000)));
    for cpu in 0..cpus {
        let _ = writeln!(text, "cpu{cpu} {}", join(row(u64::from(cpu))));
    }
    text.push_str("intr 1940135");
    for i in 0..512 {
        let _ = write!(text, " {}", i % 7);
    }
    text.push_str("\nctxt 2998461\nbtime 1796400943\nprocesses 91382\n");
    text.push_str("procs_running 3\nprocs_blocked 0\nsoftirq 1103141 0 122269 1554\n");
    text
}

fn benches(c: &mut Criterion) {
    let text = synthetic_proc_stat(256);
    c.bench_function("parse_proc_stat 256 CPUs", |b| {
        b.iter(|| parse_proc_stat(black_box(&text)))
    });
    if let Ok(dir) = tempfile::tempdir() {
        if std::fs::write(dir.path().join("stat"), &text).is_ok() {
            if let Ok(mut sampler) = CpuSampler::new(dir.path()) {
                c.bench_function("CpuSampler::sample 256-CPU file", |b| {
                    b.iter(|| black_box(sampler.sample()))
                });
            }
        }
    }
    let mut sampler = match CpuSampler::new(Path::new("/proc")) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("skipping CpuSampler bench: {e}");
            return;
        }
    };
    c.bench_function("CpuSampler::sample /proc", |b| {
        b.iter(|| black_box(sampler.sample()))
    });
}

criterion_group!(parse, benches);
criterion_main!(parse);
