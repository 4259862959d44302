//! Helpers for the lifecycle tests: a state root and cgroup parent of the
//! test's own, `containerctl` commands against them, and the check that
//! nothing of any container is left (records, names, runtime state dirs,
//! cgroup dirs, processes).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::{containerctl, hierarchy_roots};

/// A state root and a cgroup parent no other test uses.
pub struct Ctl {
    pub root: tempfile::TempDir,
    pub parent: String,
    /// `--bridge` and `--subnet` of this test's own bridge network.
    pub network: Option<(String, String)>,
}

impl Ctl {
    pub fn new(tag: &str) -> Ctl {
        crate::support::require_root();
        let root = tempfile::tempdir().expect("state root");
        let parent = format!("containerctl-test-{tag}-{}", std::process::id());
        Ctl {
            root,
            parent,
            network: None,
        }
    }

    /// With a bridge of its own, `ctlt<tag>`, serving `subnet`; pruned on drop.
    pub fn on_bridge(tag: &str, subnet: &str) -> Ctl {
        let mut ctl = Ctl::new(tag);
        ctl.network = Some((format!("ctlt{tag}"), subnet.to_string()));
        ctl
    }

    pub fn bridge(&self) -> &str {
        self.network.as_ref().map_or("ctl0", |(bridge, _)| bridge)
    }

    /// The address leases of this test's bridge.
    pub fn leases(&self) -> Vec<String> {
        let dir = self
            .root
            .path()
            .join("networks")
            .join(self.bridge())
            .join("leases");
        std::fs::read_dir(dir)
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The links still on this test's bridge once the kernel has had up to
    /// 10 s to destroy the network namespaces of ended containers (their
    /// veth pairs go with them, asynchronously).
    pub fn settled_bridge_ports(&self) -> Vec<String> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let ports = self.bridge_ports();
            if ports.is_empty() || std::time::Instant::now() > deadline {
                return ports;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// The links enslaved to this test's bridge (the host ends of veths).
    pub fn bridge_ports(&self) -> Vec<String> {
        std::fs::read_dir(format!("/sys/class/net/{}/brif", self.bridge()))
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `containerctl --root R --cgroup-parent P ARGS…`, not yet run.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(containerctl());
        command
            .env("CONTAINERCTL_LOG", "warn")
            .arg("--root")
            .arg(self.root.path())
            .arg("--cgroup-parent")
            .arg(&self.parent);
        if let Some((bridge, subnet)) = &self.network {
            command
                .arg("--bridge")
                .arg(bridge)
                .arg("--subnet")
                .arg(subnet);
        }
        command
            .args(args)
            .env_remove("CONTAINERCTL_GPUS")
            .env("CONTAINERCTL_RECORD_DIR", self.root.path().join("records"));
        command
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run containerctl")
    }

    /// Runs and asserts the exit code; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        self.expect(args, 0)
    }

    pub fn expect(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(code),
            "containerctl {args:?}: stdout {} stderr {stderr}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Writes a workload file into the state root's parent dir.
    pub fn workload(&self, name: &str, yaml: &str) -> PathBuf {
        let path = self.root.path().join(format!("{name}.yaml"));
        std::fs::write(&path, yaml).expect("workload file");
        path
    }

    /// `run -d --no-record FILE [extra…]`: the full id.
    pub fn detach(&self, file: &Path, extra: &[&str]) -> String {
        let file = file.to_str().expect("path");
        let mut args = vec!["run", "-d", "--no-record"];
        args.extend_from_slice(extra);
        args.push(file);
        let id = self.ok(&args).trim().to_string();
        assert_eq!(id.len(), 64, "an id: {id:?}");
        id
    }

    /// `run -d --no-record FILE` killed with SIGKILL a pseudo-random 0-250
    /// ms in (`seed` advances): the CLI on even rounds, its monitor (the
    /// CLI's child, which owns the container) on odd ones.
    pub fn start_and_kill(&self, file: &str, round: u64, seed: &mut u64) {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let delay = std::time::Duration::from_millis((*seed >> 33) % 250);
        let mut cli = self
            .command(&["run", "-d", "--no-record", file])
            .spawn()
            .expect("run -d");
        std::thread::sleep(delay);
        let victim = if round & 1 == 0 {
            Some(cli.id() as i32)
        } else {
            child_of(cli.id() as i32)
        };
        if let Some(pid) = victim {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let _ = cli.wait();
    }

    /// `count` concurrent `run -d --no-record FILE`: their full ids.
    pub fn detach_many(&self, file: &Path, count: usize) -> Vec<String> {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..count)
                .map(|_| scope.spawn(|| self.detach(file, &[])))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("thread"))
                .collect()
        })
    }

    /// `ps -a --format json`.
    pub fn ps(&self) -> Vec<Value> {
        let out = self.ok(&["ps", "-a", "--format", "json"]);
        serde_json::from_str::<Vec<Value>>(&out).expect("ps json")
    }

    pub fn status(&self, id: &str) -> String {
        self.ps()
            .iter()
            .find(|c| c["id"] == id)
            .map(|c| c["status"].as_str().unwrap_or_default().to_string())
            .unwrap_or_else(|| "gone".into())
    }

    /// Our cgroup dirs (under this test's parent) in every hierarchy.
    pub fn cgroup_dirs(&self) -> Vec<PathBuf> {
        let layout = cgroups::detect().expect("layout");
        hierarchy_roots(&layout)
            .into_iter()
            .map(|root| root.join(&self.parent))
            .filter(|dir| dir.exists())
            .flat_map(|dir| std::fs::read_dir(dir).into_iter().flatten().flatten())
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect()
    }

    /// Every pid in our cgroups.
    pub fn cgroup_pids(&self) -> Vec<i32> {
        let mut pids: Vec<i32> = self
            .cgroup_dirs()
            .iter()
            .flat_map(|d| {
                std::fs::read_to_string(d.join("cgroup.procs"))
                    .unwrap_or_default()
                    .lines()
                    .filter_map(|l| l.parse().ok())
                    .collect::<Vec<_>>()
            })
            .collect();
        pids.sort();
        pids.dedup();
        pids
    }

    /// Nothing of any container is left under this state root or parent.
    pub fn assert_clean(&self) {
        let state = self.root.path();
        for sub in ["containers", "names"] {
            let left: Vec<_> = std::fs::read_dir(state.join(sub))
                .map(|d| d.flatten().map(|e| e.file_name()).collect())
                .unwrap_or_default();
            assert!(left.is_empty(), "{sub}/ left: {left:?}");
        }
        let runtime_dirs: Vec<_> = std::fs::read_dir(state)
            .expect("state root")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.len() == 64)
            .collect();
        assert!(
            runtime_dirs.is_empty(),
            "runtime state dirs left: {runtime_dirs:?}"
        );
        assert!(
            self.cgroup_dirs().is_empty(),
            "cgroups left: {:?}",
            self.cgroup_dirs()
        );
        assert!(self.leases().is_empty(), "leases left: {:?}", self.leases());
        let veths = self.settled_bridge_ports();
        assert!(
            veths.is_empty(),
            "veths left on {}: {veths:?}",
            self.bridge()
        );
        let ledger = runtime::read_ledger(&state.join(runtime::LEDGER_FILE)).expect("ledger");
        assert!(
            ledger.placements.is_empty(),
            "placements left: {:?}",
            ledger.placements.keys()
        );
    }
}

impl Drop for Ctl {
    /// Whatever a failed test left running is killed and collected.
    fn drop(&mut self) {
        let ids: Vec<String> = std::fs::read_dir(self.root.path().join("containers"))
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        for id in ids {
            let _ = self.run(&["rm", "-f", &id]);
        }
        let _ = self.run(&["gc"]);
        if self.network.is_some() {
            let _ = self.run(&["network", "prune"]);
        }
    }
}

/// The first child of `pid` (the monitor, while the CLI waits for it).
fn child_of(pid: i32) -> Option<i32> {
    let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).ok()?;
    children.split_whitespace().next()?.parse().ok()
}
