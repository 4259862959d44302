//! The experiment record of a run: a directory (by default
//! `experiments/<time>-<name>-<id>/`) with cpu_affinity.csv, cpu_metrics.csv,
//! gpu_schedule.csv, events.csv and graphs/cpu_usage.png. `origin.json` holds
//! the time every `time_s` is measured from, so that the several processes
//! of an experiment that append to one directory agree on it.

mod rates;
mod rows;
mod sampler;

use std::path::{Path, PathBuf};

use anyhow::Context;
use record::RecordDir;
use serde::{Deserialize, Serialize};

pub use rates::UsageRates;
pub use rows::{affinity_row, gpu_row};
pub use sampler::{Sampler, Targets};

const ORIGIN_FILE: &str = "origin.json";

#[derive(Debug, Serialize, Deserialize)]
struct Origin {
    /// Milliseconds since the Unix epoch at which time_s = 0.
    started_at_ms: u64,
    /// The command line that made this record.
    command: String,
}

/// An open record directory and its time origin.
#[derive(Debug, Clone)]
pub struct Recorder {
    dir: PathBuf,
    origin_ms: u64,
}

impl Recorder {
    /// Creates a new record directory (its origin is now).
    pub fn create(dir: &Path) -> anyhow::Result<Recorder> {
        RecordDir::create(dir)?;
        let origin = Origin {
            started_at_ms: crate::place::now_ms(),
            command: std::env::args().collect::<Vec<_>>().join(" "),
        };
        let path = dir.join(ORIGIN_FILE);
        std::fs::write(&path, serde_json::to_vec_pretty(&origin)?)
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(Recorder {
            dir: dir.to_path_buf(),
            origin_ms: origin.started_at_ms,
        })
    }

    /// Opens a record directory another process created (`run --record-into`).
    pub fn join(dir: &Path) -> anyhow::Result<Recorder> {
        RecordDir::open(dir)?;
        let path = dir.join(ORIGIN_FILE);
        let text = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let origin: Origin = serde_json::from_slice(&text)
            .with_context(|| format!("{} is not a record origin", path.display()))?;
        Ok(Recorder {
            dir: dir.to_path_buf(),
            origin_ms: origin.started_at_ms,
        })
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Seconds since the origin, now.
    pub fn time_s(&self) -> f64 {
        crate::place::now_ms().saturating_sub(self.origin_ms) as f64 / 1000.0
    }

    /// Appends rows to one of the CSVs.
    pub fn append<R: Serialize>(&self, file: &str, rows: &[R]) -> anyhow::Result<()> {
        RecordDir::open(&self.dir)?.append(file, rows)?;
        Ok(())
    }

    /// Appends an event (start, exit, queued, refused).
    pub fn event(&self, container: &str, event: &str, detail: impl Into<String>) {
        let row = record::EventRow {
            time_s: self.time_s(),
            container: container.to_string(),
            event: event.to_string(),
            detail: detail.into(),
        };
        if let Err(e) = self.append(record::EVENTS_CSV, &[row]) {
            tracing::warn!(step = "record", "could not record the {event} event: {e:#}");
        }
    }

    /// Redraws the graphs; returns the PNGs written.
    pub fn draw(&self) -> anyhow::Result<Vec<PathBuf>> {
        Ok(record::redraw(&self.dir)?)
    }
}

/// `<root>/<UTC time>-<name>-<short id>`, e.g. `experiments/2026-12-04T17-05-41-basic-3f2a9c1b0d4e`.
pub fn run_dir(root: &Path, name: &str, short_id: &str) -> PathBuf {
    root.join(format!("{}-{name}-{short_id}", utc_stamp()))
}

/// The current UTC time as `YYYY-MM-DDTHH-MM-SS` (safe in file names).
pub fn utc_stamp() -> String {
    let secs = crate::place::now_ms() / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}-{:02}-{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian calendar.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::civil_from_days;

    #[test]
    fn calendar_dates_from_days() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_791), (2026, 12, 4));
    }
}
