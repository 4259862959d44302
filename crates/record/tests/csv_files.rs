//! CSV tests: round trips, headers on an empty run, the column lists kept
//! beside each row type, concurrent appends and readable errors.

mod common;

use std::sync::Arc;

use common::*;
use record::*;
use serde::Serialize;

fn affinity(i: usize) -> AffinityRow {
    AffinityRow {
        time_s: i as f64 * 0.25,
        container: format!("c{i}"),
        policy: "least-loaded".into(),
        cores: "0-1".into(),
        pinned: i % 2 == 0,
        exclusive: false,
        why: "load% cpu0=93.1 cpu1=2.0; picked lowest, \"quoted\"".into(),
    }
}

fn gpu(i: usize) -> GpuScheduleRow {
    GpuScheduleRow {
        time_s: i as f64,
        container: "trainer".into(),
        request: "1x 20GiB".into(),
        policy: "best-fit".into(),
        inventory: "simulated".into(),
        gpu: if i == 0 { "0".into() } else { "-".into() },
        free_before_bytes: "42949672960;42949672960".into(),
        free_after_bytes: "21474836480;42949672960".into(),
        outcome: if i == 0 {
            "placed".into()
        } else {
            "refused".into()
        },
    }
}

#[test]
fn every_row_type_round_trips() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = RecordDir::create(tmp.path()).unwrap();
    let a: Vec<_> = (0..3).map(affinity).collect();
    let (m, e) = basic_run();
    let g: Vec<_> = (0..2).map(gpu).collect();
    dir.append(AFFINITY_CSV, &a).unwrap();
    dir.append(METRICS_CSV, &m).unwrap();
    dir.append_rows(&g).unwrap();
    dir.append(EVENTS_CSV, &e).unwrap();
    assert_eq!(
        read_rows::<AffinityRow>(&tmp.path().join(AFFINITY_CSV)).unwrap(),
        a
    );
    assert_eq!(
        read_rows::<CpuMetricRow>(&tmp.path().join(METRICS_CSV)).unwrap(),
        m
    );
    assert_eq!(
        read_rows::<GpuScheduleRow>(&tmp.path().join(GPU_CSV)).unwrap(),
        g
    );
    assert_eq!(
        read_rows::<EventRow>(&tmp.path().join(EVENTS_CSV)).unwrap(),
        e
    );
    let r = results();
    let path = write_comparison(tmp.path(), &r).unwrap();
    assert_eq!(read_rows::<PolicyResult>(&path).unwrap(), r);
}

#[test]
fn an_empty_run_has_headers_and_create_is_idempotent() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("a/b/run");
    let dir = RecordDir::create(&root).unwrap();
    assert!(root.join(GRAPHS_DIR).is_dir());
    let text = std::fs::read_to_string(root.join(EVENTS_CSV)).unwrap();
    assert_eq!(text, "time_s,container,event,detail\n");
    dir.append(EVENTS_CSV, &[event(1.0, "x", "start", "")])
        .unwrap();
    RecordDir::create(&root).unwrap();
    assert_eq!(
        read_rows::<EventRow>(&root.join(EVENTS_CSV)).unwrap().len(),
        1
    );
    for file in RUN_FILES {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        assert!(text.starts_with("time_s,"), "{file}: {text:?}");
    }
    assert!(read_rows::<CpuMetricRow>(&root.join(METRICS_CSV))
        .unwrap()
        .is_empty());
    // No temp files are left behind.
    let names: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 5, "{names:?}");
}

/// The header serde would write must equal the kept column list.
fn assert_columns<R: Row + Serialize>(row: R) {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.serialize(row).unwrap();
    let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
    assert_eq!(
        text.lines().next().unwrap(),
        R::COLUMNS.join(","),
        "{}",
        R::FILE
    );
}

#[test]
fn column_lists_match_the_fields() {
    assert_columns(affinity(0));
    assert_columns(core(0.0, 0, 1.0));
    assert_columns(gpu(0));
    assert_columns(event(0.0, "x", "start", ""));
    assert_columns(results().remove(0));
}

#[test]
fn concurrent_appends_do_not_interleave() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = Arc::new(RecordDir::create(tmp.path()).unwrap());
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let dir = Arc::clone(&dir);
            std::thread::spawn(move || {
                for i in 0..200 {
                    let row = container(i as f64, &format!("t{t}-{i}"), 12.5, 1 << 30);
                    dir.append(METRICS_CSV, &[row]).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let rows: Vec<CpuMetricRow> = read_rows(&tmp.path().join(METRICS_CSV)).unwrap();
    assert_eq!(rows.len(), 1600);
    assert!(rows
        .iter()
        .all(|r| r.kind == "container" && r.memory_bytes == Some(1 << 30)));
    let mut ids: Vec<_> = rows.iter().map(|r| r.id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 1600);
}

#[test]
fn errors_name_the_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join(EVENTS_CSV);
    std::fs::write(
        &path,
        "time_s,container,event,detail\n1.0,a,start,x\nnot-a-number,b,exit,y\n",
    )
    .unwrap();
    let err = read_rows::<EventRow>(&path).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, RecordError::Csv { .. }));
    assert!(
        text.contains("events.csv") && text.contains("line: 3"),
        "{text}"
    );

    let missing = tmp.path().join("nope.csv");
    assert!(matches!(
        read_rows::<EventRow>(&missing),
        Err(RecordError::Missing { .. })
    ));
    assert!(read_rows_if_present::<EventRow>(&missing)
        .unwrap()
        .is_empty());
    assert!(matches!(
        RecordDir::open(&tmp.path().join("no-dir")),
        Err(RecordError::Missing { .. })
    ));
    let dir = RecordDir::open(tmp.path()).unwrap();
    assert_eq!(dir.path(), tmp.path());
    let err = dir.append(GPU_CSV, &[gpu(0)]).unwrap_err();
    assert!(err.to_string().contains("gpu_schedule.csv"), "{err}");
}
