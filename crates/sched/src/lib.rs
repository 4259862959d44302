//! `sched`: where a workload runs. It reads the CPU topology from sysfs text
//! ([`topology`]), chooses cores under a policy from measured load
//! ([`cpu_policy`]), keeps the GPU inventory (real or simulated, [`gpu`]) and
//! allocates GPUs and GPU memory ([`gpu_policy`]), and records every live
//! allocation in a [`Ledger`] that the runtime persists. It also generates
//! synthetic request traces ([`trace`]) and replays them offline
//! ([`simulate`]) to compare policies at scale without running containers.
//!
//! Everything here is pure: values in, values out. The only I/O is reading
//! text files under a root given by the caller (sysfs, an inventory file).

pub mod cpu_policy;
pub mod cpulist;
mod error;
pub mod gpu;
pub mod gpu_policy;
pub mod ledger;
pub mod place;
pub mod rng;
pub mod simulate;
#[cfg(test)]
mod tests_cpu;
#[cfg(test)]
mod tests_gpu;
pub mod topology;
pub mod trace;

pub use error::SchedError;
pub use ledger::{CpuGrant, GpuGrant, Ledger, LoadSnapshot, Owner, Placement, Waiting};
