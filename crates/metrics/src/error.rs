//! The crate's single error type, `MetricsError`, plus the small helpers
//! that read a file into a buffer (naming the path on failure) and re-label
//! a parse error with the path it came from. Parsing functions are pure and
//! only know a short description of their input ("/proc/stat", "psi"); the
//! `read_*` functions swap in the real path.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Everything that can go wrong while reading or parsing kernel statistics.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// A file could not be opened or read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The text did not have the expected shape. `line` is 1-based; 0 means
    /// the problem is not on one line (for example a line that is missing).
    #[error("cannot parse {what}, line {line}: {message}")]
    Parse {
        what: String,
        line: usize,
        message: String,
    },
}

impl MetricsError {
    /// A parse error about `what` at the 1-based `line`.
    pub(crate) fn parse(what: &str, line: usize, message: impl Into<String>) -> Self {
        MetricsError::Parse {
            what: what.to_owned(),
            line,
            message: message.into(),
        }
    }

    /// Replaces the `what` of a parse error with the path that was parsed.
    pub(crate) fn at_path(self, path: &Path) -> Self {
        match self {
            MetricsError::Parse { line, message, .. } => MetricsError::Parse {
                what: path.display().to_string(),
                line,
                message,
            },
            other => other,
        }
    }
}

/// Reads the whole of `path` into `buf` (cleared first, capacity kept).
pub(crate) fn read_into(path: &Path, buf: &mut String) -> Result<(), io::Error> {
    buf.clear();
    std::fs::File::open(path)?.read_to_string(buf)?;
    Ok(())
}

/// Wraps an I/O error with the path it was about.
pub(crate) fn read_error(path: &Path, source: io::Error) -> MetricsError {
    MetricsError::Read {
        path: path.to_path_buf(),
        source,
    }
}
