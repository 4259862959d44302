//! A small rtnetlink client over netlink-sys and netlink-packet-route: the
//! few requests a bridge network needs (links, addresses, routes), each sent
//! with NLM_F_ACK and read back until the kernel's answer, whose errno
//! becomes an `io::Error`. A client opened with [`Rtnl::open_in`] talks to
//! another network namespace (a socket belongs to the namespace it was
//! created in), so the supervisor configures the container's eth0 without
//! the container running any of this.

use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::BorrowedFd;

use netlink_packet_core::{
    NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP,
    NLM_F_DUMP_INTR, NLM_F_EXCL, NLM_F_REQUEST,
};
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::link::{
    InfoData, InfoKind, InfoVeth, LinkAttribute, LinkFlags, LinkInfo, LinkMessage,
};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};

/// An rtnetlink socket bound to one network namespace.
pub struct Rtnl {
    socket: Socket,
    sequence: u32,
}

/// What a link is, as far as adopting or pruning a bridge cares.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub index: u32,
    pub is_bridge: bool,
    /// Its alias (`ip link set … alias`): a bridge of ours names its state root.
    pub alias: Option<String>,
}

impl Link {
    fn of(message: &LinkMessage) -> Link {
        let mut link = Link {
            index: message.header.index,
            is_bridge: false,
            alias: None,
        };
        for attribute in &message.attributes {
            match attribute {
                LinkAttribute::IfAlias(alias) => link.alias = Some(alias.clone()),
                LinkAttribute::LinkInfo(infos) => {
                    link.is_bridge |= infos.contains(&LinkInfo::Kind(InfoKind::Bridge))
                }
                _ => {}
            }
        }
        link
    }
}

/// A route of the main table, as far as overlap checks care.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub destination: Ipv4Addr,
    pub prefix: u8,
    pub interface: Option<u32>,
}

impl Rtnl {
    /// A socket in this thread's network namespace.
    pub fn open() -> io::Result<Rtnl> {
        let mut socket = Socket::new(NETLINK_ROUTE)?;
        socket.bind_auto()?;
        socket.connect(&SocketAddr::new(0, 0))?;
        Ok(Rtnl {
            socket,
            sequence: 0,
        })
    }

    /// A socket in the network namespace `netns` (an open /proc/PID/ns/net).
    /// A short-lived thread enters it and opens the socket, so no thread
    /// of ours is ever left in the container's namespace, whatever fails.
    pub fn open_in(netns: BorrowedFd) -> io::Result<Rtnl> {
        std::thread::scope(|scope| {
            let opener = std::thread::Builder::new().spawn_scoped(scope, || {
                nix::sched::setns(netns, nix::sched::CloneFlags::CLONE_NEWNET)?;
                Rtnl::open()
            })?;
            opener
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the netlink thread panicked")))
        })
    }

    /// The link called `name`, `None` when there is none.
    pub fn link(&mut self, name: &str) -> io::Result<Option<Link>> {
        let mut message = LinkMessage::default();
        message.attributes.push(LinkAttribute::IfName(name.into()));
        let replies = match self.request(RouteNetlinkMessage::GetLink(message), 0) {
            Ok(replies) => replies,
            Err(e) if e.raw_os_error() == Some(libc::ENODEV) => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(replies.into_iter().find_map(|reply| match reply {
            RouteNetlinkMessage::NewLink(link) => Some(Link::of(&link)),
            _ => None,
        }))
    }

    /// Index of the link called `name`, `None` when there is none.
    pub fn link_index(&mut self, name: &str) -> io::Result<Option<u32>> {
        Ok(self.link(name)?.map(|link| link.index))
    }

    /// Creates a bridge; `AlreadyExists` when a link has that name.
    pub fn add_bridge(&mut self, name: &str) -> io::Result<()> {
        let mut message = LinkMessage::default();
        message.attributes = vec![
            LinkAttribute::IfName(name.into()),
            LinkAttribute::LinkInfo(vec![LinkInfo::Kind(InfoKind::Bridge)]),
        ];
        self.create(RouteNetlinkMessage::NewLink(message))
    }

    /// Creates a veth pair: `host` here, `peer` (with MAC address
    /// `peer_mac`) created directly in the namespace `peer_netns`, so it
    /// never appears on the host.
    pub fn add_veth(
        &mut self,
        host: &str,
        peer: &str,
        peer_mac: [u8; 6],
        peer_netns: BorrowedFd,
    ) -> io::Result<()> {
        use std::os::fd::AsRawFd;
        let mut peer_message = LinkMessage::default();
        peer_message.attributes = vec![
            LinkAttribute::IfName(peer.into()),
            LinkAttribute::Address(peer_mac.to_vec()),
            LinkAttribute::NetNsFd(peer_netns.as_raw_fd()),
        ];
        let mut message = LinkMessage::default();
        message.attributes = vec![
            LinkAttribute::IfName(host.into()),
            LinkAttribute::LinkInfo(vec![
                LinkInfo::Kind(InfoKind::Veth),
                LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(peer_message))),
            ]),
        ];
        self.create(RouteNetlinkMessage::NewLink(message))
    }

    /// Sets the link up and, when given, enslaves it to bridge `master`.
    pub fn set_up(&mut self, index: u32, master: Option<u32>) -> io::Result<()> {
        let mut message = LinkMessage::default();
        message.header.index = index;
        message.header.flags = LinkFlags::Up;
        message.header.change_mask = LinkFlags::Up;
        if let Some(master) = master {
            message.attributes.push(LinkAttribute::Controller(master));
        }
        self.request(RouteNetlinkMessage::SetLink(message), 0)
            .map(drop)
    }

    /// Sets the link's alias.
    pub fn set_alias(&mut self, index: u32, alias: &str) -> io::Result<()> {
        let mut message = LinkMessage::default();
        message.header.index = index;
        message
            .attributes
            .push(LinkAttribute::IfAlias(alias.into()));
        self.request(RouteNetlinkMessage::SetLink(message), 0)
            .map(drop)
    }

    /// Deletes the link called `name`; false when there was none.
    pub fn delete_link(&mut self, name: &str) -> io::Result<bool> {
        let mut message = LinkMessage::default();
        message.attributes.push(LinkAttribute::IfName(name.into()));
        match self.request(RouteNetlinkMessage::DelLink(message), 0) {
            Ok(_) => Ok(true),
            Err(e) if e.raw_os_error() == Some(libc::ENODEV) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Adds `address/prefix` to the link; `AlreadyExists` when it has it.
    pub fn add_address(&mut self, index: u32, address: Ipv4Addr, prefix: u8) -> io::Result<()> {
        let mut message = AddressMessage::default();
        message.header.family = AddressFamily::Inet;
        message.header.prefix_len = prefix;
        message.header.index = index;
        message.attributes = vec![
            AddressAttribute::Local(IpAddr::V4(address)),
            AddressAttribute::Address(IpAddr::V4(address)),
        ];
        self.create(RouteNetlinkMessage::NewAddress(message))
    }

    /// The IPv4 addresses of a link, with their prefix lengths.
    pub fn ipv4_addresses(&mut self, index: u32) -> io::Result<Vec<(Ipv4Addr, u8)>> {
        let mut message = AddressMessage::default();
        message.header.family = AddressFamily::Inet;
        let replies = self.dump(RouteNetlinkMessage::GetAddress(message))?;
        Ok(replies
            .into_iter()
            .filter_map(|reply| match reply {
                RouteNetlinkMessage::NewAddress(a) if a.header.index == index => {
                    a.attributes.iter().find_map(|attribute| match attribute {
                        AddressAttribute::Local(IpAddr::V4(v4)) => Some((*v4, a.header.prefix_len)),
                        _ => None,
                    })
                }
                _ => None,
            })
            .collect())
    }

    /// Adds the default route via `gateway`.
    pub fn add_default_route(&mut self, gateway: Ipv4Addr) -> io::Result<()> {
        let mut message = RouteMessage::default();
        message.header = RouteHeader {
            address_family: AddressFamily::Inet,
            table: RouteHeader::RT_TABLE_MAIN,
            protocol: RouteProtocol::Boot,
            scope: RouteScope::Universe,
            kind: RouteType::Unicast,
            ..RouteHeader::default()
        };
        message
            .attributes
            .push(RouteAttribute::Gateway(RouteAddress::Inet(gateway)));
        self.create(RouteNetlinkMessage::NewRoute(message))
    }

    /// The IPv4 routes of the main table.
    pub fn ipv4_routes(&mut self) -> io::Result<Vec<Route>> {
        let mut message = RouteMessage::default();
        message.header.address_family = AddressFamily::Inet;
        let replies = self.dump(RouteNetlinkMessage::GetRoute(message))?;
        Ok(replies
            .into_iter()
            .filter_map(|reply| match reply {
                RouteNetlinkMessage::NewRoute(r)
                    if r.header.table == RouteHeader::RT_TABLE_MAIN =>
                {
                    Some(route_of(&r))
                }
                _ => None,
            })
            .collect())
    }

    /// A dump, taken again (a few times) when the kernel says the table
    /// changed while it was being read (NLM_F_DUMP_INTR).
    fn dump(&mut self, message: RouteNetlinkMessage) -> io::Result<Vec<RouteNetlinkMessage>> {
        let mut tries = 0;
        loop {
            match self.request(message.clone(), NLM_F_DUMP) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted && tries < 5 => tries += 1,
                other => return other,
            }
        }
    }

    fn create(&mut self, message: RouteNetlinkMessage) -> io::Result<()> {
        self.request(message, NLM_F_CREATE | NLM_F_EXCL).map(drop)
    }

    /// Sends one request and collects the replies up to the kernel's ACK
    /// (or, for a dump, its end); an error reply becomes its errno.
    fn request(
        &mut self,
        message: RouteNetlinkMessage,
        flags: u16,
    ) -> io::Result<Vec<RouteNetlinkMessage>> {
        self.sequence += 1;
        let mut header = NetlinkHeader::default();
        header.flags = NLM_F_REQUEST | NLM_F_ACK | flags;
        header.sequence_number = self.sequence;
        let mut packet = NetlinkMessage::new(header, NetlinkPayload::from(message));
        packet.finalize();
        let mut bytes = vec![0u8; packet.buffer_len()];
        packet.serialize(&mut bytes);
        self.socket.send(&bytes, 0)?;
        let mut replies = Vec::new();
        let mut interrupted = false;
        loop {
            let (datagram, _) = self.socket.recv_from_full()?;
            let mut offset = 0;
            while offset < datagram.len() {
                let reply = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&datagram[offset..])
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
                let length = reply.header.length as usize;
                if reply.header.sequence_number != self.sequence {
                    offset += length.max(1);
                    continue;
                }
                interrupted |= reply.header.flags & NLM_F_DUMP_INTR != 0;
                match reply.payload {
                    NetlinkPayload::Error(error) => match error.code {
                        None => return Ok(replies),
                        Some(code) => return Err(io::Error::from_raw_os_error(-code.get())),
                    },
                    NetlinkPayload::Done(done) if done.code < 0 => {
                        return Err(io::Error::from_raw_os_error(-done.code))
                    }
                    NetlinkPayload::Done(_) if interrupted => {
                        return Err(io::ErrorKind::Interrupted.into())
                    }
                    NetlinkPayload::Done(_) => return Ok(replies),
                    NetlinkPayload::InnerMessage(inner) => replies.push(inner),
                    _ => {}
                }
                if length == 0 {
                    break;
                }
                offset += length;
            }
        }
    }
}

fn route_of(message: &RouteMessage) -> Route {
    let mut route = Route {
        destination: Ipv4Addr::UNSPECIFIED,
        prefix: message.header.destination_prefix_length,
        interface: None,
    };
    for attribute in &message.attributes {
        match attribute {
            RouteAttribute::Destination(RouteAddress::Inet(d)) => route.destination = *d,
            RouteAttribute::Oif(index) => route.interface = Some(*index),
            _ => {}
        }
    }
    route
}
