//! Unit tests of `/proc/stat` parsing on text shaped like this machine's
//! (kernel 6.x: ten fields per CPU line, then intr/ctxt/btime/... lines).

use super::*;

/// Copied from `cat /proc/stat` on a 2-CPU host (the intr line shortened).
const REAL: &str = "\
cpu  162545 0 35495 452077 2893 0 343 325 0 0
cpu0 79226 0 16445 230178 766 0 41 155 0 0
cpu1 83319 0 19050 221899 2127 0 301 169 0 0
intr 1940135 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1 1 1 0 0 1 1 657 604
ctxt 2998461
btime 1796400943
processes 91382
procs_running 3
procs_blocked 0
softirq 1103141 0 122269 1554 12601 235928 0 356 200761 2 529670
";

#[test]
fn parses_real_shaped_text() {
    let s = parse_proc_stat(REAL).unwrap();
    assert_eq!(
        s.total,
        CpuTimes {
            user: 162545,
            nice: 0,
            system: 35495,
            idle: 452077,
            iowait: 2893,
            irq: 0,
            softirq: 343,
            steal: 325,
        }
    );
    assert_eq!(s.cpus.len(), 2);
    assert_eq!(s.cpus[&0].user, 79226);
    assert_eq!(s.cpus[&1].steal, 169);
    assert_eq!(s.total.idle_all(), 452077 + 2893);
    assert_eq!(s.total.total(), 162545 + 35495 + 452077 + 2893 + 343 + 325);
    assert_eq!(s.total.busy(), 162545 + 35495 + 343 + 325);
    assert_eq!(busy_total(&s.total), (s.total.busy(), s.total.total()));
}

#[test]
fn guest_fields_are_not_added_again() {
    let s = parse_proc_stat("cpu 10 20 30 40 50 60 70 80 5 5\n").unwrap();
    assert_eq!(s.total.total(), 360);
}

#[test]
fn old_four_field_format() {
    let s = parse_proc_stat("cpu 1 2 3 4\ncpu0 1 2 3 4\npage 5 6\n").unwrap();
    assert_eq!(s.total.idle, 4);
    assert_eq!(s.total.iowait, 0);
    assert_eq!(s.total.steal, 0);
    assert_eq!(s.cpus[&0].system, 3);
}

#[test]
fn sparse_cpu_numbers_from_offline_cpus() {
    let s = parse_proc_stat("cpu 1 1 1 1\ncpu0 1 1 1 1\ncpu3 1 1 1 1\n").unwrap();
    assert_eq!(s.cpus.keys().copied().collect::<Vec<_>>(), vec![0, 3]);
}

fn parse_error(text: &str) -> (usize, String) {
    match parse_proc_stat(text) {
        Err(MetricsError::Parse { line, message, .. }) => (line, message),
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn garbage_number_names_its_line() {
    let text = REAL.replace("cpu1 83319 0 19050", "cpu1 83319 0 19x50");
    let (line, message) = parse_error(&text);
    assert_eq!(line, 3);
    assert!(message.contains("field 3"), "{message}");
    assert!(message.contains("19x50"), "{message}");
    let err = parse_proc_stat(&text).unwrap_err().to_string();
    assert!(
        err.contains("/proc/stat") && err.contains("line 3"),
        "{err}"
    );
}

#[test]
fn negative_and_overflowing_numbers_are_errors() {
    assert_eq!(parse_error("cpu 1 -2 3 4\n").0, 1);
    assert_eq!(parse_error("cpu 1 2 3 99999999999999999999\n").0, 1);
    assert_eq!(parse_error("cpu 1 2 3 4\ncpu99999999999 1 2 3 4\n").0, 2);
}

#[test]
fn too_few_fields_is_an_error() {
    let (line, message) = parse_error("intr 5\ncpu 1 2 3\n");
    assert_eq!(line, 2);
    assert!(message.contains("at least 4"), "{message}");
}

#[test]
fn missing_aggregate_line_is_an_error() {
    assert_eq!(parse_error("").0, 0);
    assert_eq!(parse_error("cpu0 1 2 3 4\nctxt 5\n").0, 0);
}

#[test]
fn fill_in_place_drops_cpus_that_went_offline() {
    let mut s = parse_proc_stat("cpu 1 1 1 1\ncpu0 1 1 1 1\ncpu1 2 2 2 2\n").unwrap();
    parse_proc_stat_into("cpu 3 3 3 3\ncpu1 4 4 4 4\n", &mut s).unwrap();
    assert_eq!(s, parse_proc_stat("cpu 3 3 3 3\ncpu1 4 4 4 4\n").unwrap());
    parse_proc_stat_into(REAL, &mut s).unwrap();
    assert_eq!(s, parse_proc_stat(REAL).unwrap());
}
