//! The ledger's own checks: ids, exclusive cores, pin counting by time,
//! GPU sharing and memory, release and repair, and its JSON form.

use super::{ledger_of, pinned, placement};
use crate::ledger::{CpuGrant, GpuGrant, Ledger, LoadSnapshot};
use crate::SchedError;

#[test]
fn a_reused_id_is_refused() {
    let mut ledger = ledger_of(&[("web", &[0], false)]);
    let err = ledger
        .insert(placement("web", pinned(&[1], false), 0), &[])
        .unwrap_err();
    assert!(matches!(err, SchedError::Conflict(_)), "{err}");
}

#[test]
fn exclusive_cores_are_never_shared() {
    let mut ledger = ledger_of(&[("web", &[0, 1], true), ("api", &[2], false)]);
    let err = ledger
        .insert(placement("a", pinned(&[1, 2], false), 0), &[])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "ledger conflict: cores 1 of a are also held by web, and one of them is exclusive"
    );
    assert!(ledger
        .insert(placement("b", pinned(&[2], true), 0), &[])
        .is_err());
    assert!(ledger
        .insert(placement("c", pinned(&[2, 3], false), 0), &[])
        .is_ok());
    let pool = CpuGrant {
        cpus: vec![2, 3],
        pinned: false,
        exclusive: false,
        millis: None,
    };
    assert!(ledger.insert(placement("d", pool, 0), &[]).is_ok());
    assert_eq!(
        ledger.exclusive_cpus().into_iter().collect::<Vec<_>>(),
        vec![0, 1]
    );
}

#[test]
fn pins_are_counted_since_a_time() {
    let mut ledger = Ledger::default();
    ledger
        .insert(placement("old", pinned(&[0, 1], false), 100), &[])
        .unwrap();
    ledger
        .insert(placement("new", pinned(&[1], false), 200), &[])
        .unwrap();
    ledger
        .insert(placement("excl", pinned(&[2], true), 300), &[])
        .unwrap();
    let pool = CpuGrant {
        cpus: vec![0, 1, 3],
        pinned: false,
        exclusive: false,
        millis: Some(500),
    };
    ledger.insert(placement("pool", pool, 300), &[]).unwrap();
    let all: Vec<_> = ledger.pins_per_cpu(None).into_iter().collect();
    assert_eq!(all, vec![(0, 1), (1, 2)]);
    let recent: Vec<_> = ledger.pins_per_cpu(Some(200)).into_iter().collect();
    assert_eq!(recent, vec![(1, 1)]);
}

#[test]
fn gpus_are_not_overcommitted() {
    let gib = 1 << 30;
    let gpu = |gpu, memory, whole| GpuGrant { gpu, memory, whole };
    let mut ledger = Ledger::default();
    let mut p = placement("a", pinned(&[0], false), 0);
    p.gpus = vec![gpu(0, 10 * gib, false)];
    ledger.insert(p, &[16 * gib, 16 * gib]).unwrap();
    let mut p = placement("b", pinned(&[0], false), 0);
    p.gpus = vec![gpu(0, 8 * gib, false)];
    assert!(
        ledger.insert(p.clone(), &[16 * gib, 16 * gib]).is_err(),
        "overcommit"
    );
    p.gpus = vec![gpu(0, 16 * gib, true)];
    assert!(
        ledger.insert(p.clone(), &[16 * gib, 16 * gib]).is_err(),
        "whole GPU in use"
    );
    p.gpus = vec![gpu(2, gib, false)];
    assert!(
        ledger.insert(p.clone(), &[16 * gib, 16 * gib]).is_err(),
        "not in inventory"
    );
    p.gpus = vec![gpu(1, gib, false), gpu(1, gib, false)];
    assert!(
        ledger.insert(p.clone(), &[16 * gib, 16 * gib]).is_err(),
        "granted twice"
    );
    p.gpus = vec![gpu(1, 16 * gib, true)];
    ledger.insert(p, &[16 * gib, 16 * gib]).unwrap();
    let uses = ledger.gpu_use();
    assert_eq!(uses[&0].memory, 10 * gib);
    assert!(uses[&1].whole && uses[&1].holders == 1);
}

#[test]
fn release_and_repair() {
    let mut ledger = ledger_of(&[("a", &[0], false), ("b", &[1], true), ("c", &[2], false)]);
    assert_eq!(ledger.release("a").map(|p| p.name), Some("a".to_string()));
    assert_eq!(ledger.release("a"), None);
    let dead = ledger.retain_live(|p| p.name != "b");
    assert_eq!(
        dead.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        vec!["b"]
    );
    assert_eq!(ledger.placements.keys().collect::<Vec<_>>(), vec!["c"]);
    ledger.release("c");
    assert_eq!(ledger, Ledger::default());
}

#[test]
fn json_round_trip_and_old_files_without_load() {
    let mut ledger = ledger_of(&[("a", &[0, 1], true)]);
    ledger.load = Some(LoadSnapshot {
        at_ms: 5,
        raw: [(0, (10, 20))].into_iter().collect(),
        util: [(0, 50.0)].into_iter().collect(),
    });
    let text = serde_json::to_string(&ledger).unwrap();
    assert_eq!(serde_json::from_str::<Ledger>(&text).unwrap(), ledger);
    let old: Ledger = serde_json::from_str(r#"{"placements":{}}"#).unwrap();
    assert_eq!(old, Ledger::default());
}
