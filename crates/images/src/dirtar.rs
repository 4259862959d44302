//! Turns a rootfs directory into a deterministic tar, which is then
//! unpacked like any layer; the layer's diff id is therefore the sha256 of
//! this tar. The walk never follows symlinks and visits entries sorted by
//! name bytes; each entry gets a GNU header with mode, uid, gid, mtime and
//! size only (atime/ctime stay zero), long names use GNU extensions, files
//! seen again through another link become hardlink entries, and device
//! nodes and sockets are skipped (the runtime mounts its own /dev).

use crate::{ImageError, Progress};
use std::collections::HashMap;
use std::fs::{self, File, Metadata};
use std::io::{self, BufWriter};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use tar::{Builder, EntryType, Header};

struct Walk<'a> {
    src: PathBuf,
    builder: Builder<BufWriter<File>>,
    links: HashMap<(u64, u64), PathBuf>,
    done: u64,
    progress: &'a mut dyn FnMut(Progress),
}

/// Writes the deterministic tar of `src` to `out`.
pub(crate) fn write(
    src: &Path,
    out: &Path,
    progress: &mut dyn FnMut(Progress),
) -> Result<(), ImageError> {
    let file = File::create(out).map_err(|e| ImageError::io(out, "create", e))?;
    let mut walk = Walk {
        src: src.to_path_buf(),
        builder: Builder::new(BufWriter::new(file)),
        links: HashMap::new(),
        done: 0,
        progress,
    };
    walk.dir(Path::new(""))?;
    let inner = walk
        .builder
        .into_inner()
        .map_err(|e| ImageError::io(out, "write", e))?;
    inner
        .into_inner()
        .map_err(|e| ImageError::io(out, "write", e.into_error()))?;
    Ok(())
}

fn header(meta: &Metadata, kind: EntryType, size: u64) -> Header {
    let mut h = Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(meta.mode() & 0o7777);
    h.set_uid(u64::from(meta.uid()));
    h.set_gid(u64::from(meta.gid()));
    h.set_mtime(u64::try_from(meta.mtime()).unwrap_or(0));
    h.set_size(size);
    h
}

impl Walk<'_> {
    fn dir(&mut self, rel: &Path) -> Result<(), ImageError> {
        let abs = self.src.join(rel);
        let mut names: Vec<_> = fs::read_dir(&abs)
            .and_then(|d| d.map(|e| e.map(|e| e.file_name())).collect())
            .map_err(|e| ImageError::io(&abs, "read dir", e))?;
        names.sort();
        for name in names {
            self.entry(&rel.join(name))?;
        }
        Ok(())
    }

    fn entry(&mut self, rel: &Path) -> Result<(), ImageError> {
        let abs = self.src.join(rel);
        let err = |op, e| ImageError::io(&abs, op, e);
        let meta = abs.symlink_metadata().map_err(|e| err("stat", e))?;
        let ft = meta.file_type();
        if ft.is_dir() {
            let mut h = header(&meta, EntryType::Directory, 0);
            self.builder
                .append_data(&mut h, rel, io::empty())
                .map_err(|e| err("archive", e))?;
            return self.dir(rel);
        }
        if ft.is_symlink() {
            let target = fs::read_link(&abs).map_err(|e| err("readlink", e))?;
            let mut h = header(&meta, EntryType::Symlink, 0);
            return self
                .builder
                .append_link(&mut h, rel, target)
                .map_err(|e| err("archive", e));
        }
        if ft.is_fifo() {
            let mut h = header(&meta, EntryType::Fifo, 0);
            return self
                .builder
                .append_data(&mut h, rel, io::empty())
                .map_err(|e| err("archive", e));
        }
        if !ft.is_file() {
            return Ok(()); // devices and sockets
        }
        let key = (meta.dev(), meta.ino());
        if meta.nlink() > 1 {
            if let Some(first) = self.links.get(&key).cloned() {
                let mut h = header(&meta, EntryType::Link, 0);
                return self
                    .builder
                    .append_link(&mut h, rel, first)
                    .map_err(|e| err("archive", e));
            }
            self.links.insert(key, rel.to_path_buf());
        }
        let file = File::open(&abs).map_err(|e| err("open", e))?;
        let mut h = header(&meta, EntryType::Regular, meta.len());
        // A file that changes size while copied would corrupt the tar.
        let mut reader = io::Read::take(file, meta.len());
        self.builder
            .append_data(&mut h, rel, &mut reader)
            .map_err(|e| err("archive", e))?;
        self.done += meta.len();
        (self.progress)(Progress {
            done: self.done,
            total: None,
            stage: "copying",
            layer: None,
        });
        Ok(())
    }
}
