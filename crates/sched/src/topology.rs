//! The machine's CPUs as the placement policies see them: each online CPU
//! with its physical core, package and NUMA node. [`Topology::from_sysfs`]
//! reads the kernel's text files under a sysfs root given by the caller
//! (`devices/system/cpu/online`, `cpuN/topology/*`, `node/nodeN/cpulist`),
//! keeping only the CPUs the caller may use; [`Topology::synthetic`] builds
//! Linux-numbered machines of any shape for tests, benches and simulation.
//! Every read or parse error names the file it was about.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::SchedError;

mod sysfs;

pub(crate) use crate::cpulist::format as format_cpulist;
use sysfs::{read_cpulist, read_nodes, read_optional_id};

/// One logical CPU (a hardware thread).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cpu {
    pub id: u32,
    /// Core number within its package (`topology/core_id`).
    pub core_id: u32,
    /// Socket (`topology/physical_package_id`).
    pub package: u32,
    /// NUMA node.
    pub node: u32,
}

impl Cpu {
    /// The physical core this thread belongs to: (package, core_id).
    pub fn physical_core(&self) -> (u32, u32) {
        (self.package, self.core_id)
    }
}

/// The CPUs a placement may use, sorted by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    cpus: Vec<Cpu>,
    /// Positions in `cpus` grouped by (node, package, core_id), groups in
    /// that order, threads ascending: the physical cores, per node.
    cores: Vec<Vec<usize>>,
}

impl Topology {
    /// Reads `<sys_root>/devices/system/cpu/online`, each online CPU's
    /// `cpuN/topology/{core_id,physical_package_id}` and
    /// `<sys_root>/devices/system/node/nodeN/cpulist` (no node directory:
    /// every CPU is on node 0). Keeps only online CPUs, and only those in
    /// `allowed` when given (the caller's affinity mask or cpuset); the
    /// result is empty if none is allowed. A missing topology file (or the
    /// kernel's `-1`) gives core_id = id and package 0.
    pub fn from_sysfs(sys_root: &Path, allowed: Option<&[u32]>) -> Result<Topology, SchedError> {
        let cpu_dir = sys_root.join("devices/system/cpu");
        let online_path = cpu_dir.join("online");
        let online = read_cpulist(&online_path)?;
        if online.is_empty() {
            return Err(SchedError::Parse {
                path: online_path,
                message: "no CPU is online".into(),
            });
        }
        let allowed: Option<BTreeSet<u32>> = allowed.map(|a| a.iter().copied().collect());
        let nodes = read_nodes(&sys_root.join("devices/system/node"))?;
        let mut cpus = Vec::with_capacity(online.len());
        for id in online {
            if allowed.as_ref().is_some_and(|a| !a.contains(&id)) {
                continue;
            }
            let dir = cpu_dir.join(format!("cpu{id}/topology"));
            let core_id = read_optional_id(&dir.join("core_id"))?.unwrap_or(id);
            let package = read_optional_id(&dir.join("physical_package_id"))?.unwrap_or(0);
            let node = nodes.get(&id).copied().unwrap_or(0);
            cpus.push(Cpu {
                id,
                core_id,
                package,
                node,
            });
        }
        Ok(Topology::from_cpus(cpus))
    }

    /// Linux-like numbering: `nodes` NUMA nodes (one package each),
    /// `cores_per_node` physical cores each, `threads_per_core` SMT
    /// threads; thread t of global core c has id c + t × (nodes ×
    /// cores_per_node). Ids that would not fit in a u32 are left out.
    pub fn synthetic(nodes: u32, cores_per_node: u32, threads_per_core: u32) -> Topology {
        let cores = u64::from(nodes) * u64::from(cores_per_node);
        let mut cpus = Vec::new();
        for t in 0..u64::from(threads_per_core) {
            for c in 0..cores {
                let Ok(id) = u32::try_from(c + t * cores) else {
                    continue;
                };
                // c < nodes × cores_per_node, so both quotients fit in u32.
                let core_id = (c % u64::from(cores_per_node)) as u32;
                let package = (c / u64::from(cores_per_node)) as u32;
                cpus.push(Cpu {
                    id,
                    core_id,
                    package,
                    node: package,
                });
            }
        }
        Topology::from_cpus(cpus)
    }

    /// A topology of exactly these CPUs (sorted by id; a repeated id keeps
    /// its first entry).
    pub fn from_cpus(mut cpus: Vec<Cpu>) -> Topology {
        cpus.sort_by_key(|c| c.id);
        cpus.dedup_by_key(|c| c.id);
        let mut order: Vec<usize> = (0..cpus.len()).collect();
        order.sort_by_key(|&i| (cpus[i].node, cpus[i].package, cpus[i].core_id, i));
        let mut cores: Vec<Vec<usize>> = Vec::new();
        let key = |i: usize| (cpus[i].node, cpus[i].package, cpus[i].core_id);
        for i in order {
            match cores.last_mut() {
                Some(group) if group.first().is_some_and(|&g| key(g) == key(i)) => group.push(i),
                _ => cores.push(vec![i]),
            }
        }
        Topology { cpus, cores }
    }

    pub fn cpus(&self) -> &[Cpu] {
        &self.cpus
    }

    pub fn ids(&self) -> Vec<u32> {
        self.cpus.iter().map(|c| c.id).collect()
    }

    pub fn len(&self) -> usize {
        self.cpus.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cpus.is_empty()
    }

    pub fn get(&self, id: u32) -> Option<&Cpu> {
        self.position(id).map(|i| &self.cpus[i])
    }

    /// Index of CPU `id` in [`Topology::cpus`].
    pub(crate) fn position(&self, id: u32) -> Option<usize> {
        self.cpus.binary_search_by_key(&id, |c| c.id).ok()
    }

    /// The physical cores as positions in [`Topology::cpus`], grouped by
    /// (node, package, core_id) and ordered so.
    pub(crate) fn core_groups(&self) -> &[Vec<usize>] {
        &self.cores
    }

    /// SMT siblings of `id` (itself included) among the known CPUs,
    /// ascending; empty if `id` is not known.
    pub fn siblings(&self, id: u32) -> Vec<u32> {
        let Some(cpu) = self.get(id) else {
            return Vec::new();
        };
        let core = cpu.physical_core();
        self.cpus
            .iter()
            .filter(|c| c.physical_core() == core)
            .map(|c| c.id)
            .collect()
    }

    /// The NUMA nodes that hold at least one known CPU, ascending.
    pub fn nodes(&self) -> Vec<u32> {
        let set: BTreeSet<u32> = self.cpus.iter().map(|c| c.node).collect();
        set.into_iter().collect()
    }

    /// One line for humans, e.g. "2 CPUs: 1 package, 2 cores, 1 thread per
    /// core, 1 NUMA node".
    pub fn describe(&self) -> String {
        let mut threads: BTreeMap<(u32, u32), usize> = BTreeMap::new();
        for cpu in &self.cpus {
            *threads.entry(cpu.physical_core()).or_default() += 1;
        }
        let packages: BTreeSet<u32> = self.cpus.iter().map(|c| c.package).collect();
        let min = threads.values().min().copied().unwrap_or(0);
        let max = threads.values().max().copied().unwrap_or(0);
        let per_core = if min == max {
            plural(max, "thread")
        } else {
            format!("{min}-{max} threads")
        };
        format!(
            "{}: {}, {}, {per_core} per core, {}",
            plural(self.cpus.len(), "CPU"),
            plural(packages.len(), "package"),
            plural(threads.len(), "core"),
            plural(self.nodes().len(), "NUMA node"),
        )
    }
}

/// "1 core", "3 cores".
fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
