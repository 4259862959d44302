//! The parent/child channel: one SOCK_SEQPACKET socketpair carrying typed
//! messages as JSON, one message per packet. The parent says when the child
//! may proceed (its cgroup is joined); the child reports each named setup step
//! as it completes, and a failure as a message carrying its step, errno and
//! text, so the user sees why setup failed instead of "exit 1". A message may
//! carry one descriptor (SCM_RIGHTS): the pty master the child opened. Both
//! ends are close-on-exec: when the workload's execve succeeds the parent
//! reads EOF.

use std::io::{IoSlice, IoSliceMut};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use nix::sys::socket::{self, AddressFamily, MsgFlags, SockFlag, SockType};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::steps::Step;

/// Largest message either side sends (error texts are short).
const MAX_MESSAGE: usize = 16 * 1024;

/// Parent → child.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub enum ToChild {
    /// The child has been placed in its cgroups: go on with setup.
    CgroupJoined,
}

/// A message and the descriptor that came with it, if any.
pub type Received<T> = (T, Option<OwnedFd>);

/// Child → parent.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub enum FromChild {
    /// A setup step finished; `detail` says what it did.
    StepDone { step: Step, detail: String },
    /// A setup step failed; the child exits with `exit_code` right after.
    Failed {
        step: Step,
        message: String,
        exit_code: i32,
    },
    /// The pty master of the container's new terminal travels with this one.
    Terminal,
}

/// One end of the socketpair.
#[derive(Debug)]
pub struct Channel(OwnedFd);

impl Channel {
    /// A connected pair: (parent end, child end).
    pub fn pair() -> nix::Result<(Channel, Channel)> {
        let (a, b) = socket::socketpair(
            AddressFamily::Unix,
            SockType::SeqPacket,
            None,
            SockFlag::SOCK_CLOEXEC,
        )?;
        Ok((Channel(a), Channel(b)))
    }

    pub fn send<T: Serialize>(&self, message: &T) -> std::io::Result<()> {
        self.send_fds(message, &[])
    }

    /// Sends a message with a descriptor attached (the receiver gets a copy).
    pub fn send_with_fd<T: Serialize>(&self, message: &T, fd: BorrowedFd) -> std::io::Result<()> {
        self.send_fds(message, &[fd.as_raw_fd()])
    }

    fn send_fds<T: Serialize>(&self, message: &T, fds: &[RawFd]) -> std::io::Result<()> {
        let bytes = serde_json::to_vec(message).map_err(std::io::Error::other)?;
        let rights = [socket::ControlMessage::ScmRights(fds)];
        let cmsgs = if fds.is_empty() { &[][..] } else { &rights[..] };
        loop {
            let iov = [IoSlice::new(&bytes)];
            match socket::sendmsg::<()>(self.raw(), &iov, cmsgs, MsgFlags::MSG_NOSIGNAL, None) {
                Ok(_) => return Ok(()),
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Blocks for the next message; `None` when the other side has closed.
    pub fn recv<T: DeserializeOwned>(&self) -> std::io::Result<Option<T>> {
        Ok(self.receive(MsgFlags::empty())?.map(|(m, _)| m))
    }

    /// Like [`Channel::recv`], with the descriptor the message carried.
    pub fn recv_with_fd<T: DeserializeOwned>(&self) -> std::io::Result<Option<Received<T>>> {
        self.receive(MsgFlags::empty())
    }

    /// The next message if one is queued (`None` when none is, or closed),
    /// with the descriptor it carried.
    pub fn try_recv_with_fd<T: DeserializeOwned>(&self) -> std::io::Result<Option<Received<T>>> {
        match self.receive(MsgFlags::MSG_DONTWAIT) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(None),
            other => other,
        }
    }

    fn receive<T: DeserializeOwned>(
        &self,
        flags: MsgFlags,
    ) -> std::io::Result<Option<Received<T>>> {
        let mut buf = vec![0u8; MAX_MESSAGE];
        let (n, fd) = self.receive_raw(&mut buf, flags)?;
        if n == 0 {
            return Ok(None);
        }
        if n > buf.len() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("message of {n} bytes exceeds {MAX_MESSAGE}"),
            ));
        }
        serde_json::from_slice(&buf[..n])
            .map(|m| Some((m, fd)))
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    }

    /// One packet: its real length (MSG_TRUNC, so a cut-off one is
    /// detected) and the first descriptor it carried (any others close).
    fn receive_raw(
        &self,
        buf: &mut [u8],
        flags: MsgFlags,
    ) -> std::io::Result<(usize, Option<OwnedFd>)> {
        let flags = flags | MsgFlags::MSG_TRUNC | MsgFlags::MSG_CMSG_CLOEXEC;
        let mut space = nix::cmsg_space!([RawFd; 4]);
        loop {
            let mut iov = [IoSliceMut::new(buf)];
            let msg = match socket::recvmsg::<()>(self.raw(), &mut iov, Some(&mut space), flags) {
                Ok(msg) => msg,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(e.into()),
            };
            let mut fds = Vec::new();
            for cmsg in msg.cmsgs()? {
                if let socket::ControlMessageOwned::ScmRights(received) = cmsg {
                    // SAFETY: the kernel installed these descriptors for us alone.
                    fds.extend(
                        received
                            .into_iter()
                            .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }),
                    );
                }
            }
            return Ok((msg.bytes, fds.into_iter().next()));
        }
    }

    fn raw(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

impl AsFd for Channel {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_cross_the_pair_and_close_reads_as_eof() {
        let (parent, child) = Channel::pair().expect("socketpair");
        parent.send(&ToChild::CgroupJoined).expect("send");
        assert_eq!(
            child.recv::<ToChild>().expect("recv"),
            Some(ToChild::CgroupJoined)
        );
        let failed = FromChild::Failed {
            step: Step::Exec,
            message: "no such file".into(),
            exit_code: 127,
        };
        child.send(&failed).expect("send");
        assert_eq!(parent.recv::<FromChild>().expect("recv"), Some(failed));
        drop(child);
        assert_eq!(parent.recv::<FromChild>().expect("recv"), None);
    }

    #[test]
    fn a_descriptor_travels_with_its_message() {
        let (parent, child) = Channel::pair().expect("socketpair");
        let (read, write) = nix::unistd::pipe().expect("pipe");
        child
            .send_with_fd(&FromChild::Terminal, write.as_fd())
            .expect("send");
        drop(write);
        let (message, fd) = parent
            .recv_with_fd::<FromChild>()
            .expect("recv")
            .expect("a message");
        assert_eq!(message, FromChild::Terminal);
        let fd = fd.expect("a descriptor");
        nix::unistd::write(&fd, b"x").expect("write through the copy");
        let mut buf = [0u8; 1];
        assert_eq!(nix::unistd::read(&read, &mut buf).expect("read"), 1);
        assert!(parent
            .try_recv_with_fd::<FromChild>()
            .expect("try_recv")
            .is_none());
    }
}
