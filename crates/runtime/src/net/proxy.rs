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

use std::collections::HashMap;
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
    connections: Shared,
}

/// The open connections (a clone of each end, to shut them down on stop),
/// by number; once stopped, a connection still being made is turned away.
#[derive(Debug, Default)]
struct Connections {
    next: u64,
    open: HashMap<u64, [TcpStream; 2]>,
    stopped: bool,
}

type Shared = Arc<Mutex<Connections>>;

impl Connections {
    /// Registers a relayed pair; `None` when forwarding has stopped.
    fn add(&mut self, ends: [TcpStream; 2]) -> Option<u64> {
        if self.stopped {
            return None;
        }
        self.next += 1;
        self.open.insert(self.next, ends);
        Some(self.next)
    }

    fn stop(&mut self) {
        self.stopped = true;
        for [client, server] in std::mem::take(&mut self.open).into_values() {
            let _ = client.shutdown(Shutdown::Both);
            let _ = server.shutdown(Shutdown::Both);
        }
    }
}

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Connections> {
    // A relay thread that panicked leaves the map as it was: still usable.
    shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Bound {
    /// Starts forwarding to `container` (its bridge address).
    pub fn start(self, container: std::net::Ipv4Addr) -> Forwarding {
        let mut forwarding = Forwarding::default();
        for (publish, listener) in self.listeners {
            let target = SocketAddr::from((container, publish.container_port));
            let shared = Arc::clone(&forwarding.connections);
            let acceptor = listener.try_clone().and_then(|accepting| {
                std::thread::Builder::new()
                    .name(format!("forward-{}", publish.host.port()))
                    .spawn(move || accept_loop(accepting, target, shared))
            });
            forwarding.listeners.push(listener);
            match acceptor {
                Ok(handle) => {
                    forwarding.acceptors.push(handle);
                    tracing::info!(step = "network", "forwarding {} to {target}", publish.host);
                }
                Err(e) => tracing::warn!(step = "network", "cannot forward {}: {e}", publish.host),
            }
        }
        forwarding
    }
}

/// Accepts until forwarding stops; a failed accept (out of descriptors, an
/// aborted handshake) is logged and retried, never the end of the port.
fn accept_loop(listener: TcpListener, target: SocketAddr, shared: Shared) {
    loop {
        let client = match listener.accept() {
            Ok((client, _)) => client,
            Err(e) => {
                // shutdown() of the listener by stop() ends accept with EINVAL.
                if lock(&shared).stopped {
                    return;
                }
                tracing::warn!(step = "network", "accepting for {target}: {e}");
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        let shared = Arc::clone(&shared);
        let spawned = std::thread::Builder::new().spawn(move || {
            if let Err(e) = relay(client, target, &shared) {
                tracing::debug!(step = "network", "forwarding to {target}: {e}");
            }
        });
        if let Err(e) = spawned {
            tracing::warn!(
                step = "network",
                "no thread for a connection to {target}: {e}"
            );
        }
    }
}

/// Copies both ways until each side has closed its half.
fn relay(client: TcpStream, target: SocketAddr, shared: &Shared) -> io::Result<()> {
    let server = TcpStream::connect_timeout(&target, Duration::from_secs(5))?;
    let Some(number) = lock(shared).add([client.try_clone()?, server.try_clone()?]) else {
        return Ok(()); // stopped meanwhile: both ends close here
    };
    let (client_in, server_out) = (client.try_clone()?, server.try_clone()?);
    let upstream = std::thread::Builder::new().spawn(move || pipe(client_in, server_out));
    pipe(server, client);
    if let Ok(upstream) = upstream {
        let _ = upstream.join();
    }
    lock(shared).open.remove(&number);
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
        // No SPLICE_F_MORE: it would hold a small reply back (MSG_MORE).
        let flags = libc::SPLICE_F_MOVE;
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
        lock(&self.connections).stop();
        for listener in &self.listeners {
            shutdown_listener(listener);
        }
        for acceptor in self.acceptors.drain(..) {
            let _ = acceptor.join();
        }
        self.listeners.clear();
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

    /// A free port on 127.0.0.1, published to `container_port` there.
    fn published(container_port: u16) -> Publish {
        let probe = TcpListener::bind("127.0.0.1:0").expect("probe");
        let host = match probe.local_addr().expect("addr") {
            SocketAddr::V4(v4) => v4,
            SocketAddr::V6(_) => unreachable!("bound on IPv4"),
        };
        Publish {
            host,
            container_port,
        }
    }

    /// A server that answers every line with it upper-cased, for each of
    /// any number of connections; returns its port.
    fn upper_case_server() -> u16 {
        let server = TcpListener::bind("127.0.0.1:0").expect("server");
        let port = server.local_addr().expect("addr").port();
        std::thread::spawn(move || {
            for stream in server.incoming().flatten() {
                std::thread::spawn(move || {
                    let mut reader = std::io::BufReader::new(stream.try_clone().expect("clone"));
                    let mut writer = stream;
                    let mut line = String::new();
                    while std::io::BufRead::read_line(&mut reader, &mut line).unwrap_or(0) > 0 {
                        let _ = writer.write_all(line.to_uppercase().as_bytes());
                        line.clear();
                    }
                });
            }
        });
        port
    }

    fn ask(stream: &mut TcpStream, reader: &mut impl std::io::BufRead, word: &str) -> String {
        stream
            .write_all(format!("{word}\n").as_bytes())
            .expect("send");
        let mut reply = String::new();
        reader.read_line(&mut reply).expect("reply");
        reply
    }

    #[test]
    fn a_conversation_crosses_both_ways_and_stop_frees_the_port() {
        let publish = published(upper_case_server());
        let mut forwarding = bind(&[publish]).expect("bind").start(Ipv4Addr::LOCALHOST);
        assert!(
            bind(&[publish]).is_err(),
            "the port is taken while forwarding"
        );
        let mut client = TcpStream::connect(publish.host).expect("connect");
        let mut reader = std::io::BufReader::new(client.try_clone().expect("clone"));
        // Small messages back and forth on one connection, as a shell or a
        // database client sends them: each reply must come without the
        // sender closing its side first.
        for n in 0..20 {
            assert_eq!(
                ask(&mut client, &mut reader, &format!("ping{n}")),
                format!("PING{n}\n")
            );
        }
        forwarding.stop();
        let mut rest = Vec::new();
        assert_eq!(
            reader.read_to_end(&mut rest).expect("closed"),
            0,
            "stop closes open connections"
        );
        bind(&[publish]).expect("the port is free after stop");
    }

    #[test]
    fn many_connections_in_a_row_keep_nothing_open() {
        let publish = published(upper_case_server());
        let forwarding = bind(&[publish]).expect("bind").start(Ipv4Addr::LOCALHOST);
        // More than the default limit of 1024 descriptors could hold if
        // every connection kept its two ends.
        for n in 0..700 {
            let mut client = TcpStream::connect(publish.host).expect("connect");
            let mut reader = std::io::BufReader::new(client.try_clone().expect("clone"));
            assert_eq!(ask(&mut client, &mut reader, "x"), "X\n", "connection {n}");
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !lock(&forwarding.connections).open.is_empty() {
            assert!(
                std::time::Instant::now() < deadline,
                "connections stay registered"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}
