//! `run -it` driven through a pseudo-terminal the test opens, as a user's
//! terminal would: containerctl's stdin, stdout and stderr are the slave (its
//! controlling terminal, with a window size set first); what the container
//! sees of its own terminal is checked from inside, and Ctrl-C typed into
//! the test's master must reach the workload, not containerctl.

use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::pty::{openpty, Winsize};

use crate::support::*;

/// A containerctl run on a terminal of the test's.
struct Session {
    master: Arc<OwnedFd>,
    output: Arc<Mutex<Vec<u8>>>,
    reader: std::thread::JoinHandle<()>,
    child: std::process::Child,
    pending: Pending,
}

impl Session {
    fn start(builder: RunBuilder, rows: u16, cols: u16) -> Session {
        let size = Winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let pty = openpty(&size, None).expect("openpty");
        let (mut command, pending) = builder.arg("-it").command();
        let slave = pty.slave;
        command
            .stdin(Stdio::from(slave.try_clone().expect("dup slave")))
            .stdout(Stdio::from(slave.try_clone().expect("dup slave")))
            .stderr(Stdio::from(slave));
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            command.pre_exec(|| {
                nix::unistd::setsid()?;
                if libc::ioctl(0, libc::TIOCSCTTY, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().expect("spawn containerctl");
        drop(command); // our copies of the slave close here
        let master = Arc::new(pty.master);
        let output = Arc::new(Mutex::new(Vec::new()));
        let reader = {
            let (master, output) = (master.clone(), output.clone());
            std::thread::spawn(move || read_until_eio(&master, &output))
        };
        Session {
            master,
            output,
            reader,
            child,
            pending,
        }
    }

    fn output(&self) -> String {
        let bytes = self.output.lock().expect("output lock").clone();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Waits until the container has written `text`.
    fn wait_for(&self, text: &str) {
        let start = Instant::now();
        while !self.output().contains(text) {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "no {text:?} from the container:\n{}",
                self.output()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn type_in(&self, bytes: &[u8]) {
        nix::unistd::write(&*self.master, bytes).expect("write to the terminal");
    }

    fn finish(mut self) -> Run {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            if start.elapsed() > Duration::from_secs(120) {
                let _ = self.child.kill();
                panic!("containerctl did not finish:\n{}", self.output());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let Session {
            output,
            reader,
            pending,
            ..
        } = self;
        reader.join().expect("terminal reader");
        let bytes = output.lock().expect("output lock").clone();
        pending.collected(
            status.code().unwrap_or(-1),
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }
}

/// Everything containerctl writes, until no one holds the slave any more.
fn read_until_eio(master: &OwnedFd, output: &Mutex<Vec<u8>>) {
    let mut buf = [0u8; 4096];
    loop {
        match nix::unistd::read(master, &mut buf) {
            Ok(0) | Err(nix::errno::Errno::EIO) => return,
            Ok(n) => output
                .lock()
                .expect("output lock")
                .extend_from_slice(&buf[..n]),
            Err(nix::errno::Errno::EINTR) => {}
            Err(e) => panic!("reading the terminal: {e}"),
        }
    }
}

#[test]
fn terminal_inside_is_a_pts_device_with_the_callers_size() {
    let script =
        "test -t 0 && test -t 1 && echo tty=$(busybox tty); echo size=$(busybox stty size)";
    let session = Session::start(RunBuilder::new(&sh(script)), 37, 111);
    let run = session.finish();
    run.expect_code(0).assert_clean();
    let tty = run
        .stdout
        .lines()
        .find_map(|l| l.trim_end().strip_prefix("tty="))
        .unwrap_or_else(|| panic!("stdin is not a terminal inside:\n{}", run.stdout));
    assert!(tty.starts_with("/dev/pts/"), "tty is {tty:?}");
    assert!(
        run.stdout.lines().any(|l| l.trim_end() == "size=37 111"),
        "window size inside:\n{}",
        run.stdout
    );
}

#[test]
fn terminal_ctrl_c_interrupts_the_workload_not_containerctl() {
    // The marker is computed so the logged command line does not contain it.
    let script =
        "trap 'echo got-int; exit 7' INT; echo ready-$((1+1)); while :; do sleep 0.1; done";
    let session = Session::start(RunBuilder::new(&sh(script)), 24, 80);
    session.wait_for("ready-2");
    session.type_in(b"\x03");
    let run = session.finish();
    run.expect_code(7).assert_clean();
    assert!(run.stdout.contains("got-int"), "{}", run.stdout);
    assert!(
        run.step("signal").is_empty(),
        "containerctl itself got a signal:\n{}",
        run.stdout
    );
}

#[test]
fn terminal_without_a_terminal_still_gets_a_pty() {
    let run = RunBuilder::new(&sh("test -t 0 && echo in-tty; busybox tty"))
        .arg("-t")
        .run();
    run.expect_code(0).assert_clean();
    assert!(run.stdout.contains("in-tty"), "{}", run.stdout);
    assert!(run.stdout.contains("/dev/pts/"), "{}", run.stdout);
}

/// Runs with `input` on a pipe as containerctl's stdin.
fn run_with_stdin(builder: RunBuilder, input: &[u8]) -> Run {
    use std::io::Write;
    let (mut command, pending) = builder.command();
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn containerctl");
    let mut stdin = child.stdin.take().expect("stdin");
    // The workload may never read it (a closed pipe is fine then).
    let _ = stdin.write_all(input);
    drop(stdin);
    let out = child.wait_with_output().expect("wait");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let logs = String::from_utf8_lossy(&out.stderr).into_owned();
    let mut run = pending.collected(out.status.code().unwrap_or(-1), logs);
    run.stdout = text;
    run
}

#[test]
fn terminal_not_asked_for_and_no_i_means_stdin_is_dev_null() {
    let script = "test -t 0 || echo not-a-tty; readlink /proc/self/fd/0; cat";
    let run = run_with_stdin(RunBuilder::new(&sh(script)), b"typed\n");
    run.expect_code(0).assert_clean();
    // The host's /dev/null: outside the container's root (in the VM lane,
    // whose host runs chrooted, it reads /newroot/dev/null).
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(
        lines.len() == 2 && lines[1].ends_with("/dev/null"),
        "{lines:?}"
    );
    assert_eq!(lines[..1], ["not-a-tty"]);
}

#[test]
fn terminal_not_asked_for_with_i_keeps_stdin() {
    let run = run_with_stdin(RunBuilder::new(&sh("cat")).arg("-i"), b"typed\n");
    run.expect_code(0).assert_clean();
    assert_eq!(run.stdout, "typed\n");
}

#[test]
fn terminal_window_size_changes_reach_the_workload() {
    let script = "trap 'echo winch=$(busybox stty size)' WINCH; \
                  trap 'exit 7' INT; echo ready-$((1+1)); while :; do sleep 0.1; done";
    let session = Session::start(RunBuilder::new(&sh(script)), 24, 80);
    session.wait_for("ready-2");
    let size = Winsize {
        ws_row: 50,
        ws_col: 132,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ reads one winsize that lives for the call.
    let rc = unsafe { libc::ioctl(session.master.as_raw_fd(), libc::TIOCSWINSZ, &size) };
    assert_eq!(rc, 0, "TIOCSWINSZ on the test's terminal");
    session.wait_for("winch=50 132");
    session.type_in(b"\x03");
    session.finish().expect_code(7).assert_clean();
}
