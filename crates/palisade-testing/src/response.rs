//! The response of one request, and the `resp` object that assertions, extractors and
//! JavaScript see.
//!
//! `resp` has Metlo's fields `status`, `statusText`, `headers` (names in lower case) and
//! `data` (the body, parsed when it is JSON). Palisade adds `body` (the same as `data`)
//! and `text` (the body as text). It also adds `duration` (milliseconds from sending the
//! request to reading the last byte of the body), `url` (after redirects) and `truncated`
//! (true when the body was cut at the size limit).

use std::cell::OnceCell;

use serde_json::{Map, Value};

/// A response as the runner received it.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    /// Header names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// True when the body was longer than the limit and `body` is its start.
    pub truncated: bool,
    /// Milliseconds from sending the request to reading the end of the body.
    pub duration_ms: f64,
    /// The URL of the final response, after redirects.
    pub url: String,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        let lower = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == lower).map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Builds the `resp` object without `body` and `text`, which [`RespView`] and the
    /// JavaScript engine add only when they are read, so that the body is not copied twice
    /// more for every request.
    pub fn to_value(&self) -> Value {
        RespView::new(self).object().clone()
    }

    /// Builds the `resp.headers` object.
    fn headers_value(&self) -> Value {
        let mut headers = Map::new();
        for (name, value) in &self.headers {
            // `set-cookie` cannot be joined with commas (cookie dates contain commas), so
            // it is a list, as in Node's HTTP client. Other repeated headers are joined.
            if name == "set-cookie" {
                let entry = headers.entry(name.clone()).or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(items) = entry {
                    items.push(Value::String(value.clone()));
                }
                continue;
            }
            match headers.get_mut(name) {
                Some(Value::String(existing)) => {
                    existing.push_str(", ");
                    existing.push_str(value);
                }
                _ => {
                    headers.insert(name.clone(), Value::String(value.clone()));
                }
            }
        }
        Value::Object(headers)
    }
}

/// The `resp` object of one response, with each part built when first read: a test that
/// only checks `resp.status` never parses the body.
pub struct RespView<'a> {
    pub response: &'a HttpResponse,
    data: OnceCell<Value>,
    headers: OnceCell<Value>,
    object: OnceCell<Value>,
}

impl<'a> RespView<'a> {
    pub fn new(response: &'a HttpResponse) -> Self {
        Self { response, data: OnceCell::new(), headers: OnceCell::new(), object: OnceCell::new() }
    }

    /// Returns `resp.data`: the body, parsed when it is JSON.
    pub fn data(&self) -> &Value {
        self.data.get_or_init(|| parse_body(&self.response.text(), self.response.header("content-type")))
    }

    /// Returns `resp.headers`.
    pub fn headers(&self) -> &Value {
        self.headers.get_or_init(|| self.response.headers_value())
    }

    /// Returns one top-level field of `resp` by name. `body` is `data`, and `text` is the
    /// body as text.
    pub fn field(&self, name: &str) -> Option<std::borrow::Cow<'_, Value>> {
        use std::borrow::Cow;
        let response = self.response;
        match name {
            "status" => Some(Cow::Owned(Value::from(response.status))),
            "statusText" => Some(Cow::Owned(Value::String(status_text(response.status).to_string()))),
            "headers" => Some(Cow::Borrowed(self.headers())),
            "data" | "body" => Some(Cow::Borrowed(self.data())),
            "text" => Some(Cow::Owned(Value::String(response.text()))),
            "duration" => Some(Cow::Owned(duration_value(response.duration_ms))),
            "url" => Some(Cow::Owned(Value::String(response.url.clone()))),
            "truncated" => Some(Cow::Owned(Value::Bool(response.truncated))),
            _ => None,
        }
    }

    /// Returns the whole `resp` object without `body` and `text`, for scripts and for
    /// `resp` alone.
    pub fn object(&self) -> &Value {
        self.object.get_or_init(|| {
            let mut object = Map::new();
            for name in ["status", "statusText", "headers", "data", "duration", "url", "truncated"] {
                if let Some(value) = self.field(name) {
                    object.insert(name.into(), value.into_owned());
                }
            }
            Value::Object(object)
        })
    }
}

/// Milliseconds rounded to microseconds, as a JSON number.
fn duration_value(ms: f64) -> Value {
    let rounded = (ms * 1000.0).round() / 1000.0;
    serde_json::Number::from_f64(rounded).map(Value::Number).unwrap_or(Value::Null)
}

/// Returns the body as JSON when it parses as JSON and the content type allows it,
/// otherwise as text.
fn parse_body(text: &str, content_type: Option<&str>) -> Value {
    let trimmed = text.trim_start();
    let looks_json = trimmed.starts_with('{') || trimmed.starts_with('[');
    let declared_json = content_type.is_some_and(|ct| ct.to_ascii_lowercase().contains("json"));
    if (looks_json || declared_json)
        && let Ok(value) = serde_json::from_str::<Value>(text)
    {
        return value;
    }
    Value::String(text.to_string())
}

/// Returns the reason phrase of a status code, as Node's HTTP client reports it.
pub fn status_text(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn response(content_type: &str, body: &str) -> HttpResponse {
        HttpResponse {
            status: 200,
            headers: vec![
                ("content-type".into(), content_type.into()),
                ("set-cookie".into(), "a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT".into()),
                ("set-cookie".into(), "b=2".into()),
                ("x-multi".into(), "1".into()),
                ("x-multi".into(), "2".into()),
            ],
            body: body.as_bytes().to_vec(),
            truncated: false,
            duration_ms: 12.3456,
            url: "http://127.0.0.1/x".into(),
        }
    }

    #[test]
    fn resp_object_has_fields() {
        let value = response("application/json", r#"{"token":"t"}"#).to_value();
        assert_eq!(value["status"], json!(200));
        assert_eq!(value["statusText"], json!("OK"));
        assert_eq!(value["data"], json!({"token": "t"}));
        assert_eq!(value["duration"], json!(12.346));
        assert_eq!(value["headers"]["x-multi"], json!("1, 2"));
        assert_eq!(value["headers"]["set-cookie"], json!(["a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT", "b=2"]));
    }

    #[test]
    fn non_json_body_is_text() {
        let value = response("text/html", "<p>hi</p>").to_value();
        assert_eq!(value["data"], json!("<p>hi</p>"));
        let broken = response("application/json", "{\"cut").to_value();
        assert_eq!(broken["data"], json!("{\"cut"));
    }
}
