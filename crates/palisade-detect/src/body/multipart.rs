//! `multipart/form-data` bodies held in memory. The reader is lenient: a body cut short
//! or with a missing final boundary yields the parts read so far.

/// One part of a multipart body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part<'a> {
    pub name: String,
    /// The `filename` parameter of a file part.
    pub filename: Option<String>,
    pub content_type: String,
    pub content: &'a [u8],
}

/// Extracts the boundary parameter of a multipart `Content-Type`.
pub fn boundary(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|parameter| {
        let (name, value) = parameter.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("boundary") {
            return None;
        }
        let value = value.trim().trim_matches('"');
        (!value.is_empty() && value.len() <= 200).then(|| value.to_string())
    })
}

/// Splits `body` into at most `max_parts` parts; returns them and whether some were left
/// out.
pub fn parts<'a>(body: &'a [u8], boundary: &str, max_parts: usize) -> (Vec<Part<'a>>, bool) {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let mut parts = Vec::new();

    let Some(first) = find(body, delimiter, 0) else { return (parts, false) };
    let mut position = first + delimiter.len();
    loop {
        if body[position..].starts_with(b"--") {
            return (parts, false);
        }
        if parts.len() == max_parts {
            return (parts, true);
        }
        let next = find(body, delimiter, position);
        let end = next.unwrap_or(body.len());
        if let Some(part) = parse_part(&body[position..end]) {
            parts.push(part);
        }
        match next {
            Some(next) => position = next + delimiter.len(),
            None => return (parts, false),
        }
    }
}

fn parse_part(raw: &[u8]) -> Option<Part<'_>> {
    let raw = raw.strip_prefix(b"\r\n").or_else(|| raw.strip_prefix(b"\n")).unwrap_or(raw);
    let (header_end, body_start) = match find(raw, b"\r\n\r\n", 0) {
        Some(at) => (at, at + 4),
        None => {
            let at = find(raw, b"\n\n", 0)?;
            (at, at + 2)
        }
    };
    let headers = String::from_utf8_lossy(&raw[..header_end]);
    let mut content = &raw[body_start..];
    content = content.strip_suffix(b"\r\n").or_else(|| content.strip_suffix(b"\n")).unwrap_or(content);

    let mut name = String::new();
    let mut filename = None;
    let mut content_type = String::new();
    for line in headers.lines() {
        let Some((header, value)) = line.split_once(':') else { continue };
        if header.trim().eq_ignore_ascii_case("content-disposition") {
            for parameter in value.split(';').skip(1) {
                let Some((key, text)) = parameter.split_once('=') else { continue };
                let text = text.trim().trim_matches('"').to_string();
                match key.trim().to_ascii_lowercase().as_str() {
                    "name" => name = text,
                    "filename" | "filename*" => filename = Some(text),
                    _ => {}
                }
            }
        } else if header.trim().eq_ignore_ascii_case("content-type") {
            content_type = value.trim().to_string();
        }
    }
    Some(Part { name, filename, content_type, content })
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from > haystack.len() || needle.is_empty() {
        return None;
    }
    haystack[from..].windows(needle.len()).position(|w| w == needle).map(|p| from + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_reads_fields_and_files() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nHello\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../a.php\"\r\nContent-Type: text/plain\r\n\r\n<?php ?>\r\n--XyZ--\r\n";
        let (parts, cut) = parts(body, "XyZ", 10);
        assert!(!cut);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "title");
        assert_eq!(parts[0].content, b"Hello");
        assert_eq!(parts[1].filename.as_deref(), Some("../a.php"));
        assert_eq!(parts[1].content, b"<?php ?>");
    }

    #[test]
    fn boundary_from_header() {
        assert_eq!(boundary("multipart/form-data; boundary=XyZ").as_deref(), Some("XyZ"));
        assert_eq!(boundary("multipart/form-data; boundary=\"a b\"").as_deref(), Some("a b"));
        assert_eq!(boundary("multipart/form-data"), None);
    }

    #[test]
    fn truncated_body_keeps_parts() {
        let body = b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--b\r\nContent-Disposition: form-data; name=\"c\"\r\n\r\nunfinished";
        let (parts, _) = parts(body, "b", 10);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1].content, b"unfinished");
    }
}
