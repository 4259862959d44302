//! Network namespace setup: the new namespace starts with only a loopback
//! interface, down; bring it up (SIOCGIFFLAGS / SIOCSIFFLAGS on "lo").

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use crate::child::{report, StepError};
use crate::steps::Step;
use crate::sync::Channel;

pub fn loopback_up(channel: &Channel) -> Result<(), StepError> {
    let fail = |what: &str| {
        StepError::new(
            Step::Network,
            format!("{what}: {}", std::io::Error::last_os_error()),
        )
    };
    // SAFETY: plain socket(2); the fd is owned below.
    let raw = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if raw < 0 {
        return Err(fail("socket(AF_INET)"));
    }
    // SAFETY: raw is a fresh, valid descriptor that nothing else owns.
    let socket = unsafe { OwnedFd::from_raw_fd(raw) };
    // SAFETY: ifreq is plain old data; zeroed is a valid value.
    let mut request: libc::ifreq = unsafe { std::mem::zeroed() };
    for (slot, byte) in request.ifr_name.iter_mut().zip(b"lo\0") {
        *slot = *byte as libc::c_char;
    }
    // SAFETY: the ioctls read and write the ifreq we own.
    if unsafe { libc::ioctl(socket.as_raw_fd(), libc::SIOCGIFFLAGS, &mut request) } < 0 {
        return Err(fail("SIOCGIFFLAGS lo"));
    }
    // SAFETY: ifru_flags is the union member SIOCGIFFLAGS filled in.
    unsafe { request.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short };
    if unsafe { libc::ioctl(socket.as_raw_fd(), libc::SIOCSIFFLAGS, &request) } < 0 {
        return Err(fail("SIOCSIFFLAGS lo up"));
    }
    report(channel, Step::Network, "new network namespace, loopback up")
}
