//! JSON pointers (RFC 6901): every error, violation and schema in this crate names its
//! place in the description with one.

/// Escapes one reference token: `~` becomes `~0` and `/` becomes `~1`.
pub fn escape(token: &str) -> String {
    if !token.contains(['~', '/']) {
        return token.to_string();
    }
    token.replace('~', "~0").replace('/', "~1")
}

/// Decodes one reference token: `~1` becomes `/` and `~0` becomes `~`, in that order.
pub fn unescape(token: &str) -> String {
    if !token.contains('~') {
        return token.to_string();
    }
    token.replace("~1", "/").replace("~0", "~")
}

/// Returns `pointer` with `token` appended as one more reference token.
pub fn join(pointer: &str, token: &str) -> String {
    let mut out = String::with_capacity(pointer.len() + token.len() + 1);
    out.push_str(pointer);
    out.push('/');
    out.push_str(&escape(token));
    out
}

/// Returns `pointer` with an array index appended.
pub fn join_index(pointer: &str, index: usize) -> String {
    format!("{pointer}/{index}")
}

/// The pointer of a local `$ref` such as `#/components/schemas/User`, with the
/// percent-escapes of the URI fragment decoded (RFC 6901 section 6). `None` for a
/// reference that is not local: another file or a URL.
pub fn from_local_ref(reference: &str) -> Option<String> {
    let fragment = reference.strip_prefix('#')?;
    let decoded = percent_encoding::percent_decode_str(fragment).decode_utf8_lossy().into_owned();
    if !decoded.is_empty() && !decoded.starts_with('/') {
        return None;
    }
    Some(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_round_trip() {
        let cases = [("users", "users"), ("/users/{id}", "~1users~1{id}"), ("a~b", "a~0b"), ("~1", "~01")];
        for (token, escaped) in cases {
            assert_eq!(escape(token), escaped, "{token}");
            assert_eq!(unescape(escaped), token, "{escaped}");
        }
    }

    #[test]
    fn join_builds_pointer() {
        let pointer = join(&join("", "paths"), "/users/{id}");
        assert_eq!(pointer, "/paths/~1users~1{id}");
        assert_eq!(join_index("/parameters", 3), "/parameters/3");
    }

    #[test]
    fn local_ref_forms() {
        assert_eq!(from_local_ref("#/components/schemas/User").as_deref(), Some("/components/schemas/User"));
        assert_eq!(from_local_ref("#/paths/~1a%7Bb%7D").as_deref(), Some("/paths/~1a{b}"));
        assert_eq!(from_local_ref("#").as_deref(), Some(""));
        assert_eq!(from_local_ref("other.yaml#/a"), None);
        assert_eq!(from_local_ref("https://example.com/s.json"), None);
        assert_eq!(from_local_ref("#anchor"), None);
    }
}
