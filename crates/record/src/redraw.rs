//! Redrawing the graphs of a record or experiment directory from its CSV
//! files: `graphs/cpu_usage.png` where `cpu_metrics.csv` exists,
//! `graphs/comparison.png` where `comparison.csv` exists, and the same one
//! level down in each subdirectory that is a record directory.

use std::path::{Path, PathBuf};

use crate::charts::{draw_comparison, draw_cpu_usage};
use crate::error::RecordError;
use crate::reader::{read_rows, read_rows_if_present};
use crate::rows::{CpuMetricRow, EventRow, PolicyResult};
use crate::summary::record_subdirs;
use crate::writer::{
    COMPARISON_CSV, COMPARISON_PNG, CPU_USAGE_PNG, EVENTS_CSV, GRAPHS_DIR, METRICS_CSV,
};

/// (Re)draws the graphs of `dir` and of its record subdirectories; returns
/// the PNGs written.
pub fn redraw(dir: &Path) -> Result<Vec<PathBuf>, RecordError> {
    if !dir.is_dir() {
        return Err(RecordError::Missing {
            path: dir.to_path_buf(),
        });
    }
    let mut written = redraw_one(dir)?;
    for sub in record_subdirs(dir)? {
        written.extend(redraw_one(&sub)?);
    }
    Ok(written)
}

/// The graphs of one directory, no recursion.
fn redraw_one(dir: &Path) -> Result<Vec<PathBuf>, RecordError> {
    let mut written = Vec::new();
    let metrics_csv = dir.join(METRICS_CSV);
    if metrics_csv.is_file() {
        let metrics: Vec<CpuMetricRow> = read_rows(&metrics_csv)?;
        let events: Vec<EventRow> = read_rows_if_present(&dir.join(EVENTS_CSV))?;
        let out = dir.join(GRAPHS_DIR).join(CPU_USAGE_PNG);
        draw_cpu_usage(&metrics, &events, &out)?;
        written.push(out);
    }
    let comparison_csv = dir.join(COMPARISON_CSV);
    if comparison_csv.is_file() {
        let results: Vec<PolicyResult> = read_rows(&comparison_csv)?;
        let out = dir.join(GRAPHS_DIR).join(COMPARISON_PNG);
        draw_comparison(&results, &out)?;
        written.push(out);
    }
    Ok(written)
}
