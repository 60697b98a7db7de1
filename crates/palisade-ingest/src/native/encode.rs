//! Encoding traces in the native JSON format.

use palisade_core::timestamp::format_rfc3339;
use palisade_core::{AgentAnalysis, Body, Header, Peer, Trace};
use serde_json::{Map, Value, json};

use crate::http::{content_type, encode_base64, format_query};

/// Encodes a trace in the native format. It is the inverse of [`super::decode`], so decoding
/// the result gives back `trace` with its source set to native.
///
/// Bodies are written as text when they are valid UTF-8 and as base64 otherwise. Empty
/// bodies and absent optional fields (peers, duration, agent analysis) are left out.
pub fn encode(trace: &Trace) -> Value {
    let mut object = Map::new();
    object.insert("request".into(), encode_request(trace));
    if let Some(response) = &trace.response {
        let mut fields = Map::new();
        fields.insert("status".into(), json!(response.status));
        insert_message(&mut fields, &response.headers, response.content_type.as_deref(), &response.body);
        object.insert("response".into(), Value::Object(fields));
    }
    object.insert("meta".into(), encode_meta(trace));
    if let Some(agent) = &trace.agent {
        object.insert("agent".into(), encode_agent(agent));
    }
    Value::Object(object)
}

fn encode_request(trace: &Trace) -> Value {
    let request = &trace.request;
    let mut url = format!("{}://{}{}", request.scheme, request.host, request.path);
    if !request.query.is_empty() {
        url.push('?');
        url.push_str(&format_query(&request.query));
    }

    let mut fields = Map::new();
    fields.insert("method".into(), json!(request.method));
    fields.insert("url".into(), json!(url));
    insert_message(&mut fields, &request.headers, request.content_type.as_deref(), &request.body);
    Value::Object(fields)
}

/// Writes the headers, body and, when it differs from the `Content-Type` header, the content
/// type shared by requests and responses.
fn insert_message(fields: &mut Map<String, Value>, headers: &[Header], media_type: Option<&str>, body: &Body) {
    let encoded: Vec<Value> = headers.iter().map(|h| json!({"name": h.name, "value": h.value})).collect();
    fields.insert("headers".into(), Value::Array(encoded));

    // The decoder takes the content type from the header unless `content_type` is given,
    // and reads an empty `content_type` as none.
    let from_header = content_type(headers, None);
    if media_type != from_header.as_deref() {
        fields.insert("content_type".into(), json!(media_type.unwrap_or("")));
    }

    if !body.bytes.is_empty() {
        match std::str::from_utf8(&body.bytes) {
            Ok(text) => fields.insert("body".into(), json!(text)),
            Err(_) => fields.insert("body_base64".into(), json!(encode_base64(&body.bytes))),
        };
    }
    if body.truncated {
        fields.insert("body_truncated".into(), json!(true));
    }
}

fn encode_meta(trace: &Trace) -> Value {
    let meta = &trace.meta;
    let mut fields = Map::new();
    fields.insert("start_time".into(), json!(format_rfc3339(meta.start_ms)));
    if let Some(duration_us) = meta.duration_us {
        fields.insert("duration_ms".into(), json!(duration_us as f64 / 1000.0));
    }
    if let Some(client) = &meta.client {
        fields.insert("client".into(), encode_peer(client));
    }
    if let Some(server) = &meta.server {
        fields.insert("server".into(), encode_peer(server));
    }
    if let Some(environment) = &meta.environment {
        fields.insert("environment".into(), json!(environment));
    }
    if let Some(route) = &meta.route {
        fields.insert("route".into(), json!(route));
    }
    Value::Object(fields)
}

fn encode_peer(peer: &Peer) -> Value {
    match peer.port {
        Some(port) => json!({"address": peer.address, "port": port}),
        None => json!({"address": peer.address}),
    }
}

fn encode_agent(agent: &AgentAnalysis) -> Value {
    let named = |entries: &[(String, Vec<String>)]| -> Vec<Value> {
        entries.iter().map(|(path, names)| json!({"path": path, "names": names})).collect()
    };
    json!({
        "redacted": agent.redacted,
        "field_types": named(&agent.field_types),
        "data_classes": named(&agent.data_classes),
        "xss_fields": agent.xss_fields,
        "sqli_fields": agent.sqli_fields,
    })
}
