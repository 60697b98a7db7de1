//! `/settings`, for admins: API keys, users, the configuration, OpenAPI specs and webhooks.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form, Json};
use maud::{Markup, html};
use palisade_core::access::{ApiKey, Role, User};
use serde::Deserialize;

use super::super::format;
use super::super::layout::Page;
use super::super::session::{PageCaller, check_form, see_other};
use super::super::{PageError, html as to_html};
use super::{NoticeQuery, non_empty, notice};
use crate::api::access::{self, NewKey, NewUser, UserChange};
use crate::api::blocking;
use crate::auth::Caller;
use crate::config::Config;
use crate::error::{ApiError, ApiJson, ApiPath};
use crate::server::AppState;

const ROLES: &[Role] = &[Role::Viewer, Role::Analyst, Role::Admin, Role::Ingest];
const USER_ROLES: &[Role] = &[Role::Viewer, Role::Analyst, Role::Admin];
/// Name given to submitted configuration text in validation messages.
const SUBMITTED_CONFIG: &str = "submitted configuration";

/// One-time content of a settings page besides the lists: a new secret, or a validation.
#[derive(Default)]
struct Extra {
    /// A new key's or user's secret, shown once: (what it is, the secret).
    secret: Option<(String, String)>,
    /// Submitted configuration text and the validation error, `None` when it is valid.
    validation: Option<(String, Option<String>)>,
    /// A rejected create form and the reason, shown above that form.
    rejected: Option<(Rejected, String)>,
}

/// The settings form whose input was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rejected {
    Key,
    User,
}

fn require_admin(caller: &Caller) -> Result<(), PageError> {
    if caller.role < Role::Admin {
        return Err(PageError::Forbidden(format!(
            "The {} role may not see settings: keys, users and configuration are for admins.",
            caller.role
        )));
    }
    Ok(())
}

/// `GET /settings`.
pub async fn page(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    require_admin(&caller)?;
    render(&state, &caller, notice(query.notice.as_deref()), Extra::default(), StatusCode::OK).await
}

async fn render(
    state: &AppState,
    caller: &Caller,
    notice: Option<&str>,
    extra: Extra,
    status: StatusCode,
) -> Result<Response, PageError> {
    let store = state.store.clone();
    let (keys, users) =
        blocking(move || -> palisade_store::Result<_> { Ok((store.list_keys()?, store.list_users()?)) }).await??;
    let page = Page { title: "Settings", section: "/settings", caller, notice };
    let csrf = caller.csrf_token.as_deref().unwrap_or("");
    let content = html! {
        h1 { "Settings" }
        nav class="toc" aria-label="On this page" {
            a href="#keys" { "API keys" } a href="#users" { "Users" } a href="#config" { "Configuration" }
            a href="#specs" { "OpenAPI specs" } a href="#webhooks" { "Webhooks" }
        }
        @if let Some((what, secret)) = &extra.secret {
            section class="card secret" aria-labelledby="secret-title" role="status" {
                h2 id="secret-title" { (what) }
                p { "Copy it now: it is shown only once, and only its hash is stored." }
                div class="secret-row" {
                    code id="new-secret" { (secret) }
                    button type="button" class="button small" data-copy="#new-secret" { "Copy" }
                }
            }
        }
        (keys_section(&keys, csrf, rejection(&extra, Rejected::Key)))
        (users_section(&users, caller, csrf, state.config.server.min_password_length, rejection(&extra, Rejected::User)))
        (config_section(&state.config, csrf, extra.validation.as_ref()))
        (specs_section())
        (webhooks_section(&state.config))
    };
    Ok((status, to_html(page.render(content))).into_response())
}

/// Returns why `form` was rejected, if it was.
fn rejection(extra: &Extra, form: Rejected) -> Option<&str> {
    extra.rejected.as_ref().filter(|(rejected, _)| *rejected == form).map(|(_, message)| message.as_str())
}

fn keys_section(keys: &[ApiKey], csrf: &str, error: Option<&str>) -> Markup {
    html! {
        section class="card" id="keys" aria-labelledby="keys-title" {
            h2 id="keys-title" { "API keys" }
            p class="muted small" {
                "Ingest keys send traces; viewer, analyst and admin tokens use the REST API with the same rights as users."
            }
            div class="table-wrap" {
                table class="data" {
                    thead {
                        tr {
                            th scope="col" { "Name" } th scope="col" { "Role" } th scope="col" { "Starts with" }
                            th scope="col" { "Created" } th scope="col" { "Last used" } th scope="col" { "State" }
                            th scope="col" { "Actions" }
                        }
                    }
                    tbody {
                        @for key in keys {
                            tr {
                                td { (key.name) }
                                td { (key.role) }
                                td { code class="nowrap" { (key.prefix) "…" } }
                                td { (format::time(key.created_ms)) }
                                td { @match key.last_used_ms { Some(at) => (format::time(at)), None => "never" } }
                                td {
                                    @if key.revoked_ms.is_some() { span class="badge status-ignored" { "revoked" } }
                                    @else { span class="badge status-open" { "active" } }
                                }
                                td class="actions" {
                                    @if key.revoked_ms.is_none() {
                                        form method="post" action={ "/settings/keys/" (key.id) "/revoke" } class="inline"
                                            data-confirm={ "Revoke the key " (key.name) "? Clients using it stop working at once." } {
                                            input type="hidden" name="csrf_token" value=(csrf);
                                            button type="submit" class="button small danger" aria-label={ "Revoke key " (key.name) } { "Revoke" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(error) = error {
                p class="error" role="alert" id="key-error" { (error) }
            }
            form method="post" action="/settings/keys" class="row form-row" aria-label="Create an API key" {
                input type="hidden" name="csrf_token" value=(csrf);
                div class="field grow" {
                    label for="key-name" { "Key name" }
                    input id="key-name" name="name" type="text" required placeholder="ci pipeline";
                }
                div class="field" {
                    label for="key-role" { "Role" }
                    select id="key-role" name="role" { @for role in ROLES { option value=(role.as_str()) { (role) } } }
                }
                div class="field actions" { button type="submit" class="button primary" { "Create key" } }
            }
        }
    }
}

fn users_section(
    users: &[User],
    caller: &Caller,
    csrf: &str,
    min_password_length: usize,
    error: Option<&str>,
) -> Markup {
    html! {
        section class="card" id="users" aria-labelledby="users-title" {
            h2 id="users-title" { "Users" }
            div class="table-wrap" {
                table class="data" {
                    thead {
                        tr {
                            th scope="col" { "Name" } th scope="col" { "Role" } th scope="col" { "Created" }
                            th scope="col" { "Last sign-in" } th scope="col" { "Actions" }
                        }
                    }
                    tbody {
                        @for user in users {
                            tr {
                                td { (user.name) @if user.name == caller.name { span class="muted small" { " (you)" } } }
                                td {
                                    form method="post" action={ "/settings/users/" (format::path_segment(&user.name)) "/role" } class="inline" {
                                        input type="hidden" name="csrf_token" value=(csrf);
                                        label for={ "role-" (user.id) } class="visually-hidden" { "Role of " (user.name) }
                                        select id={ "role-" (user.id) } name="role" {
                                            @for role in USER_ROLES { option value=(role.as_str()) selected[*role == user.role] { (role) } }
                                        }
                                        " "
                                        button type="submit" class="button small secondary" aria-label={ "Change the role of " (user.name) } { "Change" }
                                    }
                                }
                                td { (format::time(user.created_ms)) }
                                td { @match user.last_login_ms { Some(at) => (format::time(at)), None => "never" } }
                                td class="actions" {
                                    form method="post" action={ "/settings/users/" (format::path_segment(&user.name)) "/delete" } class="inline"
                                        data-confirm={ "Remove the user " (user.name) " and end their sessions?" } {
                                        input type="hidden" name="csrf_token" value=(csrf);
                                        button type="submit" class="button small danger" aria-label={ "Remove user " (user.name) } { "Remove" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(error) = error {
                p class="error" role="alert" id="user-error" { (error) }
            }
            form method="post" action="/settings/users" class="row form-row" aria-label="Add a user" {
                input type="hidden" name="csrf_token" value=(csrf);
                div class="field grow" {
                    label for="user-name" { "User name" }
                    input id="user-name" name="name" type="text" required autocomplete="off";
                }
                div class="field" {
                    label for="user-role" { "Role" }
                    select id="user-role" name="role" { @for role in USER_ROLES { option value=(role.as_str()) { (role) } } }
                }
                div class="field grow" {
                    label for="user-password" { "Password" }
                    input id="user-password" name="password" type="password" autocomplete="new-password"
                        minlength=(min_password_length) aria-describedby="user-password-help";
                    span id="user-password-help" class="muted small" {
                        "At least " (min_password_length) " characters; generated and shown once when empty."
                    }
                }
                div class="field actions" { button type="submit" class="button primary" { "Add user" } }
            }
        }
    }
}

/// Renders the effective configuration as YAML, without webhook URLs and the test
/// settings, which may carry credentials.
fn redacted_config(config: &Config) -> String {
    let mut shown = config.clone();
    for webhook in &mut shown.webhooks {
        webhook.url = redact_url(&webhook.url);
    }
    if shown.testing.is_some() {
        shown.testing = Some(serde_json::Value::String("(not shown: may contain credentials)".into()));
    }
    serde_saphyr::to_string(&shown).unwrap_or_else(|e| format!("# cannot show the configuration: {e}\n"))
}

/// Keeps the scheme and host of a URL, because paths and queries of webhook URLs often
/// contain tokens.
fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "(hidden)".to_string();
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or(authority);
    if rest.len() > authority.len() { format!("{scheme}://{host}/…") } else { format!("{scheme}://{host}") }
}

fn config_section(config: &Config, csrf: &str, validation: Option<&(String, Option<String>)>) -> Markup {
    let submitted = validation.map(|(text, _)| text.as_str());
    let error = validation.and_then(|(_, error)| error.as_deref());
    let error_line = error.and_then(|e| submitted.and_then(|text| error_line(e, text)));
    html! {
        section class="card" id="config" aria-labelledby="config-title" {
            h2 id="config-title" { "Configuration" }
            p class="muted small" {
                "The configuration this server runs with, with defaults filled in. Changes take effect when "
                code { "palisade serve" } " starts with the edited file (" code { "--config FILE" } ")."
            }
            details {
                summary { "Effective configuration" }
                pre tabindex="0" class="config" { code { (redacted_config(config)) } }
            }
            h3 { "Check a configuration file" }
            @if let Some((_, result)) = validation {
                @match result {
                    None => p class="success" role="status" id="config-result" { "The configuration is valid." },
                    Some(message) => div class="error" role="alert" id="config-result" {
                        p { (message) }
                        @if let Some(line) = error_line { p { "See line " (line) " below." } }
                    },
                }
            }
            @if let (Some(text), Some(line)) = (submitted, error_line) {
                ol class="numbered" aria-label="Submitted configuration with line numbers" {
                    @for (i, content) in text.lines().enumerate() {
                        @if i + 1 == line {
                            li class="error-line" value=(i + 1) { mark { code { (content) " " } } span class="visually-hidden" { " (error here)" } }
                        } @else if (i + 1).abs_diff(line) <= 3 {
                            li value=(i + 1) { code { (content) " " } }
                        }
                    }
                }
            }
            form method="post" action="/settings/config" {
                input type="hidden" name="csrf_token" value=(csrf);
                div class="field" {
                    label for="config-text" { "YAML to check" }
                    textarea id="config-text" name="text" rows="12" spellcheck="false" placeholder="version: 1" {
                        (submitted.unwrap_or(""))
                    }
                }
                button type="submit" class="button primary" { "Check" }
            }
        }
    }
}

/// Finds the line a configuration error points at: the `LINE:COLUMN` after the origin in
/// errors of settings, the `line N` in YAML errors, else the first line where the top-level
/// key named in the message starts.
fn error_line(message: &str, text: &str) -> Option<usize> {
    if let Some((_, rest)) = message.split_once(&format!("{SUBMITTED_CONFIG}:")) {
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(line) = digits.parse::<usize>() {
            return Some(line);
        }
    }
    if let Some(index) = message.find("line ") {
        let digits: String = message[index + 5..].chars().take_while(char::is_ascii_digit).collect();
        if let Ok(line) = digits.parse::<usize>() {
            return Some(line);
        }
    }
    // Errors found after parsing name the top-level key, such as `hostBlockList[0]`. Point
    // at the first top-level key of the text that the message names.
    let after_origin = message.split_once(&format!("{SUBMITTED_CONFIG}: ")).map(|(_, rest)| rest)?;
    text.lines()
        .position(|line| {
            let Some((key, _)) = line.split_once(':') else { return false };
            let top_level = !key.is_empty() && !key.starts_with([' ', '\t', '#', '-']);
            top_level && after_origin.contains(key)
        })
        .map(|i| i + 1)
}

fn specs_section() -> Markup {
    html! {
        section class="card" id="specs" aria-labelledby="specs-title" {
            h2 id="specs-title" { "OpenAPI specs" }
            div data-specs data-api-src="/api/v1/specs" {
                p class="muted" data-specs-status { "Loading specs…" }
                ul class="plain" data-specs-list {}
                form data-specs-upload hidden aria-label="Upload an OpenAPI spec" {
                    div class="field" {
                        label for="spec-file" { "OpenAPI 3.0 or 3.1 document, or Swagger 2 (JSON or YAML)" }
                        input id="spec-file" name="file" type="file" accept=".json,.yaml,.yml,application/json,application/yaml";
                    }
                    button type="submit" class="button primary" { "Upload spec" }
                    p class="muted small" data-specs-result role="status" {}
                }
            }
        }
    }
}

fn webhooks_section(config: &Config) -> Markup {
    html! {
        section class="card" id="webhooks" aria-labelledby="webhooks-title" {
            h2 id="webhooks-title" { "Webhooks" }
            @if config.webhooks.is_empty() {
                p class="muted" {
                    "No webhooks. Add entries under " code { "webhooks:" } " in the configuration file to post new and "
                    "reopened alerts to a URL (JSON or Slack format)."
                }
            } @else {
                div class="table-wrap" {
                    table class="data" {
                        thead { tr { th scope="col" { "URL" } th scope="col" { "Format" } th scope="col" { "Lowest severity" } th scope="col" { "Alert types" } } }
                        tbody {
                            @for webhook in &config.webhooks {
                                tr {
                                    td { code { (redact_url(&webhook.url)) } }
                                    td { (format!("{:?}", webhook.format).to_ascii_lowercase()) }
                                    td { (format::severity(webhook.min_severity)) }
                                    td { @if webhook.types.is_empty() { "all" } @else { (webhook.types.join(", ")) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct KeyForm {
    #[serde(default)]
    pub csrf_token: String,
    pub name: String,
    pub role: Role,
}

/// `POST /settings/keys`: creates a key and shows its secret once.
pub async fn create_key(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Form(form): Form<KeyForm>,
) -> Result<Response, PageError> {
    check_form(&caller, &form.csrf_token, Role::Admin, "manage keys")?;
    let new = NewKey { name: form.name, role: form.role };
    let created = match access::create_key(State(state.clone()), Extension(caller.clone()), ApiJson(new)).await {
        Ok((_, Json(created))) => created,
        Err(ApiError::BadRequest(message)) => return rejected(&state, &caller, Rejected::Key, message).await,
        Err(other) => return Err(other.into()),
    };
    let what = format!("Secret of the new {} key {:?}", created.key.role, created.key.name);
    let extra = Extra { secret: Some((what, created.secret)), ..Extra::default() };
    render(&state, &caller, None, extra, StatusCode::CREATED).await
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    pub csrf_token: String,
}

/// `POST /settings/keys/{id}/revoke`.
pub async fn revoke_key(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<i64>,
    Form(form): Form<TokenForm>,
) -> Result<Response, PageError> {
    check_form(&caller, &form.csrf_token, Role::Admin, "manage keys")?;
    access::revoke_key(State(state), Extension(caller), ApiPath(id)).await?;
    Ok(see_other("/settings?notice=key-revoked#keys"))
}

#[derive(Debug, Deserialize)]
pub struct UserForm {
    #[serde(default)]
    pub csrf_token: String,
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub password: Option<String>,
}

/// `POST /settings/users`: adds a user and shows its generated password once.
pub async fn create_user(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Form(form): Form<UserForm>,
) -> Result<Response, PageError> {
    check_form(&caller, &form.csrf_token, Role::Admin, "manage users")?;
    let new = NewUser {
        name: form.name.trim().to_string(),
        role: form.role,
        password: non_empty(&form.password).map(str::to_string),
    };
    let created = match access::create_user(State(state.clone()), Extension(caller.clone()), ApiJson(new)).await {
        Ok((_, Json(created))) => created,
        Err(ApiError::BadRequest(message)) => return rejected(&state, &caller, Rejected::User, message).await,
        Err(other) => return Err(other.into()),
    };
    let extra = match created.password {
        Some(password) => {
            let what = format!("Password of the new {} user {:?}", created.user.role, created.user.name);
            Extra { secret: Some((what, password)), ..Extra::default() }
        }
        None => Extra::default(),
    };
    render(&state, &caller, Some("User added."), extra, StatusCode::CREATED).await
}

/// Renders the settings page again with `message` above the rejected form, so the admin
/// can correct the input without leaving the page.
async fn rejected(state: &AppState, caller: &Caller, form: Rejected, message: String) -> Result<Response, PageError> {
    let extra = Extra { rejected: Some((form, message)), ..Extra::default() };
    render(state, caller, None, extra, StatusCode::BAD_REQUEST).await
}

#[derive(Debug, Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    pub csrf_token: String,
    pub role: Role,
}

/// `POST /settings/users/{name}/role`.
pub async fn set_role(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(name): Path<String>,
    Form(form): Form<RoleForm>,
) -> Result<Response, PageError> {
    check_form(&caller, &form.csrf_token, Role::Admin, "manage users")?;
    let change = UserChange { role: Some(form.role), password: None };
    let _updated = access::update_user(State(state), Extension(caller), Path(name), ApiJson(change)).await?;
    Ok(see_other("/settings?notice=role-changed#users"))
}

/// `POST /settings/users/{name}/delete`.
pub async fn delete_user(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(name): Path<String>,
    Form(form): Form<TokenForm>,
) -> Result<Response, PageError> {
    check_form(&caller, &form.csrf_token, Role::Admin, "manage users")?;
    access::delete_user(State(state), Extension(caller), Path(name)).await?;
    Ok(see_other("/settings?notice=user-removed#users"))
}

#[derive(Debug, Deserialize)]
pub struct ConfigForm {
    #[serde(default)]
    pub csrf_token: String,
    pub text: String,
}

/// `POST /settings/config`: parses submitted YAML with the server's configuration loader
/// and shows the first error at its line. Nothing is written.
pub async fn validate_config(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Form(form): Form<ConfigForm>,
) -> Result<Response, PageError> {
    check_form(&caller, &form.csrf_token, Role::Admin, "check configuration")?;
    let text = form.text;
    let checked = text.clone();
    // Compiling detection rules and data classes takes a moment, so it runs off the
    // request threads.
    let error = blocking(move || Config::parse(&checked, SUBMITTED_CONFIG).err().map(|e| e.to_string())).await?;
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let extra = Extra { validation: Some((text, error)), ..Extra::default() };
    render(&state, &caller, None, extra, status).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_scheme_and_host() {
        let cases = [
            ("https://hooks.slack.com/services/T0/B0/secret", "https://hooks.slack.com/…"),
            ("http://user:pw@alerts.internal:8080", "http://alerts.internal:8080"),
            ("https://example.com?token=x", "https://example.com/…"),
            ("not a url", "(hidden)"),
        ];
        for (url, expected) in cases {
            assert_eq!(redact_url(url), expected, "{url}");
        }
    }

    #[test]
    fn config_error_points_at_line() {
        let text = "version: 1\nserver:\n  lisen: 1\n";
        let error = Config::parse(text, SUBMITTED_CONFIG).unwrap_err().to_string();
        assert_eq!(error_line(&error, text), Some(3), "{error}");

        let text = "version: 1\n\nhostBlockList: ['(']\n";
        let error = Config::parse(text, SUBMITTED_CONFIG).unwrap_err().to_string();
        assert_eq!(error_line(&error, text), Some(3), "{error}");
    }

    #[test]
    fn shown_config_hides_webhook_paths() {
        let mut config = Config::default();
        config.webhooks.push(crate::webhooks::WebhookConfig {
            url: "https://hooks.example.com/T000/secret-token".into(),
            format: Default::default(),
            min_severity: palisade_core::Severity::High,
            types: Vec::new(),
        });
        let shown = redacted_config(&config);
        assert!(!shown.contains("secret-token"), "{shown}");
        assert!(shown.contains("https://hooks.example.com/…"), "{shown}");
    }
}
