//! `containerctl ps`: the containers under the state root, like `docker
//! ps`: id, name, status (created, running, paused, exited (code), OOM
//! killed, dead when the monitor is gone), cores, GPUs, uptime. Running
//! ones only unless `-a`; `-q` (the global quiet flag) prints only ids; `--format json` the full state.

use comfy_table::{presets::NOTHING, Table};
use runtime::store::{now_ms, ContainerState, Status};

use super::Globals;
use crate::lifecycle;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct PsArgs {
    /// Show every container, exited ones too.
    #[arg(short, long)]
    pub all: bool,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn run(globals: &Globals, args: PsArgs) -> anyhow::Result<i32> {
    let (states, broken) = lifecycle::store_of(globals).list()?;
    for e in broken {
        tracing::warn!(step = "ps", "{e}");
    }
    let shown: Vec<(ContainerState, Status)> = states
        .into_iter()
        .map(|s| {
            let status = lifecycle::status_of(&s);
            (s, status)
        })
        .filter(|(s, _)| args.all || s.is_live())
        .collect();
    // `ps -q` is the global -q/--quiet: only the ids.
    if globals.quiet {
        for (s, _) in &shown {
            println!("{}", runtime::short_id(&s.id));
        }
    } else if args.format == Format::Json {
        let rows: Vec<serde_json::Value> = shown.iter().map(|(s, st)| json_row(s, *st)).collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        println!("{}", table(&shown));
    }
    Ok(0)
}

fn json_row(state: &ContainerState, status: Status) -> serde_json::Value {
    let mut value = serde_json::to_value(state).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.insert("status".into(), status.to_string().into());
    }
    value
}

fn table(shown: &[(ContainerState, Status)]) -> Table {
    let mut table = Table::new();
    table.load_preset(NOTHING).set_header(vec![
        "CONTAINER ID",
        "NAME",
        "STATUS",
        "CORES",
        "GPU",
        "UPTIME",
        "COMMAND",
    ]);
    for (s, status) in shown {
        table.add_row(vec![
            runtime::short_id(&s.id).to_string(),
            s.name.clone(),
            status.to_string(),
            list_or_dash(&spec::cpulist::format(&s.cpus)),
            list_or_dash(
                &s.gpus
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            uptime(s, *status),
            command(&s.command),
        ]);
    }
    table
}

fn list_or_dash(text: &str) -> String {
    if text.is_empty() {
        "-".into()
    } else {
        text.into()
    }
}

/// How long it has run, or how long ago it exited.
fn uptime(s: &ContainerState, status: Status) -> String {
    let now = now_ms();
    match (status, s.started_ms, s.finished_ms) {
        (Status::Running | Status::Paused, Some(started), _) => {
            format!("up {}", human(now.saturating_sub(started)))
        }
        (_, _, Some(finished)) => format!("{} ago", human(now.saturating_sub(finished))),
        _ => "-".into(),
    }
}

/// A duration in the largest fitting unit: 42s, 3m, 2h, 5d.
pub fn human(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86399 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86400),
    }
}

fn command(args: &[String]) -> String {
    let text = args.join(" ");
    if text.chars().count() > 30 {
        format!("{}…", text.chars().take(29).collect::<String>())
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_the_largest_unit() {
        assert_eq!(human(999), "0s");
        assert_eq!(human(59_000), "59s");
        assert_eq!(human(61_000), "1m");
        assert_eq!(human(7_200_000), "2h");
        assert_eq!(human(3 * 86_400_000), "3d");
    }

    #[test]
    fn long_commands_are_cut() {
        assert_eq!(command(&["sleep".into(), "1".into()]), "sleep 1");
        let long = vec!["x".repeat(40)];
        assert_eq!(command(&long).chars().count(), 30);
    }
}
