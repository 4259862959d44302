//! After any run (success, failure, OOM, signal) nothing of ours is left:
//! cgroups (including our parent), state dirs, mounts, processes.

use crate::support::*;

fn unique_parent(tag: &str) -> String {
    format!("containerctl-test-{tag}-{}", std::process::id())
}

fn assert_parent_gone(parent: &str) {
    let layout = cgroups::detect().expect("layout");
    for root in hierarchy_roots(&layout) {
        let dir = root.join(parent);
        assert!(!dir.exists(), "cgroup parent {} left behind", dir.display());
    }
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").expect("mountinfo");
    assert!(
        !mounts.contains("containerctl"),
        "a host mount mentions containerctl:\n{mounts}"
    );
}

#[test]
fn successful_run_leaves_nothing() {
    let parent = unique_parent("ok");
    let run = RunBuilder::new(&format!("cpu: 0.5\nmemory: 64M\npids: 20\n{}", sh("true")))
        .cgroup_parent(&parent)
        .run();
    run.expect_code(0).assert_clean();
    assert_parent_gone(&parent);
    let state = run.state_root.path().join("state");
    let left = state_leftovers(&state);
    assert!(left.is_empty(), "state root holds {left:?}");
    let ledger = runtime::read_ledger(&state.join(runtime::LEDGER_FILE)).expect("ledger");
    assert!(ledger.placements.is_empty(), "{ledger:?}");
}

#[test]
fn failed_setup_leaves_nothing() {
    let parent = unique_parent("fail");
    let run = RunBuilder::new("memory: 64M\ncommand: /no/such/program\n")
        .cgroup_parent(&parent)
        .run();
    run.expect_code(127).assert_clean();
    assert_parent_gone(&parent);
}

#[test]
fn oom_killed_run_leaves_nothing() {
    let parent = unique_parent("oom");
    let run = RunBuilder::new(&format!(
        "memory: 16M\n{}",
        args_yaml(&[probe(), "alloc", "128"])
    ))
    .cgroup_parent(&parent)
    .run();
    run.expect_code(137).assert_clean();
    assert_parent_gone(&parent);
}

#[test]
fn many_sequential_runs_share_the_parent_and_leave_nothing() {
    let parent = unique_parent("many");
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let parent = parent.clone();
            std::thread::spawn(move || {
                RunBuilder::new(&sh(&format!("exit {i}")))
                    .cgroup_parent(&parent)
                    .run()
            })
        })
        .collect();
    for (i, handle) in handles.into_iter().enumerate() {
        let run = handle.join().expect("thread");
        run.expect_code(i as i32).assert_clean();
    }
    assert_parent_gone(&parent);
}

/// The VM lane exists to exercise the pure cgroup v2 back end: make sure it does.
#[test]
fn the_vm_lane_runs_on_pure_cgroup_v2() {
    let layout = cgroups::detect().expect("layout");
    if in_slow_vm() {
        assert!(
            matches!(layout, cgroups::Layout::Unified { .. }),
            "VM layout: {layout:?}"
        );
    }
    let run = run_yaml(&sh("true"));
    run.expect_code(0);
    let logged = run.step("cgroup");
    assert!(
        logged.iter().any(|l| l["message"]
            .as_str()
            .is_some_and(|m| m.contains(layout.describe()))),
        "the run log names the layout {}",
        layout.describe()
    );
}
