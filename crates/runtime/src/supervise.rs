//! The supervisor: runs one container from an OCI Spec to its end. It
//! prepares everything outside the container (state dir, cgroups with their
//! limits), clones PID 1 into new namespaces, places it in the cgroups, then
//! watches three things at once with poll: the setup channel (steps logged as
//! the child reports them), the child's pidfd (exit) and a signalfd (Ctrl-C
//! and friends, forwarded; a stop escalates to SIGKILL after the grace
//! period). Cleanup runs on every way out.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::Pid;
use oci_spec::runtime::Spec;

use crate::cleanup::Cleanup;
use crate::outcome::{RunOutcome, Status};
use crate::plan::ChildPlan;
use crate::signals::BlockedSignals;
use crate::spawn::{clone_into_namespaces, namespace_names, Cloned, Spawned};
use crate::sync::{Channel, FromChild, ToChild};
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
}

/// What a caller of [`run_observed`] hears while the container starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// PID 1 (this host pid) is in its cgroups and waits to go on.
    Started(i32),
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
/// is over ([`Event::Running`]). Threads the caller needs while the container runs (a
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
    // Before the child goes on: what the caller changes here (a cpuset)
    // holds before the workload runs.
    on_event(Event::Started(spawned.pid.as_raw()));
    channel
        .send(&ToChild::CgroupJoined)
        .map_err(RuntimeError::io("signalling the container", "socketpair"))?;
    tracing::info!(step = "cgroup-join", paths = ?cgroup.paths(), "container placed in its cgroups");

    let mut watch = Watch::new(spawned.pid, options);
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

/// The supervisor's state while the container runs.
struct Watch {
    pid: Pid,
    stop_timeout: Duration,
    deadline: Option<Instant>,
    kill_at: Option<Instant>,
    /// The child is still setting up (its channel end is open).
    setup_running: bool,
    failure: Option<RuntimeError>,
    stopped_by: Option<Signal>,
    timed_out: bool,
}

impl Watch {
    fn new(pid: Pid, options: &RunOptions) -> Watch {
        Watch {
            pid,
            stop_timeout: options.stop_timeout,
            deadline: options.timeout.and_then(|t| Instant::now().checked_add(t)),
            kill_at: None,
            setup_running: true,
            failure: None,
            stopped_by: None,
            timed_out: false,
        }
    }

    fn until_exit(
        &mut self,
        channel: &Channel,
        pidfd: &std::os::fd::OwnedFd,
        signals: &BlockedSignals,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<Status, RuntimeError> {
        use std::os::fd::AsFd;
        loop {
            let was_setting_up = self.setup_running;
            let mut fds = vec![
                PollFd::new(pidfd.as_fd(), PollFlags::POLLIN),
                PollFd::new(signals.fd(), PollFlags::POLLIN),
            ];
            if self.setup_running {
                fds.push(PollFd::new(channel.as_fd(), PollFlags::POLLIN));
            }
            match poll(&mut fds, self.poll_timeout()) {
                Ok(_) | Err(nix::errno::Errno::EINTR) => {}
                Err(e) => {
                    return Err(RuntimeError::Sys {
                        what: "poll",
                        source: e,
                    })
                }
            }
            let ready = |fd: &PollFd| fd.revents().is_some_and(|r| !r.is_empty());
            let (exited, signalled) = (ready(&fds[0]), ready(&fds[1]));
            let message = fds.get(2).is_some_and(ready);
            drop(fds);
            if message {
                self.read_channel(channel);
            }
            if signalled {
                while let Some(signal) = signals.next() {
                    self.on_signal(signal);
                }
            }
            self.check_deadlines();
            if exited {
                // The last messages may still be queued behind the exit.
                while self.setup_running {
                    match channel.try_recv::<FromChild>() {
                        Ok(Some(message)) => self.on_message(message),
                        _ => self.setup_running = false,
                    }
                }
            }
            if was_setting_up && !self.setup_running && self.failure.is_none() {
                on_event(Event::Running);
            }
            if exited {
                return self.reap();
            }
        }
    }

    fn poll_timeout(&self) -> PollTimeout {
        let next = [self.deadline, self.kill_at].into_iter().flatten().min();
        match next {
            None => PollTimeout::NONE,
            Some(at) => {
                let ms = at.saturating_duration_since(Instant::now()).as_millis() + 1;
                PollTimeout::try_from(ms.min(60_000) as i32).unwrap_or(PollTimeout::MAX)
            }
        }
    }

    fn read_channel(&mut self, channel: &Channel) {
        match channel.recv::<FromChild>() {
            Ok(Some(message)) => self.on_message(message),
            Ok(None) => {
                self.setup_running = false;
                if self.failure.is_none() {
                    tracing::info!(
                        step = "started",
                        pid = self.pid.as_raw(),
                        "workload running"
                    );
                }
            }
            Err(e) => {
                self.setup_running = false;
                self.failure.get_or_insert(RuntimeError::Io {
                    what: "reading the setup channel",
                    path: "socketpair".into(),
                    source: e,
                });
            }
        }
    }

    fn on_message(&mut self, message: FromChild) {
        match message {
            FromChild::StepDone { step, detail } => tracing::info!(step = step.name(), "{detail}"),
            FromChild::Failed {
                step,
                message,
                exit_code,
            } => {
                self.failure = Some(RuntimeError::Setup {
                    step: step.name().to_string(),
                    message,
                    exit_code,
                });
            }
        }
    }

    /// INT/TERM stop the container (forwarded, SIGKILL after the grace
    /// period; a second one kills at once); others are forwarded.
    fn on_signal(&mut self, signal: Signal) {
        let stop = matches!(signal, Signal::SIGINT | Signal::SIGTERM);
        if stop && (self.stopped_by.is_some() || self.setup_running) {
            tracing::warn!(step = "signal", "received {signal}: killing the container");
            self.stopped_by.get_or_insert(signal);
            let _ = kill(self.pid, Signal::SIGKILL);
            return;
        }
        tracing::info!(
            step = "signal",
            "received {signal}: forwarding it to the container"
        );
        let _ = kill(self.pid, signal);
        if stop {
            self.stopped_by = Some(signal);
            // An absurdly long grace period simply never ends.
            self.kill_at = Instant::now().checked_add(self.stop_timeout);
        }
    }

    fn check_deadlines(&mut self) {
        let now = Instant::now();
        if self.deadline.is_some_and(|d| now >= d) {
            self.deadline = None;
            self.timed_out = true;
            tracing::warn!(step = "timeout", "timeout reached: sending SIGTERM");
            let _ = kill(self.pid, Signal::SIGTERM);
            self.kill_at = now.checked_add(self.stop_timeout);
        }
        if self.kill_at.is_some_and(|k| now >= k) {
            self.kill_at = None;
            tracing::warn!(
                step = "stop",
                "grace period of {:?} over: sending SIGKILL",
                self.stop_timeout
            );
            let _ = kill(self.pid, Signal::SIGKILL);
        }
    }

    fn reap(&self) -> Result<Status, RuntimeError> {
        loop {
            match waitpid(self.pid, None) {
                Ok(WaitStatus::Exited(_, code)) => return Ok(Status::Exited(code)),
                Ok(WaitStatus::Signaled(_, signal, _)) => {
                    return Ok(Status::Signaled(signal as i32))
                }
                Ok(_) | Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => {
                    return Err(RuntimeError::Sys {
                        what: "waitpid",
                        source: e,
                    })
                }
            }
        }
    }
}
