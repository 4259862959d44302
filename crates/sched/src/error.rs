//! The crate's one error type, [`SchedError`]: unreadable or malformed
//! topology/inventory text, unknown policy names, and requests that cannot
//! be placed (naming what is free, so the refusal is actionable).

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SchedError {
    /// A file under the sysfs root (or an inventory file) could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A file's text is not what the kernel (or the inventory format) writes.
    #[error("{}: {message}", path.display())]
    Parse { path: PathBuf, message: String },

    /// A policy name that is not one of `known`.
    #[error("unknown {kind} policy {name:?}: expected one of {known}")]
    UnknownPolicy {
        kind: &'static str,
        name: String,
        known: &'static str,
    },

    /// A CPU request that the free cores cannot meet.
    #[error("cannot place {request}: {free}")]
    CpusUnavailable { request: String, free: String },

    /// A GPU request that the free GPUs cannot meet.
    #[error("cannot place {request}: {free}")]
    GpusUnavailable { request: String, free: String },

    /// A placement that would hand out a core or GPU memory twice.
    #[error("ledger conflict: {0}")]
    Conflict(String),

    /// A trace file or generator parameter that is not usable.
    #[error("trace: {0}")]
    Trace(String),
}
