//! Removal of credentials from traces before they are stored as samples.
//!
//! Always applied, whatever the configuration: `Authorization`, `Proxy-Authorization`,
//! `Cookie` and `Set-Cookie` headers, and headers, query parameters and JSON or
//! URL-encoded body fields whose name contains a credential word (`key`, `token`, `secret`,
//! `password`, `auth`, `session`, ...; see [`is_credential_name`]). Their values become `[redacted]`; the names stay, because which credential
//! a request carried is useful to know. Multipart bodies are dropped from samples whole,
//! because files and fields in them cannot be redacted reliably.

use palisade_core::{Body, Header, QueryParam, Trace};
use serde_json::Value;

use crate::fields::{BodyKind, body_kind, content_type_of, media_type};

/// Value written in place of a removed credential.
pub const REDACTED: &str = "[redacted]";

/// Returns a copy of `trace` without credentials.
pub fn redact_trace(trace: &Trace) -> Trace {
    let mut trace = trace.clone();

    redact_headers(&mut trace.request.headers);
    redact_query(&mut trace.request.query);
    let request_type =
        content_type_of(trace.request.content_type.as_deref(), &trace.request.headers).map(str::to_string);
    redact_body(&mut trace.request.body, request_type.as_deref());

    if let Some(response) = &mut trace.response {
        redact_headers(&mut response.headers);
        let response_type = content_type_of(response.content_type.as_deref(), &response.headers).map(str::to_string);
        redact_body(&mut response.body, response_type.as_deref());
    }
    trace
}

/// True for a header, parameter or field name that carries a credential. Names are split
/// into words at punctuation and camelCase boundaries, so `X-Auth-Token` and `apiKey`
/// match while `author` and `keyboard` do not.
pub fn is_credential_name(name: &str) -> bool {
    const WORDS: [&str; 17] = [
        "auth",
        "authorization",
        "bearer",
        "cookie",
        "credential",
        "credentials",
        "csrf",
        "jwt",
        "key",
        "pass",
        "passwd",
        "password",
        "pwd",
        "secret",
        "session",
        "token",
        "xsrf",
    ];
    const INFIXES: [&str; 5] = ["password", "passwd", "secret", "token", "apikey"];

    let lower = name.to_ascii_lowercase();
    if INFIXES.iter().any(|infix| lower.contains(infix)) {
        return true;
    }
    split_words(name).iter().any(|word| WORDS.contains(&word.as_str()))
}

/// Lower-case words of a name, split at non-alphanumeric characters and before an
/// upper-case letter that follows a lower-case one.
fn split_words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            previous_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && previous_lower && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        word.push(c.to_ascii_lowercase());
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

fn redact_headers(headers: &mut [Header]) {
    for header in headers {
        if is_credential_name(&header.name) {
            header.value = REDACTED.to_string();
        }
    }
}

fn redact_query(query: &mut [QueryParam]) {
    for param in query {
        if is_credential_name(&param.name) {
            param.value = REDACTED.to_string();
        }
    }
}

fn redact_body(body: &mut Body, content_type: Option<&str>) {
    if body.is_empty() {
        return;
    }
    let media = media_type(content_type.unwrap_or(""));
    match body_kind(&media, &body.bytes) {
        BodyKind::Json => {
            // A body that does not parse (often a truncated one) cannot be checked field by
            // field, so it is not kept.
            let Ok(mut value) = serde_json::from_slice::<Value>(&body.bytes) else {
                *body = Body { bytes: b"[unparsed JSON body removed]".to_vec(), truncated: false };
                return;
            };
            if redact_json(&mut value) {
                body.bytes = serde_json::to_vec(&value).unwrap_or_default();
            }
        }
        BodyKind::Form => {
            let pairs: Vec<(String, String)> = form_urlencoded::parse(&body.bytes).into_owned().collect();
            if pairs.iter().any(|(name, _)| is_credential_name(name)) {
                let mut serializer = form_urlencoded::Serializer::new(String::new());
                for (name, value) in &pairs {
                    let value = if is_credential_name(name) { REDACTED } else { value.as_str() };
                    serializer.append_pair(name, value);
                }
                body.bytes = serializer.finish().into_bytes();
            }
        }
        BodyKind::Multipart => {
            *body = Body { bytes: b"[multipart body removed]".to_vec(), truncated: false };
        }
        BodyKind::Other => {}
    }
}

/// Replaces credential fields anywhere in `value`; true when something changed.
fn redact_json(value: &mut Value) -> bool {
    let mut changed = false;
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if is_credential_name(key) && !item.is_object() && !item.is_array() {
                    *item = Value::String(REDACTED.to_string());
                    changed = true;
                } else {
                    changed |= redact_json(item);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                changed |= redact_json(item);
            }
        }
        _ => {}
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::{Request, Response, TraceMeta, TraceSource};

    fn trace() -> Trace {
        Trace {
            request: Request {
                method: "POST".into(),
                scheme: "https".into(),
                host: "h".into(),
                path: "/login".into(),
                query: vec![
                    QueryParam { name: "api_key".into(), value: "k1".into() },
                    QueryParam { name: "page".into(), value: "1".into() },
                ],
                headers: vec![
                    Header::new("Authorization", "Bearer abc"),
                    Header::new("Cookie", "sid=1"),
                    Header::new("X-Api-Key", "k2"),
                    Header::new("Accept", "*/*"),
                    Header::new("Keyboard-Layout", "us"),
                ],
                content_type: Some("application/json".into()),
                body: Body::capped(
                    br#"{"user":"ada","password":"p","nested":{"client_secret":"s"}}"#.to_vec(),
                    1 << 20,
                ),
            },
            response: Some(Response {
                status: 200,
                headers: vec![Header::new("Set-Cookie", "sid=2")],
                content_type: Some("application/x-www-form-urlencoded".into()),
                body: Body::capped(b"access_token=t&scope=read".to_vec(), 1 << 20),
            }),
            meta: TraceMeta {
                start_ms: 0,
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

    #[test]
    fn credentials_are_removed_everywhere() {
        let redacted = redact_trace(&trace());
        let headers: Vec<(&str, &str)> =
            redacted.request.headers.iter().map(|h| (h.name.as_str(), h.value.as_str())).collect();
        assert_eq!(
            headers,
            vec![
                ("Authorization", REDACTED),
                ("Cookie", REDACTED),
                ("X-Api-Key", REDACTED),
                ("Accept", "*/*"),
                ("Keyboard-Layout", "us"),
            ]
        );
        assert_eq!(redacted.request.query[0].value, REDACTED);
        assert_eq!(redacted.request.query[1].value, "1");

        let body: Value = serde_json::from_slice(&redacted.request.body.bytes).unwrap();
        assert_eq!(body["password"], REDACTED);
        assert_eq!(body["nested"]["client_secret"], REDACTED);
        assert_eq!(body["user"], "ada");

        let response = redacted.response.unwrap();
        assert_eq!(response.headers[0].value, REDACTED);
        assert_eq!(String::from_utf8(response.body.bytes).unwrap(), "access_token=%5Bredacted%5D&scope=read");
    }

    #[test]
    fn credential_names() {
        for name in ["password", "X-Auth-Token", "refresh_token", "apiKey", "x-key", "pwd", "Proxy-Authorization"] {
            assert!(is_credential_name(name), "{name}");
        }
        for name in ["keyboard", "monkey", "page", "user", "email", "content-type", "author", "authorName"] {
            assert!(!is_credential_name(name), "{name}");
        }
    }

    #[test]
    fn unparsable_json_body_is_dropped() {
        let mut trace = trace();
        trace.request.body = Body::capped(br#"{"password":"p"#.to_vec(), 1 << 20);
        let redacted = redact_trace(&trace);
        assert!(!String::from_utf8_lossy(&redacted.request.body.bytes).contains("\"p"));
    }
}
