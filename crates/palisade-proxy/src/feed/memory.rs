//! A rule feed served from memory: an axum router with the feed route, for tests and for
//! a server that keeps its rules in memory and mounts the router.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use tokio::sync::watch;

use super::client::unquote_etag;
use super::{FEED_PATH, FeedResponse, MAX_WAIT_SECS};
use crate::rules::BlockRule;

/// Rules in memory, served at [`FEED_PATH`] with the feed contract: `ETag`,
/// `If-None-Match` and long polling with `?wait=SECS`. Cloning shares the rules.
#[derive(Clone)]
pub struct MemoryFeed {
    inner: Arc<Inner>,
}

struct Inner {
    data: Mutex<FeedData>,
    /// Carries the version number after each change, waking long polls.
    changed: watch::Sender<u64>,
    /// Bearer token a request must send; any request is served when `None`.
    key: Option<String>,
    actor_key: Option<String>,
}

struct FeedData {
    version: u64,
    rules: Vec<BlockRule>,
}

#[derive(Debug, Deserialize)]
struct FeedQuery {
    wait: Option<u64>,
}

impl MemoryFeed {
    /// An empty feed at version 1 that requires `key` as a bearer token when given.
    pub fn new(key: Option<&str>) -> Self {
        Self::build(key, None)
    }

    /// Like [`MemoryFeed::new`], and sends `actor_key` (hex) in every response.
    pub fn with_actor_key(key: Option<&str>, actor_key: &str) -> Self {
        Self::build(key, Some(actor_key))
    }

    fn build(key: Option<&str>, actor_key: Option<&str>) -> Self {
        let (changed, _) = watch::channel(1);
        let inner = Inner {
            data: Mutex::new(FeedData { version: 1, rules: Vec::new() }),
            changed,
            key: key.map(str::to_string),
            actor_key: actor_key.map(str::to_string),
        };
        Self { inner: Arc::new(inner) }
    }

    /// Replaces every rule and returns the new version.
    pub fn set_rules(&self, rules: Vec<BlockRule>) -> u64 {
        self.update(|current| *current = rules)
    }

    /// Adds `rule`, replacing a rule with the same id, and returns the new version.
    pub fn add_rule(&self, rule: BlockRule) -> u64 {
        self.update(|rules| {
            rules.retain(|existing| existing.id != rule.id);
            rules.push(rule);
        })
    }

    /// Removes the rule with `id`; returns the new version, or `None` when there was no
    /// such rule.
    pub fn remove_rule(&self, id: &str) -> Option<u64> {
        let present = self.rules().iter().any(|rule| rule.id == id);
        present.then(|| self.update(|rules| rules.retain(|rule| rule.id != id)))
    }

    pub fn rules(&self) -> Vec<BlockRule> {
        self.lock().rules.clone()
    }

    pub fn version(&self) -> u64 {
        self.lock().version
    }

    /// Builds a router with the feed route.
    pub fn router(&self) -> Router {
        Router::new().route(FEED_PATH, get(serve)).with_state(self.clone())
    }

    fn update(&self, change: impl FnOnce(&mut Vec<BlockRule>)) -> u64 {
        let version = {
            let mut data = self.lock();
            change(&mut data.rules);
            data.version += 1;
            data.version
        };
        self.inner.changed.send_replace(version);
        version
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FeedData> {
        self.inner.data.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn snapshot(&self) -> FeedResponse {
        let data = self.lock();
        FeedResponse {
            version: data.version.to_string(),
            rules: data.rules.clone(),
            actor_key: self.inner.actor_key.clone(),
        }
    }
}

async fn serve(State(feed): State<MemoryFeed>, Query(query): Query<FeedQuery>, headers: HeaderMap) -> Response {
    if let Some(key) = &feed.inner.key {
        let sent =
            headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        if sent != Some(key.as_str()) {
            return (StatusCode::UNAUTHORIZED, axum::Json(serde_json::json!({"error": "missing or invalid key"})))
                .into_response();
        }
    }

    let mut changes = feed.inner.changed.subscribe();
    let known = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).map(str::to_string);
    let is_current = |version: u64| {
        known.as_deref().is_some_and(|list| {
            list.split(',').any(|tag| tag.trim() == "*" || unquote_etag(tag) == version.to_string())
        })
    };

    let version = feed.version();
    if !is_current(version) {
        return full_response(&feed);
    }
    let wait = Duration::from_secs(query.wait.unwrap_or(0).min(MAX_WAIT_SECS));
    let changed = tokio::time::timeout(wait, async {
        loop {
            if changes.changed().await.is_err() {
                return false;
            }
            if !is_current(*changes.borrow_and_update()) {
                return true;
            }
        }
    })
    .await;
    if matches!(changed, Ok(true)) {
        return full_response(&feed);
    }
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    set_etag(&mut response, &version.to_string());
    response
}

fn full_response(feed: &MemoryFeed) -> Response {
    let body = feed.snapshot();
    let version = body.version.clone();
    let mut response = axum::Json(body).into_response();
    set_etag(&mut response, &version);
    response
}

fn set_etag(response: &mut Response, version: &str) {
    if let Ok(value) = HeaderValue::from_str(&format!("\"{version}\"")) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}
