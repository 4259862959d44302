//! Mount table fixtures: this machine's hybrid layout, a pure unified
//! host, a legacy host with co-mounted controllers, over-mounts, escapes,
//! malformed text.

use std::path::PathBuf;

use crate::{parse_mountinfo, CgroupError, Layout, V1Hierarchy};

/// /proc/self/mountinfo of the development machine (hybrid).
const HYBRID: &str = "\
22 27 0:21 / /proc rw,relatime - proc proc rw
23 27 0:22 / /sys rw,relatime - sysfs sysfs rw
24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw,size=12335016k,nr_inodes=3083754,mode=755
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";

/// A modern systemd host.
const UNIFIED: &str = "\
24 30 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
30 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro
35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
";

/// An older host: co-mounted controllers, optional fields, no cgroup2.
const LEGACY: &str = "\
18 24 0:17 / /sys rw,nosuid,nodev,noexec,relatime shared:6 - sysfs sysfs rw
24 0 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
25 18 0:21 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:8 - tmpfs tmpfs ro,mode=755
26 25 0:22 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:9 - cgroup cgroup rw,xattr,release_agent=/usr/lib/systemd/systemd-cgroups-agent,name=systemd
28 25 0:24 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,cpuacct,cpu
29 25 0:25 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,net_cls,net_prio
30 25 0:26 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,memory
31 25 0:27 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,cpuset,clone_children
";

fn h(controllers: &[&str], at: &str) -> V1Hierarchy {
    V1Hierarchy {
        controllers: controllers.iter().map(|c| c.to_string()).collect(),
        mount_point: PathBuf::from(at),
    }
}

#[test]
fn this_machines_hybrid_layout() {
    let layout = parse_mountinfo(HYBRID).expect("hybrid parses");
    let expected_v1: Vec<V1Hierarchy> = [
        "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids",
    ]
    .iter()
    .map(|c| h(&[c], &format!("/sys/fs/cgroup/{c}")))
    .collect();
    assert_eq!(
        layout,
        Layout::Hybrid {
            v1: expected_v1,
            unified: PathBuf::from("/sys/fs/cgroup/unified"),
        }
    );
    assert_eq!(layout.describe(), "hybrid (v1 controllers + v2)");
}

#[test]
fn pure_unified_host() {
    let layout = parse_mountinfo(UNIFIED).expect("unified parses");
    assert_eq!(
        layout,
        Layout::Unified {
            root: PathBuf::from("/sys/fs/cgroup")
        }
    );
    assert_eq!(layout.describe(), "unified (v2)");
}

#[test]
fn legacy_host_with_co_mounted_controllers() {
    let layout = parse_mountinfo(LEGACY).expect("legacy parses");
    assert_eq!(
        layout,
        Layout::Legacy {
            v1: vec![
                h(&["cpu", "cpuacct"], "/sys/fs/cgroup/cpu,cpuacct"),
                h(&["net_cls", "net_prio"], "/sys/fs/cgroup/net_cls,net_prio"),
                h(&["memory"], "/sys/fs/cgroup/memory"),
                h(&["cpuset"], "/sys/fs/cgroup/cpuset"),
            ]
        }
    );
    assert_eq!(layout.describe(), "legacy (v1)");
}

#[test]
fn cgroup2_mounted_over_the_tmpfs_hides_the_v1_mounts() {
    // The tmpfs (31) and everything on it is covered by a cgroup2 mount
    // whose parent is the tmpfs, at the same place.
    let text = format!("{HYBRID}50 31 0:40 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
    assert_eq!(
        parse_mountinfo(&text).expect("parses"),
        Layout::Unified {
            root: PathBuf::from("/sys/fs/cgroup")
        }
    );
    // A sibling mounted later on an enclosing directory hides them too.
    let text = format!("{HYBRID}51 23 0:41 / /sys/fs rw - tmpfs tmpfs rw\n");
    assert!(matches!(
        parse_mountinfo(&text),
        Err(CgroupError::NoCgroupMounts)
    ));
}

#[test]
fn a_hierarchy_mounted_twice_is_kept_at_its_first_mount() {
    let text = format!("{LEGACY}40 24 0:26 / /run/memory-too rw - cgroup cgroup rw,memory\n");
    let Layout::Legacy { v1 } = parse_mountinfo(&text).expect("parses") else {
        panic!("expected legacy");
    };
    let memory: Vec<_> = v1.iter().filter(|h| h.controllers == ["memory"]).collect();
    assert_eq!(memory.len(), 1);
    assert_eq!(
        memory[0].mount_point,
        PathBuf::from("/sys/fs/cgroup/memory")
    );
}

#[test]
fn escaped_mount_points_and_blank_lines() {
    let text = "\n1 0 0:1 / /sys/fs/my\\040cgroup rw - cgroup2 cgroup2 rw\n\n";
    assert_eq!(
        parse_mountinfo(text).expect("parses"),
        Layout::Unified {
            root: PathBuf::from("/sys/fs/my cgroup")
        }
    );
    assert_eq!(crate::detect::unescape("a\\134b\\011c"), "a\\b\tc");
    assert_eq!(crate::detect::unescape("trailing\\04"), "trailing\\04");
}

#[test]
fn garbage_lines_are_clear_errors() {
    let text = format!("{UNIFIED}this is not a mount line\n");
    let err = parse_mountinfo(&text).expect_err("garbage is refused");
    let msg = err.to_string();
    assert!(
        msg.starts_with("mountinfo line 4: no \" - \" separator"),
        "{msg}"
    );
    assert!(msg.contains("this is not a mount line"), "{msg}");

    let err = parse_mountinfo("1 2 0:1 / /x rw - cgroup2\n").expect_err("too short");
    assert!(err.to_string().contains("after \" - \""), "{err}");
    let err = parse_mountinfo("a 2 0:1 / /x rw - cgroup2 cgroup2 rw\n").expect_err("bad id");
    assert!(err.to_string().contains("mount id \"a\""), "{err}");
}

#[test]
fn no_cgroup_mounts_is_a_clear_error() {
    let text = "22 27 0:21 / /proc rw,relatime - proc proc rw\n";
    let err = parse_mountinfo(text).expect_err("no cgroups");
    assert!(matches!(err, CgroupError::NoCgroupMounts));
    assert!(err.to_string().contains("no cgroup or cgroup2 mount"));
    assert!(matches!(
        parse_mountinfo(""),
        Err(CgroupError::NoCgroupMounts)
    ));
}

#[test]
fn a_named_hierarchy_alone_is_not_a_layout() {
    let text = "40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd\n";
    assert!(matches!(
        parse_mountinfo(text),
        Err(CgroupError::NoCgroupMounts)
    ));
}

#[test]
fn detect_reads_this_hosts_table() {
    // Whatever this host is, detection must not fail where /sys/fs/cgroup
    // is mounted.
    if std::path::Path::new("/sys/fs/cgroup").is_dir() {
        let layout = crate::detect().expect("detect");
        println!("this host: {}", layout.describe());
    }
}

proptest::proptest! {
    #[test]
    fn never_panics_on_any_text(text in "\\PC*(\n\\PC*){0,4}") {
        let _ = parse_mountinfo(&text);
    }

    #[test]
    fn any_valid_cgroup2_line_is_found(id in 1u64..10_000, dir in "[a-z]{1,12}") {
        let line = format!("{id} 1 0:1 / /{dir} rw,relatime shared:1 - cgroup2 cgroup2 rw\n");
        let layout = parse_mountinfo(&line);
        proptest::prop_assert_eq!(
            layout.ok(),
            Some(Layout::Unified { root: PathBuf::from(format!("/{dir}")) })
        );
    }
}
