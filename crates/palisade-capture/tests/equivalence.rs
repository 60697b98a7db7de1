//! One set of exchanges written three ways: as a capture (by the `synth` generator, from
//! the bytes on the wire), as native JSON traces and as a HAR file (both built here from
//! the same description with `serde_json`). All three decoders must give the same traces,
//! as far as both formats carry the fields.

mod common;

use base64::Engine;
use common::*;
use palisade_capture::synth::{Connection, Link};
use palisade_core::timestamp::format_rfc3339;
use palisade_core::{Limits, Trace, TraceSource};
use serde_json::{Value, json};

struct Exchange {
    method: &'static str,
    host: &'static str,
    /// Path and query as sent on the request line.
    target: &'static str,
    headers: Vec<(&'static str, &'static str)>,
    request_body: Vec<u8>,
    status: u16,
    reason: &'static str,
    response_headers: Vec<(&'static str, &'static str)>,
    /// The response body before any content coding.
    response_body: Vec<u8>,
    gzip: bool,
}

fn exchanges() -> Vec<Exchange> {
    vec![
        Exchange {
            method: "GET",
            host: "api.shop.example",
            target: "/v1/users/42?expand=orders&tag=a%20b&tag=c%2Bd&empty=",
            headers: vec![("Accept", "application/json"), ("User-Agent", "equivalence/1.0")],
            request_body: Vec::new(),
            status: 200,
            reason: "OK",
            response_headers: vec![("Content-Type", "application/json; charset=utf-8"), ("Cache-Control", "no-store")],
            response_body: br#"{"id":42,"email":"ada@example.com","orders":[1,2,3]}"#.to_vec(),
            gzip: false,
        },
        Exchange {
            method: "POST",
            host: "api.shop.example:8443",
            target: "/v1/orders",
            headers: vec![("Content-Type", "application/json"), ("Authorization", "Bearer abc.def.ghi")],
            request_body: br#"{"sku":"A-1","quantity":3,"note":"caf\u00e9"}"#.to_vec(),
            status: 201,
            reason: "Created",
            response_headers: vec![("Content-Type", "application/json"), ("Location", "/v1/orders/77")],
            response_body: br#"{"id":77}"#.to_vec(),
            gzip: false,
        },
        Exchange {
            method: "GET",
            host: "reports.example",
            target: "/daily/2024-06-24.json",
            headers: vec![("Accept-Encoding", "gzip")],
            request_body: Vec::new(),
            status: 200,
            reason: "OK",
            response_headers: vec![("Content-Type", "application/json")],
            response_body: json_body(5000),
            gzip: true,
        },
        Exchange {
            method: "PUT",
            host: "files.example",
            target: "/blobs/%E2%9C%93/raw",
            headers: vec![("Content-Type", "application/octet-stream")],
            request_body: vec![0, 1, 2, 255, 254, 10, 13],
            status: 204,
            reason: "No Content",
            response_headers: vec![("X-Request-Id", "r-1")],
            response_body: Vec::new(),
            gzip: false,
        },
        Exchange {
            method: "DELETE",
            host: "api.shop.example",
            target: "/v1/users/42/sessions?all=true",
            headers: vec![],
            request_body: Vec::new(),
            status: 404,
            reason: "Not Found",
            response_headers: vec![("Content-Type", "text/plain")],
            response_body: b"no such user".to_vec(),
            gzip: false,
        },
    ]
}

/// Request headers as sent: Host first, the listed ones, then Content-Length for a body.
fn request_headers(exchange: &Exchange) -> Vec<(String, String)> {
    let mut headers = vec![("Host".to_string(), exchange.host.to_string())];
    headers.extend(exchange.headers.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    if !exchange.request_body.is_empty() {
        headers.push(("Content-Length".into(), exchange.request_body.len().to_string()));
    }
    headers
}

/// Returns the response body on the wire, gzip-coded when `exchange.gzip` is set.
fn wire_response_body(exchange: &Exchange) -> Vec<u8> {
    if exchange.gzip { gzip(&exchange.response_body) } else { exchange.response_body.clone() }
}

fn response_headers(exchange: &Exchange) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> =
        exchange.response_headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
    if exchange.gzip {
        headers.push(("Content-Encoding".into(), "gzip".into()));
    }
    if exchange.status != 204 {
        headers.push(("Content-Length".into(), wire_response_body(exchange).len().to_string()));
    }
    headers
}

fn wire_request(exchange: &Exchange) -> Vec<u8> {
    let mut bytes = format!("{} {} HTTP/1.1\r\n", exchange.method, exchange.target).into_bytes();
    for (name, value) in request_headers(exchange) {
        bytes.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    bytes.extend_from_slice(b"\r\n");
    bytes.extend_from_slice(&exchange.request_body);
    bytes
}

fn wire_response(exchange: &Exchange) -> Vec<u8> {
    let mut bytes = format!("HTTP/1.1 {} {}\r\n", exchange.status, exchange.reason).into_bytes();
    for (name, value) in response_headers(exchange) {
        bytes.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    bytes.extend_from_slice(b"\r\n");
    bytes.extend_from_slice(&wire_response_body(exchange));
    bytes
}

fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn name_values(headers: &[(String, String)]) -> Value {
    Value::Array(headers.iter().map(|(name, value)| json!({"name": name, "value": value})).collect())
}

fn native_json(exchange: &Exchange, start_ms: i64) -> Value {
    let mut request = json!({
        "method": exchange.method,
        "url": format!("http://{}{}", exchange.host, exchange.target),
        "headers": name_values(&request_headers(exchange)),
    });
    if !exchange.request_body.is_empty() {
        request["body_base64"] = json!(base64(&exchange.request_body));
    }
    let mut response = json!({"status": exchange.status, "headers": name_values(&response_headers(exchange))});
    let wire_body = wire_response_body(exchange);
    if !wire_body.is_empty() {
        response["body_base64"] = json!(base64(&wire_body));
    }
    json!({"request": request, "response": response, "meta": {"start_time": format_rfc3339(start_ms)}})
}

fn har_entry(exchange: &Exchange, start_ms: i64) -> Value {
    let mut request = json!({
        "method": exchange.method,
        "url": format!("http://{}{}", exchange.host, exchange.target),
        "httpVersion": "HTTP/1.1",
        "headers": name_values(&request_headers(exchange)),
        "queryString": [],
        "cookies": [],
        "headersSize": -1,
        "bodySize": exchange.request_body.len(),
    });
    if !exchange.request_body.is_empty() {
        let mime = exchange.headers.iter().find(|(n, _)| *n == "Content-Type").map_or("", |(_, v)| *v);
        request["postData"] = json!({"mimeType": mime, "text": base64(&exchange.request_body), "encoding": "base64"});
    }
    // HAR stores response content decoded (HAR 1.2, `content.text`).
    let mime = exchange.response_headers.iter().find(|(n, _)| *n == "Content-Type").map_or("", |(_, v)| *v);
    let response = json!({
        "status": exchange.status,
        "statusText": exchange.reason,
        "httpVersion": "HTTP/1.1",
        "headers": name_values(&response_headers(exchange)),
        "cookies": [],
        "content": {"size": exchange.response_body.len(), "mimeType": mime,
                    "text": base64(&exchange.response_body), "encoding": "base64"},
        "redirectURL": "",
        "headersSize": -1,
        "bodySize": -1,
    });
    json!({
        "startedDateTime": format_rfc3339(start_ms),
        "time": 1,
        "request": request,
        "response": response,
        "cache": {},
        "timings": {"send": 0, "wait": 1, "receive": 0},
    })
}

/// Returns the fields both formats carry, leaving out the source and peers.
fn comparable(trace: &Trace) -> (palisade_core::Request, Option<palisade_core::Response>, i64) {
    (trace.request.clone(), trace.response.clone(), trace.meta.start_ms)
}

#[test]
fn capture_native_and_har_give_same_traces() {
    let exchanges = exchanges();

    // The capture: one keep-alive connection per host.
    let mut segments = Vec::new();
    let mut start_times = Vec::new();
    for (index, exchange) in exchanges.iter().enumerate() {
        let port = 50_000 + index as u16;
        let client = format!("192.0.2.10:{port}").parse().unwrap();
        let mut connection = Connection::new(client, server(), 1000, 2000, START_NS + index as i64 * 1_000_000_000);
        segments.extend(connection.handshake());
        start_times.push(connection.clock_ns / 1_000_000);
        segments.extend(connection.exchange(&wire_request(exchange), &wire_response(exchange)));
        segments.extend(connection.close());
    }
    let capture = pcap(&segments, &Link::Ethernet);
    keep("equivalence.pcap", &capture);
    let (from_capture, _) = decode(&capture);
    assert!(from_capture.iter().all(|trace| trace.meta.source == TraceSource::Pcap));

    let native: Vec<Value> =
        exchanges.iter().zip(&start_times).map(|(exchange, &start)| native_json(exchange, start)).collect();
    let native_text = serde_json::to_vec(&native).unwrap();
    let from_native: Vec<Trace> = palisade_ingest::native::decode(&native_text, &Limits::default(), 0)
        .unwrap()
        .into_iter()
        .map(|result| result.expect("valid native trace"))
        .collect();

    let entries: Vec<Value> =
        exchanges.iter().zip(&start_times).map(|(exchange, &start)| har_entry(exchange, start)).collect();
    let har =
        json!({"log": {"version": "1.2", "creator": {"name": "equivalence", "version": "1"}, "entries": entries}});
    let mut from_har = Vec::new();
    palisade_ingest::har::read_har(serde_json::to_vec(&har).unwrap().as_slice(), &Limits::default(), |result| {
        from_har.push(result.expect("valid HAR entry"));
    })
    .unwrap();

    assert_eq!(from_capture.len(), exchanges.len());
    for (index, exchange) in exchanges.iter().enumerate() {
        let capture = comparable(&from_capture[index]);
        assert_eq!(capture, comparable(&from_native[index]), "native, {} {}", exchange.method, exchange.target);
        assert_eq!(capture, comparable(&from_har[index]), "HAR, {} {}", exchange.method, exchange.target);
        let response = from_capture[index].response.as_ref().unwrap();
        assert_eq!(response.body.bytes, exchange.response_body, "{}", exchange.target);
    }
}
