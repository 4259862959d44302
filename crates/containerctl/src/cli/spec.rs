//! `containerctl spec FILE`: print the OCI runtime config.json that a
//! workload lowers to (its `image:` resolved against the store); this Spec
//! is what `run` executes, before placement adds the cpuset and GPUs.

use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct SpecArgs {
    /// Workload file (YAML).
    pub file: PathBuf,
}

pub fn run(globals: &super::Globals, args: SpecArgs) -> anyhow::Result<i32> {
    let mut workload = spec::load_workload(&args.file, &crate::host::facts()?)?;
    super::resolve_image::resolve(&globals.image_root, &mut workload)?;
    let oci = spec::lower(&workload)?;
    println!("{}", serde_json::to_string_pretty(&oci)?);
    Ok(0)
}
