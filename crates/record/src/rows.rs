//! The plain rows a record directory holds, one struct per CSV file. Column
//! names are the field names, in field order; the [`Row`] trait keeps that
//! list (and the file name) beside each type so a header can be written
//! before any row exists. Times are seconds since the record's start,
//! computed by the caller.

use serde::{Deserialize, Serialize};

/// A row type that lives in a known CSV file with a known header.
pub trait Row {
    /// File name inside a record (or experiment) directory.
    const FILE: &'static str;
    /// Column names, equal to the serde field names in order.
    const COLUMNS: &'static [&'static str];
}

/// One CPU placement decision.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct AffinityRow {
    pub time_s: f64,
    pub container: String,
    pub policy: String,
    /// cpulist, e.g. "0-1".
    pub cores: String,
    pub pinned: bool,
    pub exclusive: bool,
    /// Why these cores, e.g. "load% cpu0=93.1 cpu1=2.0; picked lowest".
    pub why: String,
}

/// One sample of one core (`kind == "core"`) or one container
/// (`kind == "container"`).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct CpuMetricRow {
    pub time_s: f64,
    /// "core" or "container".
    pub kind: String,
    /// Core number ("0", "1", …) or container name.
    pub id: String,
    /// Core: utilisation %. Container: CPU % where 100 = one core.
    pub cpu_pct: f64,
    pub user_pct: Option<f64>,
    pub system_pct: Option<f64>,
    pub iowait_pct: Option<f64>,
    pub steal_pct: Option<f64>,
    pub memory_bytes: Option<u64>,
    pub memory_peak_bytes: Option<u64>,
    pub pids: Option<u64>,
    pub nr_throttled: Option<u64>,
    pub psi_some_avg10: Option<f64>,
}

/// One GPU scheduling decision.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct GpuScheduleRow {
    pub time_s: f64,
    pub container: String,
    pub request: String,
    pub policy: String,
    /// "simulated" or "nvml".
    pub inventory: String,
    /// "0", "0,1", or "-" when refused.
    pub gpu: String,
    /// Free bytes per GPU, ';'-separated.
    pub free_before_bytes: String,
    pub free_after_bytes: String,
    /// "placed", "queued" or "refused".
    pub outcome: String,
}

/// A container lifecycle mark.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct EventRow {
    pub time_s: f64,
    pub container: String,
    /// "start", "exit", "queued" or "refused".
    pub event: String,
    /// e.g. "exit 0", "cores 0-1".
    pub detail: String,
}

/// One policy's outcome in a batch experiment (a row of comparison.csv).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct PolicyResult {
    pub policy: String,
    pub jobs: u32,
    pub completed: u32,
    pub makespan_s: f64,
    pub mean_completion_s: f64,
    pub mean_wait_s: f64,
    pub cpu_utilisation_pct: f64,
    pub gpu_fragmentation_pct: f64,
}

impl Row for AffinityRow {
    const FILE: &'static str = crate::writer::AFFINITY_CSV;
    const COLUMNS: &'static [&'static str] = &[
        "time_s",
        "container",
        "policy",
        "cores",
        "pinned",
        "exclusive",
        "why",
    ];
}

impl Row for CpuMetricRow {
    const FILE: &'static str = crate::writer::METRICS_CSV;
    const COLUMNS: &'static [&'static str] = &[
        "time_s",
        "kind",
        "id",
        "cpu_pct",
        "user_pct",
        "system_pct",
        "iowait_pct",
        "steal_pct",
        "memory_bytes",
        "memory_peak_bytes",
        "pids",
        "nr_throttled",
        "psi_some_avg10",
    ];
}

impl Row for GpuScheduleRow {
    const FILE: &'static str = crate::writer::GPU_CSV;
    const COLUMNS: &'static [&'static str] = &[
        "time_s",
        "container",
        "request",
        "policy",
        "inventory",
        "gpu",
        "free_before_bytes",
        "free_after_bytes",
        "outcome",
    ];
}

impl Row for EventRow {
    const FILE: &'static str = crate::writer::EVENTS_CSV;
    const COLUMNS: &'static [&'static str] = &["time_s", "container", "event", "detail"];
}

impl Row for PolicyResult {
    const FILE: &'static str = crate::writer::COMPARISON_CSV;
    const COLUMNS: &'static [&'static str] = &[
        "policy",
        "jobs",
        "completed",
        "makespan_s",
        "mean_completion_s",
        "mean_wait_s",
        "cpu_utilisation_pct",
        "gpu_fragmentation_pct",
    ];
}
