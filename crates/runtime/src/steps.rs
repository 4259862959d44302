//! The named steps of container setup, in the order the child performs them.
//! Parent and child refer to the same names in logs and in failure reports.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// Waiting for the parent to place us in our cgroups.
    CgroupJoin,
    /// setns into a running container's namespaces (`exec_in`).
    Namespaces,
    /// stdin/stdout/stderr (a log file, a pty) put in place.
    Stdio,
    /// unshare(CLONE_NEWCGROUP) once inside the cgroup, so it becomes our root.
    CgroupNamespace,
    /// Root file system and the spec's mounts, assembled in a staging dir.
    Mounts,
    /// pivot_root into the staging dir and detach the old root.
    PivotRoot,
    /// Hostname of the new UTS namespace.
    Hostname,
    /// Loopback up in the new network namespace.
    Network,
    /// sched_setaffinity to the spec's cpuset.
    Affinity,
    /// setrlimit for process.rlimits, and process.oomScoreAdj.
    Limits,
    /// setgroups / setgid / setuid.
    User,
    /// Bounding, permitted, effective, inheritable and ambient capability sets.
    Capabilities,
    /// prctl(PR_SET_NO_NEW_PRIVS).
    NoNewPrivileges,
    /// chdir to the process cwd.
    Workdir,
    /// The tiny init forks the workload.
    Init,
    /// execve of the workload.
    Exec,
}

impl Step {
    pub fn name(self) -> &'static str {
        match self {
            Step::CgroupJoin => "cgroup-join",
            Step::Namespaces => "namespaces",
            Step::Stdio => "stdio",
            Step::CgroupNamespace => "cgroup-namespace",
            Step::Mounts => "mounts",
            Step::PivotRoot => "pivot-root",
            Step::Hostname => "hostname",
            Step::Network => "network",
            Step::Affinity => "affinity",
            Step::Limits => "limits",
            Step::User => "user",
            Step::Capabilities => "capabilities",
            Step::NoNewPrivileges => "no-new-privileges",
            Step::Workdir => "workdir",
            Step::Init => "init",
            Step::Exec => "exec",
        }
    }
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
