//! Bad workload files: a clear error naming file, line, column and key, exit
//! code 2, and nothing created. `validate` and `spec` on good files.

use std::process::Command;

use crate::support::*;

fn containerctl_on(args: &[&str], yaml: &str) -> (i32, String, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("bad.yaml");
    std::fs::write(&file, yaml).expect("write");
    let out = Command::new(containerctl())
        .arg("--root")
        .arg(dir.path().join("state"))
        .args(args)
        .arg(&file)
        .output()
        .expect("run containerctl");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        dir,
    )
}

#[test]
fn bad_files_exit_2_with_location_and_create_nothing() {
    let cases = [
        ("cpu: 1\nbogus: 3\ncommand: true\n", ":2:1", "bogus"),
        ("cpu: abc\ncommand: true\n", ":1:6", "cpu"),
        ("memory: 512X\ncommand: true\n", ":1:9", "memory"),
        ("cpu: -1\ncommand: true\n", ":1:6", "cpu"),
        ("cpu: 0\ncommand: true\n", ":1:6", "cpu"),
        ("cpu: 4096\ncommand: true\n", ":1:6", "cpu"),
        ("cpu: 1\n", ":1:1", "command"),
        ("cpus: \"4000\"\ncommand: true\n", ":1:7", "cpus"),
        ("timeout: soon\ncommand: true\n", ":1:10", "timeout"),
    ];
    for (yaml, location, key) in cases {
        let (code, stdout, stderr, dir) = containerctl_on(&["run"], yaml);
        assert_eq!(code, 2, "{yaml:?}: {stderr}");
        assert!(stdout.is_empty(), "{yaml:?} printed {stdout}");
        assert!(
            stderr.contains(&format!("bad.yaml{location}")),
            "{yaml:?}: expected {location} in {stderr}"
        );
        assert!(
            stderr.contains(key),
            "{yaml:?}: expected key {key} in {stderr}"
        );
        assert!(
            !dir.path().join("state").exists(),
            "{yaml:?} created a state dir"
        );
        let (vcode, _, vstderr, _) = containerctl_on(&["validate"], yaml);
        assert_eq!(vcode, 2, "validate {yaml:?}: {vstderr}");
    }
}

#[test]
fn missing_file_is_a_clear_error() {
    let out = Command::new(containerctl())
        .args(["validate", "/no/such/workload.yaml"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/workload.yaml"));
}

#[test]
fn validate_accepts_the_examples() {
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");
    for entry in std::fs::read_dir(examples).expect("examples dir").flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue; // inventories/ holds GPU inventories, not workloads
        }
        let out = Command::new(containerctl())
            .arg("validate")
            .arg(&path)
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn spec_prints_the_oci_config() {
    let (code, stdout, stderr, _dir) = containerctl_on(
        &["spec"],
        "cpu: 0.5\nmemory: 64M\npids: 10\ngpu: true\ncommand: stress --cpu 1\n",
    );
    assert_eq!(code, 0, "{stderr}");
    let spec: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(
        spec["process"]["args"],
        serde_json::json!(["stress", "--cpu", "1"])
    );
    assert_eq!(spec["linux"]["resources"]["cpu"]["quota"], 50000);
    assert_eq!(spec["linux"]["resources"]["cpu"]["period"], 100000);
    assert_eq!(spec["linux"]["resources"]["memory"]["limit"], 64 << 20);
    assert_eq!(spec["linux"]["resources"]["pids"]["limit"], 10);
    assert_eq!(spec["process"]["noNewPrivileges"], true);
    assert_eq!(spec["root"]["readonly"], true);
    let namespaces: Vec<&str> = spec["linux"]["namespaces"]
        .as_array()
        .expect("namespaces")
        .iter()
        .filter_map(|n| n["type"].as_str())
        .collect();
    for ns in ["pid", "network", "ipc", "uts", "mount", "cgroup"] {
        assert!(namespaces.contains(&ns), "{ns} missing from {namespaces:?}");
    }
    assert!(spec["annotations"]["org.containerctl.gpu"].is_string());
}
