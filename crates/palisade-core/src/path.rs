//! Request path handling shared by discovery and storage.

/// Splits a request path into its segments. Empty segments (`//`, a trailing `/`) are
/// dropped, and `.` and `..` are resolved as RFC 3986 section 5.2.4 does, so `..` never
/// climbs above the root. Segments stay percent-encoded: `%2F` is part of a segment, not a
/// separator.
pub fn split_path(path: &str) -> Vec<&str> {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            _ => segments.push(segment),
        }
    }
    segments
}

/// Decodes `%XX` escapes in a path segment. Invalid escapes stay as they are, and bytes
/// that do not form UTF-8 become U+FFFD.
pub fn percent_decode_lossy(segment: &str) -> String {
    if !segment.contains('%') {
        return segment.to_string();
    }
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%' && i + 2 < bytes.len())
            .then(|| std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()))
            .flatten();
        match escaped {
            Some(value) => {
                out.push(value);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Joins segments into a path that starts with `/`.
pub fn join_path<S: AsRef<str>>(segments: &[S]) -> String {
    if segments.is_empty() {
        return "/".to_string();
    }
    let mut path = String::new();
    for segment in segments {
        path.push('/');
        path.push_str(segment.as_ref());
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_path_cases() {
        let cases: [(&str, &[&str]); 8] = [
            ("/", &[]),
            ("/users/42", &["users", "42"]),
            ("/users//42/", &["users", "42"]),
            ("/a/./b", &["a", "b"]),
            ("/a/../b", &["b"]),
            ("/../../etc/passwd", &["etc", "passwd"]),
            ("/files/a%2Fb", &["files", "a%2Fb"]),
            ("/a/b/..", &["a"]),
        ];
        for (path, expected) in cases {
            assert_eq!(split_path(path), expected, "{path}");
        }
    }

    #[test]
    fn percent_decode_keeps_bad_escapes() {
        assert_eq!(percent_decode_lossy("a%zzb%4"), "a%zzb%4");
        assert_eq!(percent_decode_lossy("a%2Fb"), "a/b");
        assert_eq!(percent_decode_lossy("ada%40example.com"), "ada@example.com");
        assert_eq!(percent_decode_lossy("%ff"), "\u{fffd}");
    }

    #[test]
    fn join_path_round_trip() {
        assert_eq!(join_path(&["users", "42"]), "/users/42");
        assert_eq!(join_path::<&str>(&[]), "/");
    }
}
