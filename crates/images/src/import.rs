//! `Store::import`: detects the source format (by content, never by file
//! name), stages it (an outer docker/OCI archive is first extracted safely
//! into the work dir and then read as a directory; a rootfs directory is
//! first turned into a deterministic tar), unpacks each layer into the work
//! dir while hashing it, then under the store lock moves new layers into
//! `layers/`, writes the record last and frees layers no image uses. Any
//! failure drops the work dir, leaving neither a record nor a layer.

use crate::digest::{of_file, open_source};
use crate::name::{name_from_path, validate_name};
use crate::store::{Store, TmpDir};
use crate::unpack::{unpack, Budget, Mode};
use crate::{dirtar, docker, oci, Image, ImageConfig, ImageError, Progress};
use std::fs;
use std::path::{Path, PathBuf};

/// A layer file inside an extracted archive.
pub(crate) struct LayerFile {
    pub(crate) path: PathBuf,
    /// The expected `sha256:<hex>` of the (possibly compressed) file.
    pub(crate) digest: Option<String>,
}

/// What a docker-archive or OCI layout says about its image.
pub(crate) struct Parsed {
    pub(crate) name: Option<String>,
    pub(crate) id: String,
    pub(crate) config: ImageConfig,
    /// `rootfs.diff_ids` of the config, when present.
    pub(crate) diff_ids: Option<Vec<String>>,
    pub(crate) layers: Vec<LayerFile>,
    pub(crate) source: &'static str,
}

/// The layout formats, recognised by their marker file.
#[derive(Clone, Copy)]
enum Layout {
    Docker,
    Oci,
}

fn marker(rel: &Path) -> Option<Layout> {
    match rel.to_str()? {
        "manifest.json" => Some(Layout::Docker),
        "oci-layout" => Some(Layout::Oci),
        _ => None,
    }
}

impl Store {
    /// Imports `source` under `name` (default: the name in the archive, else
    /// the file stem), reporting progress; see the crate docs for formats.
    pub fn import(
        &self,
        source: &Path,
        name: Option<&str>,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Image, ImageError> {
        if let Some(n) = name {
            validate_name(n)?;
        }
        let work = self.tmp_dir()?;
        let meta = fs::metadata(source).map_err(|e| ImageError::io(source, "stat", e))?;
        let layout = if meta.is_dir() {
            let has = |f: &str| fs::symlink_metadata(source.join(f)).is_ok();
            if has("manifest.json") {
                Some((Layout::Docker, source.to_path_buf()))
            } else if has("oci-layout") {
                Some((Layout::Oci, source.to_path_buf()))
            } else {
                let tar = work.0.join("rootfs.tar");
                dirtar::write(source, &tar, progress)?;
                return self.import_rootfs(&tar, source, "directory", name, work, progress);
            }
        } else {
            match scan(source, progress)? {
                None => {
                    return self.import_rootfs(
                        source,
                        source,
                        "rootfs tarball",
                        name,
                        work,
                        progress,
                    )
                }
                Some(kind) => {
                    let outer = work.0.join("outer");
                    fs::create_dir(&outer).map_err(|e| ImageError::io(&outer, "create", e))?;
                    let stream = open_source(source, "reading", None, &mut *progress)?;
                    let mut budget = self.budget();
                    unpack(stream, source, &outer, Mode::Outer, &mut budget)?;
                    Some((kind, outer))
                }
            }
        };
        let Some((kind, dir)) = layout else {
            return Err(ImageError::Unsupported {
                path: source.to_path_buf(),
                reason: "unrecognised".into(),
            });
        };
        let parsed = match kind {
            Layout::Docker => docker::parse(&dir, name)?,
            Layout::Oci => oci::parse(&dir, name)?,
        };
        let mut budget = self.budget();
        let mut layers = Vec::new();
        let mut size = 0;
        let count = parsed.layers.len();
        for (i, layer) in parsed.layers.iter().enumerate() {
            if let Some(expected) = &layer.digest {
                let actual = of_file(&layer.path)?;
                if &actual != expected {
                    return Err(ImageError::Digest {
                        path: layer.path.clone(),
                        expected: expected.clone(),
                        actual,
                    });
                }
            }
            let dest = work.0.join(format!("layer-{i}"));
            fs::create_dir(&dest).map_err(|e| ImageError::io(&dest, "create", e))?;
            let stream = open_source(
                &layer.path,
                "unpacking layer",
                Some((i + 1, count)),
                &mut *progress,
            )?;
            let got = unpack(stream, &layer.path, &dest, Mode::Layer, &mut budget)?;
            if let Some(expected) = parsed.diff_ids.as_ref().and_then(|d| d.get(i)) {
                if *expected != got.diff_id {
                    return Err(ImageError::Digest {
                        path: layer.path.clone(),
                        expected: expected.clone(),
                        actual: got.diff_id,
                    });
                }
            }
            size += got.size;
            layers.push((got.diff_id, dest));
        }
        if let Some(d) = &parsed.diff_ids {
            if d.len() != count {
                return Err(ImageError::manifest(
                    &dir,
                    format!("config lists {} diff ids for {count} layers", d.len()),
                ));
            }
        }
        let archive_name = parsed.name.filter(|n| validate_name(n).is_ok());
        let image = Image {
            name: pick_name(name, archive_name, source),
            id: parsed.id,
            layers: layers.iter().map(|(d, _)| d.clone()).collect(),
            config: parsed.config,
            size,
            source: parsed.source.to_string(),
        };
        self.commit(image, &layers, work)
    }

    fn budget(&self) -> Budget {
        Budget {
            used: 0,
            limit: self.limit,
        }
    }

    /// Imports the rootfs tar at `tar` (named `label` in errors) as one layer.
    fn import_rootfs(
        &self,
        tar: &Path,
        label: &Path,
        kind: &'static str,
        name: Option<&str>,
        work: TmpDir,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Image, ImageError> {
        let dest = work.0.join("layer-0");
        fs::create_dir(&dest).map_err(|e| ImageError::io(&dest, "create", e))?;
        let stream = open_source(tar, "unpacking layer", Some((1, 1)), &mut *progress)?;
        let got = unpack(stream, label, &dest, Mode::Layer, &mut self.budget())?;
        if got.entries == 0 {
            return Err(ImageError::Unsupported {
                path: label.to_path_buf(),
                reason: "empty archive or directory".into(),
            });
        }
        let image = Image {
            name: pick_name(name, None, label),
            id: crate::digest::of_bytes(got.diff_id.as_bytes()),
            layers: vec![got.diff_id.clone()],
            config: ImageConfig::default(),
            size: got.size,
            source: kind.to_string(),
        };
        self.commit(image, &[(got.diff_id, dest)], work)
    }

    /// Moves new layers into place, writes the record, frees unused layers.
    fn commit(
        &self,
        image: Image,
        layers: &[(String, PathBuf)],
        work: TmpDir,
    ) -> Result<Image, ImageError> {
        let _lock = self.lock()?;
        for (diff_id, dir) in layers {
            let dest = self.layer_path(diff_id);
            if dest.exists() {
                continue;
            }
            if let Err(e) = fs::rename(dir, &dest) {
                if !dest.exists() {
                    return Err(ImageError::io(&dest, "rename", e));
                }
            }
        }
        self.write_record(&image, &work.0)?;
        self.collect_garbage()?;
        drop(work);
        Ok(image)
    }
}

fn pick_name(given: Option<&str>, archive: Option<String>, source: &Path) -> String {
    match (given, archive) {
        (Some(n), _) => n.to_string(),
        (None, Some(n)) => n,
        (None, None) => name_from_path(source),
    }
}

/// Reads the entry names of the archive at `path` until a layout marker
/// (top-level `manifest.json` or `oci-layout`) turns up.
fn scan(path: &Path, progress: &mut dyn FnMut(Progress)) -> Result<Option<Layout>, ImageError> {
    let corrupt = |e: std::io::Error| ImageError::Corrupt {
        archive: path.to_path_buf(),
        reason: e.to_string(),
    };
    let stream = open_source(path, "scanning", None, progress)?;
    let mut ar = tar::Archive::new(stream);
    for entry in ar.entries().map_err(corrupt)? {
        let entry = entry.map_err(corrupt)?;
        let raw = entry.path().map_err(corrupt)?;
        if let Ok(rel) = crate::fsutil::normalize(&raw) {
            if let Some(kind) = marker(&rel) {
                return Ok(Some(kind));
            }
        }
    }
    Ok(None)
}
