//! `containerctl validate FILE`: parse and check a workload without running
//! it; exit 0 and a one-line summary, or the error (file:line:column) and 2.

use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Workload file (YAML).
    pub file: PathBuf,
}

pub fn run(args: ValidateArgs) -> anyhow::Result<i32> {
    let workload = spec::load_workload(&args.file, &crate::host::facts()?)?;
    println!(
        "{}: ok ({})",
        args.file.display(),
        super::run::summary(&workload)
    );
    Ok(0)
}
