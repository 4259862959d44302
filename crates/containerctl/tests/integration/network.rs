//! Bridge networking, checked from inside the containers and from the
//! host: eth0's address and the default route as the container's own
//! `ip` shows them, HTTP between containers by address and by name, from
//! the host to a container's address and to a published port on the
//! host's loopback; 30 containers at once; an exhausted subnet, a taken
//! address or port; crashes mid-setup repaired by `gc`; and `host` and
//! `none` namespaces. Every test has a bridge and subnet of its own.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use crate::ctl::Ctl;
use crate::support::{args_yaml, sh, Busybox, Gate};

const BUSYBOX: &str = "/bin/busybox";

/// A server whose `GET /hostname` answers with the container's hostname.
fn httpd(name: &str, extra: &str) -> String {
    format!(
        "name: {name}\nnetwork: bridge\n{extra}{}",
        args_yaml(&[BUSYBOX, "httpd", "-f", "-p", "8000", "-h", "/etc"])
    )
}

/// `GET /hostname` from `address`, retried while the server starts.
fn get_hostname(address: SocketAddr) -> String {
    get(address, "hostname")
}

/// `GET /FILE` (of the server's /etc) from `address`, retried while the server starts.
fn get(address: SocketAddr, file: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match try_get(address, file) {
            Ok(body) => return body,
            Err(e) if Instant::now() > deadline => panic!("GET http://{address}/{file}: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

fn try_get(address: SocketAddr, file: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(format!("GET /{file} HTTP/1.0\r\n\r\n").as_bytes())?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply)?;
    match reply.split_once("\r\n\r\n") {
        Some((head, body)) if head.contains(" 200 ") => Ok(body.trim().to_string()),
        _ => Err(std::io::Error::other(format!("reply {reply:?}"))),
    }
}

/// A host port nobody listens on now.
fn free_port() -> u16 {
    let probe = TcpListener::bind("127.0.0.1:0").expect("probe port");
    probe.local_addr().expect("local addr").port()
}

/// The container's bridge address, as its record says.
fn address_of(ctl: &Ctl, name: &str) -> Ipv4Addr {
    let listed = ctl.ps();
    let c = listed
        .iter()
        .find(|c| c["name"] == name || c["id"] == name)
        .unwrap_or_else(|| panic!("{name} is listed"));
    c["address"]
        .as_str()
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("{name} has an address: {c}"))
}

#[test]
fn two_containers_from_one_file_talk_over_the_bridge() {
    let ctl = Ctl::on_bridge("pair", "10.201.1.0/24");
    let port = free_port();
    let file = ctl.workload(
        "pair",
        &format!(
            "containers:\n  - {}\n  - {}",
            httpd("server", &format!("ports: [\"127.0.0.1:{port}:8000\"]\n"))
                .replace('\n', "\n    "),
            format!(
                "name: client\nnetwork: bridge\n{}",
                args_yaml(&["sleep", "600"])
            )
            .replace('\n', "\n    "),
        ),
    );
    ctl.ok(&["up", "--no-record", file.to_str().expect("path")]);
    let server = address_of(&ctl, "server");
    let client = address_of(&ctl, "client");
    assert_ne!(server, client);

    // From inside: eth0 has the leased address, the default route is the bridge.
    let addr = ctl.ok(&[
        "exec", "server", BUSYBOX, "ip", "-4", "-o", "addr", "show", "eth0",
    ]);
    assert!(addr.contains(&format!("inet {server}/24")), "{addr}");
    let route = ctl.ok(&["exec", "server", BUSYBOX, "ip", "route"]);
    assert!(route.contains("default via 10.201.1.1 dev eth0"), "{route}");
    let hostname = ctl.ok(&["exec", "client", "cat", "/etc/hostname"]);
    assert_eq!(hostname.trim(), "client");

    // Container to container, by name (/etc/hosts written by `up`) and by address.
    for target in ["server".to_string(), server.to_string()] {
        let url = format!("http://{target}:8000/hostname");
        let body = ctl.ok(&["exec", "client", BUSYBOX, "wget", "-q", "-O", "-", &url]);
        assert_eq!(body.trim(), "server", "{url}");
    }
    // The host reaches the server's address, and the published port on loopback.
    assert_eq!(get_hostname(SocketAddr::from((server, 8000))), "server");
    assert_eq!(
        get_hostname(SocketAddr::from(([127, 0, 0, 1], port))),
        "server"
    );

    ctl.ok(&["down", "-t", "1", file.to_str().expect("path")]);
    ctl.assert_clean();
    TcpListener::bind(("127.0.0.1", port)).expect("the published port is free again");
    assert_eq!(
        ctl.ok(&["network", "prune"]).trim(),
        "removed bridge ctltpair (10.201.1.0/24)"
    );
    assert!(!std::path::Path::new("/sys/class/net/ctltpair").exists());
}

#[test]
fn thirty_containers_on_one_bridge_are_unique_reachable_and_leave_nothing() {
    let ctl = Ctl::on_bridge("thirty", "10.201.2.0/24");
    let file = ctl.workload("web", &httpd("web", ""));
    let ids = ctl.detach_many(&file, 30);
    let mut addresses: Vec<Ipv4Addr> = ids.iter().map(|id| address_of(&ctl, id)).collect();
    let veths: Vec<String> = ids.iter().map(|id| format!("veth{}", &id[..11])).collect();
    let mut ports = ctl.bridge_ports();
    ports.sort();
    let mut expected = veths.clone();
    expected.sort();
    assert_eq!(ports, expected, "one veth per container on the bridge");
    // Each container's kernel has its own address on eth0, and what
    // answers at an address from the host is the container holding it:
    // its /etc/hosts names that address.
    for (id, address) in ids.iter().zip(&addresses) {
        let eth0 = ctl.ok(&[
            "exec", id, BUSYBOX, "ip", "-4", "-o", "addr", "show", "eth0",
        ]);
        assert!(eth0.contains(&format!("inet {address}/24")), "{id}: {eth0}");
        let hosts = get(SocketAddr::from((*address, 8000)), "hosts");
        assert!(
            hosts.contains(&format!("{address}\tweb")),
            "{address}: {hosts}"
        );
    }
    // And from inside one of them, every one.
    let script = addresses
        .iter()
        .map(|a| format!("{BUSYBOX} wget -q -O - http://{a}:8000/hosts || echo FAIL {a}"))
        .collect::<Vec<_>>()
        .join("; ");
    let out = ctl.ok(&["exec", &ids[0], "/bin/sh", "-c", &script]);
    assert!(!out.contains("FAIL"), "{out}");
    for address in &addresses {
        assert!(
            out.contains(&format!("{address}\tweb")),
            "{address} from inside: {out}"
        );
    }
    addresses.sort();
    addresses.dedup();
    assert_eq!(addresses.len(), 30, "unique addresses");
    assert_eq!(ctl.leases().len(), 30);

    let mut rm = vec!["rm", "-f"];
    rm.extend(ids.iter().map(String::as_str));
    ctl.ok(&rm);
    ctl.assert_clean(); // waits for the bridge to have no port left
    for veth in veths {
        assert!(
            !std::path::Path::new("/sys/class/net").join(&veth).exists(),
            "{veth} is gone"
        );
    }
}

#[test]
fn an_exhausted_subnet_a_taken_address_or_port_fail_clearly_and_leave_nothing() {
    let ctl = Ctl::on_bridge("full", "10.201.3.0/29");
    let gate = Gate::new();
    let file = ctl.workload(
        "sleeper",
        &format!(
            "name: sleeper\nnetwork: bridge\n{}",
            sh(&gate.wait_script_for(600))
        ),
    );
    let ids: Vec<String> = (0..5).map(|_| ctl.detach(&file, &[])).collect();
    let path = file.to_str().expect("path");
    let full = ctl.run(&["run", "-d", "--no-record", path]);
    assert_eq!(full.status.code(), Some(3), "{full:?}");
    let stderr = String::from_utf8_lossy(&full.stderr);
    assert!(
        stderr.contains("subnet 10.201.3.0/29 is exhausted: all 5 container addresses are leased"),
        "{stderr}"
    );
    // The failed run took nothing: still the five leases and five veths.
    assert_eq!(ctl.leases().len(), 5);
    assert_eq!(ctl.bridge_ports().len(), 5);

    ctl.ok(&["rm", "-f", &ids[4]]);
    let taken = address_of(&ctl, &ids[0]).to_string();
    let again = ctl.run(&["run", "-d", "--no-record", "--ip", &taken, path]);
    assert_eq!(again.status.code(), Some(5), "{again:?}");
    assert!(String::from_utf8_lossy(&again.stderr).contains("already leased"));
    assert_eq!(ctl.leases().len(), 4);

    let busy = TcpListener::bind("0.0.0.0:0").expect("a port of ours");
    let busy_port = busy.local_addr().expect("addr").port();
    let ported = ctl.workload(
        "ported",
        &format!(
            "network: bridge\nports: [\"{busy_port}:80\"]\n{}",
            args_yaml(&["true"])
        ),
    );
    let out = ctl.run(&["run", "-d", "--no-record", ported.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains(&format!("cannot publish port 0.0.0.0:{busy_port}")));
    assert_eq!(
        ctl.leases().len(),
        4,
        "the lease of the failed run is released"
    );

    // No gc: what the failed runs took must be gone without it.
    gate.open();
    let left: Vec<String> = ctl
        .ps()
        .iter()
        .filter_map(|c| c["id"].as_str().map(String::from))
        .collect();
    let mut rm = vec!["rm", "-f"];
    rm.extend(left.iter().map(String::as_str));
    if !left.is_empty() {
        ctl.ok(&rm);
    }
    ctl.assert_clean();
}

#[test]
fn a_crash_mid_setup_leaves_nothing_that_gc_does_not_clean() {
    let ctl = Ctl::on_bridge("crash", "10.201.4.0/24");
    let port = free_port();
    let file = ctl.workload(
        "victim",
        &httpd("victim", &format!("ports: [\"127.0.0.1:{port}:8000\"]\n")),
    );
    let file = file.to_str().expect("path").to_string();
    // At the two points that leave something behind: with the lease taken
    // and the port bound, and with the veth pair made too.
    for point in ["network-leased", "network-connected"] {
        let crashed = ctl
            .command(&["run", "-d", "--no-record", &file])
            .env("CONTAINERCTL_CRASH_AT", point)
            .output()
            .expect("run -d");
        assert_ne!(crashed.status.code(), Some(0), "{point}: {crashed:?}");
        assert_eq!(ctl.leases().len(), 1, "{point}: the crash left its lease");
        let gc = ctl.ok(&["gc"]);
        assert!(gc.contains("reclaimed container"), "{point}: {gc}");
        assert!(ctl.leases().is_empty(), "{point}: {:?}", ctl.leases());
        let veths = ctl.settled_bridge_ports();
        assert!(veths.is_empty(), "{point}: veths {veths:?}");
        TcpListener::bind(("127.0.0.1", port)).expect("the port is free again");
    }
    // And at random moments, killing the CLI or the monitor.
    let mut seed = std::process::id() as u64;
    for round in 0..8u64 {
        ctl.start_and_kill(&file, round, &mut seed);
        // Whatever survived runs one container, the others are cleaned up:
        // remove any that runs so the next round can publish the port.
        std::thread::sleep(Duration::from_millis(200));
        ctl.ok(&["gc"]);
        let running: Vec<String> = ctl
            .ps()
            .iter()
            .filter_map(|c| c["id"].as_str().map(String::from))
            .collect();
        for id in &running {
            ctl.ok(&["rm", "-f", id]);
        }
        assert!(
            ctl.leases().is_empty(),
            "round {round}: leases {:?}",
            ctl.leases()
        );
        let veths = ctl.settled_bridge_ports();
        assert!(veths.is_empty(), "round {round}: veths {veths:?}");
        TcpListener::bind(("127.0.0.1", port))
            .unwrap_or_else(|e| panic!("round {round}: port {port} still taken: {e}"));
    }
    ctl.assert_clean();
}

#[test]
fn host_shares_the_hosts_namespace_and_none_has_only_loopback() {
    let ctl = Ctl::new("netmodes");
    let own = std::fs::read_link("/proc/self/ns/net").expect("our netns");
    let host = ctl.workload(
        "host",
        &format!(
            "network: host\n{}",
            args_yaml(&["readlink", "/proc/self/ns/net"])
        ),
    );
    let out = ctl.ok(&["-q", "run", "--no-record", host.to_str().expect("path")]);
    assert_eq!(out.trim(), own.to_string_lossy());
    let none = ctl.workload(
        "none",
        &sh("readlink /proc/self/ns/net; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '"),
    );
    let out = ctl.ok(&["-q", "run", "--no-record", none.to_str().expect("path")]);
    let mut lines = out.lines();
    assert_ne!(lines.next(), Some(own.to_string_lossy().as_ref()), "{out}");
    assert_eq!(lines.collect::<Vec<_>>(), vec!["lo"], "{out}");
    ctl.assert_clean();
}

#[test]
fn a_root_without_etc_hosts_gets_one_and_a_symlinked_resolv_conf_is_left_alone() {
    let ctl = Ctl::on_bridge("links", "10.201.5.0/24");
    let rootfs = Busybox::new();
    std::os::unix::fs::symlink("../run/resolv.conf", rootfs.path().join("etc/resolv.conf"))
        .expect("symlink");
    let file = ctl.workload(
        "linked",
        &format!(
            "name: linked\nnetwork: bridge\nrootfs: {}\n{}",
            rootfs.path().display(),
            sh("readlink /etc/resolv.conf; cat /etc/hosts")
        ),
    );
    let out = ctl.ok(&["-q", "run", "--no-record", file.to_str().expect("path")]);
    assert!(out.starts_with("../run/resolv.conf\n"), "{out}");
    assert!(out.contains("10.201.5.2\tlinked"), "{out}");
    ctl.assert_clean();
}
