//! `containerctl report DIR`: (re)draws the graphs of a run record or an
//! experiment directory from its CSVs and prints a short summary.

use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// A run record (experiments/<run-id>) or an experiment directory.
    pub dir: PathBuf,
}

pub fn run(args: ReportArgs) -> anyhow::Result<i32> {
    let pngs = record::redraw(&args.dir)?;
    let summary = record::summarise(&args.dir)?;
    println!("{summary}");
    for png in pngs {
        println!("graph: {}", png.display());
    }
    Ok(0)
}
