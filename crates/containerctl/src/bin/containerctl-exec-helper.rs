//! containerctl-exec-helper: runs `runtime::exec_in` for the integration
//! tests (whose own binary is multi-threaded, and `exec_in` forks), until a
//! `containerctl exec` command exists. Hidden; not a user interface.
//!
//!   containerctl-exec-helper PID CGROUP_PARENT ID CONFIG.json [-t] -- ARGS..
//!
//! Enters the container whose PID 1 has host pid PID and whose cgroup is
//! CGROUP_PARENT/ID, with the process settings of CONFIG.json, adds
//! `EXEC_HELPER=1` to the env, and exits with the process's status (128+N
//! for signal N), or prints the error and exits with its code. With `-t`
//! the process gets a new terminal whose output is copied to stdout.

use std::io::Write;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::Duration;

use runtime::{ExecRequest, Status, Stdio, Target};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(split) = args.iter().position(|a| a == "--") else {
        usage()
    };
    let (head, program) = (&args[1..split], &args[split + 1..]);
    let tty = head.iter().any(|a| a == "-t");
    let fixed: Vec<&String> = head.iter().filter(|a| *a != "-t").collect();
    let [pid, parent, id, config] = fixed.as_slice() else {
        usage()
    };
    let Ok(pid) = pid.parse::<i32>() else { usage() };
    match exec(pid, parent, id, config, program, tty) {
        Ok(Status::Exited(code)) => std::process::exit(code),
        Ok(Status::Signaled(signo)) => std::process::exit(128 + signo),
        Err((code, message)) => {
            eprintln!("containerctl-exec-helper: {message}");
            std::process::exit(code)
        }
    }
}

fn exec(
    pid: i32,
    parent: &str,
    id: &str,
    config: &str,
    program: &[String],
    tty: bool,
) -> Result<Status, (i32, String)> {
    let text = std::fs::read_to_string(config).map_err(|e| (2, format!("{config}: {e}")))?;
    let spec: oci_spec::runtime::Spec =
        serde_json::from_str(&text).map_err(|e| (2, format!("{config}: {e}")))?;
    let layout = cgroups::detect().map_err(|e| (125, e.to_string()))?;
    let cgroup = cgroups::open(&layout, parent, id);
    let target = Target {
        pid,
        cgroup: &*cgroup,
        spec: &spec,
    };
    let request = ExecRequest {
        args: program.to_vec(),
        env: vec!["EXEC_HELPER=1".to_string()],
        cwd: None,
        stdio: match tty {
            true => Stdio::NewTerminal(None),
            false => Stdio::Inherit,
        },
        stop_timeout: Duration::from_secs(2),
    };
    let mut master = None;
    let status = runtime::exec_in_observed(&target, &request, &mut |event| {
        if let runtime::Event::Terminal(fd) = event {
            // SAFETY: the runtime keeps the master open during the call.
            master = unsafe { BorrowedFd::borrow_raw(fd) }
                .try_clone_to_owned()
                .ok();
        }
    })
    .map_err(|e| (e.exit_code(), e.to_string()))?;
    if let Some(master) = master {
        copy_out(master.as_fd());
    }
    Ok(status)
}

/// What the process wrote to its terminal (it has exited: read until EIO).
fn copy_out(master: BorrowedFd) {
    let mut buf = [0u8; 4096];
    while let Ok(n @ 1..) = nix::unistd::read(master, &mut buf) {
        let _ = std::io::stdout().write_all(&buf[..n]);
    }
}

fn usage() -> ! {
    eprintln!("usage: containerctl-exec-helper PID CGROUP_PARENT ID CONFIG.json [-t] -- ARGS..");
    std::process::exit(2)
}
