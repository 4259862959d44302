//! Pure translation of OCI mount entries (fstab-style option lists) into what
//! mount(2) takes: MsFlags plus a data string. No system calls here.

use nix::mount::MsFlags;

/// One spec mount, ready for mount(2).
#[derive(Debug, Clone, PartialEq)]
pub struct MountPlan {
    /// Absolute path inside the container.
    pub destination: std::path::PathBuf,
    /// File-system type ("proc", "tmpfs", "bind", "cgroup", ...).
    pub fstype: String,
    pub source: String,
    /// Flags for the initial mount (without MS_RDONLY for tmpfs, see below).
    pub flags: MsFlags,
    /// Comma-separated options the file system itself interprets.
    pub data: String,
    /// Mount writable first, then remount read-only once populated (a tmpfs
    /// such as /dev that the runtime fills with device nodes).
    pub readonly_after_setup: bool,
    /// Propagation flags to apply after mounting (MS_PRIVATE, MS_SLAVE...).
    pub propagation: MsFlags,
    /// The runtime's own file over the root's (/etc/hosts): skipped, not
    /// refused, where the root has a symlink there (a host's resolv.conf
    /// pointing into its /run).
    pub optional: bool,
}

impl MountPlan {
    pub fn is_bind(&self) -> bool {
        self.flags.contains(MsFlags::MS_BIND)
    }
}

/// Splits an OCI option list into mount flags, propagation flags and data.
pub fn parse_options(options: &[String]) -> (MsFlags, MsFlags, String) {
    let mut flags = MsFlags::empty();
    let mut propagation = MsFlags::empty();
    let mut data: Vec<&str> = Vec::new();
    for option in options {
        let o = option.as_str();
        match o {
            "defaults" | "rw" => flags.remove(MsFlags::MS_RDONLY),
            "ro" => flags.insert(MsFlags::MS_RDONLY),
            "nosuid" => flags.insert(MsFlags::MS_NOSUID),
            "suid" => flags.remove(MsFlags::MS_NOSUID),
            "nodev" => flags.insert(MsFlags::MS_NODEV),
            "dev" => flags.remove(MsFlags::MS_NODEV),
            "noexec" => flags.insert(MsFlags::MS_NOEXEC),
            "exec" => flags.remove(MsFlags::MS_NOEXEC),
            "sync" => flags.insert(MsFlags::MS_SYNCHRONOUS),
            "async" => flags.remove(MsFlags::MS_SYNCHRONOUS),
            "noatime" => flags.insert(MsFlags::MS_NOATIME),
            "atime" => flags.remove(MsFlags::MS_NOATIME),
            "nodiratime" => flags.insert(MsFlags::MS_NODIRATIME),
            "diratime" => flags.remove(MsFlags::MS_NODIRATIME),
            "relatime" => flags.insert(MsFlags::MS_RELATIME),
            "norelatime" => flags.remove(MsFlags::MS_RELATIME),
            "strictatime" => flags.insert(MsFlags::MS_STRICTATIME),
            "nostrictatime" => flags.remove(MsFlags::MS_STRICTATIME),
            "bind" => flags.insert(MsFlags::MS_BIND),
            "rbind" => flags.insert(MsFlags::MS_BIND | MsFlags::MS_REC),
            "private" => propagation = MsFlags::MS_PRIVATE,
            "rprivate" => propagation = MsFlags::MS_PRIVATE | MsFlags::MS_REC,
            "slave" => propagation = MsFlags::MS_SLAVE,
            "rslave" => propagation = MsFlags::MS_SLAVE | MsFlags::MS_REC,
            "shared" => propagation = MsFlags::MS_SHARED,
            "rshared" => propagation = MsFlags::MS_SHARED | MsFlags::MS_REC,
            "unbindable" => propagation = MsFlags::MS_UNBINDABLE,
            "runbindable" => propagation = MsFlags::MS_UNBINDABLE | MsFlags::MS_REC,
            other => data.push(other),
        }
    }
    (flags, propagation, data.join(","))
}

/// Builds the plan for one OCI mount entry.
///
/// The workload holds CAP_MKNOD (docker's default set) and there is no device
/// cgroup yet, so no place it can write may honour device nodes: every tmpfs
/// and bind mount is `nodev`, except /dev itself, which is filled with the
/// spec's nodes and then made read-only whatever the spec says.
pub fn plan_mount(mount: &oci_spec::runtime::Mount) -> MountPlan {
    let options = mount.options().clone().unwrap_or_default();
    let (mut flags, propagation, data) = parse_options(&options);
    let fstype = mount.typ().clone().unwrap_or_else(|| "none".into());
    if fstype == "bind" {
        flags.insert(MsFlags::MS_BIND);
    }
    let is_dev = mount.destination() == std::path::Path::new("/dev");
    if (fstype == "tmpfs" && !is_dev) || flags.contains(MsFlags::MS_BIND) {
        flags.insert(MsFlags::MS_NODEV);
    }
    let readonly_after_setup = fstype == "tmpfs" && (is_dev || flags.contains(MsFlags::MS_RDONLY));
    if readonly_after_setup {
        flags.remove(MsFlags::MS_RDONLY);
    }
    MountPlan {
        destination: mount.destination().clone(),
        source: mount
            .source()
            .as_ref()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| fstype.clone()),
        fstype,
        flags,
        data,
        readonly_after_setup,
        propagation,
        optional: false,
    }
}

/// A bind mount of the host file `source` on `destination` (nosuid, nodev,
/// noexec): how the runtime's own files (/etc/hosts) reach the container.
pub fn bind_file(source: &std::path::Path, destination: &str) -> MountPlan {
    MountPlan {
        destination: destination.into(),
        fstype: "bind".into(),
        source: source.to_string_lossy().into_owned(),
        flags: MsFlags::MS_BIND | MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        data: String::new(),
        readonly_after_setup: false,
        propagation: MsFlags::MS_PRIVATE,
        optional: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flags_and_data_are_separated() {
        let (flags, prop, data) = parse_options(&strings(&[
            "nosuid",
            "strictatime",
            "mode=755",
            "size=65536k",
            "ro",
            "rprivate",
        ]));
        assert!(flags.contains(MsFlags::MS_NOSUID | MsFlags::MS_STRICTATIME | MsFlags::MS_RDONLY));
        assert_eq!(prop, MsFlags::MS_PRIVATE | MsFlags::MS_REC);
        assert_eq!(data, "mode=755,size=65536k");
    }

    #[test]
    fn later_options_override_earlier_ones() {
        let (flags, _, _) = parse_options(&strings(&["ro", "rw", "nodev", "dev"]));
        assert!(!flags.contains(MsFlags::MS_RDONLY));
        assert!(!flags.contains(MsFlags::MS_NODEV));
    }

    #[test]
    fn read_only_tmpfs_is_populated_first() {
        let mount = oci_spec::runtime::MountBuilder::default()
            .destination("/dev")
            .typ("tmpfs")
            .source("tmpfs")
            .options(strings(&["nosuid", "mode=755", "ro"]))
            .build()
            .expect("mount");
        let plan = plan_mount(&mount);
        assert!(plan.readonly_after_setup);
        assert!(!plan.flags.contains(MsFlags::MS_RDONLY));
        assert_eq!(plan.data, "mode=755");
    }

    #[test]
    fn dev_is_read_only_after_setup_and_other_tmpfs_is_nodev() {
        let mount = |dest: &str| {
            oci_spec::runtime::MountBuilder::default()
                .destination(dest)
                .typ("tmpfs")
                .source("tmpfs")
                .options(strings(&["nosuid", "mode=755"]))
                .build()
                .expect("mount")
        };
        let dev = plan_mount(&mount("/dev"));
        assert!(dev.readonly_after_setup);
        assert!(!dev.flags.contains(MsFlags::MS_NODEV));
        let tmp = plan_mount(&mount("/tmp"));
        assert!(!tmp.readonly_after_setup);
        assert!(tmp.flags.contains(MsFlags::MS_NODEV));
    }

    #[test]
    fn bind_type_sets_the_bind_flag() {
        let mount = oci_spec::runtime::MountBuilder::default()
            .destination("/data")
            .typ("bind")
            .source("/srv/data")
            .options(strings(&["ro"]))
            .build()
            .expect("mount");
        let plan = plan_mount(&mount);
        assert!(plan.is_bind());
        assert!(plan.flags.contains(MsFlags::MS_RDONLY | MsFlags::MS_NODEV));
        assert_eq!(plan.source, "/srv/data");
    }
}
