//! The CLI's side of `run -t`: raw mode on its own terminal while the
//! container's pty is attached (so Ctrl-C, Ctrl-Z and every key travel to
//! the container's line discipline instead of signalling containerctl),
//! restored when the guard drops on any way out; and a relay thread that
//! copies stdin → pty master (with `-i`) and master → stdout, and passes on
//! window size changes by looking at the CLI's terminal every 250 ms (no
//! SIGWINCH handler: the supervisor owns the signal mask). The relay ends
//! when the master reports EIO/EOF, i.e. every process holding the pty's
//! slave is gone, or shortly after [`Relay::finish`] once no more output
//! comes; what was written until then is drained to stdout first.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::Context;
use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::termios::{self, SetArg, Termios};
use runtime::{pty, WindowSize};

/// How often the CLI's window size is compared with the last one sent.
const SIZE_POLL: Duration = Duration::from_millis(250);
/// After `finish`, how long the relay waits for more output before it ends.
const DRAIN_QUIET: Duration = Duration::from_millis(200);

/// The CLI's stdin in raw mode; the saved settings come back on drop.
#[derive(Debug)]
pub struct RawMode {
    saved: Termios,
}

impl RawMode {
    /// Puts stdin in raw mode if it is a terminal; `None` if it is not.
    pub fn enable() -> anyhow::Result<Option<RawMode>> {
        let stdin = std::io::stdin();
        if !nix::unistd::isatty(stdin.as_fd()).unwrap_or(false) {
            return Ok(None);
        }
        let saved = termios::tcgetattr(stdin.as_fd()).context("reading the terminal settings")?;
        let mut raw = saved.clone();
        termios::cfmakeraw(&mut raw);
        termios::tcsetattr(stdin.as_fd(), SetArg::TCSADRAIN, &raw)
            .context("putting the terminal in raw mode")?;
        Ok(Some(RawMode { saved }))
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let stdin = std::io::stdin();
        if let Err(e) = termios::tcsetattr(stdin.as_fd(), SetArg::TCSADRAIN, &self.saved) {
            tracing::warn!(
                step = "terminal",
                "could not restore the terminal settings: {e}"
            );
        }
    }
}

/// The window size of the CLI's terminal: stdin's, else stdout's.
pub fn size() -> Option<WindowSize> {
    [std::io::stdin().as_fd(), std::io::stdout().as_fd()]
        .into_iter()
        .filter(|fd| nix::unistd::isatty(fd).unwrap_or(false))
        .find_map(|fd| pty::window_size(fd).ok())
}

/// A running relay between the CLI's stdio and a pty master.
#[derive(Debug)]
pub struct Relay {
    done: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl Relay {
    /// Starts relaying through a duplicate of `master` (which the caller
    /// may close after this returns). `forward_stdin`: copy stdin in too.
    pub fn start(master: RawFd, forward_stdin: bool) -> anyhow::Result<Relay> {
        // SAFETY: the runtime keeps `master` open for the duration of this call.
        let master = unsafe { BorrowedFd::borrow_raw(master) }
            .try_clone_to_owned()
            .context("duplicating the pty master")?;
        let done = Arc::new(AtomicBool::new(false));
        let flag = done.clone();
        let thread = std::thread::Builder::new()
            .name("pty-relay".into())
            .spawn(move || relay(&master, forward_stdin, &flag))
            .context("starting the terminal relay")?;
        Ok(Relay { done, thread })
    }

    /// The workload is over: drain what is left, then end the relay.
    pub fn finish(self) {
        self.done.store(true, Ordering::Relaxed);
        if self.thread.join().is_err() {
            tracing::warn!(step = "terminal", "the terminal relay panicked");
        }
    }
}

/// The relay's state.
struct Copy<'a> {
    master: &'a OwnedFd,
    stdin_open: bool,
    stdout_open: bool,
    size: Option<WindowSize>,
}

fn relay(master: &OwnedFd, forward_stdin: bool, done: &AtomicBool) {
    let mut copy = Copy {
        master,
        stdin_open: forward_stdin,
        stdout_open: true,
        size: size(),
    };
    let mut quiet_since: Option<Instant> = None;
    loop {
        let finishing = done.load(Ordering::Relaxed);
        let wait = if finishing { DRAIN_QUIET } else { SIZE_POLL };
        match copy.once(wait) {
            Step::Ended => return,
            Step::Moved => quiet_since = None,
            Step::Idle => {
                let since = *quiet_since.get_or_insert_with(Instant::now);
                if finishing && since.elapsed() >= DRAIN_QUIET {
                    return;
                }
            }
        }
        copy.pass_on_size();
    }
}

/// What one round of the relay did.
enum Step {
    /// Output was copied (or input forwarded).
    Moved,
    /// Nothing to do within the wait.
    Idle,
    /// The master reports that no one holds the slave any more.
    Ended,
}

impl Copy<'_> {
    fn once(&mut self, wait: Duration) -> Step {
        let stdin = std::io::stdin();
        let mut fds = vec![PollFd::new(self.master.as_fd(), PollFlags::POLLIN)];
        if self.stdin_open {
            fds.push(PollFd::new(stdin.as_fd(), PollFlags::POLLIN));
        }
        let timeout = PollTimeout::try_from(wait.as_millis() as i32).unwrap_or(PollTimeout::MAX);
        match poll(&mut fds, timeout) {
            Ok(0) | Err(Errno::EINTR) => return Step::Idle,
            Ok(_) => {}
            Err(_) => return Step::Ended,
        }
        let ready = |fd: &PollFd| fd.revents().is_some_and(|r| !r.is_empty());
        let (output, input) = (ready(&fds[0]), fds.get(1).is_some_and(ready));
        drop(fds);
        if output && !self.copy_output() {
            return Step::Ended;
        }
        if input {
            self.copy_input();
        }
        Step::Moved
    }

    /// Master → stdout; false once the master reports EIO or EOF.
    fn copy_output(&mut self) -> bool {
        let mut buf = [0u8; 8192];
        match nix::unistd::read(self.master, &mut buf) {
            Ok(0) | Err(Errno::EIO) => false,
            Ok(n) => {
                if self.stdout_open && write_all(std::io::stdout().as_fd(), &buf[..n]).is_err() {
                    // stdout is gone (a closed pipe): keep draining the pty.
                    self.stdout_open = false;
                }
                true
            }
            Err(Errno::EINTR) | Err(Errno::EAGAIN) => true,
            Err(_) => false,
        }
    }

    /// Stdin → master; stops reading stdin at its end.
    fn copy_input(&mut self) {
        let mut buf = [0u8; 4096];
        match nix::unistd::read(std::io::stdin().as_fd(), &mut buf) {
            Ok(0) => self.stdin_open = false,
            Ok(n) => {
                if write_all(self.master.as_fd(), &buf[..n]).is_err() {
                    self.stdin_open = false;
                }
            }
            Err(Errno::EINTR) | Err(Errno::EAGAIN) => {}
            Err(_) => self.stdin_open = false,
        }
    }

    /// Sends the CLI terminal's size to the pty when it changed.
    fn pass_on_size(&mut self) {
        let now = size();
        if now.is_some() && now != self.size {
            self.size = now;
            if let Some(size) = now {
                let _ = pty::set_window_size(self.master.as_fd(), size);
            }
        }
    }
}

fn write_all(fd: BorrowedFd, mut buf: &[u8]) -> nix::Result<()> {
    while !buf.is_empty() {
        match nix::unistd::write(fd, buf) {
            Ok(n) => buf = &buf[n..],
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Runs `body` (a container run, an exec) with a new terminal attached when
/// `new_terminal`: the CLI's terminal in raw mode with `interactive`, and the
/// relay started when the runtime hands over the pty master. Every event
/// also goes on to `on_event`.
pub fn attached<T>(
    new_terminal: bool,
    interactive: bool,
    on_event: &mut dyn FnMut(runtime::Event),
    body: impl FnOnce(&mut dyn FnMut(runtime::Event)) -> T,
) -> anyhow::Result<T> {
    let raw = match new_terminal && interactive {
        true => RawMode::enable()?,
        false => None,
    };
    let mut relay = None;
    let mut relay_error = None;
    let mut events = |event: runtime::Event| {
        if let runtime::Event::Terminal(master) = event {
            match Relay::start(master, interactive) {
                Ok(started) => relay = Some(started),
                Err(e) => relay_error = Some(e),
            }
        }
        on_event(event);
    };
    let result = body(&mut events);
    if let Some(relay) = relay {
        relay.finish();
    }
    drop(raw);
    if let Some(e) = relay_error {
        tracing::warn!(step = "terminal", "no terminal relay: {e:#}");
    }
    Ok(result)
}

/// The streams for `-i` and `-t`, as docker gives them: a new terminal
/// with `-t`; our own stdin with `-i`; else stdin from /dev/null
/// (`dev_null`, kept open by the caller) and our stdout and stderr.
pub fn stdio(tty: bool, interactive: bool, dev_null: &std::fs::File) -> runtime::Stdio {
    use std::os::fd::AsRawFd;
    match (tty, interactive) {
        (true, _) => runtime::Stdio::NewTerminal(size()),
        (false, true) => runtime::Stdio::Inherit,
        (false, false) => runtime::Stdio::Files {
            stdin: dev_null.as_raw_fd(),
            stdout: 1,
            stderr: 2,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relay_ends_when_the_slave_closes_and_keeps_the_output() {
        let pair = pty::open().expect("pty");
        let mut copy = Copy {
            master: &pair.master,
            stdin_open: false,
            stdout_open: false,
            size: None,
        };
        nix::unistd::write(&pair.slave, b"bye\n").expect("write");
        drop(pair.slave);
        assert!(matches!(copy.once(Duration::from_secs(1)), Step::Moved));
        assert!(matches!(copy.once(Duration::from_secs(1)), Step::Ended));
    }
}
