//! Real captures recorded by `tests/fixtures/record.sh`: curl and a raw socket talking to
//! `fixture_server.py` on 127.0.0.1, captured by tcpdump on `lo` (Ethernet), by tcpdump on
//! `any` with nanosecond timestamps (Linux cooked v2), and by dumpcap (pcapng). The
//! expected values come from the server script and the requests in the recording script.

mod common;

use common::*;
use palisade_core::trace::header_value;
use palisade_core::{Trace, TraceSource};

const FIXTURES: [&str; 3] = ["lo-ethernet.pcap", "any-sll2-nano.pcap", "lo-dumpcap.pcapng"];

fn load(name: &str) -> Vec<Trace> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    let bytes = std::fs::read(&path).unwrap();
    let (traces, stats) = decode(&bytes);
    assert_eq!(stats.gaps, 0, "{name}: {stats}");
    assert_eq!(stats.invalid_messages, 0, "{name}: {stats}");
    assert_eq!(stats.unpaired_responses, 0, "{name}: {stats}");
    traces
}

fn response_body(trace: &Trace) -> String {
    String::from_utf8(trace.response.as_ref().unwrap().body.bytes.clone()).unwrap()
}

#[test]
fn recorded_exchanges_in_order() {
    let expected = [
        ("GET", "/api/users/42", 200),
        ("GET", "/api/empty", 204),
        ("GET", "/api/report", 200),
        ("GET", "/api/stream", 200),
        ("HEAD", "/api/users/42", 200),
        ("POST", "/api/orders", 201),
        ("PUT", "/api/notes/7", 201),
        ("GET", "/api/users/42", 200),
        ("GET", "/missing", 404),
    ];
    for name in FIXTURES {
        let traces = load(name);
        let seen: Vec<(&str, &str, u16)> = traces
            .iter()
            .map(|t| (t.request.method.as_str(), t.request.path.as_str(), t.response.as_ref().unwrap().status))
            .collect();
        assert_eq!(seen, expected, "{name}");
        assert!(traces.iter().all(|t| t.meta.source == TraceSource::Pcap), "{name}");
    }
}

#[test]
fn recorded_bodies_and_headers() {
    for name in FIXTURES {
        let traces = load(name);

        let user = &traces[0];
        assert_eq!(user.request.host, "127.0.0.1:18081", "{name}");
        assert_eq!(user.request.query.len(), 1);
        assert_eq!(user.request.query[0].value, "name,email");
        assert_eq!(response_body(user), r#"{"id": 42, "name": "Ada Lovelace", "email": "ada@example.com"}"#);
        assert_eq!(user.meta.client.as_ref().unwrap().address, "127.0.0.1");
        assert_eq!(user.meta.server.as_ref().unwrap().port, Some(18081));
        assert!(user.meta.duration_us.is_some());

        // The gzip-coded report is decoded: 60 rows.
        let report = response_body(&traces[2]);
        assert!(report.starts_with(r#"{"rows": [{"day": 1, "orders": 3}"#), "{name}");
        assert!(report.ends_with(r#"{"day": 60, "orders": 180}]}"#), "{name}");
        let report_headers = &traces[2].response.as_ref().unwrap().headers;
        assert_eq!(header_value(report_headers, "content-encoding"), Some("gzip"));

        // Chunked with a trailer.
        assert_eq!(response_body(&traces[3]), "first line\nsecond line\nthird line\n");
        let stream_headers = &traces[3].response.as_ref().unwrap().headers;
        assert_eq!(header_value(stream_headers, "x-rows"), Some("3"));

        // HEAD: a Content-Length but no body.
        assert!(traces[4].response.as_ref().unwrap().body.is_empty());

        // The chunked upload and the 100-continue upload.
        assert_eq!(traces[5].request.body.bytes, br#"{"sku":"A-1","quantity":3}"#);
        assert_eq!(response_body(&traces[5]), r#"{"received": 26, "echo": "{\"sku\":\"A-1\",\"quantity\":3}"}"#);
        assert_eq!(traces[6].request.body.bytes, b"hello continue");
        assert_eq!(traces[6].request.content_type.as_deref(), Some("text/plain"));

        // The pipelined pair.
        assert_eq!(traces[7].request.host, "pipelined.test");
        assert_eq!(response_body(&traces[8]), r#"{"error":"not found"}"#);
    }
}

#[test]
fn recorded_times_agree_across_formats() {
    // The three recordings were made one after another, but within each the request
    // durations are measured from real packets: they are positive and under a second.
    for name in FIXTURES {
        for trace in load(name) {
            let duration = trace.meta.duration_us.unwrap();
            assert!(duration < 1_000_000, "{name}: {duration}");
            assert!(trace.meta.start_ms > 1_700_000_000_000, "{name}");
        }
    }
}
