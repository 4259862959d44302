//! containerctl-probe: a small helper the integration tests run *inside*
//! containers to see what the kernel enforces there.
//!
//!   busy SECS   spin for SECS of wall time, print the CPU time it got
//!               (`cpu_seconds=.. wall_seconds=.. ratio=..`)
//!   alloc MIB   allocate and touch MIB mebibytes, one at a time
//!   fork N      try to start N sleeping children, print how many started
//!               (`forked=K`) and the first error, then reap them
//!   privileged  try what a contained process must not do (load a module,
//!               mount, unmount /proc, set the hostname, write a host file)
//!               and print `name=ERRNO` for each (`ok` if it worked)

use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let number = |i: usize| -> u64 {
        match args.get(i).map(|s| s.parse::<u64>()) {
            Some(Ok(n)) => n,
            _ => usage(),
        }
    };
    match args.get(1).map(String::as_str) {
        Some("busy") => busy(number(2)),
        Some("alloc") => alloc(number(2)),
        Some("fork") => fork(number(2)),
        Some("privileged") => privileged(),
        _ => usage(),
    }
}

fn usage() -> ! {
    eprintln!("usage: containerctl-probe busy SECS | alloc MIB | fork N | privileged");
    std::process::exit(64)
}

fn cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn busy(seconds: u64) {
    let start = Instant::now();
    let cpu_start = cpu_time();
    let mut x: u64 = 0;
    while start.elapsed() < Duration::from_secs(seconds) {
        for i in 0..10_000u64 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
        }
    }
    let cpu = (cpu_time() - cpu_start).as_secs_f64();
    let wall = start.elapsed().as_secs_f64();
    println!(
        "cpu_seconds={cpu:.3} wall_seconds={wall:.3} ratio={:.3}",
        cpu / wall
    );
}

fn alloc(mebibytes: u64) {
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    for i in 1..=mebibytes {
        blocks.push(vec![i as u8; 1 << 20]);
        if i % 16 == 0 {
            println!("allocated {i} MiB");
        }
    }
    println!("allocated all {mebibytes} MiB");
}

fn fork(count: u64) {
    let mut children = Vec::new();
    let mut error = String::from("none");
    for _ in 0..count {
        // SAFETY: the probe is single-threaded; the child only sleeps and exits.
        match unsafe { libc::fork() } {
            -1 => {
                error = std::io::Error::last_os_error().to_string();
                break;
            }
            0 => {
                std::thread::sleep(Duration::from_secs(30));
                // SAFETY: leave the child without running the parent's destructors.
                unsafe { libc::_exit(0) }
            }
            pid => children.push(pid),
        }
    }
    println!("forked={} error={error}", children.len());
    for pid in children {
        // SAFETY: signalling and reaping our own children.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
            libc::waitpid(pid, std::ptr::null_mut(), 0);
        }
    }
}

fn privileged() {
    fn outcome(rc: libc::c_long) -> String {
        if rc >= 0 {
            return "ok".into();
        }
        match std::io::Error::last_os_error().raw_os_error() {
            Some(libc::EPERM) => "EPERM".into(),
            Some(libc::EROFS) => "EROFS".into(),
            Some(libc::EACCES) => "EACCES".into(),
            Some(other) => format!("errno{other}"),
            None => "unknown".into(),
        }
    }
    let c = |s: &str| std::ffi::CString::new(s).unwrap_or_default();
    let (empty, tmpfs, mnt, proc_, host_file) = (
        c(""),
        c("tmpfs"),
        c("/mnt"),
        c("/proc"),
        c("/etc/containerctl-probe"),
    );
    // SAFETY: each call gets valid NUL-terminated strings or null pointers the kernel accepts.
    let results = unsafe {
        [
            (
                "init_module",
                outcome(libc::syscall(
                    libc::SYS_init_module,
                    std::ptr::null::<u8>(),
                    0usize,
                    empty.as_ptr(),
                )),
            ),
            (
                "mount",
                outcome(libc::mount(
                    tmpfs.as_ptr(),
                    mnt.as_ptr(),
                    tmpfs.as_ptr(),
                    0,
                    std::ptr::null(),
                ) as libc::c_long),
            ),
            (
                "remount_root_rw",
                outcome(libc::mount(
                    std::ptr::null(),
                    c("/").as_ptr(),
                    std::ptr::null(),
                    libc::MS_REMOUNT,
                    std::ptr::null(),
                ) as libc::c_long),
            ),
            (
                "umount_proc",
                outcome(libc::umount2(proc_.as_ptr(), libc::MNT_DETACH) as libc::c_long),
            ),
            (
                "sethostname",
                outcome(libc::sethostname(c("x").as_ptr(), 1) as libc::c_long),
            ),
            (
                "write_host_file",
                outcome(
                    libc::open(host_file.as_ptr(), libc::O_CREAT | libc::O_WRONLY, 0o644)
                        as libc::c_long,
                ),
            ),
        ]
    };
    let words: Vec<String> = results
        .iter()
        .map(|(name, r)| format!("{name}={r}"))
        .collect();
    println!("{}", words.join(" "));
}
