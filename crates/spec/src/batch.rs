//! Files of several workloads (`containers:` and a list of workload
//! mappings), used by `experiment` and later `up`. Each entry is validated
//! like a single workload file; names must be unique and default to
//! `<file stem>-<n>`. A file without `containers:` is a batch of one.

use std::collections::HashMap;
use std::path::Path;

use crate::error::SpecError;
use crate::raw::RawBatch;
use crate::workload::{HostFacts, Workload};
use crate::{parse_workload, validate, yaml_error};

/// Reads a batch file (or a single workload file) at `path`.
pub fn load_batch(path: &Path, host: &HostFacts) -> Result<Vec<Workload>, SpecError> {
    let source = std::fs::read_to_string(path).map_err(|source| SpecError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("workload");
    parse_batch(&source, &path.display().to_string(), stem, host)
}

/// Parses batch YAML `source`; `file` names it in errors, `stem` makes default names.
pub fn parse_batch(
    source: &str,
    file: &str,
    stem: &str,
    host: &HostFacts,
) -> Result<Vec<Workload>, SpecError> {
    if !source.lines().any(|line| line.starts_with("containers:")) {
        let mut single = parse_workload(source, file, host)?;
        single.name.get_or_insert_with(|| stem.to_string());
        return Ok(vec![single]);
    }
    let raw: RawBatch = serde_saphyr::from_str(source)
        .map_err(|err| yaml_error::to_spec_error(&err, source, file))?;
    let at = raw.containers.referenced;
    if raw.containers.value.is_empty() {
        let message = "is empty; list at least one workload";
        return Err(SpecError::invalid(
            file,
            at.line(),
            at.column(),
            "containers",
            message,
        ));
    }
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut workloads = Vec::new();
    for (n, entry) in raw.containers.value.into_iter().enumerate() {
        let at = entry.referenced;
        let mut workload = validate::validate(entry.value, file, host)?;
        let name = workload
            .name
            .get_or_insert_with(|| format!("{stem}-{}", n + 1))
            .clone();
        if let Some(first) = seen.insert(name.clone(), at.line()) {
            let message = format!("name `{name}` is used twice (first at line {first})");
            return Err(SpecError::invalid(
                file,
                at.line(),
                at.column(),
                "containers.name",
                message,
            ));
        }
        workloads.push(workload);
    }
    Ok(workloads)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> HostFacts {
        HostFacts { cpus: vec![0, 1] }
    }

    #[test]
    fn a_list_of_workloads_gets_default_names() {
        let text = "containers:\n  - name: web\n    cpu: 1\n    command: sleep 1\n  - command: true\n    exclusive: false\n";
        let batch = parse_batch(text, "b.yaml", "b", &host()).unwrap();
        assert_eq!(batch.len(), 2);
        assert_eq!(batch[0].name.as_deref(), Some("web"));
        assert_eq!(batch[1].name.as_deref(), Some("b-2"));
    }

    #[test]
    fn a_single_workload_is_a_batch_of_one() {
        let batch = parse_batch("command: true\n", "one.yaml", "one", &host()).unwrap();
        assert_eq!(batch[0].name.as_deref(), Some("one"));
    }

    #[test]
    fn errors_point_into_the_list() {
        let text = "containers:\n  - command: true\n  - command: true\n    cpu: -1\n";
        let err = parse_batch(text, "b.yaml", "b", &host())
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("b.yaml:4:"), "{err}");
        assert!(err.contains("cpu"), "{err}");
    }

    #[test]
    fn entries_take_network_and_ports() {
        let text = "containers:\n  - command: true\n    network: bridge\n    ports: [8080:80]\n  - command: true\n    network: host\n";
        let batch = parse_batch(text, "b.yaml", "b", &host()).unwrap();
        assert_eq!(batch[0].network, crate::Network::Bridge);
        assert_eq!(batch[0].ports[0].to_string(), "8080:80");
        assert_eq!(batch[1].network, crate::Network::Host);
        let text = "containers:\n  - command: true\n    ports: [8080:80]\n";
        let err = parse_batch(text, "b.yaml", "b", &host())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("b.yaml:3:12: ports: needs `network: bridge`"),
            "{err}"
        );
    }

    #[test]
    fn duplicate_names_and_empty_lists_are_refused() {
        let text = "containers:\n  - name: a\n    command: true\n  - name: a\n    command: true\n";
        let err = parse_batch(text, "b.yaml", "b", &host())
            .unwrap_err()
            .to_string();
        assert!(err.contains("used twice"), "{err}");
        let err = parse_batch("containers: []\n", "b.yaml", "b", &host())
            .unwrap_err()
            .to_string();
        assert!(err.contains("containers: is empty"), "{err}");
    }
}
