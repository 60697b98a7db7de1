//! Parsing HTTP/1.x message heads with `httparse`, and the framing rules of RFC 9112
//! section 6 that decide where a body ends.

use palisade_core::Header;

/// Headers parsed on the stack before falling back to a heap buffer sized by the limit.
const STACK_HEADERS: usize = 32;

/// A parsed start line and header section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Head {
    /// Request method, empty for a response.
    pub method: String,
    /// Request target as sent, empty for a response.
    pub target: String,
    /// Response status code, 0 for a request.
    pub status: u16,
    pub headers: Vec<Header>,
    /// Bytes of the head, up to and including the empty line.
    pub len: usize,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Parsed {
    Complete(Head),
    Partial,
    Invalid(String),
}

/// Rule that finds the end of a message's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// No body: the message ends with its head.
    Empty,
    Length(u64),
    Chunked,
    /// The body ends when the sender closes the connection.
    UntilClose,
}

fn config() -> httparse::ParserConfig {
    // A passive observer accepts what real servers send and clients accept.
    let mut config = httparse::ParserConfig::default();
    config
        .allow_spaces_after_header_name_in_responses(true)
        .allow_obsolete_multiline_headers_in_responses(true)
        .ignore_invalid_headers_in_responses(true)
        .ignore_invalid_headers_in_requests(true)
        .allow_multiple_spaces_in_request_line_delimiters(true)
        .allow_multiple_spaces_in_response_status_delimiters(true);
    config
}

pub(crate) fn parse_request(bytes: &[u8], max_headers: usize) -> Parsed {
    let mut stack = [httparse::EMPTY_HEADER; STACK_HEADERS];
    match parse_request_with(bytes, &mut stack) {
        Err(httparse::Error::TooManyHeaders) if max_headers > STACK_HEADERS => {
            let mut heap = vec![httparse::EMPTY_HEADER; max_headers];
            parse_request_with(bytes, &mut heap).unwrap_or_else(invalid)
        }
        result => result.unwrap_or_else(invalid),
    }
}

fn parse_request_with<'b>(bytes: &'b [u8], headers: &mut [httparse::Header<'b>]) -> Result<Parsed, httparse::Error> {
    let mut request = httparse::Request::new(headers);
    let status = config().parse_request(&mut request, bytes)?;
    let httparse::Status::Complete(len) = status else {
        return Ok(Parsed::Partial);
    };
    Ok(Parsed::Complete(Head {
        method: request.method.unwrap_or_default().to_string(),
        target: request.path.unwrap_or_default().to_string(),
        status: 0,
        headers: convert(request.headers),
        len,
    }))
}

pub(crate) fn parse_response(bytes: &[u8], max_headers: usize) -> Parsed {
    let mut stack = [httparse::EMPTY_HEADER; STACK_HEADERS];
    match parse_response_with(bytes, &mut stack) {
        Err(httparse::Error::TooManyHeaders) if max_headers > STACK_HEADERS => {
            let mut heap = vec![httparse::EMPTY_HEADER; max_headers];
            parse_response_with(bytes, &mut heap).unwrap_or_else(invalid)
        }
        result => result.unwrap_or_else(invalid),
    }
}

fn parse_response_with<'b>(bytes: &'b [u8], headers: &mut [httparse::Header<'b>]) -> Result<Parsed, httparse::Error> {
    let mut response = httparse::Response::new(headers);
    let status = config().parse_response(&mut response, bytes)?;
    let httparse::Status::Complete(len) = status else {
        return Ok(Parsed::Partial);
    };
    Ok(Parsed::Complete(Head {
        method: String::new(),
        target: String::new(),
        status: response.code.unwrap_or_default(),
        headers: convert(response.headers),
        len,
    }))
}

fn invalid(error: httparse::Error) -> Parsed {
    Parsed::Invalid(error.to_string())
}

fn convert(headers: &[httparse::Header<'_>]) -> Vec<Header> {
    headers.iter().map(|header| Header::new(header.name, String::from_utf8_lossy(header.value).into_owned())).collect()
}

/// Framing of a request body: chunked, a length, or none. A request never reads to the
/// end of the connection (RFC 9112 section 6.3, rule 7).
pub(crate) fn request_framing(headers: &[Header]) -> Result<Framing, String> {
    match transfer_coding(headers) {
        Some(true) => return Ok(Framing::Chunked),
        Some(false) => return Err("request Transfer-Encoding does not end in chunked".to_string()),
        None => {}
    }
    Ok(match content_length(headers)? {
        Some(0) | None => Framing::Empty,
        Some(length) => Framing::Length(length),
    })
}

/// Framing of a response body, given its status and the method of its request.
pub(crate) fn response_framing(method: &str, status: u16, headers: &[Header]) -> Result<Framing, String> {
    let no_body = method.eq_ignore_ascii_case("HEAD") || (100..200).contains(&status) || status == 204 || status == 304;
    if no_body {
        return Ok(Framing::Empty);
    }
    match transfer_coding(headers) {
        Some(true) => return Ok(Framing::Chunked),
        Some(false) => return Ok(Framing::UntilClose),
        None => {}
    }
    Ok(match content_length(headers)? {
        Some(0) => Framing::Empty,
        Some(length) => Framing::Length(length),
        None => Framing::UntilClose,
    })
}

/// `Some(true)` when the last transfer coding is chunked, `Some(false)` for any other
/// coding, `None` without a Transfer-Encoding header.
fn transfer_coding(headers: &[Header]) -> Option<bool> {
    let mut last = None;
    for header in headers.iter().filter(|h| h.name.eq_ignore_ascii_case("transfer-encoding")) {
        for coding in header.value.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            last = Some(coding.eq_ignore_ascii_case("chunked"));
        }
    }
    last
}

/// The Content-Length, which every field line and list member must agree on.
fn content_length(headers: &[Header]) -> Result<Option<u64>, String> {
    let mut length = None;
    for header in headers.iter().filter(|h| h.name.eq_ignore_ascii_case("content-length")) {
        for member in header.value.split(',').map(str::trim) {
            let valid = !member.is_empty() && member.len() <= 19 && member.bytes().all(|b| b.is_ascii_digit());
            let value: u64 = match member.parse() {
                Ok(value) if valid => value,
                _ => return Err(format!("invalid Content-Length {:?}", truncate(&header.value))),
            };
            if length.is_some_and(|previous| previous != value) {
                return Err(format!("conflicting Content-Length values {:?}", truncate(&header.value)));
            }
            length = Some(value);
        }
    }
    Ok(length)
}

fn truncate(text: &str) -> String {
    palisade_core::trace::truncate_for_message(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Vec<Header> {
        pairs.iter().map(|(name, value)| Header::new(*name, *value)).collect()
    }

    #[test]
    fn request_head_parses() {
        let Parsed::Complete(head) = parse_request(b"GET /a?b=1 HTTP/1.1\r\nHost: x\r\n\r\nrest", 256) else {
            panic!("expected a complete head");
        };
        assert_eq!(head.method, "GET");
        assert_eq!(head.target, "/a?b=1");
        assert_eq!(head.headers, headers(&[("Host", "x")]));
        assert_eq!(head.len, 32);
    }

    #[test]
    fn partial_and_invalid_heads() {
        assert_eq!(parse_request(b"GET / HTTP/1.1\r\nHost:", 256), Parsed::Partial);
        assert!(matches!(parse_request(b"\x16\x03\x01\x02\x00", 256), Parsed::Invalid(_)));
        assert!(matches!(parse_response(b"HTTP/1.1 abc OK\r\n\r\n", 256), Parsed::Invalid(_)));
    }

    #[test]
    fn many_headers_use_heap_buffer() {
        let mut text = String::from("HTTP/1.1 200 OK\r\n");
        for index in 0..100 {
            text.push_str(&format!("X-{index}: {index}\r\n"));
        }
        text.push_str("\r\n");
        let Parsed::Complete(head) = parse_response(text.as_bytes(), 256) else {
            panic!("expected a complete head");
        };
        assert_eq!(head.headers.len(), 100);
        assert!(matches!(parse_response(text.as_bytes(), 50), Parsed::Invalid(_)));
    }

    #[test]
    fn framing_rules() {
        // Method, status, headers, expected framing (an error as `Err(())`).
        type Case<'a> = (&'a str, u16, &'a [(&'a str, &'a str)], Result<Framing, ()>);
        let cases: [Case; 10] = [
            ("GET", 200, &[("Content-Length", "5")], Ok(Framing::Length(5))),
            ("HEAD", 200, &[("Content-Length", "5")], Ok(Framing::Empty)),
            ("GET", 204, &[], Ok(Framing::Empty)),
            ("GET", 304, &[("Content-Length", "5")], Ok(Framing::Empty)),
            ("GET", 100, &[], Ok(Framing::Empty)),
            ("GET", 200, &[], Ok(Framing::UntilClose)),
            ("GET", 200, &[("Transfer-Encoding", "gzip, chunked"), ("Content-Length", "9")], Ok(Framing::Chunked)),
            ("GET", 200, &[("Transfer-Encoding", "gzip")], Ok(Framing::UntilClose)),
            ("GET", 200, &[("Content-Length", "5, 5")], Ok(Framing::Length(5))),
            ("GET", 200, &[("Content-Length", "5"), ("Content-Length", "6")], Err(())),
        ];
        for (method, status, pairs, expected) in cases {
            let framing = response_framing(method, status, &headers(pairs)).map_err(|_| ());
            assert_eq!(framing, expected, "{method} {status} {pairs:?}");
        }
    }

    #[test]
    fn request_framing_rules() {
        assert_eq!(request_framing(&[]), Ok(Framing::Empty));
        assert_eq!(request_framing(&headers(&[("Content-Length", "0")])), Ok(Framing::Empty));
        assert_eq!(request_framing(&headers(&[("content-length", "12")])), Ok(Framing::Length(12)));
        assert_eq!(request_framing(&headers(&[("Transfer-Encoding", "chunked")])), Ok(Framing::Chunked));
        assert!(request_framing(&headers(&[("Content-Length", "-1")])).is_err());
        assert!(request_framing(&headers(&[("Content-Length", "+5")])).is_err());
        assert!(request_framing(&headers(&[("Transfer-Encoding", "gzip")])).is_err());
    }
}
