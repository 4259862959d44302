//! Placement seen from inside: exclusive cores are disjoint across
//! concurrent containers (read from each container's own
//! /proc/self/status), a request that cannot be met is refused with exit 3
//! or queued with --wait, least-loaded steers away from a core a host
//! process keeps busy, GPUs are granted and shared as the ledger says, and
//! the run record holds the decision.

use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use crate::support::{probe, sh, Gate, Run, RunBuilder, CPU_BOUND};

/// The Cpus_allowed_list line the container printed.
fn allowed(run: &Run) -> String {
    run.stdout
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| {
            panic!(
                "no Cpus_allowed_list in output:\n{}\n{}",
                run.stdout, run.stderr
            )
        })
}

/// Waits until the ledger under `state` holds `n` placements.
fn wait_for_placements(state: &Path, n: usize) {
    let start = Instant::now();
    loop {
        let ledger = runtime::read_ledger(&state.join(runtime::LEDGER_FILE)).expect("ledger");
        if ledger.placements.len() >= n {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{n} placements never appeared"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// An exclusive one-core workload that prints its affinity, then waits for `gate`.
fn exclusive_yaml(gate: &Gate) -> String {
    format!(
        "cpu: 1\nexclusive: true\n{}",
        sh(&format!(
            "grep Cpus_allowed_list /proc/self/status; {}",
            gate.wait_script()
        ))
    )
}

#[test]
fn exclusive_workloads_get_disjoint_cores_and_the_next_is_refused_or_queued() {
    let _cpus = CPU_BOUND.lock().unwrap_or_else(|e| e.into_inner());
    let state = tempfile::tempdir().expect("state");
    let (hold, later) = (Gate::new(), Gate::new());
    later.open();
    let (a, pending_a) = RunBuilder::new(&exclusive_yaml(&hold))
        .state(state.path())
        .spawn();
    let (b, pending_b) = RunBuilder::new(&exclusive_yaml(&hold))
        .state(state.path())
        .spawn();
    wait_for_placements(state.path(), 2);

    let refused = RunBuilder::new(&exclusive_yaml(&later))
        .state(state.path())
        .run();
    refused.expect_code(3);
    assert!(refused.stderr.contains("exclusive"), "{}", refused.stderr);
    refused.assert_clean();

    let queued = RunBuilder::new(&exclusive_yaml(&later))
        .state(state.path())
        .arg("--wait")
        .spawn();
    let start = Instant::now();
    while !queued_logged(state.path()) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the --wait run never queued"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    hold.open();
    let (a, b) = (pending_a.finish(a), pending_b.finish(b));
    let queued = queued.1.finish(queued.0);
    for run in [&a, &b, &queued] {
        run.expect_code(0);
        run.assert_clean();
    }
    let (cores_a, cores_b) = (allowed(&a), allowed(&b));
    assert_ne!(cores_a, cores_b, "exclusive containers shared a core");
    assert!(queued.stderr.contains("queued"), "{}", queued.stderr);
    let ledger = runtime::read_ledger(&state.path().join(runtime::LEDGER_FILE)).expect("ledger");
    assert!(ledger.placements.is_empty(), "ledger not empty: {ledger:?}");
}

/// Whether a run under `state` waits in the ledger's queue.
fn queued_logged(state: &Path) -> bool {
    runtime::read_ledger(&state.join(runtime::LEDGER_FILE))
        .map(|ledger| !ledger.waiting.is_empty())
        .unwrap_or(false)
}

#[test]
fn the_shared_pool_gives_way_to_an_exclusive_container() {
    let _cpus = CPU_BOUND.lock().unwrap_or_else(|e| e.into_inner());
    let online = spec::cpulist::parse(
        &std::fs::read_to_string("/sys/devices/system/cpu/online").expect("online"),
    )
    .expect("cpulist");
    if online.len() < 2 {
        eprintln!("skipped: needs two CPUs");
        return;
    }
    let state = tempfile::tempdir().expect("state");
    let (first, second) = (Gate::new(), Gate::new());
    let pool_yaml = format!(
        "cpu: 0.5\n{}",
        sh(&format!(
            "{}; echo after $(grep Cpus_allowed_list /proc/self/status | cut -f2)",
            first.wait_script()
        ))
    );
    let (pool, pending_pool) = RunBuilder::new(&pool_yaml).state(state.path()).spawn();
    wait_for_placements(state.path(), 1);
    let (excl, pending_excl) = RunBuilder::new(&exclusive_yaml(&second))
        .state(state.path())
        .spawn();
    wait_for_placements(state.path(), 2);
    first.open();
    let pool = pending_pool.finish(pool);
    second.open();
    let excl = pending_excl.finish(excl);
    for run in [&pool, &excl] {
        run.expect_code(0);
        run.assert_clean();
    }
    let exclusive_core = allowed(&excl);
    let line = |tag: &str| {
        pool.stdout
            .lines()
            .find_map(|l| l.strip_prefix(tag))
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|| panic!("no {tag} line:\n{}", pool.stdout))
    };
    let after = spec::cpulist::parse(&line("after ")).expect("after");
    let exclusive_core: u32 = exclusive_core.parse().expect("one core");
    // It started on the whole pool (its placement, made first, is every
    // core) and was moved off the exclusive core while it ran.
    assert!(
        !after.contains(&exclusive_core),
        "the pool container still runs on {exclusive_core}: {after:?}"
    );
    assert!(!after.is_empty());
}

/// A host process spinning on one CPU, killed on drop.
struct Spinner(Child);

impl Drop for Spinner {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn least_loaded_avoids_a_core_kept_busy_by_the_host() {
    let _cpus = CPU_BOUND.lock().unwrap_or_else(|e| e.into_inner());
    let cpus = spec::cpulist::parse(
        &std::fs::read_to_string("/sys/devices/system/cpu/online").expect("online"),
    )
    .expect("cpulist");
    if cpus.len() < 2 {
        eprintln!("skipped: needs two CPUs");
        return;
    }
    let busy = cpus[0];
    let _spinner = Spinner(
        Command::new("taskset")
            .args(["-c", &busy.to_string(), probe(), "busy", "60"])
            .spawn()
            .expect("taskset"),
    );
    std::thread::sleep(Duration::from_millis(500));
    let run = RunBuilder::new(&format!(
        "cpu: 1\n{}",
        sh("grep Cpus_allowed_list /proc/self/status")
    ))
    .arg("--policy")
    .arg("least-loaded")
    .run();
    run.expect_code(0);
    run.assert_clean();
    let chosen: u32 = allowed(&run).parse().expect("one core");
    // The record says what load each core showed; least-loaded must take
    // the lowest, and the spinning core must have shown as busy.
    let rows: Vec<record::AffinityRow> =
        record::read_rows(&run.record_dir().join(record::AFFINITY_CSV)).expect("affinity");
    let seen: Vec<(u32, f64)> = rows[0]
        .why
        .split_whitespace()
        .filter_map(|w| w.strip_prefix("cpu")?.split_once('='))
        .filter_map(|(c, l)| Some((c.parse().ok()?, l.parse().ok()?)))
        .collect();
    let load_of = |cpu: u32| seen.iter().find(|s| s.0 == cpu).map(|s| s.1).expect("seen");
    assert!(
        load_of(busy) > 50.0,
        "the spinning core looked idle: {seen:?}"
    );
    let lowest = seen.iter().map(|s| s.1).fold(f64::INFINITY, f64::min);
    assert_eq!(
        load_of(chosen),
        lowest,
        "not the least loaded: chose {chosen} from {seen:?}"
    );
    if seen.iter().any(|&(c, l)| c != busy && l < 50.0) {
        assert_ne!(chosen, busy, "placed on the busy core: {seen:?}");
    }
}

#[test]
fn gpu_true_gets_a_simulated_gpu_in_its_environment_and_a_full_record() {
    let run = RunBuilder::new(&format!(
        "cpu: 1\ngpu: true\n{}",
        sh("env | grep -E 'GPU|DEVICES' | sort")
    ))
    .run();
    run.expect_code(0);
    run.assert_clean();
    assert!(
        run.stdout.contains("CUDA_VISIBLE_DEVICES=0"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("NVIDIA_VISIBLE_DEVICES=SIM-GPU-0"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("CONTAINERCTL_GPU_SIMULATED=1"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("simulated"),
        "the log must say the GPU is simulated"
    );

    let dir = run.record_dir();
    let affinity: Vec<record::AffinityRow> =
        record::read_rows(&dir.join(record::AFFINITY_CSV)).expect("affinity");
    assert_eq!(affinity.len(), 1);
    assert!(
        affinity[0].pinned && affinity[0].why.contains("cpu"),
        "{affinity:?}"
    );
    let gpus: Vec<record::GpuScheduleRow> =
        record::read_rows(&dir.join(record::GPU_CSV)).expect("gpu");
    assert_eq!(
        (gpus[0].gpu.as_str(), gpus[0].inventory.as_str()),
        ("0", "simulated")
    );
    assert_eq!(gpus[0].free_after_bytes, "0");
    let events: Vec<record::EventRow> =
        record::read_rows(&dir.join(record::EVENTS_CSV)).expect("events");
    let kinds: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(kinds, ["start", "exit"]);
    let png = std::fs::read(dir.join("graphs/cpu_usage.png")).expect("png");
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
}

#[test]
fn gpu_memory_requests_share_one_gpu_until_it_is_full() {
    let state = tempfile::tempdir().expect("state");
    let inventory = state.path().join("gpus.yaml");
    std::fs::write(&inventory, "gpus:\n  - model: Test-40G\n    memory: 40G\n").expect("inventory");
    let inventory = inventory.to_str().expect("utf-8 path").to_string();
    let (hold, open) = (Gate::new(), Gate::new());
    open.open();
    let yaml = |gate: &Gate| {
        format!(
            "gpu: {{count: 1, memory: 20G}}\n{}",
            sh(&format!(
                "echo $CUDA_VISIBLE_DEVICES; {}",
                gate.wait_script()
            ))
        )
    };
    let run_with = |gate: &Gate| {
        RunBuilder::new(&yaml(gate))
            .state(state.path())
            .arg("--gpus")
            .arg(&inventory)
    };
    let first = run_with(&hold).spawn();
    let second = run_with(&hold).spawn();
    wait_for_placements(state.path(), 2);
    let third = run_with(&open).run();
    hold.open();
    third.expect_code(3);
    assert!(
        third.stderr.contains("GPU 0"),
        "the refusal names what is free: {}",
        third.stderr
    );
    for run in [first.1.finish(first.0), second.1.finish(second.0)] {
        run.expect_code(0);
        run.assert_clean();
        assert_eq!(run.stdout.trim(), "0");
    }
}
