//! Sending a step's request: one shared HTTP client, a cookie jar per test, redirects
//! followed by hand so that credentials never go to another host, and a cap on the body
//! bytes read.

use std::time::{Duration, Instant};

use cookie_store::CookieStore;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use url::Url;

use crate::response::HttpResponse;

/// Settings of the HTTP client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpSettings {
    /// Time one request may take, from sending to reading the end of the body.
    pub request_timeout: Duration,
    /// Time to establish a connection.
    pub connect_timeout: Duration,
    /// Response body bytes read; the rest is not read and `resp.truncated` is true.
    pub max_body_bytes: usize,
    /// Redirects followed for one request.
    pub max_redirects: usize,
    /// Accept any TLS certificate. For test servers with self-signed certificates only.
    pub insecure_skip_verify: bool,
    /// PEM-encoded CA certificates trusted in addition to the system's.
    pub ca_certificates_pem: Vec<Vec<u8>>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            max_body_bytes: 10 * 1024 * 1024,
            max_redirects: 10,
            insecure_skip_verify: false,
            ca_certificates_pem: Vec::new(),
        }
    }
}

/// An error that left a request without a response.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    #[error("invalid CA certificate: {0}")]
    Certificate(String),
    #[error("invalid header `{0}`")]
    Header(String),
    #[error("request to {url} timed out after {seconds} s (request_timeout_secs)")]
    Timeout { url: String, seconds: u64 },
    #[error("cannot connect to {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("request to {url} failed: {reason}")]
    Request { url: String, reason: String },
    #[error("more than {max} redirects, last to {url} (max_redirects)")]
    TooManyRedirects { url: String, max: usize },
    #[error("invalid redirect location `{location}` from {url}")]
    Redirect { url: String, location: String },
}

/// A request ready to send, with templates rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedRequest {
    pub method: String,
    pub url: Url,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

/// Installs ring as the process's TLS crypto provider, once. Later calls do nothing.
///
/// rustls 0.23.48 marks ring's provider deprecated because it has no post-quantum key
/// exchange. ring is used anyway because aws-lc-rs, the alternative, needs CMake and
/// several more minutes to build, and test traffic to one's own API gains little from
/// post-quantum key exchange.
#[allow(deprecated)]
pub fn install_crypto_provider() {
    // An error means a provider is installed already, which is what this wants.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The HTTP client shared by all tests of a run.
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    settings: HttpSettings,
}

impl HttpClient {
    pub fn new(settings: HttpSettings) -> Result<Self, HttpError> {
        install_crypto_provider();
        let mut certificates = Vec::new();
        for pem in &settings.ca_certificates_pem {
            let certs =
                reqwest::Certificate::from_pem_bundle(pem).map_err(|e| HttpError::Certificate(e.to_string()))?;
            if certs.is_empty() {
                return Err(HttpError::Certificate("no certificate in the PEM file".into()));
            }
            certificates.extend(certs);
        }

        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.request_timeout)
            .connect_timeout(settings.connect_timeout)
            .tls_danger_accept_invalid_certs(settings.insecure_skip_verify)
            .tcp_nodelay(true)
            .user_agent(concat!("palisade-test/", env!("CARGO_PKG_VERSION")));
        if !certificates.is_empty() {
            builder = builder.tls_certs_merge(certificates);
        }
        let client = builder.build().map_err(|e| HttpError::Client(error_chain(&e)))?;
        Ok(Self { client, settings })
    }

    pub fn settings(&self) -> &HttpSettings {
        &self.settings
    }

    /// Returns the underlying client, for benchmarks that compare against it.
    pub fn inner(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends `request`, storing cookies from every response in `jar` and following
    /// redirects when `follow_redirects` is set.
    pub async fn send(
        &self,
        request: &PreparedRequest,
        jar: &mut CookieStore,
        follow_redirects: bool,
    ) -> Result<HttpResponse, HttpError> {
        let start = Instant::now();
        // The request is copied only when a redirect changes it.
        let mut current = std::borrow::Cow::Borrowed(request);
        let mut redirects = 0;

        loop {
            let response = self.send_once(&current, jar).await?;
            let status = response.status().as_u16();
            store_cookies(jar, &current.url, response.headers());

            let location = response.headers().get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok());
            let is_redirect = matches!(status, 301 | 302 | 303 | 307 | 308) && location.is_some();
            if !(follow_redirects && is_redirect) {
                return self.read(response, &current.url, start).await;
            }

            redirects += 1;
            let location = location.unwrap_or_default().to_string();
            let next_url = current
                .url
                .join(&location)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .ok_or_else(|| HttpError::Redirect { url: current.url.to_string(), location: location.clone() })?;
            if redirects > self.settings.max_redirects {
                return Err(HttpError::TooManyRedirects {
                    url: next_url.to_string(),
                    max: self.settings.max_redirects,
                });
            }
            current = std::borrow::Cow::Owned(redirected(current.into_owned(), next_url, status));
        }
    }

    async fn send_once(&self, request: &PreparedRequest, jar: &CookieStore) -> Result<reqwest::Response, HttpError> {
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|_| HttpError::Header(format!("method {}", request.method)))?;
        let mut headers = HeaderMap::new();
        let mut explicit_cookie: Option<String> = None;
        for (name, value) in &request.headers {
            if name.eq_ignore_ascii_case("cookie") {
                explicit_cookie = Some(value.clone());
                continue;
            }
            let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| HttpError::Header(name.clone()))?;
            let header_value = HeaderValue::from_str(value).map_err(|_| HttpError::Header(name.clone()))?;
            headers.append(header_name, header_value);
        }
        if let Some(cookie) = cookie_header(jar, &request.url, explicit_cookie.as_deref()) {
            let value = HeaderValue::from_str(&cookie).map_err(|_| HttpError::Header("cookie".into()))?;
            headers.insert(reqwest::header::COOKIE, value);
        }

        let mut builder = self.client.request(method, request.url.clone()).headers(headers);
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        builder.send().await.map_err(|e| self.classify(&request.url, &e))
    }

    async fn read(
        &self,
        mut response: reqwest::Response,
        url: &Url,
        start: Instant,
    ) -> Result<HttpResponse, HttpError> {
        let status = response.status().as_u16();
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str().to_string(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
            .collect();

        let mut body = Vec::new();
        let mut truncated = false;
        while let Some(chunk) = response.chunk().await.map_err(|e| self.classify(url, &e))? {
            let room = self.settings.max_body_bytes - body.len();
            if chunk.len() > room {
                body.extend_from_slice(&chunk[..room]);
                truncated = true;
                break;
            }
            body.extend_from_slice(&chunk);
        }

        Ok(HttpResponse {
            status,
            headers,
            body,
            truncated,
            duration_ms: start.elapsed().as_secs_f64() * 1000.0,
            url: url.to_string(),
        })
    }

    fn classify(&self, url: &Url, error: &reqwest::Error) -> HttpError {
        let url = url.to_string();
        if error.is_timeout() {
            return HttpError::Timeout { url, seconds: self.settings.request_timeout.as_secs() };
        }
        if error.is_connect() {
            return HttpError::Connect { url, reason: error_chain(error) };
        }
        HttpError::Request { url, reason: error_chain(error) }
    }
}

/// Joins the error's causes with `: `, leaving out the URL that reqwest repeats.
fn error_chain(error: &dyn std::error::Error) -> String {
    palisade_core::error::error_sources(error)
}

/// Builds the next request of a redirect chain. 303, and 301 or 302 after a POST, turn
/// into a GET without a body, as browsers do; 307 and 308 keep the method and body. When
/// the origin changes, headers that carry credentials are dropped.
fn redirected(previous: PreparedRequest, next_url: Url, status: u16) -> PreparedRequest {
    let becomes_get = status == 303 || (matches!(status, 301 | 302) && previous.method == "POST");
    let same_origin = previous.url.origin() == next_url.origin();

    let headers = previous
        .headers
        .into_iter()
        .filter(|(name, _)| same_origin || !is_credential_header(name))
        .filter(|(name, _)| !(becomes_get && is_body_header(name)))
        .collect();
    let (method, body) = if becomes_get { ("GET".to_string(), None) } else { (previous.method, previous.body) };
    PreparedRequest { method, url: next_url, headers, body }
}

fn is_body_header(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "content-type" || lower == "content-length" || lower == "content-encoding"
}

/// True for headers that carry credentials: `Authorization`, `Cookie`,
/// `Proxy-Authorization`, and any header whose name contains `auth`, `token`, `key`,
/// `secret`, `session`, `password` or `csrf` (such as `X-API-Key`).
pub fn is_credential_header(name: &str) -> bool {
    const WORDS: [&str; 8] = ["auth", "cookie", "token", "key", "secret", "session", "password", "csrf"];
    let lower = name.to_ascii_lowercase();
    WORDS.iter().any(|word| lower.contains(word))
}

/// Builds the `Cookie` header for `url`: cookies the step set itself, then jar cookies
/// whose names the step did not set.
fn cookie_header(jar: &CookieStore, url: &Url, explicit: Option<&str>) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    if let Some(explicit) = explicit {
        for pair in explicit.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            names.push(pair.split('=').next().unwrap_or("").trim().to_string());
            parts.push(pair.to_string());
        }
    }
    for (name, value) in jar.get_request_values(url) {
        if !names.iter().any(|n| n == name) {
            parts.push(format!("{name}={value}"));
        }
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// Stores each `Set-Cookie` header of a response, parsed by RFC 6265: the name and value
/// come from the part before the first `;`, and the attributes after it set the domain,
/// path and expiry.
fn store_cookies(jar: &mut CookieStore, url: &Url, headers: &HeaderMap) {
    for value in headers.get_all(reqwest::header::SET_COOKIE) {
        if let Ok(text) = value.to_str() {
            // A cookie that the jar rejects (a domain of another site, a bad attribute) is
            // ignored, as a browser would.
            let _ = jar.parse(text, url);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn jar_reads_name_and_value_before_attributes() {
        let mut jar = CookieStore::default();
        let mut headers = HeaderMap::new();
        headers.append(
            reqwest::header::SET_COOKIE,
            HeaderValue::from_static("session=abc123; Path=/; HttpOnly; Expires=Wed, 21 Oct 2037 07:28:00 GMT"),
        );
        headers.append(reqwest::header::SET_COOKIE, HeaderValue::from_static("theme=dark; Path=/settings"));
        store_cookies(&mut jar, &url("http://127.0.0.1:8080/login"), &headers);

        let root = cookie_header(&jar, &url("http://127.0.0.1:8080/orders"), None);
        assert_eq!(root.as_deref(), Some("session=abc123"));
        let settings = cookie_header(&jar, &url("http://127.0.0.1:8080/settings/x"), None).unwrap();
        assert!(settings.contains("session=abc123"), "{settings}");
        assert!(settings.contains("theme=dark"), "{settings}");
        assert_eq!(cookie_header(&jar, &url("http://127.0.0.2:8080/"), None), None);
    }

    #[test]
    fn explicit_cookie_wins() {
        let mut jar = CookieStore::default();
        let mut headers = HeaderMap::new();
        headers.append(reqwest::header::SET_COOKIE, HeaderValue::from_static("session=jar; Path=/"));
        headers.append(reqwest::header::SET_COOKIE, HeaderValue::from_static("other=1; Path=/"));
        store_cookies(&mut jar, &url("http://127.0.0.1/"), &headers);
        let header = cookie_header(&jar, &url("http://127.0.0.1/"), Some("session=mine")).unwrap();
        assert!(header.starts_with("session=mine"), "{header}");
        assert!(header.contains("other=1"));
        assert!(!header.contains("session=jar"));
    }

    #[test]
    fn redirect_to_other_host_drops_credentials() {
        let request = PreparedRequest {
            method: "POST".into(),
            url: url("http://127.0.0.1:1/a"),
            headers: vec![
                ("Authorization".into(), "Bearer t".into()),
                ("X-API-Key".into(), "k".into()),
                ("Cookie".into(), "s=1".into()),
                ("Accept".into(), "application/json".into()),
                ("Content-Type".into(), "application/json".into()),
            ],
            body: Some(b"{}".to_vec()),
        };
        let same = redirected(request.clone(), url("http://127.0.0.1:1/b"), 307);
        assert_eq!(same.headers.len(), 5);
        assert_eq!(same.method, "POST");
        assert!(same.body.is_some());

        let other = redirected(request.clone(), url("http://127.0.0.2:1/b"), 307);
        let names: Vec<&str> = other.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, vec!["Accept", "Content-Type"]);

        let other_port = redirected(request.clone(), url("http://127.0.0.1:2/b"), 302);
        let names: Vec<&str> = other_port.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, vec!["Accept"]);
        assert_eq!(other_port.method, "GET");
        assert!(other_port.body.is_none());
    }

    #[test]
    fn invalid_ca_certificate_is_error() {
        let settings =
            HttpSettings { ca_certificates_pem: vec![b"not a certificate".to_vec()], ..HttpSettings::default() };
        assert!(matches!(HttpClient::new(settings), Err(HttpError::Certificate(_))));
        let insecure = HttpSettings { insecure_skip_verify: true, ..HttpSettings::default() };
        assert!(HttpClient::new(insecure).is_ok());
    }

    #[test]
    fn credential_header_names() {
        for name in ["Authorization", "cookie", "X-API-Key", "X-Auth-Token", "X-CSRF-Token", "Proxy-Authorization"] {
            assert!(is_credential_header(name), "{name}");
        }
        for name in ["Accept", "Content-Type", "User-Agent", "X-Request-Id"] {
            assert!(!is_credential_header(name), "{name}");
        }
    }
}
