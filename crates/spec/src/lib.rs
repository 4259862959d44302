//! `spec`: the YAML workload model of containerctl. It reads a workload file,
//! validates it into a typed [`Workload`] (every error names the file, line,
//! column and key), and lowers a workload to the OCI runtime [`Spec`] that the
//! runtime executes. It is pure: the only system calls are reading the file
//! and checking that a `rootfs` directory and volume sources exist.
//!
//! # The workload file
//!
//! One YAML mapping. Only `command` or `args` is required (neither with `image`).
//!
//! ```yaml
//! name: web              # [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 64 characters
//! hostname: box1         # labels of 1-63 letters, digits, '-'; default: name
//! cpu: 2                 # cores, > 0, at most 3 decimals (0.5), at most the host's CPUs
//! memory: 512M           # bytes, or K/M/G/T (powers of 1024; Ki, KB, KiB, any case too), at least 1M
//! gpu: true              # true/false, a count, or {count: N, memory: SIZE} (shares a GPU)
//! policy: least-loaded   # CPU placement: least-loaded, pack, spread, topology
//! exclusive: true        # no other container of ours on its cores (needs a whole `cpu`)
//! gpu_policy: best-fit   # GPU allocation: best-fit, first-fit, spread, pack, topology
//! command: stress --cpu 2 --timeout 5   # split with shell quoting rules, not run by a shell
//! args: ["/bin/sh", "-c", "echo hi"]    # ... or the argument list itself (exactly one of the two)
//! env: {FOO: bar, N: 1}  # names non-empty without '='; scalar values become strings
//! workdir: /tmp          # absolute; default /
//! pids: 100              # maximum number of processes, >= 1
//! cpus: "0-1"            # CPU list ("0-1", "1,3", "0-2,5") or one CPU (1); all on the host
//! timeout: 30s           # seconds (30), or 500ms, 30s, 5m, 1h30m; > 0
//! user: "1000:1000"      # numeric uid[:gid] (or 1000); gid defaults to uid; default 0:0
//! rootfs: /srv/rootfs    # an existing directory: the read-only lower layer of an overlay root
//! image: busybox:1.36    # ... or an image in the local store (not both); command/args then optional
//! readonly: true         # the root is mounted read-only (needs rootfs or image)
//! keep: true             # keep the overlay's upper layer under <root>/kept/<id> (needs rootfs or image)
//! volumes: ["/srv/data:/data", "/etc/ssl:/etc/ssl:ro"]  # host bind mounts; the host path must exist
//! tmpfs: ["/scratch", "/cache:64M"]                     # tmpfs mounts, with an optional size
//! network: bridge        # none (default: loopback only), host (shares the host's), bridge
//! ports: ["8080:80", "127.0.0.1:8443:443"]              # [HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp], forwarded in; needs network: bridge
//! ```
//!
//! Unknown keys, duplicate keys, values of the wrong kind and values out of
//! range are errors ([`SpecError::Invalid`]), displayed as
//! `file:line:column: key: message`, e.g.
//! `examples/x.yaml:3:6: cpu: must be greater than 0, got -1`.
//!
//! # Lowering
//!
//! [`lower()`] gives an OCI 1.2.0 [`Spec`]: the host's root ([`HOST_ROOTFS`])
//! read-only, or an overlay of the rootfs/image layers (annotations
//! [`ANNOTATION_ROOTFS_LOWER`], [`ANNOTATION_ROOTFS_KEEP`]), Docker's default
//! capabilities, mounts (then the volumes and tmpfs), devices, masked and
//! read-only paths, new pid/net/ipc/uts/mount/cgroup namespaces (no net
//! namespace with `network: host`), cgroup resources from `cpu`, `cpus`,
//! `memory` and `pids`, and annotations for the name, GPU request, timeout,
//! network ([`ANNOTATION_NETWORK`]) and ports ([`ANNOTATION_PORTS`]).
//!
//! [`Spec`]: oci_spec::runtime::Spec

mod assign;
mod batch;
mod bundle;
mod defaults;
mod error;
mod filesystem;
mod lower;
mod ports;
mod raw;
mod scalars;
pub mod units;
mod validate;
mod values;
mod workload;
mod yaml_error;

#[cfg(test)]
mod error_tests;

pub use assign::{assign, Assignment, DeviceNode, ANNOTATION_CPUS, ANNOTATION_GPUS};
pub use batch::load_batch;
pub use bundle::load_bundle;
pub use defaults::{default_capabilities, DEFAULT_DEVICES, DEFAULT_PATH};
pub use error::{SpecError, DOCUMENT_KEY};
pub use lower::{lower, OCI_VERSION};
pub use ports::{ports_from_annotation, PortMapping};
/// The Linux CPU list format (`0-3,5`), shared with the scheduler.
pub use sched::cpulist;
pub use values::MAX_NAME_LEN;
pub use workload::{
    CpuCount, CpuPolicy, GpuPolicy, GpuRequest, HostFacts, Network, Root, Tmpfs, UserSpec, Volume,
    Workload,
};

use std::path::Path;

/// Annotation holding the workload's `name`.
pub const ANNOTATION_NAME: &str = "org.containerctl.name";
/// Annotation holding the GPU request as JSON: `{"count":1,"memory":null}`.
pub const ANNOTATION_GPU: &str = "org.containerctl.gpu";
/// Annotation holding the timeout in whole milliseconds, as a decimal string.
pub const ANNOTATION_TIMEOUT: &str = "org.containerctl.timeout-ms";
/// Annotation holding an overlay root's lower dirs, top first, joined by ':'.
/// `root.path` is then the first of them, for information only.
pub const ANNOTATION_ROOTFS_LOWER: &str = "org.containerctl.rootfs.lower";
/// Annotation `"true"` when the overlay's upper layer is kept after the run.
pub const ANNOTATION_ROOTFS_KEEP: &str = "org.containerctl.rootfs.keep";
/// Annotation holding the `network` (`none`, `host` or `bridge`, see
/// [`Network`]); absent for `none`, the default.
pub const ANNOTATION_NETWORK: &str = "org.containerctl.network";
/// Annotation holding the published ports in their canonical form
/// ([`PortMapping`]'s Display) joined by `,`, e.g. `8080:80,127.0.0.1:8443:443`;
/// absent without ports. [`ports_from_annotation`] reads it back.
pub const ANNOTATION_PORTS: &str = "org.containerctl.ports";
/// `root.path` meaning "the host's root, read-only" (no rootfs given).
pub const HOST_ROOTFS: &str = "/";
/// CFS period used for the `cpu` quota, in microseconds.
pub const CFS_PERIOD_US: u64 = 100_000;
/// Smallest accepted `memory` (1 MiB): below it nothing can start.
pub const MIN_MEMORY: u64 = 1 << 20;

/// Reads the workload file at `path` and parses it (see [`parse_workload`]).
/// Errors name the file as `path` was given.
pub fn load_workload(path: &Path, host: &HostFacts) -> Result<Workload, SpecError> {
    let source = std::fs::read_to_string(path).map_err(|source| SpecError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_workload(&source, &path.display().to_string(), host)
}

/// Parses and validates workload YAML `source`; `file` names it in errors.
pub fn parse_workload(source: &str, file: &str, host: &HostFacts) -> Result<Workload, SpecError> {
    let raw: Option<raw::RawWorkload> = serde_saphyr::from_str(source)
        .map_err(|err| yaml_error::to_spec_error(&err, source, file))?;
    let raw = raw.ok_or_else(|| {
        SpecError::invalid(
            file,
            1,
            1,
            DOCUMENT_KEY,
            "the file is empty; expected a mapping of workload keys with at least `command` or `args`",
        )
    })?;
    validate::validate(raw, file, host)
}
