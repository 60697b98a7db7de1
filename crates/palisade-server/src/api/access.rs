//! Sign-in and sign-out, and the admin routes for users and API keys.

use std::net::SocketAddr;
use std::sync::OnceLock;

use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Path, State};
use axum::http::header::SET_COOKIE;
use axum::http::{Extensions, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use palisade_core::access::{ApiKey, Role, User};
use palisade_core::timestamp::format_rfc3339;
use serde::{Deserialize, Serialize};

use super::blocking;
use crate::auth::{self, Caller};
use crate::error::{ApiError, ApiJson, ApiPath};
use crate::metrics::Metrics;
use crate::server::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    pub name: String,
    pub password: String,
}

/// What `GET /api/v1/session` and a successful sign-in return.
#[derive(Debug, Serialize)]
pub struct SessionDto {
    pub name: String,
    pub role: Role,
    /// `session` for a dashboard session, `key` for an API key or token.
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csrf_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

/// `POST /api/v1/session`: checks a user name and password and sets the session cookie.
/// Failed attempts are counted per client address and per user name; past
/// `server.max_login_failures_per_minute` sign-in answers 429 for the rest of the minute.
pub async fn login(
    State(state): State<AppState>,
    extensions: Extensions,
    headers: HeaderMap,
    ApiJson(login): ApiJson<Login>,
) -> Result<Response, ApiError> {
    let signed_in = sign_in(&state, &client_key(&extensions), auth::is_https(&headers), login).await?;
    with_cookie(Json(signed_in.session), &signed_in.cookie)
}

/// A started session: the `Set-Cookie` value and what the JSON sign-in route returns.
pub struct SignedIn {
    pub cookie: String,
    pub session: SessionDto,
}

/// The rate-limiter key of the client address that `ConnectInfo` recorded.
pub fn client_key(extensions: &Extensions) -> String {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| format!("ip:{}", address.ip()))
        .unwrap_or_else(|| "ip:unknown".to_string())
}

/// Checks a user name and password and starts a session, for the JSON route and the
/// dashboard's sign-in form alike. `client` is the key from [`client_key`]; `https` adds
/// `Secure` to the cookie. Fails with `TooManyLogins` while the client or the user name
/// is over `server.max_login_failures_per_minute`, and with `InvalidLogin` otherwise.
pub async fn sign_in(state: &AppState, client: &str, https: bool, login: Login) -> Result<SignedIn, ApiError> {
    let user_key = format!("user:{}", login.name);
    let keys = [client, user_key.as_str()];
    if state.login_limiter.blocked(&keys) {
        Metrics::add(&state.metrics.login_failures, 1);
        return Err(ApiError::TooManyLogins);
    }
    let store = state.store.clone();
    let ttl_ms = i64::from(state.config.server.session_ttl_hours) * 3_600_000;
    let signed_in = blocking(move || -> Result<Option<_>, ApiError> {
        let found = store.find_user(&login.name)?;
        // A missing user costs the same hashing work as a wrong password, so response
        // times do not reveal which user names exist.
        let (user, hash) = match found {
            Some(found) => found,
            None => {
                auth::verify_password(&login.password, dummy_hash());
                return Ok(None);
            }
        };
        if !auth::verify_password(&login.password, &hash) {
            return Ok(None);
        }
        Ok(Some(store.create_session(user.id, ttl_ms)?))
    })
    .await??;
    let Some((token, session)) = signed_in else {
        state.login_limiter.record_failure(&keys);
        Metrics::add(&state.metrics.login_failures, 1);
        return Err(ApiError::InvalidLogin);
    };
    tracing::info!(user = %session.user.name, "signed in");
    let max_age = u64::from(state.config.server.session_ttl_hours) * 3600;
    let cookie = auth::session_cookie(&token, max_age, https);
    let session = SessionDto {
        name: session.user.name,
        role: session.user.role,
        kind: "session",
        csrf_token: Some(session.csrf_token),
        expires_at: Some(format_rfc3339(session.expires_ms)),
    };
    Ok(SignedIn { cookie, session })
}

/// A hash of a random password, verified against when the user does not exist.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        let password = auth::generate_password().unwrap_or_else(|_| "unused".to_string());
        auth::hash_password(&password).unwrap_or_default()
    })
}

/// `GET /api/v1/session`: who the credential belongs to.
pub async fn current(Extension(caller): Extension<Caller>) -> Json<SessionDto> {
    Json(SessionDto {
        name: caller.name,
        role: caller.role,
        kind: if caller.session { "session" } else { "key" },
        csrf_token: caller.csrf_token,
        expires_at: None,
    })
}

/// `DELETE /api/v1/session`: ends the session and clears the cookie.
pub async fn logout(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Some(token) = auth::session_token(&headers).filter(|_| caller.session) else {
        return Err(ApiError::BadRequest("no session to end: this request was made with an API key".into()));
    };
    end_session(&state, &caller, token).await?;
    with_cookie(axum::http::StatusCode::NO_CONTENT, &auth::expired_session_cookie(auth::is_https(&headers)))
}

/// Deletes the session of `token`, for the JSON route and the dashboard's sign-out form.
pub async fn end_session(state: &AppState, caller: &Caller, token: String) -> Result<(), ApiError> {
    let store = state.store.clone();
    blocking(move || store.delete_session(&token)).await??;
    tracing::info!(user = %caller.name, "signed out");
    Ok(())
}

/// Adds a `Set-Cookie` header to a response.
pub fn with_cookie(body: impl IntoResponse, cookie: &str) -> Result<Response, ApiError> {
    let mut response = body.into_response();
    let value = HeaderValue::from_str(cookie).map_err(|e| ApiError::Internal(format!("bad cookie value: {e}")))?;
    response.headers_mut().insert(SET_COOKIE, value);
    Ok(response)
}

#[derive(Debug, Serialize)]
pub struct UserDto {
    pub name: String,
    pub role: Role,
    pub created_at: String,
    pub last_login_at: Option<String>,
}

impl From<&User> for UserDto {
    fn from(user: &User) -> Self {
        Self {
            name: user.name.clone(),
            role: user.role,
            created_at: format_rfc3339(user.created_ms),
            last_login_at: user.last_login_ms.map(format_rfc3339),
        }
    }
}

/// `GET /api/v1/users`.
pub async fn users(State(state): State<AppState>) -> Result<Json<Vec<UserDto>>, ApiError> {
    let store = state.store.clone();
    let users = blocking(move || store.list_users()).await??;
    Ok(Json(users.iter().map(UserDto::from).collect()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub name: String,
    pub role: Role,
    /// Generated and returned once when absent.
    pub password: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct CreatedUser {
    pub user: UserDto,
    /// Present only when the server generated the password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// `POST /api/v1/users`: creates a user; without a password, one is generated and
/// returned once.
pub async fn create_user(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(new): ApiJson<NewUser>,
) -> Result<(axum::http::StatusCode, Json<CreatedUser>), ApiError> {
    let (password, generated) = match new.password {
        Some(password) => (password, false),
        None => (auth::generate_password().map_err(|e| ApiError::Internal(e.to_string()))?, true),
    };
    check_password(&state, &password)?;
    let store = state.store.clone();
    let (name, role) = (new.name, new.role);
    let secret = password.clone();
    let user = blocking(move || -> Result<User, ApiError> {
        let hash = auth::hash_password(&secret).map_err(|e| ApiError::Internal(e.to_string()))?;
        Ok(store.create_user(&name, role, &hash)?)
    })
    .await??;
    tracing::info!(user = %user.name, role = %user.role, by = %caller.name, "user created");
    let body = CreatedUser { user: UserDto::from(&user), password: generated.then_some(password) };
    Ok((axum::http::StatusCode::CREATED, Json(body)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    pub role: Option<Role>,
    pub password: Option<String>,
}

/// `PATCH /api/v1/users/{name}`: changes a user's role or password. A new password ends
/// the user's sessions.
pub async fn update_user(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    ApiJson(change): ApiJson<UserChange>,
) -> Result<Json<UserDto>, ApiError> {
    if let Some(password) = &change.password {
        check_password(&state, password)?;
    }
    let store = state.store.clone();
    let target = name.clone();
    let user = blocking(move || -> Result<Option<User>, ApiError> {
        if store.find_user(&target)?.is_none() {
            return Ok(None);
        }
        if let Some(role) = change.role {
            store.set_user_role(&target, role)?;
        }
        if let Some(password) = change.password {
            let hash = auth::hash_password(&password).map_err(|e| ApiError::Internal(e.to_string()))?;
            store.set_user_password(&target, &hash)?;
        }
        Ok(store.find_user(&target)?.map(|(user, _)| user))
    })
    .await??;
    let Some(user) = user else {
        return Err(ApiError::NotFound(format!("user {name:?}")));
    };
    tracing::info!(user = %user.name, role = %user.role, by = %caller.name, "user changed");
    Ok(Json(UserDto::from(&user)))
}

/// `DELETE /api/v1/users/{name}`; the only admin cannot be removed.
pub async fn delete_user(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
) -> Result<axum::http::StatusCode, ApiError> {
    let store = state.store.clone();
    let target = name.clone();
    if !blocking(move || store.delete_user(&target)).await?? {
        return Err(ApiError::NotFound(format!("user {name:?}")));
    }
    tracing::info!(user = %name, by = %caller.name, "user removed");
    Ok(axum::http::StatusCode::NO_CONTENT)
}

fn check_password(state: &AppState, password: &str) -> Result<(), ApiError> {
    let minimum = state.config.server.min_password_length;
    if password.chars().count() < minimum {
        return Err(ApiError::BadRequest(format!(
            "password too short: at least {minimum} characters (server.min_password_length)"
        )));
    }
    Ok(())
}

#[derive(Debug, Serialize)]
pub struct KeyDto {
    pub id: i64,
    pub name: String,
    pub role: Role,
    /// First characters of the secret, to tell keys apart.
    pub prefix: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl From<&ApiKey> for KeyDto {
    fn from(key: &ApiKey) -> Self {
        Self {
            id: key.id,
            name: key.name.clone(),
            role: key.role,
            prefix: key.prefix.clone(),
            created_at: format_rfc3339(key.created_ms),
            last_used_at: key.last_used_ms.map(format_rfc3339),
            revoked_at: key.revoked_ms.map(format_rfc3339),
        }
    }
}

/// `GET /api/v1/keys`.
pub async fn keys(State(state): State<AppState>) -> Result<Json<Vec<KeyDto>>, ApiError> {
    let store = state.store.clone();
    let keys = blocking(move || store.list_keys()).await??;
    Ok(Json(keys.iter().map(KeyDto::from).collect()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Serialize)]
pub struct CreatedKey {
    pub key: KeyDto,
    /// The secret, shown only in this response.
    pub secret: String,
}

/// `POST /api/v1/keys`: creates a key and returns its secret once.
pub async fn create_key(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(new): ApiJson<NewKey>,
) -> Result<(axum::http::StatusCode, Json<CreatedKey>), ApiError> {
    if new.name.trim().is_empty() {
        return Err(ApiError::BadRequest("a key needs a name".into()));
    }
    let store = state.store.clone();
    let (key, secret) = blocking(move || store.create_key(new.name.trim(), new.role)).await??;
    tracing::info!(key = %key.name, role = %key.role, by = %caller.name, "key created");
    Ok((axum::http::StatusCode::CREATED, Json(CreatedKey { key: KeyDto::from(&key), secret })))
}

/// `DELETE /api/v1/keys/{id}`: revokes a key; it stops working at once.
pub async fn revoke_key(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(id): ApiPath<i64>,
) -> Result<axum::http::StatusCode, ApiError> {
    let store = state.store.clone();
    if !blocking(move || store.revoke_key(id)).await?? {
        return Err(ApiError::NotFound(format!("key {id}")));
    }
    tracing::info!(key = id, by = %caller.name, "key revoked");
    Ok(axum::http::StatusCode::NO_CONTENT)
}
