//! The caller of a dashboard page, and the checks every form post goes through.

use axum::extract::FromRequestParts;
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use palisade_core::access::Role;

use super::PageError;
use crate::api;
use crate::auth::{self, Caller};
use crate::error::ApiError;
use crate::server::AppState;

/// The caller of a dashboard page: a signed-in user, or an API token sent in
/// `Authorization`. Without either, the request is redirected to `/login?next=...`.
pub struct PageCaller(pub Caller);

impl FromRequestParts<AppState> for PageCaller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // Form posts carry the CSRF token in their body, so the header check of the REST
        // API is skipped here and `check_form` does it once the form is read.
        match api::resolve_caller(state, &parts.headers, &Method::GET).await {
            Ok(caller) if caller.role.can_read() => Ok(PageCaller(caller)),
            Ok(caller) => Err(PageError::Forbidden(format!(
                "The {} role may send traces but not read the dashboard. Sign in as a user instead.",
                caller.role
            ))
            .into_response()),
            Err(ApiError::MissingCredentials | ApiError::SessionExpired | ApiError::InvalidCredentials) => {
                let target = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
                let mut response = redirect_to_login(target);
                if auth::session_token(&parts.headers).is_some() {
                    let cookie = auth::expired_session_cookie(auth::is_https(&parts.headers));
                    if let Ok(value) = HeaderValue::from_str(&cookie) {
                        response.headers_mut().insert(SET_COOKIE, value);
                    }
                }
                Err(response)
            }
            Err(other) => Err(PageError::Api(other).into_response()),
        }
    }
}

/// Redirects to `/login` with a `303 See Other`, passing `next` as the path to return to
/// after sign-in.
fn redirect_to_login(next: &str) -> Response {
    let next = safe_next(next);
    let location = if next == "/" {
        "/login".to_string()
    } else {
        let encoded: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
        format!("/login?next={encoded}")
    };
    see_other(&location)
}

/// Builds a `303 See Other` redirect, which browsers follow with GET after a form post.
pub fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

/// Returns `next` when it is a path on this server, and `/` otherwise. Only a single
/// leading `/` followed by something other than `/` or `\` qualifies, so `//host`,
/// `/\host` and `https://host` cannot send a signed-in user to another site.
pub fn safe_next(next: &str) -> &str {
    let mut chars = next.chars();
    let same_origin = chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && !next.chars().any(|c| c.is_control() || c == '\\');
    if same_origin { next } else { "/" }
}

/// Checks a form post: the caller's role must be at least `minimum`, and a session must
/// send its own CSRF token in the form's `csrf_token` field. API tokens need none, since
/// browsers never attach them on their own.
pub fn check_form(caller: &Caller, sent_token: &str, minimum: Role, action: &str) -> Result<(), PageError> {
    if caller.session {
        let expected = caller.csrf_token.as_deref().unwrap_or("");
        if !auth::tokens_match(sent_token, expected) {
            return Err(PageError::Csrf);
        }
    }
    if caller.role < minimum {
        return Err(PageError::Forbidden(format!("The {} role may not {action}.", caller.role)));
    }
    Ok(())
}

/// Returns true when the caller may triage: change alerts, false positives and block rules.
pub fn can_triage(caller: &Caller) -> bool {
    caller.role >= Role::Analyst
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_server() {
        let cases = [
            ("/endpoints?host=a", "/endpoints?host=a"),
            ("/", "/"),
            ("//evil.example", "/"),
            ("/\\evil.example", "/"),
            ("https://evil.example/", "/"),
            ("evil", "/"),
            ("", "/"),
            ("/a\\b", "/"),
            ("/a\nb", "/"),
        ];
        for (next, expected) in cases {
            assert_eq!(safe_next(next), expected, "{next:?}");
        }
    }

    #[test]
    fn form_check_needs_token_and_role() {
        let session = |role| Caller { name: "ada".into(), role, session: true, csrf_token: Some("t0ken".into()) };
        assert!(check_form(&session(Role::Analyst), "t0ken", Role::Analyst, "triage").is_ok());
        assert!(matches!(check_form(&session(Role::Analyst), "", Role::Analyst, "triage"), Err(PageError::Csrf)));
        assert!(matches!(check_form(&session(Role::Analyst), "t0kem", Role::Analyst, "triage"), Err(PageError::Csrf)));
        assert!(matches!(
            check_form(&session(Role::Viewer), "t0ken", Role::Analyst, "triage"),
            Err(PageError::Forbidden(_))
        ));
        let key = Caller { name: "ci".into(), role: Role::Admin, session: false, csrf_token: None };
        assert!(check_form(&key, "", Role::Admin, "manage keys").is_ok());
    }
}
