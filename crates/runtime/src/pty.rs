//! Pseudo-terminals: open a master/slave pair from a `ptmx` node and read
//! or set a terminal's window size. A pair opened from `/dev/ptmx` belongs to
//! the devpts instance that the caller's root shows there, so the container
//! process opens its terminal itself once its root is in place (then `tty`
//! inside names a /dev/pts device it can see); the supervisor only relays
//! through the master. Both ends are close-on-exec and no controlling
//! terminal is acquired by opening them.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;

use crate::RuntimeError;

/// A terminal's size in character cells.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WindowSize {
    pub rows: u16,
    pub cols: u16,
}

/// Both ends of a new pseudo-terminal.
#[derive(Debug)]
pub struct Pty {
    pub master: OwnedFd,
    pub slave: OwnedFd,
}

/// Opens a new pair from `/dev/ptmx` as the caller's root shows it.
pub fn open() -> Result<Pty, RuntimeError> {
    open_at(Path::new("/dev/ptmx"))
}

/// Opens a new pair from the given `ptmx` node (or a symlink to one).
pub fn open_at(ptmx: &Path) -> Result<Pty, RuntimeError> {
    let flags = OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC;
    let master = nix::fcntl::open(ptmx, flags, Mode::empty())
        .map_err(|e| RuntimeError::io("opening", ptmx)(e.into()))?;
    unlock(master.as_fd())?;
    let slave = peer(master.as_fd())?;
    Ok(Pty { master, slave })
}

/// unlockpt(3): a new slave is locked until its master says otherwise.
fn unlock(master: BorrowedFd) -> Result<(), RuntimeError> {
    let unlock: libc::c_int = 0;
    // SAFETY: TIOCSPTLCK reads one int from a pointer that lives for the call.
    let rc = unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCSPTLCK, &unlock) };
    if rc != 0 {
        return Err(RuntimeError::sys("ioctl(TIOCSPTLCK) on the pty master")(
            Errno::last(),
        ));
    }
    Ok(())
}

/// The slave end, opened through the master (no path lookup, so it is the
/// slave of this very master even in another mount namespace).
fn peer(master: BorrowedFd) -> Result<OwnedFd, RuntimeError> {
    let flags = libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC;
    // SAFETY: TIOCGPTPEER takes open flags by value and returns a new descriptor.
    let fd = unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCGPTPEER, flags) };
    if fd < 0 {
        return Err(RuntimeError::sys("ioctl(TIOCGPTPEER) on the pty master")(
            Errno::last(),
        ));
    }
    // SAFETY: the kernel returned a new descriptor that only we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The window size of the terminal open at `fd`.
pub fn window_size(fd: BorrowedFd) -> Result<WindowSize, RuntimeError> {
    // SAFETY: a zeroed winsize is a valid value for the kernel to overwrite.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    // SAFETY: TIOCGWINSZ writes one winsize into memory that lives for the call.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCGWINSZ, &mut ws) };
    if rc != 0 {
        return Err(RuntimeError::sys("ioctl(TIOCGWINSZ)")(Errno::last()));
    }
    Ok(WindowSize {
        rows: ws.ws_row,
        cols: ws.ws_col,
    })
}

/// Sets the window size of the terminal open at `fd` (on a master, the
/// slave's foreground process group gets SIGWINCH when it changes).
pub fn set_window_size(fd: BorrowedFd, size: WindowSize) -> Result<(), RuntimeError> {
    let ws = libc::winsize {
        ws_row: size.rows,
        ws_col: size.cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ reads one winsize from memory that lives for the call.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCSWINSZ, &ws) };
    if rc != 0 {
        return Err(RuntimeError::sys("ioctl(TIOCSWINSZ)")(Errno::last()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_pair_is_a_terminal_with_the_size_set_on_it() {
        let pty = open().expect("open a pty");
        assert!(nix::unistd::isatty(&pty.slave).expect("isatty"));
        let size = WindowSize {
            rows: 33,
            cols: 101,
        };
        set_window_size(pty.master.as_fd(), size).expect("set size");
        assert_eq!(window_size(pty.slave.as_fd()).expect("get size"), size);
    }

    #[test]
    fn bytes_written_to_the_master_reach_the_slave() {
        let pty = open().expect("open a pty");
        nix::unistd::write(&pty.master, b"hi\n").expect("write");
        let mut buf = [0u8; 16];
        let n = nix::unistd::read(&pty.slave, &mut buf).expect("read");
        assert_eq!(&buf[..n], b"hi\n");
    }

    #[test]
    fn a_missing_ptmx_names_the_path() {
        let err = open_at(Path::new("/no/such/ptmx")).expect_err("missing");
        assert!(err.to_string().contains("/no/such/ptmx"), "{err}");
    }
}
