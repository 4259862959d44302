//! Validation: turns a [`RawWorkload`] into a [`Workload`], checking every
//! value against the format (units, ranges, the host's CPUs) and naming the
//! file, line, column and key of the first problem found.

use crate::error::SpecError;
use crate::filesystem::FsKeys;
use crate::raw::{RawEnv, RawGpu, RawScalar, RawWorkload};
use crate::scalars::{
    cpu_count, cpus, gpu_count, memory, memory_size, positive_integer, timeout, user, workdir,
};
use crate::values::{check_hostname, check_name, check_no_nul};
use crate::workload::{GpuRequest, HostFacts, Network, Workload};
use sched::cpu_policy::CpuPolicy;
use sched::gpu_policy::GpuPolicy;
use serde_saphyr::{Location, Spanned};
use std::path::PathBuf;

/// Checks `raw` (read from `file`) against `host` and builds the [`Workload`].
pub fn validate(raw: RawWorkload, file: &str, host: &HostFacts) -> Result<Workload, SpecError> {
    let check = Check { file };
    let args = check.program(raw.command, raw.args, raw.image.is_some())?;
    let fs = check.filesystem(FsKeys {
        rootfs: raw.rootfs,
        image: raw.image,
        readonly: raw.readonly,
        keep: raw.keep,
        volumes: raw.volumes,
        tmpfs: raw.tmpfs,
    })?;
    let network = check
        .field("network", raw.network, |v| v.parse::<Network>())?
        .unwrap_or_default();
    let ports = check.ports(raw.ports, network)?;
    let cpu = raw.cpu;
    Ok(Workload {
        name: check.field("name", raw.name, |v| check_name(&v).map(|()| v))?,
        hostname: check.field("hostname", raw.hostname, |v| check_hostname(&v).map(|()| v))?,
        cpu: check.field("cpu", cpu.clone(), |v| cpu_count(&v, host))?,
        memory: check.field("memory", raw.memory, |v| memory(&v))?,
        gpu: match raw.gpu {
            Some(gpu) => check.gpu(gpu)?,
            None => None,
        },
        args,
        env: match raw.env {
            Some(env) => check.env(env.value)?,
            None => Vec::new(),
        },
        workdir: check
            .field("workdir", raw.workdir, |v| workdir(&v))?
            .unwrap_or_else(|| PathBuf::from("/")),
        pids: check.field("pids", raw.pids, |v| positive_integer(&v, "pids"))?,
        cpus: check.field("cpus", raw.cpus, |v| cpus(&v, host))?,
        timeout: check.field("timeout", raw.timeout, |v| timeout(&v))?,
        user: check.field("user", raw.user, |v| user(&v))?,
        policy: check.field("policy", raw.policy, |v| {
            v.parse::<CpuPolicy>().map_err(|e| e.to_string())
        })?,
        gpu_policy: check.field("gpu_policy", raw.gpu_policy, |v| {
            v.parse::<GpuPolicy>().map_err(|e| e.to_string())
        })?,
        exclusive: check.exclusive(raw.exclusive, cpu.as_ref())?,
        image: fs.image,
        root: fs.root,
        readonly: fs.readonly,
        keep: fs.keep,
        volumes: fs.volumes,
        tmpfs: fs.tmpfs,
        network,
        ports,
    })
}

/// Error construction for one file.
pub(crate) struct Check<'a> {
    pub(crate) file: &'a str,
}

impl Check<'_> {
    pub(crate) fn err(&self, at: &Location, key: &str, message: impl Into<String>) -> SpecError {
        SpecError::invalid(self.file, at.line(), at.column(), key, message)
    }

    /// Validates one optional value with `f`, reporting its message at the value.
    fn field<T, U>(
        &self,
        key: &str,
        value: Option<Spanned<T>>,
        f: impl FnOnce(T) -> Result<U, String>,
    ) -> Result<Option<U>, SpecError> {
        let Some(value) = value else { return Ok(None) };
        let at = value.referenced;
        f(value.value)
            .map(Some)
            .map_err(|message| self.err(&at, key, message))
    }

    /// Exactly one of `command` (split like a shell would, but not run by one)
    /// and `args`; neither is needed with an `image` (its Entrypoint/Cmd).
    fn program(
        &self,
        command: Option<Spanned<String>>,
        args: Option<Spanned<Vec<Spanned<String>>>>,
        image: bool,
    ) -> Result<Vec<String>, SpecError> {
        match (command, args) {
            (None, None) if image => Ok(Vec::new()),
            (None, None) => Err(SpecError::invalid(
                self.file,
                1,
                1,
                "command",
                "missing: give `command` (a command line) or `args` (a list), e.g. command: echo hi",
            )),
            (Some(command), Some(args)) => {
                let (key, at) = if args.referenced.line() >= command.referenced.line() {
                    ("args", args.referenced)
                } else {
                    ("command", command.referenced)
                };
                Err(self.err(&at, key, "give either `command` or `args`, not both"))
            }
            (Some(command), None) => {
                let at = command.referenced;
                let words = shell_words::split(&command.value)
                    .map_err(|e| self.err(&at, "command", format!("cannot split into arguments: {e}")))?;
                check_program(&words).map_err(|message| self.err(&at, "command", message))?;
                Ok(words)
            }
            (None, Some(args)) => {
                let list = args.value;
                let Some(first) = list.first() else {
                    return Err(self.err(&args.referenced, "args", "must not be empty"));
                };
                if first.value.is_empty() {
                    return Err(self.err(&first.referenced, "args", "the program (first element) must not be empty"));
                }
                for arg in &list {
                    check_no_nul(&arg.value).map_err(|message| self.err(&arg.referenced, "args", message))?;
                }
                Ok(list.into_iter().map(|arg| arg.value).collect())
            }
        }
    }

    /// `exclusive: true` needs a whole number of cores in `cpu`.
    fn exclusive(
        &self,
        exclusive: Option<Spanned<bool>>,
        cpu: Option<&Spanned<RawScalar>>,
    ) -> Result<bool, SpecError> {
        let Some(exclusive) = exclusive.filter(|e| e.value) else {
            return Ok(false);
        };
        let whole = cpu.is_some_and(|c| matches!(c.value, RawScalar::Int(_)))
            || cpu.is_some_and(|c| matches!(&c.value, RawScalar::Float(x) if x.fract() == 0.0));
        if whole {
            Ok(true)
        } else {
            Err(self.err(
                &exclusive.referenced,
                "exclusive",
                "needs a whole number of cores in `cpu` (e.g. cpu: 1); a fractional cpu shares cores",
            ))
        }
    }

    fn env(&self, env: RawEnv) -> Result<Vec<(String, String)>, SpecError> {
        let mut out = Vec::with_capacity(env.0.len());
        for (name, value) in env.0 {
            let key = format!("env.{}", name.value);
            if name.value.is_empty() {
                return Err(self.err(&name.referenced, "env", "variable names must not be empty"));
            }
            if name.value.contains('=') {
                return Err(self.err(
                    &name.referenced,
                    &key,
                    "variable names must not contain '='",
                ));
            }
            check_no_nul(&name.value)
                .map_err(|message| self.err(&name.referenced, &key, message))?;
            check_no_nul(&value.value)
                .map_err(|message| self.err(&value.referenced, &key, message))?;
            out.push((name.value, value.value));
        }
        Ok(out)
    }

    fn gpu(&self, gpu: Spanned<RawGpu>) -> Result<Option<GpuRequest>, SpecError> {
        match gpu.value {
            RawGpu::Scalar(value) => {
                let count = gpu_count(&value, "gpu")
                    .map_err(|message| self.err(&gpu.referenced, "gpu", message))?;
                Ok((count > 0).then_some(GpuRequest {
                    count,
                    memory: None,
                }))
            }
            RawGpu::Map(map) => {
                let memory = self.field("gpu.memory", map.memory, |v| {
                    match memory_size(&v, "gpu.memory")? {
                        0 => Err("must be greater than 0".to_string()),
                        bytes => Ok(bytes),
                    }
                })?;
                let count = match map.count {
                    Some(count) => {
                        let at = count.referenced;
                        let n = gpu_count(&count.value, "gpu.count")
                            .map_err(|m| self.err(&at, "gpu.count", m))?;
                        if n == 0 && memory.is_some() {
                            return Err(self.err(
                                &at,
                                "gpu.count",
                                "is 0 but `memory` is given; remove one",
                            ));
                        }
                        n
                    }
                    None => 1,
                };
                Ok((count > 0).then_some(GpuRequest { count, memory }))
            }
        }
    }
}

fn check_program(words: &[String]) -> Result<(), String> {
    match words.first() {
        None => Err("must not be empty".to_string()),
        Some(program) if program.is_empty() => {
            Err("the program (first word) must not be empty".to_string())
        }
        Some(_) => words.iter().try_for_each(|w| check_no_nul(w)),
    }
}
