//! `containerctl image import FILE [--name NAME]`, `image ls`, `image rm
//! NAME…`: the local image store (`--image-root`, default
//! /var/lib/containerctl/images). Import shows a progress bar on a
//! terminal and nothing otherwise.

use std::io::IsTerminal;
use std::path::PathBuf;

use comfy_table::{presets::UTF8_BORDERS_ONLY, Table};
use indicatif::{ProgressBar, ProgressStyle};

use super::Globals;

#[derive(Debug, clap::Subcommand)]
pub enum ImageCommand {
    /// Import a rootfs tarball (.tar, .tar.gz), a `docker save` / `podman save`
    /// archive, an OCI image layout (directory or archive), or a rootfs directory.
    Import(ImportArgs),
    /// List the images in the store.
    #[command(alias = "list")]
    Ls(LsArgs),
    /// Remove images (and the layers no other image uses).
    Rm(RmArgs),
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    pub file: PathBuf,
    /// Name to store it under (default: the name in the archive, else the file name).
    #[arg(long)]
    pub name: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct LsArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct RmArgs {
    #[arg(required = true)]
    pub names: Vec<String>,
}

pub fn run(globals: &Globals, command: ImageCommand) -> anyhow::Result<i32> {
    let store = images::Store::open(&globals.image_root)?;
    match command {
        ImageCommand::Import(args) => import(&store, &args),
        ImageCommand::Ls(args) => list(&store, &args),
        ImageCommand::Rm(args) => {
            for name in &args.names {
                let freed = store.remove(name)?;
                println!("removed {name} ({freed} layer(s) freed; layers are kept while containers run on the store)");
            }
            Ok(0)
        }
    }
}

fn import(store: &images::Store, args: &ImportArgs) -> anyhow::Result<i32> {
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::new(0)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{msg:>20} [{bar:40}] {bytes}/{total_bytes} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let mut progress = |p: images::Progress| {
        if let Some(total) = p.total {
            bar.set_length(total);
        }
        bar.set_position(p.done);
        bar.set_message(match p.layer {
            Some((n, of)) => format!("{} {n}/{of}", p.stage),
            None => p.stage.to_string(),
        });
    };
    let result = store.import(&args.file, args.name.as_deref(), &mut progress);
    bar.finish_and_clear();
    let img = result?;
    println!(
        "imported {} ({}, {} layer(s), {}) as {}",
        args.file.display(),
        img.source,
        img.layers.len(),
        size(img.size),
        img.name
    );
    Ok(0)
}

fn list(store: &images::Store, args: &LsArgs) -> anyhow::Result<i32> {
    let images = store.list()?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&images)?);
        return Ok(0);
    }
    let mut table = Table::new();
    table
        .load_preset(UTF8_BORDERS_ONLY)
        .set_header(vec!["NAME", "ID", "LAYERS", "SIZE", "SOURCE"]);
    for img in &images {
        let id = img.id.trim_start_matches("sha256:");
        table.add_row(vec![
            img.name.clone(),
            id.chars().take(12).collect(),
            img.layers.len().to_string(),
            size(img.size),
            img.source.clone(),
        ]);
    }
    println!("{table}");
    Ok(0)
}

fn size(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / 1048576.0)
}
