//! One test per kind of invalid workload: each checks the key, line and
//! column the error names, and a fragment of its message. Problems found while
//! reading the YAML are in `document`, problems with values in `values`,
//! with `network` and `ports` in `network`.

mod document;
mod network;
mod values;

use crate::{load_workload, parse_workload, HostFacts, SpecError};
use std::path::Path;

pub(super) fn host() -> HostFacts {
    HostFacts { cpus: vec![0, 1] }
}

/// Parses `source` expecting an `Invalid` error at `line:column` about `key`
/// whose message contains `fragment`.
#[track_caller]
pub(super) fn expect_invalid(source: &str, (line, column): (u64, u64), key: &str, fragment: &str) {
    match parse_workload(source, "t.yaml", &host()) {
        Err(err @ SpecError::Invalid { .. }) => {
            let text = err.to_string();
            let SpecError::Invalid {
                file,
                line: l,
                column: c,
                key: k,
                message,
            } = err
            else {
                unreachable!()
            };
            assert_eq!(
                (file.as_str(), l, c, k.as_str()),
                ("t.yaml", line, column, key),
                "{text}"
            );
            assert!(
                message.contains(fragment),
                "message {message:?} lacks {fragment:?}"
            );
            assert!(!message.contains('\n'), "multi-line message {message:?}");
            assert_eq!(text, format!("t.yaml:{line}:{column}: {key}: {message}"));
        }
        other => panic!("expected an Invalid error for {source:?}, got {other:?}"),
    }
}

#[test]
fn unreadable_file_names_the_path() {
    let path = Path::new("/nonexistent/containerctl/spec-test.yaml");
    match load_workload(path, &host()) {
        Err(err @ SpecError::Read { .. }) => {
            assert!(
                err.to_string()
                    .contains("/nonexistent/containerctl/spec-test.yaml"),
                "{err}"
            );
        }
        other => panic!("expected a Read error, got {other:?}"),
    }
}

#[test]
fn load_names_the_file_as_given() {
    let dir = std::env::temp_dir().join(format!("spec-load-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.yaml");
    std::fs::write(&path, "command: x\ncpu: -1\n").unwrap();
    let err = load_workload(&path, &host()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}:2:6: cpu: must be greater than 0, got -1",
            path.display()
        )
    );
    std::fs::write(&path, "command: echo hi\n").unwrap();
    let workload = load_workload(&path, &host()).unwrap();
    assert_eq!(workload.args, ["echo", "hi"]);
    std::fs::remove_dir_all(&dir).unwrap();
}
