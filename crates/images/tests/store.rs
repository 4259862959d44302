//! Store behaviour: shared layers stored once, get/list/remove with layer
//! reference counting, replacing a name, name validation, progress.

mod common;
use common::*;
use images::{ImageError, Store};
use std::fs;

fn layer(tag: &str) -> Vec<u8> {
    T::new().file(&format!("{tag}.txt"), tag.as_bytes()).done()
}

fn layer_count(store: &Store) -> usize {
    fs::read_dir(store.root().join("layers/sha256"))
        .unwrap()
        .count()
}

#[test]
fn shared_layers_stored_once_and_freed_when_unused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store")).unwrap();
    let base = layer("base");
    let a = write(
        dir.path(),
        "a.tar",
        &docker_archive(&[base.clone(), layer("a")], &[], &["app/a:1"]),
    );
    let b = write(
        dir.path(),
        "b.tar",
        &docker_archive(&[base.clone(), layer("b")], &[0], &["app/b:1"]),
    );
    store.import(&a, None, &mut no_progress()).unwrap();
    store.import(&b, None, &mut no_progress()).unwrap();
    assert_eq!(layer_count(&store), 3);
    let names: Vec<_> = store.list().unwrap().into_iter().map(|i| i.name).collect();
    assert_eq!(names, vec!["app/a:1", "app/b:1"]);
    assert!(store.root().join("images/app+a@1.json").is_file());
    assert_eq!(store.remove("app/a:1").unwrap(), 1);
    assert_eq!(layer_count(&store), 2);
    assert!(store.lower_dirs(&store.get("app/b:1").unwrap())[1]
        .join("base.txt")
        .is_file());
    assert_eq!(store.remove("app/b:1").unwrap(), 2);
    assert_clean(&store);
}

#[test]
fn get_falls_back_to_latest_and_lists_names() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store")).unwrap();
    let src = write(dir.path(), "x.tar", &layer("x"));
    store
        .import(&src, Some("web:latest"), &mut no_progress())
        .unwrap();
    store
        .import(&src, Some("web:2"), &mut no_progress())
        .unwrap();
    assert_eq!(store.get("web").unwrap().name, "web:latest");
    assert_eq!(store.get("web:2").unwrap().name, "web:2");
    match store.get("db") {
        Err(e @ ImageError::NotFound { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("web:2") && msg.contains("web:latest") && msg.contains("db"),
                "{msg}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        store.remove("db"),
        Err(ImageError::NotFound { .. })
    ));
    assert_eq!(store.remove("web").unwrap(), 0);
    assert_eq!(store.list().unwrap().len(), 1);
}

#[test]
fn reimport_replaces_record_and_frees_old_layers() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store")).unwrap();
    let one = write(dir.path(), "1.tar", &layer("one"));
    let two = write(dir.path(), "2.tar", &layer("two"));
    store.import(&one, Some("app"), &mut no_progress()).unwrap();
    let img = store.import(&two, Some("app"), &mut no_progress()).unwrap();
    assert_eq!(store.list().unwrap(), vec![img.clone()]);
    assert_eq!(layer_count(&store), 1);
    assert!(store.lower_dirs(&img)[0].join("two.txt").is_file());
}

#[test]
fn bad_names_are_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store")).unwrap();
    let src = write(dir.path(), "x.tar", &layer("x"));
    for bad in ["UPPER", "a/../b:x:y", "../evil", "x:", &"a".repeat(129)] {
        let err = store
            .import(&src, Some(bad), &mut no_progress())
            .unwrap_err();
        assert!(
            matches!(err, ImageError::InvalidName { .. }),
            "{bad}: {err}"
        );
    }
    assert_clean(&store);
}

#[test]
fn progress_reports_layers_and_totals() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store")).unwrap();
    let src = write(
        dir.path(),
        "s.tar",
        &docker_archive(&[layer("a"), layer("b")], &[], &["p:1"]),
    );
    let mut seen = vec![];
    store
        .import(&src, None, &mut |p| seen.push(p.to_string()))
        .unwrap();
    assert!(seen.iter().any(|s| s.starts_with("reading")), "{seen:?}");
    assert!(
        seen.iter().any(|s| s.starts_with("unpacking layer 2/2")),
        "{seen:?}"
    );
}

#[test]
fn stale_tmp_entries_are_cleaned_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    Store::open(&root).unwrap();
    fs::create_dir_all(root.join("tmp/999999999-0-0/layer-0")).unwrap();
    let store = Store::open(&root).unwrap();
    assert_clean(&store);
}
