//! Inventory: the built-in simulated machine, the YAML file format and
//! every way a file is refused.

use std::path::Path;

use super::GIB;
use crate::gpu::{format_bytes, GpuInventory, InventorySource};
use crate::SchedError;

fn parse(text: &str) -> Result<GpuInventory, SchedError> {
    GpuInventory::from_yaml(text, Path::new("inv.yaml"))
}

fn parse_err(text: &str) -> String {
    match parse(text) {
        Err(SchedError::Parse { path, message }) => {
            assert_eq!(path, Path::new("inv.yaml"));
            message
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn simulated_default_is_two_nvlink_pairs_on_two_nodes() {
    let inv = GpuInventory::simulated_default();
    assert_eq!(inv.gpus.len(), 4);
    assert!(inv.is_simulated());
    let peers: Vec<_> = inv.gpus.iter().map(|g| g.nvlink_peers.clone()).collect();
    assert_eq!(peers, vec![vec![1], vec![0], vec![3], vec![2]]);
    let numa: Vec<_> = inv.gpus.iter().map(|g| g.numa_node).collect();
    assert_eq!(numa, vec![Some(0), Some(0), Some(1), Some(1)]);
    assert_eq!(inv.gpus[2].uuid, "SIM-GPU-2");
    assert_eq!(inv.memory_by_index(), vec![40 * GIB; 4]);
    assert_eq!(inv.total_memory(), 160 * GIB);
    assert_eq!(
        inv.describe(),
        "simulated inventory (built-in): 4 GPUs, Simulated A100-SXM4-40GB 40 GiB each"
    );
}

#[test]
fn describe_nvml_and_mixed() {
    let mut inv = GpuInventory::simulated_default();
    inv.gpus.truncate(1);
    inv.gpus[0].model = "NVIDIA H200".into();
    inv.gpus[0].memory = 141 * GIB;
    inv.source = InventorySource::Nvml {
        driver: "550.54".into(),
    };
    assert!(!inv.is_simulated());
    assert_eq!(
        inv.describe(),
        "NVML (driver 550.54): 1 GPU: NVIDIA H200 141 GiB"
    );
    let mixed = parse(
        "gpus:\n- {model: A, memory: 80G}\n- {model: A, memory: 80G}\n- {model: T4, memory: 16G}\n",
    )
    .unwrap();
    assert_eq!(
        mixed.describe(),
        "simulated inventory (inv.yaml): 3 GPUs: 2 × A 80 GiB, 1 × T4 16 GiB"
    );
}

#[test]
fn a_good_file_parses_with_symmetric_nvlink() {
    let text = "gpus:\n  - id: 0\n    model: A100-80GB\n    memory: 80G\n    numa_node: 0\n    nvlink: [1, 2]\n  - model: A100-80GB\n    memory: 80GiB\n    numa_node: 0\n  - memory: 1073741824\n  - memory: 512M\n    nvlink: [2, 2]\n";
    let inv = parse(text).unwrap();
    assert_eq!(
        inv.source,
        InventorySource::SimulatedFile("inv.yaml".into())
    );
    assert!(inv.is_simulated());
    let g = &inv.gpus;
    assert_eq!(g.len(), 4);
    assert_eq!(g[0].memory, 80 * GIB);
    assert_eq!(g[1].memory, 80 * GIB);
    assert_eq!(g[2].memory, GIB);
    assert_eq!(g[3].memory, 512 << 20);
    assert_eq!(g[2].model, "Simulated GPU");
    assert_eq!(g[2].numa_node, None);
    assert_eq!(g[0].nvlink_peers, vec![1, 2]);
    assert_eq!(g[1].nvlink_peers, vec![0]);
    assert_eq!(g[2].nvlink_peers, vec![0, 3]);
    assert_eq!(g[3].nvlink_peers, vec![2]);
    assert_eq!(g[3].uuid, "SIM-GPU-3");
}

#[test]
fn sizes_take_binary_suffixes() {
    for (text, bytes) in [
        ("1K", 1u64 << 10),
        ("3m", 3 << 20),
        ("2T", 2 << 40),
        ("7", 7),
        ("5 GB", 5 << 30),
    ] {
        let inv = parse(&format!("gpus:\n- memory: {text}\n")).unwrap();
        assert_eq!(inv.gpus[0].memory, bytes, "{text}");
    }
    assert_eq!(format_bytes(40 * GIB), "40 GiB");
    assert_eq!(format_bytes(512 << 20), "512 MiB");
    assert_eq!(format_bytes(GIB + GIB / 2), "1.5 GiB");
    assert_eq!(format_bytes(10), "10 B");
}

#[test]
fn unknown_keys_are_refused_naming_the_gpu_and_line() {
    let m = parse_err("gpus:\n  - memory: 1G\n  - memory: 2G\n    colour: red\n");
    assert!(m.contains("unknown key `colour`"), "{m}");
    assert!(m.contains("GPU 1"), "{m}");
    assert!(m.contains("line 4"), "{m}");
    let m = parse_err("gpu:\n  - memory: 1G\n");
    assert!(m.contains("unknown key `gpu`"), "{m}");
}

#[test]
fn each_bad_value_is_refused() {
    let cases = [
        ("gpus: []\n", "empty"),
        (
            "gpus:\n- memory: 0\n",
            "GPU 0: `memory` must be more than 0",
        ),
        ("gpus:\n- memory: 0G\n", "must be more than 0"),
        (
            "gpus:\n- memory: 1G\n- memory: lots\n",
            "GPU 1: `memory` `lots` is not a size",
        ),
        ("gpus:\n- memory: 8Q\n", "unknown unit"),
        ("gpus:\n- memory: 99999999T\n", "too large"),
        (
            "gpus:\n- memory: 1G\n- id: 5\n  memory: 1G\n",
            "GPU 1: `id` is 5",
        ),
        (
            "gpus:\n- memory: 1G\n  nvlink: [0]\n",
            "peer 0 is the GPU itself",
        ),
        (
            "gpus:\n- memory: 1G\n  nvlink: [3]\n",
            "peer 3 does not exist",
        ),
        ("gpus:\n- model: A\n", "memory"),
    ];
    for (text, want) in cases {
        let m = parse_err(text);
        assert!(m.contains(want), "{text:?}: {m}");
    }
}

#[test]
fn yaml_type_errors_carry_line_and_column() {
    let m = parse_err("gpus:\n  - memory: 1G\n  - memory: 1G\n    numa_node: [1]\n");
    assert!(m.starts_with("line 4, column"), "{m}");
    assert!(m.contains("GPU 1"), "{m}");
    assert!(m.contains("numa_node"), "{m}");
}

#[test]
fn load_reads_the_file_or_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gpus.yaml");
    std::fs::write(&path, "gpus:\n- memory: 16G\n").unwrap();
    let inv = GpuInventory::load(&path).unwrap();
    assert_eq!(inv.source, InventorySource::SimulatedFile(path.clone()));
    let missing = dir.path().join("nope.yaml");
    match GpuInventory::load(&missing) {
        Err(SchedError::Read { path, .. }) => assert_eq!(path, missing),
        other => panic!("{other:?}"),
    }
}

#[test]
fn wrong_kinds_say_what_the_key_expects() {
    let cases = [
        (
            "gpus:\n- memory: 1G\n  numa_node: [1]\n",
            "GPU 0: `numa_node` expected a whole number, got `[1]`",
        ),
        ("gpus:\n- model: A\n", "GPU 0: missing key `memory`"),
        ("gpus:\n- memory: -5\n", "`memory` must not be negative"),
        ("gpus:\n- memory: 1.5G\n", "`1.5G` is not a whole number"),
        (
            "gpus:\n- memory: 1G\n  nvlink: [a]\n",
            "`nvlink` expected a list of GPU indices",
        ),
        (
            "gpus: 3\n",
            "line 1, column 7: `gpus` expected a list of GPUs, got `3`",
        ),
    ];
    for (text, want) in cases {
        let m = parse_err(text);
        assert!(m.contains(want), "{text:?}: {m}");
    }
}
