//! Turning metric rows into plottable series: rows of one kind grouped by
//! id (cores in numeric order, containers in order of appearance), bad
//! values dropped, and the mean across many series.

use std::collections::BTreeMap;

use super::id_key;
use crate::rows::CpuMetricRow;

/// One line: a name and its (time, value) points in time order.
pub(crate) struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

/// Rows of one kind grouped by id, sorted by id (numerically where they
/// are numbers) and time; non-finite values dropped, values clamped to
/// `clamp` when given.
pub(crate) fn group(
    rows: &[CpuMetricRow],
    kind: &str,
    prefix: &str,
    clamp: Option<f64>,
) -> Vec<Series> {
    let mut by_id: BTreeMap<(u64, String), Series> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.kind == kind) {
        if !r.time_s.is_finite() || !r.cpu_pct.is_finite() {
            continue;
        }
        let v = match clamp {
            Some(max) => r.cpu_pct.clamp(0.0, max),
            None => r.cpu_pct.max(0.0),
        };
        by_id
            .entry(id_key(&r.id))
            .or_insert_with(|| Series {
                label: format!("{prefix}{}", r.id),
                points: Vec::new(),
            })
            .points
            .push((r.time_s, v));
    }
    let mut all: Vec<Series> = by_id.into_values().collect();
    for s in &mut all {
        s.points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    if kind == "container" {
        // Containers in the order they first show up.
        all.sort_by(|a, b| first_time(a).total_cmp(&first_time(b)));
    }
    all
}

fn first_time(s: &Series) -> f64 {
    s.points.first().map_or(f64::INFINITY, |p| p.0)
}

/// The mean of all series at each time any of them was sampled.
pub(crate) fn mean_series(series: &[Series]) -> Vec<(f64, f64)> {
    let mut sums: BTreeMap<u64, (f64, f64, u32)> = BTreeMap::new();
    for p in series.iter().flat_map(|s| &s.points) {
        let e = sums.entry(p.0.to_bits()).or_insert((p.0, 0.0, 0));
        e.1 += p.1;
        e.2 += 1;
    }
    let mut pts: Vec<(f64, f64)> = sums.values().map(|&(t, s, n)| (t, s / n as f64)).collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    pts
}
