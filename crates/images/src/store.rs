//! The store on disk: `<root>/layers/sha256/<hex>/` (unpacked layers),
//! `<root>/images/<record>.json` (one record per image), `<root>/tmp/`
//! (per-import work dirs, removed on drop; stale ones of dead processes are
//! removed on open) and `<root>/lock` (an flock held while layers are
//! committed, records written and unused layers collected).

use crate::name::record_file_name;
use crate::{Image, ImageError};
use nix::fcntl::{Flock, FlockArg};
use std::collections::HashSet;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Default cap on bytes unpacked by one import: 32 GiB.
pub const DEFAULT_LIMIT: u64 = 32 << 30;

/// A local image store rooted at one directory.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
    pub(crate) limit: u64,
}

/// A per-import work dir under `<root>/tmp/`, removed with everything left
/// in it when dropped.
pub(crate) struct TmpDir(pub(crate) PathBuf);

impl Drop for TmpDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The file running containers hold a shared lock on (see [`Store::hold`]).
const IN_USE: &str = "in-use";

/// The store's layers are in use while this lives.
#[derive(Debug)]
pub struct InUse(#[allow(dead_code)] Flock<File>);

impl Store {
    /// Opens (creating) a store with the default 32 GiB import limit.
    pub fn open(root: &Path) -> Result<Store, ImageError> {
        Store::with_limit(root, DEFAULT_LIMIT)
    }

    /// Opens (creating) a store whose imports may unpack at most `limit`
    /// bytes (file data plus 512 bytes per entry).
    pub fn with_limit(root: &Path, limit: u64) -> Result<Store, ImageError> {
        let store = Store {
            root: root.to_path_buf(),
            limit,
        };
        for dir in [store.layers_dir(), store.images_dir(), store.tmp_root()] {
            fs::create_dir_all(&dir).map_err(|e| ImageError::io(&dir, "create", e))?;
        }
        // Layers hold the images' own setuid files and devices-to-be: only
        // root may reach them (the containers see them through overlayfs).
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(root, fs::Permissions::from_mode(0o700))
            .map_err(|e| ImageError::io(root, "chmod", e))?;
        store.clean_stale_tmp();
        Ok(store)
    }

    /// The store's root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    pub(crate) fn layers_dir(&self) -> PathBuf {
        self.root.join("layers").join("sha256")
    }

    fn images_dir(&self) -> PathBuf {
        self.root.join("images")
    }

    fn tmp_root(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// The unpacked dir of a layer given its diff id.
    pub(crate) fn layer_path(&self, diff_id: &str) -> PathBuf {
        self.layers_dir()
            .join(diff_id.strip_prefix("sha256:").unwrap_or(diff_id))
    }

    /// The overlay lower dirs of `image`, TOP layer first.
    /// A layer that appears twice (the common empty layer) is given once,
    /// at its topmost place: overlayfs refuses a lower dir listed twice, and
    /// the upper copy supersedes everything the lower one does.
    pub fn lower_dirs(&self, image: &Image) -> Vec<PathBuf> {
        let mut seen = std::collections::HashSet::new();
        image
            .layers
            .iter()
            .rev()
            .filter(|l| seen.insert(l.as_str()))
            .map(|l| self.layer_path(l))
            .collect()
    }

    /// Removes work dirs whose creating process (the `<pid>-` prefix) is gone.
    fn clean_stale_tmp(&self) {
        let Ok(entries) = fs::read_dir(self.tmp_root()) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let pid = name.split('-').next().unwrap_or("");
            let alive = !pid.is_empty() && Path::new("/proc").join(pid).exists();
            if !alive {
                let _ = fs::remove_dir_all(entry.path());
                let _ = fs::remove_file(entry.path());
            }
        }
    }

    /// Creates a fresh work dir `<root>/tmp/<pid>-<n>-<nanos>`.
    pub(crate) fn tmp_dir(&self) -> Result<TmpDir, ImageError> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = self
            .tmp_root()
            .join(format!("{}-{n}-{nanos}", std::process::id()));
        fs::create_dir(&path).map_err(|e| ImageError::io(&path, "create", e))?;
        Ok(TmpDir(path))
    }

    /// Takes the store's exclusive lock (released on drop).
    pub(crate) fn lock(&self) -> Result<Flock<File>, ImageError> {
        self.flock("lock", FlockArg::LockExclusive)
    }

    fn flock(&self, name: &str, how: FlockArg) -> Result<Flock<File>, ImageError> {
        let path = self.root.join(name);
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| ImageError::io(&path, "open", e))?;
        Flock::lock(file, how).map_err(|(_, e)| ImageError::io(&path, "flock", e.into()))
    }

    /// Marks the store's layers as in use (a container runs on them) until
    /// the guard is dropped: no layer is deleted meanwhile, even if its
    /// image is removed or replaced (a later `remove` frees it).
    pub fn hold(&self) -> Result<InUse, ImageError> {
        Ok(InUse(self.flock(IN_USE, FlockArg::LockShared)?))
    }

    fn record_path(&self, name: &str) -> PathBuf {
        self.images_dir().join(record_file_name(name))
    }

    /// Writes `image`'s record via a temp file in `work` and a rename.
    /// Call with the lock held.
    pub(crate) fn write_record(&self, image: &Image, work: &Path) -> Result<(), ImageError> {
        let tmp = work.join("record.json");
        let text = serde_json::to_vec_pretty(image).map_err(|e| ImageError::Record {
            path: tmp.clone(),
            source: e,
        })?;
        fs::write(&tmp, text).map_err(|e| ImageError::io(&tmp, "write", e))?;
        let dest = self.record_path(&image.name);
        fs::rename(&tmp, &dest).map_err(|e| ImageError::io(&dest, "rename", e))
    }

    /// Every image in the store, sorted by name.
    pub fn list(&self) -> Result<Vec<Image>, ImageError> {
        let dir = self.images_dir();
        let entries = fs::read_dir(&dir).map_err(|e| ImageError::io(&dir, "read dir", e))?;
        let mut images = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| ImageError::io(&dir, "read dir", e))?;
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "json") {
                let text = fs::read(&path).map_err(|e| ImageError::io(&path, "read", e))?;
                let image = serde_json::from_slice(&text)
                    .map_err(|e| ImageError::Record { path, source: e })?;
                images.push(image);
            }
        }
        images.sort_by(|a: &Image, b| a.name.cmp(&b.name));
        Ok(images)
    }

    /// The image named exactly `name`, else `name:latest`.
    pub fn get(&self, name: &str) -> Result<Image, ImageError> {
        let images = self.list()?;
        let latest = format!("{name}:latest");
        let found = images.iter().find(|i| i.name == name).or_else(|| {
            images
                .iter()
                .find(|i| !name.contains(':') && i.name == latest)
        });
        match found {
            Some(image) => Ok(image.clone()),
            None => Err(ImageError::NotFound {
                name: name.to_string(),
                available: images.into_iter().map(|i| i.name).collect(),
            }),
        }
    }

    /// Removes the image record, then every layer no remaining image uses;
    /// returns how many layers were freed (none while any container runs
    /// on the store's layers: see [`Store::hold`]).
    pub fn remove(&self, name: &str) -> Result<usize, ImageError> {
        let _lock = self.lock()?;
        let image = self.get(name)?;
        let path = self.record_path(&image.name);
        fs::remove_file(&path).map_err(|e| ImageError::io(&path, "remove", e))?;
        self.collect_garbage()
    }

    /// Removes every layer dir no record refers to; returns the count.
    /// Call with the lock held.
    pub(crate) fn collect_garbage(&self) -> Result<usize, ImageError> {
        // Running containers hold the in-use lock shared: then nothing goes.
        let _idle = match self.flock(IN_USE, FlockArg::LockExclusiveNonblock) {
            Ok(lock) => lock,
            Err(ImageError::Io { source, .. })
                if source.raw_os_error() == Some(libc::EWOULDBLOCK) =>
            {
                return Ok(0)
            }
            Err(e) => return Err(e),
        };
        let used: HashSet<PathBuf> = self
            .list()?
            .iter()
            .flat_map(|i| i.layers.iter().map(|l| self.layer_path(l)))
            .collect();
        let dir = self.layers_dir();
        let entries = fs::read_dir(&dir).map_err(|e| ImageError::io(&dir, "read dir", e))?;
        let mut freed = 0;
        for entry in entries {
            let path = entry
                .map_err(|e| ImageError::io(&dir, "read dir", e))?
                .path();
            if !used.contains(&path) {
                fs::remove_dir_all(&path).map_err(|e| ImageError::io(&path, "remove", e))?;
                freed += 1;
            }
        }
        Ok(freed)
    }
}
