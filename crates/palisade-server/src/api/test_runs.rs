//! Security test results that `palisade test run --server` sends, kept for the dashboard
//! and the API.

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use palisade_core::timestamp::format_rfc3339;
use palisade_store::TestRunSummary;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::blocking;
use super::dto::PageDto;
use crate::auth::Caller;
use crate::error::{ApiError, ApiPath, ApiQuery};
use crate::server::AppState;

/// The fields of a submitted run that the store indexes; the whole body is kept as sent.
#[derive(Debug, Deserialize)]
struct SubmittedRun {
    runner: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    duration_ms: f64,
    #[serde(default)]
    requests: u64,
    passed: u64,
    failed: u64,
    tests: Vec<Value>,
}

#[derive(Debug, Serialize)]
pub struct TestRunDto {
    pub id: i64,
    pub received_at: String,
    pub runner: String,
    pub version: String,
    pub passed: u64,
    pub failed: u64,
    pub requests: u64,
    pub duration_ms: f64,
    pub submitted_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<Value>,
}

impl TestRunDto {
    fn new(run: &TestRunSummary, document: Option<Value>) -> Self {
        Self {
            id: run.id,
            received_at: format_rfc3339(run.received_ms),
            runner: run.runner.clone(),
            version: run.version.clone(),
            passed: run.passed,
            failed: run.failed,
            requests: run.requests,
            duration_ms: run.duration_ms,
            submitted_by: run.submitted_by.clone(),
            document,
        }
    }
}

/// `POST /api/v1/test-runs`: stores a run; the oldest runs beyond `server.max_test_runs`
/// are deleted.
pub async fn submit(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<TestRunDto>), ApiError> {
    let document: Value = serde_json::from_slice(&body).map_err(|e| {
        ApiError::BadRequest(format!("invalid test run JSON at line {} column {}: {e}", e.line(), e.column()))
    })?;
    let run: SubmittedRun =
        serde_json::from_value(document.clone()).map_err(|e| ApiError::BadRequest(format!("invalid test run: {e}")))?;
    if run.runner.is_empty() {
        return Err(ApiError::BadRequest("invalid test run: runner is empty".into()));
    }
    let summary = TestRunSummary {
        id: 0,
        received_ms: 0,
        runner: run.runner,
        version: run.version,
        passed: run.passed,
        failed: run.failed,
        requests: run.requests,
        duration_ms: run.duration_ms,
        submitted_by: caller.name,
    };
    tracing::debug!(tests = run.tests.len(), "test run received");
    let store = state.store.clone();
    let max_runs = state.config.server.max_test_runs;
    let text = String::from_utf8_lossy(&body).into_owned();
    let stored = blocking(move || store.insert_test_run(&summary, &text, max_runs)).await??;
    Ok((StatusCode::CREATED, Json(TestRunDto::new(&stored, None))))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunQuery {
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// `GET /api/v1/test-runs`: newest first.
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<RunQuery>,
) -> Result<Json<PageDto<TestRunDto>>, ApiError> {
    let limit = match query.limit.unwrap_or(0) {
        0 => palisade_store::sqlite::DEFAULT_PAGE_SIZE,
        n => n.min(palisade_store::sqlite::MAX_PAGE_SIZE),
    };
    let offset = query.offset.unwrap_or(0);
    let store = state.store.clone();
    let page = blocking(move || store.test_runs(limit, offset)).await??;
    let items = page.items.iter().map(|run| TestRunDto::new(run, None)).collect();
    Ok(Json(PageDto { items, total: page.total, limit, offset }))
}

/// `GET /api/v1/test-runs/{id}`: the run with the document as sent.
pub async fn show(State(state): State<AppState>, ApiPath(id): ApiPath<i64>) -> Result<Json<TestRunDto>, ApiError> {
    let store = state.store.clone();
    let Some((run, document)) = blocking(move || store.test_run(id)).await?? else {
        return Err(ApiError::NotFound(format!("test run {id}")));
    };
    let document =
        serde_json::from_str(&document).map_err(|e| ApiError::Internal(format!("stored test run {id}: {e}")))?;
    Ok(Json(TestRunDto::new(&run, Some(document))))
}
