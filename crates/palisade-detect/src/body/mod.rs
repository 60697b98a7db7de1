//! Reading request bodies into the keys and leaf values that the rules check: JSON, XML,
//! URL-encoded forms, multipart forms and GraphQL documents. Every reader is bounded in
//! depth and in the number of values it reports, and reads malformed input as far as it
//! goes without failing.

pub mod form;
pub mod graphql;
pub mod json;
pub mod multipart;
pub mod xml;

/// One value found in a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyItem<'a> {
    /// A key (object key, form or part name, XML element name) with the path it sits at.
    Key { path: &'a str, key: &'a str },
    /// An XML attribute name with the path of its element.
    Attribute { path: &'a str, key: &'a str },
    /// A leaf value at a path.
    Value { path: &'a str, value: &'a str },
}

/// Counts of what a body reader skipped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadSummary {
    /// Values nested deeper than the depth limit.
    pub too_deep: usize,
    /// The body did not parse completely; values before the error were reported.
    pub malformed: bool,
}

/// Encodings of a request body, from its media type or its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    Json,
    Form,
    Multipart,
    Xml,
    GraphQl,
    Text,
}

/// Picks how to read a body from its `Content-Type` and, when that is missing or generic,
/// from its first non-space byte.
pub fn body_kind(content_type: &str, body: &[u8]) -> BodyKind {
    let media = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if media == "application/graphql" || media == "application/graphql-response+json" {
        return BodyKind::GraphQl;
    }
    if media == "application/json" || media.ends_with("+json") || media.ends_with("/json") {
        return BodyKind::Json;
    }
    if media == "application/x-www-form-urlencoded" {
        return BodyKind::Form;
    }
    if media.starts_with("multipart/") {
        return BodyKind::Multipart;
    }
    if media.ends_with("/xml") || media.ends_with("+xml") {
        return BodyKind::Xml;
    }
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        Some(b'{') | Some(b'[') => BodyKind::Json,
        Some(b'<') => BodyKind::Xml,
        _ if media.is_empty() && looks_like_form(body) => BodyKind::Form,
        _ => BodyKind::Text,
    }
}

/// True for `a=b&c=d` bodies sent without a content type.
fn looks_like_form(body: &[u8]) -> bool {
    let head = &body[..body.len().min(256)];
    let Some(equals) = head.iter().position(|&b| b == b'=') else { return false };
    equals > 0
        && head[..equals]
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'[' | b']' | b'%'))
}

/// Decodes one `application/x-www-form-urlencoded` component: `+` is a space and `%XX` a
/// byte. Invalid UTF-8 becomes U+FFFD.
pub fn decode_form_component(text: &str) -> String {
    if !text.contains(['+', '%']) {
        return text.to_string();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(high), Some(low)) => {
                        out.push((high * 16 + low) as u8);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_kind_from_type_and_content() {
        assert_eq!(body_kind("application/json; charset=utf-8", b"{}"), BodyKind::Json);
        assert_eq!(body_kind("application/vnd.api+json", b"{}"), BodyKind::Json);
        assert_eq!(body_kind("text/xml", b"<a/>"), BodyKind::Xml);
        assert_eq!(body_kind("", b" [1]"), BodyKind::Json);
        assert_eq!(body_kind("", b"<?xml version='1.0'?>"), BodyKind::Xml);
        assert_eq!(body_kind("", b"a=1&b=2"), BodyKind::Form);
        assert_eq!(body_kind("multipart/form-data; boundary=x", b""), BodyKind::Multipart);
        assert_eq!(body_kind("text/plain", b"hello"), BodyKind::Text);
        assert_eq!(body_kind("application/graphql", b"{ a }"), BodyKind::GraphQl);
    }

    #[test]
    fn form_component_decoding() {
        assert_eq!(decode_form_component("a+b%27c"), "a b'c");
        assert_eq!(decode_form_component("100%"), "100%");
        assert_eq!(decode_form_component("%4"), "%4");
        assert_eq!(decode_form_component("%ff"), "\u{fffd}");
    }
}
