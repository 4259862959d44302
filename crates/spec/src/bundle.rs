//! OCI bundles: a directory holding config.json and the root file system it
//! names. `load_bundle` reads the Spec and makes its root path absolute, so
//! the runtime executes a bundle exactly as it executes a lowered workload.

use std::path::Path;

use oci_spec::runtime::Spec;

use crate::SpecError;

pub fn load_bundle(dir: &Path) -> Result<Spec, SpecError> {
    let config = dir.join("config.json");
    let fail = |message: String| SpecError::Bundle {
        path: config.clone(),
        message,
    };
    let text = std::fs::read_to_string(&config).map_err(|e| fail(format!("cannot read: {e}")))?;
    let mut spec: Spec =
        serde_json::from_str(&text).map_err(|e| fail(format!("invalid config.json: {e}")))?;
    let root = spec.root().clone().ok_or_else(|| fail("no root".into()))?;
    let root_path = dir.join(root.path());
    let root_path = root_path
        .canonicalize()
        .map_err(|e| fail(format!("root {}: {e}", root_path.display())))?;
    let mut root = root;
    root.set_path(root_path);
    spec.set_root(Some(root));
    if spec
        .process()
        .as_ref()
        .and_then(|p| p.terminal())
        .unwrap_or(false)
    {
        return Err(fail(
            "process.terminal is true; terminals are not supported yet".into(),
        ));
    }
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(config: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("rootfs")).expect("rootfs");
        std::fs::write(dir.path().join("config.json"), config).expect("config");
        dir
    }

    #[test]
    fn root_becomes_absolute() {
        let dir = bundle(
            r#"{"ociVersion":"1.0.2","root":{"path":"rootfs","readonly":true},"process":{"user":{"uid":0,"gid":0},"cwd":"/","args":["/bin/true"]}}"#,
        );
        let spec = load_bundle(dir.path()).expect("bundle");
        let root = spec.root().as_ref().expect("root");
        assert!(root.path().is_absolute());
        assert!(root.path().ends_with("rootfs"));
    }

    #[test]
    fn problems_name_the_config_file() {
        let dir = bundle("{not json");
        let err = load_bundle(dir.path()).expect_err("bad json");
        assert!(err.to_string().contains("config.json"), "{err}");
        let missing = bundle(r#"{"ociVersion":"1.0.2","root":{"path":"nowhere"}}"#);
        let err = load_bundle(missing.path()).expect_err("no root dir");
        assert!(err.to_string().contains("nowhere"), "{err}");
    }

    #[test]
    fn terminals_are_refused_for_now() {
        let dir = bundle(
            r#"{"ociVersion":"1.0.2","root":{"path":"rootfs"},"process":{"terminal":true,"user":{"uid":0,"gid":0},"cwd":"/","args":["sh"]}}"#,
        );
        assert!(load_bundle(dir.path()).is_err());
    }
}
