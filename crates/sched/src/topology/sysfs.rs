//! Reading the sysfs text files the topology comes from: CPU lists, the
//! per-CPU topology ids (absent or `-1` means unknown) and the NUMA node
//! directories. Every error names the file (or directory) it was about.

use std::collections::BTreeMap;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use crate::cpulist::parse as parse_cpulist;
use crate::SchedError;

fn read_text(path: &Path) -> Result<String, SchedError> {
    fs::read_to_string(path).map_err(|source| SchedError::Read {
        path: path.to_path_buf(),
        source,
    })
}

pub(super) fn read_cpulist(path: &Path) -> Result<Vec<u32>, SchedError> {
    parse_cpulist(&read_text(path)?).map_err(|message| SchedError::Parse {
        path: path.to_path_buf(),
        message,
    })
}

/// A topology id file: None when absent or `-1` (the kernel's "unknown").
pub(super) fn read_optional_id(path: &Path) -> Result<Option<u32>, SchedError> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(SchedError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let value: i64 = text.trim().parse().map_err(|_| SchedError::Parse {
        path: path.to_path_buf(),
        message: format!("expected a number, found {:?}", text.trim()),
    })?;
    if value < 0 {
        return Ok(None);
    }
    u32::try_from(value)
        .map(Some)
        .map_err(|_| SchedError::Parse {
            path: path.to_path_buf(),
            message: format!("{value} is too large for an id"),
        })
}

/// CPU id → NUMA node from `nodeN/cpulist`; empty when `dir` is absent. A
/// CPU listed under two nodes stays on the lower one.
pub(super) fn read_nodes(dir: &Path) -> Result<BTreeMap<u32, u32>, SchedError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(source) => {
            return Err(SchedError::Read {
                path: dir.to_path_buf(),
                source,
            })
        }
    };
    let mut nodes: Vec<(u32, PathBuf)> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| SchedError::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        let name = entry.file_name();
        let Some(number) = name.to_str().and_then(|n| n.strip_prefix("node")) else {
            continue;
        };
        if let Ok(node) = number.parse::<u32>() {
            nodes.push((node, entry.path().join("cpulist")));
        }
    }
    nodes.sort();
    let mut map = BTreeMap::new();
    for (node, path) in nodes {
        if !path.exists() {
            continue;
        }
        for cpu in read_cpulist(&path)? {
            map.entry(cpu).or_insert(node);
        }
    }
    Ok(map)
}
