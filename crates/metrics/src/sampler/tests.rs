//! Tests of `CpuSampler` on a temporary proc root whose `stat` the test
//! rewrites between samples, one against the real `/proc`, and of
//! `cpu_percent`.

use super::*;

fn write_stat(root: &Path, total: &str, cpus: &[&str]) {
    let mut text = format!("cpu  {total} 0 0\n");
    for (i, c) in cpus.iter().enumerate() {
        text.push_str(&format!("cpu{i} {c} 0 0\n"));
    }
    text.push_str("intr 100 0 0\nctxt 2998461\nbtime 1796400943\nprocesses 91382\n");
    std::fs::write(root.join("stat"), text).unwrap();
}

#[test]
fn sampler_reports_exact_percent_between_rewrites() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    //                user nice sys idle iowait irq softirq steal
    write_stat(
        root,
        "100 0 100 800 0 0 0 0",
        &["50 0 50 400 0 0 0 0", "50 0 50 400 0 0 0 0"],
    );
    let mut sampler = CpuSampler::new(root).unwrap();
    assert_eq!(sampler.last().total.user, 100);

    // cpu0 fully busy (+100 user), cpu1 idle (+100 idle): machine 50 %.
    write_stat(
        root,
        "200 0 100 900 0 0 0 0",
        &["150 0 50 400 0 0 0 0", "50 0 50 500 0 0 0 0"],
    );
    let s = sampler.sample().unwrap();
    assert_eq!(s.utilisation.total, 50.0);
    assert_eq!(s.utilisation.per_cpu[&0], 100.0);
    assert_eq!(s.utilisation.per_cpu[&1], 0.0);
    assert_eq!(s.utilisation.breakdown.user, 50.0);
    assert_eq!(s.utilisation.breakdown.idle, 50.0);
    assert_eq!(s.stat.total.user, 200);
    assert_eq!(sampler.last(), &s.stat);

    // Next interval: +30 system, +10 iowait, +60 idle → 30 % busy;
    // cpu0 +30 system, +10 iowait, +10 idle → 60 %; cpu1 +50 idle.
    write_stat(
        root,
        "200 0 130 960 10 0 0 0",
        &["150 0 80 410 10 0 0 0", "50 0 50 550 0 0 0 0"],
    );
    let s = sampler.sample().unwrap();
    assert_eq!(s.utilisation.total, 30.0);
    assert_eq!(s.utilisation.per_cpu[&0], 60.0);
    assert_eq!(s.utilisation.per_cpu[&1], 0.0);
    assert_eq!(s.utilisation.breakdown.iowait, 10.0);

    // cpu1 goes offline: it drops out of per_cpu and the stat.
    write_stat(root, "300 0 130 960 10 0 0 0", &["250 0 80 410 10 0 0 0"]);
    let s = sampler.sample().unwrap();
    assert_eq!(s.utilisation.total, 100.0);
    assert_eq!(s.stat.cpus.len(), 1);
    assert_eq!(s.utilisation.per_cpu.len(), 1);
}

#[test]
fn sampler_errors_name_the_path_and_keep_the_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    assert!(matches!(
        CpuSampler::new(root),
        Err(MetricsError::Read { path, .. }) if path == root.join("stat")
    ));
    write_stat(root, "100 0 0 100 0 0 0 0", &["100 0 0 100 0 0 0 0"]);
    let mut sampler = CpuSampler::new(root).unwrap();
    std::fs::write(root.join("stat"), "cpu 1 2 x 4\n").unwrap();
    let err = sampler.sample().unwrap_err().to_string();
    assert!(
        err.contains(&root.join("stat").display().to_string()),
        "{err}"
    );
    assert!(err.contains("line 1"), "{err}");
    write_stat(root, "150 0 0 150 0 0 0 0", &["150 0 0 150 0 0 0 0"]);
    assert_eq!(sampler.sample().unwrap().utilisation.total, 50.0);
}

#[test]
fn read_proc_stat_on_temp_root() {
    let dir = tempfile::tempdir().unwrap();
    write_stat(dir.path(), "1 2 3 4 5 6 7 8", &["1 2 3 4 5 6 7 8"]);
    let s = read_proc_stat(dir.path()).unwrap();
    assert_eq!(s.total.total(), 36);
    assert_eq!(s.cpus.len(), 1);
}

#[test]
fn real_proc_sample_is_in_range() {
    let mut sampler = CpuSampler::new(Path::new("/proc")).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let s = sampler.sample().unwrap();
    assert!(s.elapsed >= Duration::from_millis(50));
    assert!((0.0..=100.0).contains(&s.utilisation.total));
    assert!(!s.utilisation.per_cpu.is_empty());
    for pct in s.utilisation.per_cpu.values() {
        assert!((0.0..=100.0).contains(pct), "{pct}");
    }
    assert!(!read_proc_stat(Path::new("/proc")).unwrap().cpus.is_empty());
}

#[test]
fn cpu_percent_formula() {
    // 250 ms of CPU in 500 ms → half a core.
    assert_eq!(
        cpu_percent(1_000, 251_000, Duration::from_millis(500)),
        50.0
    );
    // Two full cores.
    assert_eq!(cpu_percent(0, 2_000_000, Duration::from_secs(1)), 200.0);
    assert_eq!(cpu_percent(0, 1_000, Duration::ZERO), 0.0);
    assert_eq!(cpu_percent(5_000, 1_000, Duration::from_secs(1)), 0.0);
    assert_eq!(cpu_percent(7, 7, Duration::from_secs(1)), 0.0);
}
