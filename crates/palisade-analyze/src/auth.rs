//! Detection of the authentication schemes a request carries.

use palisade_core::Request;
use palisade_core::auth::AuthScheme;

/// Cookie names that hold a session id in common frameworks.
const SESSION_COOKIES: [&str; 9] = [
    "session",
    "sessionid",
    "session_id",
    "sid",
    "connect.sid",
    "jsessionid",
    "phpsessid",
    "asp.net_sessionid",
    "_session_id",
];

/// Query parameter names that carry an API key or token.
const KEY_PARAMS: [&str; 8] = ["api_key", "apikey", "api-key", "key", "token", "access_token", "auth", "auth_token"];

/// Returns the schemes `request` uses; `[None]` when it carries no credential.
pub fn detect_auth(request: &Request) -> Vec<AuthScheme> {
    let mut schemes = Vec::new();
    let mut push = |scheme: AuthScheme| {
        if !schemes.contains(&scheme) {
            schemes.push(scheme);
        }
    };

    let mut compact = String::new();
    for header in &request.headers {
        let name = header.name.as_str();
        let value = header.value.trim();
        if value.is_empty() {
            continue;
        }
        if name.eq_ignore_ascii_case("authorization") || name.eq_ignore_ascii_case("proxy-authorization") {
            let (scheme, credential) = value.split_once(' ').unwrap_or(("", value));
            if scheme.eq_ignore_ascii_case("basic") {
                push(AuthScheme::Basic);
            } else if is_jwt(credential.trim()) || is_jwt(value) {
                push(AuthScheme::Jwt);
            } else {
                push(AuthScheme::Bearer);
            }
        } else if name.eq_ignore_ascii_case("cookie") {
            for pair in value.split(';') {
                let (cookie, cookie_value) = pair.trim().split_once('=').unwrap_or((pair.trim(), ""));
                let cookie = cookie.to_ascii_lowercase();
                if is_jwt(cookie_value.trim()) {
                    push(AuthScheme::Jwt);
                } else if SESSION_COOKIES.contains(&cookie.as_str())
                    || cookie.ends_with("session")
                    || cookie.ends_with("_sess")
                {
                    push(AuthScheme::SessionCookie);
                }
            }
        } else if is_compact_key_header(compact_name(name, &mut compact)) {
            if is_jwt(value) {
                push(AuthScheme::Jwt);
            } else {
                push(AuthScheme::ApiKeyHeader);
            }
        }
    }

    for param in &request.query {
        if KEY_PARAMS.iter().any(|key| param.name.eq_ignore_ascii_case(key)) && !param.value.is_empty() {
            push(AuthScheme::ApiKeyQuery);
        }
    }

    if schemes.is_empty() {
        schemes.push(AuthScheme::None);
    }
    schemes
}

/// Writes the ASCII letters and digits of `name`, lower-case, into `buffer`, which callers
/// reuse across names to spare an allocation per header.
pub(crate) fn compact_name<'b>(name: &str, buffer: &'b mut String) -> &'b str {
    buffer.clear();
    // Bytes of multi-byte characters are never ASCII, so a byte scan keeps what a char
    // scan would.
    for &b in name.as_bytes() {
        if b.is_ascii_alphanumeric() {
            buffer.push(char::from(b.to_ascii_lowercase()));
        }
    }
    buffer
}

/// Header names that carry API keys or tokens: `X-API-Key`, `Api-Key`, `X-Auth-Token`,
/// `X-Access-Token` and the like, given as [`compact_name`] writes them.
fn is_compact_key_header(compact: &str) -> bool {
    let compact = compact.strip_prefix('x').unwrap_or(compact);
    matches!(compact, "apikey" | "apitoken" | "authtoken" | "accesstoken" | "token" | "key" | "secret" | "clientsecret")
        || compact.ends_with("apikey")
        || compact.ends_with("authtoken")
}

/// Kind of a byte in a JWT.
#[derive(Clone, Copy)]
enum JwtByte {
    /// A letter, digit, `-`, `_` or `=`.
    Base64Url,
    /// The `.` between parts.
    Dot,
    Other,
}

/// [`JwtByte`] of every byte value, so the check costs one lookup a byte.
const JWT_BYTES: [JwtByte; 256] = {
    let mut table = [JwtByte::Other; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        if byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' || byte == b'=' {
            table[b] = JwtByte::Base64Url;
        } else if byte == b'.' {
            table[b] = JwtByte::Dot;
        }
        b += 1;
    }
    table
};

/// Three base64url parts whose first decodes to a JSON object; checked by shape only:
/// header `eyJ` (the base64 of `{"`) and two dots.
pub fn is_jwt(value: &str) -> bool {
    let bytes = value.as_bytes();
    if !bytes.starts_with(b"eyJ") {
        return false;
    }
    // One pass over the token: exactly two dots, and base64url characters between them.
    let mut dots = [0usize; 2];
    let mut dot_count = 0;
    for (i, &b) in bytes.iter().enumerate() {
        match JWT_BYTES[usize::from(b)] {
            JwtByte::Base64Url => {}
            JwtByte::Dot if dot_count < dots.len() => {
                dots[dot_count] = i;
                dot_count += 1;
            }
            JwtByte::Dot | JwtByte::Other => return false,
        }
    }
    let payload_len = dots[1].saturating_sub(dots[0] + 1);
    dot_count == dots.len() && payload_len >= 2
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::{Body, Header, QueryParam};

    const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl";

    fn request(headers: &[(&str, &str)], query: &[(&str, &str)]) -> Request {
        Request {
            method: "GET".into(),
            scheme: "https".into(),
            host: "h".into(),
            path: "/".into(),
            query: query.iter().map(|(n, v)| QueryParam { name: n.to_string(), value: v.to_string() }).collect(),
            headers: headers.iter().map(|(n, v)| Header::new(*n, *v)).collect(),
            content_type: None,
            body: Body::default(),
        }
    }

    #[test]
    fn detect_auth_table() {
        let bearer_jwt = format!("Bearer {JWT}");
        let jwt_cookie = format!("token={JWT}");
        // (headers, query parameters, expected schemes)
        type Case<'a> = (Vec<(&'a str, &'a str)>, Vec<(&'a str, &'a str)>, Vec<AuthScheme>);
        let cases: Vec<Case<'_>> = vec![
            (vec![], vec![], vec![AuthScheme::None]),
            (vec![("Accept", "*/*")], vec![("page", "2")], vec![AuthScheme::None]),
            (vec![("Authorization", "Basic YWRhOnB3")], vec![], vec![AuthScheme::Basic]),
            (vec![("Authorization", "Bearer opaque-token-123")], vec![], vec![AuthScheme::Bearer]),
            (vec![("Authorization", bearer_jwt.as_str())], vec![], vec![AuthScheme::Jwt]),
            (vec![("X-API-Key", "k1")], vec![], vec![AuthScheme::ApiKeyHeader]),
            (vec![("X-Auth-Token", "t")], vec![], vec![AuthScheme::ApiKeyHeader]),
            (vec![], vec![("api_key", "k")], vec![AuthScheme::ApiKeyQuery]),
            (vec![], vec![("api_key", "")], vec![AuthScheme::None]),
            (vec![("Cookie", "theme=dark; JSESSIONID=abc")], vec![], vec![AuthScheme::SessionCookie]),
            (vec![("Cookie", "theme=dark")], vec![], vec![AuthScheme::None]),
            (vec![("Cookie", jwt_cookie.as_str())], vec![], vec![AuthScheme::Jwt]),
            (
                vec![("Authorization", "Basic x"), ("X-Api-Key", "k")],
                vec![],
                vec![AuthScheme::Basic, AuthScheme::ApiKeyHeader],
            ),
            (vec![("X-Keyboard", "us")], vec![], vec![AuthScheme::None]),
        ];
        for (headers, query, expected) in cases {
            assert_eq!(detect_auth(&request(&headers, &query)), expected, "{headers:?} {query:?}");
        }
    }

    #[test]
    fn jwt_shape() {
        assert!(is_jwt(JWT));
        assert!(!is_jwt("eyJ.x"));
        assert!(!is_jwt("a.b.c"));
        assert!(!is_jwt("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.sig.extra"));
    }

    #[test]
    fn jwt_shape_edges() {
        let cases = [
            ("eyJ.ab.c", true),
            ("eyJa.bc.", true),
            ("eyJa.b.c", false),
            ("eyJa..bc", false),
            ("eyJa.bc.c d", false),
            ("eyJa.b-_=.c", true),
            ("eyJa.bc.c.", false),
            ("eyJ\u{e9}.bc.c", false),
            ("", false),
        ];
        for (value, expected) in cases {
            assert_eq!(is_jwt(value), expected, "{value:?}");
        }
    }

    #[test]
    fn compact_name_keeps_ascii_letters_and_digits() {
        let mut buffer = String::from("left over");
        assert_eq!(compact_name("X-\u{c4}pi_Key-2", &mut buffer), "xpikey2");
    }
}
