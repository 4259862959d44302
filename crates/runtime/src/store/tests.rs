use super::*;
use sched::Owner;

fn owner() -> Owner {
    Owner {
        pid: 1,
        start_ticks: 1,
    }
}

#[test]
fn create_update_list_resolve_remove() {
    let root = tempfile::tempdir().unwrap();
    let store = Store::new(root.path());
    let a = ContainerState::created("aaa111", "web", owner());
    let b = ContainerState::created("aab222", "batch", owner());
    store.create(&a).unwrap();
    store.create(&b).unwrap();
    let clash = ContainerState::created("ccc333", "web", owner());
    assert!(matches!(
        store.create(&clash),
        Err(RuntimeError::NameInUse { .. })
    ));
    assert!(
        !store.dir("ccc333").exists(),
        "a refused create leaves no dir"
    );

    let updated = store
        .update("aaa111", |s| s.phase = Phase::Running)
        .unwrap();
    assert_eq!(updated.phase, Phase::Running);
    assert_eq!(store.load("aaa111").unwrap().phase, Phase::Running);

    assert_eq!(store.resolve("web").unwrap(), "aaa111");
    assert_eq!(store.resolve("aab").unwrap(), "aab222");
    assert!(matches!(
        store.resolve("aa"),
        Err(RuntimeError::AmbiguousId { .. })
    ));
    let (states, broken) = store.list().unwrap();
    assert_eq!(states.len(), 2);
    assert!(broken.is_empty());

    store.remove("aaa111", "web").unwrap();
    assert!(matches!(
        store.load("aaa111"),
        Err(RuntimeError::NoSuchContainer(_))
    ));
    assert!(matches!(
        store.lock("aaa111"),
        Err(RuntimeError::NoSuchContainer(_))
    ));
    assert!(matches!(
        store.resolve("web"),
        Err(RuntimeError::NoSuchContainer(_))
    ));
    store.create(&clash).unwrap();
}

#[test]
fn a_broken_state_file_is_reported_with_its_path() {
    let root = tempfile::tempdir().unwrap();
    let store = Store::new(root.path());
    store
        .create(&ContainerState::created("abc", "x", owner()))
        .unwrap();
    std::fs::write(store.dir("abc").join(STATE_FILE), "{").unwrap();
    let (states, broken) = store.list().unwrap();
    assert!(states.is_empty());
    assert!(broken[0].to_string().contains("state.json"));
}
