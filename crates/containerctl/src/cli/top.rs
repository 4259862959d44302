//! `containerctl top` (alias `stats`, optionally of some containers only): a live view of every core's
//! utilisation and of every running container of ours (from the ledger):
//! cores, GPUs, CPU %, memory, pids, like `docker stats`. Redraws in place
//! on a terminal; prints one table per interval otherwise.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use comfy_table::{presets::UTF8_BORDERS_ONLY, Table};
use metrics::CpuSampler;

use super::Globals;
use crate::recorder::UsageRates;

#[derive(Debug, clap::Args)]
pub struct TopArgs {
    /// Seconds between refreshes.
    #[arg(long, short = 'i', default_value_t = 1.0, value_name = "SECS")]
    pub interval: f64,
    /// Stop after this many refreshes (default: until Ctrl-C).
    #[arg(long, short = 'n', value_name = "N")]
    pub iterations: Option<u64>,
    /// Print one table and stop (as `-n 1`).
    #[arg(long, conflicts_with = "iterations")]
    pub no_stream: bool,
    /// Only these containers (ids, id prefixes or names).
    #[arg(value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

pub fn run(globals: &Globals, args: TopArgs) -> anyhow::Result<i32> {
    let interval = Duration::try_from_secs_f64(args.interval)
        .ok()
        .filter(|d| *d >= Duration::from_millis(50))
        .with_context(|| format!("--interval {}: give at least 0.05 seconds", args.interval))?;
    let layout = cgroups::detect()?;
    let mut cores = CpuSampler::new(Path::new("/proc"))?;
    let mut rates = UsageRates::default();
    let terminal = std::io::stdout().is_terminal();
    let only = chosen(globals, &args.containers)?;
    let iterations = if args.no_stream {
        Some(1)
    } else {
        args.iterations
    };
    let ledger_now = || {
        let mut ledger = crate::place::live_ledger(&globals.state_root);
        if let Some(ids) = &only {
            ledger.placements.retain(|id, _| ids.contains(id));
            ledger.waiting.retain(|id, _| ids.contains(id));
        }
        ledger
    };
    // A first reading, so that the first table already has CPU rates.
    container_table(&ledger_now(), &layout, &globals.cgroup_parent, &mut rates);
    let mut shown = 0;
    while iterations.is_none_or(|n| shown < n) {
        std::thread::sleep(interval);
        let sample = cores.sample()?;
        let ledger = ledger_now();
        rates.keep_only(ledger.placements.keys().map(String::as_str));
        let mut frame = core_table(&sample.utilisation.per_cpu).to_string();
        frame.push('\n');
        frame.push_str(
            &container_table(&ledger, &layout, &globals.cgroup_parent, &mut rates).to_string(),
        );
        if terminal {
            print!("\x1b[2J\x1b[H");
        }
        println!("{frame}");
        shown += 1;
    }
    Ok(0)
}

/// The ids of the containers named, or None for all of them.
fn chosen(globals: &Globals, names: &[String]) -> anyhow::Result<Option<Vec<String>>> {
    if names.is_empty() {
        return Ok(None);
    }
    let store = crate::lifecycle::store_of(globals);
    let ids = names
        .iter()
        .map(|n| store.resolve(n))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(ids))
}

fn core_table(per_cpu: &std::collections::BTreeMap<u32, f64>) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_BORDERS_ONLY)
        .set_header(vec!["CPU", "UTIL %", ""]);
    for (cpu, pct) in per_cpu {
        let bar = "█".repeat((pct / 5.0).round() as usize);
        table.add_row(vec![format!("cpu{cpu}"), format!("{pct:5.1}"), bar]);
    }
    table
}

fn container_table(
    ledger: &sched::Ledger,
    layout: &cgroups::Layout,
    parent: &str,
    rates: &mut UsageRates,
) -> Table {
    let mut table = Table::new();
    table.load_preset(UTF8_BORDERS_ONLY).set_header(vec![
        "CONTAINER",
        "NAME",
        "CORES",
        "GPU",
        "CPU %",
        "MEM USAGE / LIMIT",
        "PIDS",
    ]);
    for p in ledger.placements.values() {
        let stats = cgroups::open(layout, parent, &p.id).stats().ok();
        let cpu = stats
            .as_ref()
            .and_then(|s| rates.percent(&p.id, s.cpu_usage_us));
        let gpus: Vec<String> = p.gpus.iter().map(|g| g.gpu.to_string()).collect();
        table.add_row(vec![
            runtime::short_id(&p.id).to_string(),
            p.name.clone(),
            format!(
                "{}{}",
                spec::cpulist::format(&p.cpu.cpus),
                if p.cpu.exclusive { " (excl)" } else { "" }
            ),
            if gpus.is_empty() {
                "-".into()
            } else {
                gpus.join(",")
            },
            cpu.map_or_else(|| "-".into(), |c| format!("{c:.1}")),
            stats
                .as_ref()
                .map_or_else(|| "-".into(), |s| memory(s.memory_current, s.memory_max)),
            stats
                .as_ref()
                .map_or_else(|| "-".into(), |s| s.pids_current.to_string()),
        ]);
    }
    for (id, w) in &ledger.waiting {
        let waited = crate::place::now_ms().saturating_sub(w.since_ms) as f64 / 1000.0;
        table.add_row(vec![
            runtime::short_id(id).to_string(),
            w.name.clone(),
            format!("waiting {waited:.0} s for {}", w.request),
        ]);
    }
    if ledger.placements.is_empty() && ledger.waiting.is_empty() {
        table.add_row(vec!["(no containers running)"]);
    }
    table
}

fn memory(current: u64, max: Option<u64>) -> String {
    let mib = |b: u64| format!("{:.1} MiB", b as f64 / 1048576.0);
    format!(
        "{} / {}",
        mib(current),
        max.map_or_else(|| "unlimited".into(), mib)
    )
}
