//! The crate's one error type. Every variant names the file it was about, so
//! a caller can print it as is and the user sees which record went wrong.

use std::path::PathBuf;

/// Anything that can go wrong while writing, reading, drawing or summarising
/// a record directory.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// A file system operation on `path` failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A CSV file could not be written or parsed; csv's own message carries
    /// the record number and line.
    #[error("{path}: {source}")]
    Csv {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
    /// plotters failed while drawing or saving a chart.
    #[error("{path}: drawing chart failed: {message}")]
    Chart { path: PathBuf, message: String },
    /// A file or directory that must exist does not.
    #[error("{path}: no such file or directory")]
    Missing { path: PathBuf },
    /// A directory holds neither run CSVs, nor comparison.csv, nor policy
    /// subdirectories.
    #[error("{path}: not a record or experiment directory (no CSV files found)")]
    NotARecord { path: PathBuf },
    /// The embedded font could not be registered with plotters.
    #[error("embedded font could not be loaded: {message}")]
    Font { message: String },
}

impl RecordError {
    /// Wraps an I/O error with the path it was about.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        RecordError::Io {
            path: path.into(),
            source,
        }
    }

    /// Wraps a csv error with the path it was about.
    pub(crate) fn csv(path: impl Into<PathBuf>, source: csv::Error) -> Self {
        RecordError::Csv {
            path: path.into(),
            source,
        }
    }

    /// Wraps any displayable plotters error with the chart's output path.
    pub(crate) fn chart(path: impl Into<PathBuf>, message: impl std::fmt::Display) -> Self {
        RecordError::Chart {
            path: path.into(),
            message: message.to_string(),
        }
    }
}
