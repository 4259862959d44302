//! Detection of the host's cgroup layout from the mount table. The parser
//! is pure (text in, [`Layout`] out) so every shape of host is tested from
//! fixtures; only [`detect`] reads /proc/self/mountinfo. A mount hidden by
//! another mount on the same or an enclosing directory is dropped, named v1
//! hierarchies without controllers (name=systemd) are left out, and a
//! controller mounted twice is kept at its first mount point.

use std::path::{Path, PathBuf};

use crate::{CgroupError, Layout, V1Hierarchy};

/// The v1 controllers the kernel knows (include/linux/cgroup_subsys.h).
/// Other options of a cgroup mount (rw, xattr, name=..., noprefix) are not.
const V1_CONTROLLERS: &[&str] = &[
    "cpuset",
    "cpu",
    "cpuacct",
    "io",
    "blkio",
    "memory",
    "devices",
    "freezer",
    "net_cls",
    "net_prio",
    "perf_event",
    "hugetlb",
    "pids",
    "rdma",
    "misc",
    "debug",
];

const MOUNTINFO: &str = "/proc/self/mountinfo";

/// Read /proc/self/mountinfo and work out the layout.
pub fn detect() -> Result<Layout, CgroupError> {
    let text =
        std::fs::read_to_string(MOUNTINFO).map_err(|e| CgroupError::io("reading", MOUNTINFO, e))?;
    parse_mountinfo(&text)
}

/// What a mount is, as far as detection cares.
#[derive(Debug)]
enum Kind {
    Other,
    V2,
    V1(Vec<String>),
}

/// One line of mountinfo.
#[derive(Debug)]
struct Mount {
    id: u64,
    parent: u64,
    mount_point: PathBuf,
    kind: Kind,
}

/// Work out the layout from the text of a mountinfo file. Empty lines are
/// skipped; a line without the ` - ` separator, with too few fields or with
/// non-numeric mount ids is an error naming the line, since the kernel
/// never writes one.
pub fn parse_mountinfo(text: &str) -> Result<Layout, CgroupError> {
    let mut mounts: Vec<Mount> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let mount = parse_line(line).map_err(|reason| CgroupError::Mountinfo {
            line: index + 1,
            reason,
        })?;
        mounts.push(mount);
    }

    let mut v1: Vec<V1Hierarchy> = Vec::new();
    let mut v2: Vec<PathBuf> = Vec::new();
    for (index, mount) in mounts.iter().enumerate() {
        if matches!(mount.kind, Kind::Other) || is_hidden(&mounts, index) {
            continue;
        }
        match &mount.kind {
            Kind::Other => {}
            Kind::V2 => v2.push(mount.mount_point.clone()),
            Kind::V1(controllers) => {
                let seen = v1.iter().any(|h| &h.controllers == controllers);
                if !controllers.is_empty() && !seen {
                    v1.push(V1Hierarchy {
                        controllers: controllers.clone(),
                        mount_point: mount.mount_point.clone(),
                    });
                }
            }
        }
    }

    let unified = pick_unified(&v2);
    match (v1.is_empty(), unified) {
        (true, Some(root)) => Ok(Layout::Unified { root }),
        (false, Some(unified)) => Ok(Layout::Hybrid { v1, unified }),
        (false, None) => Ok(Layout::Legacy { v1 }),
        (true, None) => Err(CgroupError::NoCgroupMounts),
    }
}

/// Whether a mount is invisible: something was mounted on top of it (the
/// newer mount's parent is this one, at the same point), a sibling was
/// mounted later on an enclosing directory (had it come first, it would be
/// this mount's parent), or one of its ancestors is hidden by a mount that
/// is not itself on the way down to this one.
fn is_hidden(mounts: &[Mount], index: usize) -> bool {
    let mut chain: Vec<u64> = Vec::new();
    let mut current = &mounts[index];
    // The chain is at most as long as the table, even for a cycle in
    // malformed input.
    for _ in 0..mounts.len() {
        chain.push(current.id);
        let covered = mounts.iter().any(|other| {
            !chain.contains(&other.id)
                && ((other.parent == current.id && other.mount_point == current.mount_point)
                    || (other.parent == current.parent
                        && other.mount_point != current.mount_point
                        && current.mount_point.starts_with(&other.mount_point)))
        });
        if covered {
            return true;
        }
        match mounts.iter().find(|m| m.id == current.parent) {
            Some(parent) if !chain.contains(&parent.id) => current = parent,
            _ => return false,
        }
    }
    false
}

/// Prefer the conventional places for the cgroup2 mount, else the first.
fn pick_unified(v2: &[PathBuf]) -> Option<PathBuf> {
    ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"]
        .iter()
        .find_map(|want| v2.iter().find(|p| p.as_path() == Path::new(want)))
        .or_else(|| v2.first())
        .cloned()
}

/// `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue`
fn parse_line(line: &str) -> Result<Mount, String> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let sep = fields
        .iter()
        .position(|f| *f == "-")
        .ok_or_else(|| format!("no \" - \" separator in {:?}", excerpt(line)))?;
    if sep < 6 {
        return Err(format!(
            "expected at least 6 fields before \" - \", found {sep} in {:?}",
            excerpt(line)
        ));
    }
    let after = &fields[sep + 1..];
    if after.len() < 3 {
        return Err(format!(
            "expected file system type, source and super options after \" - \" in {:?}",
            excerpt(line)
        ));
    }
    let number = |what: &str, field: &str| {
        field
            .parse::<u64>()
            .map_err(|_| format!("{what} {field:?} is not a number in {:?}", excerpt(line)))
    };
    let id = number("mount id", fields[0])?;
    let parent = number("parent id", fields[1])?;
    let mount_point = PathBuf::from(unescape(fields[4]));
    let kind = match after[0] {
        "cgroup2" => Kind::V2,
        "cgroup" => {
            let mut controllers: Vec<String> = after[2]
                .split(',')
                .filter(|o| V1_CONTROLLERS.contains(o))
                .map(str::to_string)
                .collect();
            controllers.sort();
            Kind::V1(controllers)
        }
        _ => Kind::Other,
    };
    Ok(Mount {
        id,
        parent,
        mount_point,
        kind,
    })
}

/// Undo the kernel's octal escapes (`\040` for a space and so on).
pub(crate) fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes.get(i + 1..i + 4).filter(|d| {
            bytes[i] == b'\\' && d.iter().all(|c| (b'0'..=b'7').contains(c)) && d[0] <= b'3'
        });
        match octal {
            Some(d) => {
                out.push((d[0] - b'0') * 64 + (d[1] - b'0') * 8 + (d[2] - b'0'));
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn excerpt(line: &str) -> String {
    line.chars().take(120).collect()
}

impl Layout {
    /// A short human name for the layout.
    pub fn describe(&self) -> &'static str {
        match self {
            Layout::Unified { .. } => "unified (v2)",
            Layout::Hybrid { .. } => "hybrid (v1 controllers + v2)",
            Layout::Legacy { .. } => "legacy (v1)",
        }
    }
}
