//! HTTP conventions shared by every decoder: splitting URLs, parsing query strings, dropping
//! HTTP/2 pseudo-headers, and choosing the host and content type.

use std::borrow::Cow;

use base64::Engine;
use palisade_core::trace::{Header, QueryParam, header_value, truncate_for_message};
use percent_encoding::percent_decode_str;

/// The pieces of a request URL. Every piece borrows from the URL text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct UrlParts<'a> {
    /// Scheme of an absolute URL, as written.
    pub scheme: Option<&'a str>,
    /// Host and port of an absolute URL, without any `user:password@` part.
    pub authority: Option<&'a str>,
    /// Path, still percent-encoded, or `/` when an absolute URL has none.
    pub path: &'a str,
    /// Query string without the `?`.
    pub query: Option<&'a str>,
}

/// Splits an absolute URL (`https://host:port/path?query`) or an origin-form target
/// (`/path?query`). A fragment (`#...`) is dropped because clients never send it.
pub(crate) fn split_url(url: &str) -> UrlParts<'_> {
    let url = url.trim();
    let url = match url.find('#') {
        Some(hash) => &url[..hash],
        None => url,
    };

    let mut parts = UrlParts::default();
    let mut rest = url;
    if let Some((scheme, after)) = url.split_once("://")
        && is_scheme(scheme)
    {
        let authority_end = after.find(['/', '?']).unwrap_or(after.len());
        let authority = &after[..authority_end];
        // Credentials in the URL are dropped, never kept as part of the host.
        let host = match authority.rfind('@') {
            Some(at) => &authority[at + 1..],
            None => authority,
        };
        parts.scheme = Some(scheme);
        parts.authority = Some(host);
        rest = &after[authority_end..];
    }

    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rest, None),
    };
    parts.path = if path.is_empty() && parts.scheme.is_some() { "/" } else { path };
    parts.query = query;
    parts
}

/// True for an RFC 3986 scheme: a letter, then letters, digits, `+`, `-` or `.`.
fn is_scheme(text: &str) -> bool {
    let mut bytes = text.bytes();
    let first_is_letter = bytes.next().is_some_and(|b| b.is_ascii_alphabetic());
    first_is_letter && bytes.all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
}

/// Maps a URL scheme to the trace's `http` or `https`. WebSocket schemes map to the scheme
/// of their opening handshake, which is an HTTP request.
pub(crate) fn trace_scheme(scheme: &str) -> Result<&'static str, String> {
    let lower = scheme.to_ascii_lowercase();
    match lower.as_str() {
        "http" | "ws" => Ok("http"),
        "https" | "wss" => Ok("https"),
        _ => Err(format!("unsupported URL scheme {:?}: expected http or https", truncate_for_message(scheme))),
    }
}

/// Parses a query string in order, percent-decoding names and values and reading `+` as a
/// space, as `application/x-www-form-urlencoded` does.
pub(crate) fn parse_query(query: Option<&str>) -> Vec<QueryParam> {
    let Some(query) = query else {
        return Vec::new();
    };
    form_urlencoded::parse(query.as_bytes())
        .map(|(name, value)| QueryParam { name: name.into_owned(), value: value.into_owned() })
        .collect()
}

/// Builds a query string that [`parse_query`] reads back as `params`.
pub(crate) fn format_query(params: &[QueryParam]) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for param in params {
        serializer.append_pair(&param.name, &param.value);
    }
    serializer.finish()
}

/// Appends query parameters that a format lists next to the URL (HAR `queryString`, Metlo
/// `parameters`, Keploy `url_params`) unless the URL already has them. A listed parameter
/// matches a URL parameter with the same name and value, compared both as written and
/// percent-decoded, because some tools list raw values and others decoded ones. Each URL
/// parameter matches at most one listed parameter, so repeated parameters are kept.
pub(crate) fn merge_listed_params(query: &mut Vec<QueryParam>, listed: Vec<(String, String)>) {
    let from_url = query.len();
    let mut matched = vec![false; from_url];
    for (name, value) in listed {
        let decoded_name = form_decode(&name);
        let decoded_value = form_decode(&value);
        let found = (0..from_url).find(|&index| {
            let param = &query[index];
            let same = (param.name == name && param.value == value)
                || (param.name == decoded_name && param.value == decoded_value);
            !matched[index] && same
        });
        match found {
            Some(index) => matched[index] = true,
            None => query.push(QueryParam { name, value }),
        }
    }
}

/// Percent-decodes one query component, reading `+` as a space.
fn form_decode(text: &str) -> Cow<'_, str> {
    if !text.contains(['%', '+']) {
        return Cow::Borrowed(text);
    }
    let spaced = text.replace('+', " ");
    Cow::Owned(percent_decode_str(&spaced).decode_utf8_lossy().into_owned())
}

/// Headers in their order, without HTTP/2 pseudo-headers, and the `:authority`
/// pseudo-header's value when one was present.
pub(crate) struct HeaderList {
    pub headers: Vec<Header>,
    pub authority: Option<String>,
}

pub(crate) fn collect_headers(pairs: impl IntoIterator<Item = (String, String)>) -> HeaderList {
    let mut list = HeaderList { headers: Vec::new(), authority: None };
    for (name, value) in pairs {
        if name.eq_ignore_ascii_case(":authority") {
            list.authority.get_or_insert(value);
        } else if !name.starts_with(':') {
            list.headers.push(Header { name, value });
        }
    }
    list
}

/// Chooses the request host: the format's own host (a URL's authority, Metlo's
/// `url.host`), else the `Host` header, else HTTP/2's `:authority`. Empty when none is
/// known, which validation then reports as a missing host.
pub(crate) fn choose_host(own: Option<&str>, list: &HeaderList) -> String {
    let candidates = [own, header_value(&list.headers, "host"), list.authority.as_deref()];
    candidates.into_iter().flatten().map(str::trim).find(|host| !host.is_empty()).unwrap_or_default().to_string()
}

/// Returns the whole `Content-Type` header value, trimmed, else the format's own media type field.
pub(crate) fn content_type(headers: &[Header], fallback: Option<&str>) -> Option<String> {
    let candidates = [header_value(headers, "content-type"), fallback];
    candidates.into_iter().flatten().map(str::trim).find(|value| !value.is_empty()).map(str::to_string)
}

pub(crate) fn content_encoding(headers: &[Header]) -> Option<&str> {
    header_value(headers, "content-encoding")
}

/// Upper-cases a method name. Validation later rejects anything that is not a token.
pub(crate) fn normalize_method(method: &str) -> String {
    method.trim().to_ascii_uppercase()
}

/// Decodes standard base64 with or without padding. Some tools wrap long base64 text over
/// several lines, so ASCII whitespace is skipped.
pub(crate) fn decode_base64(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    let engine = &base64::engine::general_purpose::STANDARD_PAD_INDIFFERENT;
    if text.bytes().any(|b| b.is_ascii_whitespace()) {
        let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        return engine.decode(compact);
    }
    engine.decode(text)
}

pub(crate) fn encode_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(name: &str, value: &str) -> QueryParam {
        QueryParam { name: name.into(), value: value.into() }
    }

    #[test]
    fn split_url_absolute() {
        let parts = split_url("https://user:pw@api.example.com:8443/a%20b/c?x=1&y=2#frag");
        assert_eq!(parts.scheme, Some("https"));
        assert_eq!(parts.authority, Some("api.example.com:8443"));
        assert_eq!(parts.path, "/a%20b/c");
        assert_eq!(parts.query, Some("x=1&y=2"));
    }

    #[test]
    fn split_url_without_path() {
        let parts = split_url("http://example.com?q=1");
        assert_eq!(parts.authority, Some("example.com"));
        assert_eq!(parts.path, "/");
        assert_eq!(parts.query, Some("q=1"));

        let parts = split_url("http://example.com");
        assert_eq!(parts.path, "/");
        assert_eq!(parts.query, None);
    }

    #[test]
    fn split_url_origin_form() {
        let parts = split_url("/users/3?expand=orders");
        assert_eq!(parts.scheme, None);
        assert_eq!(parts.authority, None);
        assert_eq!(parts.path, "/users/3");
        assert_eq!(parts.query, Some("expand=orders"));

        // A colon in a path is not a scheme.
        let parts = split_url("/a://b");
        assert_eq!(parts.scheme, None);
        assert_eq!(parts.path, "/a://b");
    }

    #[test]
    fn trace_scheme_maps_websocket() {
        assert_eq!(trace_scheme("HTTPS"), Ok("https"));
        assert_eq!(trace_scheme("wss"), Ok("https"));
        assert_eq!(trace_scheme("ws"), Ok("http"));
        assert!(trace_scheme("ftp").unwrap_err().contains("unsupported URL scheme \"ftp\""));
    }

    #[test]
    fn parse_query_decodes_in_order() {
        let query = parse_query(Some("b=2&a=x+y&a=%2F&flag&&=v"));
        assert_eq!(query, vec![param("b", "2"), param("a", "x y"), param("a", "/"), param("flag", ""), param("", "v")]);
    }

    #[test]
    fn format_query_round_trips() {
        let params = vec![param("a b", "c&d=e"), param("", ""), param("x", "+%/ü")];
        let text = format_query(&params);
        assert_eq!(parse_query(Some(&text)), params);
    }

    #[test]
    fn merge_skips_params_already_in_url() {
        let mut query = parse_query(Some("q=a%20b&page=2&page=2"));
        let listed = vec![
            ("q".to_string(), "a%20b".to_string()),
            ("page".to_string(), "2".to_string()),
            ("page".to_string(), "2".to_string()),
            ("page".to_string(), "2".to_string()),
            ("extra".to_string(), "1".to_string()),
        ];
        merge_listed_params(&mut query, listed);
        assert_eq!(
            query,
            vec![param("q", "a b"), param("page", "2"), param("page", "2"), param("page", "2"), param("extra", "1")]
        );
    }

    #[test]
    fn collect_headers_drops_pseudo_headers() {
        let pairs = vec![
            (":method".to_string(), "GET".to_string()),
            (":authority".to_string(), "api.example.com".to_string()),
            ("accept".to_string(), "*/*".to_string()),
        ];
        let list = collect_headers(pairs);
        assert_eq!(list.headers, vec![Header::new("accept", "*/*")]);
        assert_eq!(list.authority.as_deref(), Some("api.example.com"));
        assert_eq!(choose_host(None, &list), "api.example.com");
        assert_eq!(choose_host(Some(""), &list), "api.example.com");
        assert_eq!(choose_host(Some("other:8080"), &list), "other:8080");
    }

    #[test]
    fn host_header_beats_authority() {
        let list = collect_headers(vec![
            (":authority".to_string(), "a.example".to_string()),
            ("Host".to_string(), " b.example ".to_string()),
        ]);
        assert_eq!(choose_host(None, &list), "b.example");
    }

    #[test]
    fn content_type_prefers_header() {
        let headers = vec![Header::new("Content-Type", " application/json; charset=utf-8 ")];
        assert_eq!(content_type(&headers, Some("text/plain")).as_deref(), Some("application/json; charset=utf-8"));
        assert_eq!(content_type(&[], Some("text/plain")).as_deref(), Some("text/plain"));
        assert_eq!(content_type(&[], Some(" ")), None);
    }

    #[test]
    fn base64_accepts_missing_padding_and_line_breaks() {
        assert_eq!(decode_base64("aGk=").unwrap(), b"hi");
        assert_eq!(decode_base64("aGk").unwrap(), b"hi");
        assert_eq!(decode_base64("aGVs\nbG8=").unwrap(), b"hello");
        assert!(decode_base64("not base64!").is_err());
    }
}
