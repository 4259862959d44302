//! `containerctl spec FILE`: print the OCI runtime config.json that a
//! workload lowers to; this Spec is exactly what `run` executes.

use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct SpecArgs {
    /// Workload file (YAML).
    pub file: PathBuf,
}

pub fn run(args: SpecArgs) -> anyhow::Result<i32> {
    let workload = spec::load_workload(&args.file, &crate::host::facts()?)?;
    let oci = spec::lower(&workload)?;
    println!("{}", serde_json::to_string_pretty(&oci)?);
    Ok(0)
}
