mod common;

use common::{err, fixture, header, ok};
use palisade_core::{Limits, Peer, TraceSource};
use palisade_ingest::DecodeError;
use palisade_ingest::metlo::{MetloVersion, decode};

const RECEIVED_MS: i64 = 1_719_214_556_522;

#[test]
fn v1_batch_in_tolerant_forms() {
    let body = fixture("metlo-v1-batch.json");
    let results = decode(&body, MetloVersion::V1, true, &Limits::default(), RECEIVED_MS).unwrap();
    assert_eq!(results.len(), 5);

    let first = ok(&results[0]);
    assert_eq!(first.request.method, "GET");
    assert_eq!(first.request.scheme, "https");
    assert_eq!(first.request.host, "api.shop.example");
    assert_eq!(first.request.path, "/users/7");
    assert_eq!(first.request.query[0].value, "name,email");
    assert_eq!(header(&first.request.headers, "authorization"), Some("Bearer test-token-not-real"));
    assert_eq!(first.response.as_ref().unwrap().body.bytes, br#"{"id":7,"email":"ada@example.com"}"#);
    assert_eq!(first.meta.start_ms, RECEIVED_MS);
    assert_eq!(first.meta.client, Some(Peer { address: "192.0.2.10".into(), port: Some(52344) }));
    assert_eq!(first.meta.server, Some(Peer { address: "198.51.100.2".into(), port: Some(443) }));
    assert_eq!(first.meta.environment.as_deref(), Some("production"));
    assert_eq!(first.meta.source, TraceSource::Metlo);

    // String ports and `incoming`, object and array bodies, status as a string.
    let second = ok(&results[1]);
    assert_eq!(second.request.method, "POST");
    assert_eq!(second.request.scheme, "http");
    assert_eq!(second.request.host, "api.shop.example:8080");
    assert_eq!(second.request.body.bytes, br#"{"name":"Ada","roles":["admin"]}"#);
    let response = second.response.as_ref().unwrap();
    assert_eq!(response.status, 201);
    assert_eq!(response.body.bytes, br#"[{"id":8}]"#);
    assert_eq!(second.meta.client, Some(Peer { address: "192.0.2.11".into(), port: Some(52345) }));
    assert_eq!(second.meta.server, Some(Peer { address: "198.51.100.2".into(), port: Some(8080) }));

    // Null headers, parameters and bodies, no meta, and an unknown field.
    let third = ok(&results[2]);
    assert!(third.request.headers.is_empty());
    assert!(third.request.query.is_empty());
    assert!(third.request.body.is_empty());
    assert_eq!(third.meta.client, None);
    assert_eq!(third.request.scheme, "http");

    assert_eq!(err(&results[3]), "trace 3: missing field \"request.method\"");

    // A query string in the path plus the same parameter listed again, a numeric header
    // value, an empty source address and a port that is not a number.
    let fifth = ok(&results[4]);
    assert_eq!(fifth.request.path, "/search");
    let query: Vec<_> = fifth.request.query.iter().map(|p| (p.name.as_str(), p.value.as_str())).collect();
    assert_eq!(query, vec![("q", "tea cups"), ("page", "2")]);
    assert_eq!(header(&fifth.request.headers, "x-request-id"), Some("12345"));
    assert_eq!(fifth.meta.client, None);
    assert_eq!(fifth.response, None);
}

#[test]
fn v2_batch_with_redacted_traces() {
    let body = fixture("metlo-v2-batch.json");
    let results = decode(&body, MetloVersion::V2, true, &Limits::default(), RECEIVED_MS).unwrap();
    assert_eq!(results.len(), 4);

    // A full analysis from a redacted trace, as Metlo's compiled agent sends it.
    let full = ok(&results[0]);
    assert_eq!(full.request.host, "127.0.0.1:5000");
    assert_eq!(full.request.path, "/users/3");
    assert!(full.request.headers.is_empty());
    assert!(full.request.body.is_empty());
    assert_eq!(full.meta.route.as_deref(), Some("/users/{param1}"));
    assert_eq!(full.request.content_type, None);
    let response = full.response.as_ref().unwrap();
    assert_eq!(response.content_type.as_deref(), Some("application/json"));
    let agent = full.agent.as_ref().unwrap();
    assert!(agent.redacted);
    assert_eq!(agent.field_types.len(), 3);
    assert!(agent.field_types.contains(&("resBody.email".to_string(), vec!["string".to_string()])));
    assert_eq!(agent.data_classes, vec![("resBody.email".to_string(), vec!["Email".to_string()])]);
    assert!(agent.xss_fields.is_empty());
    assert!(agent.sqli_fields.is_empty());

    // A partial analysis with XSS and SQL injection findings, string ports and status.
    let partial = ok(&results[1]);
    assert_eq!(partial.request.method, "POST");
    assert_eq!(partial.request.content_type.as_deref(), Some("application/json"));
    assert_eq!(partial.response.as_ref().unwrap().status, 201);
    assert_eq!(partial.meta.client, Some(Peer { address: "127.0.0.1".into(), port: Some(41824) }));
    let agent = partial.agent.as_ref().unwrap();
    assert!(agent.field_types.is_empty());
    assert_eq!(agent.xss_fields, vec!["reqQuery.q".to_string()]);
    assert_eq!(agent.sqli_fields, vec!["reqBody.name".to_string()]);

    // A v2 trace without redaction or analysis decodes like v1.
    let plain = ok(&results[2]);
    assert_eq!(plain.agent, None);
    assert_eq!(plain.request.scheme, "https");
    assert_eq!(plain.response.as_ref().unwrap().body.bytes, br#"{"ok":true}"#);

    assert_eq!(err(&results[3]), "trace 3: invalid response status 999: expected 100 to 599");
}

#[test]
fn single_trace_endpoint() {
    let body = fixture("metlo-v1-batch.json");
    let batch: Vec<serde_json::Value> = serde_json::from_slice(&body).unwrap();
    let single = serde_json::to_vec(&batch[0]).unwrap();

    let results = decode(&single, MetloVersion::V1, false, &Limits::default(), RECEIVED_MS).unwrap();

    assert_eq!(results.len(), 1);
    assert_eq!(ok(&results[0]).request.path, "/users/7");
}

/// One row per body that must be rejected whole.
#[test]
fn malformed_bodies_are_rejected_whole() {
    let nested = "[".repeat(10_000) + &"]".repeat(10_000);
    let cases: Vec<(&str, Vec<u8>, bool, &str)> = vec![
        ("empty", b"".to_vec(), true, "invalid JSON at line 1 column 0: EOF while parsing a value"),
        ("not JSON", b"hello".to_vec(), true, "invalid JSON at line 1 column 1: expected value"),
        (
            "unclosed array",
            b"[{\"request\": {}}".to_vec(),
            true,
            "invalid JSON at line 1 column 16: EOF while parsing a list",
        ),
        ("trailing text", b"[] x".to_vec(), true, "invalid JSON at line 1 column 4: trailing characters"),
        ("object to batch", b"{}".to_vec(), true, "expected a JSON array of traces, found an object"),
        ("array to single", b"[]".to_vec(), false, "expected a JSON object, found an array"),
        ("number to single", b"42".to_vec(), false, "expected a JSON object, found a number"),
        ("deep nesting", nested.into_bytes(), true, "invalid JSON at line 1 column 128: recursion limit exceeded"),
        (
            "invalid UTF-8",
            b"[{\"request\": \"\xff\"}]".to_vec(),
            true,
            "invalid JSON at line 1 column 15: invalid unicode code point",
        ),
    ];

    for (name, body, batch, expected) in cases {
        let error = decode(&body, MetloVersion::V2, batch, &Limits::default(), 0).unwrap_err();
        assert_eq!(error.to_string(), expected, "{name}");
    }
}

#[test]
fn deep_nesting_inside_a_trace_is_an_error() {
    let nested = "[".repeat(10_000) + &"]".repeat(10_000);
    let body = format!(r#"[{{"request": {{"body": {nested}}}}}]"#);
    let error = decode(body.as_bytes(), MetloVersion::V1, true, &Limits::default(), 0).unwrap_err();
    assert!(matches!(error, DecodeError::InvalidJson { .. }), "{error}");
}

/// One row per trace that must be rejected alone, with the message naming the field.
#[test]
fn malformed_traces_are_rejected_alone() {
    let cases = [
        ("not an object", r#""trace""#, "trace 1: expected a JSON object, found string \"trace\""),
        ("no request", r#"{"response": {"status": 200}}"#, "trace 1: missing field \"request\""),
        (
            "method as number",
            r#"{"request": {"method": 1, "url": {"host": "a", "path": "/"}}}"#,
            "trace 1: invalid field \"request.method\": expected a string, found number 1",
        ),
        ("no url", r#"{"request": {"method": "GET"}}"#, "trace 1: missing field \"request.url\""),
        (
            "no path",
            r#"{"request": {"method": "GET", "url": {"host": "a"}}}"#,
            "trace 1: missing field \"request.url.path\"",
        ),
        (
            "headers as object",
            r#"{"request": {"method": "GET", "url": {"host": "a", "path": "/"}, "headers": {"Accept": "*/*"}}}"#,
            "trace 1: invalid field \"request.headers\": expected an array, found an object",
        ),
        (
            "parameter without name",
            r#"{"request": {"method": "GET", "url": {"host": "a", "path": "/", "parameters": [{"value": "1"}]}}}"#,
            "trace 1: missing field \"request.url.parameters[0].name\"",
        ),
        (
            "status as word",
            r#"{"request": {"method": "GET", "url": {"host": "a", "path": "/"}}, "response": {"status": "ok"}}"#,
            "trace 1: invalid field \"response.status\": expected a status code, found string \"ok\"",
        ),
        (
            "incoming as word",
            r#"{"request": {"method": "GET", "url": {"host": "a", "path": "/"}}, "redacted": "maybe"}"#,
            "trace 1: invalid field \"redacted\": expected a boolean, found string \"maybe\"",
        ),
        ("no host", r#"{"request": {"method": "GET", "url": {"path": "/"}}}"#, "trace 1: missing host"),
        (
            "relative path",
            r#"{"request": {"method": "GET", "url": {"host": "a", "path": "users"}}}"#,
            "trace 1: invalid path \"users\": a path must start with '/'",
        ),
        (
            "long method",
            r#"{"request": {"method": "GETGETGETGETGETGETGETGETGETGETGETGETGETGETGETGETGETGETGETGETGETGETGETGET", "url": {"host": "a", "path": "/"}}}"#,
            "trace 1: invalid request method \"GETGETGETGETGETGETGETGETGETGETGETGETGETGETGETGETGETGETGETGETGETG...\": expected an HTTP token such as GET",
        ),
    ];

    let good = r#"{"request": {"method": "GET", "url": {"host": "a.example", "path": "/"}}}"#;
    for (name, bad, expected) in cases {
        let body = format!("[{good}, {bad}, {good}]");
        let results = decode(body.as_bytes(), MetloVersion::V2, true, &Limits::default(), 0).unwrap();
        assert!(results[0].is_ok(), "{name}");
        assert_eq!(err(&results[1]), expected, "{name}");
        assert!(results[2].is_ok(), "{name}");
    }
}

#[test]
fn path_limits_name_the_trace() {
    let trace =
        |path: &str| format!(r#"{{"request": {{"method": "GET", "url": {{"host": "a.example", "path": "{path}"}}}}}}"#);
    let deep = "/a".repeat(10_000);
    let long = format!("/{}", "x".repeat(1 << 20));
    let body = format!("[{}, {}, {}]", trace("/ok"), trace(&deep), trace(&long));
    let limits = Limits { max_path_bytes: 64 * 1024, ..Limits::default() };

    let results = decode(body.as_bytes(), MetloVersion::V1, true, &limits, 0).unwrap();

    assert!(results[0].is_ok());
    assert_eq!(err(&results[1]), "trace 1: path has 10000 segments, more than the limit of 64 (max_path_segments)");
    assert_eq!(err(&results[2]), "trace 2: path of 1048577 bytes is longer than the limit of 65536 (max_path_bytes)");
}

#[test]
fn header_and_query_limits_apply() {
    let headers: Vec<String> = (0..300).map(|i| format!(r#"{{"name": "X-{i}", "value": "v"}}"#)).collect();
    let body = format!(
        r#"{{"request": {{"method": "GET", "url": {{"host": "a.example", "path": "/"}}, "headers": [{}]}}}}"#,
        headers.join(",")
    );
    let results = decode(body.as_bytes(), MetloVersion::V1, false, &Limits::default(), 0).unwrap();
    assert_eq!(err(&results[0]), "trace 0: request has 300 headers, more than the limit of 256 (max_headers)");
}

#[test]
fn bodies_are_capped_and_decoded() {
    let long = "y".repeat(300);
    let body = format!(
        r#"{{"request": {{"method": "POST", "url": {{"host": "a.example", "path": "/"}}, "body": "{long}"}}, "response": {{"status": 200, "body": {{"k": "{long}"}}}}}}"#
    );
    let limits = Limits { max_body_bytes: 64, ..Limits::default() };
    let results = decode(body.as_bytes(), MetloVersion::V1, false, &limits, 0).unwrap();
    let trace = ok(&results[0]);
    assert_eq!(trace.request.body.bytes.len(), 64);
    assert!(trace.request.body.truncated);
    let response = trace.response.as_ref().unwrap();
    assert!(response.body.bytes.starts_with(br#"{"k":"yyy"#));
    assert!(response.body.truncated);
}
