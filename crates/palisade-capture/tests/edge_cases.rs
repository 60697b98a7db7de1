//! Crafted captures, one per edge case, written by the generator in `synth`: every link
//! layer, tunnel and file format, and every kind of damage the reassembler handles. Set
//! `PALISADE_WRITE_CAPTURES=DIR` to keep the files for inspection in other tools.

mod common;

use common::*;
use palisade_capture::synth::{self, Connection, Format, Link, Segment};
use palisade_capture::{CaptureConfig, LinkType};

/// Every link layer and tunnel carries the standard connection to the same traces.
#[test]
fn link_layers_and_tunnels() {
    let cases: Vec<(&str, Link, bool)> = vec![
        ("ethernet", Link::Ethernet, false),
        ("vlan-8021q", Link::Vlan(vec![42]), false),
        ("vlan-qinq", Link::Vlan(vec![100, 200]), false),
        ("vxlan", Link::Vxlan, false),
        ("geneve", Link::Geneve, false),
        ("linux-sll", Link::LinuxSll, false),
        ("linux-sll2", Link::LinuxSll2, false),
        ("raw-ip", Link::RawIp, false),
        ("bsd-null", Link::Null, false),
        ("bsd-loop", Link::Loop, false),
        ("ipv6-ethernet", Link::Ethernet, true),
        ("ipv6-vxlan", Link::Vxlan, true),
        ("ipv6-qinq", Link::Vlan(vec![7, 8]), true),
        ("ipv6-sll2", Link::LinuxSll2, true),
    ];
    for (name, link, ipv6) in cases {
        let (client, server) = if ipv6 { (client6(), server6()) } else { (client(), server()) };
        let capture = pcap(&standard_connection(client, server, 1000, 5000), &link);
        keep(&format!("{name}.pcap"), &capture);
        let (traces, stats) = decode(&capture);
        assert_eq!(summaries(&traces), standard_summary(), "{name}");
        assert_eq!(traces[0].meta.client.as_ref().unwrap().address, client.ip().to_string(), "{name}");
        assert_eq!(traces[0].meta.server.as_ref().unwrap().port, Some(8080), "{name}");
        let tunneled = matches!(link, Link::Vxlan | Link::Geneve);
        assert_eq!(stats.tunnel_packets > 0, tunneled, "{name}");
        assert_eq!(stats.invalid_packets, 0, "{name}");
    }
}

/// Both byte orders and both timestamp precisions of pcap, and pcapng, give the same
/// traces with the same times.
#[test]
fn file_formats() {
    let formats = [
        ("le-micro.pcap", Format::Pcap { big_endian: false, nanosecond: false }),
        ("be-micro.pcap", Format::Pcap { big_endian: true, nanosecond: false }),
        ("le-nano.pcap", Format::Pcap { big_endian: false, nanosecond: true }),
        ("be-nano.pcap", Format::Pcap { big_endian: true, nanosecond: true }),
        ("nano.pcapng", Format::PcapNg),
    ];
    let mut connection = Connection::new(client(), server(), 1, 2, START_NS + 123_456_789);
    connection.step_ns = 1_234_567;
    let mut segments = connection.handshake();
    let (request, response) = get_users();
    segments.extend(connection.exchange(&request, &response));
    segments.extend(connection.close());

    for (name, format) in formats {
        let capture = with_format(&segments, format);
        keep(name, &capture);
        let (traces, _) = decode(&capture);
        assert_eq!(traces.len(), 1, "{name}");
        let meta = &traces[0].meta;
        // The request's first packet is the fourth segment of the capture.
        assert_eq!(meta.start_ms, (segments[3].timestamp_ns / 1_000_000), "{name}");
        // The response's last data segment is followed by one ACK before the close.
        let last_response_ns = segments[segments.len() - 5].timestamp_ns;
        let expected_us = (last_response_ns - segments[3].timestamp_ns) / 1000;
        let precision_us = if matches!(format, Format::Pcap { nanosecond: false, .. }) { 1 } else { 0 };
        let duration = meta.duration_us.unwrap() as i64;
        assert!((duration - expected_us).abs() <= precision_us, "{name}: {duration} vs {expected_us}");
    }
}

fn exchanges_on(connection: &mut Connection) -> Vec<Segment> {
    let mut segments = Vec::new();
    for (request, response) in [get_users(), post_order(), get_gzip()] {
        segments.extend(connection.exchange(&request, &response));
    }
    segments
}

/// Reassembly damage, each case with the traces it must still give.
#[test]
fn reassembly_damage() {
    type Build = fn() -> Vec<Segment>;
    let all = standard_summary();
    let cases: Vec<(&str, Build, Vec<Summary>)> = vec![
        ("reordered", reordered, all.clone()),
        ("retransmitted", retransmitted, all.clone()),
        ("overlapping", overlapping, all.clone()),
        ("sequence-wrap", sequence_wrap, all.clone()),
        ("no-handshake", no_handshake, all.clone()),
        ("reset-close", reset_close, all.clone()),
        ("lost-response-segment", lost_response_segment, {
            let mut expected = all.clone();
            expected[0] = Summary::new("GET", "/api/users", Some(200), 1460 - 73, true);
            expected
        }),
        ("lost-response-head", lost_response_head, {
            let mut expected = all.clone();
            expected[0] = Summary::new("GET", "/api/users", None, 0, false);
            expected
        }),
        ("lost-request", lost_request, vec![all[0].clone(), all[2].clone()]),
        ("lost-chunked-segment", lost_chunked_segment, {
            let mut expected = all.clone();
            expected[1] = Summary::new("POST", "/api/orders", Some(201), 0, true);
            expected
        }),
    ];
    for (name, build, expected) in cases {
        let capture = pcap(&build(), &Link::Ethernet);
        keep(&format!("{name}.pcap"), &capture);
        let (traces, stats) = decode(&capture);
        assert_eq!(summaries(&traces), expected, "{name}: {stats}");
    }
}

fn reordered() -> Vec<Segment> {
    let mut segments = standard_connection(client(), server(), 7, 9);
    // Segments 5, 6 and 7 carry the first response: the second and third arrive swapped,
    // and the first arrives after both.
    segments.swap(6, 7);
    let first = segments.remove(5);
    segments.insert(7, first);
    segments
}

fn retransmitted() -> Vec<Segment> {
    let segments = standard_connection(client(), server(), 7, 9);
    let mut damaged = Vec::new();
    for segment in segments {
        let duplicate = !segment.payload.is_empty();
        damaged.push(segment.clone());
        if duplicate {
            damaged.push(segment);
        }
    }
    damaged
}

fn overlapping() -> Vec<Segment> {
    let segments = standard_connection(client(), server(), 7, 9);
    let mut damaged = Vec::new();
    for segment in segments {
        if segment.payload.len() > 100 {
            // The same bytes again as two overlapping halves: [0, 60%) then [40%, end).
            let cut_end = segment.payload.len() * 6 / 10;
            let cut_start = segment.payload.len() * 4 / 10;
            let mut first = segment.clone();
            first.payload.truncate(cut_end);
            let mut second = segment.clone();
            second.seq = segment.seq.wrapping_add(cut_start as u32);
            second.payload = segment.payload[cut_start..].to_vec();
            damaged.push(first);
            damaged.push(second);
        } else {
            damaged.push(segment);
        }
    }
    damaged
}

fn sequence_wrap() -> Vec<Segment> {
    standard_connection(client(), server(), u32::MAX - 500, u32::MAX - 2000)
}

fn no_handshake() -> Vec<Segment> {
    let mut connection = Connection::new(client(), server(), 7, 9, START_NS);
    exchanges_on(&mut connection)
}

fn reset_close() -> Vec<Segment> {
    let mut connection = Connection::new(client(), server(), 7, 9, START_NS);
    let mut segments = connection.handshake();
    segments.extend(exchanges_on(&mut connection));
    segments.extend(connection.reset());
    segments
}

/// The second data segment of the first response (segments 5, 6 and 7) is lost. The
/// receiver's ACK of the third segment shows the loss. The body keeps its first segment
/// and the connection stays in sync because the body length is known.
fn lost_response_segment() -> Vec<Segment> {
    let mut segments = standard_connection(client(), server(), 7, 9);
    segments.remove(6);
    segments
}

/// The first segment of the first response, with its head, is lost: the request is sent
/// on without a response and the next exchanges pair normally.
fn lost_response_head() -> Vec<Segment> {
    let mut segments = standard_connection(client(), server(), 7, 9);
    segments.remove(5);
    segments
}

/// The whole second request is lost; its response arrives and must not be paired with
/// the third request.
fn lost_request() -> Vec<Segment> {
    let mut connection = Connection::new(client(), server(), 7, 9, START_NS);
    let mut segments = connection.handshake();
    let exchanges = [get_users(), post_order(), get_gzip()];
    for (index, (request, response)) in exchanges.iter().enumerate() {
        let mut request_segments = connection.client_sends(request);
        if index == 1 {
            // Keeps only the server's ACK, which acknowledges the lost bytes.
            request_segments.retain(|segment| segment.payload.is_empty());
        }
        segments.extend(request_segments);
        segments.extend(connection.server_sends(response));
    }
    segments.extend(connection.close());
    segments
}

/// The chunked response travels in two segments, its 102-byte head and its body, and the
/// body is lost: the message ends truncated and the next exchange is parsed normally.
fn lost_chunked_segment() -> Vec<Segment> {
    let mut connection = Connection::new(client(), server(), 7, 9, START_NS);
    let mut segments = connection.handshake();
    let (request, response) = get_users();
    segments.extend(connection.exchange(&request, &response));
    let (request, response) = post_order();
    segments.extend(connection.client_sends(&request));
    connection.mss = 102;
    let mut response_segments = connection.server_sends(&response);
    connection.mss = 1460;
    response_segments.remove(1);
    segments.extend(response_segments);
    let (request, response) = get_gzip();
    segments.extend(connection.exchange(&request, &response));
    segments.extend(connection.close());
    segments
}

#[test]
fn pipelined_requests_in_one_segment() {
    let mut connection = Connection::new(client(), server(), 7, 9, START_NS);
    let mut segments = connection.handshake();
    let exchanges = [get_users(), post_order(), get_gzip()];
    let requests: Vec<u8> = exchanges.iter().flat_map(|(request, _)| request.clone()).collect();
    let responses: Vec<u8> = exchanges.iter().flat_map(|(_, response)| response.clone()).collect();
    segments.extend(connection.client_sends(&requests));
    segments.extend(connection.server_sends(&responses));
    segments.extend(connection.close());
    let capture = pcap(&segments, &Link::Ethernet);
    keep("pipelined.pcap", &capture);
    let (traces, _) = decode(&capture);
    assert_eq!(summaries(&traces), standard_summary());
}

#[test]
fn chunked_trailer_and_gzip_contents() {
    let capture = pcap(&standard_connection(client(), server(), 7, 9), &Link::Ethernet);
    let (traces, _) = decode(&capture);
    let order = traces[1].response.as_ref().unwrap();
    assert_eq!(order.body.bytes, b"{\"id\":77,\"ok\":true}");
    assert_eq!(palisade_core::trace::header_value(&order.headers, "X-Order"), Some("77"));
    let report = traces[2].response.as_ref().unwrap();
    assert_eq!(report.body.bytes, json_body(2000));
    assert_eq!(traces[1].request.body.bytes, b"{\"sku\":\"A-1\",\"quantity\":3}");
}

#[test]
fn ip_fragments_are_reassembled() {
    for ipv6 in [false, true] {
        let (client, server) = if ipv6 { (client6(), server6()) } else { (client(), server()) };
        let segments = standard_connection(client, server, 7, 9);
        let mut frames = Vec::new();
        for (index, segment) in segments.iter().enumerate() {
            let packet = synth::ip_packet(segment);
            let mut pieces = if ipv6 {
                synth::fragment_ipv6(&packet, 256, index as u32)
            } else {
                synth::fragment_ipv4(&packet, 256, index as u16)
            };
            // Fragments arrive last first.
            pieces.reverse();
            for piece in pieces {
                frames.push((segment.timestamp_ns, Link::Ethernet.frame(&piece)));
            }
        }
        let capture = synth::capture_frames(&frames, LinkType::ETHERNET, synth::PCAP, 65_535);
        keep(if ipv6 { "ipv6-fragments.pcap" } else { "ipv4-fragments.pcap" }, &capture);
        let (traces, stats) = decode(&capture);
        assert_eq!(summaries(&traces), standard_summary(), "ipv6: {ipv6}");
        // Segments longer than 256 bytes: the two full segments of the first response
        // and the gzip-coded response.
        assert_eq!(stats.reassembled_datagrams, 3, "{stats:?}");
        assert_eq!(stats.dropped_datagrams, 0);
    }
}

#[test]
fn snap_length_cut_marks_bodies_truncated() {
    let segments = standard_connection(client(), server(), 7, 9);
    let frames: Vec<(i64, Vec<u8>)> =
        segments.iter().map(|s| (s.timestamp_ns, Link::Ethernet.frame(&synth::ip_packet(s)))).collect();
    // 14 + 20 + 20 header bytes and 200 payload bytes of each packet are kept.
    let capture = synth::capture_frames(&frames, LinkType::ETHERNET, synth::PCAP, 254);
    keep("snap-254.pcap", &capture);
    let (traces, stats) = decode(&capture);
    assert!(stats.snap_truncated_packets > 0);
    assert!(stats.gaps > 0);
    // Every request head fits in 200 bytes, so every exchange is still found.
    let paths: Vec<&str> = traces.iter().map(|t| t.request.path.as_str()).collect();
    assert_eq!(paths, ["/api/users", "/api/orders", "/api/report"]);
    let first = traces[0].response.as_ref().unwrap();
    assert!(first.body.truncated);
    assert_eq!(first.body.bytes, json_body(3000)[..200 - 73].to_vec());
}

#[test]
fn tls_is_counted_and_skipped() {
    let hello = b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03abcdefghijklmnopqrstuvwxyz012345".to_vec();
    let https: std::net::SocketAddr = "198.51.100.20:443".parse().unwrap();
    let tls_port = {
        let mut connection = Connection::new(client(), https, 7, 9, START_NS);
        let mut segments = connection.handshake();
        segments.extend(connection.exchange(&get_users().0, &get_users().1));
        segments
    };
    let tls_hello = {
        let mut connection = Connection::new(client(), server(), 7, 9, START_NS);
        let mut segments = connection.handshake();
        segments.extend(connection.exchange(&hello, b"\x16\x03\x03\x00\x10server hello...."));
        segments
    };
    for (name, segments) in [("tls-port", tls_port), ("tls-client-hello", tls_hello)] {
        let capture = pcap(&segments, &Link::Ethernet);
        keep(&format!("{name}.pcap"), &capture);
        let (traces, stats) = decode(&capture);
        assert!(traces.is_empty(), "{name}");
        assert_eq!(stats.tls_connections, 1, "{name}");
    }
}

#[test]
fn continue_and_keep_alive_on_one_connection() {
    let mut connection = Connection::new(client(), server(), 7, 9, START_NS);
    let mut segments = connection.handshake();
    segments.extend(connection.client_sends(
        b"PUT /api/files/1 HTTP/1.1\r\nHost: shop.example\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n",
    ));
    segments.extend(connection.server_sends(b"HTTP/1.1 100 Continue\r\n\r\n"));
    segments.extend(connection.client_sends(b"hello world"));
    segments.extend(connection.server_sends(b"HTTP/1.1 204 No Content\r\n\r\n"));
    for index in 0..20 {
        let request = format!("GET /api/items/{index} HTTP/1.1\r\nHost: shop.example\r\n\r\n");
        segments.extend(connection.exchange(request.as_bytes(), b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"));
    }
    segments.extend(connection.close());
    let capture = pcap(&segments, &Link::Ethernet);
    keep("continue-keep-alive.pcap", &capture);
    let (traces, stats) = decode(&capture);
    assert_eq!(traces.len(), 21);
    assert_eq!(traces[0].request.body.bytes, b"hello world");
    assert_eq!(traces[0].response.as_ref().unwrap().status, 204);
    assert_eq!(traces[20].request.path, "/api/items/19");
    assert_eq!(stats.connections, 1);
}

#[test]
fn idle_connection_times_out() {
    let mut first = Connection::new(client(), server(), 7, 9, START_NS);
    let mut segments = first.handshake();
    segments.extend(first.client_sends(b"GET /api/slow HTTP/1.1\r\nHost: shop.example\r\n\r\n"));
    // A second connection 200 seconds later moves the capture clock past the timeout.
    let other: std::net::SocketAddr = "192.0.2.11:52000".parse().unwrap();
    let mut second = Connection::new(other, server(), 7, 9, START_NS + 200_000_000_000);
    segments.extend(second.handshake());
    segments.extend(second.exchange(&get_users().0, &get_users().1));
    let capture = pcap(&segments, &Link::Ethernet);
    keep("timeout.pcap", &capture);
    let config = CaptureConfig { connection_timeout_secs: 60, ..CaptureConfig::default() };
    let (traces, stats) = decode_with(&capture, &config);
    assert_eq!(stats.timed_out_connections, 1);
    assert_eq!(traces[0].request.path, "/api/slow");
    assert!(traces[0].response.is_none());
    assert_eq!(traces[1].request.path, "/api/users");
}

#[test]
fn port_reuse_starts_new_connection() {
    let mut segments = Vec::new();
    for (index, isn) in [100u32, 900_000].into_iter().enumerate() {
        let mut connection = Connection::new(client(), server(), isn, isn + 1, START_NS + index as i64 * 1_000_000_000);
        segments.extend(connection.handshake());
        segments.extend(connection.exchange(&get_users().0, &get_users().1));
    }
    let (traces, stats) = decode(&pcap(&segments, &Link::Ethernet));
    assert_eq!(traces.len(), 2);
    assert_eq!(stats.connections, 2);
}
