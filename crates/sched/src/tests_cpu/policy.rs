//! The CPU policies on synthetic machines: the shared pool for fractional
//! requests, least-loaded with stale samples, pack, spread, exclusive
//! requests, user-fixed pins, and the wording of refusals.

use super::{ledger_of, load, pick, pinned, placement, req};
use crate::cpu_policy::{place_cpus, place_fixed, shared_pool, CpuLoad, CpuPolicy};
use crate::topology::{Cpu, Topology};
use crate::{Ledger, SchedError};

#[test]
fn policy_names_round_trip() {
    for policy in CpuPolicy::ALL {
        assert_eq!(policy.name().parse::<CpuPolicy>().unwrap(), policy);
        assert_eq!(policy.to_string(), policy.name());
    }
    assert_eq!(CpuPolicy::default(), CpuPolicy::LeastLoaded);
    let err = "fastest".parse::<CpuPolicy>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown cpu policy \"fastest\": expected one of least-loaded, pack, spread, topology"
    );
}

#[test]
fn fractional_requests_share_the_pool() {
    let topo = Topology::synthetic(1, 4, 1);
    let ledger = ledger_of(&[("web", &[1], true), ("api", &[2], false)]);
    for policy in CpuPolicy::ALL {
        let choice = place_cpus(
            &topo,
            &load(&[(0, 30.0)], None),
            &ledger,
            &req(500, false),
            policy,
        )
        .unwrap();
        assert_eq!(choice.grant.cpus, vec![0, 2, 3]);
        assert!(!choice.grant.pinned && !choice.grant.exclusive);
        assert_eq!(choice.grant.millis, Some(500));
        assert_eq!(choice.seen, vec![(0, 30.0), (2, 100.0), (3, 0.0)]);
    }
    let none = place_cpus(
        &topo,
        &CpuLoad::default(),
        &ledger,
        &req(0, false),
        CpuPolicy::Pack,
    )
    .unwrap();
    assert_eq!(none.grant.millis, None);
    assert_eq!(none.grant.cpus, vec![0, 2, 3]);
    let err = place_cpus(
        &topo,
        &CpuLoad::default(),
        &ledger,
        &req(1500, true),
        CpuPolicy::Pack,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot place cpu 1.5 exclusively: exclusive needs a whole number of cores"
    );
}

#[test]
fn least_loaded_takes_the_idlest_and_breaks_ties_by_id() {
    let topo = Topology::synthetic(1, 6, 1);
    let l = load(
        &[(0, 90.0), (1, 10.0), (2, 50.0), (4, 10.0), (5, 80.0)],
        None,
    );
    // 3 is absent (0 %); 1 and 4 tie at 10 %.
    assert_eq!(
        pick(&topo, &Ledger::default(), &l, 1, CpuPolicy::LeastLoaded),
        vec![3]
    );
    assert_eq!(
        pick(&topo, &Ledger::default(), &l, 3, CpuPolicy::LeastLoaded),
        vec![1, 3, 4]
    );
    let l = load(&[(0, f64::NAN), (1, 10.0)], None);
    assert_eq!(
        pick(&topo, &Ledger::default(), &l, 2, CpuPolicy::LeastLoaded),
        vec![0, 2]
    );
}

#[test]
fn a_burst_does_not_pile_onto_one_stale_idle_core() {
    let topo = Topology::synthetic(1, 4, 1);
    let sample = load(&[(0, 80.0), (1, 70.0), (2, 5.0), (3, 60.0)], Some(1_000));
    let mut ledger = Ledger::default();
    // An old pin on 3, made before the sample: already in the measured load.
    ledger
        .insert(placement("old", pinned(&[3], false), 500), &[])
        .unwrap();
    let mut got = Vec::new();
    for k in 0..4 {
        let choice = place_cpus(
            &topo,
            &sample,
            &ledger,
            &req(1000, false),
            CpuPolicy::LeastLoaded,
        )
        .unwrap();
        got.push(choice.grant.cpus[0]);
        ledger
            .insert(placement(&format!("run{k}"), choice.grant, 1_000 + k), &[])
            .unwrap();
    }
    assert_eq!(got, vec![2, 3, 1, 0]);
}

#[test]
fn pack_fills_the_busiest_lowest_cores() {
    let topo = Topology::synthetic(1, 6, 1);
    let ledger = ledger_of(&[("a", &[4], false), ("b", &[4, 2], false), ("c", &[0], true)]);
    let l = load(&[(1, 99.0)], None);
    assert_eq!(pick(&topo, &ledger, &l, 1, CpuPolicy::Pack), vec![4]);
    assert_eq!(pick(&topo, &ledger, &l, 3, CpuPolicy::Pack), vec![1, 2, 4]);
}

#[test]
fn spread_prefers_unpinned_then_idle_cores() {
    let topo = Topology::synthetic(1, 4, 1);
    let ledger = ledger_of(&[("a", &[0], false), ("b", &[1], false), ("c", &[1], false)]);
    let l = load(&[(2, 70.0), (3, 20.0)], Some(10));
    assert_eq!(pick(&topo, &ledger, &l, 1, CpuPolicy::Spread), vec![3]);
    assert_eq!(
        pick(&topo, &ledger, &l, 3, CpuPolicy::Spread),
        vec![0, 2, 3]
    );
}

#[test]
fn exclusive_requests_avoid_every_used_core() {
    let topo = Topology::synthetic(1, 4, 1);
    let ledger = ledger_of(&[("a", &[0], false), ("b", &[3], true)]);
    for policy in CpuPolicy::ALL {
        let choice = place_cpus(
            &topo,
            &CpuLoad::default(),
            &ledger,
            &req(2000, true),
            policy,
        )
        .unwrap();
        assert_eq!(choice.grant.cpus, vec![1, 2], "{policy}");
        assert!(choice.grant.exclusive && choice.grant.pinned);
        assert_eq!(choice.grant.millis, Some(2000));
        assert_eq!(choice.seen, vec![(1, 0.0), (2, 0.0)]);
    }
}

#[test]
fn the_shared_pool_gives_way_to_exclusive_cores_but_keeps_one() {
    let topo = Topology::synthetic(1, 2, 1);
    let mut ledger = Ledger::default();
    let pool = place_cpus(
        &topo,
        &CpuLoad::default(),
        &ledger,
        &req(500, false),
        CpuPolicy::LeastLoaded,
    )
    .unwrap();
    assert_eq!(pool.grant.cpus, vec![0, 1]);
    ledger
        .insert(placement("light", pool.grant, 0), &[])
        .unwrap();

    let both = place_cpus(
        &topo,
        &CpuLoad::default(),
        &ledger,
        &req(2000, true),
        CpuPolicy::LeastLoaded,
    );
    let err = both.unwrap_err().to_string();
    assert!(
        err.contains("no core for the containers on the shared pool (light)"),
        "{err}"
    );

    let one = place_cpus(
        &topo,
        &CpuLoad::default(),
        &ledger,
        &req(1000, true),
        CpuPolicy::LeastLoaded,
    )
    .unwrap();
    assert_eq!(one.grant.cpus, vec![0]);
    ledger.insert(placement("excl", one.grant, 1), &[]).unwrap();
    assert_eq!(
        ledger.resize_pool(&shared_pool(&topo, &ledger)),
        vec!["light".to_string()]
    );
    assert_eq!(ledger.placements["light"].cpu.cpus, vec![1]);

    ledger.release("excl");
    assert_eq!(
        ledger.resize_pool(&shared_pool(&topo, &ledger)),
        vec!["light".to_string()]
    );
    assert_eq!(ledger.placements["light"].cpu.cpus, vec![0, 1]);
}

#[test]
fn refusals_name_the_free_cores_and_the_holders() {
    let topo = Topology::synthetic(1, 2, 1);
    let ledger = ledger_of(&[("web", &[0], true)]);
    let err = place_cpus(
        &topo,
        &CpuLoad::default(),
        &ledger,
        &req(2000, true),
        CpuPolicy::LeastLoaded,
    )
    .unwrap_err();
    assert!(matches!(err, SchedError::CpusUnavailable { .. }));
    assert_eq!(
        err.to_string(),
        "cannot place 2 exclusive cores: only 1 core is free: 1 (0 held exclusively by web)"
    );
    let ledger = ledger_of(&[("web", &[0], true), ("api", &[1], false)]);
    let err = place_cpus(
        &topo,
        &CpuLoad::default(),
        &ledger,
        &req(1000, true),
        CpuPolicy::Pack,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot place 1 exclusive core: no core is free (1 used by api; 0 held exclusively by web)"
    );
    let err = place_cpus(
        &topo,
        &CpuLoad::default(),
        &Ledger::default(),
        &req(3000, false),
        CpuPolicy::Spread,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot place 3 cores: only 2 cores are free: 0-1"
    );
    let all = ledger_of(&[("web", &[0, 1], true)]);
    let err = place_cpus(
        &topo,
        &CpuLoad::default(),
        &all,
        &req(100, false),
        CpuPolicy::Spread,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot place a share of the pool: no core is free (0-1 held exclusively by web)"
    );
}

#[test]
fn fixed_pins_are_checked_against_the_ledger() {
    let topo = Topology::synthetic(1, 4, 1);
    let ledger = ledger_of(&[("web", &[0], true), ("api", &[1], false)]);
    let ok = place_fixed(&topo, &ledger, &[2, 1, 2], &req(0, false)).unwrap();
    assert_eq!(ok.grant.cpus, vec![1, 2]);
    assert!(ok.grant.pinned && !ok.grant.exclusive);
    assert_eq!(ok.grant.millis, None);
    assert_eq!(ok.seen, vec![(1, 100.0), (2, 0.0)]);
    let err = place_fixed(&topo, &ledger, &[0, 2], &req(2000, false)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot place cores 0,2: 0 held exclusively by web; free cores: 1-3"
    );
    let err = place_fixed(&topo, &ledger, &[1, 2], &req(2000, true)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot place exclusive cores 1-2: 1 used by api; free cores: 2-3"
    );
    let err = place_fixed(&topo, &ledger, &[3, 9], &req(0, false)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot place cores 3,9: 9 not online or not allowed here (available: 0-3)"
    );
    let excl = place_fixed(&topo, &ledger, &[3], &req(1000, true)).unwrap();
    assert!(excl.grant.exclusive);
    assert_eq!(excl.grant.millis, Some(1000));
    assert!(place_fixed(&topo, &ledger, &[], &req(0, false)).is_err());
}

#[test]
fn holes_sparse_ids_and_unknown_ledger_cpus() {
    let cpu = |id| Cpu {
        id,
        core_id: id,
        package: 0,
        node: 0,
    };
    // CPU 1 is offline (an id table); 100000 makes the ids sparse (search).
    let ledger = ledger_of(&[("a", &[0, 1], false), ("b", &[3, 7], false)]);
    let l = load(&[(1, 99.0), (2, 10.0), (7, 50.0)], None);
    let holes = Topology::from_cpus([0, 2, 3].map(cpu).to_vec());
    let choice = place_cpus(
        &holes,
        &l,
        &ledger,
        &req(1000, false),
        CpuPolicy::LeastLoaded,
    )
    .unwrap();
    assert_eq!(choice.grant.cpus, vec![2]);
    assert_eq!(choice.seen, vec![(0, 100.0), (2, 10.0), (3, 100.0)]);
    let sparse = Topology::from_cpus([0, 2, 3, 100_000].map(cpu).to_vec());
    let choice = place_cpus(
        &sparse,
        &l,
        &ledger,
        &req(2000, false),
        CpuPolicy::LeastLoaded,
    )
    .unwrap();
    assert_eq!(choice.grant.cpus, vec![2, 100_000]);
    assert_eq!(choice.seen.len(), 4);
}
