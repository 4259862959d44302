//! CPU and pressure metrics for containerctl.
//!
//! Measures host CPU utilisation from `/proc/stat` (aggregate, per CPU and a
//! per-state breakdown), container CPU percent from two cumulative cgroup
//! usage readings, and pressure stall information (PSI) from
//! `/proc/pressure/*` or cgroup v2 `*.pressure` files. Everything here is
//! pure (text in, values out) except [`read_proc_stat`], [`read_psi`] and
//! [`CpuSampler`], which read files under a root given by the caller
//! (`/proc` in production, a temporary directory in tests). Errors are one
//! enum, [`MetricsError`], naming the path or input and the line.

mod error;
pub mod proc_stat;
pub mod psi;
pub mod sampler;
mod utilisation;

pub use error::MetricsError;
pub use proc_stat::{busy_total, parse_proc_stat, CpuTimes, ProcStat};
pub use psi::{parse_psi, read_psi, Psi, PsiLine};
pub use sampler::{cpu_percent, read_proc_stat, CoreSample, CpuSampler};
pub use utilisation::{Breakdown, Utilisation};
