//! Helpers: run `containerctl run` on a YAML text with JSON logs, collect the
//! exit code, output and log records, and check that a run left nothing of
//! its own behind (cgroup dirs, state dir, processes, mounts).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Serialises the tests whose numbers depend on having the CPUs to themselves.
pub static CPU_BOUND: Mutex<()> = Mutex::new(());

pub fn containerctl() -> &'static str {
    env!("CARGO_BIN_EXE_containerctl")
}

/// The probe, at a path the container can see: the build's own path, or a
/// copy in /var/tmp when the build lives where containers get private
/// mounts of their own (a clone under /tmp, say).
pub fn probe() -> &'static str {
    static PROBE: OnceLock<String> = OnceLock::new();
    PROBE.get_or_init(|| {
        let built = env!("CARGO_BIN_EXE_containerctl-probe");
        let hidden = ["/tmp/", "/run/", "/dev/", "/proc/", "/sys/"];
        if !hidden.iter().any(|dir| built.starts_with(dir)) {
            return built.to_string();
        }
        let copy = "/var/tmp/containerctl-test-probe";
        let staging = format!("{copy}.{}", std::process::id());
        std::fs::copy(built, &staging).expect("copy the probe to /var/tmp");
        std::fs::rename(&staging, copy).expect("install the probe copy");
        copy.to_string()
    })
}

/// Integration tests need root; say so plainly instead of skipping.
pub fn require_root() {
    assert!(
        nix::unistd::geteuid().is_root(),
        "the integration tests run real containers and must run as root"
    );
}

/// True inside the emulated VM (pure cgroup v2), where everything is slower.
pub fn in_slow_vm() -> bool {
    std::fs::read_to_string("/proc/sys/kernel/hostname").is_ok_and(|h| h.trim() == "kvmlab")
}

/// A YAML string as a list of args: `args: [..]`.
pub fn args_yaml(args: &[&str]) -> String {
    let quoted: Vec<String> = args.iter().map(|a| format!("{a:?}")).collect();
    format!("args: [{}]\n", quoted.join(", "))
}

/// `args:` running a shell snippet.
pub fn sh(script: &str) -> String {
    args_yaml(&["/bin/sh", "-c", script])
}

#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub logs: Vec<Value>,
    pub state_root: tempfile::TempDir,
    /// The state root the run used (its ledger is there).
    pub state: PathBuf,
    pub cgroup_parent: String,
}

impl Run {
    /// The run's record directory (under the temp dir's records/).
    pub fn record_dir(&self) -> PathBuf {
        let records = self.state_root.path().join("records");
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(&records)
            .unwrap_or_else(|e| panic!("{}: {e}", records.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        assert_eq!(dirs.len(), 1, "one record dir expected: {dirs:?}");
        dirs.remove(0)
    }
}

pub struct RunBuilder {
    yaml: String,
    args: Vec<String>,
    cgroup_parent: String,
    bundle: Option<PathBuf>,
    shared_state: Option<PathBuf>,
    envs: Vec<(String, PathBuf)>,
}

pub fn run_yaml(yaml: &str) -> Run {
    RunBuilder::new(yaml).run()
}

impl RunBuilder {
    pub fn new(yaml: &str) -> RunBuilder {
        RunBuilder {
            yaml: yaml.to_string(),
            args: Vec::new(),
            cgroup_parent: cgroups::DEFAULT_PARENT.to_string(),
            bundle: None,
            shared_state: None,
            envs: Vec::new(),
        }
    }

    /// Use this state root (shared with other runs: one ledger) instead of a fresh one.
    pub fn state(mut self, dir: &Path) -> RunBuilder {
        self.shared_state = Some(dir.to_path_buf());
        self
    }

    /// Run an OCI bundle instead of the YAML.
    pub fn bundle(mut self, dir: &Path) -> RunBuilder {
        self.bundle = Some(dir.to_path_buf());
        self
    }

    /// Sets an environment variable of the containerctl process.
    pub fn env(mut self, key: &str, value: &Path) -> RunBuilder {
        self.envs.push((key.to_string(), value.to_path_buf()));
        self
    }

    pub fn arg(mut self, arg: &str) -> RunBuilder {
        self.args.push(arg.to_string());
        self
    }

    pub fn cgroup_parent(mut self, parent: &str) -> RunBuilder {
        self.cgroup_parent = parent.to_string();
        self
    }

    /// Starts containerctl, returning the child and what `finish` needs.
    pub fn spawn(self) -> (std::process::Child, Pending) {
        let (mut command, pending) = self.command();
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn containerctl");
        (child, pending)
    }

    /// The containerctl command `spawn` runs, for a caller that wires its
    /// stdio itself (a terminal), and what `collected` needs.
    pub fn command(self) -> (Command, Pending) {
        require_root();
        let state_root = tempfile::tempdir().expect("state root");
        let file = state_root.path().join("workload.yaml");
        std::fs::write(&file, &self.yaml).expect("write workload");
        let state = self
            .shared_state
            .clone()
            .unwrap_or_else(|| state_root.path().join("state"));
        let mut command = Command::new(containerctl());
        command
            .env("CONTAINERCTL_RECORD_DIR", state_root.path().join("records"))
            .env_remove("CONTAINERCTL_GPUS")
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .args(["--log-format", "json", "--root"])
            .arg(&state)
            .args(["--cgroup-parent", &self.cgroup_parent, "run"])
            .args(&self.args);
        match &self.bundle {
            Some(dir) => command.arg("--bundle").arg(dir),
            None => command.arg(&file),
        };
        (
            command,
            Pending {
                state_root,
                state,
                cgroup_parent: self.cgroup_parent,
            },
        )
    }

    pub fn run(self) -> Run {
        let (child, pending) = self.spawn();
        pending.finish(child)
    }
}

pub struct Pending {
    state_root: tempfile::TempDir,
    state: PathBuf,
    cgroup_parent: String,
}

impl Pending {
    /// The results of a run whose exit code and output (stdout and stderr
    /// in one stream, as through a terminal) the caller collected.
    pub fn collected(self, code: i32, output: String) -> Run {
        let logs = output
            .lines()
            .filter_map(|line| line.find('{').map(|start| &line[start..]))
            .filter_map(|json| serde_json::from_str::<Value>(json.trim_end()).ok())
            .collect();
        Run {
            code,
            stdout: output.clone(),
            stderr: output,
            logs,
            state_root: self.state_root,
            state: self.state,
            cgroup_parent: self.cgroup_parent,
        }
    }

    /// Waits (at most two minutes) and collects the results.
    pub fn finish(self, mut child: std::process::Child) -> Run {
        let limit = Duration::from_secs(if in_slow_vm() { 600 } else { 120 });
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            if start.elapsed() > limit {
                let _ = child.kill();
                panic!("containerctl did not finish within {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut stdout = String::new();
        let mut stderr = String::new();
        child
            .stdout
            .take()
            .expect("stdout")
            .read_to_string(&mut stdout)
            .expect("read stdout");
        child
            .stderr
            .take()
            .expect("stderr")
            .read_to_string(&mut stderr)
            .expect("read stderr");
        let logs = stderr
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .collect();
        Run {
            code: status.code().unwrap_or(-1),
            stdout,
            stderr,
            logs,
            state_root: self.state_root,
            state: self.state,
            cgroup_parent: self.cgroup_parent,
        }
    }
}

impl Run {
    /// Log records of one setup step.
    pub fn step(&self, step: &str) -> Vec<&Value> {
        self.logs.iter().filter(|l| l["step"] == step).collect()
    }

    pub fn container_id(&self) -> String {
        self.step("spec")
            .iter()
            .find_map(|l| l["id"].as_str())
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no container id in the log:\n{}", self.stderr))
    }

    /// The container's PID 1 as seen from the host.
    pub fn host_pid(&self) -> Option<i32> {
        self.step("namespaces")
            .first()
            .and_then(|l| l["pid"].as_i64())
            .map(|p| p as i32)
    }

    pub fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Nothing of this container is left: cgroup dirs, state dir, PID 1.
    pub fn assert_clean(&self) {
        let id = self.container_id();
        for dir in cgroup_dirs(&self.cgroup_parent, &id) {
            assert!(!dir.exists(), "cgroup {} left behind", dir.display());
        }
        let state = self.state.join(&id);
        assert!(!state.exists(), "state dir {} left behind", state.display());
        let ledger = runtime::read_ledger(&self.state.join(runtime::LEDGER_FILE)).expect("ledger");
        assert!(
            !ledger.placements.contains_key(&id),
            "placement of {id} left in the ledger"
        );
        if let Some(pid) = self.host_pid() {
            assert!(
                !Path::new(&format!("/proc/{pid}")).exists() || is_zombie_or_reused(pid),
                "container PID 1 ({pid}) still running"
            );
        }
        let mounts = std::fs::read_to_string("/proc/self/mountinfo").expect("mountinfo");
        assert!(!mounts.contains(&id), "a mount mentions container {id}");
    }
}

fn is_zombie_or_reused(pid: i32) -> bool {
    let cmdline = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    !cmdline.contains("containerctl")
}

/// Every directory a container with this id could have in the cgroup trees.
pub fn cgroup_dirs(parent: &str, id: &str) -> Vec<PathBuf> {
    let layout = cgroups::detect().expect("cgroup layout");
    hierarchy_roots(&layout)
        .into_iter()
        .map(|root| root.join(parent).join(id))
        .collect()
}

pub fn hierarchy_roots(layout: &cgroups::Layout) -> Vec<PathBuf> {
    match layout {
        cgroups::Layout::Unified { root } => vec![root.clone()],
        cgroups::Layout::Hybrid { v1, .. } | cgroups::Layout::Legacy { v1 } => {
            v1.iter().map(|h| h.mount_point.clone()).collect()
        }
    }
}

/// Parses `key=value` words from a probe's output line.
pub fn field(output: &str, key: &str) -> f64 {
    output
        .split_whitespace()
        .find_map(|w| w.strip_prefix(&format!("{key}=")))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {key}= in {output:?}"))
}

/// A file a container waits for (`gate.wait_script()`), so a test decides
/// when the container ends instead of racing a sleep. It lives under
/// /var/tmp, which containers see (read-only) through the host root.
pub struct Gate {
    dir: tempfile::TempDir,
}

impl Gate {
    pub fn new() -> Gate {
        Gate {
            dir: tempfile::Builder::new()
                .prefix("containerctl-gate")
                .tempdir_in("/var/tmp")
                .expect("gate dir"),
        }
    }

    fn file(&self) -> PathBuf {
        self.dir.path().join("open")
    }

    /// Shell commands that return once the gate is open (at most 60 s).
    pub fn wait_script(&self) -> String {
        self.wait_script_for(60)
    }

    /// Shell commands that return once the gate is open (at most `secs`).
    pub fn wait_script_for(&self, secs: u32) -> String {
        format!(
            "i=0; while [ ! -e {} ] && [ $i -lt {} ]; do sleep 0.05; i=$((i+1)); done",
            self.file().display(),
            secs * 20
        )
    }

    pub fn open(&self) {
        std::fs::write(self.file(), "").expect("open gate");
    }

    /// For containers with their own root: a volume line that shows the
    /// gate at /gate, and the commands that wait for it there.
    pub fn volume_and_wait_script(&self) -> (String, String) {
        let volume = format!("{}:/gate:ro", self.dir.path().display());
        let script =
            "i=0; while [ ! -e /gate/open ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done";
        (volume, script.to_string())
    }
}

/// A busybox root file system in a temp dir under /var/tmp.
pub struct Busybox {
    dir: tempfile::TempDir,
}

impl Busybox {
    pub fn new() -> Busybox {
        let dir = tempfile::Builder::new()
            .prefix("containerctl-rootfs")
            .tempdir_in("/var/tmp")
            .expect("rootfs dir");
        let root = dir.path();
        for sub in ["bin", "etc", "proc", "dev", "sys", "tmp", "run", "root"] {
            std::fs::create_dir_all(root.join(sub)).expect("mkdir");
        }
        std::fs::copy("/bin/busybox", root.join("bin/busybox"))
            .expect("busybox-static is installed at /bin/busybox");
        let list = std::process::Command::new("/bin/busybox")
            .arg("--list")
            .output()
            .expect("busybox --list");
        for applet in String::from_utf8_lossy(&list.stdout).lines() {
            if !applet.is_empty() && applet != "busybox" {
                std::os::unix::fs::symlink("busybox", root.join("bin").join(applet))
                    .expect("applet symlink");
            }
        }
        std::fs::write(root.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n").expect("passwd");
        Busybox { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// What a state root holds besides the files every run shares (the ledger
/// and its lock) and the container store's dirs while they are empty.
pub fn state_leftovers(state: &Path) -> Vec<String> {
    let shared = [runtime::LEDGER_FILE, runtime::LEDGER_LOCK];
    let empty_dir = |p: &Path| std::fs::read_dir(p).is_ok_and(|mut d| d.next().is_none());
    std::fs::read_dir(state)
        .map(|d| {
            d.flatten()
                .filter(|e| {
                    let name = e.file_name();
                    let store = (name == "containers" || name == "names") && empty_dir(&e.path());
                    !store && !shared.iter().any(|s| name == *s)
                })
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}
