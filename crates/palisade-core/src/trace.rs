//! The trace model: one HTTP request and its response, with capture metadata.
//!
//! Every source (collector, file import, capture, proxy) produces [`Trace`] values and every
//! pipeline stage reads them. The serde derives here are the binary journal encoding, so
//! they must stay free of attributes that need a self-describing format.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::limits::Limits;

/// One HTTP request and its response, with capture metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    pub request: Request,
    /// Missing when the source saw no response (a HAR entry for an aborted request).
    pub response: Option<Response>,
    pub meta: TraceMeta,
    /// Analysis an agent already did, for traces whose bodies it stripped.
    pub agent: Option<AgentAnalysis>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// Upper-case method token such as `GET`.
    pub method: String,
    /// `http` or `https`.
    pub scheme: String,
    /// Host as sent, possibly with a port; the pipeline normalises it.
    pub host: String,
    /// Path without the query string, still percent-encoded.
    pub path: String,
    /// Query parameters in the order they were sent, percent-decoded.
    pub query: Vec<QueryParam>,
    /// Headers in the order they were sent.
    pub headers: Vec<Header>,
    pub content_type: Option<String>,
    pub body: Body,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<Header>,
    pub content_type: Option<String>,
    pub body: Body,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub name: String,
    pub value: String,
}

impl Header {
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self { name: name.into(), value: value.into() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryParam {
    pub name: String,
    pub value: String,
}

/// A message body, already decoded from any content encoding and cut at the body limit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Body {
    #[serde(serialize_with = "serialize_bytes")]
    pub bytes: Vec<u8>,
    /// True when the source body was longer than the limit and `bytes` is its start.
    pub truncated: bool,
}

/// Writes body bytes with `serialize_bytes`. Postcard and serde_json write bytes as the
/// sequence of `u8` that the derive would write (tests here and in palisade-analyze check
/// both), but postcard copies them in one piece rather than byte by byte.
fn serialize_bytes<S: serde::Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_bytes(bytes)
}

impl Body {
    /// Builds a body from `bytes`, keeping at most `max_bytes` of them.
    pub fn capped(mut bytes: Vec<u8>, max_bytes: usize) -> Self {
        let truncated = bytes.len() > max_bytes;
        if truncated {
            bytes.truncate(max_bytes);
        }
        Self { bytes, truncated }
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// Capture metadata for a trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceMeta {
    /// Start of the request, in milliseconds since the Unix epoch.
    pub start_ms: i64,
    /// Time from the start of the request to the end of the response, in microseconds.
    pub duration_us: Option<u64>,
    pub client: Option<Peer>,
    pub server: Option<Peer>,
    pub source: TraceSource,
    /// Deployment environment reported by an agent, such as `production`.
    pub environment: Option<String>,
    /// Route template reported by the application, such as `/users/{id}`. When present it
    /// is authoritative for endpoint discovery.
    pub route: Option<String>,
}

/// One side of a connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Peer {
    /// An IP address or host name, as the source reported it.
    pub address: String,
    pub port: Option<u16>,
}

/// Source of a trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TraceSource {
    Metlo,
    Native,
    Har,
    Keploy,
    Pcap,
    Proxy,
}

impl TraceSource {
    pub fn as_str(self) -> &'static str {
        match self {
            TraceSource::Metlo => "metlo",
            TraceSource::Native => "native",
            TraceSource::Har => "har",
            TraceSource::Keploy => "keploy",
            TraceSource::Pcap => "pcap",
            TraceSource::Proxy => "proxy",
        }
    }
}

/// Field types and findings that an agent computed before stripping a trace's headers and
/// bodies (Metlo's `processedTraceData`). Paths use the agent's prefixes, such as
/// `resBody.items[].email` or `reqHeaders.User-Agent`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentAnalysis {
    /// True when the agent removed headers and bodies from the trace.
    pub redacted: bool,
    /// Field path to the JSON type names the agent saw there.
    pub field_types: Vec<(String, Vec<String>)>,
    /// Field path to the data class names the agent detected there.
    pub data_classes: Vec<(String, Vec<String>)>,
    /// Field paths where the agent detected XSS.
    pub xss_fields: Vec<String>,
    /// Field paths where the agent detected SQL injection.
    pub sqli_fields: Vec<String>,
}

/// A trace that breaks the model's rules or a configured limit.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TraceError {
    #[error("invalid request method {0:?}: expected an HTTP token such as GET")]
    InvalidMethod(String),
    #[error("missing host")]
    MissingHost,
    #[error("invalid host {0:?}")]
    InvalidHost(String),
    #[error("invalid path {0:?}: a path must start with '/'")]
    InvalidPath(String),
    #[error("path of {len} bytes is longer than the limit of {max} (max_path_bytes)")]
    PathTooLong { len: usize, max: usize },
    #[error("path has {count} segments, more than the limit of {max} (max_path_segments)")]
    TooManySegments { count: usize, max: usize },
    #[error("request has {count} headers, more than the limit of {max} (max_headers)")]
    TooManyRequestHeaders { count: usize, max: usize },
    #[error("response has {count} headers, more than the limit of {max} (max_headers)")]
    TooManyResponseHeaders { count: usize, max: usize },
    #[error("request has {count} query parameters, more than the limit of {max} (max_query_params)")]
    TooManyQueryParams { count: usize, max: usize },
    #[error("invalid response status {0}: expected 100 to 599")]
    InvalidStatus(u16),
}

impl Trace {
    /// Checks the trace against the model's rules and `limits`. Bodies are not checked here
    /// because sources cut them at the limit while decoding.
    pub fn validate(&self, limits: &Limits) -> Result<(), TraceError> {
        let request = &self.request;
        if !is_token(&request.method) || request.method.len() > 32 {
            return Err(TraceError::InvalidMethod(truncate_for_message(&request.method)));
        }

        if request.host.is_empty() {
            return Err(TraceError::MissingHost);
        }
        if request.host.len() > 261 || request.host.bytes().any(|b| b <= b' ' || b == b'/' || b >= 0x7f) {
            return Err(TraceError::InvalidHost(truncate_for_message(&request.host)));
        }

        if !request.path.starts_with('/') {
            return Err(TraceError::InvalidPath(truncate_for_message(&request.path)));
        }
        if request.path.len() > limits.max_path_bytes {
            return Err(TraceError::PathTooLong { len: request.path.len(), max: limits.max_path_bytes });
        }
        let segments = request.path.split('/').filter(|s| !s.is_empty()).count();
        if segments > limits.max_path_segments {
            return Err(TraceError::TooManySegments { count: segments, max: limits.max_path_segments });
        }

        if request.headers.len() > limits.max_headers {
            return Err(TraceError::TooManyRequestHeaders { count: request.headers.len(), max: limits.max_headers });
        }
        if request.query.len() > limits.max_query_params {
            return Err(TraceError::TooManyQueryParams { count: request.query.len(), max: limits.max_query_params });
        }

        if let Some(response) = &self.response {
            if !(100..=599).contains(&response.status) {
                return Err(TraceError::InvalidStatus(response.status));
            }
            if response.headers.len() > limits.max_headers {
                return Err(TraceError::TooManyResponseHeaders {
                    count: response.headers.len(),
                    max: limits.max_headers,
                });
            }
        }
        Ok(())
    }
}

/// Returns the value of the first header called `name`, compared without case.
pub fn header_value<'a>(headers: &'a [Header], name: &str) -> Option<&'a str> {
    headers.iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value.as_str())
}

/// True for an RFC 9110 token, the syntax of a method name.
fn is_token(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Shortens attacker-controlled text before it goes into an error message.
pub fn truncate_for_message(value: &str) -> String {
    const MAX_CHARS: usize = 64;
    if value.chars().count() <= MAX_CHARS {
        return value.to_string();
    }
    let mut short: String = value.chars().take(MAX_CHARS).collect();
    short.push_str("...");
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample_trace() -> Trace {
        Trace {
            request: Request {
                method: "GET".into(),
                scheme: "http".into(),
                host: "api.example.com".into(),
                path: "/users/42".into(),
                query: vec![],
                headers: vec![Header::new("Accept", "application/json")],
                content_type: None,
                body: Body::default(),
            },
            response: Some(Response {
                status: 200,
                headers: vec![],
                content_type: Some("application/json".into()),
                body: Body::capped(br#"{"id":42}"#.to_vec(), 1024),
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
    fn body_capped_marks_truncation() {
        let body = Body::capped(b"abcdef".to_vec(), 4);
        assert_eq!(body.bytes, b"abcd");
        assert!(body.truncated);

        let body = Body::capped(b"abcd".to_vec(), 4);
        assert!(!body.truncated);
    }

    #[test]
    fn body_json_lists_bytes() {
        let body = Body { bytes: vec![0, 123, 255], truncated: false };
        assert_eq!(serde_json::to_string(&body).unwrap(), r#"{"bytes":[0,123,255],"truncated":false}"#);
        assert_eq!(serde_json::from_str::<Body>(r#"{"bytes":[0,123,255],"truncated":false}"#).unwrap(), body);
    }

    #[test]
    fn validate_accepts_plain_trace() {
        assert_eq!(sample_trace().validate(&Limits::default()), Ok(()));
    }

    #[test]
    fn validate_rejects_bad_method() {
        let mut trace = sample_trace();
        trace.request.method = "GE T".into();
        assert!(matches!(trace.validate(&Limits::default()), Err(TraceError::InvalidMethod(_))));
    }

    #[test]
    fn validate_rejects_too_many_segments() {
        let mut trace = sample_trace();
        trace.request.path = "/a".repeat(10_000);
        let limits = Limits { max_path_bytes: 1 << 20, ..Limits::default() };
        assert_eq!(
            trace.validate(&limits),
            Err(TraceError::TooManySegments { count: 10_000, max: limits.max_path_segments })
        );
    }

    #[test]
    fn validate_rejects_megabyte_path() {
        let mut trace = sample_trace();
        trace.request.path = format!("/{}", "x".repeat(1 << 20));
        assert!(matches!(trace.validate(&Limits::default()), Err(TraceError::PathTooLong { .. })));
    }

    #[test]
    fn validate_rejects_host_with_slash() {
        let mut trace = sample_trace();
        trace.request.host = "evil.com/x".into();
        assert!(matches!(trace.validate(&Limits::default()), Err(TraceError::InvalidHost(_))));
    }

    #[test]
    fn truncate_for_message_shortens_long_text() {
        let long = "a".repeat(100);
        assert_eq!(truncate_for_message(&long).len(), 67);
        assert_eq!(truncate_for_message("short"), "short");
    }
}
