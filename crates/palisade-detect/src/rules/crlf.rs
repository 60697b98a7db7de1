//! CRLF injection: line breaks that would start a new HTTP header or a new message if the
//! value were written into a response header or a request line.
//!
//! - `crlf.header_injection`: CR or LF (or a character that some HTTP stacks truncate to
//!   one, such as U+560A) followed by an HTTP header name and `:`, a status or request
//!   line (`HTTP/1.1 200`, `GET / HTTP/1.1`), or a blank line and HTML.
//!
//! - `crlf.mail_command`: a line break followed by an SMTP, IMAP or POP3 command
//!   (`RCPT TO:`, `MAIL FROM:`, `A1 FETCH`), for values that an application passes to a
//!   mail server.
//!
//! - `crlf.line_break`: a CR or LF where HTTP never carries one: in the request path or
//!   in a query parameter or cookie name (medium), or in a query value (low, because a
//!   multi-line text field submitted by GET has them).
//!
//! - `crlf.request_line`: a value that is itself an HTTP request line
//!   (`GET http://host/ HTTP/1.1`), which splits or smuggles a request when a server or
//!   proxy writes the value into one.
//!
//! Multi-line text ("Dear team,\nthanks") has no header after its line breaks. Header
//! names are matched against a list of names that matter in injected responses, plus any
//! name starting with `X-`.

use crate::finding::{Confidence, LocationSection};
use crate::normalize::is_crlf_lookalike;
use crate::rules::xss::starts_with_ignore_case;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrlfMatch {
    pub rule_id: &'static str,
    pub confidence: Confidence,
    pub at: usize,
}

/// Header names whose injection changes a response or request: cookies, redirects,
/// framing, content type and length, caching, CORS, security headers.
const HEADER_NAMES: &[&str] = &[
    "set-cookie",
    "set-cookie2",
    "cookie",
    "location",
    "refresh",
    "content-type",
    "content-length",
    "content-disposition",
    "content-security-policy",
    "content-encoding",
    "transfer-encoding",
    "cache-control",
    "expires",
    "pragma",
    "host",
    "connection",
    "upgrade",
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-allow-headers",
    "access-control-allow-methods",
    "link",
    "strict-transport-security",
    "vary",
    "server",
    "authorization",
    "referer",
    "user-agent",
    "www-authenticate",
    "proxy-authorization",
    "etag",
    "last-modified",
    "keep-alive",
    "remote-addr",
    "forwarded",
    "via",
    "from",
    "accept",
    "accept-encoding",
    "origin",
    "te",
    "trailer",
    "clear-site-data",
    "report-to",
    "nel",
    "alt-svc",
];

pub fn detect(text: &str, facts_lookalike: bool) -> Option<CrlfMatch> {
    let owned;
    let text = if facts_lookalike {
        owned = text
            .chars()
            .map(|c| if is_crlf_lookalike(c) { if (c as u32) & 0xff == 0x0a { '\n' } else { '\r' } } else { c })
            .collect::<String>();
        owned.as_str()
    } else {
        text
    };
    let bytes = text.as_bytes();

    let mut i = 0;
    while i < bytes.len() {
        if !matches!(bytes[i], b'\r' | b'\n') {
            i += 1;
            continue;
        }
        let at = i;
        let mut line_start = i;
        let mut breaks = 0;
        while line_start < bytes.len() && matches!(bytes[line_start], b'\r' | b'\n') {
            if bytes[line_start] == b'\n' {
                breaks += 1;
            }
            line_start += 1;
        }
        let line_end = bytes[line_start..]
            .iter()
            .position(|&b| b == b'\r' || b == b'\n')
            .map(|p| line_start + p)
            .unwrap_or(bytes.len());
        let line = &text[line_start..line_end];
        if starts_header(line) || starts_message(line) || (breaks >= 2 && line.trim_start().starts_with('<')) {
            return Some(CrlfMatch { rule_id: "crlf.header_injection", confidence: Confidence::High, at });
        }
        if starts_mail_command(line) {
            return Some(CrlfMatch { rule_id: "crlf.mail_command", confidence: Confidence::High, at });
        }
        i = line_start.max(i + 1);
    }
    None
}

/// Finds a CR or LF in a location where HTTP never carries one (see the module
/// documentation). Form field names are left out, because text posted with a form content
/// type parses into names that contain its lines.
/// In a query value only a value of nothing but line breaks, or a line break followed by
/// `name=` (a second parameter smuggled into a line-based format), counts: multi-line
/// text does not.
pub fn bare_line_break(section: LocationSection, text: &str) -> Option<CrlfMatch> {
    let confidence = match section {
        LocationSection::Path | LocationSection::QueryKey | LocationSection::CookieKey => Confidence::Medium,
        LocationSection::Query => Confidence::Low,
        _ => return None,
    };
    let bytes = text.as_bytes();
    let at = memchr::memchr2(b'\r', b'\n', bytes)?;
    if section == LocationSection::Query {
        let only_breaks = bytes.iter().all(|b| b.is_ascii_whitespace());
        let after = text[at..].trim_start_matches(['\r', '\n']);
        let name_len =
            after.bytes().take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')).count();
        let parameter_follows = name_len > 0 && after.as_bytes().get(name_len) == Some(&b'=');
        if !only_breaks && !parameter_follows {
            return None;
        }
    }
    Some(CrlfMatch { rule_id: "crlf.line_break", confidence, at })
}

/// A value whose first line is an HTTP request line with a method, a target and an
/// `HTTP/` version. A bare status line or version (`HTTP/1.1`) is not one.
pub fn request_line(text: &str) -> Option<CrlfMatch> {
    let trimmed = text.trim_start();
    // Most values do not start with a method name, so they are rejected before the
    // first line is searched for.
    if !starts_with_method(trimmed) {
        return None;
    }
    let first_line = trimmed.split(['\r', '\n']).next().unwrap_or("");
    if first_line.len() > MAX_REQUEST_LINE_BYTES || !starts_message(first_line) {
        return None;
    }
    Some(CrlfMatch { rule_id: "crlf.request_line", confidence: Confidence::Medium, at: text.len() - trimmed.len() })
}

/// Maximum length of the first line that [`request_line`] examines, in bytes. Request
/// lines in attacks are short.
const MAX_REQUEST_LINE_BYTES: usize = 8192;

/// True when `line` starts with `Name:` for a known header name or an `X-` name. Spaces
/// before the colon are allowed, as lenient parsers accept them.
fn starts_header(line: &str) -> bool {
    let Some(colon) = line.find(':') else { return false };
    let name = line[..colon].trim_end().trim_start_matches([' ', '\t']);
    if name.is_empty() || name.len() > 64 || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return false;
    }
    let lower = name.to_ascii_lowercase();
    HEADER_NAMES.contains(&lower.as_str()) || (lower.starts_with("x-") && lower.len() > 3)
}

/// True for an SMTP, POP3 or IMAP command line: `RCPT TO:`, `QUIT`, or an IMAP tag and
/// command such as `A1 FETCH 1 BODY[]`.
fn starts_mail_command(line: &str) -> bool {
    const SMTP: &[&str] = &[
        "RCPT TO:",
        "MAIL FROM:",
        "DATA",
        "QUIT",
        "HELO ",
        "EHLO ",
        "RSET",
        "VRFY ",
        "EXPN ",
        "AUTH ",
        "STARTTLS",
        "USER ",
        "PASS ",
        "RETR ",
        "DELE ",
    ];
    const IMAP: &[&str] = &[
        "CAPABILITY",
        "LOGIN",
        "SELECT",
        "EXAMINE",
        "FETCH",
        "STORE",
        "SEARCH",
        "APPEND",
        "COPY",
        "UID",
        "LIST",
        "LOGOUT",
    ];
    let upper = line.trim_start().to_ascii_uppercase();
    if SMTP.iter().any(|command| {
        upper.starts_with(command)
            && (upper.len() == command.len()
                || !command.ends_with(char::is_alphabetic)
                || upper[command.len()..].starts_with([' ', ':']))
    }) {
        return true;
    }
    let mut words = upper.split_whitespace();
    let tag = words.next().unwrap_or("");
    let command = words.next().unwrap_or("");
    tag.len() <= 8
        && tag.bytes().all(|b| b.is_ascii_alphanumeric())
        && tag.bytes().any(|b| b.is_ascii_digit())
        && IMAP.contains(&command)
}

/// True for an HTTP status line or request line.
fn starts_message(line: &str) -> bool {
    let line = line.trim_start();
    if starts_with_ignore_case(line.as_bytes(), b"HTTP/1.") || starts_with_ignore_case(line.as_bytes(), b"HTTP/2") {
        return true;
    }
    let mut words = line.split_whitespace();
    let method = words.next().unwrap_or("");
    let target = words.next().unwrap_or("");
    let version = words.next().unwrap_or("");
    is_method(method) && !target.is_empty() && starts_with_ignore_case(version.as_bytes(), b"HTTP/")
}

/// HTTP methods that start a request line.
const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "TRACE", "CONNECT"];

fn is_method(word: &str) -> bool {
    METHODS.iter().any(|method| word.eq_ignore_ascii_case(method))
}

/// True when `text` starts with a method name followed by white space. Only the first
/// eight bytes are read: the longest method has seven letters.
fn starts_with_method(text: &str) -> bool {
    let head = &text.as_bytes()[..text.len().min(8)];
    let Some(end) = head.iter().position(u8::is_ascii_whitespace) else { return false };
    METHODS.iter().any(|method| head[..end].eq_ignore_ascii_case(method.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_cases() {
        let attacks = [
            "x\r\nSet-Cookie: admin=1",
            "\nLocation: https://evil.example",
            "foo\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK",
            "\n\rX-Injected: 1",
            "a\nGET /admin HTTP/1.1",
            "x\r\n\r\n<script>alert(1)</script>",
            "\r\nV100 CAPABILITY\r\nV101 FETCH 4791",
            "\nRCPT TO: test@evil.example\n",
            "\r\nQUIT\r\n",
        ];
        for input in attacks {
            assert!(detect(input, false).is_some(), "input {input:?}");
        }
        assert!(detect("x\u{560a}Set-Cookie: a=1", true).is_some());
    }

    #[test]
    fn line_breaks_by_location() {
        use LocationSection::*;
        let cases = [
            (Path, "/foo\nbar", Some(Confidence::Medium)),
            (QueryKey, "parameter\r\n", Some(Confidence::Medium)),
            (CookieKey, "a\rb", Some(Confidence::Medium)),
            (BodyKey, "text sent as a form\n", None),
            (Query, "test\nnext=more", Some(Confidence::Low)),
            (Query, "\r\n\r\n", Some(Confidence::Low)),
            (Query, "first line\nsecond line", None),
            (Query, "total\n= 5", None),
            (Query, "plain text", None),
            (Path, "/api/v1/users", None),
            (Body, "Dear team,\nthanks", None),
            (Header, "a\nb", None),
        ];
        for (section, text, want) in cases {
            assert_eq!(bare_line_break(section, text).map(|m| m.confidence), want, "{section:?} {text:?}");
        }
    }

    #[test]
    fn request_line_cases() {
        for input in ["GET http://www.example.com HTTP/1.2", " POST /admin HTTP/1.1\r\nHost: x", "get / http/3.0"] {
            assert!(request_line(input).is_some(), "input {input:?}");
        }
        for input in ["HTTP/1.1", "HTTP/1.1 200 OK", "GET the report", "get / now", "POST it HTTPS", "a GET / HTTP/1.1"]
        {
            assert_eq!(request_line(input), None, "input {input:?}");
        }
    }

    #[test]
    fn crlf_near_misses() {
        for input in ["Dear team,\nthanks for the update", "line one\r\nline two: details", "Note:\nnothing", "a\nb"] {
            assert_eq!(detect(input, false), None, "input {input:?}");
        }
    }
}
