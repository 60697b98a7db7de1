//! The REST API over the inventory, and the credential checks every route but `/healthz`
//! goes through.

pub mod dto;

use axum::Json;
use axum::extract::{Path, Query, Request, State};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;
use palisade_core::access::{ApiKey, Role};
use palisade_store::{EndpointFilter, EndpointSort};
use serde::Deserialize;

use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::server::AppState;
use dto::{EndpointDetailDto, EndpointDto, HostDto, PageDto, SampleDto};

/// Most samples one request returns.
const MAX_SAMPLES: u32 = 100;

/// Lets any valid key through: ingest keys and API tokens.
pub async fn require_ingest(State(state): State<AppState>, request: Request, next: Next) -> Result<Response, ApiError> {
    authorize(&state, request.headers(), Role::Ingest, "send traces").await?;
    Ok(next.run(request).await)
}

/// Lets API tokens through (viewer, analyst, admin), not ingest keys.
pub async fn require_viewer(State(state): State<AppState>, request: Request, next: Next) -> Result<Response, ApiError> {
    authorize(&state, request.headers(), Role::Viewer, "read the inventory").await?;
    Ok(next.run(request).await)
}

/// Checks the key in `Authorization` (raw, as Metlo agents send it, or after `Bearer`)
/// or in `X-API-Key`.
async fn authorize(
    state: &AppState,
    headers: &HeaderMap,
    minimum: Role,
    action: &'static str,
) -> Result<ApiKey, ApiError> {
    let Some(secret) = credential(headers) else {
        Metrics::add(&state.metrics.auth_failures, 1);
        return Err(ApiError::MissingCredentials);
    };
    let store = state.store.clone();
    let found = tokio::task::spawn_blocking(move || store.authenticate(&secret))
        .await
        .map_err(|e| ApiError::Internal(format!("authentication task failed: {e}")))??;
    let Some(key) = found else {
        Metrics::add(&state.metrics.auth_failures, 1);
        return Err(ApiError::InvalidCredentials);
    };
    if key.role < minimum {
        Metrics::add(&state.metrics.auth_failures, 1);
        return Err(ApiError::Forbidden { role: key.role.to_string(), action });
    }
    Ok(key)
}

fn credential(headers: &HeaderMap) -> Option<String> {
    let raw = headers.get(AUTHORIZATION).or_else(|| headers.get("x-api-key"))?.to_str().ok()?.trim();
    let secret = match raw.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => raw,
    };
    (!secret.is_empty()).then(|| secret.to_string())
}

pub async fn hosts(State(state): State<AppState>) -> Result<Json<PageDto<HostDto>>, ApiError> {
    let store = state.store.clone();
    let hosts = blocking(move || store.hosts()).await??;
    let total = hosts.len() as u64;
    Ok(Json(PageDto { items: hosts.iter().map(HostDto::from).collect(), total, limit: total as u32, offset: 0 }))
}

/// Query parameters of `GET /api/v1/endpoints`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointQuery {
    pub host: Option<String>,
    pub method: Option<String>,
    pub search: Option<String>,
    pub sort: Option<EndpointSort>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

pub async fn endpoints(
    State(state): State<AppState>,
    Query(query): Query<EndpointQuery>,
) -> Result<Json<PageDto<EndpointDto>>, ApiError> {
    let filter = EndpointFilter {
        host: query.host,
        method: query.method,
        search: query.search,
        sort: query.sort.unwrap_or_default(),
        limit: query.limit.unwrap_or(0),
        offset: query.offset.unwrap_or(0),
    };
    let store = state.store.clone();
    let limit = match filter.limit {
        0 => palisade_store::sqlite::DEFAULT_PAGE_SIZE,
        n => n.min(palisade_store::sqlite::MAX_PAGE_SIZE),
    };
    let offset = filter.offset;
    let page = blocking(move || store.endpoints(&filter)).await??;
    Ok(Json(PageDto { items: page.items.iter().map(EndpointDto::from).collect(), total: page.total, limit, offset }))
}

pub async fn endpoint(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<EndpointDetailDto>, ApiError> {
    let store = state.store.clone();
    let lookup = id.clone();
    let detail = blocking(move || store.endpoint(&lookup)).await??;
    match detail {
        Some(detail) => Ok(Json(EndpointDetailDto::from(&detail))),
        None => Err(ApiError::NotFound(format!("endpoint {id}"))),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleQuery {
    pub limit: Option<u32>,
}

pub async fn samples(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<SampleQuery>,
) -> Result<Json<PageDto<SampleDto>>, ApiError> {
    let limit = query.limit.unwrap_or(10).min(MAX_SAMPLES);
    let store = state.store.clone();
    let lookup = id.clone();
    let (exists, samples) = blocking(move || -> palisade_store::Result<_> {
        let exists = store.endpoint(&lookup)?.is_some();
        Ok((exists, store.samples(&lookup, limit)?))
    })
    .await??;
    if !exists {
        return Err(ApiError::NotFound(format!("endpoint {id}")));
    }
    let items: Vec<SampleDto> = samples.iter().filter_map(SampleDto::from_sample).collect();
    let total = items.len() as u64;
    Ok(Json(PageDto { items, total, limit, offset: 0 }))
}

/// Query of `GET /api/v1/endpoints/lookup`: finds the endpoint that serves a request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LookupQuery {
    pub method: String,
    pub host: String,
    pub path: String,
}

pub async fn lookup(
    State(state): State<AppState>,
    Query(query): Query<LookupQuery>,
) -> Result<Json<EndpointDetailDto>, ApiError> {
    let store = state.store.clone();
    let description = format!("{} {} {}", query.method, query.host, query.path);
    let detail = blocking(move || -> palisade_store::Result<_> {
        match store.find_endpoint(&query.method, &query.host, &query.path)? {
            Some(endpoint) => store.endpoint(&endpoint.id),
            None => Ok(None),
        }
    })
    .await??;
    match detail {
        Some(detail) => Ok(Json(EndpointDetailDto::from(&detail))),
        None => Err(ApiError::NotFound(format!("endpoint for {description}"))),
    }
}

pub async fn metrics(State(state): State<AppState>) -> ([(axum::http::HeaderName, &'static str); 1], String) {
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render())
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| ApiError::Internal(format!("store task failed: {e}")))
}
