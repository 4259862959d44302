//! The plain-text form of a [`Summary`]: a few lines per run (span,
//! samples, per-core mean/peak, containers, placements) and, for an
//! experiment, the comparison table with the best policy per metric.

use std::fmt::{self, Display, Formatter};

use super::{best_policies, RunSummary, Summary};
use crate::rows::PolicyResult;

/// More cores than this are summarised rather than listed.
const LIST_CORES: usize = 16;

impl Display for Summary {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let kind = if self.run.is_none() {
            "experiment"
        } else {
            "record"
        };
        writeln!(f, "{kind} {}", self.dir.display())?;
        if let Some(run) = &self.run {
            write_run(f, run, "  ")?;
        }
        if !self.comparison.is_empty() {
            write_comparison(f, &self.comparison)?;
        }
        if !self.policies.is_empty() {
            writeln!(f, "policy records:")?;
            for (name, run) in &self.policies {
                writeln!(f, "  {name}/: {}", one_line(run))?;
            }
        }
        Ok(())
    }
}

/// "12.5 s" style durations.
fn secs(t: f64) -> String {
    format!("{t:.1} s")
}

/// Bytes in the largest fitting binary unit.
fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

fn span(run: &RunSummary) -> String {
    match run.span_s {
        Some((lo, hi)) => format!("{} – {} ({})", secs(lo), secs(hi), secs(hi - lo)),
        None => "no rows".to_string(),
    }
}

fn one_line(run: &RunSummary) -> String {
    let mean = if run.cores.is_empty() {
        String::new()
    } else {
        let m = run.cores.iter().map(|c| c.mean_pct).sum::<f64>() / run.cores.len() as f64;
        format!(", mean core utilisation {m:.1}%")
    };
    format!(
        "covered {}, {} samples, {} containers{mean}",
        span(run),
        run.samples,
        run.containers.len()
    )
}

fn write_run(f: &mut Formatter<'_>, run: &RunSummary, ind: &str) -> fmt::Result {
    writeln!(f, "{ind}covered {}, {} samples", span(run), run.samples)?;
    if run.cores.len() > LIST_CORES {
        let n = run.cores.len() as f64;
        let mean = run.cores.iter().map(|c| c.mean_pct).sum::<f64>() / n;
        let peak = run.cores.iter().map(|c| c.peak_pct).fold(0.0, f64::max);
        writeln!(f, "{ind}{} cores: mean {mean:.1}%, peak {peak:.1}%", n)?;
        let mut busiest: Vec<_> = run.cores.iter().collect();
        busiest.sort_by(|a, b| b.mean_pct.total_cmp(&a.mean_pct));
        let top: Vec<String> = busiest
            .iter()
            .take(5)
            .map(|c| format!("cpu{} {:.1}%", c.id, c.mean_pct))
            .collect();
        writeln!(f, "{ind}busiest (mean): {}", top.join(", "))?;
    } else if !run.cores.is_empty() {
        writeln!(f, "{ind}core utilisation (mean / peak):")?;
        for c in &run.cores {
            let name = format!("cpu{}", c.id);
            writeln!(
                f,
                "{ind}  {name:<6} {:>5.1}% / {:>5.1}%",
                c.mean_pct, c.peak_pct
            )?;
        }
    }
    if run.containers.is_empty() {
        return Ok(());
    }
    writeln!(f, "{ind}containers:")?;
    let width = run
        .containers
        .iter()
        .map(|c| c.name.len())
        .max()
        .unwrap_or(0);
    for c in &run.containers {
        let mut parts = Vec::new();
        if let Some(t) = c.start_s {
            parts.push(format!("start {}", secs(t)));
        }
        match (c.exit_s, &c.exit_detail) {
            (Some(t), Some(d)) => parts.push(format!("exit {} ({d})", secs(t))),
            (Some(t), None) => parts.push(format!("exit {}", secs(t))),
            (None, _) if c.start_s.is_some() => parts.push("no exit recorded".into()),
            (None, _) => {}
        }
        if let Some(m) = c.peak_memory_bytes {
            parts.push(format!("peak memory {}", bytes(m)));
        }
        if let Some(p) = c.peak_cpu_pct {
            parts.push(format!("peak CPU {p:.1}%"));
        }
        parts.extend(c.other_events.iter().cloned());
        writeln!(f, "{ind}  {:<width$}  {}", c.name, parts.join(", "))?;
    }
    writeln!(f, "{ind}placements:")?;
    for c in &run.containers {
        let mut parts = Vec::new();
        if let Some(cores) = &c.cores {
            let notes = if c.core_notes.is_empty() {
                String::new()
            } else {
                format!(" ({})", c.core_notes.join(", "))
            };
            parts.push(format!("cores {cores}{notes}"));
        }
        parts.extend(c.gpu.clone());
        if parts.is_empty() {
            parts.push("no placement recorded".into());
        }
        writeln!(f, "{ind}  {:<width$}  → {}", c.name, parts.join("; "))?;
    }
    Ok(())
}

fn write_comparison(f: &mut Formatter<'_>, results: &[PolicyResult]) -> fmt::Result {
    let w = results
        .iter()
        .map(|r| r.policy.len())
        .max()
        .unwrap_or(0)
        .max(6);
    writeln!(f, "comparison ({} policies):", results.len())?;
    writeln!(
        f,
        "  {:<w$}  {:>9}  {:>10}  {:>15}  {:>8}  {:>8}",
        "policy", "completed", "makespan s", "mean completion", "CPU %", "GPU frag"
    )?;
    for r in results {
        writeln!(
            f,
            "  {:<w$}  {:>9}  {:>10.1}  {:>15.1}  {:>7.1}%  {:>7.1}%",
            r.policy,
            format!("{}/{}", r.completed, r.jobs),
            r.makespan_s,
            r.mean_completion_s,
            r.cpu_utilisation_pct,
            r.gpu_fragmentation_pct
        )?;
    }
    for b in best_policies(results) {
        let tie = if b.policies.len() > 1 { " (tie)" } else { "" };
        writeln!(
            f,
            "  best {}: {} ({:.1}{}){tie}",
            b.metric,
            b.policies.join(", "),
            b.value,
            b.unit
        )?;
    }
    Ok(())
}
