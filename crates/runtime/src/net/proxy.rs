//! Published ports: a userspace TCP forwarder. Each host port is bound by
//! the supervisor before the container starts (so "port in use" fails the
//! run before anything else exists); once the container's eth0 is up, one
//! thread per port accepts connections and relays each to the container's
//! address with two threads, one per direction, moving the bytes with
//! splice(2) through a pipe (never through this process's memory). Stopping shuts the listeners and every
//! open connection down; the port is free again when the run ends.
//!
//! Why a proxy and not nftables DNAT: it reaches the container from the
//! host's own loopback without `route_localnet` and masquerading, needs no
//! firewall tooling or rules that could outlive a crashed supervisor, and
//! dies with the process that owns the container. The cost is a copy
//! through userspace and that the container sees connections coming from
//! the bridge's address, not the client's.

use std::io;
use std::net::{Shutdown, SocketAddr, SocketAddrV4, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::RuntimeError;

/// One published port: connections to `host` go to the container's `container_port`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Publish {
    pub host: SocketAddrV4,
    pub container_port: u16,
}

/// Host ports bound, not yet forwarding.
#[derive(Debug)]
pub struct Bound {
    listeners: Vec<(Publish, TcpListener)>,
}

/// Binds every published host port; the first one in use fails them all.
pub fn bind(ports: &[Publish]) -> Result<Bound, RuntimeError> {
    let mut listeners = Vec::new();
    for publish in ports {
        let listener =
            TcpListener::bind(publish.host).map_err(|source| RuntimeError::PortUnavailable {
                port: publish.host.to_string(),
                source,
            })?;
        listeners.push((*publish, listener));
    }
    Ok(Bound { listeners })
}

/// Ports being forwarded; [`Forwarding::stop`] (or drop) ends it.
#[derive(Debug, Default)]
pub struct Forwarding {
    listeners: Vec<TcpListener>,
    acceptors: Vec<JoinHandle<()>>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Bound {
    /// Starts forwarding to `container` (its bridge address).
    pub fn start(self, container: std::net::Ipv4Addr) -> Forwarding {
        let mut forwarding = Forwarding::default();
        for (publish, listener) in self.listeners {
            let target = SocketAddr::from((container, publish.container_port));
            let open = Arc::clone(&forwarding.open);
            let accepting = listener.try_clone();
            forwarding.listeners.push(listener);
            let Ok(accepting) = accepting else {
                tracing::warn!(step = "network", port = %publish.host, "cannot share the listener");
                continue;
            };
            forwarding.acceptors.push(std::thread::spawn(move || {
                accept_loop(accepting, target, open)
            }));
            tracing::info!(step = "network", "forwarding {} to {target}", publish.host);
        }
        forwarding
    }
}

fn accept_loop(listener: TcpListener, target: SocketAddr, open: Arc<Mutex<Vec<TcpStream>>>) {
    for client in listener.incoming() {
        let Ok(client) = client else {
            // shutdown() of the listener ends accept with EINVAL.
            return;
        };
        let open = Arc::clone(&open);
        std::thread::spawn(move || {
            if let Err(e) = relay(client, target, &open) {
                tracing::debug!(step = "network", "forwarding to {target}: {e}");
            }
        });
    }
}

/// Copies both ways until each side has closed its half.
fn relay(client: TcpStream, target: SocketAddr, open: &Mutex<Vec<TcpStream>>) -> io::Result<()> {
    let server = TcpStream::connect_timeout(&target, Duration::from_secs(5))?;
    if let Ok(mut streams) = open.lock() {
        streams.push(client.try_clone()?);
        streams.push(server.try_clone()?);
    }
    let (client_in, server_out) = (client.try_clone()?, server.try_clone()?);
    let upstream = std::thread::spawn(move || pipe(client_in, server_out));
    pipe(server, client);
    let _ = upstream.join();
    Ok(())
}

fn pipe(from: TcpStream, to: TcpStream) {
    if let Err(e) = splice_all(&from, &to) {
        tracing::debug!(step = "network", "relay ended: {e}");
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// Bytes per splice: the pipe between the sockets is grown to this.
const SPLICE_CHUNK: usize = 1 << 20;

/// Moves bytes from one socket to the other through a pipe with splice(2),
/// never copying them into this process, until `from` reaches EOF.
fn splice_all(from: &TcpStream, to: &TcpStream) -> io::Result<()> {
    use std::os::fd::{AsFd, AsRawFd};
    let (pipe_out, pipe_in) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
    // A bigger pipe means fewer system calls; the default 64 KiB works too.
    // SAFETY: fcntl on a pipe we own.
    unsafe {
        libc::fcntl(
            pipe_in.as_raw_fd(),
            libc::F_SETPIPE_SZ,
            SPLICE_CHUNK as libc::c_int,
        )
    };
    loop {
        let moved = splice(from.as_fd(), pipe_in.as_fd(), SPLICE_CHUNK)?;
        if moved == 0 {
            return Ok(());
        }
        let mut left = moved;
        while left > 0 {
            match splice(pipe_out.as_fd(), to.as_fd(), left)? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => left -= n,
            }
        }
    }
}

fn splice(
    from: std::os::fd::BorrowedFd,
    to: std::os::fd::BorrowedFd,
    len: usize,
) -> io::Result<usize> {
    use std::os::fd::AsRawFd;
    loop {
        let flags = libc::SPLICE_F_MOVE | libc::SPLICE_F_MORE;
        // SAFETY: splice(2) between descriptors we hold, without offsets.
        let n = unsafe {
            libc::splice(
                from.as_raw_fd(),
                std::ptr::null_mut(),
                to.as_raw_fd(),
                std::ptr::null_mut(),
                len,
                flags,
            )
        };
        if n >= 0 {
            return Ok(n as usize);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

impl Forwarding {
    /// Closes the listeners and every open connection.
    pub fn stop(&mut self) {
        for listener in &self.listeners {
            shutdown_listener(listener);
        }
        for acceptor in self.acceptors.drain(..) {
            let _ = acceptor.join();
        }
        self.listeners.clear();
        if let Ok(mut streams) = self.open.lock() {
            for stream in streams.drain(..) {
                let _ = stream.shutdown(Shutdown::Both);
            }
        }
    }
}

impl Drop for Forwarding {
    fn drop(&mut self) {
        self.stop();
    }
}

/// std has no shutdown for a listener; on Linux it wakes a blocked accept.
fn shutdown_listener(listener: &TcpListener) {
    use std::os::fd::AsRawFd;
    // SAFETY: shutdown(2) on a descriptor we own; no memory is passed.
    unsafe { libc::shutdown(listener.as_raw_fd(), libc::SHUT_RDWR) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::Ipv4Addr;

    #[test]
    fn bytes_cross_both_ways_and_stop_frees_the_port() {
        let server = TcpListener::bind("127.0.0.1:0").expect("server");
        let server_port = server.local_addr().expect("addr").port();
        let echo = std::thread::spawn(move || {
            let (mut s, _) = server.accept().expect("accept");
            let mut buf = [0u8; 5];
            s.read_exact(&mut buf).expect("read");
            s.write_all(&buf.map(|b| b.to_ascii_uppercase()))
                .expect("write");
        });
        let probe = TcpListener::bind("127.0.0.1:0").expect("probe");
        let host = match probe.local_addr().expect("addr") {
            SocketAddr::V4(v4) => v4,
            SocketAddr::V6(_) => unreachable!("bound on IPv4"),
        };
        drop(probe);
        let publish = Publish {
            host,
            container_port: server_port,
        };
        let mut forwarding = bind(&[publish]).expect("bind").start(Ipv4Addr::LOCALHOST);
        assert!(
            bind(&[publish]).is_err(),
            "the port is taken while forwarding"
        );
        let mut client = TcpStream::connect(host).expect("connect");
        client.write_all(b"hello").expect("send");
        let mut reply = String::new();
        client.read_to_string(&mut reply).expect("reply");
        assert_eq!(reply, "HELLO");
        echo.join().expect("echo");
        forwarding.stop();
        bind(&[publish]).expect("the port is free after stop");
    }
}
