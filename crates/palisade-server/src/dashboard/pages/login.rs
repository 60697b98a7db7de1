//! Sign-in and sign-out.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{Extensions, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::super::session::{PageCaller, safe_next, see_other};
use super::super::{PageError, assets, html as to_html, layout};
use crate::api::access::{self, Login};
use crate::auth;
use crate::error::ApiError;
use crate::server::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    pub next: Option<String>,
}

/// Fields of the sign-in form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    pub name: String,
    pub password: String,
    #[serde(default)]
    pub next: String,
}

/// `GET /login`.
pub async fn page(Query(query): Query<LoginQuery>) -> Response {
    let next = safe_next(query.next.as_deref().unwrap_or("/"));
    to_html(form(next, "", None)).into_response()
}

fn form(next: &str, name: &str, error: Option<&str>) -> Markup {
    layout::bare_page(
        "Sign in",
        html! {
            section class="card narrow login" aria-labelledby="login-title" {
                div class="login-brand" {
                    img src={ "/assets/icon.svg?v=" (assets::version()) } alt="" width="40" height="40";
                    span { "Palisade" }
                }
                h1 id="login-title" { "Sign in" }
                @if let Some(error) = error {
                    p class="error" role="alert" id="login-error" { (error) }
                }
                form method="post" action="/login" {
                    input type="hidden" name="next" value=(next);
                    div class="field" {
                        label for="name" { "User name" }
                        input id="name" name="name" type="text" autocomplete="username" required value=(name)
                            autofocus[name.is_empty()];
                    }
                    div class="field" {
                        label for="password" { "Password" }
                        input id="password" name="password" type="password" autocomplete="current-password" required
                            autofocus[!name.is_empty()];
                    }
                    button type="submit" class="button primary wide" { "Sign in" }
                }
                p class="muted small" {
                    "The first start of " code { "palisade serve" } " prints the password of the "
                    code { "admin" } " user. " code { "palisade users add NAME --role viewer" } " adds users."
                }
            }
        },
    )
}

/// `POST /login`: the same checks and rate limit as `POST /api/v1/session`.
pub async fn submit(
    State(state): State<AppState>,
    extensions: Extensions,
    headers: HeaderMap,
    Form(login): Form<LoginForm>,
) -> Response {
    let next = safe_next(&login.next).to_string();
    let name = login.name.clone();
    let credentials = Login { name: login.name, password: login.password };
    match access::sign_in(&state, &access::client_key(&extensions), auth::is_https(&headers), credentials).await {
        Ok(signed_in) => {
            let mut response = see_other(&next);
            match HeaderValue::from_str(&signed_in.cookie) {
                Ok(value) => {
                    response.headers_mut().insert(SET_COOKIE, value);
                    response
                }
                Err(e) => PageError::Api(ApiError::Internal(format!("bad cookie value: {e}"))).into_response(),
            }
        }
        Err(error @ (ApiError::InvalidLogin | ApiError::TooManyLogins)) => {
            let message = match error {
                ApiError::TooManyLogins => "Too many failed sign-ins. Wait a minute and try again.",
                _ => "Invalid user name or password.",
            };
            (error.status(), to_html(form(&next, &name, Some(message)))).into_response()
        }
        Err(other) => PageError::Api(other).into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    pub csrf_token: String,
}

/// `POST /logout`: ends the session and clears the cookie.
pub async fn logout(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Result<Response, PageError> {
    let Some(token) = auth::session_token(&headers).filter(|_| caller.session) else {
        return Err(PageError::BadRequest("There is no session to end: this request used an API key.".into()));
    };
    super::super::session::check_form(&caller, &form.csrf_token, palisade_core::access::Role::Viewer, "sign out")?;
    access::end_session(&state, &caller, token).await?;
    let mut response = see_other("/login");
    let cookie = auth::expired_session_cookie(auth::is_https(&headers));
    let value = HeaderValue::from_str(&cookie).map_err(|e| ApiError::Internal(format!("bad cookie value: {e}")))?;
    response.headers_mut().insert(SET_COOKIE, value);
    Ok(response)
}
