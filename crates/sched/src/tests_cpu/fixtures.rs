//! Builds sysfs-shaped text trees in temporary directories: the files
//! `Topology::from_sysfs` reads, written from a [`Topology`] (or by hand
//! for malformed cases), plus distractor files the reader must skip.

use std::fs;
use std::path::Path;

use tempfile::TempDir;

use crate::topology::{format_cpulist, Topology};

/// Writes `text` to `root/rel`, creating parent directories.
pub(super) fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// A tree describing `topo`, with `online` as the online list (every CPU of
/// `topo` gets its topology files, online or not) and node directories
/// when `numa` is set.
pub(super) fn tree(topo: &Topology, online: &str, numa: bool) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "devices/system/cpu/online", &format!("{online}\n"));
    write(
        root,
        "devices/system/cpu/possible",
        &format!("{}\n", format_cpulist(&topo.ids())),
    );
    write(root, "devices/system/cpu/kernel_max", "8191\n");
    for cpu in topo.cpus() {
        let t = format!("devices/system/cpu/cpu{}/topology", cpu.id);
        write(root, &format!("{t}/core_id"), &format!("{}\n", cpu.core_id));
        write(
            root,
            &format!("{t}/physical_package_id"),
            &format!("{}\n", cpu.package),
        );
        write(root, &format!("{t}/die_id"), "0\n");
    }
    if numa {
        for node in topo.nodes() {
            let ids: Vec<u32> = topo
                .cpus()
                .iter()
                .filter(|c| c.node == node)
                .map(|c| c.id)
                .collect();
            write(
                root,
                &format!("devices/system/node/node{node}/cpulist"),
                &format!("{}\n", format_cpulist(&ids)),
            );
            write(
                root,
                &format!("devices/system/node/node{node}/distance"),
                "10\n",
            );
        }
        write(root, "devices/system/node/has_cpu", "0\n");
        write(root, "devices/system/node/online", "0\n");
    }
    dir
}
