//! The workload cannot undo its isolation: tried from inside.

use crate::support::*;

/// Docker's 14 default capabilities as a kernel bitmask.
const DOCKER_DEFAULT_CAPS: u64 = 0x00000000a80425fb;

fn status_field(status: &str, name: &str) -> String {
    status
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(|v| v.trim().to_string())
        .unwrap_or_else(|| panic!("no {name} in\n{status}"))
}

#[test]
fn capabilities_are_bounded_and_no_new_privs_is_set() {
    let run = run_yaml(&sh("cat /proc/self/status"));
    run.expect_code(0).assert_clean();
    for set in ["CapBnd", "CapEff", "CapPrm"] {
        let mask = u64::from_str_radix(&status_field(&run.stdout, set), 16).expect("mask");
        assert_eq!(mask, DOCKER_DEFAULT_CAPS, "{set} is {mask:#x}");
    }
    assert_eq!(
        u64::from_str_radix(&status_field(&run.stdout, "CapInh"), 16),
        Ok(0)
    );
    assert_eq!(status_field(&run.stdout, "NoNewPrivs"), "1");
}

#[test]
fn privileged_operations_fail_inside() {
    let run = run_yaml(&args_yaml(&[probe(), "privileged"]));
    run.expect_code(0).assert_clean();
    let out = run.stdout.trim();
    // A kernel built without module support answers ENOSYS to everyone.
    let modules = if std::path::Path::new("/proc/modules").exists() {
        "init_module=EPERM"
    } else {
        "init_module=errno38"
    };
    for expected in [
        modules,
        "mount=EPERM",
        "remount_root_rw=EPERM",
        "umount_proc=EPERM",
        "sethostname=EPERM",
        "write_host_file=EROFS",
    ] {
        assert!(
            out.split_whitespace().any(|w| w == expected),
            "expected {expected} in {out}"
        );
    }
}

#[test]
fn shell_tools_cannot_remount_or_unmount() {
    let run = run_yaml(&sh(
        "mount -o remount,rw / 2>/dev/null && echo remounted || echo remount-refused; \
         umount /proc 2>/dev/null && echo unmounted || echo umount-refused",
    ));
    run.expect_code(0).assert_clean();
    assert_eq!(
        run.stdout.lines().collect::<Vec<_>>(),
        ["remount-refused", "umount-refused"]
    );
}

#[test]
fn device_nodes_cannot_be_added_or_used() {
    // CAP_MKNOD is in docker's default set: /dev is read-only and every
    // writable mount is nodev, so a node made in /tmp opens nothing.
    let run = run_yaml(&sh(
        "mknod /dev/sdz b 8 0 2>/dev/null && echo dev-mknod || echo dev-refused; \
         mknod /tmp/sdz b 8 0 && (head -c1 /tmp/sdz >/dev/null 2>&1 && echo opened || echo open-refused)",
    ));
    run.expect_code(0).assert_clean();
    assert_eq!(
        run.stdout.lines().collect::<Vec<_>>(),
        ["dev-refused", "open-refused"]
    );
}

#[test]
fn proc_sensitive_paths_are_masked() {
    let run = run_yaml(&sh(
        "for p in /proc/keys /proc/timer_list /proc/kcore; do [ -e $p ] && echo \"$p $(wc -c < $p)\"; done; \
         echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo sys-writable || echo sys-refused",
    ));
    run.expect_code(0).assert_clean();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.last(), Some(&"sys-refused"));
    let masked = &lines[..lines.len() - 1];
    assert!(
        !masked.is_empty(),
        "none of the masked files exists on this kernel"
    );
    for line in masked {
        assert!(line.ends_with(" 0"), "not masked: {line}");
    }
}

#[test]
fn descriptors_containerctl_inherits_do_not_reach_the_workload() {
    require_root();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("w.yaml");
    std::fs::write(&file, sh("ls /proc/self/fd | tr '\\n' ' '")).expect("write");
    // fd 7 a file, fd 8 a directory (the classic way out of a mount namespace).
    let out = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(format!(
            "exec 7</etc/hostname 8</ ; exec {} -q --root {}/state run --record-dir {}/records {}",
            containerctl(),
            dir.path().display(),
            dir.path().display(),
            file.display()
        ))
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // 0-2, and 3: the directory ls itself opened.
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0 1 2 3");
}

#[test]
fn host_sockets_under_run_are_out_of_reach() {
    let socket = format!("/run/containerctl-test-{}.sock", std::process::id());
    let _listener = std::os::unix::net::UnixListener::bind(&socket).expect("bind a host socket");
    let run = run_yaml(&sh(&format!(
        "test -e {socket} && echo visible || echo hidden"
    )));
    let _ = std::fs::remove_file(&socket);
    run.expect_code(0).assert_clean();
    assert_eq!(run.stdout.trim(), "hidden");
}
