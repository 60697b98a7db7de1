//! The web dashboard: HTML pages rendered on the server with maud, SVG charts drawn here,
//! and a small stylesheet and script from `web/` built into the binary.
//!
//! Pages read through the same store methods as the REST API. State changes are form
//! posts that carry the session's CSRF token in a hidden `csrf_token` field and go
//! through the REST handler that does the same thing, so roles and validation are
//! enforced in one place; block rules are sent by the script straight to the REST API
//! with the token in `X-CSRF-Token`. A request without a valid session is sent to
//! `/login`.

mod assets;
mod charts;
mod format;
mod layout;
mod pages;
mod session;

use axum::Router;
use axum::extract::Request;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use maud::Markup;

use crate::error::ApiError;
use crate::server::AppState;

pub use session::safe_next;

/// Content-Security-Policy of every dashboard response: scripts, styles and images only
/// from Palisade itself, no inline script or style, no framing, forms post only here.
const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Rows per page in dashboard tables.
pub const PAGE_ROWS: u32 = 50;

/// Builds the dashboard's routes: pages under `/`, static files under `/assets/`.
pub fn routes() -> Router<AppState> {
    let pages = Router::new()
        .route("/", get(pages::overview::page))
        .route("/login", get(pages::login::page).post(pages::login::submit))
        .route("/logout", post(pages::login::logout))
        .route("/endpoints", get(pages::endpoints::page))
        .route("/endpoints/{id}", get(pages::endpoint::page))
        .route("/endpoints/{id}/false-positives", post(pages::endpoint::mark_false_positive))
        .route("/data", get(pages::data::page))
        .route("/alerts", get(pages::alerts::page))
        .route("/alerts/{id}/status", post(pages::alerts::set_status))
        .route("/attacks", get(pages::attacks::page))
        .route("/actors", get(pages::actors::list))
        .route("/actors/{id}", get(pages::actors::detail))
        .route("/rules", get(pages::rules::list))
        .route("/rules/new", get(pages::rules::new_rule))
        .route("/rules/{id}", get(pages::rules::edit))
        .route("/tests", get(pages::tests::list))
        .route("/tests/{id}", get(pages::tests::detail))
        .route("/settings", get(pages::settings::page))
        .route("/settings/keys", post(pages::settings::create_key))
        .route("/settings/keys/{id}/revoke", post(pages::settings::revoke_key))
        .route("/settings/users", post(pages::settings::create_user))
        .route("/settings/users/{name}/role", post(pages::settings::set_role))
        .route("/settings/users/{name}/delete", post(pages::settings::delete_user))
        .route("/settings/config", post(pages::settings::validate_config));

    Router::new().merge(pages).route("/assets/{file}", get(assets::serve)).layer(middleware::from_fn(security_headers))
}

/// Adds the security headers to every dashboard response, and `no-store` to pages, which
/// show inventory data that must not stay in shared caches.
async fn security_headers(request: Request, next: Next) -> Response {
    let is_asset = request.uri().path().starts_with("/assets/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY_VALUE));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if !is_asset {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Why a page could not be shown; rendered as an HTML error page with the matching status.
#[derive(Debug)]
pub enum PageError {
    /// The caller's role may not do this.
    Forbidden(String),
    /// The form lacked the session's CSRF token.
    Csrf,
    NotFound(String),
    BadRequest(String),
    Api(ApiError),
}

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> Self {
        PageError::Api(error)
    }
}

impl From<palisade_store::StoreError> for PageError {
    fn from(error: palisade_store::StoreError) -> Self {
        PageError::Api(ApiError::from(error))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            PageError::Forbidden(message) => (StatusCode::FORBIDDEN, message),
            PageError::Csrf => (
                StatusCode::FORBIDDEN,
                "The form did not carry this session's CSRF token. Reload the page and try again.".to_string(),
            ),
            PageError::NotFound(what) => (StatusCode::NOT_FOUND, format!("{what} not found.")),
            PageError::BadRequest(message) => (StatusCode::BAD_REQUEST, message),
            PageError::Api(error) => (error.status(), error.to_string()),
        };
        (status, html(layout::error_page(status, &message))).into_response()
    }
}

/// Wraps rendered markup as an HTML response.
pub fn html(markup: Markup) -> Html<String> {
    Html(markup.into_string())
}
