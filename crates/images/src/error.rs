//! The one error type of the image store. Every variant names the path,
//! archive or entry it is about, so a message alone says where to look.

use std::path::PathBuf;

/// Everything that can go wrong opening a store, importing, or reading
/// image records.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// A filesystem operation on `path` failed.
    #[error("{}: {op}: {source}", path.display())]
    Io {
        path: PathBuf,
        op: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// The archive could not be read (truncated, corrupt, not a tar).
    #[error("{}: corrupt or truncated archive: {reason}", archive.display())]
    Corrupt { archive: PathBuf, reason: String },
    /// One entry of an archive was refused.
    #[error("{}: entry {entry:?}: {reason}", archive.display())]
    Entry {
        archive: PathBuf,
        entry: String,
        reason: String,
    },
    /// The archive unpacks to more than the store's limit.
    #[error("{}: unpacked size exceeds the limit of {limit} bytes", archive.display())]
    TooLarge { archive: PathBuf, limit: u64 },
    /// A manifest, index or config file is malformed or names bad files.
    #[error("{}: {reason}", path.display())]
    Manifest { path: PathBuf, reason: String },
    /// A blob or layer does not match its recorded digest.
    #[error("{}: digest mismatch: expected {expected}, got {actual}", path.display())]
    Digest {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    /// The source is none of the supported formats.
    #[error("{}: unsupported source: {reason}", path.display())]
    Unsupported { path: PathBuf, reason: String },
    /// An image name breaks the naming rules.
    #[error("invalid image name {name:?}: {reason}")]
    InvalidName { name: String, reason: String },
    /// No image by that name (nor name:latest).
    #[error("no image named {name:?} (images: {})", if available.is_empty() { "none".to_string() } else { available.join(", ") })]
    NotFound {
        name: String,
        available: Vec<String>,
    },
    /// An image record in `images/` could not be parsed.
    #[error("{}: bad image record: {source}", path.display())]
    Record {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

impl ImageError {
    /// Shorthand for [`ImageError::Io`].
    pub(crate) fn io(path: impl Into<PathBuf>, op: &'static str, source: std::io::Error) -> Self {
        ImageError::Io {
            path: path.into(),
            op,
            source,
        }
    }

    /// Shorthand for [`ImageError::Entry`].
    pub(crate) fn entry(
        archive: impl Into<PathBuf>,
        entry: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        ImageError::Entry {
            archive: archive.into(),
            entry: entry.into(),
            reason: reason.into(),
        }
    }

    /// Shorthand for [`ImageError::Manifest`].
    pub(crate) fn manifest(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        ImageError::Manifest {
            path: path.into(),
            reason: reason.into(),
        }
    }
}
