//! Metlo trace JSON, as Metlo agents and SDK middlewares send it to
//! `/api/v1/log-request/{single,batch}` and `/api/v2/log-request/{single,batch}`.
//!
//! A v1 trace is
//! `{request: {url: {host, path, parameters: [{name, value}]}, headers: [{name, value}], body,
//! method}, response: {status, headers, body}, meta: {incoming, source, sourcePort,
//! destination, destinationPort, environment, metloSource}}`. A v2 trace may add
//! `request.url.endpointPath`, `redacted`, `sessionMeta`, `analysisType`, `request.user` and
//! `processedTraceData`.
//!
//! Agents differ in how they type fields, so the decoder accepts ports and status codes as
//! numbers or numeric strings, booleans as strings, bodies as strings or any JSON value,
//! `null` for any optional field, and unknown fields. Metlo traces carry no time, so every
//! trace starts at the time the collector received it.

use palisade_core::trace::truncate_for_message;
use palisade_core::{AgentAnalysis, Body, Limits, Peer, Request, Response, Trace, TraceMeta, TraceSource};
use serde_json::Value;

use crate::encoding::decode_body;
use crate::error::{DecodeError, Position, TraceDecodeError};
use crate::http::{
    choose_host, collect_headers, content_encoding, content_type, merge_listed_params, normalize_method, parse_query,
    split_url, trace_scheme,
};
use crate::json::{self, Object, body_bytes, name_value_pairs};

/// The collector API version a trace was sent to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetloVersion {
    V1,
    /// Reads the v2 fields too: `request.url.endpointPath`, `redacted` and
    /// `processedTraceData`.
    V2,
}

/// Decodes a request body sent to `/api/vN/log-request/single` (`batch == false`, one JSON
/// object) or `/api/vN/log-request/batch` (`batch == true`, a JSON array of objects).
///
/// Returns `Err` when the body is not JSON or not of that shape. Otherwise returns one result
/// per trace, in order, so that a bad trace in a batch rejects only itself. Traces start at
/// `received_ms`, in milliseconds since the Unix epoch.
pub fn decode(
    body: &[u8],
    version: MetloVersion,
    batch: bool,
    limits: &Limits,
    received_ms: i64,
) -> Result<Vec<Result<Trace, TraceDecodeError>>, DecodeError> {
    let value = crate::parse_json(body)?;

    let items = match (batch, &value) {
        (true, Value::Array(items)) => items.as_slice(),
        (false, Value::Object(_)) => std::slice::from_ref(&value),
        (true, other) => {
            return Err(DecodeError::UnexpectedShape { expected: "a JSON array of traces", found: json::kind(other) });
        }
        (false, other) => {
            return Err(DecodeError::UnexpectedShape { expected: "a JSON object", found: json::kind(other) });
        }
    };

    let results = items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            decode_trace(item, version, limits, received_ms)
                .map_err(|message| TraceDecodeError::new(Position::Trace(index), message))
        })
        .collect();
    Ok(results)
}

fn decode_trace(value: &Value, version: MetloVersion, limits: &Limits, received_ms: i64) -> Result<Trace, String> {
    let trace = Object::root(value)?;
    let request_object = trace.required_object("request")?;
    let meta_object = trace.object("meta")?;
    let v2 = version == MetloVersion::V2;
    let processed = if v2 { trace.object("processedTraceData")? } else { None };

    // Peers and scheme. Metlo has no scheme field, so port 443 is the only hint of TLS.
    let client = meta_object.as_ref().and_then(|meta| peer(meta, "source", "sourcePort"));
    let server = meta_object.as_ref().and_then(|meta| peer(meta, "destination", "destinationPort"));
    let environment = match &meta_object {
        Some(meta) => meta.scalar_text("environment")?,
        None => None,
    };

    let request_content_type = match &processed {
        Some(processed) => processed.string("requestContentType")?,
        None => None,
    };
    let mut request = decode_request(&request_object, request_content_type, limits)?;
    if request.scheme.is_empty() {
        let server_port = meta_object.as_ref().and_then(|meta| meta.lenient_port("destinationPort"));
        request.scheme = if server_port == Some(443) { "https" } else { "http" }.to_string();
    }

    let response_content_type = match &processed {
        Some(processed) => processed.string("responseContentType")?,
        None => None,
    };
    let response = match trace.object("response")? {
        Some(response) => Some(decode_response(&response, response_content_type, limits)?),
        None => None,
    };

    // Version 2 additions: the route template and the agent's own analysis.
    let mut route = None;
    let mut agent = None;
    if v2 {
        // `url` may also be a plain string, which has no route.
        if let Some(url @ Value::Object(_)) = request_object.get("url") {
            let url = Object::at(url, request_object.path("url"))?;
            route = url.string("endpointPath")?.filter(|path| !path.is_empty()).map(str::to_string);
        }
        let redacted = trace.lenient_bool("redacted")?.unwrap_or(false);
        agent = agent_analysis(processed.as_ref(), redacted)?;
    }

    let trace = Trace {
        request,
        response,
        meta: TraceMeta {
            start_ms: received_ms,
            duration_us: None,
            client,
            server,
            source: TraceSource::Metlo,
            environment,
            route,
        },
        agent,
    };
    crate::validated(trace, limits)
}

/// Decodes `request`. The scheme is left empty unless `url.path` is an absolute URL, and the
/// caller then fills it in from the server port.
fn decode_request(request: &Object, fallback_content_type: Option<&str>, limits: &Limits) -> Result<Request, String> {
    let method = normalize_method(request.required_string("method")?);

    // `url` is normally an object, but a plain URL string is accepted too.
    let (own_host, raw_path, listed) = match request.get("url") {
        Some(Value::String(url)) => (None, url.as_str(), Vec::new()),
        Some(_) => {
            let url = request.required_object("url")?;
            let parameters = match url.array("parameters")? {
                Some(items) => name_value_pairs(items, &url.path("parameters"))?,
                None => Vec::new(),
            };
            (url.scalar_text("host")?, url.required_string("path")?, parameters)
        }
        None => return Err(json::missing(&request.path("url"))),
    };

    // Some middlewares put the query string, or the whole URL, in `path`.
    let parts = split_url(raw_path);
    let scheme = match parts.scheme {
        Some(scheme) => trace_scheme(scheme)?.to_string(),
        None => String::new(),
    };
    let mut query = parse_query(parts.query);
    merge_listed_params(&mut query, listed);
    let path = if parts.path.is_empty() { "/" } else { parts.path }.to_string();

    let list = match request.array("headers")? {
        Some(items) => collect_headers(name_value_pairs(items, &request.path("headers"))?),
        None => collect_headers(Vec::new()),
    };
    let own_host = own_host.as_deref().or(parts.authority);
    let host = choose_host(own_host, &list);

    let body = read_body(request, &list.headers, limits);
    let content_type = content_type(&list.headers, fallback_content_type);

    Ok(Request { method, scheme, host, path, query, headers: list.headers, content_type, body })
}

fn decode_response(
    response: &Object,
    fallback_content_type: Option<&str>,
    limits: &Limits,
) -> Result<Response, String> {
    let status = response.lenient_status("status")?.ok_or_else(|| json::missing(&response.path("status")))?;
    let headers = match response.array("headers")? {
        Some(items) => collect_headers(name_value_pairs(items, &response.path("headers"))?).headers,
        None => Vec::new(),
    };
    let body = read_body(response, &headers, limits);
    let content_type = content_type(&headers, fallback_content_type);
    Ok(Response { status, headers, content_type, body })
}

/// Reads the body as text or serialized JSON, decoded by its `Content-Encoding` and capped.
fn read_body(object: &Object, headers: &[palisade_core::Header], limits: &Limits) -> Body {
    let bytes = object.get("body").map(body_bytes).unwrap_or_default();
    decode_body(bytes, content_encoding(headers), limits.max_body_bytes)
}

/// Builds a peer from an address field and a port field. Returns `None` when the address is
/// missing or empty.
fn peer(meta: &Object, address_key: &str, port_key: &str) -> Option<Peer> {
    let address = meta.get(address_key).and_then(json::scalar_text)?;
    let address = address.trim();
    if address.is_empty() {
        return None;
    }
    Some(Peer { address: address.to_string(), port: meta.lenient_port(port_key) })
}

/// Maps `processedTraceData` and `redacted` to the agent's analysis. `None` when the trace
/// has neither.
fn agent_analysis(processed: Option<&Object>, redacted: bool) -> Result<Option<AgentAnalysis>, String> {
    let Some(processed) = processed else {
        return Ok(redacted.then(|| AgentAnalysis { redacted, ..AgentAnalysis::default() }));
    };
    Ok(Some(AgentAnalysis {
        redacted,
        field_types: names_by_path(processed, "dataTypes")?,
        data_classes: names_by_path(processed, "sensitiveDataDetected")?,
        xss_fields: detected_paths(processed, "xssDetected")?,
        sqli_fields: detected_paths(processed, "sqliDetected")?,
    }))
}

/// Reads a map from field path to a list of names, such as `{"resBody.id": ["number"]}`. A
/// single string stands for a list of one. Other values in a list are skipped.
fn names_by_path(processed: &Object, key: &str) -> Result<Vec<(String, Vec<String>)>, String> {
    let Some(map) = processed.object(key)? else {
        return Ok(Vec::new());
    };
    let mut entries = Vec::new();
    for (path, names) in map_entries(processed, key) {
        let names = match names {
            Value::String(name) => vec![name.clone()],
            Value::Array(items) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            Value::Null => Vec::new(),
            other => {
                // The key is the agent's field path, so it is shortened like any input text.
                let field = map.path(&truncate_for_message(path));
                return Err(json::invalid(&field, "an array of names", other));
            }
        };
        entries.push((path.clone(), names));
    }
    Ok(entries)
}

/// Reads the field paths of `xssDetected` or `sqliDetected`: the keys of a map whose values
/// may be anything, or the strings of an array.
fn detected_paths(processed: &Object, key: &str) -> Result<Vec<String>, String> {
    match processed.get(key) {
        None => Ok(Vec::new()),
        Some(Value::Object(_)) => Ok(map_entries(processed, key).map(|(path, _)| path.clone()).collect()),
        Some(Value::Array(items)) => Ok(items.iter().filter_map(Value::as_str).map(str::to_string).collect()),
        Some(other) => Err(json::invalid(&processed.path(key), "an object", other)),
    }
}

/// Returns the entries of the object at `key`, or none when it is not an object.
fn map_entries<'a>(object: &Object<'a>, key: &str) -> impl Iterator<Item = (&'a String, &'a Value)> {
    object.get(key).and_then(Value::as_object).into_iter().flatten()
}

#[cfg(test)]
mod tests {
    use palisade_core::{Header, QueryParam};
    use serde_json::json;

    use super::*;

    const RECEIVED_MS: i64 = 1_719_214_556_522;

    fn decode_one(value: Value, version: MetloVersion) -> Result<Trace, TraceDecodeError> {
        let body = serde_json::to_vec(&value).unwrap();
        let mut results = decode(&body, version, false, &Limits::default(), RECEIVED_MS).unwrap();
        assert_eq!(results.len(), 1);
        results.remove(0)
    }

    fn v1_trace() -> Value {
        json!({
            "request": {
                "url": {"host": "api.example.com", "path": "/users/3", "parameters": [{"name": "expand", "value": "orders"}]},
                "headers": [{"name": "Content-Type", "value": "application/json"}, {"name": "Accept", "value": "*/*"}],
                "body": "{\"name\":\"Ada\"}",
                "method": "post"
            },
            "response": {"status": 201, "headers": [{"name": "Content-Type", "value": "application/json"}], "body": "{\"id\":3}"},
            "meta": {
                "incoming": true, "source": "10.0.0.7", "sourcePort": 51514,
                "destination": "10.0.0.2", "destinationPort": 443,
                "environment": "production", "metloSource": "python/flask"
            }
        })
    }

    #[test]
    fn v1_trace_decodes() {
        let trace = decode_one(v1_trace(), MetloVersion::V1).unwrap();
        assert_eq!(trace.request.method, "POST");
        assert_eq!(trace.request.scheme, "https");
        assert_eq!(trace.request.host, "api.example.com");
        assert_eq!(trace.request.path, "/users/3");
        assert_eq!(trace.request.query, vec![QueryParam { name: "expand".into(), value: "orders".into() }]);
        assert_eq!(trace.request.headers[1], Header::new("Accept", "*/*"));
        assert_eq!(trace.request.content_type.as_deref(), Some("application/json"));
        assert_eq!(trace.request.body.bytes, br#"{"name":"Ada"}"#);
        let response = trace.response.unwrap();
        assert_eq!(response.status, 201);
        assert_eq!(response.body.bytes, br#"{"id":3}"#);
        assert_eq!(trace.meta.start_ms, RECEIVED_MS);
        assert_eq!(trace.meta.client, Some(Peer { address: "10.0.0.7".into(), port: Some(51514) }));
        assert_eq!(trace.meta.server, Some(Peer { address: "10.0.0.2".into(), port: Some(443) }));
        assert_eq!(trace.meta.environment.as_deref(), Some("production"));
        assert_eq!(trace.meta.source, TraceSource::Metlo);
        assert_eq!(trace.agent, None);
    }

    #[test]
    fn port_443_without_address_is_https() {
        let mut value = v1_trace();
        value["meta"] = json!({"destinationPort": "443"});
        let trace = decode_one(value, MetloVersion::V1).unwrap();
        assert_eq!(trace.request.scheme, "https");
        assert_eq!(trace.meta.server, None);
    }

    #[test]
    fn scheme_is_http_unless_port_443() {
        let mut value = v1_trace();
        value["meta"]["destinationPort"] = json!("8080");
        assert_eq!(decode_one(value, MetloVersion::V1).unwrap().request.scheme, "http");

        let mut value = v1_trace();
        value["meta"] = Value::Null;
        let trace = decode_one(value, MetloVersion::V1).unwrap();
        assert_eq!(trace.request.scheme, "http");
        assert_eq!(trace.meta.server, None);
    }

    #[test]
    fn path_with_query_is_split() {
        let mut value = v1_trace();
        value["request"]["url"]["path"] = json!("/search?q=a+b&expand=orders");
        let trace = decode_one(value, MetloVersion::V1).unwrap();
        assert_eq!(trace.request.path, "/search");
        let names: Vec<_> = trace.request.query.iter().map(|p| (p.name.as_str(), p.value.as_str())).collect();
        assert_eq!(names, vec![("q", "a b"), ("expand", "orders")]);
    }

    #[test]
    fn missing_host_uses_host_header() {
        let mut value = v1_trace();
        value["request"]["url"]["host"] = Value::Null;
        value["request"]["headers"] = json!([{"name": "Host", "value": "h.example:8080"}]);
        assert_eq!(decode_one(value, MetloVersion::V1).unwrap().request.host, "h.example:8080");
    }

    #[test]
    fn v1_ignores_v2_fields() {
        let mut value = v1_trace();
        value["redacted"] = json!(true);
        value["request"]["url"]["endpointPath"] = json!("/users/{id}");
        let trace = decode_one(value, MetloVersion::V1).unwrap();
        assert_eq!(trace.agent, None);
        assert_eq!(trace.meta.route, None);
    }

    #[test]
    fn v2_maps_processed_trace_data() {
        let mut value = v1_trace();
        value["request"]["url"]["endpointPath"] = json!("/users/{id}");
        value["redacted"] = json!("true");
        value["processedTraceData"] = json!({
            "dataTypes": {"resBody.id": ["number"], "reqHeaders.User-Agent": "string"},
            "sensitiveDataDetected": {"resBody.email": ["Email"]},
            "xssDetected": {"reqQuery.q": "<script>"},
            "sqliDetected": {"reqBody.name": ["' OR 1=1", "tautology"]},
            "requestContentType": "application/json",
            "block": false
        });
        let trace = decode_one(value, MetloVersion::V2).unwrap();
        assert_eq!(trace.meta.route.as_deref(), Some("/users/{id}"));
        let agent = trace.agent.unwrap();
        assert!(agent.redacted);
        assert_eq!(
            agent.field_types,
            vec![
                ("reqHeaders.User-Agent".to_string(), vec!["string".to_string()]),
                ("resBody.id".to_string(), vec!["number".to_string()]),
            ]
        );
        assert_eq!(agent.data_classes, vec![("resBody.email".to_string(), vec!["Email".to_string()])]);
        assert_eq!(agent.xss_fields, vec!["reqQuery.q".to_string()]);
        assert_eq!(agent.sqli_fields, vec!["reqBody.name".to_string()]);
    }

    #[test]
    fn v2_without_analysis_has_no_agent() {
        let trace = decode_one(v1_trace(), MetloVersion::V2).unwrap();
        assert_eq!(trace.agent, None);
    }

    #[test]
    fn bad_analysis_map_names_field() {
        let mut value = v1_trace();
        value["processedTraceData"] = json!({"dataTypes": {"resBody.id": 5}});
        let error = decode_one(value, MetloVersion::V2).unwrap_err();
        assert_eq!(
            error.to_string(),
            "trace 0: invalid field \"processedTraceData.dataTypes.resBody.id\": expected an array of names, found number 5"
        );
    }

    #[test]
    fn response_may_be_missing() {
        let mut value = v1_trace();
        value.as_object_mut().unwrap().remove("response");
        assert_eq!(decode_one(value, MetloVersion::V1).unwrap().response, None);
    }

    #[test]
    fn missing_response_status_is_error() {
        let mut value = v1_trace();
        value["response"]["status"] = Value::Null;
        let error = decode_one(value, MetloVersion::V1).unwrap_err();
        assert_eq!(error.to_string(), "trace 0: missing field \"response.status\"");
    }

    #[test]
    fn url_string_is_accepted() {
        let mut value = v1_trace();
        value["request"]["url"] = json!("http://shop.example/cart?id=1");
        let trace = decode_one(value, MetloVersion::V2).unwrap();
        assert_eq!(trace.request.host, "shop.example");
        assert_eq!(trace.request.path, "/cart");
        assert_eq!(trace.request.scheme, "http");
    }

    #[test]
    fn shape_errors_reject_whole_body() {
        let limits = Limits::default();
        let error = decode(b"{}", MetloVersion::V2, true, &limits, 0).unwrap_err();
        assert_eq!(error.to_string(), "expected a JSON array of traces, found an object");

        let error = decode(b"[]", MetloVersion::V2, false, &limits, 0).unwrap_err();
        assert_eq!(error.to_string(), "expected a JSON object, found an array");

        let error = decode(b"[{]", MetloVersion::V2, true, &limits, 0).unwrap_err();
        assert!(matches!(error, DecodeError::InvalidJson { line: 1, column: 3, .. }), "{error}");
    }

    #[test]
    fn empty_batch_is_ok() {
        let results = decode(b"[]", MetloVersion::V1, true, &Limits::default(), 0).unwrap();
        assert!(results.is_empty());
    }
}
