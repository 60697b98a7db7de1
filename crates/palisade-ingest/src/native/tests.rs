use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use palisade_core::{
    AgentAnalysis, Body, Header, Limits, Peer, QueryParam, Request, Response, Trace, TraceMeta, TraceSource,
};
use serde_json::{Value, json};

use super::*;
use crate::ImportSummary;
use crate::error::{DecodeError, Position, TraceDecodeError};
use crate::http::encode_base64;

const RECEIVED_MS: i64 = 1_700_000_000_000;

fn decode_one(value: Value) -> Result<Trace, TraceDecodeError> {
    let body = serde_json::to_vec(&value).unwrap();
    let mut results = decode(&body, &Limits::default(), RECEIVED_MS).unwrap();
    assert_eq!(results.len(), 1);
    results.remove(0)
}

fn example() -> Value {
    json!({
        "request": {
            "method": "post",
            "url": "https://api.example.com/users?expand=orders&q=a+b",
            "headers": [{"name": "Content-Type", "value": "application/json"}],
            "body": "{\"name\":\"Ada\"}"
        },
        "response": {
            "status": 201,
            "headers": [{"name": "Content-Type", "value": "application/json"}],
            "body_base64": "eyJpZCI6NDJ9"
        },
        "meta": {
            "start_time": "2024-06-24T07:35:56.522Z",
            "duration_ms": 12.5,
            "client": {"address": "10.0.0.7", "port": 51514},
            "server": {"address": "10.0.0.2", "port": 443},
            "environment": "production",
            "route": "/users"
        }
    })
}

#[test]
fn example_decodes() {
    let trace = decode_one(example()).unwrap();
    assert_eq!(trace.request.method, "POST");
    assert_eq!(trace.request.scheme, "https");
    assert_eq!(trace.request.host, "api.example.com");
    assert_eq!(trace.request.path, "/users");
    assert_eq!(
        trace.request.query,
        vec![
            QueryParam { name: "expand".into(), value: "orders".into() },
            QueryParam { name: "q".into(), value: "a b".into() },
        ]
    );
    assert_eq!(trace.request.content_type.as_deref(), Some("application/json"));
    assert_eq!(trace.request.body.bytes, br#"{"name":"Ada"}"#);
    let response = trace.response.unwrap();
    assert_eq!(response.status, 201);
    assert_eq!(response.body.bytes, br#"{"id":42}"#);
    assert_eq!(trace.meta.start_ms, 1_719_214_556_522);
    assert_eq!(trace.meta.duration_us, Some(12_500));
    assert_eq!(trace.meta.client, Some(Peer { address: "10.0.0.7".into(), port: Some(51514) }));
    assert_eq!(trace.meta.server, Some(Peer { address: "10.0.0.2".into(), port: Some(443) }));
    assert_eq!(trace.meta.environment.as_deref(), Some("production"));
    assert_eq!(trace.meta.route.as_deref(), Some("/users"));
    assert_eq!(trace.meta.source, TraceSource::Native);
}

#[test]
fn minimal_trace_uses_received_time() {
    let trace = decode_one(json!({"request": {"method": "GET", "url": "http://a.example"}})).unwrap();
    assert_eq!(trace.request.path, "/");
    assert_eq!(trace.response, None);
    assert_eq!(trace.meta.start_ms, RECEIVED_MS);
    assert_eq!(trace.agent, None);
}

#[test]
fn host_and_path_form() {
    let value = json!({"request": {"method": "GET", "host": "a.example:8080", "path": "/x/y?z=1", "scheme": "HTTPS"}});
    let trace = decode_one(value).unwrap();
    assert_eq!(trace.request.scheme, "https");
    assert_eq!(trace.request.host, "a.example:8080");
    assert_eq!(trace.request.path, "/x/y");
    assert_eq!(trace.request.query, vec![QueryParam { name: "z".into(), value: "1".into() }]);

    let value = json!({"request": {"method": "GET", "host": "a.example", "path": "/"}});
    assert_eq!(decode_one(value).unwrap().request.scheme, "http");
}

#[test]
fn array_gives_one_result_per_trace() {
    let body = serde_json::to_vec(&json!([example(), {"request": {}}, example()])).unwrap();
    let results = decode(&body, &Limits::default(), RECEIVED_MS).unwrap();
    assert_eq!(results.len(), 3);
    assert!(results[0].is_ok());
    assert_eq!(results[1].clone().unwrap_err().to_string(), "trace 1: missing field \"request.method\"");
    assert!(results[2].is_ok());
}

#[test]
fn json_body_is_serialized() {
    let mut value = example();
    value["request"]["body"] = json!({"name": "Ada", "tags": [1, 2]});
    let trace = decode_one(value).unwrap();
    assert_eq!(trace.request.body.bytes, br#"{"name":"Ada","tags":[1,2]}"#);
}

#[test]
fn base64_body_may_hold_any_bytes() {
    let mut value = example();
    value["request"].as_object_mut().unwrap().remove("body");
    value["request"]["body_base64"] = json!(encode_base64(&[0xff, 0xfe, 0x00, b'a']));
    let trace = decode_one(value).unwrap();
    assert_eq!(trace.request.body.bytes, [0xff, 0xfe, 0x00, b'a']);
}

#[test]
fn base64_gzip_body_is_decoded() {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(b"{\"id\":42}").unwrap();
    let mut value = example();
    value["response"]["headers"] = json!([{"name": "Content-Encoding", "value": "gzip"}]);
    value["response"]["body_base64"] = json!(encode_base64(&encoder.finish().unwrap()));
    let trace = decode_one(value).unwrap();
    assert_eq!(trace.response.unwrap().body.bytes, b"{\"id\":42}");
}

#[test]
fn body_is_capped_at_limit() {
    let mut value = example();
    value["request"]["body"] = json!("x".repeat(100));
    let body = serde_json::to_vec(&value).unwrap();
    let limits = Limits { max_body_bytes: 10, ..Limits::default() };
    let trace = decode(&body, &limits, 0).unwrap().remove(0).unwrap();
    assert_eq!(trace.request.body, Body { bytes: b"xxxxxxxxxx".to_vec(), truncated: true });
}

#[test]
fn explicit_content_type_wins() {
    let mut value = example();
    value["request"]["content_type"] = json!("text/plain");
    assert_eq!(decode_one(value).unwrap().request.content_type.as_deref(), Some("text/plain"));

    let mut value = example();
    value["request"]["content_type"] = json!("");
    assert_eq!(decode_one(value).unwrap().request.content_type, None);
}

#[test]
fn start_time_may_be_epoch_milliseconds() {
    let mut value = example();
    value["meta"]["start_time"] = json!(1234);
    assert_eq!(decode_one(value).unwrap().meta.start_ms, 1234);
}

#[test]
fn agent_analysis_decodes() {
    let mut value = example();
    value["agent"] = json!({
        "redacted": true,
        "field_types": [{"path": "resBody.id", "names": ["number"]}],
        "data_classes": [{"path": "resBody.email", "names": ["Email"]}],
        "xss_fields": ["reqQuery.q"],
        "sqli_fields": []
    });
    let agent = decode_one(value).unwrap().agent.unwrap();
    assert!(agent.redacted);
    assert_eq!(agent.field_types, vec![("resBody.id".to_string(), vec!["number".to_string()])]);
    assert_eq!(agent.data_classes, vec![("resBody.email".to_string(), vec!["Email".to_string()])]);
    assert_eq!(agent.xss_fields, vec!["reqQuery.q".to_string()]);
    assert!(agent.sqli_fields.is_empty());
}

/// One row per malformed trace: what is wrong, the edit, and the expected message.
#[test]
fn malformed_traces_name_the_field() {
    type Edit = fn(&mut Value);
    let cases: Vec<(&str, Edit, &str)> = vec![
        ("array item not an object", |v| *v = json!(["trace"]), "expected a JSON object, found string \"trace\""),
        ("missing request", |v| *v = json!({}), "missing field \"request\""),
        (
            "request not an object",
            |v| v["request"] = json!([1]),
            "invalid field \"request\": expected an object, found an array",
        ),
        (
            "method not a string",
            |v| v["request"]["method"] = json!(5),
            "invalid field \"request.method\": expected a string, found number 5",
        ),
        (
            "missing url and host",
            |v| {
                v["request"].as_object_mut().unwrap().remove("url");
            },
            "missing field \"request.url\" (or \"request.host\" and \"path\")",
        ),
        (
            "url and host",
            |v| v["request"]["host"] = json!("b.example"),
            "fields \"request.url\" and \"request.host\" cannot both be given: use an absolute url, or host and path",
        ),
        (
            "relative url",
            |v| v["request"]["url"] = json!("/users"),
            "invalid field \"request.url\": expected an absolute http or https URL, found string \"/users\"",
        ),
        (
            "ftp url",
            |v| v["request"]["url"] = json!("ftp://a.example/x"),
            "invalid field \"request.url\": unsupported URL scheme \"ftp\": expected http or https",
        ),
        (
            "host without path",
            |v| v["request"] = json!({"method": "GET", "host": "a.example"}),
            "missing field \"request.path\"",
        ),
        (
            "path without slash",
            |v| v["request"] = json!({"method": "GET", "host": "a.example", "path": "users"}),
            "invalid field \"request.path\": expected a path starting with '/', found string \"users\"",
        ),
        (
            "headers not an array",
            |v| v["request"]["headers"] = json!({"Accept": "*/*"}),
            "invalid field \"request.headers\": expected an array, found an object",
        ),
        (
            "header without name",
            |v| v["request"]["headers"] = json!([{"value": "x"}]),
            "missing field \"request.headers[0].name\"",
        ),
        (
            "body and base64 body",
            |v| v["request"]["body_base64"] = json!("AA=="),
            "fields \"request.body\" and \"request.body_base64\" cannot both be given",
        ),
        (
            "invalid base64",
            |v| v["response"]["body_base64"] = json!("%%%"),
            "invalid field \"response.body_base64\": invalid base64: Invalid symbol 37, offset 0.",
        ),
        (
            "status as string",
            |v| v["response"]["status"] = json!("201"),
            "invalid field \"response.status\": expected an integer status code, found string \"201\"",
        ),
        ("missing status", |v| v["response"] = json!({}), "missing field \"response.status\""),
        (
            "status out of range",
            |v| v["response"]["status"] = json!(700),
            "invalid response status 700: expected 100 to 599",
        ),
        (
            "bad start time",
            |v| v["meta"]["start_time"] = json!("yesterday"),
            "invalid field \"meta.start_time\": expected an RFC 3339 timestamp, found string \"yesterday\"",
        ),
        (
            "negative duration",
            |v| v["meta"]["duration_ms"] = json!(-1),
            "invalid field \"meta.duration_ms\": expected a non-negative number, found number -1",
        ),
        (
            "port out of range",
            |v| v["meta"]["server"]["port"] = json!(70000),
            "invalid field \"meta.server.port\": expected a port number from 0 to 65535, found number 70000",
        ),
        ("peer without address", |v| v["meta"]["client"] = json!({"port": 1}), "missing field \"meta.client.address\""),
        (
            "agent list item not an object",
            |v| v["agent"] = json!({"field_types": ["x"]}),
            "invalid field \"agent.field_types[0]\": expected an object, found string \"x\"",
        ),
        (
            "bad method token",
            |v| v["request"]["method"] = json!("GE T"),
            "invalid request method \"GE T\": expected an HTTP token such as GET",
        ),
        (
            "host with slash",
            |v| v["request"] = json!({"method": "GET", "host": "a.example/x", "path": "/"}),
            "invalid host \"a.example/x\"",
        ),
    ];

    for (name, edit, expected) in cases {
        let mut value = example();
        edit(&mut value);
        let body = serde_json::to_vec(&value).unwrap();
        let results = decode(&body, &Limits::default(), RECEIVED_MS).unwrap();
        let Err(error) = results[0].clone() else {
            panic!("{name}: decoded without error");
        };
        assert_eq!(error.position, Position::Trace(0), "{name}");
        assert_eq!(error.message, expected, "{name}");
    }
}

#[test]
fn long_and_deep_paths_are_rejected() {
    let deep = json!({"request": {"method": "GET", "host": "a.example", "path": "/a".repeat(10_000)}});
    let long = json!({"request": {"method": "GET", "host": "a.example", "path": format!("/{}", "x".repeat(1 << 20))}});
    let body = serde_json::to_vec(&json!([example(), deep, long])).unwrap();
    let limits = Limits::default();

    let results = decode(&body, &limits, RECEIVED_MS).unwrap();

    assert!(results[0].is_ok());
    assert_eq!(
        results[1].clone().unwrap_err().to_string(),
        format!("trace 1: path of 20000 bytes is longer than the limit of {} (max_path_bytes)", limits.max_path_bytes)
    );
    assert_eq!(
        results[2].clone().unwrap_err().to_string(),
        format!(
            "trace 2: path of 1048577 bytes is longer than the limit of {} (max_path_bytes)",
            limits.max_path_bytes
        )
    );

    // With a path limit that allows them, the segment limit catches the deep path.
    let roomy = Limits { max_path_bytes: 1 << 21, ..Limits::default() };
    let results = decode(&body, &roomy, RECEIVED_MS).unwrap();
    assert_eq!(
        results[1].clone().unwrap_err().to_string(),
        format!(
            "trace 1: path has 10000 segments, more than the limit of {} (max_path_segments)",
            roomy.max_path_segments
        )
    );
}

#[test]
fn whole_body_errors() {
    let limits = Limits::default();
    let error = decode(b"\"text\"", &limits, 0).unwrap_err();
    assert_eq!(error.to_string(), "expected a JSON object or an array of objects, found a string");

    let error = decode(b"{\"request\": ", &limits, 0).unwrap_err();
    assert!(matches!(error, DecodeError::InvalidJson { line: 1, column: 12, .. }), "{error}");

    let nested = "[".repeat(10_000) + &"]".repeat(10_000);
    let error = decode(nested.as_bytes(), &limits, 0).unwrap_err();
    assert_eq!(error.to_string(), "invalid JSON at line 1 column 128: recursion limit exceeded");
}

#[test]
fn byte_order_mark_is_skipped() {
    let mut body = b"\xEF\xBB\xBF".to_vec();
    body.extend(serde_json::to_vec(&example()).unwrap());
    assert!(decode(&body, &Limits::default(), 0).unwrap()[0].is_ok());
}

// Round trips: decode(encode(t)) == t.

fn base_trace() -> Trace {
    Trace {
        request: Request {
            method: "GET".into(),
            scheme: "https".into(),
            host: "api.example.com".into(),
            path: "/users/42".into(),
            query: vec![],
            headers: vec![],
            content_type: None,
            body: Body::default(),
        },
        response: None,
        meta: TraceMeta {
            start_ms: 1_719_214_556_522,
            duration_us: None,
            client: None,
            server: None,
            source: TraceSource::Native,
            environment: None,
            route: None,
        },
        agent: None,
    }
}

fn assert_round_trip(name: &str, trace: &Trace) {
    let encoded = encode(trace);
    let text = serde_json::to_vec(&encoded).unwrap();
    let mut results = decode(&text, &Limits::default(), 0).unwrap();
    let decoded = results.remove(0).unwrap_or_else(|error| panic!("{name}: {error}\n{encoded}"));
    assert_eq!(&decoded, trace, "{name}\n{encoded}");
}

#[test]
fn encode_writes_documented_shape() {
    let trace = decode_one(example()).unwrap();
    let encoded = encode(&trace);
    assert_eq!(encoded["request"]["url"], "https://api.example.com/users?expand=orders&q=a+b");
    assert_eq!(encoded["request"]["body"], "{\"name\":\"Ada\"}");
    assert_eq!(encoded["response"]["body"], "{\"id\":42}");
    assert_eq!(encoded["meta"]["start_time"], "2024-06-24T07:35:56.522Z");
    assert_eq!(encoded["meta"]["duration_ms"], 12.5);
    assert!(encoded["request"].get("content_type").is_none());
    assert!(encoded.get("agent").is_none());
}

#[test]
fn round_trip_table() {
    type Edit = fn(&mut Trace);
    let cases: Vec<(&str, Edit)> = vec![
        ("plain", |_| {}),
        ("query with reserved characters", |t| {
            t.request.query = vec![
                QueryParam { name: "q".into(), value: "a b&c=d/é".into() },
                QueryParam { name: "flag".into(), value: String::new() },
                QueryParam { name: "q".into(), value: "+%".into() },
            ]
        }),
        ("percent-encoded path", |t| t.request.path = "/files/a%20b/%E2%82%AC".into()),
        ("host with port", |t| t.request.host = "[::1]:8443".into()),
        ("http scheme", |t| t.request.scheme = "http".into()),
        ("headers in order", |t| {
            t.request.headers = vec![Header::new("X-B", "2"), Header::new("x-a", " spaced "), Header::new("X-B", "")]
        }),
        ("content type from header", |t| {
            t.request.headers = vec![Header::new("Content-Type", "application/json")];
            t.request.content_type = Some("application/json".into());
        }),
        ("content type without header", |t| t.request.content_type = Some("text/csv".into())),
        ("content type differing from header", |t| {
            t.request.headers = vec![Header::new("Content-Type", "text/plain")];
            t.request.content_type = Some("application/json".into());
        }),
        ("header but no content type", |t| t.request.headers = vec![Header::new("Content-Type", "text/plain")]),
        ("text body", |t| t.request.body = Body { bytes: "héllo".as_bytes().to_vec(), truncated: false }),
        ("binary body", |t| t.request.body = Body { bytes: vec![0xff, 0, 0x80, 1], truncated: false }),
        ("truncated body", |t| t.request.body = Body { bytes: b"abc".to_vec(), truncated: true }),
        ("truncated empty body", |t| t.request.body = Body { bytes: vec![], truncated: true }),
        ("binary body with gzip header", |t| {
            t.request.headers = vec![Header::new("Content-Encoding", "gzip")];
            t.request.body = Body { bytes: vec![0xff, 0xfe], truncated: false };
        }),
        ("response", |t| {
            t.response = Some(Response {
                status: 404,
                headers: vec![Header::new("Content-Type", "application/problem+json")],
                content_type: Some("application/problem+json".into()),
                body: Body { bytes: br#"{"title":"not found"}"#.to_vec(), truncated: false },
            })
        }),
        ("duration", |t| t.meta.duration_us = Some(12_345_678)),
        ("zero duration", |t| t.meta.duration_us = Some(0)),
        ("peers", |t| {
            t.meta.client = Some(Peer { address: "10.0.0.7".into(), port: Some(51514) });
            t.meta.server = Some(Peer { address: "api.internal".into(), port: None });
        }),
        ("environment and route", |t| {
            t.meta.environment = Some("staging".into());
            t.meta.route = Some("/users/{id}".into());
        }),
        ("before epoch", |t| t.meta.start_ms = -86_400_001),
        ("agent", |t| {
            t.agent = Some(AgentAnalysis {
                redacted: true,
                field_types: vec![("resBody.b".into(), vec!["string".into()]), ("resBody.a".into(), vec![])],
                data_classes: vec![("resBody.email".into(), vec!["Email".into(), "PII".into()])],
                xss_fields: vec!["reqQuery.q".into()],
                sqli_fields: vec!["reqBody.name".into(), "reqBody.name".into()],
            })
        }),
    ];

    for (name, edit) in cases {
        let mut trace = base_trace();
        edit(&mut trace);
        assert_round_trip(name, &trace);
    }
}

/// A small xorshift generator, so the round trip can be checked over many varied traces
/// without a property-testing dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }

    fn text(&mut self) -> String {
        const PIECES: &[&str] =
            &["a", "Z", "0", " ", "+", "%", "&", "=", "/", "?", "#", "é", "€", "\"", "\\", "\n", "\u{0}"];
        (0..self.below(6)).map(|_| self.pick(PIECES)).collect()
    }

    fn bytes(&mut self) -> Vec<u8> {
        (0..self.below(12)).map(|_| self.next() as u8).collect()
    }
}

fn random_trace(rng: &mut Rng) -> Trace {
    let mut trace = base_trace();
    trace.request.method = rng.pick(&["GET", "POST", "PATCH", "PROPFIND"]).into();
    trace.request.scheme = rng.pick(&["http", "https"]).into();
    trace.request.host = rng.pick(&["a.example", "b.example:8080", "10.1.2.3", "[2001:db8::1]:443"]).into();
    trace.request.path = rng.pick(&["/", "/users/1", "/a%2Fb/", "/x;y=1/%E2%82%AC"]).into();
    trace.request.query = (0..rng.below(4)).map(|_| QueryParam { name: rng.text(), value: rng.text() }).collect();

    trace.request.headers = (0..rng.below(4)).map(|_| Header::new(rng.pick(&["Accept", "X-Id"]), rng.text())).collect();
    if rng.below(2) == 0 {
        trace.request.headers.push(Header::new("Content-Type", rng.pick(&["application/json", "text/plain"])));
    }
    trace.request.content_type = match rng.below(3) {
        0 => None,
        1 => crate::http::content_type(&trace.request.headers, None),
        _ => Some("application/xml".into()),
    };

    trace.request.body = match rng.below(3) {
        0 => Body::default(),
        1 => Body { bytes: rng.text().into_bytes(), truncated: rng.below(2) == 0 },
        _ => Body { bytes: rng.bytes(), truncated: false },
    };

    if rng.below(2) == 0 {
        trace.response = Some(Response {
            status: 100 + rng.below(500) as u16,
            headers: vec![Header::new("Server", rng.text())],
            content_type: None,
            body: Body { bytes: rng.bytes(), truncated: rng.below(2) == 0 },
        });
    }

    trace.meta.start_ms = rng.below(4_000_000_000_000) as i64;
    trace.meta.duration_us = (rng.below(2) == 0).then(|| rng.below(10_000_000_000));
    trace.meta.client =
        (rng.below(2) == 0).then(|| Peer { address: "192.0.2.1".into(), port: Some(rng.below(65_536) as u16) });
    trace.meta.environment = (rng.below(2) == 0).then(|| rng.text());
    trace
}

#[test]
fn round_trip_random_traces() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for index in 0..2000 {
        let trace = random_trace(&mut rng);
        assert_round_trip(&format!("random trace {index}"), &trace);
    }
}

// JSON Lines.

fn read_lines(text: &str) -> (ImportSummary, Vec<Result<Trace, TraceDecodeError>>) {
    let mut results = Vec::new();
    let summary = read_jsonl(text.as_bytes(), &Limits::default(), |result| results.push(result)).unwrap();
    (summary, results)
}

#[test]
fn jsonl_reads_each_line() {
    let line = serde_json::to_string(&example()).unwrap();
    let text = format!("{line}\n\n   \n{line}\r\n{line}");
    let (summary, results) = read_lines(&text);
    assert_eq!(summary, ImportSummary { decoded: 3, rejected: 0 });
    assert_eq!(results.len(), 3);
    assert_eq!(results[2].clone().unwrap().request.host, "api.example.com");
}

#[test]
fn jsonl_errors_name_the_line() {
    let line = serde_json::to_string(&example()).unwrap();
    let text = format!("{line}\n{{\"request\": ?}}\n{{\"request\": {{}}}}\n[1]\n{line}\n");
    let (summary, results) = read_lines(&text);
    assert_eq!(summary, ImportSummary { decoded: 2, rejected: 3 });
    assert_eq!(results[1].clone().unwrap_err().to_string(), "line 2: invalid JSON at column 13: expected value");
    assert_eq!(results[2].clone().unwrap_err().to_string(), "line 3: missing field \"request.method\"");
    assert_eq!(results[3].clone().unwrap_err().to_string(), "line 4: expected a JSON object, found an array");
    assert!(results[4].is_ok());
}

#[test]
fn jsonl_invalid_utf8_line_is_rejected() {
    let mut text = b"{\"request\": {\"method\": \"GET\", \"url\": \"http://a/\xff\"}}\n".to_vec();
    text.extend(serde_json::to_vec(&example()).unwrap());
    let mut results = Vec::new();
    let summary = read_jsonl(text.as_slice(), &Limits::default(), |result| results.push(result)).unwrap();
    assert_eq!(summary, ImportSummary { decoded: 1, rejected: 1 });
    let error = results[0].clone().unwrap_err().to_string();
    assert!(error.starts_with("line 1: invalid JSON at column"), "{error}");
}

#[test]
fn jsonl_uses_read_time_without_start_time() {
    let before = palisade_core::timestamp::now_ms();
    let (_, results) = read_lines("{\"request\": {\"method\": \"GET\", \"url\": \"http://a/\"}}\n");
    let start_ms = results[0].clone().unwrap().meta.start_ms;
    assert!(start_ms >= before);
}
