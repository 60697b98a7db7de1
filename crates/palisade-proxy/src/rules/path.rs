//! Path normalisation for rule matching, and path template matching.
//!
//! Rules match the normalised path so that `/%61dmin`, `//admin` and `/x/../admin` cannot
//! slip past a rule on `/admin`. The request is still forwarded with the path as sent.

use std::borrow::Cow;

use percent_encoding::percent_decode_str;

/// Normalises a request path for matching: percent-decodes it once (invalid UTF-8 is
/// replaced), merges repeated slashes and resolves `.` and `..` segments. The result
/// starts with `/`, and ends with `/` when the input did.
pub fn normalize_path(raw: &str) -> Cow<'_, str> {
    if is_normal(raw) {
        return Cow::Borrowed(raw);
    }
    let decoded = percent_decode_str(raw).decode_utf8_lossy();
    let trailing_slash = decoded.ends_with('/') || decoded.ends_with("/.") || decoded.ends_with("/..");

    let mut segments: Vec<&str> = Vec::new();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }

    let mut path = String::with_capacity(decoded.len() + 1);
    for segment in &segments {
        path.push('/');
        path.push_str(segment);
    }
    if path.is_empty() || trailing_slash {
        path.push('/');
    }
    Cow::Owned(path)
}

/// True when `raw` needs no change: it starts with `/`, has no `%`, no `//`, and no `.`
/// or `..` segment.
fn is_normal(raw: &str) -> bool {
    if !raw.starts_with('/') || raw.contains('%') || raw.contains("//") {
        return false;
    }
    raw.split('/').all(|segment| segment != "." && segment != "..")
}

/// A compiled path template such as `/users/{id}/orders`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// `None` for a `{name}` segment, which matches any one non-empty segment.
    segments: Vec<Option<String>>,
}

impl Template {
    /// Parses a template. Returns `None` when it does not start with `/` or has a segment
    /// that mixes text and braces, such as `/a{b}`.
    pub fn parse(text: &str) -> Option<Self> {
        if !text.starts_with('/') {
            return None;
        }
        let normal = normalize_path(text);
        let mut segments = Vec::new();
        for segment in normal.split('/').filter(|s| !s.is_empty()) {
            let is_param = segment.starts_with('{') && segment.ends_with('}') && segment.len() > 2;
            if is_param {
                segments.push(None);
            } else if segment.contains(['{', '}']) {
                return None;
            } else {
                segments.push(Some(segment.to_string()));
            }
        }
        Some(Self { segments })
    }

    /// Returns the text before the first parameter segment, such as `/users/` for
    /// `/users/{id}`; every path the template matches starts with it.
    pub fn literal_prefix(&self) -> String {
        let mut prefix = String::from("/");
        for segment in &self.segments {
            match segment {
                Some(text) => {
                    prefix.push_str(text);
                    prefix.push('/');
                }
                None => return prefix,
            }
        }
        // Without parameters the whole template is literal. The slash added after the
        // last segment goes, because a path matches with or without a trailing slash.
        if !self.segments.is_empty() {
            prefix.pop();
        }
        prefix
    }

    /// True when the normalised `path` matches: same number of segments, literal
    /// segments equal, parameter segments non-empty. A trailing slash is ignored.
    pub fn matches(&self, path: &str) -> bool {
        let mut parts = path.split('/').filter(|s| !s.is_empty());
        for segment in &self.segments {
            let Some(part) = parts.next() else {
                return false;
            };
            if let Some(text) = segment
                && text != part
            {
                return false;
            }
        }
        parts.next().is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_path_cases() {
        let cases = [
            ("/users/42", "/users/42"),
            ("/", "/"),
            ("", "/"),
            ("/%61dmin", "/admin"),
            ("//admin//x", "/admin/x"),
            ("/a/./b/../admin", "/a/admin"),
            ("/../../etc/passwd", "/etc/passwd"),
            ("/admin/", "/admin/"),
            ("/admin/.", "/admin/"),
            ("/a%2Fb", "/a/b"),
            ("/caf%C3%A9", "/café"),
            ("/bad%FF", "/bad\u{FFFD}"),
        ];
        for (input, expected) in cases {
            assert_eq!(normalize_path(input), expected, "{input}");
        }
    }

    #[test]
    fn normal_path_is_borrowed() {
        assert!(matches!(normalize_path("/users/42/orders"), Cow::Borrowed(_)));
    }

    #[test]
    fn template_matches_cases() {
        let cases = [
            ("/users/{id}", "/users/42", true),
            ("/users/{id}", "/users/42/", true),
            ("/users/{id}", "/users", false),
            ("/users/{id}", "/users/42/orders", false),
            ("/users/{id}/orders", "/users/7/orders", true),
            ("/users/{id}/orders", "/users/7/invoices", false),
            ("/health", "/health", true),
            ("/health", "/healthz", false),
            ("/", "/", true),
            ("/", "/x", false),
        ];
        for (template, path, expected) in cases {
            let compiled = Template::parse(template).unwrap();
            assert_eq!(compiled.matches(path), expected, "{template} on {path}");
        }
    }

    #[test]
    fn template_rejects_mixed_segments() {
        assert_eq!(Template::parse("/a{b}"), None);
        assert_eq!(Template::parse("users/{id}"), None);
    }

    #[test]
    fn template_literal_prefix() {
        let cases = [
            ("/users/{id}", "/users/"),
            ("/users/{id}/orders", "/users/"),
            ("/{tenant}/x", "/"),
            ("/health", "/health"),
            ("/", "/"),
        ];
        for (template, prefix) in cases {
            assert_eq!(Template::parse(template).unwrap().literal_prefix(), prefix, "{template}");
        }
    }
}
