//! Keeps the ledger's CPU load sample fresh: reads /proc/stat, and either
//! reuses the stored sample (a burst of decisions), replaces it (compared
//! with the stored counters), or samples twice [`MIN_SAMPLE_MS`] apart when
//! there is no usable earlier sample.
//!
//! [`MIN_SAMPLE_MS`]: sched::place::MIN_SAMPLE_MS

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use sched::place::{next_load, snapshot_between, LoadStep, MIN_SAMPLE_MS};
use sched::Ledger;

/// Per CPU (busy, total) ticks from /proc/stat now.
pub fn read_raw() -> anyhow::Result<BTreeMap<u32, (u64, u64)>> {
    let stat = metrics::read_proc_stat(Path::new("/proc"))?;
    Ok(stat
        .cpus
        .iter()
        .map(|(&cpu, times)| (cpu, (times.busy(), times.total())))
        .collect())
}

/// Brings `ledger.load` up to date for a decision now.
pub fn refresh(ledger: &mut Ledger) -> anyhow::Result<()> {
    let raw = read_raw()?;
    match next_load(ledger.load.as_ref(), &raw, super::now_ms()) {
        LoadStep::Reuse => {}
        LoadStep::Replace(snapshot) => ledger.load = Some(snapshot),
        LoadStep::SampleAgain => {
            std::thread::sleep(Duration::from_millis(MIN_SAMPLE_MS));
            ledger.load = Some(snapshot_between(&raw, read_raw()?, super::now_ms()));
        }
    }
    Ok(())
}
