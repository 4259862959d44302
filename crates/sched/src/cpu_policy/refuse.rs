//! The words of a CPU refusal: which CPUs are free and which placements
//! hold the others ("0 held exclusively by web", "1 used by api"), so a
//! user can see what to stop or what to ask for instead.

use std::collections::BTreeSet;

use super::view::View;
use crate::ledger::Ledger;
use crate::topology::{format_cpulist, Topology};
use crate::SchedError;

/// A refusal for `request` that names the free CPUs and who holds the rest.
pub(super) fn refusal(
    topo: &Topology,
    ledger: &Ledger,
    view: &View,
    request: String,
    cands: &[usize],
    exclusive: bool,
) -> SchedError {
    let cpus = topo.cpus();
    let free: Vec<u32> = cands.iter().map(|&i| cpus[i].id).collect();
    let mut text = match free.len() {
        0 => "no core is free".to_string(),
        1 => format!("only 1 core is free: {}", format_cpulist(&free)),
        k => format!("only {k} cores are free: {}", format_cpulist(&free)),
    };
    let blocked: BTreeSet<u32> = (0..cpus.len())
        .filter(|&i| view.cpus[i].exclusive || (exclusive && view.cpus[i].used))
        .map(|i| cpus[i].id)
        .collect();
    let held = holders(ledger, &blocked, exclusive);
    if !held.is_empty() {
        text = format!("{text} ({})", held.join("; "));
    }
    SchedError::CpusUnavailable {
        request,
        free: text,
    }
}

/// "0-1 held exclusively by web", "2 used by api" for each placement that
/// holds some of `blocked` (only exclusive holders unless `exclusive`);
/// at most six, then "and N more".
pub(super) fn holders(ledger: &Ledger, blocked: &BTreeSet<u32>, exclusive: bool) -> Vec<String> {
    const SHOWN: usize = 6;
    let mut lines = Vec::new();
    for p in ledger.placements.values() {
        // Only exclusive holders block a shared request; pinned ones also
        // block an exclusive request; the shared pool blocks nothing.
        if !p.cpu.exclusive && (!exclusive || !p.cpu.pinned) {
            continue;
        }
        let held: Vec<u32> = p
            .cpu
            .cpus
            .iter()
            .copied()
            .filter(|c| blocked.contains(c))
            .collect();
        if held.is_empty() {
            continue;
        }
        let how = if p.cpu.exclusive {
            "held exclusively by"
        } else {
            "used by"
        };
        let who = if p.name.is_empty() { &p.id } else { &p.name };
        lines.push(format!("{} {how} {who}", format_cpulist(&held)));
    }
    if lines.len() > SHOWN {
        let more = lines.len() - SHOWN;
        lines.truncate(SHOWN);
        lines.push(format!("and {more} more"));
    }
    lines
}

/// 1500 → "1.5", 250 → "0.25".
pub(super) fn fmt_millis(millis: u64) -> String {
    let text = format!("{}.{:03}", millis / 1000, millis % 1000);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}
