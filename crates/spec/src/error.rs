//! The crate's one error type, [`SpecError`]: a workload file that cannot be
//! read, a workload that is invalid (with file, line, column and the YAML key
//! it is about), or a validated workload that the OCI builders refused.

use std::path::PathBuf;

/// Key reported for problems that concern the whole document rather than
/// one key (an empty file, a file that is not a mapping).
pub const DOCUMENT_KEY: &str = "(document)";

/// Everything that can go wrong while loading, validating or lowering a workload.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// The workload file could not be read. The I/O error is the `source()`.
    #[error("cannot read workload file {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The workload is not valid. `line` and `column` are 1-based; `key` is the
    /// YAML key the problem is about (`env.FOO` for keys inside `env`, `gpu.count`
    /// inside `gpu`, [`DOCUMENT_KEY`] for the document as a whole).
    #[error("{file}:{line}:{column}: {key}: {message}")]
    Invalid {
        file: String,
        line: u64,
        column: u64,
        key: String,
        message: String,
    },

    /// An OCI bundle's config.json could not be used.
    #[error("bundle {}: {message}", path.display())]
    Bundle { path: PathBuf, message: String },

    /// An `oci-spec` builder rejected a value while lowering a validated workload.
    #[error("cannot build the OCI runtime spec: {0}")]
    Lower(String),
}

impl SpecError {
    /// Builds a [`SpecError::Invalid`].
    pub fn invalid(
        file: &str,
        line: u64,
        column: u64,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        SpecError::Invalid {
            file: file.to_string(),
            line,
            column,
            key: key.into(),
            message: message.into(),
        }
    }
}

impl From<oci_spec::OciSpecError> for SpecError {
    fn from(err: oci_spec::OciSpecError) -> Self {
        SpecError::Lower(err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn invalid_display_is_file_line_column_key_message() {
        let err = SpecError::invalid(
            "examples/x.yaml",
            3,
            6,
            "cpu",
            "must be greater than 0, got -1",
        );
        assert_eq!(
            err.to_string(),
            "examples/x.yaml:3:6: cpu: must be greater than 0, got -1"
        );
    }

    #[test]
    fn read_display_names_the_path_and_keeps_the_cause() {
        let err = SpecError::Read {
            path: PathBuf::from("/no/such.yaml"),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        };
        assert!(err.to_string().contains("/no/such.yaml"));
        assert!(err.source().is_some());
    }
}
