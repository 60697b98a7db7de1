//! The REST API over the inventory, and the credential checks every route but `/healthz`
//! and sign-in goes through.

pub mod access;
pub mod dto;
pub mod rules;
pub mod specs;
pub mod test_runs;

use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;
use axum::{Extension, Json};
use palisade_core::Section;
use palisade_core::access::Role;
use palisade_core::alert::AlertStatus;
use palisade_core::auth::AuthScheme;
use palisade_store::{ActorFilter, AlertFilter, EndpointFilter, EndpointSort, FindingFilter};
use serde::Deserialize;

use crate::auth::{self, Caller};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::metrics::Metrics;
use crate::server::AppState;
use dto::{
    ActorDetailDto, ActorDto, AlertDto, EndpointDetailDto, EndpointDto, FindingDto, HostDto, PageDto, SampleDto,
};

/// Most samples one request returns.
const MAX_SAMPLES: u32 = 100;

/// Lets any valid credential through: ingest keys, API tokens and sessions.
pub async fn require_ingest(State(state): State<AppState>, request: Request, next: Next) -> Result<Response, ApiError> {
    require(state, request, next, Role::Ingest, "send traces").await
}

/// Lets API tokens and sessions through (viewer, analyst, admin), not ingest keys.
pub async fn require_viewer(State(state): State<AppState>, request: Request, next: Next) -> Result<Response, ApiError> {
    require(state, request, next, Role::Viewer, "read the inventory").await
}

/// Lets analysts and admins through: they may triage alerts and data classes.
pub async fn require_analyst(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    require(state, request, next, Role::Analyst, "change alerts or data classes").await
}

/// Lets analysts and admins through to store and delete OpenAPI descriptions.
pub async fn require_spec_editor(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    require(state, request, next, Role::Analyst, "change OpenAPI descriptions").await
}

/// Lets admins through: they manage keys, users and configuration.
pub async fn require_admin(State(state): State<AppState>, request: Request, next: Next) -> Result<Response, ApiError> {
    require(state, request, next, Role::Admin, "manage keys and users").await
}

pub(crate) async fn require(
    state: AppState,
    mut request: Request,
    next: Next,
    minimum: Role,
    action: &'static str,
) -> Result<Response, ApiError> {
    let caller = resolve_caller(&state, request.headers(), request.method()).await?;
    if caller.role < minimum {
        Metrics::add(&state.metrics.auth_failures, 1);
        return Err(ApiError::Forbidden { role: caller.role.to_string(), action });
    }
    request.extensions_mut().insert(caller);
    Ok(next.run(request).await)
}

/// Finds who is calling: the key in `Authorization` or `X-API-Key` first, else the
/// session cookie. A session's state-changing request must carry its CSRF token in
/// `X-CSRF-Token`; keys need none, since browsers never attach them on their own.
pub async fn resolve_caller(state: &AppState, headers: &HeaderMap, method: &Method) -> Result<Caller, ApiError> {
    if let Some(secret) = auth::key_credential(headers) {
        let store = state.store.clone();
        let Some(key) = blocking(move || store.authenticate(&secret)).await?? else {
            Metrics::add(&state.metrics.auth_failures, 1);
            return Err(ApiError::InvalidCredentials);
        };
        return Ok(Caller { name: key.name, role: key.role, session: false, csrf_token: None });
    }
    let Some(token) = auth::session_token(headers) else {
        Metrics::add(&state.metrics.auth_failures, 1);
        return Err(ApiError::MissingCredentials);
    };
    let store = state.store.clone();
    let Some(session) = blocking(move || store.session(&token)).await?? else {
        Metrics::add(&state.metrics.auth_failures, 1);
        return Err(ApiError::SessionExpired);
    };
    if auth::changes_state(method) {
        let sent = headers.get(auth::CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
        if !auth::tokens_match(sent, &session.csrf_token) {
            Metrics::add(&state.metrics.auth_failures, 1);
            return Err(ApiError::CsrfMismatch);
        }
    }
    Ok(Caller { name: session.user.name, role: session.user.role, session: true, csrf_token: Some(session.csrf_token) })
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
    /// Only endpoints with at least this risk score.
    pub min_risk: Option<u32>,
    /// Only endpoints with this data class on a field location not marked as a false
    /// positive.
    pub data_class: Option<String>,
    /// Only endpoints called with this authentication scheme (`none`: without credentials).
    pub auth: Option<AuthScheme>,
}

pub async fn endpoints(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<EndpointQuery>,
) -> Result<Json<PageDto<EndpointDto>>, ApiError> {
    let filter = EndpointFilter {
        host: query.host,
        method: query.method,
        search: query.search,
        sort: query.sort.unwrap_or_default(),
        limit: query.limit.unwrap_or(0),
        offset: query.offset.unwrap_or(0),
        min_risk: query.min_risk,
        data_class: query.data_class.filter(|c| !c.is_empty()),
        auth: query.auth,
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
        Some(detail) => Ok(Json(endpoint_detail(&state, &detail))),
        None => Err(ApiError::NotFound(format!("endpoint {id}"))),
    }
}

/// An endpoint's detail with the operation of a stored description that covers it.
fn endpoint_detail(state: &AppState, detail: &palisade_store::EndpointDetail) -> EndpointDetailDto {
    let mut dto = EndpointDetailDto::from(detail);
    dto.spec = state.specs.current().merge_for(&detail.endpoint);
    dto
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleQuery {
    pub limit: Option<u32>,
}

pub async fn samples(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<SampleQuery>,
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
    ApiQuery(query): ApiQuery<LookupQuery>,
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
        Some(detail) => Ok(Json(endpoint_detail(&state, &detail))),
        None => Err(ApiError::NotFound(format!("endpoint for {description}"))),
    }
}

/// Query parameters of `GET /api/v1/alerts`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertQuery {
    pub status: Option<AlertStatus>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub endpoint: Option<String>,
    pub host: Option<String>,
    pub actor: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

pub async fn alerts(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<AlertQuery>,
) -> Result<Json<PageDto<AlertDto>>, ApiError> {
    let filter = AlertFilter {
        status: query.status,
        kind: query.kind,
        endpoint_id: query.endpoint,
        host: query.host,
        actor: query.actor,
        limit: query.limit.unwrap_or(0),
        offset: query.offset.unwrap_or(0),
    };
    let limit = match filter.limit {
        0 => palisade_store::sqlite::DEFAULT_PAGE_SIZE,
        n => n.min(palisade_store::sqlite::MAX_PAGE_SIZE),
    };
    let offset = filter.offset;
    let store = state.store.clone();
    let page = blocking(move || store.alerts(&filter)).await??;
    Ok(Json(PageDto { items: page.items.iter().map(AlertDto::from).collect(), total: page.total, limit, offset }))
}

pub async fn alert(State(state): State<AppState>, ApiPath(id): ApiPath<i64>) -> Result<Json<AlertDto>, ApiError> {
    let store = state.store.clone();
    match blocking(move || store.alert(id)).await?? {
        Some(alert) => Ok(Json(AlertDto::from(&alert))),
        None => Err(ApiError::NotFound(format!("alert {id}"))),
    }
}

/// Body of `PATCH /api/v1/alerts/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertUpdate {
    pub status: AlertStatus,
}

pub async fn update_alert(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(update): ApiJson<AlertUpdate>,
) -> Result<Json<AlertDto>, ApiError> {
    let store = state.store.clone();
    match blocking(move || store.set_alert_status(id, update.status)).await?? {
        Some(alert) => {
            tracing::info!(alert_id = id, status = alert.status.as_str(), "alert status changed");
            Ok(Json(AlertDto::from(&alert)))
        }
        None => Err(ApiError::NotFound(format!("alert {id}"))),
    }
}

/// Body of `PUT /api/v1/endpoints/{id}/false-positives`: marks (or, with
/// `false_positive: false`, unmarks) a data class on a field location.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FalsePositiveMark {
    pub section: String,
    pub path: String,
    pub class: String,
    #[serde(default = "default_true")]
    pub false_positive: bool,
}

fn default_true() -> bool {
    true
}

pub async fn mark_false_positive(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiJson(mark): ApiJson<FalsePositiveMark>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Some(section) = Section::parse(&mark.section) else {
        return Err(ApiError::BadRequest(format!(
            "invalid section {:?}: expected request.path, request.query, request.header, request.body, \
             response.header or response.body",
            mark.section
        )));
    };
    let store = state.store.clone();
    let endpoint = id.clone();
    let (path, class, value) = (mark.path.clone(), mark.class.clone(), mark.false_positive);
    let found =
        blocking(move || store.mark_false_positive(&endpoint, section, &path, &class, value, &caller.name)).await??;
    if !found {
        return Err(ApiError::NotFound(format!(
            "data class {} on {} {} of endpoint {id}",
            mark.class, mark.section, mark.path
        )));
    }
    Ok(Json(serde_json::json!({
        "endpoint_id": id, "section": mark.section, "path": mark.path, "class": mark.class,
        "false_positive": mark.false_positive
    })))
}

/// Most findings an actor's timeline shows.
const MAX_TIMELINE: u32 = 1000;

/// Query parameters of `GET /api/v1/findings`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingQuery {
    pub actor: Option<String>,
    pub endpoint: Option<String>,
    pub class: Option<String>,
    /// RFC 3339 time; only findings at or after it.
    pub since: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

pub async fn findings(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<FindingQuery>,
) -> Result<Json<PageDto<FindingDto>>, ApiError> {
    let since_ms = match &query.since {
        Some(text) => Some(palisade_core::timestamp::parse_rfc3339(text).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "invalid since {text:?}: expected an RFC 3339 time such as 2026-12-04T10:00:00Z"
            ))
        })?),
        None => None,
    };
    let limit = page_limit(query.limit);
    let offset = query.offset.unwrap_or(0);
    let filter = FindingFilter {
        actor: query.actor,
        endpoint_id: query.endpoint,
        class: query.class,
        since_ms,
        oldest_first: false,
        limit,
        offset,
    };
    let store = state.store.clone();
    let page = blocking(move || store.findings(&filter)).await??;
    Ok(Json(PageDto { items: page.items.iter().map(FindingDto::from).collect(), total: page.total, limit, offset }))
}

/// Query parameters of `GET /api/v1/actors`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActorQuery {
    /// Only actors with findings.
    pub with_findings: Option<bool>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

pub async fn actors(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ActorQuery>,
) -> Result<Json<PageDto<ActorDto>>, ApiError> {
    let limit = page_limit(query.limit);
    let offset = query.offset.unwrap_or(0);
    let filter = ActorFilter { with_findings_only: query.with_findings.unwrap_or(false), limit, offset };
    let store = state.store.clone();
    let page = blocking(move || store.actors(&filter)).await??;
    Ok(Json(PageDto { items: page.items.iter().map(ActorDto::from).collect(), total: page.total, limit, offset }))
}

pub async fn actor(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<ActorDetailDto>, ApiError> {
    let store = state.store.clone();
    let lookup = id.clone();
    match blocking(move || store.actor(&lookup, MAX_TIMELINE)).await?? {
        Some(detail) => Ok(Json(ActorDetailDto::from(&detail))),
        None => Err(ApiError::NotFound(format!("actor {id}"))),
    }
}

fn page_limit(limit: Option<u32>) -> u32 {
    match limit.unwrap_or(0) {
        0 => palisade_store::sqlite::DEFAULT_PAGE_SIZE,
        n => n.min(palisade_store::sqlite::MAX_PAGE_SIZE),
    }
}

pub async fn metrics(State(state): State<AppState>) -> ([(axum::http::HeaderName, &'static str); 1], String) {
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render())
}

pub(crate) async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| ApiError::Internal(format!("store task failed: {e}")))
}
