//! Reader adapters for the import pipeline: [`SourceReader`] counts the bytes read from a file and reports progress;
//! [`TarHasher`] hashes the uncompressed tar stream (the diff id) and
//! remembers how many zero bytes it ended with, to tell a complete tar from
//! one cut at a block boundary. [`open_source`] stacks them, gunzipping when
//! the file starts with the gzip magic.

use crate::{ImageError, Progress};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

/// How often (in bytes) progress is reported.
const REPORT_EVERY: u64 = 1 << 20;

/// `sha256:<hex>` of `hasher`'s input.
pub(crate) fn finish(hasher: Sha256) -> String {
    format!("sha256:{}", hex::encode(hasher.finalize()))
}

/// `sha256:<hex>` of `bytes`.
pub(crate) fn of_bytes(bytes: &[u8]) -> String {
    finish(Sha256::new_with_prefix(bytes))
}

/// Counts the bytes read from a source file and reports progress.
pub(crate) struct SourceReader<'p> {
    inner: File,
    done: u64,
    last: u64,
    report: Box<dyn FnMut(u64) + 'p>,
}

impl Read for SourceReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        if self.done - self.last >= REPORT_EVERY || n == 0 {
            self.last = self.done;
            (self.report)(self.done);
        }
        Ok(n)
    }
}

/// Hashes the uncompressed tar stream and tracks its trailing zeros.
pub(crate) struct TarHasher<R> {
    inner: R,
    pub(crate) hasher: Sha256,
    pub(crate) len: u64,
    pub(crate) trailing_zeros: u64,
}

impl<R: Read> Read for TarHasher<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let chunk = &buf[..n];
        self.hasher.update(chunk);
        self.len += n as u64;
        match chunk.iter().rposition(|b| *b != 0) {
            Some(last) => self.trailing_zeros = (n - last - 1) as u64,
            None => self.trailing_zeros += n as u64,
        }
        Ok(n)
    }
}

impl<R: Read> TarHasher<R> {
    /// Reads what the tar parser left (end blocks, padding) so the hash
    /// covers the whole stream, then checks the stream ended with an
    /// end-of-archive block.
    pub(crate) fn drain(&mut self, archive: &Path) -> Result<(), ImageError> {
        io::copy(self, &mut io::sink()).map_err(|e| ImageError::Corrupt {
            archive: archive.to_path_buf(),
            reason: e.to_string(),
        })?;
        if self.len > 0 && self.trailing_zeros < 512 {
            return Err(ImageError::Corrupt {
                archive: archive.to_path_buf(),
                reason: "no end-of-archive block (truncated?)".into(),
            });
        }
        Ok(())
    }
}

/// The decompressed stream of a (possibly gzip'd) tar file.
pub(crate) type TarStream<'p> = TarHasher<Box<dyn Read + 'p>>;

/// Opens `path` as a tar stream, gunzipping if it starts with 1f 8b.
/// `progress` receives reports tagged with `stage` and `layer`.
pub(crate) fn open_source<'p>(
    path: &Path,
    stage: &'static str,
    layer: Option<(usize, usize)>,
    progress: &'p mut dyn FnMut(Progress),
) -> Result<TarStream<'p>, ImageError> {
    let file = File::open(path).map_err(|e| ImageError::io(path, "open", e))?;
    let total = file.metadata().ok().map(|m| m.len());
    let report = Box::new(move |done| {
        progress(Progress {
            done,
            total,
            stage,
            layer,
        })
    });
    let source = SourceReader {
        inner: file,
        done: 0,
        last: 0,
        report,
    };
    let mut buffered = BufReader::with_capacity(1 << 16, source);
    let head = buffered
        .fill_buf()
        .map_err(|e| ImageError::io(path, "read", e))?;
    let inner: Box<dyn Read + 'p> = if head.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::bufread::MultiGzDecoder::new(buffered))
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        return Err(ImageError::Unsupported {
            path: path.to_path_buf(),
            reason: "zstd compression is not supported".into(),
        });
    } else {
        Box::new(buffered)
    };
    Ok(TarHasher {
        inner,
        hasher: Sha256::new(),
        len: 0,
        trailing_zeros: 0,
    })
}

/// `sha256:<hex>` of the whole file at `path`.
pub(crate) fn of_file(path: &Path) -> Result<String, ImageError> {
    let mut file = File::open(path).map_err(|e| ImageError::io(path, "open", e))?;
    let mut hasher = Sha256::new();
    io::copy(&mut file, &mut hasher).map_err(|e| ImageError::io(path, "read", e))?;
    Ok(finish(hasher))
}
