//! Building a [`Trace`] from a parsed request and response.

use std::net::IpAddr;

use palisade_core::trace::header_value;
use palisade_core::{Body, Limits, Peer, QueryParam, Request, Response, Trace, TraceMeta, TraceSource};
use palisade_ingest::encoding::decode_body;
use palisade_ingest::{Position, TraceDecodeError};

use super::head::Head;
use crate::packet::Endpoint;

/// A message with its body as collected from the stream.
#[derive(Debug)]
pub(crate) struct Message {
    pub head: Head,
    /// Raw body bytes, before any content decoding, at most `body_limit` of them.
    pub body: Vec<u8>,
    pub body_limit: usize,
    /// True when body bytes were dropped: past the limit, lost in a gap, or cut off by the
    /// end of the capture.
    pub body_cut: bool,
    /// True after a gap inside the body. Later bytes are not kept, so that `body` stays a
    /// prefix of the real body.
    pub lossy: bool,
    /// Capture time of the packet with the first byte of the head.
    pub first_ns: i64,
    /// Capture time of the packet with the last byte seen.
    pub last_ns: i64,
}

impl Message {
    pub fn new(head: Head, first_ns: i64, body_limit: usize) -> Self {
        Self { head, body: Vec::new(), body_limit, body_cut: false, lossy: false, first_ns, last_ns: first_ns }
    }

    /// Keeps body bytes up to the limit.
    pub fn append(&mut self, bytes: &[u8], timestamp_ns: i64) {
        self.last_ns = timestamp_ns;
        if self.lossy {
            return;
        }
        let room = self.body_limit.saturating_sub(self.body.len());
        if bytes.len() > room {
            self.body_cut = true;
        }
        let kept = &bytes[..bytes.len().min(room)];
        if !kept.is_empty() {
            self.body.extend_from_slice(kept);
        }
    }

    /// Reserves room for a body of `length` bytes, up to the limit and at most 64 KiB
    /// ahead of the bytes that arrived, so a large declared length costs no memory
    /// before its bytes come.
    pub fn reserve_body(&mut self, length: u64) {
        const MAX_RESERVED_BYTES: usize = 64 * 1024;
        let wanted = usize::try_from(length).unwrap_or(usize::MAX).min(self.body_limit).min(MAX_RESERVED_BYTES);
        self.body.reserve_exact(wanted.saturating_sub(self.body.len()));
    }

    /// Marks bytes of the body as lost.
    pub fn lose_bytes(&mut self) {
        self.body_cut = true;
        self.lossy = true;
    }

    /// Bytes this message holds, for the memory budget: the body buffer's capacity and the
    /// head's length on the wire, an estimate of its parsed size.
    pub fn held_bytes(&self) -> usize {
        self.head.len + self.body.capacity()
    }
}

/// Chooses how many raw body bytes to keep: bodies with a content coding are kept longer,
/// because they are decoded before being cut at the body limit.
pub(crate) fn body_limit(head: &Head, limits: &Limits, max_encoded_body_bytes: usize) -> usize {
    match content_coding(head) {
        Some(_) => max_encoded_body_bytes.max(limits.max_body_bytes),
        None => limits.max_body_bytes,
    }
}

/// Returns the Content-Encoding value, unless absent or `identity`.
fn content_coding(head: &Head) -> Option<&str> {
    header_value(&head.headers, "content-encoding")
        .map(str::trim)
        .filter(|coding| !coding.is_empty() && !coding.eq_ignore_ascii_case("identity"))
}

/// Builds the trace of one exchange, numbered `index` in the capture for error messages.
pub(crate) fn build_trace(
    request: Message,
    response: Option<Message>,
    client: Endpoint,
    server: Endpoint,
    limits: &Limits,
    index: usize,
) -> Result<Trace, TraceDecodeError> {
    let start_ns = request.first_ns;
    let end_ns = response.as_ref().map(|response| response.last_ns);
    let request = build_request(request, server, limits);
    let response = response.map(|response| build_response(response, limits));
    let duration_us = end_ns.map(|end| u64::try_from((end - start_ns) / 1000).unwrap_or(0));
    let meta = TraceMeta {
        start_ms: start_ns.div_euclid(1_000_000),
        duration_us,
        client: Some(peer(client)),
        server: Some(peer(server)),
        source: TraceSource::Pcap,
        environment: None,
        route: None,
    };
    let trace = Trace { request, response, meta, agent: None };
    match trace.validate(limits) {
        Ok(()) => Ok(trace),
        Err(error) => Err(TraceDecodeError::new(Position::Trace(index), error.to_string())),
    }
}

fn peer(endpoint: Endpoint) -> Peer {
    Peer { address: endpoint.addr.to_string(), port: Some(endpoint.port) }
}

fn build_request(message: Message, server: Endpoint, limits: &Limits) -> Request {
    let target = split_target(&message.head.target);
    let host = match target.authority {
        Some(authority) => authority.to_string(),
        None => match header_value(&message.head.headers, "host").map(str::trim).filter(|h| !h.is_empty()) {
            Some(host) => host.to_string(),
            // HTTP/1.0 requests may lack a Host header, so the server's address is used instead.
            None => format_authority(server),
        },
    };
    let query = match target.query {
        Some(query) => form_urlencoded::parse(query.as_bytes())
            .map(|(name, value)| QueryParam { name: name.into_owned(), value: value.into_owned() })
            .collect(),
        None => Vec::new(),
    };
    let path = target.path.to_string();
    let method = message.head.method.to_ascii_uppercase();
    let content_type = content_type(&message.head);
    let body = finish_body(&message.head, message.body, message.body_cut, limits);
    Request { method, scheme: "http".to_string(), host, path, query, headers: message.head.headers, content_type, body }
}

fn build_response(message: Message, limits: &Limits) -> Response {
    let content_type = content_type(&message.head);
    let body = finish_body(&message.head, message.body, message.body_cut, limits);
    Response { status: message.head.status, headers: message.head.headers, content_type, body }
}

fn content_type(head: &Head) -> Option<String> {
    header_value(&head.headers, "content-type").map(str::trim).filter(|value| !value.is_empty()).map(str::to_string)
}

/// Decodes the body's content coding and cuts it at the body limit. A coded body whose
/// raw bytes were cut cannot be decoded to its end: what decodes is kept, and when nothing
/// decodes the body is left empty rather than holding compressed bytes.
fn finish_body(head: &Head, raw: Vec<u8>, cut: bool, limits: &Limits) -> Body {
    let Some(coding) = content_coding(head) else {
        let mut body = Body::capped(raw, limits.max_body_bytes);
        body.truncated |= cut;
        return body;
    };
    if !cut {
        return decode_body(raw, Some(coding), limits.max_body_bytes);
    }
    let mut body = decode_body(raw.clone(), Some(coding), limits.max_body_bytes);
    if body.bytes == raw {
        body.bytes.clear();
    }
    body.truncated = true;
    body
}

/// Parts of a request target in origin form (`/path?query`) or absolute form
/// (`http://host/path?query`, as sent to proxies).
struct Target<'a> {
    authority: Option<&'a str>,
    path: &'a str,
    query: Option<&'a str>,
}

fn split_target(target: &str) -> Target<'_> {
    let target = target.split('#').next().unwrap_or_default();
    let mut authority = None;
    let mut rest = target;
    let lower_prefix = target.get(..8).map(str::to_ascii_lowercase).unwrap_or_default();
    let scheme_len = if lower_prefix.starts_with("http://") {
        Some(7)
    } else if lower_prefix.starts_with("https://") {
        Some(8)
    } else {
        None
    };
    if let Some(scheme_len) = scheme_len {
        let after = &target[scheme_len..];
        let end = after.find(['/', '?']).unwrap_or(after.len());
        let host = &after[..end];
        // Credentials in the URL are dropped, never kept as part of the host.
        authority = Some(host.rsplit('@').next().unwrap_or(host));
        rest = &after[end..];
    }
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rest, None),
    };
    let path = if path.is_empty() && authority.is_some() { "/" } else { path };
    Target { authority, path, query }
}

fn format_authority(endpoint: Endpoint) -> String {
    match endpoint.addr {
        IpAddr::V4(addr) => format!("{addr}:{}", endpoint.port),
        IpAddr::V6(addr) => format!("[{addr}]:{}", endpoint.port),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_split() {
        let cases = [
            ("/a/b?x=1&y=2", None, "/a/b", Some("x=1&y=2")),
            ("/a#frag", None, "/a", None),
            ("http://user:pw@Example.com:8080/p?q", Some("Example.com:8080"), "/p", Some("q")),
            ("HTTP://example.com", Some("example.com"), "/", None),
            ("http://example.com?x", Some("example.com"), "/", Some("x")),
            ("*", None, "*", None),
        ];
        for (target, authority, path, query) in cases {
            let parts = split_target(target);
            assert_eq!(parts.authority, authority, "{target}");
            assert_eq!(parts.path, path, "{target}");
            assert_eq!(parts.query, query, "{target}");
        }
    }

    #[test]
    fn ipv6_authority_has_brackets() {
        let endpoint = Endpoint { addr: "2001:db8::1".parse().unwrap(), port: 8080 };
        assert_eq!(format_authority(endpoint), "[2001:db8::1]:8080");
    }
}
