//! Image names: validation against
//! `[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9._-]+)?` (at most 128 chars), the
//! injective mapping of a name to its record file name, and the fallback
//! name derived from a source file's stem.

use crate::ImageError;
use std::path::Path;

/// The longest accepted image name.
pub const MAX_NAME: usize = 128;

/// Checks `name` against the naming rules.
pub fn validate_name(name: &str) -> Result<(), ImageError> {
    let bad = |reason: &str| {
        Err(ImageError::InvalidName {
            name: name.to_string(),
            reason: reason.to_string(),
        })
    };
    if name.is_empty() {
        return bad("empty");
    }
    if name.len() > MAX_NAME {
        return bad("longer than 128 characters");
    }
    let (repo, tag) = match name.split_once(':') {
        Some((r, t)) => (r, Some(t)),
        None => (name, None),
    };
    let mut chars = repo.chars();
    match chars.next() {
        Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit() => {}
        _ => return bad("must start with a lowercase letter or digit"),
    }
    if !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._/-".contains(c)) {
        return bad("repository part may only hold a-z 0-9 . _ / -");
    }
    if let Some(tag) = tag {
        if tag.is_empty() {
            return bad("empty tag after ':'");
        }
        if !tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        {
            return bad("tag may only hold A-Z a-z 0-9 . _ -");
        }
    }
    Ok(())
}

/// The record file name of a valid `name`: `/` becomes `+`, `:` becomes
/// `@`, plus `.json`. Neither `+` nor `@` can occur in a valid name, so the
/// mapping is injective, and the result stays under 255 bytes.
pub fn record_file_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| match c {
            '/' => '+',
            ':' => '@',
            c => c,
        })
        .collect();
    out.push_str(".json");
    out
}

/// A valid name made from the file name of `path`: known archive suffixes
/// are stripped, the rest lower-cased, and characters outside the rules
/// replaced by `-`. Falls back to `image`.
pub(crate) fn name_from_path(path: &Path) -> String {
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut stem = file.as_str();
    for suffix in [".gz", ".tgz", ".tar", ".oci"] {
        stem = stem.strip_suffix(suffix).unwrap_or(stem);
    }
    let mut name: String = stem
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(MAX_NAME)
        .collect();
    while name.starts_with(['.', '_', '-']) {
        name.remove(0);
    }
    if name.is_empty() {
        name = "image".to_string();
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_good_names() {
        for n in [
            "busybox",
            "busybox:latest",
            "docker.io/library/alpine:3.19",
            "a",
            "x_y-z.1:V1.0-rc_2",
        ] {
            validate_name(n).unwrap();
        }
        validate_name(&"a".repeat(128)).unwrap();
    }

    #[test]
    fn refuses_bad_names() {
        for n in [
            "", "Busybox", "-x", ".x", "/x", "a:", "a:b:c", "a b", "a:b/c", "../x", "a%2f",
        ] {
            assert!(validate_name(n).is_err(), "{n} accepted");
        }
        assert!(validate_name(&"a".repeat(129)).is_err());
    }

    #[test]
    fn record_names_are_injective_and_safe() {
        assert_eq!(record_file_name("a/b:c"), "a+b@c.json");
        assert_ne!(record_file_name("a/b"), record_file_name("a:b"));
        let long = format!("{}:{}", "a/".repeat(40) + "a", "T".repeat(40));
        assert!(record_file_name(&long).len() < 255);
        assert!(!record_file_name("a/b").contains('/'));
    }

    #[test]
    fn names_from_paths() {
        assert_eq!(name_from_path(Path::new("/x/Busybox.tar.gz")), "busybox");
        assert_eq!(name_from_path(Path::new("rootfs.tgz")), "rootfs");
        assert_eq!(name_from_path(Path::new("my image.oci")), "my-image");
        assert_eq!(name_from_path(Path::new("/")), "image");
        validate_name(&name_from_path(Path::new("__weird!!.tar"))).unwrap();
    }
}
