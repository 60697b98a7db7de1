//! API errors. Every failure maps to one HTTP status here, and every error body has the
//! same shape: `{"error": {"code": "...", "message": "..."}}`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Seconds a client is asked to wait when the trace queue is full.
pub const RETRY_AFTER_SECS: u64 = 1;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("missing credentials: send an API key in the Authorization header or sign in")]
    MissingCredentials,
    #[error("invalid or revoked API key")]
    InvalidCredentials,
    #[error("the session has expired or was ended; sign in again")]
    SessionExpired,
    #[error("invalid user name or password")]
    InvalidLogin,
    #[error("too many failed sign-ins; wait a minute and try again")]
    TooManyLogins,
    #[error("missing or wrong CSRF token: send the session's token in the X-CSRF-Token header")]
    CsrfMismatch,
    #[error("the role {role} may not {action}")]
    Forbidden { role: String, action: &'static str },
    #[error("{0}")]
    BadRequest(String),
    /// A request body that is not JSON of the expected shape, with axum's status for it:
    /// 400 for bad syntax, 415 without a JSON content type, 422 for wrong fields or values.
    #[error("invalid request body: {message}")]
    InvalidBody { status: StatusCode, message: String },
    #[error("{0} not found")]
    NotFound(String),
    #[error(
        "trace queue is full ({queued} traces waiting, max_queued_traces is {max}); retry after {RETRY_AFTER_SECS} s"
    )]
    QueueFull { queued: u64, max: u64 },
    #[error("server is shutting down")]
    Unavailable,
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::MissingCredentials
            | ApiError::InvalidCredentials
            | ApiError::SessionExpired
            | ApiError::InvalidLogin => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } | ApiError::CsrfMismatch => StatusCode::FORBIDDEN,
            ApiError::TooManyLogins => StatusCode::TOO_MANY_REQUESTS,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::InvalidBody { status, .. } => *status,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::QueueFull { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::MissingCredentials => "missing_credentials",
            ApiError::InvalidCredentials => "invalid_credentials",
            ApiError::SessionExpired => "session_expired",
            ApiError::InvalidLogin => "invalid_login",
            ApiError::TooManyLogins => "too_many_logins",
            ApiError::CsrfMismatch => "csrf_mismatch",
            ApiError::Forbidden { .. } => "forbidden",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::InvalidBody { .. } => "invalid_body",
            ApiError::NotFound(_) => "not_found",
            ApiError::QueueFull { .. } => "queue_full",
            ApiError::Unavailable => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }
}

/// A JSON request body. Unlike axum's `Json`, a body that is not valid JSON or does not
/// fit the expected shape is rejected with the API's JSON error body (`invalid_body`).
pub struct ApiJson<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for ApiJson<T>
where
    Json<T>: axum::extract::FromRequest<S, Rejection = axum::extract::rejection::JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(ApiError::InvalidBody { status: rejection.status(), message: rejection.body_text() }),
        }
    }
}

/// A path parameter. Unlike axum's `Path`, a segment that does not parse (`/alerts/abc`
/// for a numeric id) is rejected with the API's JSON error body (400, `bad_request`).
pub struct ApiPath<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for ApiPath<T>
where
    axum::extract::Path<T>: axum::extract::FromRequestParts<S, Rejection = axum::extract::rejection::PathRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => Err(ApiError::BadRequest(format!("invalid path parameter: {}", rejection.body_text()))),
        }
    }
}

/// Query parameters. Unlike axum's `Query`, a parameter that does not parse
/// (`?limit=-1`, `?sort=size`) is rejected with the API's JSON error body (400,
/// `bad_request`).
pub struct ApiQuery<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for ApiQuery<T>
where
    axum::extract::Query<T>: axum::extract::FromRequestParts<S, Rejection = axum::extract::rejection::QueryRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => {
                let detail = rejection.body_text();
                let detail = detail.strip_prefix("Failed to deserialize query string: ").unwrap_or(&detail);
                Err(ApiError::BadRequest(format!("invalid query parameter: {detail}")))
            }
        }
    }
}

impl From<palisade_store::StoreError> for ApiError {
    fn from(error: palisade_store::StoreError) -> Self {
        if let palisade_store::StoreError::Invalid(message) = error {
            return ApiError::BadRequest(message);
        }
        tracing::error!(%error, "store operation failed");
        ApiError::Internal("the store failed; see the server log".to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = Json(json!({"error": {"code": self.code(), "message": self.to_string()}}));
        let mut response = (status, body).into_response();
        if let ApiError::QueueFull { .. } = self {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
        }
        if let ApiError::TooManyLogins = self {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(60u64));
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
