//! Test helpers: build tar archives entry by entry (raw header names, so
//! hostile names like `../x` or `/etc/x` can be written), gzip them,
//! assemble docker-archive and OCI layouts, and check a store was left
//! clean after a failed import.
#![allow(dead_code)]

use flate2::{write::GzEncoder, Compression};
use images::Store;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;
use tar::{Builder, EntryType, Header};

pub fn sha(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

pub fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// A tar under construction; every entry is written with a raw header.
pub struct T(Builder<Vec<u8>>);

impl T {
    pub fn new() -> T {
        T(Builder::new(Vec::new()))
    }
    pub fn raw(mut self, name: &str, kind: EntryType, link: &str, data: &[u8], mode: u32) -> T {
        let mut h = Header::new_gnu();
        {
            let old = h.as_old_mut();
            old.name[..name.len()].copy_from_slice(name.as_bytes());
            old.linkname[..link.len()].copy_from_slice(link.as_bytes());
        }
        h.set_entry_type(kind);
        h.set_size(data.len() as u64);
        h.set_mode(mode);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(1_600_000_000);
        h.set_cksum();
        self.0.append(&h, data).unwrap();
        self
    }
    pub fn file(self, name: &str, data: &[u8]) -> T {
        self.raw(name, EntryType::Regular, "", data, 0o644)
    }
    pub fn owned(mut self, name: &str, data: &[u8], mode: u32, uid: u64, gid: u64) -> T {
        let mut h = Header::new_gnu();
        h.set_path(name).unwrap();
        h.set_size(data.len() as u64);
        h.set_mode(mode);
        h.set_uid(uid);
        h.set_gid(gid);
        h.set_cksum();
        self.0.append(&h, data).unwrap();
        self
    }
    pub fn dir(self, name: &str) -> T {
        self.raw(name, EntryType::Directory, "", b"", 0o755)
    }
    pub fn symlink(self, name: &str, target: &str) -> T {
        self.raw(name, EntryType::Symlink, target, b"", 0o777)
    }
    pub fn link(self, name: &str, target: &str) -> T {
        self.raw(name, EntryType::Link, target, b"", 0o644)
    }
    pub fn done(self) -> Vec<u8> {
        self.0.into_inner().unwrap()
    }
}

/// An outer archive holding `files` (name, bytes).
pub fn archive(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut t = T::new();
    for (name, data) in files {
        t = t.file(name, data);
    }
    t.done()
}

pub fn config_json(diff_ids: &[String]) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/bin", "A=b"], "Entrypoint": null, "Cmd": ["/bin/sh", "-c", "true"],
                   "WorkingDir": "/work", "User": "1000:1000"},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }))
    .unwrap()
}

/// A `docker save` archive of `layers` (uncompressed tars; those at the
/// indices in `gzipped` are stored gzip'd) tagged `tags`.
pub fn docker_archive(layers: &[Vec<u8>], gzipped: &[usize], tags: &[&str]) -> Vec<u8> {
    let diff_ids: Vec<String> = layers.iter().map(|l| sha(l)).collect();
    let config = config_json(&diff_ids);
    let cname = format!("{}.json", &sha(&config)[7..]);
    let mut files = vec![];
    let mut names = vec![];
    for (i, l) in layers.iter().enumerate() {
        let name = format!("{}/layer.tar", &diff_ids[i][7..19]);
        let data = if gzipped.contains(&i) {
            gz(l)
        } else {
            l.clone()
        };
        files.push((name.clone(), data));
        names.push(name);
    }
    let manifest = json!([{"Config": cname, "RepoTags": tags, "Layers": names}]);
    files.push((cname, config));
    files.push((
        "manifest.json".into(),
        serde_json::to_vec(&manifest).unwrap(),
    ));
    let refs: Vec<(&str, Vec<u8>)> = files.iter().map(|(n, d)| (n.as_str(), d.clone())).collect();
    archive(&refs)
}

fn blob(dir: &Path, bytes: &[u8]) -> serde_json::Value {
    let d = sha(bytes);
    std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
    std::fs::write(dir.join("blobs/sha256").join(&d[7..]), bytes).unwrap();
    json!({"digest": d, "size": bytes.len()})
}

/// Writes an OCI layout of `layers` (stored gzip'd) into `dir`; with
/// `nested`, index.json points at an image index that points at the manifest.
pub fn oci_layout(dir: &Path, layers: &[Vec<u8>], ref_name: &str, nested: bool) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let diff_ids: Vec<String> = layers.iter().map(|l| sha(l)).collect();
    let mut config = blob(dir, &config_json(&diff_ids));
    config["mediaType"] = json!("application/vnd.oci.image.config.v1+json");
    let layer_descs: Vec<_> = layers
        .iter()
        .map(|l| {
            let mut d = blob(dir, &gz(l));
            d["mediaType"] = json!("application/vnd.oci.image.layer.v1.tar+gzip");
            d
        })
        .collect();
    let manifest = json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                          "config": config, "layers": layer_descs});
    let mut desc = blob(dir, &serde_json::to_vec(&manifest).unwrap());
    desc["mediaType"] = json!("application/vnd.oci.image.manifest.v1+json");
    if nested {
        desc["platform"] = json!({"architecture": "amd64", "os": "linux"});
        let index = json!({"schemaVersion": 2, "manifests": [desc]});
        desc = blob(dir, &serde_json::to_vec(&index).unwrap());
        desc["mediaType"] = json!("application/vnd.oci.image.index.v1+json");
    }
    desc["annotations"] = json!({"org.opencontainers.image.ref.name": ref_name});
    let index = json!({"schemaVersion": 2, "manifests": [desc]});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
}

pub fn no_progress() -> impl FnMut(images::Progress) {
    |_| {}
}

/// Asserts the store holds no record, layer or work dir.
pub fn assert_clean(store: &Store) {
    for sub in ["images", "layers/sha256", "tmp"] {
        let left: Vec<_> = std::fs::read_dir(store.root().join(sub)).unwrap().collect();
        assert!(left.is_empty(), "{sub} not empty: {left:?}");
    }
}

pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// The value of xattr `key` on `path`, if set.
pub fn xattr(path: &Path, key: &str) -> Option<Vec<u8>> {
    let p = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    let k = std::ffi::CString::new(key).unwrap();
    let mut buf = [0u8; 64];
    // SAFETY: valid C strings and buffer.
    let n = unsafe { libc::lgetxattr(p.as_ptr(), k.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    (n >= 0).then(|| buf[..n as usize].to_vec())
}
