//! The GPU inventory: which GPUs there are, how much memory each has, which
//! NUMA node it hangs off and which GPUs it reaches over NVLink. It comes
//! from NVML on a machine with a driver (built by the caller), from the
//! built-in simulated machine ([`GpuInventory::simulated_default`]), or from
//! a YAML inventory file ([`GpuInventory::load`]), so GPU scheduling can be
//! developed and tested with no GPU at all. The file format:
//!
//! ```yaml
//! gpus:
//!   - id: 0            # optional; must equal the position (0..n-1)
//!     model: A100-80GB # optional, default "Simulated GPU"
//!     memory: 80G      # bytes, or a whole number with K/M/G/T (powers of 1024)
//!     numa_node: 0     # optional
//!     nvlink: [1]      # optional peer indices; the relation is made symmetric
//! ```

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::SchedError;

mod parse;

/// One GPU. `index` is its position in the inventory; allocations name it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Gpu {
    pub index: u32,
    pub uuid: String,
    pub model: String,
    /// Memory in bytes.
    pub memory: u64,
    pub numa_node: Option<u32>,
    /// Indices of the GPUs this one reaches over NVLink (symmetric, sorted).
    pub nvlink_peers: Vec<u32>,
}

/// Where an inventory came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InventorySource {
    /// Real GPUs, read through NVML.
    Nvml { driver: String },
    /// The built-in simulated machine.
    SimulatedDefault,
    /// A simulated machine described by a YAML file.
    SimulatedFile(PathBuf),
}

/// All GPUs of a machine, indexed `0..n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuInventory {
    pub source: InventorySource,
    pub gpus: Vec<Gpu>,
}

const GIB: u64 = 1 << 30;
const DEFAULT_MODEL: &str = "Simulated A100-SXM4-40GB";

impl GpuInventory {
    /// Four simulated 40 GiB A100s: NVLink pairs 0–1 and 2–3, GPUs 0 and 1
    /// on NUMA node 0, GPUs 2 and 3 on node 1.
    pub fn simulated_default() -> Self {
        let gpus = (0..4u32)
            .map(|index| Gpu {
                index,
                uuid: format!("SIM-GPU-{index}"),
                model: DEFAULT_MODEL.to_string(),
                memory: 40 * GIB,
                numa_node: Some(index / 2),
                nvlink_peers: vec![index ^ 1],
            })
            .collect();
        GpuInventory {
            source: InventorySource::SimulatedDefault,
            gpus,
        }
    }

    /// Parses a YAML inventory (the format above) read from `path`. Unknown
    /// keys, an empty list, zero memory, ids out of order and NVLink peers
    /// that do not exist are refused with [`SchedError::Parse`] naming the
    /// GPU, the key and, where known, the line and column.
    pub fn from_yaml(text: &str, path: &Path) -> Result<Self, SchedError> {
        let gpus = parse::parse_gpus(text, path)?;
        Ok(GpuInventory {
            source: InventorySource::SimulatedFile(path.to_path_buf()),
            gpus,
        })
    }

    /// Reads and parses a YAML inventory file.
    pub fn load(path: &Path) -> Result<Self, SchedError> {
        let text = std::fs::read_to_string(path).map_err(|source| SchedError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_yaml(&text, path)
    }

    /// True unless the GPUs are real (NVML).
    pub fn is_simulated(&self) -> bool {
        !matches!(self.source, InventorySource::Nvml { .. })
    }

    /// Each GPU's memory by index, as [`crate::Ledger::insert`] wants it.
    pub fn memory_by_index(&self) -> Vec<u64> {
        self.gpus.iter().map(|g| g.memory).collect()
    }

    /// Sum of all GPUs' memory in bytes.
    pub fn total_memory(&self) -> u64 {
        self.gpus
            .iter()
            .fold(0u64, |sum, g| sum.saturating_add(g.memory))
    }

    /// One line for humans: `simulated inventory (built-in): 4 GPUs,
    /// Simulated A100-SXM4-40GB 40 GiB each` or `NVML (driver 550.54): 1 GPU:
    /// NVIDIA H200 141 GiB`.
    pub fn describe(&self) -> String {
        let origin = match &self.source {
            InventorySource::Nvml { driver } => format!("NVML (driver {driver})"),
            InventorySource::SimulatedDefault => "simulated inventory (built-in)".to_string(),
            InventorySource::SimulatedFile(path) => {
                format!("simulated inventory ({})", path.display())
            }
        };
        format!("{origin}: {}", self.describe_gpus())
    }

    fn describe_gpus(&self) -> String {
        // (model, memory, how many), in order of first appearance.
        let mut kinds: Vec<(&str, u64, usize)> = Vec::new();
        for gpu in &self.gpus {
            match kinds
                .iter_mut()
                .find(|(m, mem, _)| *m == gpu.model && *mem == gpu.memory)
            {
                Some(kind) => kind.2 += 1,
                None => kinds.push((&gpu.model, gpu.memory, 1)),
            }
        }
        match (self.gpus.len(), kinds.as_slice()) {
            (0, _) => "no GPUs".to_string(),
            (1, [(model, memory, _)]) => format!("1 GPU: {model} {}", format_bytes(*memory)),
            (n, [(model, memory, _)]) => {
                format!("{n} GPUs, {model} {} each", format_bytes(*memory))
            }
            (n, kinds) => {
                let mut text = format!("{n} GPUs: ");
                for (i, (model, memory, count)) in kinds.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    let _ = write!(text, "{sep}{count} × {model} {}", format_bytes(*memory));
                }
                text
            }
        }
    }
}

/// A byte count for humans: whole GiB or MiB when exact (`40 GiB`,
/// `512 MiB`), else GiB with one decimal (`12.5 GiB`), bytes below 1 MiB.
pub fn format_bytes(bytes: u64) -> String {
    const MIB: u64 = 1 << 20;
    if bytes >= GIB && bytes % GIB == 0 {
        format!("{} GiB", bytes / GIB)
    } else if bytes >= GIB {
        format_gib(bytes)
    } else if bytes >= MIB && bytes % MIB == 0 {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= MIB {
        format!("{:.1} MiB", bytes as f64 / MIB as f64)
    } else {
        format!("{bytes} B")
    }
}

/// Bytes as GiB with one decimal: `12.0 GiB`.
pub fn format_gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / GIB as f64)
}
