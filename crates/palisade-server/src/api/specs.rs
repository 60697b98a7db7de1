//! Imported OpenAPI descriptions: store, list, delete, reconcile with the inventory, and
//! the description of a host reconstructed from the inventory.
//!
//! `/api/v1/specs/{key}` serves both stored descriptions and hosts: a key of ASCII digits
//! only is a description id, anything else is a host. Real host names and addresses have
//! a letter, a dot, a colon or a bracket, so they are never read as an id.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use palisade_core::timestamp::{format_rfc3339, now_ms};
use palisade_openapi::ImportError;
use palisade_openapi::import::{SourceFormat, import};
use palisade_openapi::stored::{self, DEFAULT_EXPORT_SAMPLES, ReconcileReport};
use palisade_store::StoredSpec;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::blocking;
use super::dto::PageDto;
use crate::auth::Caller;
use crate::error::{ApiError, ApiQuery};
use crate::server::AppState;

/// Most redacted samples per endpoint that `GET /api/v1/specs/{host}?samples=` reads.
const MAX_EXPORT_SAMPLES: u32 = 100;

/// A stored description in listings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpecDto {
    pub id: i64,
    pub title: String,
    pub version: String,
    pub spec_version: String,
    /// Empty when the description applies to any host.
    pub hosts: Vec<String>,
    pub operations: u64,
    pub imported_at: String,
}

impl From<&StoredSpec> for SpecDto {
    fn from(spec: &StoredSpec) -> Self {
        Self {
            id: spec.id,
            title: spec.title.clone(),
            version: spec.version.clone(),
            spec_version: spec.spec_version.clone(),
            hosts: spec.hosts.clone(),
            operations: spec.operations,
            imported_at: format_rfc3339(spec.imported_ms),
        }
    }
}

/// The key of `/api/v1/specs/{key}`.
enum SpecKey {
    Id(i64),
    Host(String),
}

fn parse_key(key: &str) -> Result<SpecKey, ApiError> {
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(SpecKey::Host(key.to_string()));
    }
    key.parse().map(SpecKey::Id).map_err(|_| ApiError::BadRequest(format!("invalid description id {key:?}: too large")))
}

fn parse_id(key: &str) -> Result<i64, ApiError> {
    match parse_key(key)? {
        SpecKey::Id(id) => Ok(id),
        SpecKey::Host(_) => Err(ApiError::BadRequest(format!(
            "invalid description id {key:?}: expected a number as GET /api/v1/specs lists it"
        ))),
    }
}

/// Builds the 400 response for a description that does not import, with the JSON pointer
/// of the problem when the error has one.
fn invalid_spec(error: &ImportError) -> Response {
    let body = json!({"error": {
        "code": "invalid_spec",
        "message": format!("invalid description: {error}"),
        "pointer": error.pointer(),
    }});
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

/// `GET /api/v1/specs`: every stored description, oldest first.
pub async fn list(State(state): State<AppState>) -> Result<Json<PageDto<SpecDto>>, ApiError> {
    let store = state.store.clone();
    let specs = blocking(move || store.specs()).await??;
    let total = specs.len() as u64;
    Ok(Json(PageDto { items: specs.iter().map(SpecDto::from).collect(), total, limit: total as u32, offset: 0 }))
}

/// `POST /api/v1/specs`: the body is the description as JSON or YAML text.
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let settings = state.specs.settings().clone();
    let spec = match blocking(move || import(&body, SourceFormat::Detect, &settings)).await? {
        Ok(spec) => spec,
        Err(error) => return Ok(invalid_spec(&error)),
    };

    let store = state.store.clone();
    let registry = state.specs.clone();
    let stored = blocking(move || -> palisade_store::Result<StoredSpec> {
        let stored = stored::save_spec(store.as_ref(), &spec)?;
        registry.reload(store.as_ref())?;
        Ok(stored)
    })
    .await??;
    tracing::info!(spec_id = stored.id, operations = stored.operations, by = %caller.name, "OpenAPI description stored");
    Ok((StatusCode::CREATED, Json(SpecDto::from(&stored))).into_response())
}

/// Query of `GET /api/v1/specs/{host}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// Redacted samples read per endpoint for examples and enum inference.
    pub samples: Option<u32>,
}

/// `GET /api/v1/specs/{key}`: the stored description with id `key` as JSON, or the
/// OpenAPI 3.1 description of host `key` reconstructed from the inventory, byte for byte
/// what `palisade spec export --host` writes.
pub async fn show(
    State(state): State<AppState>,
    Path(key): Path<String>,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let store = state.store.clone();
    let text = match parse_key(&key)? {
        SpecKey::Id(id) => match blocking(move || store.spec(id)).await?? {
            Some((_, raw)) => raw,
            None => return Err(ApiError::NotFound(format!("description {id}"))),
        },
        SpecKey::Host(host) => {
            let samples = query.samples.unwrap_or(DEFAULT_EXPORT_SAMPLES).min(MAX_EXPORT_SAMPLES);
            let lookup = host.clone();
            match blocking(move || stored::export_host(store.as_ref(), &lookup, samples)).await?? {
                Some(text) => text.into_bytes(),
                None => return Err(ApiError::NotFound(format!("endpoints of host {host:?}"))),
            }
        }
    };
    Ok(([(header::CONTENT_TYPE, "application/json")], text).into_response())
}

/// `GET /api/v1/endpoints/{id}/openapi`: an OpenAPI 3.1 description holding only this
/// endpoint, reconstructed from the inventory as `GET /api/v1/specs/{host}` does for a
/// whole host.
pub async fn endpoint_fragment(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let store = state.store.clone();
    let samples = query.samples.unwrap_or(DEFAULT_EXPORT_SAMPLES).min(MAX_EXPORT_SAMPLES);
    let lookup = id.clone();
    match blocking(move || stored::export_endpoint(store.as_ref(), &lookup, samples)).await?? {
        Some(document) => Ok(Json(document)),
        None => Err(ApiError::NotFound(format!("endpoint {id}"))),
    }
}

/// `DELETE /api/v1/specs/{id}`. Endpoints the description covered are no longer merged
/// into its operations, and traffic is no longer checked against it.
pub async fn delete(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(key): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&key)?;
    let store = state.store.clone();
    let registry = state.specs.clone();
    let found = blocking(move || -> palisade_store::Result<bool> {
        let found = store.delete_spec(id)?;
        if found {
            registry.reload(store.as_ref())?;
        }
        Ok(found)
    })
    .await??;
    if !found {
        return Err(ApiError::NotFound(format!("description {id}")));
    }
    tracing::info!(spec_id = id, by = %caller.name, "OpenAPI description deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/specs/{id}/reconcile`: shadow, zombie and unused against the inventory.
pub async fn reconcile(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Json<ReconcileReport>, ApiError> {
    let id = parse_id(&key)?;
    let specs = state.specs.current();
    if specs.get(id).is_none() {
        return Err(ApiError::NotFound(format!("description {id}")));
    }
    let zombie_after_days = state.config.openapi.zombie_after_days;
    let store = state.store.clone();
    let report = blocking(move || -> palisade_store::Result<ReconcileReport> {
        let endpoints = stored::all_endpoints(store.as_ref(), None)?;
        let loaded = specs.get(id).expect("checked above on the same set");
        Ok(stored::reconcile_report(loaded, &endpoints, zombie_after_days, now_ms()))
    })
    .await??;
    Ok(Json(report))
}
