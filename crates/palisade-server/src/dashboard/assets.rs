//! The dashboard's own static files from `web/`, built into the binary.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

use super::PageError;

const STYLESHEET: &str = include_str!("../../../../web/dashboard.css");
const SCRIPT: &str = include_str!("../../../../web/dashboard.js");
const ICON: &str = include_str!("../../../../web/icon.svg");

/// Seconds browsers may reuse an asset. Page links carry [`version`], so a new build's
/// files are fetched at once.
const ASSET_MAX_AGE_SECS: u32 = 86_400;

/// A short hash of every asset, added to asset links as `?v=` to bypass stale caches.
pub fn version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let mut hasher = DefaultHasher::new();
        (STYLESHEET, SCRIPT, ICON).hash(&mut hasher);
        format!("{:08x}", hasher.finish() as u32)
    })
}

/// `GET /assets/{file}`: open to everyone, since the files hold no data.
pub async fn serve(Path(file): Path<String>) -> Response {
    let (body, content_type) = match file.as_str() {
        "dashboard.css" => (STYLESHEET, "text/css; charset=utf-8"),
        "dashboard.js" => (SCRIPT, "text/javascript; charset=utf-8"),
        "icon.svg" => (ICON, "image/svg+xml"),
        _ => return PageError::NotFound(format!("asset {file:?}")).into_response(),
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&format!("public, max-age={ASSET_MAX_AGE_SECS}")) {
        headers.insert(CACHE_CONTROL, value);
    }
    response
}
