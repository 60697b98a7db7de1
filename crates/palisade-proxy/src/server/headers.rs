//! Header handling of the proxy: framing checks against request smuggling, hop-by-hop
//! headers, `X-Forwarded-For` and `Forwarded`, and the client IP behind trusted proxies.

use std::net::IpAddr;

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Request, Version};
use ipnet::IpNet;

/// Headers that describe one connection and are never forwarded (RFC 9110, section
/// 7.6.1), besides those named in `Connection`.
const HOP_BY_HOP: [&str; 7] =
    ["connection", "proxy-connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade"];

/// Reason a request's framing is rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FramingError {
    /// Both `Content-Length` and `Transfer-Encoding`: front and back ends may disagree
    /// on where the body ends.
    LengthAndEncoding,
    /// Several `Content-Length` values that differ, or one that is not a number.
    ConflictingLength,
    /// A `Transfer-Encoding` other than a final `chunked`.
    UnsupportedEncoding,
    /// An HTTP/1.1 request without `Host`, or with more than one.
    BadHost,
}

impl FramingError {
    pub fn message(self) -> &'static str {
        match self {
            FramingError::LengthAndEncoding => "invalid request: both Content-Length and Transfer-Encoding",
            FramingError::ConflictingLength => "invalid request: conflicting or invalid Content-Length",
            FramingError::UnsupportedEncoding => "invalid request: unsupported Transfer-Encoding",
            FramingError::BadHost => "invalid request: missing or repeated Host header",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FramingError::LengthAndEncoding => "length_and_encoding",
            FramingError::ConflictingLength => "conflicting_length",
            FramingError::UnsupportedEncoding => "unsupported_encoding",
            FramingError::BadHost => "bad_host",
        }
    }
}

/// Checks what hyper's parser lets through but a proxy must not forward: hyper already
/// rejects some of these with 400, and the checks repeat them so the rule does not
/// depend on the parser's version.
pub(crate) fn check_framing<B>(request: &Request<B>) -> Result<(), FramingError> {
    let headers = request.headers();
    let has_encoding = headers.contains_key(header::TRANSFER_ENCODING);
    let mut lengths = headers.get_all(header::CONTENT_LENGTH).iter();
    let first_length = lengths.next();
    if has_encoding && first_length.is_some() {
        return Err(FramingError::LengthAndEncoding);
    }

    if let Some(first) = first_length {
        let value = parse_length(first).ok_or(FramingError::ConflictingLength)?;
        for other in lengths {
            if parse_length(other) != Some(value) {
                return Err(FramingError::ConflictingLength);
            }
        }
    }

    if has_encoding {
        // The last coding must be chunked, else the body's end is the connection's end.
        let codings: Vec<String> = headers
            .get_all(header::TRANSFER_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|c| c.trim().to_ascii_lowercase())
            .filter(|c| !c.is_empty())
            .collect();
        if codings.last().map(String::as_str) != Some("chunked") {
            return Err(FramingError::UnsupportedEncoding);
        }
    }

    if request.version() == Version::HTTP_11 {
        let hosts = headers.get_all(header::HOST).iter().count();
        if hosts != 1 {
            return Err(FramingError::BadHost);
        }
    }
    Ok(())
}

/// Parses a Content-Length value: digits only, possibly a list of equal values.
fn parse_length(value: &HeaderValue) -> Option<u64> {
    let text = value.to_str().ok()?;
    let mut result = None;
    for part in text.split(',') {
        let part = part.trim();
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let number: u64 = part.parse().ok()?;
        if result.is_some_and(|previous| previous != number) {
            return None;
        }
        result = Some(number);
    }
    result
}

/// Returns the host the client requested, as sent: the URI authority (HTTP/2, absolute-form) or
/// the `Host` header.
pub(crate) fn request_host<B>(request: &Request<B>) -> Option<&str> {
    if let Some(authority) = request.uri().authority() {
        return Some(authority.as_str());
    }
    request.headers().get(header::HOST).and_then(|value| value.to_str().ok())
}

/// Returns the host name of `host` in lower case, without port or IPv6 brackets' port.
pub(crate) fn host_name(host: &str) -> String {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else {
        host.rsplit_once(':')
            .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
            .map_or(host, |(name, _)| name)
    };
    name.to_ascii_lowercase()
}

/// Removes hop-by-hop headers, and those named in `Connection`, from `headers`.
pub(crate) fn remove_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
}

/// Returns the client address: the peer, or, when the peer is a trusted proxy, the right-most
/// `X-Forwarded-For` address that is not itself trusted.
pub(crate) fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let values: Vec<&str> = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
    for hop in values.iter().rev().flat_map(|value| value.rsplit(',')) {
        let Ok(address) = hop.trim().parse::<IpAddr>() else {
            break;
        };
        if !is_trusted(&address) {
            return address;
        }
    }
    peer
}

/// Appends the peer to `X-Forwarded-For` and a `Forwarded` element (RFC 7239), and sets
/// `X-Forwarded-Proto`.
pub(crate) fn add_forwarding(headers: &mut HeaderMap, peer: IpAddr, scheme: &str, host: Option<&str>) {
    let previous: Vec<String> =
        headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).map(str::to_string).collect();
    let mut forwarded_for = previous.join(", ");
    if !forwarded_for.is_empty() {
        forwarded_for.push_str(", ");
    }
    forwarded_for.push_str(&peer.to_string());
    if let Ok(value) = HeaderValue::from_str(&forwarded_for) {
        headers.insert("x-forwarded-for", value);
    }

    let node = match peer {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("\"[{v6}]\""),
    };
    let mut element = format!("for={node};proto={scheme}");
    if let Some(host) = host.filter(|h| h.bytes().all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')) {
        element.push_str(&format!(";host=\"{host}\""));
    }
    if let Ok(value) = HeaderValue::from_str(&element) {
        headers.append(header::FORWARDED, value);
    }
    headers.insert("x-forwarded-proto", HeaderValue::from_static(if scheme == "https" { "https" } else { "http" }));
}

/// Returns the value of the first session cookie, by the cookie names that
/// Palisade's actor attribution uses.
pub(crate) fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    for value in headers.get_all(header::COOKIE) {
        let Ok(text) = value.to_str() else { continue };
        for pair in text.split(';') {
            let Some((name, value)) = pair.trim().split_once('=') else { continue };
            let name = name.to_ascii_lowercase();
            let is_session = matches!(
                name.as_str(),
                "session"
                    | "sessionid"
                    | "session_id"
                    | "sid"
                    | "connect.sid"
                    | "jsessionid"
                    | "phpsessid"
                    | "_session_id"
            ) || name.ends_with("session")
                || name.ends_with("_sess");
            if is_session && !value.is_empty() {
                return Some(value);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(version: Version, headers: &[(&str, &str)]) -> Request<()> {
        let mut builder = Request::builder().uri("/x").version(version);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap()
    }

    #[test]
    fn framing_cases() {
        use FramingError::*;
        let v11 = Version::HTTP_11;
        type Case<'a> = (&'a str, Version, Vec<(&'a str, &'a str)>, Result<(), FramingError>);
        let cases: Vec<Case> = vec![
            ("plain", v11, vec![("host", "a")], Ok(())),
            ("length", v11, vec![("host", "a"), ("content-length", "5")], Ok(())),
            ("chunked", v11, vec![("host", "a"), ("transfer-encoding", "chunked")], Ok(())),
            ("gzip then chunked", v11, vec![("host", "a"), ("transfer-encoding", "gzip, chunked")], Ok(())),
            (
                "both",
                v11,
                vec![("host", "a"), ("content-length", "5"), ("transfer-encoding", "chunked")],
                Err(LengthAndEncoding),
            ),
            (
                "two lengths",
                v11,
                vec![("host", "a"), ("content-length", "5"), ("content-length", "6")],
                Err(ConflictingLength),
            ),
            ("same lengths", v11, vec![("host", "a"), ("content-length", "5"), ("content-length", "5")], Ok(())),
            ("length list", v11, vec![("host", "a"), ("content-length", "5, 6")], Err(ConflictingLength)),
            ("signed length", v11, vec![("host", "a"), ("content-length", "+5")], Err(ConflictingLength)),
            (
                "chunked not last",
                v11,
                vec![("host", "a"), ("transfer-encoding", "chunked, gzip")],
                Err(UnsupportedEncoding),
            ),
            ("identity", v11, vec![("host", "a"), ("transfer-encoding", "identity")], Err(UnsupportedEncoding)),
            ("no host", v11, vec![], Err(BadHost)),
            ("two hosts", v11, vec![("host", "a"), ("host", "b")], Err(BadHost)),
            ("http/1.0 without host", Version::HTTP_10, vec![], Ok(())),
        ];
        for (name, version, headers, expected) in cases {
            assert_eq!(check_framing(&request(version, &headers)), expected, "{name}");
        }
    }

    #[test]
    fn hop_by_hop_and_connection_named_headers_go() {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("connection", "keep-alive, x-secret-hop"),
            ("keep-alive", "timeout=5"),
            ("x-secret-hop", "1"),
            ("upgrade", "websocket"),
            ("te", "trailers"),
            ("accept", "*/*"),
        ] {
            headers.append(name, HeaderValue::from_static(value));
        }
        remove_hop_by_hop(&mut headers);
        let names: Vec<&str> = headers.keys().map(|k| k.as_str()).collect();
        assert_eq!(names, vec!["accept"]);
    }

    #[test]
    fn client_ip_trusts_only_configured_proxies() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let mut headers = HeaderMap::new();
        headers.append("x-forwarded-for", HeaderValue::from_static("198.51.100.7, 10.0.0.9"));
        let untrusted_peer: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(client_ip(untrusted_peer, &headers, &trusted), untrusted_peer);
        let proxy_peer: IpAddr = "10.0.0.5".parse().unwrap();
        assert_eq!(client_ip(proxy_peer, &headers, &trusted), "198.51.100.7".parse::<IpAddr>().unwrap());
        assert_eq!(client_ip(proxy_peer, &HeaderMap::new(), &trusted), proxy_peer);
    }

    #[test]
    fn forwarding_headers_append() {
        let mut headers = HeaderMap::new();
        headers.append("x-forwarded-for", HeaderValue::from_static("198.51.100.7"));
        headers.append("x-forwarded-proto", HeaderValue::from_static("https"));
        add_forwarding(&mut headers, "203.0.113.9".parse().unwrap(), "http", Some("api.example.com"));
        add_forwarding(&mut headers, "2001:db8::1".parse().unwrap(), "http", None);
        assert_eq!(headers["x-forwarded-for"], "198.51.100.7, 203.0.113.9, 2001:db8::1");
        let forwarded: Vec<&str> = headers.get_all("forwarded").iter().map(|v| v.to_str().unwrap()).collect();
        assert_eq!(
            forwarded,
            vec!["for=203.0.113.9;proto=http;host=\"api.example.com\"", "for=\"[2001:db8::1]\";proto=http"]
        );
        assert_eq!(headers["x-forwarded-proto"], "http");
    }

    #[test]
    fn host_name_cases() {
        let cases = [
            ("API.example.com:8443", "api.example.com"),
            ("api.example.com", "api.example.com"),
            ("[2001:db8::1]:443", "2001:db8::1"),
            ("127.0.0.1:80", "127.0.0.1"),
        ];
        for (input, expected) in cases {
            assert_eq!(host_name(input), expected, "{input}");
        }
    }

    #[test]
    fn session_cookie_by_name() {
        let mut headers = HeaderMap::new();
        headers.append("cookie", HeaderValue::from_static("theme=dark; connect.sid=s%3Aabc"));
        assert_eq!(session_cookie(&headers), Some("s%3Aabc"));
        let mut headers = HeaderMap::new();
        headers.append("cookie", HeaderValue::from_static("theme=dark"));
        assert_eq!(session_cookie(&headers), None);
    }
}
