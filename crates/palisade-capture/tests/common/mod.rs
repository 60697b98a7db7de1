//! Helpers shared by the integration tests: standard exchanges, decoding a capture, and a
//! short summary of each trace to compare against.

#![allow(dead_code)]

use std::io::Write;
use std::net::SocketAddr;

use palisade_capture::synth::{self, Connection, Format, Link, Segment};
use palisade_capture::{CaptureConfig, CaptureError, CaptureStats, read_capture};
use palisade_core::{Limits, Trace};

pub const START_NS: i64 = 1_717_171_717_000_000_000;

pub fn client() -> SocketAddr {
    "192.0.2.10:51000".parse().unwrap()
}

pub fn server() -> SocketAddr {
    "198.51.100.20:8080".parse().unwrap()
}

pub fn client6() -> SocketAddr {
    "[2001:db8::10]:51000".parse().unwrap()
}

pub fn server6() -> SocketAddr {
    "[2001:db8::20]:8080".parse().unwrap()
}

/// Builds a JSON body of about `len` bytes with recognisable content.
pub fn json_body(len: usize) -> Vec<u8> {
    let mut body = String::from("{\"items\":[");
    let mut index = 0;
    while body.len() + 60 < len {
        if index > 0 {
            body.push(',');
        }
        body.push_str(&format!("{{\"id\":{index},\"email\":\"user{index}@example.com\"}}"));
        index += 1;
    }
    body.push_str("]}");
    body.into_bytes()
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Returns `GET /api/users?page=2` and its response, a 3,000-byte JSON body.
pub fn get_users() -> (Vec<u8>, Vec<u8>) {
    let request = b"GET /api/users?page=2 HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: synth/1\r\n\r\n".to_vec();
    let body = json_body(3000);
    let mut response =
        format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n", body.len())
            .into_bytes();
    response.extend_from_slice(&body);
    (request, response)
}

/// Returns `POST /api/orders` with a JSON body and its 201 response, chunked with a trailer.
pub fn post_order() -> (Vec<u8>, Vec<u8>) {
    let body = b"{\"sku\":\"A-1\",\"quantity\":3}";
    let mut request = format!(
        "POST /api/orders HTTP/1.1\r\nHost: shop.example\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    let response = b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nTrailer: X-Order\r\n\r\n9\r\n{\"id\":77,\r\nA\r\n\"ok\":true}\r\n0\r\nX-Order: 77\r\n\r\n".to_vec();
    (request, response)
}

/// Returns `GET /api/report` and its response with a gzip-coded body.
pub fn get_gzip() -> (Vec<u8>, Vec<u8>) {
    let request = b"GET /api/report HTTP/1.1\r\nHost: shop.example\r\nAccept-Encoding: gzip\r\n\r\n".to_vec();
    let coded = gzip(&json_body(2000));
    let mut response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
        coded.len()
    )
    .into_bytes();
    response.extend_from_slice(&coded);
    (request, response)
}

/// Builds the segments of a keep-alive connection carrying the three standard exchanges.
pub fn standard_connection(client: SocketAddr, server: SocketAddr, client_isn: u32, server_isn: u32) -> Vec<Segment> {
    let mut connection = Connection::new(client, server, client_isn, server_isn, START_NS);
    let mut segments = connection.handshake();
    for (request, response) in [get_users(), post_order(), get_gzip()] {
        segments.extend(connection.exchange(&request, &response));
    }
    segments.extend(connection.close());
    segments
}

/// What the three standard exchanges decode to: method, path, status, body length,
/// truncated.
pub fn standard_summary() -> Vec<Summary> {
    vec![
        Summary::new("GET", "/api/users", Some(200), json_body(3000).len(), false),
        Summary::new("POST", "/api/orders", Some(201), 19, false),
        Summary::new("GET", "/api/report", Some(200), json_body(2000).len(), false),
    ]
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub method: String,
    pub path: String,
    pub status: Option<u16>,
    pub response_body_len: usize,
    pub truncated: bool,
}

impl Summary {
    pub fn new(method: &str, path: &str, status: Option<u16>, response_body_len: usize, truncated: bool) -> Self {
        Self { method: method.into(), path: path.into(), status, response_body_len, truncated }
    }

    pub fn of(trace: &Trace) -> Self {
        let response = trace.response.as_ref();
        Self {
            method: trace.request.method.clone(),
            path: trace.request.path.clone(),
            status: response.map(|r| r.status),
            response_body_len: response.map_or(0, |r| r.body.bytes.len()),
            truncated: trace.request.body.truncated || response.is_some_and(|r| r.body.truncated),
        }
    }
}

/// Decodes a capture held in memory, expecting every trace to be valid.
pub fn decode(capture: &[u8]) -> (Vec<Trace>, CaptureStats) {
    decode_with(capture, &CaptureConfig::default())
}

pub fn decode_with(capture: &[u8], config: &CaptureConfig) -> (Vec<Trace>, CaptureStats) {
    let mut traces = Vec::new();
    let stats = read_capture(capture, config, &Limits::default(), |result| traces.push(result.expect("valid trace")))
        .expect("readable capture");
    (traces, stats)
}

/// Decodes a capture that may be damaged, returning the traces delivered before any
/// error and the error.
pub fn decode_damaged(capture: &[u8]) -> (Vec<Trace>, Result<CaptureStats, CaptureError>) {
    let mut traces = Vec::new();
    let result = read_capture(capture, &CaptureConfig::default(), &Limits::default(), |result| {
        if let Ok(trace) = result {
            traces.push(trace);
        }
    });
    (traces, result)
}

pub fn summaries(traces: &[Trace]) -> Vec<Summary> {
    traces.iter().map(Summary::of).collect()
}

/// Writes a capture under the directory named by `PALISADE_WRITE_CAPTURES`, when set, so
/// that it can be opened in other tools.
pub fn keep(name: &str, capture: &[u8]) {
    if let Ok(dir) = std::env::var("PALISADE_WRITE_CAPTURES") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(std::path::Path::new(&dir).join(name), capture).unwrap();
    }
}

pub fn pcap(segments: &[Segment], link: &Link) -> Vec<u8> {
    synth::capture(segments, link, synth::PCAP)
}

pub fn with_format(segments: &[Segment], format: Format) -> Vec<u8> {
    synth::capture(segments, &Link::Ethernet, format)
}
