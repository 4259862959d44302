//! `image: NAME` in a workload: looks the image up in the local store and
//! turns it into the workload's root (its layers as overlay lower dirs) and
//! defaults, docker's way: the workload's `command`/`args` replace the
//! image's Cmd and keep its Entrypoint; its `env` overrides the image's Env
//! by name; the image's WorkingDir and User apply unless the workload sets
//! `workdir` / `user` (a User must be numeric here).

use std::path::Path;

use anyhow::Context;

use crate::exit::BadUsage;

/// Resolves `workload.image` (if any) against the store at `image_root`.
/// The returned guard keeps the image's layers from being deleted (by an
/// `image rm` meanwhile): hold it until the container has ended.
pub fn resolve(
    image_root: &Path,
    workload: &mut spec::Workload,
) -> anyhow::Result<Option<images::InUse>> {
    let Some(name) = workload.image.clone() else {
        return Ok(None);
    };
    let store = images::Store::open(image_root)?;
    let in_use = store.hold()?;
    let img = store.get(&name).with_context(|| format!("image: {name}"))?;
    let config = &img.config;
    workload.args = command(&workload.args, config).ok_or_else(|| {
        BadUsage(format!(
            "image {name} has no Entrypoint or Cmd: give `command` or `args` in the workload"
        ))
    })?;
    workload.env = environment(&config.env, &workload.env);
    if workload.workdir == Path::new("/") {
        if let Some(dir) = config.working_dir.as_deref().filter(|d| d.starts_with('/')) {
            workload.workdir = dir.into();
        }
    }
    if workload.user.is_none() {
        if let Some(user) = config.user.as_deref().filter(|u| !u.is_empty()) {
            workload.user = Some(numeric_user(user).ok_or_else(|| {
                BadUsage(format!(
                    "image {name} runs as user `{user}`, which is not numeric: give `user: \"UID:GID\"` in the workload"
                ))
            })?);
        }
    }
    workload.root = spec::Root::Layers(store.lower_dirs(&img));
    tracing::info!(step = "spec", image = %img.name, "image {} ({}, {} layer(s))", img.name, img.id, img.layers.len());
    Ok(Some(in_use))
}

/// Entrypoint + (the workload's args, else Cmd); `None` when that is empty.
fn command(args: &[String], config: &images::ImageConfig) -> Option<Vec<String>> {
    let tail = if args.is_empty() { &config.cmd } else { args };
    let full: Vec<String> = config.entrypoint.iter().chain(tail).cloned().collect();
    (!full.is_empty()).then_some(full)
}

/// The image's `K=V` list, overridden by the workload's by name.
fn environment(image: &[String], workload: &[(String, String)]) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = image
        .iter()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for (name, value) in workload {
        match env.iter_mut().find(|(k, _)| k == name) {
            Some(entry) => entry.1.clone_from(value),
            None => env.push((name.clone(), value.clone())),
        }
    }
    env
}

/// `1000`, `1000:100` → a user; names are not resolved.
fn numeric_user(user: &str) -> Option<spec::UserSpec> {
    let (uid, gid) = match user.split_once(':') {
        Some((u, g)) => (u.parse().ok()?, g.parse().ok()?),
        None => {
            let uid = user.parse().ok()?;
            (uid, uid)
        }
    };
    Some(spec::UserSpec { uid, gid })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(entrypoint: &[&str], cmd: &[&str]) -> images::ImageConfig {
        images::ImageConfig {
            entrypoint: entrypoint.iter().map(|s| s.to_string()).collect(),
            cmd: cmd.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn workload_args_replace_cmd_and_keep_the_entrypoint() {
        let c = config(&["/entry.sh"], &["serve"]);
        assert_eq!(command(&[], &c).unwrap(), ["/entry.sh", "serve"]);
        assert_eq!(
            command(&["echo".into(), "hi".into()], &c).unwrap(),
            ["/entry.sh", "echo", "hi"]
        );
        assert_eq!(command(&[], &config(&[], &["sh"])).unwrap(), ["sh"]);
        assert!(command(&[], &config(&[], &[])).is_none());
    }

    #[test]
    fn workload_env_overrides_image_env_by_name() {
        let env = environment(
            &["PATH=/bin".into(), "A=1".into(), "junk".into()],
            &[("A".into(), "2".into()), ("B".into(), "3".into())],
        );
        let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(pairs, [("PATH", "/bin"), ("A", "2"), ("B", "3")]);
    }

    #[test]
    fn only_numeric_users() {
        assert_eq!(
            numeric_user("1000"),
            Some(spec::UserSpec {
                uid: 1000,
                gid: 1000
            })
        );
        assert_eq!(numeric_user("1:2"), Some(spec::UserSpec { uid: 1, gid: 2 }));
        assert_eq!(numeric_user("nobody"), None);
    }
}
