//! Keeps the ledger's CPU load sample fresh: reads /proc/stat, and either
//! reuses the stored sample (a burst of decisions), replaces it (compared
//! with the stored counters), or asks for two readings [`MIN_SAMPLE_MS`]
//! apart when there is no usable earlier sample, taken without holding the
//! ledger lock.
//!
//! [`MIN_SAMPLE_MS`]: sched::place::MIN_SAMPLE_MS

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use sched::place::{next_load, snapshot_between, LoadStep, MIN_SAMPLE_MS};
use sched::{Ledger, LoadSnapshot};

/// Per CPU (busy, total) ticks.
pub type Raw = BTreeMap<u32, (u64, u64)>;

/// Per CPU (busy, total) ticks from /proc/stat now.
pub fn read_raw() -> anyhow::Result<Raw> {
    let stat = metrics::read_proc_stat(Path::new("/proc"))?;
    Ok(stat
        .cpus
        .iter()
        .map(|(&cpu, times)| (cpu, (times.busy(), times.total())))
        .collect())
}

/// Brings `ledger.load` up to date with `raw`, read just now, or with
/// `fresh`, a sample taken since the last call. Returns `Some(raw)` when a
/// new sample is needed: the caller releases the lock, calls
/// [`sample_after`] with it and tries again.
pub fn refresh(ledger: &mut Ledger, raw: Raw, fresh: Option<LoadSnapshot>) -> Option<Raw> {
    match next_load(ledger.load.as_ref(), &raw, super::now_ms()) {
        LoadStep::Reuse => None,
        LoadStep::Replace(snapshot) => {
            ledger.load = Some(snapshot);
            None
        }
        LoadStep::SampleAgain => match fresh {
            Some(snapshot) => {
                ledger.load = Some(snapshot);
                None
            }
            None => Some(raw),
        },
    }
}

/// The utilisation over the next [`MIN_SAMPLE_MS`], from `before`.
pub fn sample_after(before: &Raw) -> anyhow::Result<LoadSnapshot> {
    std::thread::sleep(Duration::from_millis(MIN_SAMPLE_MS));
    Ok(snapshot_between(before, read_raw()?, super::now_ms()))
}
