//! The YAML inventory file format and its checks:
//!
//! ```yaml
//! gpus:
//!   - id: 0            # optional; must equal the position (0..n-1)
//!     model: A100-80GB # optional, default "Simulated GPU"
//!     memory: 80G      # bytes, or a number with K/M/G/T (powers of 1024)
//!     numa_node: 0     # optional
//!     nvlink: [1]      # optional peer indices; made symmetric
//! ```
//!
//! Unknown keys, an empty list, zero memory, ids out of order and NVLink
//! peers that do not exist (or are the GPU itself) are refused with a
//! [`SchedError::Parse`] that names the GPU, the key and, where known, the
//! line and column.

use std::path::Path;

use serde::Deserialize;
use serde_saphyr::{MessageFormatter, Spanned, UserMessageFormatter};

use super::Gpu;
use crate::SchedError;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInventory {
    gpus: Vec<Spanned<RawGpu>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGpu {
    id: Option<u32>,
    model: Option<String>,
    memory: Size,
    numa_node: Option<u32>,
    #[serde(default)]
    nvlink: Vec<u32>,
}

/// A memory size: bytes as a number, or text like `80G` ([`parse_size`]).
struct Size(u64);

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = Size;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(EXPECT_SIZE)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Size, E> {
                Ok(Size(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Size, E> {
                u64::try_from(v)
                    .map(Size)
                    .map_err(|_| E::custom(format!("must not be negative, got {v}")))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Size, E> {
                parse_size(v).map(Size).map_err(E::custom)
            }
        }
        d.deserialize_any(Visit)
    }
}

const EXPECT_SIZE: &str = "bytes or a whole number with K, M, G or T, like 80G";

/// What each key holds, for messages about a value of the wrong kind.
fn expected_for(key: &str) -> Option<&'static str> {
    Some(match key {
        "id" | "numa_node" => "a whole number",
        "model" => "text",
        "memory" => EXPECT_SIZE,
        "nvlink" => "a list of GPU indices, like [1, 2]",
        "gpus" => "a list of GPUs",
        _ => return None,
    })
}

/// Parses the text of an inventory file into GPUs indexed `0..n`.
pub(super) fn parse_gpus(text: &str, path: &Path) -> Result<Vec<Gpu>, SchedError> {
    let fail = |message: String| SchedError::Parse {
        path: path.to_path_buf(),
        message,
    };
    let raw: RawInventory =
        serde_saphyr::from_str(text).map_err(|e| fail(yaml_message(&e, text)))?;
    if raw.gpus.is_empty() {
        return Err(fail("`gpus` is empty: list at least one GPU".into()));
    }
    let count = raw.gpus.len();
    let mut gpus = Vec::with_capacity(count);
    for (position, spanned) in raw.gpus.into_iter().enumerate() {
        let at = format!("line {}: GPU {position}", spanned.referenced.line());
        let raw = spanned.value;
        let index = u32::try_from(position).map_err(|_| fail(format!("{at}: too many GPUs")))?;
        if let Some(id) = raw.id.filter(|&id| id != index) {
            return Err(fail(format!(
                "{at}: `id` is {id} but the GPU is number {index} in the list; \
                 ids must be 0, 1, 2, ... in order (or left out)"
            )));
        }
        let Size(memory) = raw.memory;
        if memory == 0 {
            return Err(fail(format!("{at}: `memory` must be more than 0")));
        }
        let mut peers = raw.nvlink;
        peers.sort_unstable();
        peers.dedup();
        if let Some(bad) = peers.iter().find(|&&p| p == index || p as usize >= count) {
            let why = if *bad == index {
                "is the GPU itself".to_string()
            } else {
                format!("does not exist (GPUs are 0..{})", count - 1)
            };
            return Err(fail(format!("{at}: `nvlink` peer {bad} {why}")));
        }
        gpus.push(Gpu {
            index,
            uuid: format!("SIM-GPU-{index}"),
            model: raw.model.unwrap_or_else(|| "Simulated GPU".to_string()),
            memory,
            numa_node: raw.numa_node,
            nvlink_peers: peers,
        });
    }
    make_symmetric(&mut gpus);
    Ok(gpus)
}

/// If GPU a lists b as a peer, b lists a too.
fn make_symmetric(gpus: &mut [Gpu]) {
    let links: Vec<(u32, u32)> = gpus
        .iter()
        .flat_map(|g| g.nvlink_peers.iter().map(move |&p| (p, g.index)))
        .collect();
    for (gpu, peer) in links {
        if let Some(g) = gpus.get_mut(gpu as usize) {
            if !g.nvlink_peers.contains(&peer) {
                g.nvlink_peers.push(peer);
                g.nvlink_peers.sort_unstable();
            }
        }
    }
}

/// `80G`, `512M`, `512MiB`, `1T`, `1073741824`: bytes, powers of 1024.
pub(crate) fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let digits_end = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(digits_end);
    let help = format!("expected {EXPECT_SIZE}");
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size: {help}"))?;
    if unit.starts_with(['.', ',']) {
        return Err(format!(
            "`{text}` is not a whole number: use a smaller unit (1.5G is 1536M)"
        ));
    }
    let unit = unit.trim().to_ascii_uppercase();
    let unit = unit
        .strip_suffix("IB")
        .or_else(|| unit.strip_suffix('B'))
        .unwrap_or(&unit);
    let shift = match unit {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => return Err(format!("`{text}` has an unknown unit: {help}")),
    };
    number
        .checked_mul(1u64 << shift)
        .ok_or_else(|| format!("`{text}` is too large"))
}

/// One line from a serde-saphyr error: `line L, column C: GPU i: message`.
fn yaml_message(err: &serde_saphyr::Error, text: &str) -> String {
    let mut inner = err;
    while let serde_saphyr::Error::AliasError { error, .. }
    | serde_saphyr::Error::WithSnippet { error, .. } = inner
    {
        inner = error;
    }
    let loc = err.location().filter(|l| l.line() > 0);
    let line = loc.map_or(0, |l| l.line());
    let key = key_at_line(text, line);
    let message = match (inner, key.as_deref()) {
        (
            serde_saphyr::Error::SerdeUnknownField {
                field, expected, ..
            },
            _,
        ) => format!(
            "unknown key `{field}`; valid keys are: {}",
            expected.join(", ")
        ),
        (serde_saphyr::Error::SerdeMissingField { field, .. }, _) => {
            format!("missing key `{field}`")
        }
        (serde_saphyr::Error::Message { msg, .. }, Some(key)) => {
            format!("`{key}` {}", first_line(msg))
        }
        (other, Some(key)) => match (expected_for(key), loc) {
            (Some(expected), Some(_)) => {
                let got = value_at(text, line, key);
                format!("`{key}` expected {expected}, got `{got}`")
            }
            _ => format!("`{key}`: {}", formatted(other)),
        },
        (other, None) => formatted(other),
    };
    let Some(loc) = loc else {
        return message;
    };
    let gpu = gpu_at_line(text, line)
        .map(|i| format!("GPU {i}: "))
        .unwrap_or_default();
    format!("line {line}, column {}: {gpu}{message}", loc.column())
}

fn formatted(err: &serde_saphyr::Error) -> String {
    first_line(&UserMessageFormatter.format_message(err))
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or("").trim().to_string()
}

/// The value written after `key:` on `line`, shortened.
fn value_at(text: &str, line: u64, key: &str) -> String {
    let l = usize::try_from(line)
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|n| text.lines().nth(n))
        .unwrap_or("");
    let value = l.split_once(&format!("{key}:")).map_or(l, |(_, v)| v);
    let short: String = value.trim().chars().take(40).collect();
    short
}

/// Which list item of block-style `gpus:` the 1-based `line` is in: the
/// number of lines up to it that start an item at the list's indentation.
fn gpu_at_line(text: &str, line: u64) -> Option<usize> {
    let lines: Vec<&str> = text.lines().take(usize::try_from(line).ok()?).collect();
    let start = lines.iter().position(|l| l.trim_end() == "gpus:")?;
    let items: Vec<&str> = lines[start + 1..]
        .iter()
        .copied()
        .filter(|l| l.trim_start().starts_with('-'))
        .collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let first = indent(items.first()?);
    let count = items.iter().filter(|l| indent(l) == first).count();
    count.checked_sub(1)
}

/// The key written on `line` (`memory` for `    memory: 80X`), if any.
fn key_at_line(text: &str, line: u64) -> Option<String> {
    let l = text
        .lines()
        .nth(usize::try_from(line).ok()?.checked_sub(1)?)?;
    let l = l.trim_start().trim_start_matches("- ").trim_start();
    let (key, _) = l.split_once(':')?;
    let ok = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    ok.then(|| key.to_string())
}
