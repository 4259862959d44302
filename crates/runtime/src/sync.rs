//! The parent/child channel: one SOCK_SEQPACKET socketpair carrying typed
//! messages as JSON, one message per packet. The parent says when the child
//! may proceed (its cgroup is joined); the child reports each named setup step
//! as it completes, and a failure as a message carrying its step, errno and
//! text, so the user sees why setup failed instead of "exit 1". Both ends are
//! close-on-exec: when the workload's execve succeeds the parent reads EOF.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

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
        let bytes = serde_json::to_vec(message).map_err(std::io::Error::other)?;
        loop {
            match socket::send(self.raw(), &bytes, MsgFlags::MSG_NOSIGNAL) {
                Ok(_) => return Ok(()),
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Blocks for the next message; `None` when the other side has closed.
    pub fn recv<T: DeserializeOwned>(&self) -> std::io::Result<Option<T>> {
        self.receive(MsgFlags::empty())
    }

    /// The next message if one is queued; `None` when none is (or closed).
    pub fn try_recv<T: DeserializeOwned>(&self) -> std::io::Result<Option<T>> {
        match self.receive(MsgFlags::MSG_DONTWAIT) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(None),
            other => other,
        }
    }

    fn receive<T: DeserializeOwned>(&self, flags: MsgFlags) -> std::io::Result<Option<T>> {
        let mut buf = vec![0u8; MAX_MESSAGE];
        let n = loop {
            // MSG_TRUNC: the packet's real length, so a cut-off one is detected.
            match socket::recv(self.raw(), &mut buf, flags | MsgFlags::MSG_TRUNC) {
                Ok(n) => break n,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(e.into()),
            }
        };
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
            .map(Some)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    }

    fn raw(&self) -> std::os::fd::RawFd {
        use std::os::fd::AsRawFd;
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
}
