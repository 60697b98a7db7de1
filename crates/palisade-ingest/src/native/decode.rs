//! Decoding native traces from JSON.

use palisade_core::timestamp::parse_rfc3339;
use palisade_core::{AgentAnalysis, Body, Limits, Peer, Request, Response, Trace, TraceMeta, TraceSource};
use serde_json::Value;

use crate::encoding::decode_body;
use crate::error::{DecodeError, Position, TraceDecodeError};
use crate::http::{
    HeaderList, choose_host, collect_headers, content_encoding, content_type, decode_base64, normalize_method,
    parse_query, split_url, trace_scheme,
};
use crate::json::{self, Object, body_bytes, name_value_pairs};

/// Decodes a request body sent to `POST /api/v1/traces`: one trace object, or an array of
/// them.
///
/// Returns `Err` when the body is not JSON, or is neither an object nor an array. Otherwise
/// returns one result per trace, in order, so that a bad trace rejects only itself. Traces
/// without `meta.start_time` start at `received_ms`, in milliseconds since the Unix epoch.
pub fn decode(
    body: &[u8],
    limits: &Limits,
    received_ms: i64,
) -> Result<Vec<Result<Trace, TraceDecodeError>>, DecodeError> {
    let value = crate::parse_json(body)?;

    let items = match &value {
        Value::Array(items) => items.as_slice(),
        Value::Object(_) => std::slice::from_ref(&value),
        other => {
            return Err(DecodeError::UnexpectedShape {
                expected: "a JSON object or an array of objects",
                found: json::kind(other),
            });
        }
    };

    let results = items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            decode_value(item, limits, received_ms)
                .map_err(|message| TraceDecodeError::new(Position::Trace(index), message))
        })
        .collect();
    Ok(results)
}

/// Decodes one trace object. The error names the failing field.
pub(super) fn decode_value(value: &Value, limits: &Limits, received_ms: i64) -> Result<Trace, String> {
    let trace = Object::root(value)?;

    let request = decode_request(&trace.required_object("request")?, limits)?;
    let response = match trace.object("response")? {
        Some(response) => Some(decode_response(&response, limits)?),
        None => None,
    };
    let meta = match trace.object("meta")? {
        Some(meta) => decode_meta(&meta, received_ms)?,
        None => decode_meta_defaults(received_ms),
    };
    let agent = match trace.object("agent")? {
        Some(agent) => Some(decode_agent(&agent)?),
        None => None,
    };

    crate::validated(Trace { request, response, meta, agent }, limits)
}

fn decode_request(request: &Object, limits: &Limits) -> Result<Request, String> {
    let method = normalize_method(request.required_string("method")?);
    let list = read_headers(request)?;
    let target = read_target(request)?;

    let parts = split_url(target.url);
    let query = parse_query(parts.query);
    let host = choose_host(target.host.or(parts.authority), &list);
    let path = parts.path.to_string();

    let content_type = read_content_type(request, &list)?;
    let body = read_body(request, &list, limits)?;

    Ok(Request {
        method,
        scheme: target.scheme.to_string(),
        host,
        path,
        query,
        headers: list.headers,
        content_type,
        body,
    })
}

/// Target of a request: either an absolute `url`, or `host` and `path` with an optional
/// `scheme`.
struct Target<'a> {
    scheme: &'static str,
    host: Option<&'a str>,
    /// Absolute URL, or a path with an optional query string.
    url: &'a str,
}

fn read_target<'a>(request: &Object<'a>) -> Result<Target<'a>, String> {
    let url = request.string("url")?;
    let host = request.string("host")?;

    if let Some(url) = url {
        for other in ["host", "path", "scheme"] {
            if request.get(other).is_some() {
                return Err(format!(
                    "fields \"{}\" and \"{}\" cannot both be given: use an absolute url, or host and path",
                    request.path("url"),
                    request.path(other)
                ));
            }
        }
        let parts = split_url(url);
        let (Some(scheme), Some(authority)) = (parts.scheme, parts.authority) else {
            return Err(json::invalid(&request.path("url"), "an absolute http or https URL", &Value::from(url)));
        };
        let scheme =
            trace_scheme(scheme).map_err(|message| format!("invalid field \"{}\": {message}", request.path("url")))?;
        return Ok(Target { scheme, host: Some(authority), url });
    }

    let Some(host) = host else {
        return Err(format!(
            "missing field \"{}\" (or \"{}\" and \"path\")",
            request.path("url"),
            request.path("host")
        ));
    };
    let path = request.required_string("path")?;
    if split_url(path).scheme.is_some() || !path.starts_with('/') {
        return Err(json::invalid(&request.path("path"), "a path starting with '/'", &Value::from(path)));
    }
    let scheme = match request.string("scheme")? {
        Some(scheme) => trace_scheme(scheme)
            .map_err(|message| format!("invalid field \"{}\": {message}", request.path("scheme")))?,
        None => "http",
    };
    Ok(Target { scheme, host: Some(host), url: path })
}

fn decode_response(response: &Object, limits: &Limits) -> Result<Response, String> {
    let status_value = response.get("status").ok_or_else(|| json::missing(&response.path("status")))?;
    let status = status_value
        .as_u64()
        .and_then(|status| u16::try_from(status).ok())
        .ok_or_else(|| json::invalid(&response.path("status"), "an integer status code", status_value))?;

    let list = read_headers(response)?;
    let content_type = read_content_type(response, &list)?;
    let body = read_body(response, &list, limits)?;
    Ok(Response { status, headers: list.headers, content_type, body })
}

fn read_headers(message: &Object) -> Result<HeaderList, String> {
    let pairs = match message.array("headers")? {
        Some(items) => name_value_pairs(items, &message.path("headers"))?,
        None => Vec::new(),
    };
    Ok(collect_headers(pairs))
}

/// `content_type` when given (an empty string meaning none), else the `Content-Type` header.
fn read_content_type(message: &Object, list: &HeaderList) -> Result<Option<String>, String> {
    match message.string("content_type")? {
        Some(explicit) => Ok(content_type(&[], Some(explicit))),
        None => Ok(content_type(&list.headers, None)),
    }
}

/// Reads `body` (text or any JSON value) or `body_base64`, and `body_truncated`. Only base64
/// bodies are decoded by `Content-Encoding`, because compressed bytes cannot be JSON text.
fn read_body(message: &Object, list: &HeaderList, limits: &Limits) -> Result<Body, String> {
    let mut body = match (message.get("body"), message.get("body_base64")) {
        (Some(_), Some(_)) => {
            return Err(format!(
                "fields \"{}\" and \"{}\" cannot both be given",
                message.path("body"),
                message.path("body_base64")
            ));
        }
        (Some(value), None) => Body::capped(body_bytes(value), limits.max_body_bytes),
        (None, Some(Value::String(text))) => {
            let bytes = decode_base64(text).map_err(|error| {
                format!("invalid field \"{}\": invalid base64: {error}", message.path("body_base64"))
            })?;
            decode_body(bytes, content_encoding(&list.headers), limits.max_body_bytes)
        }
        (None, Some(other)) => return Err(json::invalid(&message.path("body_base64"), "a base64 string", other)),
        (None, None) => Body::default(),
    };
    if message.bool("body_truncated")?.unwrap_or(false) {
        body.truncated = true;
    }
    Ok(body)
}

fn decode_meta(meta: &Object, received_ms: i64) -> Result<TraceMeta, String> {
    let start_ms = match meta.get("start_time") {
        None => received_ms,
        Some(Value::String(text)) => parse_rfc3339(text).ok_or_else(|| {
            json::invalid(&meta.path("start_time"), "an RFC 3339 timestamp", &Value::from(text.as_str()))
        })?,
        Some(value) => {
            value.as_i64().ok_or_else(|| json::invalid(&meta.path("start_time"), "an RFC 3339 timestamp", value))?
        }
    };

    let duration_us = match meta.get("duration_ms") {
        None => None,
        Some(value) => {
            let milliseconds = value.as_f64().filter(|ms| ms.is_finite() && *ms >= 0.0);
            let milliseconds =
                milliseconds.ok_or_else(|| json::invalid(&meta.path("duration_ms"), "a non-negative number", value))?;
            // `as` saturates at u64::MAX for absurdly long durations.
            Some((milliseconds * 1000.0).round() as u64)
        }
    };

    Ok(TraceMeta {
        start_ms,
        duration_us,
        client: read_peer(meta, "client")?,
        server: read_peer(meta, "server")?,
        source: TraceSource::Native,
        environment: meta.string("environment")?.map(str::to_string),
        route: meta.string("route")?.map(str::to_string),
    })
}

fn decode_meta_defaults(received_ms: i64) -> TraceMeta {
    TraceMeta {
        start_ms: received_ms,
        duration_us: None,
        client: None,
        server: None,
        source: TraceSource::Native,
        environment: None,
        route: None,
    }
}

fn read_peer(meta: &Object, key: &str) -> Result<Option<Peer>, String> {
    let Some(peer) = meta.object(key)? else {
        return Ok(None);
    };
    let address = peer.required_string("address")?.to_string();
    let port = match peer.get("port") {
        None => None,
        Some(value) => {
            let port = value.as_u64().and_then(|port| u16::try_from(port).ok());
            Some(port.ok_or_else(|| json::invalid(&peer.path("port"), "a port number from 0 to 65535", value))?)
        }
    };
    Ok(Some(Peer { address, port }))
}

fn decode_agent(agent: &Object) -> Result<AgentAnalysis, String> {
    Ok(AgentAnalysis {
        redacted: agent.bool("redacted")?.unwrap_or(false),
        field_types: read_named_paths(agent, "field_types")?,
        data_classes: read_named_paths(agent, "data_classes")?,
        xss_fields: read_strings(agent, "xss_fields")?,
        sqli_fields: read_strings(agent, "sqli_fields")?,
    })
}

/// Reads `[{"path": ..., "names": [...]}, ...]`.
fn read_named_paths(agent: &Object, key: &str) -> Result<Vec<(String, Vec<String>)>, String> {
    let Some(items) = agent.array(key)? else {
        return Ok(Vec::new());
    };
    let mut entries = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let entry = Object::at(item, format!("{}[{index}]", agent.path(key)))?;
        let path = entry.required_string("path")?.to_string();
        let names = read_strings(&entry, "names")?;
        entries.push((path, names));
    }
    Ok(entries)
}

fn read_strings(object: &Object, key: &str) -> Result<Vec<String>, String> {
    let Some(items) = object.array(key)? else {
        return Ok(Vec::new());
    };
    let mut strings = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        match item {
            Value::String(text) => strings.push(text.clone()),
            other => return Err(json::invalid(&format!("{}[{index}]", object.path(key)), "a string", other)),
        }
    }
    Ok(strings)
}
