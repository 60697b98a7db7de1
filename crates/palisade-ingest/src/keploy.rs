//! Keploy test cases: YAML files (`keploy/test-set-N/tests/test-N.yaml`) that Keploy writes
//! for each recorded request and response.
//!
//! A test case of `kind: Http` becomes one trace, from `spec.req` (`method`, absolute `url`,
//! `url_params`, `header` map, `body`, `timestamp`) and `spec.resp` (`status_code`, `header`,
//! `body`, `timestamp`). Other kinds, such as `gRPC`, are not HTTP/1 traffic this crate
//! models and are skipped.

use std::fmt;

use palisade_core::timestamp::now_ms;
use palisade_core::{Limits, Request, Response, Trace, TraceMeta, TraceSource};
use serde::Deserialize;
use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::encoding::decode_body;
use crate::error::DecodeError;
use crate::http::{
    choose_host, collect_headers, content_encoding, content_type, merge_listed_params, normalize_method, parse_query,
    split_url, trace_scheme,
};

/// Decodes one Keploy test case. Returns `Ok(None)` for a test case whose `kind` is not
/// `Http` (such as `gRPC`), which callers count as skipped.
///
/// Returns `Err` when the text is not valid YAML, lacks a field the trace needs, or gives a
/// trace that fails validation. The trace starts at `spec.req.timestamp`, else at
/// `spec.created`, else now.
pub fn decode(text: &str, limits: &Limits) -> Result<Option<Trace>, DecodeError> {
    // The kind is read first, so that other kinds are skipped whatever their spec holds.
    let kind: KindOnly = serde_saphyr::from_str(text).map_err(|error| yaml_error(&error))?;
    let Some(kind) = kind.kind else {
        return Err(DecodeError::InvalidTestCase(missing("kind")));
    };
    if !kind.eq_ignore_ascii_case("http") {
        return Ok(None);
    }

    let test_case: TestCase = serde_saphyr::from_str(text).map_err(|error| yaml_error(&error))?;
    let trace = build_trace(test_case.spec, limits).map_err(DecodeError::InvalidTestCase)?;
    match trace.validate(limits) {
        Ok(()) => Ok(Some(trace)),
        Err(error) => Err(DecodeError::InvalidTestCase(error.to_string())),
    }
}

#[derive(Deserialize)]
struct KindOnly {
    kind: Option<String>,
}

#[derive(Deserialize)]
struct TestCase {
    spec: Option<Spec>,
}

#[derive(Deserialize)]
struct Spec {
    req: Option<KeployRequest>,
    resp: Option<KeployResponse>,
    /// Unix time in seconds at which the test case was written.
    created: Option<i64>,
}

#[derive(Deserialize)]
struct KeployRequest {
    method: Option<String>,
    url: Option<String>,
    url_params: Option<OrderedPairs>,
    header: Option<OrderedPairs>,
    body: Option<RecordedBody>,
    timestamp: Option<String>,
}

#[derive(Deserialize)]
struct KeployResponse {
    status_code: Option<i64>,
    header: Option<OrderedPairs>,
    body: Option<RecordedBody>,
    timestamp: Option<String>,
}

fn build_trace(spec: Option<Spec>, limits: &Limits) -> Result<Trace, String> {
    let spec = spec.ok_or_else(|| missing("spec"))?;
    let req = spec.req.ok_or_else(|| missing("spec.req"))?;

    let request_time = parse_time(req.timestamp.as_deref(), "spec.req.timestamp")?;
    let request = build_request(req, limits)?;

    let mut response_time = None;
    let response = match spec.resp {
        Some(resp) => {
            response_time = parse_time(resp.timestamp.as_deref(), "spec.resp.timestamp")?;
            build_response(resp, limits)?
        }
        None => None,
    };

    let start_ms = match (request_time, spec.created) {
        (Some(nanos), _) => nanos.div_euclid(1_000_000) as i64,
        (None, Some(created)) => created.saturating_mul(1000),
        (None, None) => now_ms(),
    };
    let duration_us = match (request_time, response_time) {
        (Some(start), Some(end)) if end >= start => u64::try_from((end - start) / 1000).ok(),
        _ => None,
    };

    Ok(Trace {
        request,
        response,
        meta: TraceMeta {
            start_ms,
            duration_us,
            client: None,
            server: None,
            source: TraceSource::Keploy,
            environment: None,
            route: None,
        },
        agent: None,
    })
}

fn build_request(req: KeployRequest, limits: &Limits) -> Result<Request, String> {
    let method = normalize_method(&req.method.ok_or_else(|| missing("spec.req.method"))?);
    let url = req.url.ok_or_else(|| missing("spec.req.url"))?;
    let parts = split_url(&url);
    let Some(scheme) = parts.scheme else {
        return Err(format!("invalid field \"spec.req.url\": expected an absolute URL, found {:?}", short(&url)));
    };
    let scheme = trace_scheme(scheme).map_err(|message| format!("invalid field \"spec.req.url\": {message}"))?;

    let mut query = parse_query(parts.query);
    merge_listed_params(&mut query, req.url_params.map(|pairs| pairs.0).unwrap_or_default());

    let list = collect_headers(req.header.map(|pairs| pairs.0).unwrap_or_default());
    let host = choose_host(parts.authority, &list);
    let bytes = req.body.map(|body| body.0).unwrap_or_default();
    let body = decode_body(bytes, content_encoding(&list.headers), limits.max_body_bytes);
    let content_type = content_type(&list.headers, None);

    Ok(Request {
        method,
        scheme: scheme.to_string(),
        host,
        path: parts.path.to_string(),
        query,
        headers: list.headers,
        content_type,
        body,
    })
}

/// Builds the response. Returns `None` when its status code is 0, which means none was recorded.
fn build_response(resp: KeployResponse, limits: &Limits) -> Result<Option<Response>, String> {
    let status_code = resp.status_code.ok_or_else(|| missing("spec.resp.status_code"))?;
    if status_code == 0 {
        return Ok(None);
    }
    let status = u16::try_from(status_code)
        .map_err(|_| format!("invalid field \"spec.resp.status_code\": expected a status code, found {status_code}"))?;

    let headers = collect_headers(resp.header.map(|pairs| pairs.0).unwrap_or_default()).headers;
    let bytes = resp.body.map(|body| body.0).unwrap_or_default();
    let body = decode_body(bytes, content_encoding(&headers), limits.max_body_bytes);
    let content_type = content_type(&headers, None);
    Ok(Some(Response { status, headers, content_type, body }))
}

/// Parses an RFC 3339 timestamp into nanoseconds since the Unix epoch. Keploy writes
/// nanosecond precision, which durations of local requests (often under a millisecond)
/// need. Times before the epoch count as absent, because Go writes its zero time
/// `0001-01-01T00:00:00Z` for a time it never set.
fn parse_time(text: Option<&str>, field: &str) -> Result<Option<i128>, String> {
    let Some(text) = text.map(str::trim).filter(|text| !text.is_empty()) else {
        return Ok(None);
    };
    let parsed = OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|_| format!("invalid field \"{field}\": expected an RFC 3339 timestamp, found {:?}", short(text)))?;
    let nanos = parsed.unix_timestamp_nanos();
    Ok((nanos >= 0).then_some(nanos))
}

fn missing(field: &str) -> String {
    format!("missing field \"{field}\"")
}

fn short(text: &str) -> String {
    palisade_core::trace::truncate_for_message(text)
}

/// Converts a serde-saphyr error, whose message contains ` at line L, column C`, into an
/// error with the position in fields.
fn yaml_error(error: &serde_saphyr::Error) -> DecodeError {
    let (line, column) = match error.location() {
        Some(location) => (location.line() as usize, location.column() as usize),
        None => (0, 0),
    };
    let full = error.without_snippet().to_string();
    let position = format!(" at line {line}, column {column}");
    let message = full.replacen(&position, "", 1);
    // The library's message may quote the input, so it is bounded like any quoted input.
    const MAX_MESSAGE_CHARS: usize = 200;
    let message: String = message.chars().take(MAX_MESSAGE_CHARS).collect();
    DecodeError::InvalidYaml { line, column, message }
}

/// A YAML map read as `(key, value)` pairs in document order. Scalar values of any type are
/// read as their text, and null values as empty text.
struct OrderedPairs(Vec<(String, String)>);

impl<'de> Deserialize<'de> for OrderedPairs {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(OrderedPairsVisitor)
    }
}

struct OrderedPairsVisitor;

impl<'de> Visitor<'de> for OrderedPairsVisitor {
    type Value = OrderedPairs;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a map of names to values")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OrderedPairs, A::Error> {
        let mut pairs = Vec::new();
        while let Some((name, value)) = map.next_entry::<String, Option<String>>()? {
            pairs.push((name, value.unwrap_or_default()));
        }
        Ok(OrderedPairs(pairs))
    }
}

/// A recorded body: text, or the frames of a streamed response. Keploy writes a
/// server-sent event stream as a list of `{ts, data}` frames whose `data` is a map of event
/// fields (`event`, `data`, `id`, ...). Such frames are turned back into the
/// `text/event-stream` text that went over the wire: one `field:value` line per field and a
/// blank line after each event.
struct RecordedBody(Vec<u8>);

impl<'de> Deserialize<'de> for RecordedBody {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RecordedBodyVisitor)
    }
}

struct RecordedBodyVisitor;

impl<'de> Visitor<'de> for RecordedBodyVisitor {
    type Value = RecordedBody;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a body as text or as a list of stream frames")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<RecordedBody, E> {
        Ok(RecordedBody(text.as_bytes().to_vec()))
    }

    fn visit_string<E: serde::de::Error>(self, text: String) -> Result<RecordedBody, E> {
        Ok(RecordedBody(text.into_bytes()))
    }

    fn visit_bool<E: serde::de::Error>(self, value: bool) -> Result<RecordedBody, E> {
        Ok(RecordedBody(value.to_string().into_bytes()))
    }

    fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<RecordedBody, E> {
        Ok(RecordedBody(value.to_string().into_bytes()))
    }

    fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<RecordedBody, E> {
        Ok(RecordedBody(value.to_string().into_bytes()))
    }

    fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<RecordedBody, E> {
        Ok(RecordedBody(value.to_string().into_bytes()))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<RecordedBody, E> {
        Ok(RecordedBody(Vec::new()))
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<RecordedBody, E> {
        Ok(RecordedBody(Vec::new()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut frames: A) -> Result<RecordedBody, A::Error> {
        let mut bytes = Vec::new();
        while let Some(frame) = frames.next_element::<StreamFrame>()? {
            bytes.extend_from_slice(&frame.0);
        }
        Ok(RecordedBody(bytes))
    }
}

/// The wire text of one frame of a streamed body.
struct StreamFrame(Vec<u8>);

impl<'de> Deserialize<'de> for StreamFrame {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(StreamFrameVisitor)
    }
}

struct StreamFrameVisitor;

impl<'de> Visitor<'de> for StreamFrameVisitor {
    type Value = StreamFrame;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a stream frame with a data field")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StreamFrame, A::Error> {
        let mut bytes = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == "data" {
                bytes = map.next_value::<FrameData>()?.0;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(StreamFrame(bytes))
    }
}

/// A frame's `data`: a map of server-sent event fields, or a raw chunk of text.
struct FrameData(Vec<u8>);

impl<'de> Deserialize<'de> for FrameData {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FrameDataVisitor)
    }
}

struct FrameDataVisitor;

impl<'de> Visitor<'de> for FrameDataVisitor {
    type Value = FrameData;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("event fields or text")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<FrameData, E> {
        Ok(FrameData(text.as_bytes().to_vec()))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<FrameData, A::Error> {
        let fields = OrderedPairsVisitor.visit_map(map)?;
        let mut text = String::new();
        for (name, value) in fields.0 {
            // A multi-line value is sent as one line per line, each with the field name.
            for line in value.split('\n') {
                text.push_str(&name);
                text.push(':');
                text.push_str(line);
                text.push('\n');
            }
        }
        text.push('\n');
        Ok(FrameData(text.into_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use palisade_core::{Header, QueryParam};

    use super::*;

    const HTTP_CASE: &str = r#"# Generated by Keploy (2.10.29)
version: api.keploy.io/v1beta1
kind: Http
name: test-1
spec:
  metadata: {}
  req:
    method: post
    proto_major: 1
    proto_minor: 1
    url: http://localhost:8080/search?q=keploy&limit=5
    url_params:
      limit: "5"
      q: keploy
      extra: "1"
    header:
      Host: localhost:8080
      Content-Type: application/json
      Content-Length: 17
      Accept: '*/*'
    body: '{"name":"Ada"}'
    timestamp: 2024-05-24T15:54:01.743928985+05:30
  resp:
    status_code: 201
    header:
      Content-Type: application/json; charset=UTF-8
    body: |
      {"id":42}
    status_message: Created
    timestamp: 2024-05-24T15:54:01.744781236+05:30
  objects: []
  assertions:
    noise:
      header.Date: []
  created: 1716546243
curl: |-
  curl --request POST --url http://localhost:8080/search
"#;

    #[test]
    fn http_case_decodes() {
        let trace = decode(HTTP_CASE, &Limits::default()).unwrap().unwrap();
        assert_eq!(trace.request.method, "POST");
        assert_eq!(trace.request.scheme, "http");
        assert_eq!(trace.request.host, "localhost:8080");
        assert_eq!(trace.request.path, "/search");
        let query: Vec<_> = trace.request.query.iter().map(|p| (p.name.as_str(), p.value.as_str())).collect();
        assert_eq!(query, vec![("q", "keploy"), ("limit", "5"), ("extra", "1")]);
        assert_eq!(
            trace.request.headers,
            vec![
                Header::new("Host", "localhost:8080"),
                Header::new("Content-Type", "application/json"),
                Header::new("Content-Length", "17"),
                Header::new("Accept", "*/*"),
            ]
        );
        assert_eq!(trace.request.content_type.as_deref(), Some("application/json"));
        assert_eq!(trace.request.body.bytes, br#"{"name":"Ada"}"#);

        let response = trace.response.unwrap();
        assert_eq!(response.status, 201);
        assert_eq!(response.body.bytes, b"{\"id\":42}\n");
        assert_eq!(response.content_type.as_deref(), Some("application/json; charset=UTF-8"));

        assert_eq!(trace.meta.start_ms, 1_716_546_241_743);
        assert_eq!(trace.meta.duration_us, Some(852));
        assert_eq!(trace.meta.source, TraceSource::Keploy);
    }

    #[test]
    fn grpc_case_is_skipped() {
        let text = "version: api.keploy.io/v1beta1\nkind: gRPC\nname: test-1\nspec:\n  grpcReq:\n    headers: {}\n";
        assert_eq!(decode(text, &Limits::default()).unwrap(), None);
    }

    #[test]
    fn other_kind_is_skipped() {
        let text = "kind: Postgres\nspec:\n  req: [1, 2]\n";
        assert_eq!(decode(text, &Limits::default()).unwrap(), None);
    }

    #[test]
    fn missing_kind_is_error() {
        let error = decode("name: x\n", &Limits::default()).unwrap_err();
        assert_eq!(error.to_string(), "invalid Keploy test case: missing field \"kind\"");
    }

    #[test]
    fn missing_url_is_error() {
        let text = "kind: Http\nspec:\n  req:\n    method: GET\n";
        let error = decode(text, &Limits::default()).unwrap_err();
        assert_eq!(error.to_string(), "invalid Keploy test case: missing field \"spec.req.url\"");
    }

    #[test]
    fn invalid_yaml_has_position() {
        let text = "kind: Http\nspec:\n  req:\n    method: GET\n    url: [unclosed\n";
        let error = decode(text, &Limits::default()).unwrap_err();
        let DecodeError::InvalidYaml { line, column, message } = &error else {
            panic!("expected invalid YAML, got {error}");
        };
        assert_eq!(*line, 5);
        assert!(*column > 0);
        assert!(!message.contains("at line"), "{message}");
    }

    #[test]
    fn wrong_type_has_position() {
        let text = "kind: Http\nspec:\n  req:\n    method: GET\n    url: http://a/\n  resp:\n    status_code: ok\n";
        let error = decode(text, &Limits::default()).unwrap_err();
        assert!(matches!(error, DecodeError::InvalidYaml { line: 7, .. }), "{error}");
    }

    #[test]
    fn missing_timestamps_fall_back_to_created() {
        let text = "kind: Http\nspec:\n  req:\n    method: GET\n    url: http://a.example/\n  created: 1716546243\n";
        let trace = decode(text, &Limits::default()).unwrap().unwrap();
        assert_eq!(trace.meta.start_ms, 1_716_546_243_000);
        assert_eq!(trace.meta.duration_us, None);
        assert_eq!(trace.response, None);
    }

    #[test]
    fn go_zero_time_counts_as_missing() {
        let text = "kind: Http\nspec:\n  req:\n    method: GET\n    url: http://a.example/\n    timestamp: 0001-01-01T00:00:00Z\n  created: 5\n";
        let trace = decode(text, &Limits::default()).unwrap().unwrap();
        assert_eq!(trace.meta.start_ms, 5000);
    }

    #[test]
    fn gzip_header_on_plain_body_keeps_text() {
        let text = "kind: Http\nspec:\n  req:\n    method: GET\n    url: http://a.example/\n  resp:\n    status_code: 200\n    header:\n      Content-Encoding: gzip\n    body: plain\n";
        let trace = decode(text, &Limits::default()).unwrap().unwrap();
        assert_eq!(trace.response.unwrap().body.bytes, b"plain");
    }

    #[test]
    fn url_params_already_in_url_are_not_repeated() {
        let trace = decode(HTTP_CASE, &Limits::default()).unwrap().unwrap();
        let limits: Vec<&QueryParam> = trace.request.query.iter().filter(|p| p.name == "limit").collect();
        assert_eq!(limits.len(), 1);
    }

    #[test]
    fn event_stream_frames_become_wire_text() {
        let text = r#"kind: Http
spec:
  req:
    method: GET
    url: http://a.example/events
  resp:
    status_code: 200
    header:
      Content-Type: text/event-stream
    body:
      - ts: "2026-03-26T12:50:52.371930021Z"
        data:
          event: TICKER
          data: '[1]'
      - ts: "2026-03-26T12:50:53.371930021Z"
        data:
          id: "7"
          data: "line one\nline two"
"#;
        let trace = decode(text, &Limits::default()).unwrap().unwrap();
        let body = trace.response.unwrap().body.bytes;
        assert_eq!(
            String::from_utf8(body).unwrap(),
            "event:TICKER\ndata:[1]\n\nid:7\ndata:line one\ndata:line two\n\n"
        );
    }

    #[test]
    fn scalar_body_is_text() {
        let text = "kind: Http\nspec:\n  req:\n    method: POST\n    url: http://a.example/\n    body: 42\n";
        let trace = decode(text, &Limits::default()).unwrap().unwrap();
        assert_eq!(trace.request.body.bytes, b"42");
    }

    #[test]
    fn validation_failure_is_error() {
        let text = "kind: Http\nspec:\n  req:\n    method: G T\n    url: http://a.example/\n";
        let error = decode(text, &Limits::default()).unwrap_err();
        assert!(error.to_string().starts_with("invalid Keploy test case: invalid request method"), "{error}");
    }
}
