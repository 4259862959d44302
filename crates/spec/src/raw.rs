//! The workload file exactly as written: serde structs read by serde-saphyr,
//! every value wrapped in [`Spanned`] so that validation can point at its line
//! and column. Values whose type varies (`cpu: 2` or `cpu: 0.5`, `memory: 512M`
//! or `memory: 1048576`, `gpu: true` or a mapping) are read by small visitors
//! that accept any scalar and leave the meaning to `validate`.

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::fmt;

/// The top-level mapping of a workload file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWorkload {
    pub name: Option<Spanned<String>>,
    pub hostname: Option<Spanned<String>>,
    pub cpu: Option<Spanned<RawScalar>>,
    pub memory: Option<Spanned<RawScalar>>,
    pub gpu: Option<Spanned<RawGpu>>,
    pub command: Option<Spanned<String>>,
    pub args: Option<Spanned<Vec<Spanned<String>>>>,
    pub env: Option<Spanned<RawEnv>>,
    pub workdir: Option<Spanned<String>>,
    pub pids: Option<Spanned<RawScalar>>,
    pub cpus: Option<Spanned<RawScalar>>,
    pub timeout: Option<Spanned<RawScalar>>,
    pub user: Option<Spanned<RawScalar>>,
    pub policy: Option<Spanned<String>>,
    pub exclusive: Option<Spanned<bool>>,
    pub gpu_policy: Option<Spanned<String>>,
    pub rootfs: Option<Spanned<String>>,
    pub image: Option<Spanned<String>>,
    pub readonly: Option<Spanned<bool>>,
    pub keep: Option<Spanned<bool>>,
    pub volumes: Option<Spanned<Vec<Spanned<String>>>>,
    pub tmpfs: Option<Spanned<Vec<Spanned<String>>>>,
    pub network: Option<Spanned<String>>,
    pub ports: Option<Spanned<Vec<Spanned<String>>>>,
}

/// A file of several workloads: `containers:` and a list of workload mappings.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBatch {
    pub containers: Spanned<Vec<Spanned<RawWorkload>>>,
}

/// What each key expects, in words, for messages about a value of the wrong
/// kind. `key` may be a dotted path such as `env.FOO`.
pub fn expected_for(key: &str) -> Option<&'static str> {
    let (top, nested) = match key.split_once('.') {
        Some((top, rest)) => (top, Some(rest)),
        None => (key, None),
    };
    Some(match (top, nested) {
        ("cpu", None) => "a number of cores like 2 or 0.5",
        ("memory", None) | ("gpu", Some("memory")) => {
            "a size like 512M or 1G (K/M/G/T are powers of 1024), or a number of bytes"
        }
        ("gpu", Some("count")) => "a whole number of GPUs",
        ("gpu", _) => "true/false, a number of GPUs, or a mapping {count: N, memory: SIZE}",
        ("cpus", None) => "a CPU list like \"0-1\" or \"0,2\", or one CPU number",
        ("timeout", None) => "a duration like 30s, 500ms, 5m or 1h30m, or a number of seconds",
        ("user", None) => "a numeric uid[:gid] like 1000:1000",
        ("pids", None) => "a positive whole number of processes",
        ("env", None) => "a mapping of NAME: value",
        ("env", Some(_)) => "a string, number or true/false",
        ("args", _) => "a list of strings like [\"/bin/sh\", \"-c\", \"echo hi\"]",
        ("command", None) => "a command line string like \"stress --cpu 2\"",
        ("workdir", None) => "an absolute path like /tmp",
        ("name" | "hostname", None) => "a string",
        ("policy", None) => "a CPU policy: least-loaded, pack, spread or topology",
        ("gpu_policy", None) => "a GPU policy: best-fit, first-fit, spread, pack or topology",
        ("exclusive" | "readonly" | "keep", None) => "true or false",
        ("rootfs", None) => "an absolute path of a directory like /var/lib/rootfs/alpine",
        ("image", None) => "an image name in the local store like busybox or alpine:3.20",
        ("volumes", _) => "a list of \"/host/path:/in/container[:ro|rw]\" strings",
        ("tmpfs", _) => "a list of \"/in/container[:SIZE]\" strings like \"/cache:64M\"",
        ("network", None) => "a network: none, host or bridge",
        ("ports", _) => "a list of \"[HOST_IP:]HOST_PORT:CONTAINER_PORT\" strings like \"8080:80\"",
        ("containers", _) => "a list of workload mappings, each with at least `command` or `args`",
        (crate::error::DOCUMENT_KEY, None) => {
            "a mapping of workload keys, one `key: value` per line"
        }
        _ => return None,
    })
}

/// Any single YAML scalar, kept with the type YAML gave it.
#[derive(Debug, Clone, PartialEq)]
pub enum RawScalar {
    Bool(bool),
    Int(i128),
    Float(f64),
    Text(String),
}

impl fmt::Display for RawScalar {
    /// Shows the value the way a message should quote it after "got".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RawScalar::Bool(b) => write!(f, "{b}"),
            RawScalar::Int(i) => write!(f, "{i}"),
            RawScalar::Float(x) => write!(f, "{x}"),
            RawScalar::Text(s) => write!(f, "`{s}`"),
        }
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = RawScalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a single value (a number or a string)")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawScalar, E> {
        Ok(RawScalar::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawScalar, E> {
        Ok(RawScalar::Int(i128::from(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawScalar, E> {
        Ok(RawScalar::Int(i128::from(v)))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<RawScalar, E> {
        Ok(RawScalar::Int(v))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<RawScalar, E> {
        Ok(i128::try_from(v).map_or_else(|_| RawScalar::Text(v.to_string()), RawScalar::Int))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawScalar, E> {
        Ok(RawScalar::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawScalar, E> {
        Ok(RawScalar::Text(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<RawScalar, E> {
        Ok(RawScalar::Text(v))
    }
}

impl<'de> Deserialize<'de> for RawScalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

/// `gpu:` as written: `true`/`false`, a count, or a mapping.
#[derive(Debug)]
pub enum RawGpu {
    Scalar(RawScalar),
    Map(RawGpuMap),
}

/// `gpu: {count: N, memory: SIZE}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGpuMap {
    pub count: Option<Spanned<RawScalar>>,
    pub memory: Option<Spanned<RawScalar>>,
}

struct GpuVisitor;

impl<'de> Visitor<'de> for GpuVisitor {
    type Value = RawGpu;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("true/false, a number of GPUs, or a mapping {count: N, memory: SIZE}")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawGpu, A::Error> {
        RawGpuMap::deserialize(de::value::MapAccessDeserializer::new(map)).map(RawGpu::Map)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawGpu, E> {
        ScalarVisitor.visit_bool(v).map(RawGpu::Scalar)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawGpu, E> {
        ScalarVisitor.visit_i64(v).map(RawGpu::Scalar)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawGpu, E> {
        ScalarVisitor.visit_u64(v).map(RawGpu::Scalar)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawGpu, E> {
        ScalarVisitor.visit_f64(v).map(RawGpu::Scalar)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawGpu, E> {
        ScalarVisitor.visit_str(v).map(RawGpu::Scalar)
    }
}

impl<'de> Deserialize<'de> for RawGpu {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(GpuVisitor)
    }
}

/// `env:` as written: names and values in file order, each with its location.
/// Values are read as strings, so `N: 1.50` stays `"1.50"`.
#[derive(Debug, Default)]
pub struct RawEnv(pub Vec<(Spanned<String>, Spanned<String>)>);

struct EnvVisitor;

impl<'de> Visitor<'de> for EnvVisitor {
    type Value = RawEnv;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping of NAME: value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawEnv, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry::<Spanned<String>, Spanned<String>>()? {
            entries.push(entry);
        }
        Ok(RawEnv(entries))
    }
}

impl<'de> Deserialize<'de> for RawEnv {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(EnvVisitor)
    }
}
