//! `containerctl validate FILE`: parse and check a workload file (or a file
//! of several, `containers:`) without running it; exit 0 and a one-line
//! summary per workload, or the error (file:line:column) and 2.

use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Workload file (YAML).
    pub file: PathBuf,
}

pub fn run(args: ValidateArgs) -> anyhow::Result<i32> {
    let batch = spec::load_batch(&args.file, &crate::host::facts()?)?;
    for workload in &batch {
        let name = match (&workload.name, batch.len()) {
            (Some(name), 2..) => format!(" {name}"),
            _ => String::new(),
        };
        println!(
            "{}{name}: ok ({})",
            args.file.display(),
            super::decision_log::summary(workload)
        );
    }
    Ok(0)
}
