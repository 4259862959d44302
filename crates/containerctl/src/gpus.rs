//! Which GPU inventory a run uses: a `--gpus FILE` (simulated, as listed),
//! else the real GPUs NVML reports when an NVIDIA driver is loaded
//! (nvml-wrapper loads libnvidia-ml at run time), else the built-in
//! simulated inventory. Also finds the device nodes of real GPUs.

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use anyhow::Context;
use sched::gpu::{Gpu, GpuInventory, InventorySource};

/// The inventory to allocate from, and a log line saying which it is.
pub fn inventory(file: Option<&Path>) -> anyhow::Result<GpuInventory> {
    let inventory = match file {
        Some(path) => GpuInventory::load(path)?,
        None => match nvml_inventory() {
            Ok(Some(real)) => real,
            Ok(None) => GpuInventory::simulated_default(),
            Err(reason) => {
                tracing::info!(
                    step = "gpu",
                    "no NVIDIA GPU through NVML ({reason:#}): using the simulated inventory"
                );
                GpuInventory::simulated_default()
            }
        },
    };
    Ok(inventory)
}

/// The GPUs NVML sees; `Ok(None)` when the driver reports none.
fn nvml_inventory() -> anyhow::Result<Option<GpuInventory>> {
    // Its error already says why (the library's own message included).
    let nvml = nvml_wrapper::Nvml::init().map_err(|e| anyhow::anyhow!("{e}"))?;
    let driver = nvml
        .sys_driver_version()
        .unwrap_or_else(|_| "unknown".into());
    let count = nvml.device_count().context("NVML device count")?;
    let mut gpus = Vec::new();
    for index in 0..count {
        let device = nvml
            .device_by_index(index)
            .with_context(|| format!("NVML device {index}"))?;
        let memory = device
            .memory_info()
            .with_context(|| format!("NVML memory of GPU {index}"))?
            .total;
        gpus.push(Gpu {
            index,
            uuid: device.uuid().unwrap_or_else(|_| format!("GPU-{index}")),
            model: device.name().unwrap_or_else(|_| "NVIDIA GPU".into()),
            memory,
            numa_node: None,
            nvlink_peers: Vec::new(),
        });
    }
    Ok((!gpus.is_empty()).then_some(GpuInventory {
        source: InventorySource::Nvml { driver },
        gpus,
    }))
}

/// Device nodes a container needs for real GPUs `indices`: /dev/nvidiaN of
/// each (N = the device's minor number, which NVML gives; NVML's index is
/// PCI order and need not match) and the driver's shared control nodes.
/// Missing nodes are skipped.
pub fn device_nodes(inventory: &GpuInventory, indices: &[u32]) -> Vec<spec::DeviceNode> {
    if inventory.is_simulated() {
        return Vec::new();
    }
    let minors: Vec<u32> = match nvml_wrapper::Nvml::init() {
        Ok(nvml) => indices
            .iter()
            .filter_map(|&i| nvml.device_by_index(i).and_then(|d| d.minor_number()).ok())
            .collect(),
        Err(e) => {
            tracing::warn!(step = "gpu", "NVML went away: no GPU device nodes ({e})");
            Vec::new()
        }
    };
    let mut paths: Vec<String> = minors.iter().map(|m| format!("/dev/nvidia{m}")).collect();
    paths.extend(["/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools"].map(String::from));
    paths
        .into_iter()
        .filter_map(|path| {
            let meta = std::fs::metadata(&path).ok()?;
            if !meta.file_type().is_char_device() {
                return None;
            }
            let rdev = meta.rdev();
            Some(spec::DeviceNode {
                path,
                major: libc::major(rdev) as i64,
                minor: libc::minor(rdev) as i64,
            })
        })
        .collect()
}
