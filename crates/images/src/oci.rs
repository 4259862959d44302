//! Reading an OCI image layout directory: `oci-layout` marks it,
//! `index.json` points at a manifest (following one level of nested index,
//! preferring the host platform), the manifest at the config and layer
//! blobs under `blobs/sha256/<hex>`. Blob digests are verified.

use crate::digest::of_bytes;
use crate::docker::{parse_config, read_in};
use crate::import::{LayerFile, Parsed};
use crate::ImageError;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    #[serde(default)]
    media_type: String,
    digest: String,
    #[serde(default)]
    annotations: HashMap<String, String>,
    platform: Option<Platform>,
}

#[derive(Deserialize, Clone)]
struct Platform {
    architecture: String,
    os: String,
}

#[derive(Deserialize)]
struct Index {
    manifests: Vec<Descriptor>,
}

#[derive(Deserialize)]
struct Manifest {
    config: Descriptor,
    layers: Vec<Descriptor>,
}

const REF_NAME: &str = "org.opencontainers.image.ref.name";
const CONTAINERD_NAME: &str = "io.containerd.image.name";

fn is_index(media_type: &str) -> bool {
    media_type.ends_with("image.index.v1+json") || media_type.ends_with("manifest.list.v2+json")
}

/// `blobs/sha256/<hex>` for a digest, refusing anything but sha256 hex.
fn blob_name(dir: &Path, digest: &str) -> Result<String, ImageError> {
    match digest.strip_prefix("sha256:") {
        Some(h) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Ok(format!("blobs/sha256/{h}"))
        }
        _ => Err(ImageError::manifest(
            dir.join("index.json"),
            format!("unsupported digest {digest:?}"),
        )),
    }
}

/// Reads the blob of `digest` and checks its digest.
fn read_blob(dir: &Path, digest: &str) -> Result<(PathBuf, Vec<u8>), ImageError> {
    let (path, bytes) = read_in(dir, &blob_name(dir, digest)?)?;
    let actual = of_bytes(&bytes);
    if actual != digest {
        return Err(ImageError::Digest {
            path,
            expected: digest.to_string(),
            actual,
        });
    }
    Ok((path, bytes))
}

fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// The name a descriptor's annotations give, if any.
fn annotated_name(d: &Descriptor) -> Option<String> {
    if let Some(n) = d.annotations.get(CONTAINERD_NAME) {
        return Some(n.clone());
    }
    d.annotations.get(REF_NAME).cloned()
}

/// Reads the OCI layout at `dir`. With `want`, picks the manifest whose
/// ref name is `want`, else the first.
pub(crate) fn parse(dir: &Path, want: Option<&str>) -> Result<Parsed, ImageError> {
    read_in(dir, "oci-layout")?;
    let (ipath, bytes) = read_in(dir, "index.json")?;
    let index: Index = serde_json::from_slice(&bytes)
        .map_err(|e| ImageError::manifest(&ipath, format!("bad index: {e}")))?;
    let top = want
        .and_then(|w| {
            let n = Some(w.to_string());
            index.manifests.iter().find(|d| annotated_name(d) == n)
        })
        .or(index.manifests.first())
        .ok_or_else(|| ImageError::manifest(&ipath, "index lists no manifests"))?;
    let mut desc = top.clone();
    if is_index(&desc.media_type) {
        let (path, bytes) = read_blob(dir, &desc.digest)?;
        let nested: Index = serde_json::from_slice(&bytes)
            .map_err(|e| ImageError::manifest(&path, format!("bad nested index: {e}")))?;
        let host = |d: &&Descriptor| {
            d.platform
                .as_ref()
                .is_some_and(|p| p.os == "linux" && p.architecture == host_arch())
        };
        desc = nested
            .manifests
            .iter()
            .find(host)
            .or(nested.manifests.first())
            .cloned()
            .ok_or_else(|| ImageError::manifest(&path, "nested index lists no manifests"))?;
        if is_index(&desc.media_type) {
            return Err(ImageError::manifest(
                &path,
                "index nested more than one level",
            ));
        }
    }
    let (mpath, bytes) = read_blob(dir, &desc.digest)?;
    let manifest: Manifest = serde_json::from_slice(&bytes)
        .map_err(|e| ImageError::manifest(&mpath, format!("bad manifest: {e}")))?;
    let (cpath, cbytes) = read_blob(dir, &manifest.config.digest)?;
    let (config, diff_ids) = parse_config(&cpath, &cbytes)?;
    let mut layers = Vec::new();
    for layer in &manifest.layers {
        let path = read_in_path(dir, &layer.digest)?;
        layers.push(LayerFile {
            path,
            digest: Some(layer.digest.clone()),
        });
    }
    // A bare tag ("latest") as ref name means "<file stem>:<tag>"; leave
    // that to the caller's fallback by only keeping full names.
    let name = annotated_name(top).filter(|n| n.contains(':') || n.contains('/'));
    Ok(Parsed {
        name,
        id: manifest.config.digest.clone(),
        config,
        diff_ids,
        layers,
        source: "OCI layout",
    })
}

fn read_in_path(dir: &Path, digest: &str) -> Result<PathBuf, ImageError> {
    let name = blob_name(dir, digest)?;
    crate::fsutil::resolve_in(dir, &name).map_err(|r| ImageError::manifest(dir.join(&name), r))
}
