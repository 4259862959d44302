//! The kernel's CPU list text ("0-3,5,7-8"): parsing it into ids, as
//! sysfs and cpuset files write it, and writing ids back in that form for
//! messages. Ranges are bounded so a malformed file cannot make us
//! allocate without limit.

use std::collections::BTreeSet;

/// Highest CPU id accepted from a CPU list (distribution kernels build
/// with NR_CPUS of at most 8192); it bounds what a malformed range can
/// make us allocate.
const MAX_CPU_ID: u32 = 65_535;

/// Parses the kernel's CPU list format ("0-3,5,7-8", maybe with a trailing
/// newline; empty means none) into ascending, distinct ids.
pub(crate) fn parse_cpulist(text: &str) -> Result<Vec<u32>, String> {
    let text = text.trim();
    let mut ids = BTreeSet::new();
    if text.is_empty() {
        return Ok(Vec::new());
    }
    for item in text.split(',') {
        let item = item.trim();
        let (lo, hi) = match item.split_once('-') {
            Some((lo, hi)) => (parse_id(lo, text)?, parse_id(hi, text)?),
            None => {
                let id = parse_id(item, text)?;
                (id, id)
            }
        };
        if lo > hi {
            return Err(format!(
                "bad CPU list {text:?}: range {item:?} runs backwards"
            ));
        }
        ids.extend(lo..=hi);
    }
    Ok(ids.into_iter().collect())
}

fn parse_id(s: &str, list: &str) -> Result<u32, String> {
    let id: u32 = s
        .trim()
        .parse()
        .map_err(|_| format!("bad CPU list {list:?}: {s:?} is not a CPU number"))?;
    if id > MAX_CPU_ID {
        return Err(format!(
            "bad CPU list {list:?}: CPU {id} is beyond {MAX_CPU_ID}"
        ));
    }
    Ok(id)
}

/// Writes ids in the kernel's CPU list format: ascending, runs as "a-b".
pub(crate) fn format_cpulist(ids: &[u32]) -> String {
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end.saturating_add(1) {
            i += 1;
            end = sorted[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    parts.join(",")
}
