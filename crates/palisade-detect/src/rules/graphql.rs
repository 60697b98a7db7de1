//! GraphQL introspection: a document that selects `__schema { ... }` or calls
//! `__type(name: ...)` requests the server's whole type system. Client tools such as
//! GraphiQL send it during development. In production traffic it is how an attacker maps
//! an API before probing it, and deployments commonly turn it off. The finding has low
//! confidence because it marks reconnaissance, not an injection.
//!
//! `__typename` is not introspection of the schema (clients such as Apollo add it to every
//! selection) and does not count.

use std::sync::LazyLock;

use crate::rules::xss::starts_with_ignore_case;

/// Returns the byte offset of the introspection field in `text`, if any.
///
/// The field must start a name (after the start, white space or one of `{ , ( " '`) and be
/// followed, after optional white space, by `{` for `__schema` or `(` for `__type`.
pub fn introspection(text: &str) -> Option<usize> {
    // Building a searcher costs more than most searches, so one is built for all values.
    static UNDERSCORES: LazyLock<memchr::memmem::Finder<'static>> = LazyLock::new(|| memchr::memmem::Finder::new("__"));
    let bytes = text.as_bytes();
    for at in UNDERSCORES.find_iter(bytes) {
        let starts_name =
            at == 0 || matches!(bytes[at - 1], b' ' | b'\t' | b'\r' | b'\n' | b'{' | b',' | b'(' | b'"' | b'\'');
        if !starts_name {
            continue;
        }
        let rest = &bytes[at + 2..];
        let (name_len, opener) = if starts_with_ignore_case(rest, b"schema") {
            (6, b'{')
        } else if starts_with_ignore_case(rest, b"type") {
            (4, b'(')
        } else {
            continue;
        };
        let after = &rest[name_len..];
        let next = after.iter().find(|b| !b.is_ascii_whitespace());
        if next == Some(&opener) {
            return Some(at);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn introspection_queries() {
        let cases = [
            ("{ __schema { types { name } } }", 2),
            ("query IntrospectionQuery {__schema {queryType { name }}}", 26),
            ("IntrospectionQuery{__schema {queryType { name }}", 19),
            ("{__type(name: \"User\") { fields { name } }}", 1),
            ("query {\n  __type (name: \"Query\") { name }\n}", 10),
        ];
        for (input, at) in cases {
            assert_eq!(introspection(input), Some(at), "input {input:?}");
        }
    }

    #[test]
    fn introspection_near_misses() {
        let cases = [
            "{ user(id: 1) { __typename name } }",
            "{ posts { id title } }",
            "the __schema field is documented here",
            "config__schema { x }",
            "__type of the record",
            "__schemaVersion { 2 }",
        ];
        for input in cases {
            assert_eq!(introspection(input), None, "input {input:?}");
        }
    }
}
