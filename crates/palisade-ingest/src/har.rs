//! HAR 1.2 files, as Chromium devtools, Firefox devtools and mitmproxy save them, read as a
//! stream so that a file of any size takes memory for one entry at a time.
//!
//! Each entry of `log.entries` becomes one trace: `startedDateTime` and `time` give the start
//! and duration, `request` and `response` the messages, and `serverIPAddress` the server
//! peer. Unknown fields, such as the `_`-prefixed ones Chromium writes, are ignored.
//! Response bodies in `content.text` are already decoded from their `Content-Encoding`, as
//! the HAR 1.2 specification requires, so they are never decoded again.

use std::fmt;
use std::io::{self, BufReader, Read};

use palisade_core::timestamp::parse_rfc3339;
use palisade_core::{Body, Limits, Peer, Request, Response, Trace, TraceMeta, TraceSource};
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::ImportSummary;
use crate::error::{DecodeError, Position, TraceDecodeError, json_message};
use crate::http::{
    UrlParts, choose_host, collect_headers, content_type, decode_base64, merge_listed_params, normalize_method,
    parse_query, split_url, trace_scheme,
};
use crate::json::{self, Object, name_value_pairs};

/// Reads a HAR file and calls `on_trace` with the result of each entry as soon as the entry
/// has been read. A bad entry gives an error naming its index in `log.entries` (counting from
/// 0), and reading goes on with the next entry.
///
/// Returns `Err` when the input is not a HAR document, is not valid JSON, ends early (a
/// truncated file, whose entries before the cut have been delivered), or cannot be read. The
/// reader does not need to be buffered.
pub fn read_har<R: Read>(
    reader: R,
    limits: &Limits,
    mut on_trace: impl FnMut(Result<Trace, TraceDecodeError>),
) -> Result<ImportSummary, DecodeError> {
    let mut counting = CountingReader { inner: BufReader::with_capacity(64 * 1024, reader), consumed: 0 };
    let mut state = HarState {
        limits,
        on_trace: &mut on_trace,
        stage: Stage::Start,
        entries: 0,
        summary: ImportSummary::default(),
    };

    let mut deserializer = serde_json::Deserializer::from_reader(&mut counting);
    let result = RootSeed { state: &mut state }.deserialize(&mut deserializer).and_then(|()| deserializer.end());
    drop(deserializer);

    match result {
        Ok(()) => Ok(state.summary),
        Err(error) => Err(classify_error(error, state.stage, counting.consumed, state.entries)),
    }
}

/// How far into the document the reader got, to tell "not a HAR file" from a broken one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Before the top-level value.
    Start,
    /// Inside the top-level object, before `log`.
    Root,
    /// Inside `log`, before `entries`.
    Log,
    /// Inside the `log.entries` array.
    Entries,
    /// After the end of `log.entries`.
    AfterEntries,
}

fn classify_error(error: serde_json::Error, stage: Stage, consumed: u64, entries: usize) -> DecodeError {
    if error.is_io() {
        return DecodeError::Io(io::Error::from(error));
    }
    if error.is_eof() {
        if stage == Stage::Start {
            return DecodeError::NotHar { reason: "the input is empty".to_string() };
        }
        return DecodeError::Truncated { byte: consumed, line: error.line(), column: error.column(), entries };
    }
    if error.is_data() {
        let reason = match stage {
            Stage::Start | Stage::Root => "expected a JSON object with a \"log\" object",
            Stage::Log => "expected \"log\" to be an object with an \"entries\" array",
            Stage::Entries | Stage::AfterEntries => "unexpected JSON structure",
        };
        return DecodeError::NotHar { reason: format!("{reason} (line {} column {})", error.line(), error.column()) };
    }
    DecodeError::InvalidJson { line: error.line(), column: error.column(), message: json_message(&error) }
}

/// Counts the bytes that serde_json has taken, for the position of a truncated file.
struct CountingReader<R> {
    inner: R,
    consumed: u64,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buffer)?;
        self.consumed += read as u64;
        Ok(read)
    }
}

struct HarState<'a> {
    limits: &'a Limits,
    on_trace: &'a mut dyn FnMut(Result<Trace, TraceDecodeError>),
    stage: Stage,
    /// Entries read so far, which is also the index of the next entry.
    entries: usize,
    summary: ImportSummary,
}

/// Visits the top-level object and hands its `log` member to [`LogSeed`].
struct RootSeed<'s, 'a> {
    state: &'s mut HarState<'a>,
}

impl<'de> DeserializeSeed<'de> for RootSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RootSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a HAR object with a \"log\" member")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.state.stage = Stage::Root;
        let mut saw_log = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "log" && !saw_log {
                saw_log = true;
                self.state.stage = Stage::Log;
                map.next_value_seed(LogSeed { state: self.state })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        if !saw_log {
            return Err(serde::de::Error::missing_field("log"));
        }
        Ok(())
    }
}

/// Visits `log` and streams its `entries` through [`EntriesSeed`].
struct LogSeed<'s, 'a> {
    state: &'s mut HarState<'a>,
}

impl<'de> DeserializeSeed<'de> for LogSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for LogSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a HAR log object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut saw_entries = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "entries" && !saw_entries {
                saw_entries = true;
                map.next_value_seed(EntriesSeed { state: self.state })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        if !saw_entries {
            self.state.stage = Stage::Log;
            return Err(serde::de::Error::missing_field("entries"));
        }
        Ok(())
    }
}

/// Visits `log.entries`, decoding one entry at a time and handing it to the callback before
/// the next one is read.
struct EntriesSeed<'s, 'a> {
    state: &'s mut HarState<'a>,
}

impl<'de> DeserializeSeed<'de> for EntriesSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for EntriesSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an array of HAR entries")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let state = self.state;
        state.stage = Stage::Entries;
        // Each entry is parsed into a `Value` first, so that a malformed entry is reported
        // and skipped instead of ending the whole stream.
        while let Some(entry) = seq.next_element::<Value>()? {
            let index = state.entries;
            state.entries += 1;
            let result = decode_entry(&entry, state.limits)
                .map_err(|message| TraceDecodeError::new(Position::Entry(index), message));
            drop(entry);
            state.summary.count(&result);
            (state.on_trace)(result);
        }
        state.stage = Stage::AfterEntries;
        Ok(())
    }
}

/// Decodes one HAR entry. The error names the failing field.
fn decode_entry(value: &Value, limits: &Limits) -> Result<Trace, String> {
    let entry = Object::root(value)?;

    let started = entry.required_string("startedDateTime")?;
    let start_ms = parse_rfc3339(started)
        .ok_or_else(|| json::invalid(&entry.path("startedDateTime"), "an RFC 3339 timestamp", &Value::from(started)))?;
    // `time` is the entry's total time in milliseconds. A negative or missing value means unknown.
    let duration_us = entry
        .get("time")
        .and_then(Value::as_f64)
        .filter(|ms| ms.is_finite() && *ms >= 0.0)
        .map(|ms| (ms * 1000.0).round() as u64);

    let request_object = entry.required_object("request")?;
    let url = request_object.required_string("url")?;
    let parts = split_url(url);
    let Some(scheme) = parts.scheme else {
        return Err(json::invalid(&request_object.path("url"), "an absolute URL", &Value::from(url)));
    };
    let scheme = trace_scheme(scheme).map_err(|message| format!("invalid field \"request.url\": {message}"))?;
    let request = decode_request(&request_object, parts, scheme, limits)?;

    let response = decode_response(&entry.required_object("response")?, limits)?;
    let server = server_peer(&entry, parts, scheme)?;

    let trace = Trace {
        request,
        response,
        meta: TraceMeta {
            start_ms,
            duration_us,
            client: None,
            server,
            source: TraceSource::Har,
            environment: None,
            route: None,
        },
        agent: None,
    };
    crate::validated(trace, limits)
}

fn decode_request(request: &Object, parts: UrlParts, scheme: &str, limits: &Limits) -> Result<Request, String> {
    let method = normalize_method(request.required_string("method")?);

    let mut query = parse_query(parts.query);
    if let Some(items) = request.array("queryString")? {
        merge_listed_params(&mut query, name_value_pairs(items, &request.path("queryString"))?);
    }

    let list = match request.array("headers")? {
        Some(items) => collect_headers(name_value_pairs(items, &request.path("headers"))?),
        None => collect_headers(Vec::new()),
    };
    let host = choose_host(parts.authority, &list);

    let (body, mime_type) = match request.object("postData")? {
        Some(post_data) => (post_data_body(&post_data, limits)?, post_data.string("mimeType")?),
        None => (Body::default(), None),
    };
    let content_type = content_type(&list.headers, mime_type);

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

/// Builds the request body from `postData`: `text` (base64 when `encoding` is `base64`), or,
/// for a form saved only as `params`, those parameters URL-encoded.
fn post_data_body(post_data: &Object, limits: &Limits) -> Result<Body, String> {
    if let Some(text) = post_data.string("text")? {
        let bytes = text_bytes(post_data, text)?;
        return Ok(Body::capped(bytes, limits.max_body_bytes));
    }
    let Some(items) = post_data.array("params")? else {
        return Ok(Body::default());
    };
    let params = name_value_pairs(items, &post_data.path("params"))?;
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (name, value) in &params {
        form.append_pair(name, value);
    }
    Ok(Body::capped(form.finish().into_bytes(), limits.max_body_bytes))
}

/// Bytes of a `text` field, base64-decoded when the object's `encoding` is `base64`.
fn text_bytes(object: &Object, text: &str) -> Result<Vec<u8>, String> {
    let base64 = object.string("encoding")?.is_some_and(|encoding| encoding.eq_ignore_ascii_case("base64"));
    if !base64 {
        return Ok(text.as_bytes().to_vec());
    }
    decode_base64(text).map_err(|error| format!("invalid field \"{}\": invalid base64: {error}", object.path("text")))
}

/// Decodes the response. Returns `None` for status 0, which Chromium writes for a request
/// that was aborted or blocked before any response arrived.
fn decode_response(response: &Object, limits: &Limits) -> Result<Option<Response>, String> {
    let status = response.lenient_status("status")?.ok_or_else(|| json::missing(&response.path("status")))?;
    if status == 0 {
        return Ok(None);
    }

    let headers = match response.array("headers")? {
        Some(items) => collect_headers(name_value_pairs(items, &response.path("headers"))?).headers,
        None => Vec::new(),
    };

    let (body, mime_type) = match response.object("content")? {
        Some(content) => {
            let bytes = match content.string("text")? {
                Some(text) => text_bytes(&content, text)?,
                None => Vec::new(),
            };
            (Body::capped(bytes, limits.max_body_bytes), content.string("mimeType")?)
        }
        None => (Body::default(), None),
    };
    let content_type = content_type(&headers, mime_type);

    Ok(Some(Response { status, headers, content_type, body }))
}

/// Builds the server peer from `serverIPAddress`, with the URL's port or the scheme's default port.
/// HAR's `connection` field is not used for the port, because Chromium writes a connection
/// id there.
fn server_peer(entry: &Object, parts: UrlParts, scheme: &str) -> Result<Option<Peer>, String> {
    let Some(address) = entry.string("serverIPAddress")? else {
        return Ok(None);
    };
    // Chromium writes IPv6 addresses in brackets, as in URLs.
    let address = address.trim().trim_start_matches('[').trim_end_matches(']');
    if address.is_empty() {
        return Ok(None);
    }

    let url_port = parts.authority.and_then(authority_port);
    let default_port = if scheme == "https" { 443 } else { 80 };
    Ok(Some(Peer { address: address.to_string(), port: Some(url_port.unwrap_or(default_port)) }))
}

/// Returns the port of `host:port` or `[v6]:port`, if one is written.
fn authority_port(authority: &str) -> Option<u16> {
    let (host, port) = authority.rsplit_once(':')?;
    if host.contains(':') && !host.ends_with(']') {
        // A bare IPv6 address without a port.
        return None;
    }
    port.parse().ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn read(text: &str) -> (Result<ImportSummary, DecodeError>, Vec<Result<Trace, TraceDecodeError>>) {
        let mut results = Vec::new();
        let summary = read_har(text.as_bytes(), &Limits::default(), |result| results.push(result));
        (summary, results)
    }

    fn har_with(entries: Value) -> String {
        json!({"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": entries}}).to_string()
    }

    fn entry() -> Value {
        json!({
            "startedDateTime": "2024-06-24T07:35:56.522Z",
            "time": 12.25,
            "request": {
                "method": "get", "url": "https://api.example.com:8443/users?page=2", "httpVersion": "HTTP/1.1",
                "headers": [{"name": "Host", "value": "api.example.com:8443"}],
                "queryString": [{"name": "page", "value": "2"}],
                "headersSize": -1, "bodySize": 0
            },
            "response": {
                "status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1",
                "headers": [{"name": "Content-Type", "value": "application/json"}],
                "content": {"size": 2, "mimeType": "application/json", "text": "[]"}
            },
            "serverIPAddress": "[2001:db8::1]",
            "connection": "12345"
        })
    }

    #[test]
    fn entry_decodes() {
        let (summary, results) = read(&har_with(json!([entry()])));
        assert_eq!(summary.unwrap(), ImportSummary { decoded: 1, rejected: 0 });
        let trace = results[0].clone().unwrap();
        assert_eq!(trace.request.method, "GET");
        assert_eq!(trace.request.scheme, "https");
        assert_eq!(trace.request.host, "api.example.com:8443");
        assert_eq!(trace.request.path, "/users");
        assert_eq!(trace.request.query.len(), 1);
        assert_eq!(trace.meta.start_ms, 1_719_214_556_522);
        assert_eq!(trace.meta.duration_us, Some(12_250));
        assert_eq!(trace.meta.server, Some(Peer { address: "2001:db8::1".into(), port: Some(8443) }));
        assert_eq!(trace.meta.source, TraceSource::Har);
        assert_eq!(trace.response.unwrap().body.bytes, b"[]");
    }

    #[test]
    fn bad_entry_rejects_only_itself() {
        let mut bad = entry();
        bad["request"].as_object_mut().unwrap().remove("method");
        let (summary, results) = read(&har_with(json!([entry(), bad, entry()])));
        assert_eq!(summary.unwrap(), ImportSummary { decoded: 2, rejected: 1 });
        assert_eq!(results[1].clone().unwrap_err().to_string(), "entry 1: missing field \"request.method\"");
    }

    #[test]
    fn relative_url_is_rejected() {
        let mut bad = entry();
        bad["request"]["url"] = json!("/users");
        let (_, results) = read(&har_with(json!([bad])));
        let error = results[0].clone().unwrap_err().to_string();
        assert_eq!(error, "entry 0: invalid field \"request.url\": expected an absolute URL, found string \"/users\"");
    }

    #[test]
    fn unsupported_scheme_is_rejected() {
        let mut bad = entry();
        bad["request"]["url"] = json!("chrome-extension://abc/popup.html");
        let (_, results) = read(&har_with(json!([bad])));
        let error = results[0].clone().unwrap_err().to_string();
        assert!(error.starts_with("entry 0: invalid field \"request.url\": unsupported URL scheme"), "{error}");
    }

    #[test]
    fn form_params_without_text_become_body() {
        let mut form = entry();
        form["request"]["method"] = json!("POST");
        form["request"]["postData"] = json!({
            "mimeType": "application/x-www-form-urlencoded",
            "params": [{"name": "user", "value": "ada lovelace"}, {"name": "next", "value": "/a&b"}]
        });
        let (_, results) = read(&har_with(json!([form])));
        let request = results[0].clone().unwrap().request;
        assert_eq!(request.body.bytes, b"user=ada+lovelace&next=%2Fa%26b");
        assert_eq!(request.content_type.as_deref(), Some("application/x-www-form-urlencoded"));
    }

    #[test]
    fn post_data_base64_is_decoded() {
        let mut post = entry();
        post["request"]["postData"] =
            json!({"mimeType": "application/octet-stream", "text": "AAEC/w==", "encoding": "base64"});
        let (_, results) = read(&har_with(json!([post])));
        assert_eq!(results[0].clone().unwrap().request.body.bytes, [0, 1, 2, 255]);
    }

    #[test]
    fn missing_log_is_not_har() {
        let (summary, results) = read(r#"{"entries": []}"#);
        assert!(matches!(summary, Err(DecodeError::NotHar { .. })), "{summary:?}");
        assert!(results.is_empty());

        let (summary, _) = read(r#"[1, 2]"#);
        let error = summary.unwrap_err().to_string();
        assert!(error.starts_with("not a HAR file: expected a JSON object with a \"log\" object"), "{error}");

        let (summary, _) = read(r#"{"log": {"version": "1.2"}}"#);
        let error = summary.unwrap_err().to_string();
        assert!(error.starts_with("not a HAR file: expected \"log\" to be an object"), "{error}");

        let (summary, _) = read(r#"{"log": {"entries": {}}}"#);
        assert!(matches!(summary, Err(DecodeError::NotHar { .. })), "{summary:?}");
    }

    #[test]
    fn empty_input_is_not_har() {
        let (summary, _) = read("");
        assert_eq!(summary.unwrap_err().to_string(), "not a HAR file: the input is empty");
        let (summary, _) = read("  \n ");
        assert!(matches!(summary, Err(DecodeError::NotHar { .. })), "{summary:?}");
    }

    #[test]
    fn trailing_garbage_is_invalid_json() {
        let text = har_with(json!([entry()])) + " x";
        let (summary, results) = read(&text);
        assert_eq!(results.len(), 1);
        assert!(matches!(summary, Err(DecodeError::InvalidJson { .. })), "{summary:?}");
    }

    #[test]
    fn entries_after_pages_and_before_other_members() {
        let text = json!({"log": {"pages": [{"id": "page_1"}], "entries": [entry()], "comment": "x"}}).to_string();
        let (summary, results) = read(&text);
        assert_eq!(summary.unwrap().decoded, 1);
        assert_eq!(results.len(), 1);
    }

    #[test]
    fn authority_port_forms() {
        assert_eq!(authority_port("a.example:8080"), Some(8080));
        assert_eq!(authority_port("a.example"), None);
        assert_eq!(authority_port("[::1]:9000"), Some(9000));
        assert_eq!(authority_port("[::1]"), None);
    }
}
