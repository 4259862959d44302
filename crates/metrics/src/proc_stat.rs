//! Parsing of the CPU lines of `/proc/stat` into cumulative jiffy counters.
//!
//! Only the aggregate `cpu` line and the per-CPU `cpuN` lines are read; every
//! other line (`intr`, `ctxt`, `btime`, `softirq`, ...) is ignored. Kernels
//! since 2.6.33 print ten fields (user nice system idle iowait irq softirq
//! steal guest guest_nice); very old ones print only four. At least four are
//! required, missing ones count as 0, and guest/guest_nice are checked but
//! dropped because the kernel already counts them inside user/nice. Parsing
//! borrows from the input and allocates nothing per field.

use std::collections::BTreeMap;

use crate::MetricsError;

pub use crate::utilisation::{Breakdown, Utilisation};

/// What parse errors call their input when the caller gave no path.
const WHAT: &str = "/proc/stat";

/// Cumulative CPU time in clock ticks (USER_HZ, normally 1/100 s).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CpuTimes {
    pub user: u64,
    pub nice: u64,
    pub system: u64,
    pub idle: u64,
    pub iowait: u64,
    pub irq: u64,
    pub softirq: u64,
    pub steal: u64,
}

impl CpuTimes {
    /// Time spent doing nothing: idle plus waiting for I/O.
    pub fn idle_all(&self) -> u64 {
        self.idle.saturating_add(self.iowait)
    }

    /// Sum of the eight fields (guest time is already inside user/nice).
    pub fn total(&self) -> u64 {
        self.as_array()
            .iter()
            .fold(0u64, |acc, v| acc.saturating_add(*v))
    }

    /// Time spent doing something: `total() - idle_all()`.
    pub fn busy(&self) -> u64 {
        self.total().saturating_sub(self.idle_all())
    }

    /// The fields in `/proc/stat` order.
    pub(crate) fn as_array(&self) -> [u64; 8] {
        [
            self.user,
            self.nice,
            self.system,
            self.idle,
            self.iowait,
            self.irq,
            self.softirq,
            self.steal,
        ]
    }

    pub(crate) fn from_array(f: [u64; 8]) -> CpuTimes {
        CpuTimes {
            user: f[0],
            nice: f[1],
            system: f[2],
            idle: f[3],
            iowait: f[4],
            irq: f[5],
            softirq: f[6],
            steal: f[7],
        }
    }
}

/// `(busy, total)` of one set of counters, for storing a compact snapshot.
pub fn busy_total(t: &CpuTimes) -> (u64, u64) {
    (t.busy(), t.total())
}

/// One reading of `/proc/stat`: the aggregate line and one entry per CPU
/// that is online (offline CPUs have no line).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ProcStat {
    pub total: CpuTimes,
    pub cpus: BTreeMap<u32, CpuTimes>,
}

/// Parses the text of `/proc/stat`.
///
/// Errors name the 1-based line: a CPU line with fewer than four fields, a
/// field that is not an unsigned integer, a CPU number that does not fit in
/// `u32`. Text with no aggregate `cpu` line is an error too (line 0).
pub fn parse_proc_stat(text: &str) -> Result<ProcStat, MetricsError> {
    let mut stat = ProcStat::default();
    fill(text, &mut stat)?;
    Ok(stat)
}

/// Like [`parse_proc_stat`] but fills `stat` in place, reusing its map nodes
/// when the set of CPUs has not changed (the sampler's steady state).
pub(crate) fn parse_proc_stat_into(text: &str, stat: &mut ProcStat) -> Result<(), MetricsError> {
    let seen = fill(text, stat)?;
    if seen != stat.cpus.len() {
        // A CPU went offline since the map was last filled: start afresh.
        stat.cpus.clear();
        fill(text, stat)?;
    }
    Ok(())
}

/// Writes every CPU line of `text` into `stat`, returning how many `cpuN`
/// lines there were. Entries of CPUs absent from `text` are left alone.
fn fill(text: &str, stat: &mut ProcStat) -> Result<usize, MetricsError> {
    let mut saw_total = false;
    let mut seen = 0usize;
    for (idx, line) in text.lines().enumerate() {
        let Some(rest) = line.strip_prefix("cpu") else {
            continue;
        };
        let line_no = idx + 1;
        let split = rest.find(|c: char| c.is_ascii_whitespace());
        let (label, values) = rest.split_at(split.unwrap_or(rest.len()));
        if label.is_empty() {
            stat.total = parse_times(values, line_no)?;
            saw_total = true;
        } else if label.bytes().all(|b| b.is_ascii_digit()) {
            let cpu: u32 = label.parse().map_err(|_| {
                MetricsError::parse(WHAT, line_no, format!("CPU number `{label}` is too large"))
            })?;
            let times = parse_times(values, line_no)?;
            match stat.cpus.get_mut(&cpu) {
                Some(slot) => *slot = times,
                None => {
                    stat.cpus.insert(cpu, times);
                }
            }
            seen += 1;
        }
    }
    if !saw_total {
        return Err(MetricsError::parse(WHAT, 0, "no aggregate `cpu` line"));
    }
    Ok(seen)
}

/// Parses the whitespace-separated counters after a `cpu`/`cpuN` label.
fn parse_times(values: &str, line_no: usize) -> Result<CpuTimes, MetricsError> {
    let mut fields = [0u64; 8];
    let mut count = 0usize;
    for token in values.split_ascii_whitespace() {
        let value: u64 = token.parse().map_err(|_| {
            MetricsError::parse(
                WHAT,
                line_no,
                format!("field {} `{token}` is not an unsigned integer", count + 1),
            )
        })?;
        if let Some(slot) = fields.get_mut(count) {
            *slot = value;
        }
        count += 1;
    }
    if count < 4 {
        return Err(MetricsError::parse(
            WHAT,
            line_no,
            format!("expected at least 4 numeric fields, found {count}"),
        ));
    }
    Ok(CpuTimes::from_array(fields))
}

#[cfg(test)]
mod tests;
