//! Reading a CSV file of rows back. Errors name the file; csv's own message
//! names the record and line that failed.

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::error::RecordError;

/// Reads every row of `path` (which has a header row) into `R`.
pub fn read_rows<R: DeserializeOwned>(path: &Path) -> Result<Vec<R>, RecordError> {
    if !path.is_file() {
        return Err(RecordError::Missing {
            path: path.to_path_buf(),
        });
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(path)
        .map_err(|e| RecordError::csv(path, e))?;
    reader
        .deserialize()
        .map(|row| row.map_err(|e| RecordError::csv(path, e)))
        .collect()
}

/// Like [`read_rows`], but a missing file reads as no rows.
pub fn read_rows_if_present<R: DeserializeOwned>(path: &Path) -> Result<Vec<R>, RecordError> {
    if path.exists() {
        read_rows(path)
    } else {
        Ok(Vec::new())
    }
}
