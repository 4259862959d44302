//! Creating record directories and appending rows to their CSV files.
//!
//! Appends are safe across processes: the rows are serialised into one
//! buffer and written with a single `write_all` on a file opened with
//! O_APPEND, so concurrent writers never interleave inside a row. Header
//! rows are written only when a file is first made, and the making is
//! atomic too (the header goes to a temp file that is hard-linked into
//! place), so no writer can slip rows in above the header.

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::error::RecordError;
use crate::rows::{AffinityRow, CpuMetricRow, EventRow, GpuScheduleRow, PolicyResult, Row};

pub const AFFINITY_CSV: &str = "cpu_affinity.csv";
pub const METRICS_CSV: &str = "cpu_metrics.csv";
pub const GPU_CSV: &str = "gpu_schedule.csv";
pub const EVENTS_CSV: &str = "events.csv";
pub const COMPARISON_CSV: &str = "comparison.csv";
pub const GRAPHS_DIR: &str = "graphs";
pub const CPU_USAGE_PNG: &str = "cpu_usage.png";
pub const COMPARISON_PNG: &str = "comparison.png";

/// The four CSV files every run's record directory holds.
pub const RUN_FILES: [&str; 4] = [AFFINITY_CSV, METRICS_CSV, GPU_CSV, EVENTS_CSV];

/// A directory holding one run's (or one policy's) CSV files and graphs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordDir {
    path: PathBuf,
}

impl RecordDir {
    /// Makes `path` and `path/graphs` (like `mkdir -p`) and the four CSVs
    /// with their header row where they do not exist yet.
    pub fn create(path: &Path) -> Result<RecordDir, RecordError> {
        let graphs = path.join(GRAPHS_DIR);
        fs::create_dir_all(&graphs).map_err(|e| RecordError::io(&graphs, e))?;
        ensure_header::<AffinityRow>(path)?;
        ensure_header::<CpuMetricRow>(path)?;
        ensure_header::<GpuScheduleRow>(path)?;
        ensure_header::<EventRow>(path)?;
        Ok(RecordDir {
            path: path.to_path_buf(),
        })
    }

    /// Opens an existing directory; `Missing` if it is not there.
    pub fn open(path: &Path) -> Result<RecordDir, RecordError> {
        if !path.is_dir() {
            return Err(RecordError::Missing {
                path: path.to_path_buf(),
            });
        }
        Ok(RecordDir {
            path: path.to_path_buf(),
        })
    }

    /// The directory itself.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `rows` (no header) to `file`, which must already exist (made
    /// by [`RecordDir::create`]); one `write_all` on an O_APPEND handle.
    pub fn append<R: Serialize>(&self, file: &str, rows: &[R]) -> Result<(), RecordError> {
        let path = self.path.join(file);
        if !path.is_file() {
            return Err(RecordError::Missing { path });
        }
        if rows.is_empty() {
            return Ok(());
        }
        let buf = serialise(&path, rows)?;
        let mut f = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| RecordError::io(&path, e))?;
        f.write_all(&buf).map_err(|e| RecordError::io(&path, e))
    }

    /// Appends rows to their own file (`R::FILE`), first making the file
    /// with its header if it does not exist.
    pub fn append_rows<R: Row + Serialize>(&self, rows: &[R]) -> Result<(), RecordError> {
        ensure_header::<R>(&self.path)?;
        self.append(R::FILE, rows)
    }
}

/// True when `dir` holds at least one of the four run CSVs.
pub fn is_record_dir(dir: &Path) -> bool {
    RUN_FILES.iter().any(|f| dir.join(f).is_file())
}

/// Writes a whole CSV file (header and rows), replacing any old one
/// atomically (temp file + rename). Used for `comparison.csv`.
pub fn write_csv<R: Row + Serialize>(path: &Path, rows: &[R]) -> Result<(), RecordError> {
    let mut buf = header_line::<R>(path)?;
    buf.extend(serialise(path, rows)?);
    let tmp = temp_name(path);
    fs::write(&tmp, &buf).map_err(|e| RecordError::io(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        RecordError::io(path, e)
    })
}

/// Writes `dir/comparison.csv` (making `dir` if needed) and returns its path.
pub fn write_comparison(dir: &Path, results: &[PolicyResult]) -> Result<PathBuf, RecordError> {
    fs::create_dir_all(dir).map_err(|e| RecordError::io(dir, e))?;
    let path = dir.join(COMPARISON_CSV);
    write_csv(&path, results)?;
    Ok(path)
}

/// Makes `dir/R::FILE` holding only the header, unless it already exists.
fn ensure_header<R: Row>(dir: &Path) -> Result<(), RecordError> {
    let path = dir.join(R::FILE);
    if path.exists() {
        return Ok(());
    }
    let header = header_line::<R>(&path)?;
    let tmp = temp_name(&path);
    fs::write(&tmp, &header).map_err(|e| RecordError::io(&tmp, e))?;
    let linked = fs::hard_link(&tmp, &path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
        // File systems without hard links: fall back to create_new.
        Err(_) => match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut f) => f.write_all(&header).map_err(|e| RecordError::io(&path, e)),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(RecordError::io(&path, e)),
        },
    }
}

/// The header row of `R`'s file, CSV-encoded with a trailing newline.
fn header_line<R: Row>(path: &Path) -> Result<Vec<u8>, RecordError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(R::COLUMNS)
        .map_err(|e| RecordError::csv(path, e))?;
    w.into_inner()
        .map_err(|e| RecordError::io(path, e.error().kind().into()))
}

/// Serialises rows (no header) into one buffer.
fn serialise<R: Serialize>(path: &Path, rows: &[R]) -> Result<Vec<u8>, RecordError> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    for row in rows {
        w.serialize(row).map_err(|e| RecordError::csv(path, e))?;
    }
    w.into_inner()
        .map_err(|e| RecordError::io(path, e.error().kind().into()))
}

/// A unique sibling name for a temp file next to `path`.
fn temp_name(path: &Path) -> PathBuf {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tid = format!("{:?}", std::thread::current().id());
    let tid: String = tid.chars().filter(char::is_ascii_digit).collect();
    path.with_file_name(format!(".{name}.{}.{tid}.{nanos}.tmp", std::process::id()))
}
