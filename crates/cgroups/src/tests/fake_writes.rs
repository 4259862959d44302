//! The fake kernel's handling of writes whose meaning is more than "store
//! the text": cgroup.subtree_control (+/- tokens, only offered
//! controllers, files for existing children), cgroup.freeze (updates cgroup.events), cgroup.kill,
//! cgroup.procs (append; v1 cpuset must be filled, v2 no internal
//! processes), a sticking freezer.state, and the v1 memsw >= limit rule.
//! Every other write just stores the text, atomically.

use std::fs;
use std::io;
use std::path::Path;

use super::fake_files;
use super::fake_kernel::{errno, get, put, with_fake, Fake, KERNEL_ORDER, V1_UNLIMITED};

pub(crate) fn on_write(path: &Path, value: &str) -> Option<io::Result<()>> {
    with_fake(path, |fake| {
        fake.log.push(format!("write {} {value}", path.display()));
        if !path.is_file() {
            return Some(Err(errno(libc::ENOENT)));
        }
        let dir = path.parent()?;
        let name = path.file_name()?.to_str()?;
        Some(match name {
            "cgroup.subtree_control" => subtree_control(fake, path, dir, value),
            "cgroup.freeze" => {
                put(path, value);
                let frozen = if fake.freeze_sticks { "0" } else { value };
                put(
                    &dir.join("cgroup.events"),
                    &format!("populated 0\nfrozen {frozen}\n"),
                );
                Ok(())
            }
            "cgroup.kill" => {
                put(&dir.join("cgroup.procs"), "");
                Ok(())
            }
            "cgroup.procs" => add_proc(fake, path, dir, value),
            "freezer.state" if value == "FROZEN" && fake.freeze_sticks => {
                put(path, "FREEZING");
                Ok(())
            }
            "memory.limit_in_bytes" | "memory.memsw.limit_in_bytes" => memsw_rule(path, dir, value),
            _ => {
                put(path, value);
                Ok(())
            }
        })
    })
    .flatten()
}

/// Enabling a controller also gives existing children its files.
fn subtree_control(fake: &Fake, path: &Path, dir: &Path, value: &str) -> io::Result<()> {
    let offered = get(&dir.join("cgroup.controllers"));
    let mut enabled: Vec<String> = get(path).split_whitespace().map(String::from).collect();
    for token in value.split_whitespace() {
        let (add, name) = match token.split_at_checked(1) {
            Some(("+", n)) => (true, n),
            Some(("-", n)) => (false, n),
            _ => return Err(errno(libc::EINVAL)),
        };
        if !offered.split_whitespace().any(|w| w == name) {
            return Err(errno(libc::ENOENT));
        }
        enabled.retain(|w| w != name);
        if add {
            enabled.push(name.to_string());
        }
    }
    enabled.sort_by_key(|w| KERNEL_ORDER.iter().position(|k| k == w));
    let enabled = enabled.join(" ");
    put(path, &enabled);
    for child in fs::read_dir(dir)?.flatten().filter(|e| e.path().is_dir()) {
        for (name, text) in fake_files::v2_files(fake, &enabled) {
            let file = child.path().join(&name);
            if name == "cgroup.controllers" || !file.exists() {
                put(&file, &text);
            }
        }
    }
    Ok(())
}

fn add_proc(fake: &Fake, path: &Path, dir: &Path, value: &str) -> io::Result<()> {
    let cpus = dir.join("cpuset.cpus");
    let v1 = !dir.join("cgroup.controllers").exists();
    if v1 && cpus.exists() && get(&cpus).trim().is_empty() {
        return Err(errno(libc::ENOSPC));
    }
    let is_root = fake.roots.iter().any(|r| r == dir);
    if !v1 && !is_root && !get(&dir.join("cgroup.subtree_control")).trim().is_empty() {
        return Err(errno(libc::EBUSY));
    }
    let mut procs = get(path);
    procs.push_str(&format!("{value}\n"));
    put(path, &procs);
    Ok(())
}

/// The kernel keeps memory.memsw.limit_in_bytes >= memory.limit_in_bytes.
fn memsw_rule(path: &Path, dir: &Path, value: &str) -> io::Result<()> {
    let bytes = |t: &str| match t.trim() {
        "-1" => Ok(u64::MAX),
        t => t.parse::<u64>().map_err(|_| errno(libc::EINVAL)),
    };
    let new = bytes(value)?;
    let is_limit = path.ends_with("memory.limit_in_bytes");
    let other = dir.join(if is_limit {
        "memory.memsw.limit_in_bytes"
    } else {
        "memory.limit_in_bytes"
    });
    if other.exists() {
        let other_value = bytes(&get(&other)).unwrap_or(u64::MAX);
        if (is_limit && new > other_value) || (!is_limit && new < other_value) {
            return Err(errno(libc::EINVAL));
        }
    }
    put(path, if new == u64::MAX { V1_UNLIMITED } else { value });
    Ok(())
}
