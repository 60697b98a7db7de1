//! `GET /api/v1/agent/rules`: the rule feed that `palisade proxy` and other agents
//! long-poll. The contract is in `docs/proxy.md`: the body is a
//! [`FeedResponse`](palisade_proxy::feed::FeedResponse), the `ETag` carries the version,
//! and a request whose `If-None-Match` names the current version waits up to `?wait=SECS`
//! for the next one before it gets 304.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use palisade_proxy::feed::MAX_WAIT_SECS;
use palisade_proxy::rules::BlockRule;
use serde::{Deserialize, Serialize};

use super::RuleSnapshot;
use crate::error::ApiQuery;
use crate::server::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedQuery {
    /// Seconds to hold a request whose `If-None-Match` names the current version.
    pub wait: Option<u64>,
}

/// The fields of `FeedResponse`, borrowed from the snapshot so that no rule is cloned.
#[derive(Serialize)]
struct FeedBody<'a> {
    version: &'a str,
    rules: &'a [BlockRule],
    actor_key: &'a str,
}

/// Serves the rule feed. The wait is capped at [`MAX_WAIT_SECS`] and at one second less
/// than `server.request_timeout_secs`, so the request timeout never cuts a long poll.
pub async fn rules(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<FeedQuery>,
    headers: HeaderMap,
) -> Response {
    let book = &state.rules;
    let mut changes = book.subscribe();
    let mut closing = book.closing();
    let known = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();

    let current = changes.borrow_and_update().clone();
    if !names_version(&known, &current.version) {
        return full_response(&current, book.actor_key());
    }

    let max_wait = MAX_WAIT_SECS.min(state.config.server.request_timeout_secs.saturating_sub(1));
    let mut wait = Duration::from_secs(query.wait.unwrap_or(0).min(max_wait));
    if *closing.borrow_and_update() {
        wait = Duration::ZERO;
    }
    let next = tokio::time::timeout(wait, async {
        loop {
            tokio::select! {
                changed = changes.changed() => {
                    if changed.is_err() {
                        return None;
                    }
                }
                // The server is stopping: respond now instead of holding up shutdown.
                _ = closing.changed() => return None,
            }
            let snapshot = changes.borrow_and_update().clone();
            if !names_version(&known, &snapshot.version) {
                return Some(snapshot);
            }
        }
    })
    .await;
    match next {
        Ok(Some(snapshot)) => full_response(&snapshot, book.actor_key()),
        _ => {
            let mut response = StatusCode::NOT_MODIFIED.into_response();
            set_headers(&mut response, &current.version);
            response
        }
    }
}

fn full_response(snapshot: &Arc<RuleSnapshot>, actor_key: &str) -> Response {
    let body = FeedBody { version: &snapshot.version, rules: &snapshot.rules, actor_key };
    let mut response = Json(body).into_response();
    set_headers(&mut response, &snapshot.version);
    response
}

fn set_headers(response: &mut Response, version: &str) {
    // Versions are `HEX-DIGITS`, always a valid header value.
    if let Ok(value) = HeaderValue::from_str(&format!("\"{version}\"")) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// True when an `If-None-Match` value names `version`: as `"V"`, `W/"V"`, in a list, or
/// through `*`.
pub fn names_version(if_none_match: &str, version: &str) -> bool {
    if_none_match.split(',').map(str::trim).filter(|tag| !tag.is_empty()).any(|tag| {
        if tag == "*" {
            return true;
        }
        let tag = tag.strip_prefix("W/").unwrap_or(tag);
        tag.trim_matches('"') == version
    })
}

#[cfg(test)]
mod tests {
    use super::names_version;

    #[test]
    fn if_none_match_forms() {
        let cases = [
            ("\"ab-3\"", true),
            ("W/\"ab-3\"", true),
            ("\"ab-2\", \"ab-3\"", true),
            ("*", true),
            ("ab-3", true),
            ("\"ab-2\"", false),
            ("", false),
            ("\"ab-30\"", false),
        ];
        for (header, expected) in cases {
            assert_eq!(names_version(header, "ab-3"), expected, "{header:?}");
        }
    }
}
