//! Condensing one record directory's rows into a [`RunSummary`]: the time
//! span covered, per-core mean and peak, each container's lifetime, exit
//! and peak memory, and where each container was placed.

use std::collections::BTreeMap;

use crate::charts::id_key;
use crate::rows::{AffinityRow, CpuMetricRow, EventRow, GpuScheduleRow};

/// The rows of one record directory.
pub struct RunRows {
    pub affinity: Vec<AffinityRow>,
    pub metrics: Vec<CpuMetricRow>,
    pub gpu: Vec<GpuScheduleRow>,
    pub events: Vec<EventRow>,
}

/// What one run's record says, condensed.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    /// Earliest and latest time seen in any file, if any row had one.
    pub span_s: Option<(f64, f64)>,
    /// Distinct sample times in cpu_metrics.csv.
    pub samples: usize,
    pub cores: Vec<CoreStat>,
    pub containers: Vec<ContainerStat>,
}

/// Utilisation of one core over the run.
#[derive(Debug, Clone, PartialEq)]
pub struct CoreStat {
    pub id: String,
    pub mean_pct: f64,
    pub peak_pct: f64,
}

/// One container's story in the record.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContainerStat {
    pub name: String,
    pub start_s: Option<f64>,
    pub exit_s: Option<f64>,
    /// The exit event's detail, e.g. "exit 0".
    pub exit_detail: Option<String>,
    /// "queued: …" / "refused: …" marks, in order.
    pub other_events: Vec<String>,
    pub peak_memory_bytes: Option<u64>,
    pub peak_cpu_pct: Option<f64>,
    /// Last CPU placement: cores, and "pinned"/"exclusive"/policy notes.
    pub cores: Option<String>,
    pub core_notes: Vec<String>,
    /// Last GPU decision: "GPU 0", "GPU queued", "GPU refused".
    pub gpu: Option<String>,
}

impl RunSummary {
    /// Condenses the rows of one record directory.
    pub fn from_rows(rows: &RunRows) -> RunSummary {
        let times = rows
            .affinity
            .iter()
            .map(|r| r.time_s)
            .chain(rows.metrics.iter().map(|r| r.time_s))
            .chain(rows.gpu.iter().map(|r| r.time_s))
            .chain(rows.events.iter().map(|r| r.time_s))
            .filter(|t| t.is_finite());
        let span_s = times.fold(None, |acc: Option<(f64, f64)>, t| match acc {
            None => Some((t, t)),
            Some((lo, hi)) => Some((lo.min(t), hi.max(t))),
        });
        let mut sample_times: Vec<u64> = rows.metrics.iter().map(|r| r.time_s.to_bits()).collect();
        sample_times.sort_unstable();
        sample_times.dedup();
        RunSummary {
            span_s,
            samples: sample_times.len(),
            cores: core_stats(&rows.metrics),
            containers: container_stats(rows),
        }
    }
}

fn core_stats(metrics: &[CpuMetricRow]) -> Vec<CoreStat> {
    let mut acc: BTreeMap<(u64, String), (String, f64, f64, usize)> = BTreeMap::new();
    for r in metrics
        .iter()
        .filter(|r| r.kind == "core" && r.cpu_pct.is_finite())
    {
        let e = acc
            .entry(id_key(&r.id))
            .or_insert((r.id.clone(), 0.0, f64::NEG_INFINITY, 0));
        e.1 += r.cpu_pct;
        e.2 = e.2.max(r.cpu_pct);
        e.3 += 1;
    }
    acc.into_values()
        .map(|(id, sum, peak, n)| CoreStat {
            id,
            mean_pct: sum / n.max(1) as f64,
            peak_pct: peak,
        })
        .collect()
}

fn container_stats(rows: &RunRows) -> Vec<ContainerStat> {
    // Containers in order of first appearance in any file.
    let mut first: BTreeMap<String, f64> = BTreeMap::new();
    let mut see = |name: &str, t: f64| {
        let e = first.entry(name.to_string()).or_insert(f64::INFINITY);
        if t.is_finite() && t < *e {
            *e = t;
        }
    };
    rows.events.iter().for_each(|r| see(&r.container, r.time_s));
    rows.affinity
        .iter()
        .for_each(|r| see(&r.container, r.time_s));
    rows.gpu.iter().for_each(|r| see(&r.container, r.time_s));
    rows.metrics
        .iter()
        .filter(|r| r.kind == "container")
        .for_each(|r| see(&r.id, r.time_s));
    let mut order: Vec<(String, f64)> = first.into_iter().collect();
    order.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    order
        .into_iter()
        .map(|(name, _)| one_container(rows, name))
        .collect()
}

fn one_container(rows: &RunRows, name: String) -> ContainerStat {
    let mut c = ContainerStat::default();
    for e in rows.events.iter().filter(|e| e.container == name) {
        match e.event.as_str() {
            "start" => c.start_s = c.start_s.or(Some(e.time_s)),
            "exit" => {
                c.exit_s = Some(e.time_s);
                c.exit_detail = Some(e.detail.clone()).filter(|d| !d.is_empty());
            }
            other => c.other_events.push(format!("{other}: {}", e.detail)),
        }
    }
    for m in rows
        .metrics
        .iter()
        .filter(|m| m.kind == "container" && m.id == name)
    {
        let mem = m.memory_peak_bytes.max(m.memory_bytes);
        c.peak_memory_bytes = c.peak_memory_bytes.max(mem);
        if m.cpu_pct.is_finite() {
            c.peak_cpu_pct = Some(c.peak_cpu_pct.map_or(m.cpu_pct, |p| p.max(m.cpu_pct)));
        }
    }
    if let Some(a) = rows.affinity.iter().rev().find(|a| a.container == name) {
        c.cores = Some(a.cores.clone());
        c.core_notes = [("pinned", a.pinned), ("exclusive", a.exclusive)]
            .iter()
            .filter(|(_, on)| *on)
            .map(|(n, _)| n.to_string())
            .collect();
        if !a.policy.is_empty() {
            c.core_notes.push(format!("policy {}", a.policy));
        }
    }
    if let Some(g) = rows.gpu.iter().rev().find(|g| g.container == name) {
        c.gpu = Some(match g.outcome.as_str() {
            "placed" => format!("GPU {}", g.gpu),
            other => format!("GPU {other}"),
        });
    }
    c.name = name;
    c
}
