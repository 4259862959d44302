//! Reading an extracted `docker save` / `podman save` archive: the
//! top-level `manifest.json` names the config file, the repo tags and the
//! layer tars; every named file is resolved inside the archive dir (never
//! outside it). Also the image config parsing shared with OCI layouts.

use crate::digest::of_bytes;
use crate::fsutil::resolve_in;
use crate::import::{LayerFile, Parsed};
use crate::{ImageConfig, ImageError};
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ManifestEntry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct ProcessConfig {
    env: Option<Vec<String>>,
    entrypoint: Option<Vec<String>>,
    cmd: Option<Vec<String>>,
    working_dir: Option<String>,
    user: Option<String>,
}

#[derive(Deserialize)]
struct RootFs {
    #[serde(default)]
    diff_ids: Vec<String>,
}

#[derive(Deserialize)]
struct ConfigFile {
    config: Option<ProcessConfig>,
    rootfs: Option<RootFs>,
}

/// Reads the file `name` inside `dir`, refusing paths that leave it.
pub(crate) fn read_in(dir: &Path, name: &str) -> Result<(PathBuf, Vec<u8>), ImageError> {
    let path = resolve_in(dir, name).map_err(|r| ImageError::manifest(dir.join(name), r))?;
    let bytes = std::fs::read(&path).map_err(|e| ImageError::io(&path, "read", e))?;
    Ok((path, bytes))
}

/// Parses an image config blob into the process defaults and diff ids.
pub(crate) fn parse_config(
    path: &Path,
    bytes: &[u8],
) -> Result<(ImageConfig, Option<Vec<String>>), ImageError> {
    let file: ConfigFile = serde_json::from_slice(bytes)
        .map_err(|e| ImageError::manifest(path, format!("bad image config: {e}")))?;
    let p = file.config.unwrap_or_default();
    let nonempty = |s: Option<String>| s.filter(|s| !s.is_empty());
    let config = ImageConfig {
        env: p.env.unwrap_or_default(),
        entrypoint: p.entrypoint.unwrap_or_default(),
        cmd: p.cmd.unwrap_or_default(),
        working_dir: nonempty(p.working_dir),
        user: nonempty(p.user),
    };
    let diff_ids = file.rootfs.map(|r| r.diff_ids).filter(|d| !d.is_empty());
    Ok((config, diff_ids))
}

/// Reads the docker-archive extracted at `dir`. With `want`, picks the
/// manifest entry tagged `want`, else the first.
pub(crate) fn parse(dir: &Path, want: Option<&str>) -> Result<Parsed, ImageError> {
    let (mpath, bytes) = read_in(dir, "manifest.json")?;
    let entries: Vec<ManifestEntry> = serde_json::from_slice(&bytes)
        .map_err(|e| ImageError::manifest(&mpath, format!("bad manifest: {e}")))?;
    let tags = |e: &ManifestEntry| e.repo_tags.clone().unwrap_or_default();
    let entry = want
        .and_then(|w| entries.iter().find(|e| tags(e).iter().any(|t| t == w)))
        .or(entries.first())
        .ok_or_else(|| ImageError::manifest(&mpath, "manifest lists no images"))?;
    let (cpath, cbytes) = read_in(dir, &entry.config)?;
    let (config, diff_ids) = parse_config(&cpath, &cbytes)?;
    let mut layers = Vec::new();
    for name in &entry.layers {
        let path = resolve_in(dir, name)
            .map_err(|r| ImageError::manifest(&mpath, format!("layer {name:?}: {r}")))?;
        // docker >= 25 stores layers as OCI blobs: their names are digests.
        let digest = name
            .strip_prefix("blobs/sha256/")
            .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            .map(|h| format!("sha256:{h}"));
        layers.push(LayerFile { path, digest });
    }
    Ok(Parsed {
        name: tags(entry).into_iter().find(|t| !t.contains("<none>")),
        id: of_bytes(&cbytes),
        config,
        diff_ids,
        layers,
        source: "docker archive",
    })
}
