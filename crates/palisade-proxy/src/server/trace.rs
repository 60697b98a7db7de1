//! Building [`Trace`] values from proxied requests, for inline detection and mirroring.

use std::net::SocketAddr;

use http::HeaderMap;
use http::header::CONTENT_TYPE;
use palisade_core::{Body, Header, Peer, QueryParam, Request, Response, Trace, TraceMeta, TraceSource};

/// Builds the request half of a trace. `path` is the path as sent, without the query string.
pub(crate) fn request_record(parts: &http::request::Parts, scheme: &str, host: &str, body: Body) -> Request {
    let query = parts
        .uri
        .query()
        .map(|query| {
            form_urlencoded::parse(query.as_bytes())
                .map(|(name, value)| QueryParam { name: name.into_owned(), value: value.into_owned() })
                .collect()
        })
        .unwrap_or_default();
    Request {
        method: parts.method.as_str().to_ascii_uppercase(),
        scheme: scheme.to_string(),
        host: host.to_string(),
        path: parts.uri.path().to_string(),
        query,
        headers: header_list(&parts.headers),
        content_type: content_type(&parts.headers),
        body,
    }
}

pub(crate) fn response_record(status: u16, headers: &HeaderMap, body: Body) -> Response {
    Response { status, headers: header_list(headers), content_type: content_type(headers), body }
}

pub(crate) fn trace(
    request: Request,
    response: Option<Response>,
    start_ms: i64,
    duration_us: Option<u64>,
    client: SocketAddr,
    server: SocketAddr,
) -> Trace {
    Trace {
        request,
        response,
        meta: TraceMeta {
            start_ms,
            duration_us,
            client: Some(Peer { address: client.ip().to_string(), port: Some(client.port()) }),
            server: Some(Peer { address: server.ip().to_string(), port: Some(server.port()) }),
            source: TraceSource::Proxy,
            environment: None,
            route: None,
        },
        agent: None,
    }
}

fn header_list(headers: &HeaderMap) -> Vec<Header> {
    headers.iter().map(|(name, value)| Header::new(name.as_str(), String::from_utf8_lossy(value.as_bytes()))).collect()
}

fn content_type(headers: &HeaderMap) -> Option<String> {
    headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}
