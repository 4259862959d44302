//! Two rules of the v1 kernel interface that the v1 back end must follow:
//! a new cpuset cgroup starts with empty cpuset.cpus and cpuset.mems and
//! refuses tasks until they are filled from the level above, and
//! memory.memsw.limit_in_bytes must never be below memory.limit_in_bytes,
//! so the two are written in whichever order keeps that true.

use std::path::Path;

use crate::{fsutil, stats, CgroupError};

/// Copy cpuset.cpus and cpuset.mems from `above` into `dir` where `dir`'s
/// are empty (a fresh v1 cpuset cgroup refuses tasks until they are set).
pub(crate) fn fill_cpuset(dir: &Path, above: &Path) -> Result<(), CgroupError> {
    for name in ["cpuset.cpus", "cpuset.mems"] {
        let target = dir.join(name);
        if !fsutil::read(&target)?.trim().is_empty() {
            continue;
        }
        let source = above.join(name);
        let value = fsutil::read(&source)?;
        if value.trim().is_empty() {
            return Err(CgroupError::Parse {
                path: source,
                reason: "is empty, so there is nothing to copy down".into(),
            });
        }
        fsutil::write(&target, value.trim())?;
    }
    Ok(())
}

/// memory.limit_in_bytes and memory.memsw.limit_in_bytes. The kernel
/// wants memsw >= limit at every moment, so when the limit rises above
/// the current memsw, memsw is written first. With swap_off, memsw = the
/// limit; without it, memsw is only raised (to unlimited) when it would
/// otherwise block the new limit.
pub(crate) fn apply_memory(dir: &Path, bytes: i64, swap_off: bool) -> Result<(), CgroupError> {
    let limit = dir.join("memory.limit_in_bytes");
    let memsw = dir.join("memory.memsw.limit_in_bytes");
    let text = if bytes > 0 {
        bytes.to_string()
    } else {
        "-1".to_string()
    };
    let new = if bytes > 0 { bytes as u64 } else { u64::MAX };
    let current = fsutil::read_parsed_optional(&memsw, stats::parse_v1_limit)?;
    let blocks = matches!(current, Some(Some(cur)) if cur < new);
    let memsw_value = match current {
        None => None,
        Some(_) if swap_off => Some(text.clone()),
        Some(_) if blocks => Some("-1".to_string()),
        Some(_) => None,
    };
    if let (true, Some(v)) = (blocks, &memsw_value) {
        fsutil::write(&memsw, v)?;
    }
    fsutil::write(&limit, &text)?;
    if let (false, Some(v)) = (blocks, &memsw_value) {
        fsutil::write(&memsw, v)?;
    }
    if swap_off && current.is_none() {
        tracing::debug!(
            step = "cgroup",
            "no memory.memsw.limit_in_bytes (no swap accounting); skipped"
        );
    }
    Ok(())
}
