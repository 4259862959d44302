//! Converters for the keys whose value is one YAML scalar (`cpu`, `memory`,
//! `pids`, `cpus`, `timeout`, `user`, GPU counts, `workdir`): each takes the
//! value as written and gives the typed value or a one-line message.

use crate::raw::{expected_for, RawScalar};
use crate::units::{
    cpu_millis_from_f64, format_size, parse_cpu_millis, parse_duration, parse_size,
};
use crate::values::{check_no_nul, parse_user};
use crate::workload::{CpuCount, HostFacts, UserSpec};
use crate::{cpulist, MIN_MEMORY};
use std::path::PathBuf;
use std::time::Duration;

/// "expected ..., got ..." for a value of the wrong kind.
pub fn wrong_kind(key: &str, got: &RawScalar) -> String {
    format!(
        "expected {}, got {got}",
        expected_for(key).unwrap_or("another kind of value")
    )
}

/// `cpu`: cores > 0 with at most 3 decimals, no more than the host has.
pub fn cpu_count(value: &RawScalar, host: &HostFacts) -> Result<CpuCount, String> {
    let millis = match value {
        RawScalar::Int(n) if *n <= 0 => return Err(format!("must be greater than 0, got {n}")),
        RawScalar::Int(n) => u64::try_from(*n)
            .ok()
            .and_then(|n| n.checked_mul(1000))
            .ok_or_else(|| format!("{n} is too large"))?,
        RawScalar::Float(x) => cpu_millis_from_f64(*x)?,
        RawScalar::Text(text) => parse_cpu_millis(text)?,
        RawScalar::Bool(_) => return Err(wrong_kind("cpu", value)),
    };
    if millis == 0 {
        return Err(format!("must be greater than 0, got {value}"));
    }
    let count = host.cpus.len() as u64;
    if millis > count.saturating_mul(1000) {
        return Err(format!(
            "asks for {} cores but only {count} CPUs are available ({})",
            CpuCount { millis }.cores(),
            available(&host.cpus)
        ));
    }
    Ok(CpuCount { millis })
}

/// A size in bytes: an integer, or text with a unit (`512M`).
pub fn memory_size(value: &RawScalar, key: &str) -> Result<u64, String> {
    match value {
        RawScalar::Int(n) => {
            u64::try_from(*n).map_err(|_| format!("must not be negative, got {n}"))
        }
        RawScalar::Text(text) => parse_size(text),
        RawScalar::Bool(_) | RawScalar::Float(_) => Err(wrong_kind(key, value)),
    }
}

/// `memory`: a size of at least [`MIN_MEMORY`].
pub fn memory(value: &RawScalar) -> Result<u64, String> {
    let bytes = memory_size(value, "memory")?;
    if bytes < MIN_MEMORY {
        return Err(format!(
            "must be at least {} ({MIN_MEMORY} bytes) for a workload to start, got {value}",
            format_size(MIN_MEMORY)
        ));
    }
    Ok(bytes)
}

/// A whole number ≥ 0 written as an integer or as digits in a string.
fn whole_number(value: &RawScalar, key: &str) -> Result<u128, String> {
    match value {
        RawScalar::Int(n) if *n < 0 => Err(format!("must not be negative, got {n}")),
        RawScalar::Int(n) => u128::try_from(*n).map_err(|_| wrong_kind(key, value)),
        RawScalar::Text(t)
            if !t.trim().is_empty() && t.trim().bytes().all(|b| b.is_ascii_digit()) =>
        {
            t.trim()
                .parse()
                .map_err(|_| format!("{value} is too large"))
        }
        _ => Err(wrong_kind(key, value)),
    }
}

/// A whole number ≥ 1 (`pids`).
pub fn positive_integer(value: &RawScalar, key: &str) -> Result<u64, String> {
    match whole_number(value, key)? {
        0 => Err("must be at least 1, got 0".to_string()),
        n => u64::try_from(n).map_err(|_| format!("{value} is too large")),
    }
}

/// A GPU count: `true` is 1, `false` is 0, or a whole number.
pub fn gpu_count(value: &RawScalar, key: &str) -> Result<u32, String> {
    match value {
        RawScalar::Bool(wanted) => Ok(u32::from(*wanted)),
        _ => u32::try_from(whole_number(value, key)?)
            .map_err(|_| format!("{value} is too many GPUs")),
    }
}

/// `cpus`: one CPU number or a CPU list, every CPU on the host.
pub fn cpus(value: &RawScalar, host: &HostFacts) -> Result<Vec<u32>, String> {
    let list = match value {
        RawScalar::Int(n) => {
            vec![u32::try_from(*n).map_err(|_| format!("{n} is not a CPU number"))?]
        }
        RawScalar::Text(text) => cpulist::parse(text)?,
        RawScalar::Bool(_) | RawScalar::Float(_) => return Err(wrong_kind("cpus", value)),
    };
    if list.is_empty() {
        return Err("must name at least one CPU".to_string());
    }
    let missing: Vec<u32> = list
        .iter()
        .copied()
        .filter(|c| host.cpus.binary_search(c).is_err())
        .collect();
    if !missing.is_empty() {
        let (noun, verb) = if missing.len() == 1 {
            ("CPU", "is")
        } else {
            ("CPUs", "are")
        };
        return Err(format!(
            "{noun} {} {verb} not available; available CPUs: {}",
            cpulist::format(&missing),
            available(&host.cpus)
        ));
    }
    Ok(list)
}

fn available(cpus: &[u32]) -> String {
    if cpus.is_empty() {
        "none".to_string()
    } else {
        cpulist::format(cpus)
    }
}

/// `timeout`: seconds (integer or float) or a duration text; at least 1ms.
pub fn timeout(value: &RawScalar) -> Result<Duration, String> {
    let duration = match value {
        RawScalar::Int(n) if *n <= 0 => return Err(format!("must be greater than 0, got {n}")),
        RawScalar::Int(n) => {
            Duration::from_secs(u64::try_from(*n).map_err(|_| format!("{n} is too long"))?)
        }
        RawScalar::Float(x) if *x <= 0.0 => return Err(format!("must be greater than 0, got {x}")),
        RawScalar::Float(x) => {
            Duration::try_from_secs_f64(*x).map_err(|_| wrong_kind("timeout", value))?
        }
        RawScalar::Text(text) => parse_duration(text)?,
        RawScalar::Bool(_) => return Err(wrong_kind("timeout", value)),
    };
    if duration.is_zero() {
        return Err(format!("must be greater than 0, got {value}"));
    }
    if duration < Duration::from_millis(1) {
        return Err(format!("must be at least 1ms, got {value}"));
    }
    Ok(duration)
}

/// `user`: a bare uid, or `uid[:gid]` text.
pub fn user(value: &RawScalar) -> Result<UserSpec, String> {
    match value {
        RawScalar::Int(n) => {
            let id = u32::try_from(*n)
                .map_err(|_| format!("{n} is not a valid uid (0 to {})", u32::MAX))?;
            Ok(UserSpec { uid: id, gid: id })
        }
        RawScalar::Text(text) => parse_user(text),
        RawScalar::Bool(_) | RawScalar::Float(_) => Err(wrong_kind("user", value)),
    }
}

/// `workdir`: an absolute path.
pub fn workdir(path: &str) -> Result<PathBuf, String> {
    check_no_nul(path)?;
    if !path.starts_with('/') {
        return Err(format!("must be an absolute path like /tmp, got `{path}`"));
    }
    Ok(PathBuf::from(path))
}
