//! Exit codes of containerctl itself, distinct per kind of failure, and the
//! mapping from an error to its code.

/// Bad input: a workload file that does not validate, or bad arguments.
pub const USAGE: i32 = 2;

/// The cores or GPUs asked for are not free now (and `--wait` was not given).
pub const UNAVAILABLE: i32 = 3;

/// A bad combination of command-line arguments (exit code [`USAGE`]).
#[derive(Debug)]
pub struct BadUsage(pub String);

impl std::fmt::Display for BadUsage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadUsage {}

/// The exit code for an error that stopped containerctl.
pub fn code_for(error: &anyhow::Error) -> i32 {
    if error.downcast_ref::<spec::SpecError>().is_some()
        || error.downcast_ref::<BadUsage>().is_some()
    {
        return USAGE;
    }
    if let Some(e) = error.downcast_ref::<images::ImageError>() {
        return match e {
            // The store itself could not be read or written.
            images::ImageError::Io { .. } | images::ImageError::Record { .. } => {
                runtime::EXIT_RUNTIME_FAILURE
            }
            // A name, an archive or an image that is not usable: bad input.
            _ => USAGE,
        };
    }
    if let Some(e) = error.downcast_ref::<sched::SchedError>() {
        return match e {
            sched::SchedError::CpusUnavailable { .. }
            | sched::SchedError::GpusUnavailable { .. } => UNAVAILABLE,
            sched::SchedError::Conflict(_) => runtime::EXIT_RUNTIME_FAILURE,
            _ => USAGE,
        };
    }
    if let Some(e) = error.downcast_ref::<crate::lifecycle::detach::MonitorFailure>() {
        return e.code;
    }
    if let Some(e) = error.downcast_ref::<runtime::RuntimeError>() {
        return e.exit_code();
    }
    runtime::EXIT_RUNTIME_FAILURE
}
