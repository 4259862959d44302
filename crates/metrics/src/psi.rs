//! Pressure stall information (PSI): `/proc/pressure/{cpu,memory,io}` and
//! the cgroup v2 `cpu.pressure`/`memory.pressure`/`io.pressure` files.
//!
//! The format is one `some` line and, since Linux 5.13 for CPU (always for
//! memory and io), one `full` line:
//! `some avg10=4.00 avg60=9.62 avg300=10.11 total=162445431`. The averages
//! are percent of wall time stalled; `total` is cumulative microseconds.
//! Unknown keys and unknown line kinds are ignored so newer kernels parse.
//! Kernels booted with `psi=0` have the files but reading them fails with
//! EOPNOTSUPP; [`read_psi`] treats that, and a missing file, as "no PSI".

use std::io;
use std::path::Path;

use crate::error::{read_error, read_into};
use crate::MetricsError;

/// What parse errors call their input when the caller gave no path.
const WHAT: &str = "pressure file";

/// EOPNOTSUPP (== ENOTSUP) on Linux, returned when PSI is disabled.
const EOPNOTSUPP: i32 = 95;

/// One line of a pressure file.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct PsiLine {
    pub avg10: f64,
    pub avg60: f64,
    pub avg300: f64,
    pub total_us: u64,
}

/// A whole pressure file: `some` tasks stalled, and (where the kernel
/// reports it) `full`: all non-idle tasks stalled at once.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Psi {
    pub some: PsiLine,
    pub full: Option<PsiLine>,
}

/// Parses the text of a pressure file. The `some` line is required.
pub fn parse_psi(text: &str) -> Result<Psi, MetricsError> {
    let mut some = None;
    let mut full = None;
    for (idx, line) in text.lines().enumerate() {
        let mut tokens = line.split_ascii_whitespace();
        let slot = match tokens.next() {
            Some("some") => &mut some,
            Some("full") => &mut full,
            _ => continue,
        };
        *slot = Some(parse_line(tokens, idx + 1)?);
    }
    let some = some.ok_or_else(|| MetricsError::parse(WHAT, 0, "no `some` line"))?;
    Ok(Psi { some, full })
}

/// Parses the `key=value` pairs after `some`/`full`; all four keys must be
/// present.
fn parse_line<'a>(
    tokens: impl Iterator<Item = &'a str>,
    line_no: usize,
) -> Result<PsiLine, MetricsError> {
    let err = |message: String| MetricsError::parse(WHAT, line_no, message);
    let mut avgs: [Option<f64>; 3] = [None; 3];
    let mut total = None;
    for token in tokens {
        let Some((key, value)) = token.split_once('=') else {
            return Err(err(format!("`{token}` is not key=value")));
        };
        let index = match key {
            "avg10" => 0,
            "avg60" => 1,
            "avg300" => 2,
            "total" => {
                let v = value
                    .parse::<u64>()
                    .map_err(|_| err(format!("total `{value}` is not an unsigned integer")))?;
                total = Some(v);
                continue;
            }
            _ => continue,
        };
        let v = value
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| err(format!("{key} `{value}` is not a non-negative number")))?;
        avgs[index] = Some(v);
    }
    let missing = |key: &str| err(format!("missing {key}="));
    Ok(PsiLine {
        avg10: avgs[0].ok_or_else(|| missing("avg10"))?,
        avg60: avgs[1].ok_or_else(|| missing("avg60"))?,
        avg300: avgs[2].ok_or_else(|| missing("avg300"))?,
        total_us: total.ok_or_else(|| missing("total"))?,
    })
}

/// Reads and parses a pressure file. `Ok(None)` when the file does not
/// exist (old kernel, cgroup v1) or PSI is disabled (EOPNOTSUPP); any other
/// I/O failure is a `Read` error and bad text a `Parse` error naming `path`.
pub fn read_psi(path: &Path) -> Result<Option<Psi>, MetricsError> {
    let mut text = String::new();
    match read_into(path, &mut text) {
        Ok(()) => parse_psi(&text).map(Some).map_err(|e| e.at_path(path)),
        Err(e) if psi_absent(&e) => Ok(None),
        Err(e) => Err(read_error(path, e)),
    }
}

/// Whether an I/O error means "this kernel or cgroup has no PSI here".
fn psi_absent(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::Unsupported
    ) || e.raw_os_error() == Some(EOPNOTSUPP)
}

#[cfg(test)]
mod tests;
