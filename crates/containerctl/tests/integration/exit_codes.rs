//! The workload's status is containerctl's: 0, 1, 127, 126, 137, 124.

use crate::support::*;

#[test]
fn exit_codes_propagate() {
    for code in [0, 1, 42] {
        run_yaml(&sh(&format!("exit {code}")))
            .expect_code(code)
            .assert_clean();
    }
}

#[test]
fn missing_program_is_127_with_its_name() {
    let run = run_yaml("command: no-such-program-here --flag\n");
    run.expect_code(127).assert_clean();
    assert!(
        run.stderr.contains("no-such-program-here"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("not found"), "{}", run.stderr);
}

#[test]
fn program_that_cannot_execute_is_126() {
    let run = run_yaml("args: [/etc/hostname]\n");
    run.expect_code(126).assert_clean();
    assert!(run.stderr.contains("/etc/hostname"), "{}", run.stderr);
}

#[test]
fn bad_workdir_is_reported_with_its_step() {
    let run = run_yaml(&format!("workdir: /no/such/dir\n{}", sh("true")));
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains("workdir") && run.stderr.contains("/no/such/dir"),
        "{}",
        run.stderr
    );
    run.assert_clean();
}

#[test]
fn killed_workload_is_128_plus_signal() {
    let run = RunBuilder::new(&sh("kill -KILL $$")).arg("--init").run();
    run.expect_code(137).assert_clean();
}

#[test]
fn timeout_stops_the_workload_with_124() {
    let start = std::time::Instant::now();
    let run = RunBuilder::new("timeout: 1s\ncommand: sleep 60\n")
        .arg("--stop-timeout")
        .arg("1")
        .run();
    run.expect_code(124).assert_clean();
    assert!(start.elapsed().as_secs() < 30, "took {:?}", start.elapsed());
    assert!(run.stderr.contains("timed out"), "{}", run.stderr);
}

#[test]
fn init_reaps_and_passes_the_status_through() {
    let run = RunBuilder::new(&sh("(sleep 0.1 &) ; echo pid=$$; exit 7"))
        .arg("--init")
        .run();
    run.expect_code(7).assert_clean();
    assert_eq!(
        run.stdout.trim(),
        "pid=2",
        "under --init the workload is PID 2"
    );
}
