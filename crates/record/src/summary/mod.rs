//! `containerctl report DIR`: read a record directory (one run) or an
//! experiment directory (comparison.csv plus one record directory per
//! policy) and condense it into a [`Summary`] whose `Display` is a few
//! plain lines. [`redraw`] (re)draws the graphs of such a directory.

mod run;
mod text;

use std::path::{Path, PathBuf};

pub use crate::redraw::redraw;
pub use run::{ContainerStat, CoreStat, RunRows, RunSummary};

use crate::error::RecordError;
use crate::reader::read_rows_if_present;
use crate::rows::PolicyResult;
use crate::writer::{
    is_record_dir, AFFINITY_CSV, COMPARISON_CSV, EVENTS_CSV, GPU_CSV, METRICS_CSV,
};

/// What a record or experiment directory holds, condensed.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub dir: PathBuf,
    /// The directory's own run, when it is a record directory.
    pub run: Option<RunSummary>,
    /// comparison.csv rows, when it is an experiment directory.
    pub comparison: Vec<PolicyResult>,
    /// Record subdirectories (one per policy), by directory name.
    pub policies: Vec<(String, RunSummary)>,
}

/// The best policies for one metric (several when tied).
#[derive(Debug, Clone, PartialEq)]
pub struct Best {
    pub metric: &'static str,
    pub policies: Vec<String>,
    pub value: f64,
    pub unit: &'static str,
}

/// Reads `dir` and condenses it.
pub fn summarise(dir: &Path) -> Result<Summary, RecordError> {
    if !dir.is_dir() {
        return Err(RecordError::Missing {
            path: dir.to_path_buf(),
        });
    }
    let run = if is_record_dir(dir) {
        Some(summarise_run(dir)?)
    } else {
        None
    };
    let comparison = read_rows_if_present(&dir.join(COMPARISON_CSV))?;
    let mut policies = Vec::new();
    for sub in record_subdirs(dir)? {
        let name = sub
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        policies.push((name, summarise_run(&sub)?));
    }
    if run.is_none() && comparison.is_empty() && policies.is_empty() {
        return Err(RecordError::NotARecord {
            path: dir.to_path_buf(),
        });
    }
    Ok(Summary {
        dir: dir.to_path_buf(),
        run,
        comparison,
        policies,
    })
}

/// Condenses one record directory (missing CSVs read as empty).
pub fn summarise_run(dir: &Path) -> Result<RunSummary, RecordError> {
    let rows = RunRows {
        affinity: read_rows_if_present(&dir.join(AFFINITY_CSV))?,
        metrics: read_rows_if_present(&dir.join(METRICS_CSV))?,
        gpu: read_rows_if_present(&dir.join(GPU_CSV))?,
        events: read_rows_if_present(&dir.join(EVENTS_CSV))?,
    };
    Ok(RunSummary::from_rows(&rows))
}

/// Subdirectories of `dir` that are record directories, sorted by name.
pub(crate) fn record_subdirs(dir: &Path) -> Result<Vec<PathBuf>, RecordError> {
    let entries = std::fs::read_dir(dir).map_err(|e| RecordError::io(dir, e))?;
    let mut subs = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| RecordError::io(dir, e))?.path();
        if path.is_dir() && is_record_dir(&path) {
            subs.push(path);
        }
    }
    subs.sort();
    Ok(subs)
}

/// The best policy per metric: lowest makespan, mean completion and GPU
/// fragmentation, highest CPU utilisation. Ties name every tied policy;
/// non-finite values are ignored.
pub fn best_policies(results: &[PolicyResult]) -> Vec<Best> {
    type Pick = fn(&PolicyResult) -> f64;
    let metrics: [(&'static str, &'static str, Pick, bool); 4] = [
        ("makespan", " s", |r| r.makespan_s, true),
        ("mean completion", " s", |r| r.mean_completion_s, true),
        ("CPU utilisation", "%", |r| r.cpu_utilisation_pct, false),
        ("GPU fragmentation", "%", |r| r.gpu_fragmentation_pct, true),
    ];
    let mut out = Vec::new();
    for (metric, unit, pick, lower) in metrics {
        let finite = results.iter().map(pick).filter(|v| v.is_finite());
        let best = if lower {
            finite.fold(f64::INFINITY, f64::min)
        } else {
            finite.fold(f64::NEG_INFINITY, f64::max)
        };
        if !best.is_finite() {
            continue;
        }
        let tol = 1e-9 * best.abs().max(1.0);
        let policies = results
            .iter()
            .filter(|r| (pick(r) - best).abs() <= tol)
            .map(|r| r.policy.clone())
            .collect();
        out.push(Best {
            metric,
            policies,
            value: best,
            unit,
        });
    }
    out
}
