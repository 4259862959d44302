//! `inspect ID…`: everything known about containers as a JSON array: the
//! recorded state (name, status, placement, PID 1, monitor, times, exit
//! status), the Spec it runs, its cgroup paths with the pids in them and
//! their counters, and where its files are.

use runtime::store;

use super::Globals;
use crate::lifecycle::target::Target;

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    #[arg(required = true, value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

pub fn run(globals: &Globals, args: InspectArgs) -> anyhow::Result<i32> {
    let mut all = Vec::new();
    for query in &args.containers {
        all.push(describe(&Target::find(globals, query)?)?);
    }
    println!("{}", serde_json::to_string_pretty(&all)?);
    Ok(0)
}

fn describe(target: &Target) -> anyhow::Result<serde_json::Value> {
    let dir = target.store.dir(target.id());
    let spec = std::fs::read_to_string(dir.join(store::CONFIG_FILE))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok());
    let cgroup = target
        .state
        .is_live()
        .then(|| target.cgroup())
        .transpose()?;
    let pids = cgroup
        .as_ref()
        .and_then(|c| c.pids().ok())
        .unwrap_or_default();
    let stats = cgroup.as_ref().and_then(|c| c.stats().ok());
    let mut value = serde_json::to_value(&target.state)?;
    if let Some(map) = value.as_object_mut() {
        map.insert("status".into(), target.status().to_string().into());
        map.insert("pids".into(), serde_json::to_value(pids)?);
        map.insert(
            "cgroup_stats".into(),
            serde_json::to_value(stats.map(stats_json))?,
        );
        map.insert("dir".into(), dir.display().to_string().into());
        if target.state.detached {
            map.insert(
                "log".into(),
                dir.join(store::LOG_FILE).display().to_string().into(),
            );
        }
        map.insert("spec".into(), spec.unwrap_or_default());
    }
    Ok(value)
}

fn stats_json(s: cgroups::Stats) -> serde_json::Value {
    serde_json::json!({
        "cpu_usage_us": s.cpu_usage_us,
        "memory_current": s.memory_current,
        "memory_max": s.memory_max,
        "memory_peak": s.memory_peak,
        "pids_current": s.pids_current,
        "oom_kills": s.oom_kills,
        "nr_throttled": s.nr_throttled,
    })
}
