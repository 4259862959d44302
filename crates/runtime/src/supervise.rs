//! The supervisor: runs one container from an OCI Spec to its end. It
//! prepares everything outside the container (state dir, cgroups with their
//! limits), clones PID 1 into new namespaces, places it in the cgroups, then
//! watches three things at once with poll: the setup channel (steps logged as
//! the child reports them), the child's pidfd (exit) and a signalfd (Ctrl-C
//! and friends, forwarded; a stop escalates to SIGKILL after the grace
//! period). Cleanup runs on every way out.

use std::path::PathBuf;
use std::time::Duration;

use oci_spec::runtime::Spec;

use crate::cleanup::Cleanup;
use crate::outcome::RunOutcome;
use crate::plan::ChildPlan;
use crate::signals::BlockedSignals;
use crate::spawn::{clone_into_namespaces, namespace_names, Cloned, Spawned};
use crate::sync::{Channel, ToChild};
use crate::watch::Watch;
use crate::{child, resources, RuntimeError, EXIT_RUNTIME_FAILURE};

/// Where a container lives on the host.
#[derive(Debug, Clone)]
pub struct Container {
    pub id: String,
    /// Parent of the per-container state dirs (e.g. /run/containerctl).
    pub state_root: PathBuf,
    pub cgroup_layout: cgroups::Layout,
    /// Our own cgroup parent at each hierarchy's root.
    pub cgroup_parent: String,
}

/// How to supervise it.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Run the tiny init as PID 1.
    pub init: bool,
    /// Grace period between the stop signal and SIGKILL.
    pub stop_timeout: Duration,
    /// Stop the container after this long.
    pub timeout: Option<Duration>,
    /// The container's stdin, stdout and stderr.
    pub stdio: crate::Stdio,
    /// Put it on a bridge network (its Spec must ask for a new network
    /// namespace); `None`: the namespace the Spec says, loopback only.
    pub network: Option<crate::net::BridgeRequest>,
}

/// What a caller of [`run_observed`] hears while the container starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// PID 1 (this host pid) is in its cgroups and waits to go on.
    Started(i32),
    /// The container opened its new terminal ([`crate::Stdio::NewTerminal`]):
    /// this is the pty master. It is valid only during the call and closes
    /// after it: a caller that relays through it keeps a duplicate.
    Terminal(std::os::fd::RawFd),
    /// PID 1's eth0 is on the bridge with this address (before
    /// [`Event::Started`]; bridge networks only).
    Address(std::net::Ipv4Addr),
    /// Setup is over and the workload was exec'd (a failed setup sends
    /// no event: the run ends with its error).
    Running,
}

/// Runs the container to completion.
pub fn run(
    spec: &Spec,
    container: &Container,
    options: &RunOptions,
) -> Result<RunOutcome, RuntimeError> {
    run_observed(spec, container, options, &mut |_| {})
}

/// Like [`run`], telling `on_event` when PID 1 is in its cgroups (before
/// it is let go on with its setup: [`Event::Started`]) and when its setup
/// is over ([`Event::Running`]), and handing it the master of a new
/// terminal ([`Event::Terminal`]). Threads the caller needs while the container runs (a
/// metrics sampler) must be started there, never before: PID 1 is cloned
/// from this process, and a clone of a multi-threaded process can inherit
/// a lock (the allocator's, the log writer's) that another thread held at
/// that instant, and then wait on it forever.
pub fn run_observed(
    spec: &Spec,
    container: &Container,
    options: &RunOptions,
    on_event: &mut dyn FnMut(Event),
) -> Result<RunOutcome, RuntimeError> {
    let state_dir = container.state_root.join(&container.id);
    let mut plan = ChildPlan::from_spec(
        spec,
        state_dir.join("rootfs"),
        &container.cgroup_layout,
        options.init,
    )?;
    plan.stdio = options.stdio;
    // From here on a Ctrl-C is read by the event loop and never stops us midway.
    let signals = BlockedSignals::block(&[]).map_err(RuntimeError::sys("blocking signals"))?;
    crate::signals::default_sigchld().map_err(RuntimeError::sys("resetting SIGCHLD"))?;
    let mut cleanup = Cleanup::default();
    cleanup.state_dir = Some(state_dir);
    std::fs::create_dir_all(&plan.staging)
        .map_err(RuntimeError::io("creating state dir", &plan.staging))?;
    cleanup.keep_upper = crate::overlay::prepare(&plan, container)?;
    if let Some(request) = &options.network {
        let attachment = attach_network(spec, container, &mut plan, request)?;
        cleanup.network = Some(attachment);
        crash_point("network-leased");
    }

    let cgroup = cleanup.cgroup.insert(cgroups::open(
        &container.cgroup_layout,
        &container.cgroup_parent,
        &container.id,
    ));
    cgroup.create()?;
    let cgroup = &**cgroup;
    cgroup.apply(&resources::from_spec(spec))?;

    let (spawned, channel) = start_pid1(&plan)?;
    cleanup.child = Some(spawned.pid);
    cgroup.add_task(spawned.pid.as_raw())?;
    if let Some(network) = cleanup.network.as_mut() {
        network.connect(spawned.pid.as_raw())?;
        crash_point("network-connected");
        on_event(Event::Address(network.address));
    }
    // Before the child goes on: what the caller changes here (a cpuset)
    // holds before the workload runs.
    on_event(Event::Started(spawned.pid.as_raw()));
    if let Some(network) = cleanup.network.as_mut() {
        network.forward_ports();
    }
    channel
        .send(&ToChild::CgroupJoined)
        .map_err(RuntimeError::io("signalling the container", "socketpair"))?;
    tracing::info!(step = "cgroup-join", paths = ?cgroup.paths(), "container placed in its cgroups");

    let mut watch = Watch::new(spawned.pid, options.stop_timeout, options.timeout);
    let status = watch.until_exit(&channel, &spawned.pidfd, &signals, on_event)?;
    cleanup.child = None;

    let stats = cgroup
        .stats()
        .map_err(|e| tracing::warn!(step = "stats", "{e}"))
        .ok();
    if let Some(s) = &stats {
        log_stats(s);
    }
    cleanup.run();
    if let Some(failure) = watch.failure {
        return Err(failure);
    }
    Ok(RunOutcome {
        status,
        oom_kills: stats.as_ref().map_or(0, |s| s.oom_kills),
        timed_out: watch.timed_out.then_some(options.timeout).flatten(),
        stopped_by: watch.stopped_by,
        stats,
    })
}

/// Test hook: `CONTAINERCTL_CRASH_AT=<point>` kills this process with
/// SIGKILL at that point of the start, as a crash would, so that tests can
/// check what `gc` makes of it at every point that leaves something behind.
fn crash_point(point: &str) {
    if std::env::var_os("CONTAINERCTL_CRASH_AT").is_some_and(|at| at == point) {
        tracing::warn!(
            step = "crash",
            "CONTAINERCTL_CRASH_AT={point}: killing myself"
        );
        let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
    }
}

/// Bridge, lease and published ports for the container, before the clone,
/// with its /etc/hosts and /etc/resolv.conf added to the plan's mounts.
fn attach_network(
    spec: &Spec,
    container: &Container,
    plan: &mut ChildPlan,
    request: &crate::net::BridgeRequest,
) -> Result<crate::net::Attachment, RuntimeError> {
    if !plan.new_net_ns {
        return Err(crate::refuse::unsupported(
            "a bridge network needs the container's own network namespace",
        ));
    }
    let state_dir = container.state_root.join(&container.id);
    let attachment = crate::net::prepare(
        &container.state_root,
        &state_dir,
        &container.id,
        spec.hostname().as_deref(),
        request,
    )?;
    for (source, destination) in &attachment.files {
        plan.mounts
            .push(crate::mount_options::bind_file(source, destination));
    }
    Ok(attachment)
}

/// clone3 into the plan's namespaces; the child runs the setup steps and
/// never returns here. The parent keeps its end of the setup channel.
fn start_pid1(plan: &ChildPlan) -> Result<(Spawned, Channel), RuntimeError> {
    let (parent_end, child_end) = Channel::pair().map_err(RuntimeError::sys("socketpair"))?;
    match clone_into_namespaces(plan.clone_flags)? {
        Cloned::Child => {
            drop(parent_end);
            let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                child::main(plan, child_end)
            }))
            .unwrap_or(EXIT_RUNTIME_FAILURE);
            // SAFETY: the child leaves without running the parent's destructors.
            unsafe { libc::_exit(code) }
        }
        Cloned::Parent(spawned) => {
            tracing::info!(
                step = "namespaces",
                pid = spawned.pid.as_raw(),
                "cloned PID 1 into new namespaces: {}",
                namespace_names(plan.clone_flags, plan.new_cgroup_ns).join(", ")
            );
            Ok((spawned, parent_end))
        }
    }
}

fn log_stats(s: &cgroups::Stats) {
    tracing::info!(
        step = "stats",
        cpu_usage_us = s.cpu_usage_us,
        nr_periods = s.nr_periods,
        nr_throttled = s.nr_throttled,
        throttled_us = s.throttled_us,
        memory_peak = s.memory_peak,
        oom_kills = s.oom_kills,
        "cgroup counters at exit"
    );
}
