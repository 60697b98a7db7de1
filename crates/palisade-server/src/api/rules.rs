//! `/api/v1/rules`: block rules that the rule feed hands to proxies.
//!
//! A request body is one rule document as `docs/proxy.md` describes it. `id` and
//! `created_at` may be left out when creating (a random id and the current time are
//! used), and `origin` defaults to `user`. A rule must compile with the limits of
//! `blocking.rules`; a bad field gets 400 with its JSON path, such as
//! `invalid rule at conditions[0].all[0].op: unknown variant "like"`.

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use palisade_core::access::Role;
use palisade_core::timestamp::{format_rfc3339, now_ms};
use palisade_proxy::rules::BlockRule;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::blocking;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::rules::{RuleBook, RuleBookError, random_hex};
use crate::server::AppState;

/// Bytes of randomness in a generated rule id (written as twice as many hex digits).
const GENERATED_ID_BYTES: usize = 8;

/// Lets analysts and admins through: they may change block rules.
pub async fn require_rule_editor(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    super::require(state, request, next, Role::Analyst, "change block rules").await
}

/// A failed rule request: an API error, or 409 for an id that exists.
#[derive(Debug)]
pub enum RuleApiError {
    Api(ApiError),
    Conflict(String),
}

impl From<ApiError> for RuleApiError {
    fn from(error: ApiError) -> Self {
        RuleApiError::Api(error)
    }
}

impl From<RuleBookError> for RuleApiError {
    fn from(error: RuleBookError) -> Self {
        match error {
            RuleBookError::Invalid(message) => RuleApiError::Api(ApiError::BadRequest(message)),
            RuleBookError::NotFound(id) => RuleApiError::Api(ApiError::NotFound(format!("rule {id:?}"))),
            RuleBookError::Store(error) => RuleApiError::Api(ApiError::from(error)),
            conflict @ RuleBookError::Conflict(_) => RuleApiError::Conflict(conflict.to_string()),
        }
    }
}

impl IntoResponse for RuleApiError {
    fn into_response(self) -> Response {
        match self {
            RuleApiError::Api(error) => error.into_response(),
            // The same body shape as every other API error.
            RuleApiError::Conflict(message) => {
                (StatusCode::CONFLICT, Json(json!({"error": {"code": "conflict", "message": message}}))).into_response()
            }
        }
    }
}

/// Body of `GET /api/v1/rules`.
#[derive(Debug, Serialize)]
pub struct RuleListDto {
    /// Rule documents as stored, oldest first, expired ones included.
    pub items: Vec<Value>,
    pub total: u64,
    /// Feed version of the rules in force.
    pub version: String,
}

/// `GET /api/v1/rules`.
pub async fn list(State(state): State<AppState>) -> Result<Json<RuleListDto>, RuleApiError> {
    let store = state.store.clone();
    let stored = blocking(move || store.rules()).await?.map_err(ApiError::from)?;
    let mut items = Vec::with_capacity(stored.len());
    for rule in stored {
        match serde_json::from_str::<Value>(&rule.document) {
            Ok(document) => items.push(document),
            Err(error) => {
                tracing::warn!(rule_id = %rule.id, %error, "stored block rule is not valid JSON; left out of the list")
            }
        }
    }
    let total = items.len() as u64;
    Ok(Json(RuleListDto { items, total, version: state.rules.current().version.clone() }))
}

/// `GET /api/v1/rules/{id}`: the rule document, which `PUT` accepts back unchanged.
pub async fn show(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, RuleApiError> {
    let book = state.rules.clone();
    let lookup = id.clone();
    let Some(stored) = blocking(move || book.stored(&lookup)).await?? else {
        return Err(ApiError::NotFound(format!("rule {id:?}")).into());
    };
    let document = serde_json::from_str(&stored.document)
        .map_err(|e| ApiError::Internal(format!("stored rule {id:?} is not valid JSON: {e}")))?;
    Ok(Json(document))
}

/// `POST /api/v1/rules`: 201 with the stored rule and its `Location`.
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Response, RuleApiError> {
    let rule = parse_rule(&body, None, None)?;
    let book = state.rules.clone();
    let stored = rule.clone();
    blocking(move || book.create(&stored)).await??;
    tracing::info!(rule_id = %rule.id, mode = rule.mode.as_str(), caller = %caller.name, "block rule created");

    let mut response = (StatusCode::CREATED, Json(&rule)).into_response();
    let location = format!("/api/v1/rules/{}", percent_encoding::utf8_percent_encode(&rule.id, SEGMENT));
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// `PUT /api/v1/rules/{id}`: replaces the rule. `id`, `created_at` and `origin` may be
/// left out and are then kept.
pub async fn replace(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<BlockRule>, RuleApiError> {
    let existing = existing_rule(&state.rules, &id).await?;
    let rule = parse_rule(&body, Some(&id), Some(&existing))?;
    let book = state.rules.clone();
    let stored = rule.clone();
    blocking(move || book.replace(&stored)).await??;
    tracing::info!(rule_id = %rule.id, mode = rule.mode.as_str(), caller = %caller.name, "block rule changed");
    Ok(Json(rule))
}

/// `DELETE /api/v1/rules/{id}`: 204.
pub async fn delete(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<StatusCode, RuleApiError> {
    let book = state.rules.clone();
    let target = id.clone();
    if !blocking(move || book.delete(&target)).await?? {
        return Err(ApiError::NotFound(format!("rule {id:?}")).into());
    }
    tracing::info!(rule_id = %id, caller = %caller.name, "block rule deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// Characters escaped in a rule id put in a URL path segment.
const SEGMENT: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

async fn existing_rule(book: &RuleBook, id: &str) -> Result<BlockRule, RuleApiError> {
    let reader = book.clone();
    let lookup = id.to_string();
    let Some(stored) = blocking(move || reader.stored(&lookup)).await?? else {
        return Err(ApiError::NotFound(format!("rule {id:?}")).into());
    };
    serde_json::from_str(&stored.document).map_err(|e| {
        ApiError::Internal(format!("stored rule {id:?} is not a valid rule ({e}); delete it and create it again"))
            .into()
    })
}

/// Reads a rule document from a request body and fills in what may be left out. A new
/// rule gets a random `id` and the current `created_at`. A changed rule (`path_id` and
/// `existing` given) gets the id of the URL and the stored `created_at` and `origin`.
pub fn parse_rule(body: &[u8], path_id: Option<&str>, existing: Option<&BlockRule>) -> Result<BlockRule, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::BadRequest(format!("invalid rule JSON at line {} column {}: {e}", e.line(), e.column()))
    })?;
    let Value::Object(mut document) = value else {
        return Err(ApiError::BadRequest("invalid rule: expected a JSON object".to_string()));
    };

    fill_id(&mut document, path_id)?;
    if is_absent(document.get("created_at")) {
        let created = existing.map_or_else(now_ms, |rule| rule.created_at.ms());
        document.insert("created_at".into(), Value::String(format_rfc3339(created)));
    }
    if let Some(rule) = existing
        && is_absent(document.get("origin"))
    {
        document.insert("origin".into(), Value::String(rule.origin.to_string()));
    }

    let rule: BlockRule = serde_path_to_error::deserialize(Value::Object(document)).map_err(|error| {
        let path = error.path().to_string();
        let problem = error.into_inner();
        if path == "." {
            ApiError::BadRequest(format!("invalid rule: {problem}"))
        } else {
            ApiError::BadRequest(format!("invalid rule at {path}: {problem}"))
        }
    })?;
    Ok(rule)
}

fn fill_id(document: &mut Map<String, Value>, path_id: Option<&str>) -> Result<(), ApiError> {
    let sent = match document.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) if id.is_empty() && path_id.is_none() => None,
        Some(Value::String(id)) => Some(id.clone()),
        Some(_) => return Err(ApiError::BadRequest("invalid rule at id: expected a string".to_string())),
    };
    let id = match (sent, path_id) {
        (Some(sent), Some(path)) if sent != path => {
            return Err(ApiError::BadRequest(format!(
                "invalid rule at id: {sent:?} differs from the id in the URL {path:?}; rule ids cannot be changed"
            )));
        }
        (Some(sent), _) => sent,
        (None, Some(path)) => path.to_string(),
        (None, None) => format!(
            "r-{}",
            random_hex(GENERATED_ID_BYTES)
                .map_err(|e| ApiError::Internal(format!("cannot generate a rule id: {e}")))?
        ),
    };
    document.insert("id".into(), Value::String(id));
    Ok(())
}

fn is_absent(value: Option<&Value>) -> bool {
    matches!(value, None | Some(Value::Null))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(body: &str) -> String {
        parse_rule(body.as_bytes(), None, None).unwrap_err().to_string()
    }

    #[test]
    fn missing_id_and_time_are_filled() {
        let rule = parse_rule(br#"{"action": {"block": {}}}"#, None, None).unwrap();
        assert!(rule.id.starts_with("r-"), "{}", rule.id);
        assert_eq!(rule.id.len(), 2 + 2 * GENERATED_ID_BYTES);
        assert!((now_ms() - rule.created_at.ms()).abs() < 60_000);
        assert_eq!(rule.origin.to_string(), "user");
    }

    #[test]
    fn bad_fields_are_named() {
        let cases = [
            (r#"{"action": {"block": {}}, "colour": "red"}"#, "colour"),
            (
                r#"{"action": {"block": {}}, "conditions": [{"all": [{"field": "path", "op": "like", "value": "/"}]}]}"#,
                "conditions[0].all[0].op",
            ),
            (r#"{"action": {"block": {}}, "expires_at": "tomorrow"}"#, "expires_at"),
            (r#"{"mode": "block"}"#, "action"),
            (r#"[1, 2]"#, "expected a JSON object"),
            (r#"{"id": 7, "action": {"block": {}}}"#, "at id"),
            ("{", "line 1 column 1"),
        ];
        for (body, expected) in cases {
            let error = error_of(body);
            assert!(error.contains(expected), "{body}: {error}");
        }
    }

    #[test]
    fn changed_rule_keeps_id_time_and_origin() {
        let existing: BlockRule = serde_json::from_str(
            r#"{"id": "p-1", "origin": "policy:burst", "created_at": "2026-03-01T10:00:00Z", "action": {"block": {}}}"#,
        )
        .unwrap();
        let rule = parse_rule(br#"{"mode": "block", "action": {"block": {}}}"#, Some("p-1"), Some(&existing)).unwrap();
        assert_eq!(rule.id, "p-1");
        assert_eq!(rule.created_at, existing.created_at);
        assert_eq!(rule.origin, existing.origin);

        let error = parse_rule(br#"{"id": "other", "action": {"block": {}}}"#, Some("p-1"), Some(&existing))
            .unwrap_err()
            .to_string();
        assert!(error.contains("differs from the id in the URL"), "{error}");
    }
}
