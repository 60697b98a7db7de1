//! The collector: routes that accept traces (Metlo's agent API and Palisade's own) and the
//! configuration calls Metlo agents make at start-up.
//!
//! A request is decoded, each trace validated, and the valid ones appended to the journal.
//! Only then does the collector respond with 2xx. One bad trace in a batch rejects only itself,
//! and the answer lists it by index.

pub mod queue;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use palisade_core::Trace;
use palisade_core::timestamp::now_ms;
use palisade_ingest::metlo::MetloVersion;
use palisade_ingest::{DecodeError, TraceDecodeError};
use serde::Serialize;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::server::AppState;

/// Maximum rejected traces listed one by one in a response. The rest are only counted.
const MAX_LISTED_REJECTIONS: usize = 100;

/// Response to a request that delivered traces.
#[derive(Debug, Serialize)]
pub struct IngestReport {
    pub accepted: usize,
    pub rejected: usize,
    pub errors: Vec<RejectedTrace>,
}

#[derive(Debug, Serialize)]
pub struct RejectedTrace {
    pub index: usize,
    pub error: String,
}

#[derive(Clone, Copy)]
enum Source {
    Metlo(MetloVersion, bool),
    Native,
}

pub async fn metlo_v1_single(State(state): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    ingest(state, body, Source::Metlo(MetloVersion::V1, false)).await
}

pub async fn metlo_v1_batch(State(state): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    ingest(state, body, Source::Metlo(MetloVersion::V1, true)).await
}

pub async fn metlo_v2_single(State(state): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    ingest(state, body, Source::Metlo(MetloVersion::V2, false)).await
}

pub async fn metlo_v2_batch(State(state): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    ingest(state, body, Source::Metlo(MetloVersion::V2, true)).await
}

/// `POST /api/v1/traces`: Palisade's own trace format, one object or an array.
pub async fn native(State(state): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    ingest(state, body, Source::Native).await
}

async fn ingest(state: AppState, body: Bytes, source: Source) -> Result<Response, ApiError> {
    let limits = state.limits.clone();
    let decoded = tokio::task::spawn_blocking(move || decode(&body, source, &limits))
        .await
        .map_err(|e| ApiError::Internal(format!("decoder task failed: {e}")))?;
    let results = match decoded {
        Ok(results) => results,
        Err(error) => {
            Metrics::add(&state.metrics.requests_invalid, 1);
            return Err(ApiError::BadRequest(format!("invalid request body: {error}")));
        }
    };

    let mut traces: Vec<Trace> = Vec::with_capacity(results.len());
    let mut report = IngestReport { accepted: 0, rejected: 0, errors: Vec::new() };
    for (index, result) in results.into_iter().enumerate() {
        match result {
            Ok(trace) => traces.push(trace),
            Err(error) => {
                report.rejected += 1;
                if report.errors.len() < MAX_LISTED_REJECTIONS {
                    report.errors.push(RejectedTrace { index, error: error_text(&error) });
                }
            }
        }
    }
    Metrics::add(&state.metrics.traces_invalid, report.rejected as u64);

    if traces.is_empty() && report.rejected > 0 {
        Metrics::add(&state.metrics.requests_invalid, 1);
        let first = report.errors.first().map(|e| e.error.as_str()).unwrap_or("");
        return Err(ApiError::BadRequest(format!(
            "no valid trace in the request ({} rejected); first: {first}",
            report.rejected
        )));
    }
    if !traces.is_empty() {
        state.queue.submit(&traces).await?;
    }

    report.accepted = traces.len();
    let counter = match source {
        Source::Metlo(..) => &state.metrics.traces_accepted_metlo,
        Source::Native => &state.metrics.traces_accepted_native,
    };
    Metrics::add(counter, report.accepted as u64);
    Ok(Json(report).into_response())
}

fn error_text(error: &TraceDecodeError) -> String {
    error.to_string()
}

fn decode(
    body: &[u8],
    source: Source,
    limits: &palisade_core::Limits,
) -> Result<Vec<Result<Trace, TraceDecodeError>>, DecodeError> {
    match source {
        Source::Metlo(version, batch) => palisade_ingest::metlo::decode(body, version, batch, limits, now_ms()),
        Source::Native => palisade_ingest::native::decode(body, limits, now_ms()),
    }
}

/// `GET /api/v1` and the `verify` routes: Metlo agents check the backend with them and
/// accept any 200 answer.
pub async fn agent_ok() -> &'static str {
    "OK"
}

/// `GET /api/v1/agent-config`, in the shape Metlo's agents read. Full trace capture is on
/// so agents send bodies. No endpoints are listed: an agent matches requests against
/// listed endpoints and reports the match as the route template, which Palisade treats as
/// authoritative, so listing Palisade's own guesses would freeze them.
pub async fn agent_config(State(state): State<AppState>) -> Json<Value> {
    let host_map: Vec<Value> =
        state.config.host_map.iter().map(|e| json!({"host": e.host, "pattern": e.pattern})).collect();
    let path_block_list: Vec<Value> =
        state.config.path_block_list.iter().map(|e| json!({"host": e.host, "paths": e.paths})).collect();
    Json(json!({
        "sensitiveDataList": [],
        "endpoints": [],
        "specs": [],
        "globalFullTraceCapture": true,
        "authenticationConfig": [],
        "encryptionPublicKey": null,
        "hostMap": host_map,
        "hostBlockList": state.config.host_block_list,
        "pathBlockList": path_block_list,
    }))
}
