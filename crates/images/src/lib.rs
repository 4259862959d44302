//! A local, content-addressed image store for `containerctl image
//! import|ls|rm` and for `image: NAME` in workloads. It imports plain rootfs
//! tarballs (optionally gzip'd), `docker save`/`podman save` archives, OCI
//! image layouts (as a directory or a tar of one) and plain rootfs
//! directories. Layers are stored unpacked under
//! `<root>/layers/sha256/<diff id>/`, with whiteouts already in overlayfs form
//! (char device 0:0, `trusted.overlay.opaque=y`), so they serve directly as
//! overlayfs lower dirs. One JSON record per image lives in
//! `<root>/images/`. Every archive is treated as hostile: entries may not
//! escape the unpack dir, go through symlinks, create devices, or exceed the
//! configured size limit.

mod digest;
mod dirtar;
mod docker;
mod error;
mod fsutil;
mod import;
mod name;
mod oci;
mod store;
mod unpack;

pub use error::ImageError;
pub use name::{record_file_name, validate_name};
pub use store::{InUse, Store, DEFAULT_LIMIT};

use serde::{Deserialize, Serialize};

/// One imported image, as stored in `<root>/images/<name>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Image {
    /// The image name, e.g. `busybox:latest`.
    pub name: String,
    /// `sha256:<hex>` of the config blob (or of the layer list for a plain
    /// rootfs tarball or directory).
    pub id: String,
    /// Diff ids (`sha256:<hex>` of each UNCOMPRESSED layer tar), bottom first.
    pub layers: Vec<String>,
    /// The process defaults the image carries.
    pub config: ImageConfig,
    /// Bytes of regular file data unpacked, summed over all layers.
    pub size: u64,
    /// "rootfs tarball", "docker archive", "OCI layout" or "directory".
    pub source: String,
}

/// The process defaults of an image (`config` in docker/OCI image configs).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageConfig {
    /// `KEY=value` entries.
    pub env: Vec<String>,
    /// The entrypoint argv prefix.
    pub entrypoint: Vec<String>,
    /// The default command (appended to the entrypoint).
    pub cmd: Vec<String>,
    /// The working directory, if set.
    pub working_dir: Option<String>,
    /// The user (`name`, `uid`, `uid:gid`), if set.
    pub user: Option<String>,
}

/// A progress report from [`Store::import`].
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// Bytes read so far of the file the stage reads (the source file, or
    /// the layer file inside an archive).
    pub done: u64,
    /// The size of that file, when known.
    pub total: Option<u64>,
    /// "scanning", "reading", "unpacking layer", "copying", "committing".
    pub stage: &'static str,
    /// `(n, of)` while unpacking layer n (1-based) of `of`.
    pub layer: Option<(usize, usize)>,
}

impl std::fmt::Display for Progress {
    /// Renders e.g. `unpacking layer 2/3: 1024/4096 bytes`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.stage)?;
        if let Some((n, of)) = self.layer {
            write!(f, " {n}/{of}")?;
        }
        match self.total {
            Some(t) => write!(f, ": {}/{t} bytes", self.done),
            None => write!(f, ": {} bytes", self.done),
        }
    }
}
