//! Tests for `ports:` entries: each accepted form, each kind of mistake and
//! its message, overlaps, the annotation value, and Display → parse.

use super::*;
use proptest::prelude::*;

fn mapping(host_ip: Option<[u8; 4]>, host_port: u16, container_port: u16) -> PortMapping {
    PortMapping {
        host_ip: host_ip.map(Ipv4Addr::from),
        host_port,
        container_port,
    }
}

#[track_caller]
fn parse_err(text: &str) -> String {
    match text.parse::<PortMapping>() {
        Err(message) => message,
        Ok(m) => panic!("{text:?} parsed as {m:?}"),
    }
}

#[test]
fn accepted_forms() {
    let plain = mapping(None, 8080, 80);
    assert_eq!("8080:80".parse(), Ok(plain));
    assert_eq!("8080:80/tcp".parse(), Ok(plain));
    assert_eq!("8080:80/TCP".parse(), Ok(plain));
    assert_eq!("0.0.0.0:8080:80".parse(), Ok(plain));
    assert_eq!("08080:080".parse(), Ok(plain));
    let local = mapping(Some([127, 0, 0, 1]), 8080, 80);
    assert_eq!("127.0.0.1:8080:80".parse(), Ok(local));
    assert_eq!("127.0.0.1:8080:80/tcp".parse(), Ok(local));
    assert_eq!("1:65535".parse(), Ok(mapping(None, 1, 65535)));
}

#[test]
fn display_is_the_canonical_form() {
    assert_eq!(mapping(None, 8080, 80).to_string(), "8080:80");
    assert_eq!(
        mapping(Some([127, 0, 0, 1]), 8080, 80).to_string(),
        "127.0.0.1:8080:80"
    );
    assert_eq!(mapping(Some([0, 0, 0, 0]), 8080, 80).to_string(), "8080:80");
    let text = |s: &str| s.parse::<PortMapping>().unwrap().to_string();
    assert_eq!(text("0.0.0.0:08080:80/tcp"), "8080:80");
}

#[test]
fn mistakes_say_what_is_wrong() {
    assert_eq!(parse_err("0:80"), "host port 0 is out of range 1-65535");
    assert_eq!(
        parse_err("80:0"),
        "container port 0 is out of range 1-65535"
    );
    assert_eq!(
        parse_err("65536:80"),
        "host port 65536 is out of range 1-65535"
    );
    assert_eq!(
        parse_err("99999999999999999999999:80"),
        "host port 99999999999999999999999 is out of range 1-65535"
    );
    assert_eq!(
        parse_err("8080:80/udp"),
        "\"/udp\": only tcp ports are published (the forwarder is a TCP proxy)"
    );
    assert!(parse_err("8080:80/").contains("nothing after '/'"));
    for text in ["80", "", "1.2.3.4:1:2:3", "[::1]:8080:80"] {
        assert_eq!(parse_err(text), FORMAT, "{text:?}");
    }
    assert_eq!(
        parse_err("8080-8081:80"),
        "the host port `8080-8081` is not a number"
    );
    assert_eq!(parse_err("http:80"), "the host port `http` is not a number");
    assert_eq!(
        parse_err("80:-1"),
        "the container port `-1` is not a number"
    );
    assert_eq!(
        parse_err("80: 81"),
        "the container port ` 81` is not a number"
    );
    assert!(parse_err(":80").starts_with("the host port is missing; expected"));
    assert!(parse_err("80:").starts_with("the container port is missing"));
    assert_eq!(
        parse_err("localhost:8080:80"),
        "`localhost` is not an IPv4 address like 127.0.0.1"
    );
    assert!(parse_err("1.2.3:8080:80").contains("not an IPv4 address"));
    assert!(parse_err(":8080:80").starts_with("the host IP is empty"));
}

#[test]
fn overlaps_need_the_same_port_and_a_common_address() {
    let any = mapping(None, 8080, 80);
    let local = mapping(Some([127, 0, 0, 1]), 8080, 81);
    let other = mapping(Some([10, 0, 0, 1]), 8080, 82);
    let zero = mapping(Some([0, 0, 0, 0]), 8080, 83);
    assert!(any.overlaps(&local) && local.overlaps(&any));
    assert!(zero.overlaps(&local) && local.overlaps(&zero));
    assert!(local.overlaps(&mapping(Some([127, 0, 0, 1]), 8080, 99)));
    assert!(!local.overlaps(&other));
    assert!(!any.overlaps(&mapping(None, 8081, 80)));
    assert!(!any.overlaps(&mapping(None, 80, 8080)));
}

#[test]
fn annotation_round_trip() {
    let ports = vec![
        mapping(None, 8080, 80),
        mapping(Some([127, 0, 0, 1]), 8443, 443),
    ];
    let value = ports_annotation(&ports);
    assert_eq!(value, "8080:80,127.0.0.1:8443:443");
    assert_eq!(ports_from_annotation(&value), Ok(ports.clone()));
    assert_eq!(
        ports_from_annotation(" 8080:80 , 127.0.0.1:8443:443/tcp"),
        Ok(ports)
    );
    assert_eq!(ports_from_annotation(""), Ok(Vec::new()));
    assert_eq!(
        ports_from_annotation("8080:80,0:1"),
        Err("`0:1`: host port 0 is out of range 1-65535".to_string())
    );
    assert!(ports_from_annotation("8080:80,").is_err());
}

fn any_mapping() -> impl Strategy<Value = PortMapping> {
    let ip =
        prop::option::of(any::<u32>().prop_filter("0.0.0.0 reads back as None", |ip| *ip != 0));
    (ip, 1u16.., 1u16..).prop_map(|(ip, host_port, container_port)| PortMapping {
        host_ip: ip.map(Ipv4Addr::from),
        host_port,
        container_port,
    })
}

proptest! {
    #[test]
    fn display_round_trips_through_parse(m in any_mapping()) {
        prop_assert_eq!(m.to_string().parse::<PortMapping>(), Ok(m));
        prop_assert_eq!(format!("{m}/tcp").parse::<PortMapping>(), Ok(m));
    }

    #[test]
    fn annotation_round_trips(ports in prop::collection::vec(any_mapping(), 0..8)) {
        prop_assert_eq!(ports_from_annotation(&ports_annotation(&ports)), Ok(ports));
    }

    #[test]
    fn parse_never_panics(text in "[0-9a-z.:/ -]{0,24}") {
        let _ = text.parse::<PortMapping>();
    }
}
