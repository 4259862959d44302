//! Summary and redraw tests on small hand-written record and experiment
//! directories.

mod common;

use std::path::Path;

use common::*;
use record::*;

fn write(dir: &Path, file: &str, text: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(file), text).unwrap();
}

/// One run: two cores, one container "web" on cores 0-1 with GPU 0, one
/// refused container "big".
fn hand_written_run(dir: &Path) {
    write(
        dir,
        METRICS_CSV,
        "time_s,kind,id,cpu_pct,user_pct,system_pct,iowait_pct,steal_pct,memory_bytes,memory_peak_bytes,pids,nr_throttled,psi_some_avg10
0.0,core,0,10.0,8.0,2.0,0.0,0.0,,,,,
0.0,core,1,20.0,18.0,2.0,0.0,0.0,,,,,
1.0,core,0,90.0,80.0,10.0,0.0,0.0,,,,,
1.0,core,1,40.0,30.0,10.0,0.0,0.0,,,,,
1.0,container,web,95.5,,,,,10485760,20971520,4,0,1.5
2.0,core,0,50.0,40.0,10.0,0.0,0.0,,,,,
2.0,core,1,30.0,20.0,10.0,0.0,0.0,,,,,
",
    );
    write(
        dir,
        EVENTS_CSV,
        "time_s,container,event,detail
0.5,web,start,cores 0-1
1.2,big,refused,needs 4 GPUs
2.5,web,exit,exit 0
",
    );
    write(
        dir,
        AFFINITY_CSV,
        "time_s,container,policy,cores,pinned,exclusive,why
0.5,web,least-loaded,0-1,true,false,load% cpu0=10.0 cpu1=20.0; picked lowest
",
    );
    write(
        dir,
        GPU_CSV,
        "time_s,container,request,policy,inventory,gpu,free_before_bytes,free_after_bytes,outcome
0.5,web,1x 8GiB,best-fit,simulated,0,17179869184,8589934592,placed
1.2,big,4x 8GiB,best-fit,simulated,-,8589934592,8589934592,refused
",
    );
}

#[test]
fn summary_of_one_run_names_the_key_facts() {
    let tmp = tempfile::tempdir().unwrap();
    hand_written_run(tmp.path());
    let s = summarise(tmp.path()).unwrap();
    let run = s.run.as_ref().unwrap();
    assert_eq!(run.samples, 3);
    assert_eq!(run.span_s, Some((0.0, 2.5)));
    assert_eq!(run.cores[0].mean_pct, 50.0);
    assert_eq!(run.cores[0].peak_pct, 90.0);
    let text = s.to_string();
    println!("{text}");
    for needle in [
        "covered 0.0 s – 2.5 s (2.5 s), 3 samples",
        "cpu0    50.0% /  90.0%",
        "cpu1    30.0% /  40.0%",
        "web  start 0.5 s, exit 2.5 s (exit 0), peak memory 20.0 MiB, peak CPU 95.5%",
        "big  refused: needs 4 GPUs",
        "web  → cores 0-1 (pinned, policy least-loaded); GPU 0",
        "big  → GPU refused",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
}

#[test]
fn summary_of_an_experiment_names_the_best_policies() {
    let tmp = tempfile::tempdir().unwrap();
    hand_written_run(&tmp.path().join("first-fit"));
    hand_written_run(&tmp.path().join("least-loaded"));
    write_comparison(tmp.path(), &results()).unwrap();
    let s = summarise(tmp.path()).unwrap();
    assert!(s.run.is_none());
    assert_eq!(s.policies.len(), 2);
    let text = s.to_string();
    println!("{text}");
    for needle in [
        "experiment ",
        "comparison (3 policies):",
        "  least-loaded      12/12        35.8             15.2     74.1%     12.5%",
        "best makespan: least-loaded (35.8 s)",
        "best mean completion: least-loaded (15.2 s)",
        "best CPU utilisation: least-loaded (74.1%)",
        "best GPU fragmentation: best-fit (0.0%)",
        "first-fit/: covered 0.0 s – 2.5 s (2.5 s), 3 samples, 2 containers",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
}

#[test]
fn ties_and_empty_directories() {
    let mut r = results();
    r[2].makespan_s = r[1].makespan_s;
    let best = best_policies(&r);
    assert_eq!(best[0].policies, vec!["least-loaded", "best-fit"]);
    let tmp = tempfile::tempdir().unwrap();
    assert!(matches!(
        summarise(tmp.path()),
        Err(RecordError::NotARecord { .. })
    ));
    assert!(matches!(
        summarise(&tmp.path().join("x")),
        Err(RecordError::Missing { .. })
    ));
    // A freshly created, empty run still summarises.
    RecordDir::create(tmp.path()).unwrap();
    let text = summarise(tmp.path()).unwrap().to_string();
    assert!(text.contains("covered no rows, 0 samples"), "{text}");
}

#[test]
fn redraw_draws_an_experiment_and_its_policy_dirs() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = tmp.path();
    for policy in ["first-fit", "least-loaded"] {
        let dir = RecordDir::create(&exp.join(policy)).unwrap();
        let (m, e) = basic_run();
        dir.append(METRICS_CSV, &m).unwrap();
        dir.append(EVENTS_CSV, &e).unwrap();
    }
    std::fs::create_dir(exp.join("not-a-record")).unwrap();
    write_comparison(exp, &results()).unwrap();
    let mut written = redraw(exp).unwrap();
    written.sort();
    let expected = vec![
        exp.join("first-fit/graphs/cpu_usage.png"),
        exp.join(GRAPHS_DIR).join(COMPARISON_PNG),
        exp.join("least-loaded/graphs/cpu_usage.png"),
    ];
    let mut expected_sorted = expected.clone();
    expected_sorted.sort();
    assert_eq!(written, expected_sorted);
    for png in expected {
        let bytes = std::fs::read(&png).unwrap();
        assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 4096);
    }
    assert!(matches!(
        redraw(&exp.join("missing")),
        Err(RecordError::Missing { .. })
    ));
}

#[test]
fn many_cores_are_summarised_not_listed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = RecordDir::create(tmp.path()).unwrap();
    dir.append(METRICS_CSV, &wide_run(256)).unwrap();
    let text = summarise(tmp.path()).unwrap().to_string();
    assert!(text.contains("256 cores: mean "), "{text}");
    assert!(text.contains("busiest (mean): cpu"), "{text}");
    assert!(text.lines().count() < 10, "{text}");
}
