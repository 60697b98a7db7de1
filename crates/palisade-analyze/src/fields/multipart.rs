//! Reads the parts of a `multipart/form-data` body already held in memory, with `multer`.

use std::pin::pin;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use futures_util::stream;

/// One part: its field name, and its text when it is a UTF-8 value rather than a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    pub text: Option<String>,
}

/// Extracts the boundary parameter of a multipart Content-Type header.
pub fn boundary(content_type: &str) -> Option<String> {
    multer::parse_boundary(content_type).ok()
}

/// Parses at most `max_parts` parts of `body`. The whole body is already in memory, so
/// multer's futures complete without waiting and a no-op waker drives them.
pub fn parts(body: &[u8], boundary: &str, max_parts: usize) -> Result<Vec<Part>, multer::Error> {
    let data = Bytes::copy_from_slice(body);
    let source = stream::iter([Ok::<Bytes, std::io::Error>(data)]);
    let mut multipart = multer::Multipart::new(source, boundary);
    let mut context = Context::from_waker(Waker::noop());

    let mut parts = Vec::new();
    while parts.len() < max_parts {
        let field = match pin!(multipart.next_field()).poll(&mut context) {
            Poll::Ready(result) => result?,
            Poll::Pending => break,
        };
        let Some(field) = field else {
            break;
        };
        let name = field.name().unwrap_or("").to_string();
        let is_file = field.file_name().is_some();
        let bytes = match pin!(field.bytes()).poll(&mut context) {
            Poll::Ready(result) => result?,
            Poll::Pending => break,
        };
        let text = if is_file { None } else { String::from_utf8(bytes.to_vec()).ok() };
        parts.push(Part { name, text });
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_reads_fields_and_files() {
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nHello\r\n\
                    --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\
                    Content-Type: image/png\r\n\r\n\x01\x02\r\n--XyZ--\r\n";
        let parts = parts(body.as_bytes(), "XyZ", 10).unwrap();
        assert_eq!(
            parts,
            vec![Part { name: "title".into(), text: Some("Hello".into()) }, Part { name: "file".into(), text: None },]
        );
    }

    #[test]
    fn boundary_from_header() {
        assert_eq!(boundary("multipart/form-data; boundary=XyZ").as_deref(), Some("XyZ"));
        assert_eq!(boundary("multipart/form-data"), None);
    }

    #[test]
    fn garbage_is_an_error_or_empty() {
        let result = parts(b"not multipart at all", "XyZ", 10);
        assert!(result.map(|p| p.is_empty()).unwrap_or(true));
    }
}
