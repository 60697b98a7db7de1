//! Requests of the detection evaluation: built once from a corpus entry, turned into a
//! [`Trace`] for Palisade and written as raw HTTP for the ModSecurity replay, so both see
//! the same bytes.

use palisade_core::{Body, Header, QueryParam, Request, Trace, TraceMeta, TraceSource};
use serde::Serialize;

/// An HTTP request as sent on the wire, before any server parses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRequest {
    pub method: String,
    /// Request target: path and query, percent-encoded where the wire needs it.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Bytes kept literally in a request target; everything else is percent-encoded. This
/// keeps the characters attack payloads use (`'`, `<`, `;`, `$`) as they are, like the
/// corpora's own test clients, and encodes only what HTTP/1.1 forbids in a target.
fn is_target_byte(b: u8) -> bool {
    b.is_ascii_graphic() && !matches!(b, b'"' | b'#' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}')
}

/// Percent-encodes the bytes of `text` that may not appear literally in a target. A `%`
/// is kept, so escapes already in `text` reach the server as written.
pub fn encode_target(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if is_target_byte(b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-encodes every byte of `text` outside the RFC 3986 unreserved set, for a query
/// parameter value or a form field.
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes, and `+` as a space when `plus_is_space`.
pub fn percent_decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%'
            && i + 2 < bytes.len()
            && let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((high * 16 + low) as u8);
            i += 3;
            continue;
        }
        out.push(if b == b'+' && plus_is_space { b' ' } else { b });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Decodes a query component for the trace. A component whose bytes are not UTF-8 after
/// decoding (overlong forms such as `%c0%ae`, stray `%ff`) is kept percent-encoded, so the
/// detector's own decoder sees the original bytes instead of replacement characters.
fn decode_query_component(text: &str) -> String {
    let decoded = percent_decode(text, true);
    if decoded.contains('\u{fffd}') && !text.contains('\u{fffd}') { text.replace('+', " ") } else { decoded }
}

impl RawRequest {
    pub fn get(target: String) -> Self {
        Self { method: "GET".into(), target, headers: default_headers(), body: Vec::new() }
    }

    pub fn post(target: String, content_type: &str, body: Vec<u8>) -> Self {
        let mut headers = default_headers();
        headers.push(("Content-Type".into(), content_type.into()));
        Self { method: "POST".into(), target, headers, body }
    }

    /// Builds a `GET /?q=VALUE` request carrying `value` as a query parameter.
    pub fn query_parameter(value: &str) -> Self {
        Self::get(format!("/?q={}", encode_component(value)))
    }

    /// Builds a `GET /?NAME=LINE` request for a payload list line, written the way a tester
    /// pastes it into a URL: `%XX` escapes and `+` are kept (many lines are already
    /// URL-encoded), every other character outside the unreserved set is encoded.
    pub fn query_parameter_as_written(name: &str, line: &str) -> Self {
        let mut target = format!("/?{name}=");
        for &b in line.as_bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'%' | b'+') {
                target.push(b as char);
            } else {
                target.push_str(&format!("%{b:02X}"));
            }
        }
        Self::get(target)
    }

    /// Builds the trace Palisade would record for this request: the query split and
    /// decoded as `application/x-www-form-urlencoded`, the path kept encoded.
    pub fn to_trace(&self) -> Trace {
        let (path, query) = match self.target.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (self.target.as_str(), None),
        };
        let path = if path.starts_with('/') { path.to_string() } else { format!("/{path}") };
        let query = query
            .map(|query| {
                query
                    .split('&')
                    .filter(|part| !part.is_empty())
                    .map(|part| {
                        let (name, value) = part.split_once('=').unwrap_or((part, ""));
                        QueryParam { name: decode_query_component(name), value: decode_query_component(value) }
                    })
                    .collect()
            })
            .unwrap_or_default();
        let headers: Vec<Header> = self.headers.iter().map(|(name, value)| Header::new(name, value)).collect();
        let content_type = palisade_core::trace::header_value(&headers, "content-type").map(str::to_string);
        Trace {
            request: Request {
                method: self.method.clone(),
                scheme: "http".into(),
                host: "localhost".into(),
                path,
                query,
                headers,
                content_type,
                body: Body { bytes: self.body.clone(), truncated: false },
            },
            response: None,
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
}

fn default_headers() -> Vec<(String, String)> {
    vec![
        ("Host".into(), "localhost".into()),
        ("User-Agent".into(), "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0".into()),
        ("Accept".into(), "*/*".into()),
    ]
}

/// One line of the `--export-requests` file.
#[derive(Debug, Serialize)]
pub struct ExportedRequest<'a> {
    pub source: &'a str,
    pub class: &'a str,
    pub attack: bool,
    pub id: &'a str,
    pub method: &'a str,
    pub target: &'a str,
    pub headers: &'a [(String, String)],
    /// The body in hexadecimal, because bodies need not be UTF-8.
    pub body_hex: String,
}

pub fn to_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_stays_encoded() {
        let trace = RawRequest::get("/?f=%c0%ae%c0%ae%2f+x".into()).to_trace();
        assert_eq!(trace.request.query[0].value, "%c0%ae%c0%ae%2f x");
    }

    #[test]
    fn query_is_split_and_decoded() {
        let request = RawRequest::get("/a%20b/c?x=1+2&y=%27&z".into());
        let trace = request.to_trace();
        assert_eq!(trace.request.path, "/a%20b/c");
        let query: Vec<(&str, &str)> =
            trace.request.query.iter().map(|p| (p.name.as_str(), p.value.as_str())).collect();
        assert_eq!(query, vec![("x", "1 2"), ("y", "'"), ("z", "")]);
    }

    #[test]
    fn component_encoding_round_trips() {
        let value = "1' OR '1'='1 & <b>";
        assert_eq!(percent_decode(&encode_component(value), true), value);
    }

    #[test]
    fn target_encoding_keeps_payload_characters() {
        assert_eq!(encode_target("/get?x=$_SERVER['a'] <b>"), "/get?x=$_SERVER['a']%20%3Cb%3E");
    }
}
