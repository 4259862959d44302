//! The parent's watch over a process it started in a container (PID 1 of
//! `run`, or a process `exec_in` added): one poll over the setup channel
//! (steps logged as the child reports them, a pty master handed on), the
//! child's pidfd (exit) and a signalfd (Ctrl-C and friends, forwarded; a stop
//! escalates to SIGKILL after the grace period), then the reaped status.

use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::Pid;

use crate::outcome::Status;
use crate::signals::BlockedSignals;
use crate::supervise::Event;
use crate::sync::{Channel, FromChild};
use crate::RuntimeError;

/// The parent's state while the process runs.
pub(crate) struct Watch {
    pid: Pid,
    stop_timeout: Duration,
    deadline: Option<Instant>,
    kill_at: Option<Instant>,
    /// The child is still setting up (its channel end is open).
    setup_running: bool,
    pub(crate) failure: Option<RuntimeError>,
    pub(crate) stopped_by: Option<Signal>,
    pub(crate) timed_out: bool,
    /// A pty master the child sent, until it is handed to the caller.
    terminal: Option<OwnedFd>,
}

impl Watch {
    /// `stop_timeout`: grace period after a stop signal; `timeout`: stop
    /// the process after this long.
    pub(crate) fn new(pid: Pid, stop_timeout: Duration, timeout: Option<Duration>) -> Watch {
        Watch {
            pid,
            stop_timeout,
            deadline: timeout.and_then(|t| Instant::now().checked_add(t)),
            kill_at: None,
            setup_running: true,
            failure: None,
            stopped_by: None,
            timed_out: false,
            terminal: None,
        }
    }

    pub(crate) fn until_exit(
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
                    match channel.try_recv_with_fd::<FromChild>() {
                        Ok(Some((message, fd))) => self.on_message(message, fd),
                        _ => self.setup_running = false,
                    }
                }
            }
            if let Some(master) = self.terminal.take() {
                on_event(Event::Terminal(master.as_raw_fd()));
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
        match channel.recv_with_fd::<FromChild>() {
            Ok(Some((message, fd))) => self.on_message(message, fd),
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

    fn on_message(&mut self, message: FromChild, fd: Option<OwnedFd>) {
        match message {
            FromChild::Terminal => self.terminal = fd,
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
