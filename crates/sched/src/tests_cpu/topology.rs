//! Reading topologies from sysfs trees (the checked-in 2-CPU fixture, the
//! real /sys, generated 16-, 64- and 256-CPU machines, offline holes,
//! `allowed` masks, malformed files) and the CPU list parser.

use std::path::Path;

use super::fixtures::{tree, write};
use crate::topology::{Cpu, Topology};
use crate::SchedError;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn two_cpu_fixture_reads_like_this_machine() {
    let topo = Topology::from_sysfs(&fixture("sys-2cpu"), None).unwrap();
    assert_eq!(topo.ids(), vec![0, 1]);
    assert_eq!(
        topo.describe(),
        "2 CPUs: 1 package, 2 cores, 1 thread per core, 1 NUMA node"
    );
    assert_eq!(topo.siblings(1), vec![1]);
    assert_eq!(topo.nodes(), vec![0]);
}

#[test]
fn real_sys_is_consistent() {
    let topo = Topology::from_sysfs(Path::new("/sys"), None).unwrap();
    assert!(!topo.is_empty());
    for id in topo.ids() {
        assert!(topo.siblings(id).contains(&id), "cpu {id}");
        assert_eq!(topo.get(id).map(|c| c.id), Some(id));
    }
    assert!(topo.describe().starts_with(&format!("{} CPU", topo.len())));
}

#[test]
fn sixteen_cpus_with_smt() {
    let want = Topology::synthetic(1, 8, 2);
    let dir = tree(&want, "0-15", false);
    let topo = Topology::from_sysfs(dir.path(), None).unwrap();
    assert_eq!(topo, want);
    assert_eq!(
        topo.describe(),
        "16 CPUs: 1 package, 8 cores, 2 threads per core, 1 NUMA node"
    );
    assert_eq!(topo.siblings(3), vec![3, 11]);
    assert_eq!(topo.siblings(11), vec![3, 11]);
}

#[test]
fn sixty_four_cpus_on_two_nodes() {
    let want = Topology::synthetic(2, 32, 1);
    let dir = tree(&want, "0-63", true);
    let topo = Topology::from_sysfs(dir.path(), None).unwrap();
    assert_eq!(topo, want);
    assert_eq!(topo.nodes(), vec![0, 1]);
    assert_eq!(topo.get(40).unwrap().node, 1);
    assert_eq!(
        topo.describe(),
        "64 CPUs: 2 packages, 64 cores, 1 thread per core, 2 NUMA nodes"
    );
}

#[test]
fn two_hundred_fifty_six_cpus_on_four_nodes_with_smt() {
    let want = Topology::synthetic(4, 32, 2);
    let dir = tree(&want, "0-255", true);
    let topo = Topology::from_sysfs(dir.path(), None).unwrap();
    assert_eq!(topo, want);
    assert_eq!(topo.siblings(5), vec![5, 133]);
    assert_eq!(
        topo.get(200),
        Some(&Cpu {
            id: 200,
            core_id: 8,
            package: 2,
            node: 2
        })
    );
    assert_eq!(
        topo.describe(),
        "256 CPUs: 4 packages, 128 cores, 2 threads per core, 4 NUMA nodes"
    );
}

#[test]
fn offline_cpus_are_left_out() {
    let dir = tree(&Topology::synthetic(1, 8, 1), "0-3,6-7", true);
    let topo = Topology::from_sysfs(dir.path(), None).unwrap();
    assert_eq!(topo.ids(), vec![0, 1, 2, 3, 6, 7]);
    assert_eq!(topo.get(4), None);
    assert_eq!(topo.siblings(4), Vec::<u32>::new());
}

#[test]
fn allowed_filters_online_cpus() {
    let dir = tree(&Topology::synthetic(1, 4, 2), "0-7", false);
    let topo = Topology::from_sysfs(dir.path(), Some(&[1, 5, 6, 42])).unwrap();
    assert_eq!(topo.ids(), vec![1, 5, 6]);
    assert_eq!(
        topo.siblings(1),
        vec![1, 5],
        "siblings only among known CPUs"
    );
    let none = Topology::from_sysfs(dir.path(), Some(&[])).unwrap();
    assert!(none.is_empty());
    assert_eq!(
        none.describe(),
        "0 CPUs: 0 packages, 0 cores, 0 threads per core, 0 NUMA nodes"
    );
}

#[test]
fn missing_topology_files_and_unknown_package_fall_back() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "devices/system/cpu/online", "0-2\n");
    write(
        dir.path(),
        "devices/system/cpu/cpu1/topology/physical_package_id",
        "-1\n",
    );
    write(
        dir.path(),
        "devices/system/cpu/cpu2/topology/core_id",
        "0\n",
    );
    let topo = Topology::from_sysfs(dir.path(), None).unwrap();
    let cpu = |id, core_id| Cpu {
        id,
        core_id,
        package: 0,
        node: 0,
    };
    assert_eq!(topo.cpus(), &[cpu(0, 0), cpu(1, 1), cpu(2, 0)]);
    assert_eq!(topo.siblings(0), vec![0, 2]);
    assert_eq!(
        topo.describe(),
        "3 CPUs: 1 package, 2 cores, 1-2 threads per core, 1 NUMA node"
    );
}

fn parse_error(rel: &str, text: &str) -> (String, String) {
    let dir = tree(&Topology::synthetic(2, 2, 1), "0-3", true);
    write(dir.path(), rel, text);
    let err = Topology::from_sysfs(dir.path(), None).unwrap_err();
    let SchedError::Parse { path, .. } = &err else {
        panic!("expected a parse error, got {err:?}")
    };
    let rel = path.strip_prefix(dir.path()).unwrap().display().to_string();
    (rel, err.to_string())
}

#[test]
fn malformed_files_name_the_file() {
    let (path, text) = parse_error("devices/system/cpu/online", "0-x\n");
    assert_eq!(path, "devices/system/cpu/online");
    assert!(text.contains("`x` in CPU list"), "{text}");
    let (path, _) = parse_error("devices/system/cpu/online", "\n");
    assert_eq!(path, "devices/system/cpu/online");
    let (path, text) = parse_error("devices/system/cpu/cpu2/topology/core_id", "two\n");
    assert_eq!(path, "devices/system/cpu/cpu2/topology/core_id");
    assert!(text.ends_with("expected a number, found \"two\""), "{text}");
    let (path, text) = parse_error("devices/system/node/node1/cpulist", "3-2\n");
    assert_eq!(path, "devices/system/node/node1/cpulist");
    assert!(text.contains("runs backwards"), "{text}");
    let (_, text) = parse_error("devices/system/cpu/online", "0-4000000000\n");
    assert!(text.contains("maximum 65535"), "{text}");
}

#[test]
fn missing_online_file_is_a_read_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = Topology::from_sysfs(dir.path(), None).unwrap_err();
    let SchedError::Read { path, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(path.ends_with("devices/system/cpu/online"));
    assert!(err.to_string().contains("devices/system/cpu/online"));
}

#[test]
fn synthetic_numbering_is_linux_like() {
    let topo = Topology::synthetic(2, 2, 2);
    assert_eq!(topo.ids(), (0..8).collect::<Vec<_>>());
    assert_eq!(
        topo.get(5),
        Some(&Cpu {
            id: 5,
            core_id: 1,
            package: 0,
            node: 0
        })
    );
    assert_eq!(
        topo.get(2),
        Some(&Cpu {
            id: 2,
            core_id: 0,
            package: 1,
            node: 1
        })
    );
    assert_eq!(topo.siblings(2), vec![2, 6]);
    assert!(Topology::synthetic(0, 4, 2).is_empty());
    assert!(Topology::synthetic(2, 0, 2).is_empty());
}

#[test]
fn from_cpus_sorts_and_drops_repeats() {
    let cpu = |id| Cpu {
        id,
        core_id: id,
        package: 0,
        node: 0,
    };
    let topo = Topology::from_cpus(vec![cpu(3), cpu(1), cpu(3)]);
    assert_eq!(topo.ids(), vec![1, 3]);
    assert_eq!(topo.len(), 2);
}
