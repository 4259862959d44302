//! Namespaces and the file system view, checked from inside the container.

use crate::support::*;

#[test]
fn workload_is_pid_1_and_sees_no_host_processes() {
    let run = run_yaml(&sh("echo pid=$$; ls /proc | grep -c '^[0-9]'"));
    run.expect_code(0).assert_clean();
    let mut lines = run.stdout.lines();
    assert_eq!(lines.next(), Some("pid=1"), "{}", run.stdout);
    let visible: u32 = lines
        .next()
        .and_then(|l| l.trim().parse().ok())
        .expect("process count");
    // sh, ls and grep: nothing from the host.
    assert!(
        visible <= 3,
        "the container sees {visible} processes:\n{}",
        run.stdout
    );
}

#[test]
fn hostname_is_its_own() {
    let run = run_yaml(&format!(
        "hostname: box-one\n{}",
        sh("cat /proc/sys/kernel/hostname")
    ));
    run.expect_code(0).assert_clean();
    assert_eq!(run.stdout.trim(), "box-one");
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").expect("host name");
    assert_ne!(host.trim(), "box-one");
}

#[test]
fn default_hostname_is_the_short_id() {
    let run = run_yaml(&sh("cat /proc/sys/kernel/hostname"));
    run.expect_code(0);
    assert_eq!(run.stdout.trim(), &run.container_id()[..12]);
}

#[test]
fn network_namespace_has_only_loopback_and_it_is_up() {
    let run = run_yaml(&sh("ls /sys/class/net; cat /sys/class/net/lo/flags; cat /proc/net/dev | tail -n +3 | cut -d: -f1"));
    run.expect_code(0).assert_clean();
    let lines: Vec<&str> = run.stdout.lines().map(str::trim).collect();
    assert_eq!(lines[0], "lo", "{}", run.stdout);
    let flags = u32::from_str_radix(lines[1].trim_start_matches("0x"), 16).expect("flags");
    assert_eq!(flags & 1, 1, "lo is not up: flags {}", lines[1]);
    assert_eq!(
        &lines[2..],
        ["lo"],
        "interfaces in /proc/net/dev: {:?}",
        &lines[2..]
    );
}

#[test]
fn host_files_are_read_only_and_tmp_is_private() {
    let marker = format!("/tmp/containerctl-test-{}", std::process::id());
    let script = format!(
        "test -x {probe} && echo host-visible; \
         echo x > /etc/containerctl-test 2>/dev/null && echo etc-writable || echo etc-refused; \
         echo hello > {marker} && cat {marker}; \
         touch /dev/shm/x && echo shm-writable",
        probe = probe()
    );
    let run = run_yaml(&sh(&script));
    run.expect_code(0).assert_clean();
    assert_eq!(
        run.stdout.lines().collect::<Vec<_>>(),
        ["host-visible", "etc-refused", "hello", "shm-writable"]
    );
    assert!(!std::path::Path::new("/etc/containerctl-test").exists());
    assert!(
        !std::path::Path::new(&marker).exists(),
        "a write to the container's /tmp reached the host"
    );
}

#[test]
fn dev_holds_only_the_standard_nodes() {
    let run = run_yaml(&sh("ls /dev | tr '\\n' ' '; echo; ls -l /dev/null"));
    run.expect_code(0).assert_clean();
    let mut lines = run.stdout.lines();
    let names: Vec<&str> = lines.next().unwrap_or("").split_whitespace().collect();
    assert_eq!(
        names,
        [
            "fd", "full", "mqueue", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin",
            "stdout", "tty", "urandom", "zero"
        ]
    );
    let null = lines.next().unwrap_or("");
    assert!(null.starts_with("crw-rw-rw-"), "/dev/null is {null}");
}

#[test]
fn env_workdir_and_user_apply() {
    let yaml = format!(
        "env:\n  GREETING: hello\n  COUNT: 3\nworkdir: /tmp\nuser: \"1000:1001\"\n{}",
        sh("echo $GREETING $COUNT; pwd; id -u; id -g")
    );
    let run = run_yaml(&yaml);
    run.expect_code(0).assert_clean();
    assert_eq!(
        run.stdout.lines().collect::<Vec<_>>(),
        ["hello 3", "/tmp", "1000", "1001"]
    );
}

#[test]
fn output_streams_and_stdout_stays_clean() {
    let run = run_yaml(&sh("echo out; echo err >&2"));
    run.expect_code(0);
    assert_eq!(run.stdout, "out\n");
    assert!(run.stderr.lines().any(|l| l == "err"), "{}", run.stderr);
}

/// An OCI bundle with its own busybox root: `/` is the bundle's rootfs and
/// the host's files are out of sight.
#[test]
fn bundle_runs_in_its_own_root() {
    let busybox = ["/bin/busybox", "/usr/bin/busybox"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .expect("busybox-static is installed (scripts/install-deps.sh)");
    let bundle = tempfile::tempdir().expect("bundle dir");
    let rootfs = bundle.path().join("rootfs");
    for dir in ["bin", "proc", "dev", "sys", "tmp", "run"] {
        std::fs::create_dir_all(rootfs.join(dir)).expect("rootfs dir");
    }
    std::fs::copy(busybox, rootfs.join("bin/busybox")).expect("copy busybox");
    std::os::unix::fs::symlink("busybox", rootfs.join("bin/sh")).expect("sh link");
    // The workload's own lowering, pointed at the bundle's rootfs.
    let workload = bundle.path().join("w.yaml");
    std::fs::write(&workload, args_yaml(&["/bin/sh", "-c", "busybox ls /; busybox test -e /usr && echo host-visible; busybox touch /x || echo root-read-only"])).expect("yaml");
    let out = std::process::Command::new(containerctl())
        .arg("spec")
        .arg(&workload)
        .output()
        .expect("spec");
    let mut config: serde_json::Value = serde_json::from_slice(&out.stdout).expect("config json");
    config["root"]["path"] = "rootfs".into();
    std::fs::write(bundle.path().join("config.json"), config.to_string()).expect("config");
    let before = std::fs::read_dir(&rootfs).expect("ls").count();

    let run = RunBuilder::new("").bundle(bundle.path()).run();
    run.expect_code(0).assert_clean();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines,
        ["bin", "dev", "proc", "run", "sys", "tmp", "root-read-only"],
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_dir(&rootfs).expect("ls").count(),
        before,
        "the bundle's rootfs changed"
    );
}
