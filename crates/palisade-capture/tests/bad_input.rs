//! Damaged and hostile input: truncated files, corrupt headers, impossible lengths, random
//! bytes and a flood of half-open connections. Each gives a clear error or counted skips,
//! never a panic, and memory stays within the budget.

mod common;

use common::*;
use palisade_capture::synth::{self, Connection, Link, SYN};
use palisade_capture::{CaptureConfig, CaptureDecoder, CaptureError, LinkType, Packet};
use palisade_core::Limits;

/// A small pseudo-random generator (xorshift64), so runs are reproducible.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

fn two_connections() -> Vec<u8> {
    let mut segments = standard_connection(client(), server(), 7, 9);
    let other = "192.0.2.11:51001".parse().unwrap();
    let mut connection = Connection::new(other, server(), 1, 2, START_NS + 5_000_000_000);
    segments.extend(connection.handshake());
    segments.extend(connection.exchange(&get_users().0, &get_users().1));
    pcap(&segments, &Link::Ethernet)
}

#[test]
fn truncated_file_keeps_earlier_traces() {
    let capture = two_connections();
    let (whole, _) = decode(&capture);
    assert_eq!(whole.len(), 4);

    // Cut inside the last packet record.
    let cut = &capture[..capture.len() - 10];
    let (traces, result) = decode_damaged(cut);
    assert!(matches!(result, Err(CaptureError::Truncated { packets, .. }) if packets > 0), "{result:?}");
    assert_eq!(summaries(&traces[..3]), standard_summary());
    let message = result.unwrap_err().to_string();
    assert!(message.contains("the file is truncated"), "{message}");
}

#[test]
fn every_cut_point_is_handled() {
    let capture = two_connections();
    for length in (0..capture.len()).step_by(13) {
        let (traces, result) = decode_damaged(&capture[..length]);
        assert!(traces.len() <= 4);
        if length < 4 {
            assert!(matches!(result, Err(CaptureError::NotCapture { .. })), "{length}: {result:?}");
        } else if length < 24 {
            assert!(matches!(result, Err(CaptureError::InvalidHeader { .. })), "{length}: {result:?}");
        }
    }
}

#[test]
fn corrupt_headers_are_named() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("json", br#"{"log": {}}"#.to_vec()),
        ("short pcap header", vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0]),
        ("pcapng with bad byte-order magic", {
            let mut bytes = vec![0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 1, 2, 3, 4];
            bytes.extend_from_slice(&[0; 16]);
            bytes
        }),
    ];
    for (name, bytes) in cases {
        let (traces, result) = decode_damaged(&bytes);
        assert!(traces.is_empty(), "{name}");
        let error = result.expect_err(name);
        assert!(
            matches!(error, CaptureError::NotCapture { .. } | CaptureError::InvalidHeader { .. }),
            "{name}: {error:?}"
        );
    }
    let (_, result) = decode_damaged(b"GET / HTTP/1.1\r\n");
    assert_eq!(
        result.unwrap_err().to_string(),
        "not a pcap or pcapng file: the first 4 bytes are [47, 45, 54, 20], expected a1b2c3d4, a1b23c4d, their byte \
         swaps, or 0a0d0d0a"
    );
}

#[test]
fn impossible_record_length_is_an_error() {
    let mut capture = two_connections();
    // The first record's captured length, after the 24-byte file header and two 4-byte
    // timestamp fields, becomes 4 GiB - 1.
    capture[32..36].copy_from_slice(&u32::MAX.to_le_bytes());
    let (traces, result) = decode_damaged(&capture);
    assert!(traces.is_empty());
    assert!(matches!(result, Err(CaptureError::RecordTooLarge { offset: 24, .. })), "{result:?}");
}

#[test]
fn impossible_header_lengths_are_counted() {
    let segment = &standard_connection(client(), server(), 7, 9)[3];
    let packet = synth::ip_packet(segment);
    let mut frames = Vec::new();
    // IPv4 header length below 20 bytes.
    let mut bad = packet.clone();
    bad[0] = 0x41;
    frames.push(bad);
    // IPv4 total length shorter than its header.
    let mut bad = packet.clone();
    bad[2..4].copy_from_slice(&10u16.to_be_bytes());
    frames.push(bad);
    // TCP data offset below 5 words.
    let mut bad = packet.clone();
    bad[32] = 0x20;
    frames.push(bad);
    // TCP data offset past the end of the packet.
    let mut bad = packet.clone();
    bad.truncate(45);
    bad[2..4].copy_from_slice(&45u16.to_be_bytes());
    bad[32] = 0xf0;
    frames.push(bad);
    // Version 7.
    let mut bad = packet.clone();
    bad[0] = 0x75;
    frames.push(bad);
    let frames: Vec<(i64, Vec<u8>)> = frames.into_iter().map(|p| (START_NS, Link::RawIp.frame(&p))).collect();
    let capture = synth::capture_frames(&frames, LinkType::RAW, synth::PCAP, 65_535);
    let (traces, stats) = decode(&capture);
    assert!(traces.is_empty());
    assert_eq!(stats.invalid_packets, 5, "{stats:?}");
    assert_eq!(stats.connections, 0);
}

#[test]
fn random_frames_do_not_panic() {
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    for link_type in [0, 1, 12, 101, 108, 113, 228, 229, 276, 9999] {
        let frames: Vec<(i64, Vec<u8>)> = (0..300)
            .map(|index| {
                let len = (random.next() % 200) as usize;
                (START_NS + index, random.bytes(len))
            })
            .collect();
        let capture = synth::capture_frames(&frames, LinkType(link_type), synth::PCAP, 65_535);
        let (_, stats) = decode_damaged(&capture);
        assert_eq!(stats.unwrap().packets, 300, "link type {link_type}");
    }
}

#[test]
fn random_payloads_on_tcp_do_not_panic() {
    let mut random = Random(0x2545_f491_4f6c_dd1d);
    let mut segments = Vec::new();
    for index in 0..200u16 {
        let client = format!("192.0.2.{}:{}", index % 250, 40_000 + index).parse().unwrap();
        let mut connection = Connection::new(client, server(), random.next() as u32, random.next() as u32, START_NS);
        if index % 2 == 0 {
            segments.extend(connection.handshake());
        }
        let prefix: &[u8] = if index % 3 == 0 { b"GET / HTTP/1.1\r\nContent-Length: 99999\r\n\r\n" } else { b"" };
        let mut request = prefix.to_vec();
        let request_len = (random.next() % 3000) as usize;
        request.extend(random.bytes(request_len));
        let mut response = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        let response_len = (random.next() % 3000) as usize;
        response.extend(random.bytes(response_len));
        segments.extend(connection.exchange(&request, &response));
    }
    let capture = pcap(&segments, &Link::Ethernet);
    let (_, result) = decode_damaged(&capture);
    let stats = result.unwrap();
    assert_eq!(stats.connections, 200);
}

#[test]
fn random_bytes_after_valid_header_do_not_panic() {
    let mut random = Random(42);
    let header = synth::capture_frames(&[], LinkType::ETHERNET, synth::PCAP, 65_535);
    let pcapng_header = synth::capture_frames(&[], LinkType::ETHERNET, synth::Format::PcapNg, 65_535);
    for round in 0..200 {
        let mut bytes = if round % 2 == 0 { header.clone() } else { pcapng_header.clone() };
        let len = (random.next() % 4096) as usize;
        bytes.extend(random.bytes(len));
        let _ = decode_damaged(&bytes);
    }
}

#[test]
fn half_open_flood_stays_within_memory_budget() {
    let budget = 8 * 1024 * 1024;
    let config = CaptureConfig { max_memory_bytes: budget, ..CaptureConfig::default() };
    let mut decoder = CaptureDecoder::new(config, Limits::default());
    let mut delivered = 0;
    let mut deliver = |_| delivered += 1;

    let server = server();
    for index in 0..1_000_000u32 {
        let client = std::net::SocketAddr::from(([10, (index >> 16) as u8, (index >> 8) as u8, index as u8], 40_000));
        let segment = synth::Segment {
            src: client,
            dst: server,
            seq: index,
            ack: 0,
            flags: SYN,
            payload: Vec::new(),
            timestamp_ns: START_NS + i64::from(index) * 1000,
        };
        let frame = Link::Ethernet.frame(&synth::ip_packet(&segment));
        let packet = Packet {
            timestamp_ns: segment.timestamp_ns,
            link_type: LinkType::ETHERNET,
            data: &frame,
            original_len: frame.len() as u32,
        };
        decoder.push_packet(&packet, &mut deliver);
        assert!(decoder.held_bytes() <= budget, "held {} at packet {index}", decoder.held_bytes());
    }
    let stats = decoder.stats();
    assert_eq!(stats.connections, 1_000_000);
    assert!(stats.evicted_connections > 900_000, "{stats:?}");
    assert_eq!(stats.connections - stats.evicted_connections, decoder.open_connections() as u64);
    assert!(stats.peak_memory_bytes <= budget as u64);
    decoder.finish(&mut deliver);
    assert_eq!(delivered, 0);
}

#[test]
fn connection_limit_evicts_oldest() {
    let config = CaptureConfig { max_connections: 3, ..CaptureConfig::default() };
    let mut segments = Vec::new();
    for index in 0..5u16 {
        let client = format!("192.0.2.10:{}", 41_000 + index).parse().unwrap();
        let mut connection = Connection::new(client, server(), 1, 2, START_NS + i64::from(index) * 1_000_000);
        segments.extend(connection.handshake());
        segments.extend(connection.client_sends(format!("GET /{index} HTTP/1.1\r\nHost: h\r\n\r\n").as_bytes()));
    }
    let (traces, stats) = decode_with(&pcap(&segments, &Link::Ethernet), &config);
    assert_eq!(stats.evicted_connections, 2);
    // Evicted connections send their requests on without responses, oldest first.
    let paths: Vec<&str> = traces.iter().map(|t| t.request.path.as_str()).collect();
    assert_eq!(paths, ["/0", "/1", "/2", "/3", "/4"]);
}

#[test]
fn out_of_order_buffer_is_bounded() {
    // The first data segment is never captured and the receiver sends no ACK, so later
    // segments pile up until the per-connection limit turns the hole into a gap.
    let config = CaptureConfig { max_out_of_order_bytes: 4096, ..CaptureConfig::default() };
    let mut connection = Connection::new(client(), server(), 1, 2, START_NS);
    connection.send_acks = false;
    let mut segments = connection.handshake();
    segments.extend(connection.client_sends(b"GET /big HTTP/1.1\r\nHost: h\r\n\r\n"));
    let mut response = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n".to_vec();
    response.extend(vec![b'x'; 100_000]);
    let mut response_segments = connection.server_sends(&response);
    response_segments.remove(1);
    segments.extend(response_segments);
    let (traces, stats) = decode_with(&pcap(&segments, &Link::Ethernet), &config);
    assert_eq!(stats.gaps, 1);
    // The 4 KiB out-of-order limit, the 64 KiB reserved for the body and the connection.
    assert!(stats.peak_memory_bytes < 4096 + 64 * 1024 + 8 * 1024, "{stats:?}");
    let body = &traces[0].response.as_ref().unwrap().body;
    assert!(body.truncated);
    // The first segment contains the 43-byte head and the start of the body.
    assert_eq!(body.bytes.len(), 1460 - 43);
}
