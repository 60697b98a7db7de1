mod common;

use std::cell::Cell;
use std::io::Read;
use std::rc::Rc;

use common::{err, fixture, header, ok};
use palisade_core::{Limits, Peer, QueryParam, Trace, TraceSource};
use palisade_ingest::har::read_har;
use palisade_ingest::{DecodeError, ImportSummary, TraceDecodeError};

const PNG_PIXEL_LEN: usize = 70;

fn read_fixture(name: &str) -> (Result<ImportSummary, DecodeError>, Vec<Result<Trace, TraceDecodeError>>) {
    let bytes = fixture(name);
    let mut results = Vec::new();
    let summary = read_har(bytes.as_slice(), &Limits::default(), |result| results.push(result));
    (summary, results)
}

fn query_pairs(query: &[QueryParam]) -> Vec<(&str, &str)> {
    query.iter().map(|p| (p.name.as_str(), p.value.as_str())).collect()
}

#[test]
fn chromium_har_decodes() {
    let (summary, results) = read_fixture("chromium.har");
    assert_eq!(summary.unwrap(), ImportSummary { decoded: 5, rejected: 0 });

    // HTTP/2 entry: pseudo-headers dropped, query strings not repeated, and a gzip
    // Content-Encoding header on text the browser already decoded.
    let products = ok(&results[0]);
    assert_eq!(products.request.method, "GET");
    assert_eq!(products.request.scheme, "https");
    assert_eq!(products.request.host, "shop.example");
    assert_eq!(products.request.path, "/api/products");
    assert_eq!(query_pairs(&products.request.query), vec![("category", "green tea"), ("sort", "price")]);
    assert!(products.request.headers.iter().all(|h| !h.name.starts_with(':')));
    assert_eq!(products.request.headers.len(), 3);
    assert_eq!(products.meta.start_ms, 1_719_214_556_522);
    assert_eq!(products.meta.duration_us, Some(84_127));
    assert_eq!(products.meta.server, Some(Peer { address: "203.0.113.10".into(), port: Some(443) }));
    assert_eq!(products.meta.source, TraceSource::Har);
    let response = products.response.as_ref().unwrap();
    assert_eq!(header(&response.headers, "content-encoding"), Some("gzip"));
    assert_eq!(response.body.bytes, br#"[{"id":11,"name":"Sencha","price":7.5,"stock":true}]"#);
    assert_eq!(response.content_type.as_deref(), Some("application/json; charset=utf-8"));

    // JSON request body from postData.
    let cart = ok(&results[1]);
    assert_eq!(cart.request.method, "POST");
    assert_eq!(cart.request.body.bytes, br#"{"productId":11,"quantity":2}"#);
    assert_eq!(cart.request.content_type.as_deref(), Some("application/json"));
    assert_eq!(cart.response.as_ref().unwrap().status, 201);

    // Base64 image body and an IPv6 server address in brackets.
    let image = ok(&results[2]);
    assert_eq!(image.request.host, "static.shop.example");
    let body = &image.response.as_ref().unwrap().body.bytes;
    assert_eq!(body.len(), PNG_PIXEL_LEN);
    assert!(body.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_eq!(image.meta.server, Some(Peer { address: "2001:db8::10".into(), port: Some(443) }));

    // Status 0: blocked before any response.
    let blocked = ok(&results[3]);
    assert_eq!(blocked.request.host, "tracker.ads.example");
    assert_eq!(blocked.response, None);
    assert_eq!(blocked.meta.server, None);

    // HTTP/1.1 entry on a local port, lower-case method.
    let delete = ok(&results[4]);
    assert_eq!(delete.request.method, "DELETE");
    assert_eq!(delete.request.scheme, "http");
    assert_eq!(delete.request.host, "localhost:8080");
    assert_eq!(delete.meta.server, Some(Peer { address: "127.0.0.1".into(), port: Some(8080) }));
    assert_eq!(delete.response.as_ref().unwrap().content_type.as_deref(), Some("x-unknown"));
}

#[test]
fn firefox_har_decodes() {
    let (summary, results) = read_fixture("firefox.har");
    assert_eq!(summary.unwrap(), ImportSummary { decoded: 3, rejected: 0 });

    let login = ok(&results[0]);
    assert_eq!(login.meta.start_ms, 1_719_214_556_522);
    assert_eq!(login.meta.duration_us, Some(41_000));
    assert_eq!(login.request.body.bytes, b"user=ada&password=not+a+secret");
    assert_eq!(login.request.content_type.as_deref(), Some("application/x-www-form-urlencoded"));
    let response = login.response.as_ref().unwrap();
    assert_eq!(response.status, 302);
    assert!(response.body.is_empty());
    assert_eq!(header(&response.headers, "location"), Some("/account"));

    // Firefox lists decoded query values. The URL's parameters are not repeated, and the
    // repeated `tag` parameter is kept twice.
    let search = ok(&results[1]);
    assert_eq!(query_pairs(&search.request.query), vec![("q", "green tea"), ("page", "1"), ("tag", "a"), ("tag", "a")]);
    // HAR bodies are already decoded, whatever coding the Content-Encoding header names.
    assert_eq!(search.response.as_ref().unwrap().body.bytes, br#"{"results":[],"page":1}"#);

    let image = ok(&results[2]);
    assert_eq!(image.response.as_ref().unwrap().body.bytes.len(), PNG_PIXEL_LEN);
    assert_eq!(image.meta.server, Some(Peer { address: "2001:db8::10".into(), port: Some(443) }));
}

#[test]
fn truncated_har_delivers_entries_before_cut() {
    let (summary, results) = read_fixture("truncated.har");
    assert_eq!(results.len(), 2);
    assert_eq!(ok(&results[0]).request.path, "/api/products");
    assert_eq!(ok(&results[1]).request.path, "/api/cart");

    let error = summary.unwrap_err();
    let file_len = fixture("truncated.har").len() as u64;
    match &error {
        DecodeError::Truncated { byte, line, entries, .. } => {
            assert_eq!(*byte, file_len);
            assert_eq!(*line, 168);
            assert_eq!(*entries, 2);
        }
        other => panic!("expected a truncation error, got {other}"),
    }
    let message = error.to_string();
    assert!(message.starts_with(&format!("input ended early at byte {file_len} (line 168 column")), "{message}");
    assert!(message.ends_with("after 2 entries: the file is truncated"), "{message}");
}

#[test]
fn every_prefix_of_a_har_is_handled() {
    // Cutting a file anywhere must give entries and then an error, never a panic or a
    // trace that was not in the file.
    let bytes = fixture("chromium.har");
    let full_len = bytes.len();
    for cut in (0..full_len).step_by(7) {
        let mut delivered = 0;
        let summary = read_har(&bytes[..cut], &Limits::default(), |result| {
            assert!(result.is_ok(), "cut at {cut}: {result:?}");
            delivered += 1;
        });
        assert!(summary.is_err(), "cut at {cut} decoded without error");
        assert!(delivered <= 5);
    }
}

#[test]
fn bad_entries_are_rejected_by_index() {
    let text = r#"{"log": {"entries": [
        {"startedDateTime": "2024-06-24T07:35:56.522Z", "request": {"method": "GET", "url": "https://a.example/"}, "response": {"status": 200}},
        {"startedDateTime": "2024-06-24T07:35:56.522Z", "request": {"url": "https://a.example/"}, "response": {"status": 200}},
        "not an entry",
        {"startedDateTime": "yesterday", "request": {"method": "GET", "url": "https://a.example/"}, "response": {"status": 200}},
        {"startedDateTime": "2024-06-24T07:35:56.522Z", "request": {"method": "GET", "url": "https://a.example/", "headers": "Accept: */*"}, "response": {"status": 200}},
        {"startedDateTime": "2024-06-24T07:35:56.522Z", "request": {"method": "GET", "url": "https://a.example/"}, "response": {"status": 200, "content": {"text": "%%%", "encoding": "base64"}}},
        {"startedDateTime": "2024-06-24T07:35:56.522Z", "request": {"method": "GET", "url": "https://a.example/"}},
        {"startedDateTime": "2024-06-24T07:35:56.522Z", "request": {"method": "GET", "url": "https://a.example/"}, "response": {"status": 200}}
    ]}}"#;
    let mut results = Vec::new();
    let summary = read_har(text.as_bytes(), &Limits::default(), |result| results.push(result)).unwrap();

    assert_eq!(summary, ImportSummary { decoded: 2, rejected: 6 });
    assert!(results[0].is_ok());
    assert_eq!(err(&results[1]), "entry 1: missing field \"request.method\"");
    assert_eq!(err(&results[2]), "entry 2: expected a JSON object, found string \"not an entry\"");
    assert_eq!(
        err(&results[3]),
        "entry 3: invalid field \"startedDateTime\": expected an RFC 3339 timestamp, found string \"yesterday\""
    );
    assert_eq!(
        err(&results[4]),
        "entry 4: invalid field \"request.headers\": expected an array, found string \"Accept: */*\""
    );
    assert!(err(&results[5]).starts_with("entry 5: invalid field \"response.content.text\": invalid base64"));
    assert_eq!(err(&results[6]), "entry 6: missing field \"response\"");
    assert!(results[7].is_ok());
}

#[test]
fn deeply_nested_entry_is_an_error() {
    let nested = "[".repeat(10_000);
    let text = format!(r#"{{"log": {{"entries": [{nested}"#);
    let mut delivered = 0;
    let error = read_har(text.as_bytes(), &Limits::default(), |_| delivered += 1).unwrap_err();
    assert_eq!(delivered, 0);
    assert!(error.to_string().contains("recursion limit exceeded"), "{error}");
}

#[test]
fn path_limits_reject_entries() {
    let entry = |path: &str| {
        format!(
            r#"{{"startedDateTime": "2024-06-24T07:35:56.522Z", "request": {{"method": "GET", "url": "https://a.example{path}"}}, "response": {{"status": 200}}}}"#
        )
    };
    let deep = "/a".repeat(10_000);
    let long = format!("/{}", "x".repeat(1 << 20));
    let text = format!(r#"{{"log": {{"entries": [{}, {}, {}]}}}}"#, entry("/ok"), entry(&deep), entry(&long));
    let limits = Limits { max_path_bytes: 64 * 1024, ..Limits::default() };

    let mut results = Vec::new();
    read_har(text.as_bytes(), &limits, |result| results.push(result)).unwrap();

    assert!(results[0].is_ok());
    assert_eq!(err(&results[1]), "entry 1: path has 10000 segments, more than the limit of 64 (max_path_segments)");
    assert_eq!(err(&results[2]), "entry 2: path of 1048577 bytes is longer than the limit of 65536 (max_path_bytes)");
}

#[test]
fn bodies_are_capped() {
    let text = format!(
        r#"{{"log": {{"entries": [{{"startedDateTime": "2024-06-24T07:35:56.522Z", "request": {{"method": "POST", "url": "https://a.example/", "postData": {{"mimeType": "text/plain", "text": "{}"}}}}, "response": {{"status": 200, "content": {{"text": "{}"}}}}}}]}}}}"#,
        "a".repeat(5000),
        "b".repeat(5000)
    );
    let limits = Limits { max_body_bytes: 100, ..Limits::default() };
    let mut results = Vec::new();
    read_har(text.as_bytes(), &limits, |result| results.push(result)).unwrap();

    let trace = ok(&results[0]);
    assert_eq!(trace.request.body.bytes.len(), 100);
    assert!(trace.request.body.truncated);
    let response = trace.response.as_ref().unwrap();
    assert_eq!(response.body.bytes.len(), 100);
    assert!(response.body.truncated);
}

/// A HAR document produced on the fly, one entry at a time, that counts the bytes it has
/// handed out. It keeps no more than one entry's text at a time.
struct GeneratedHar {
    entries: usize,
    next_entry: usize,
    pending: Vec<u8>,
    offset: usize,
    finished: bool,
    produced: Rc<Cell<u64>>,
}

impl GeneratedHar {
    fn new(entries: usize, produced: Rc<Cell<u64>>) -> Self {
        let header = br#"{"log":{"version":"1.2","creator":{"name":"generator","version":"1"},"entries":["#.to_vec();
        Self { entries, next_entry: 0, pending: header, offset: 0, finished: false, produced }
    }

    fn refill(&mut self) {
        self.offset = 0;
        self.pending.clear();
        if self.next_entry < self.entries {
            let index = self.next_entry;
            let separator = if index == 0 { "" } else { "," };
            let text = format!(
                r#"{separator}{{"startedDateTime":"2024-06-24T07:35:56.522Z","time":1.5,"request":{{"method":"GET","url":"https://api.example.com/items/{index}?page={page}","headers":[{{"name":"Accept","value":"application/json"}}]}},"response":{{"status":200,"content":{{"mimeType":"application/json","text":"{{\"id\":{index}}}"}}}},"serverIPAddress":"10.0.0.2"}}"#,
                page = index % 10
            );
            self.pending.extend_from_slice(text.as_bytes());
            self.next_entry += 1;
        } else if !self.finished {
            self.pending.extend_from_slice(b"]}}");
            self.finished = true;
        }
    }
}

impl Read for GeneratedHar {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        if self.offset == self.pending.len() {
            self.refill();
        }
        let available = &self.pending[self.offset..];
        let count = available.len().min(buffer.len());
        buffer[..count].copy_from_slice(&available[..count]);
        self.offset += count;
        self.produced.set(self.produced.get() + count as u64);
        Ok(count)
    }
}

#[test]
fn large_har_streams_entry_by_entry() {
    const ENTRIES: usize = 200_000;
    let produced = Rc::new(Cell::new(0u64));
    let reader = GeneratedHar::new(ENTRIES, Rc::clone(&produced));

    let mut count = 0usize;
    let mut produced_at_first = 0;
    let mut produced_at_middle = 0;
    let summary = read_har(reader, &Limits::default(), |result| {
        let trace = ok(&result);
        assert_eq!(trace.request.path, format!("/items/{count}"));
        if count == 0 {
            produced_at_first = produced.get();
        }
        if count == ENTRIES / 2 {
            produced_at_middle = produced.get();
        }
        count += 1;
    })
    .unwrap();

    let total = produced.get();
    assert_eq!(summary, ImportSummary { decoded: ENTRIES, rejected: 0 });
    assert_eq!(count, ENTRIES);
    assert!(total > 40_000_000, "generated only {total} bytes");
    // The first entry arrives after one buffer's worth of input, and the middle one when
    // about half has been read, so the reader is consumed as entries are delivered.
    assert!(produced_at_first <= 128 * 1024, "first entry after {produced_at_first} bytes");
    assert!(produced_at_middle < total * 6 / 10, "middle entry after {produced_at_middle} of {total} bytes");
}
