//! The rule feed client: a background task that long-polls the server's rule feed and
//! puts each good rule set in force.

use std::sync::Arc;
use std::time::{Duration, Instant};

use palisade_analyze::actors::{ActorConfig, ActorResolver};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use tokio::sync::{oneshot, watch};

use super::{ActiveRules, FEED_PATH, FeedResponse, FeedState, MAX_WAIT_SECS, RuleHandle};
use crate::metrics::{FeedError as FeedErrorKind, ProxyMetrics};
use crate::rules::{RuleLimits, RuleSet};

/// Behaviour of the proxy while the feed cannot be read or returns rules it cannot use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureMode {
    /// Keep the last good rules in force, however old.
    #[default]
    KeepLast,
    /// After `stale_after_secs` of failure, apply no rules until the feed recovers.
    FailOpen,
    /// After `stale_after_secs` of failure, reject every request with 503 until the feed
    /// recovers.
    FailClosed,
}

/// The `feed:` settings of the proxy configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeedSettings {
    /// Long-poll wait asked of the server, in seconds (at most 60).
    pub wait_secs: u64,
    /// Time allowed for one feed request beyond `wait_secs`, in seconds.
    pub request_timeout_secs: u64,
    /// First retry delay after a failure, in milliseconds; it doubles up to
    /// `retry_max_ms`.
    pub retry_min_ms: u64,
    pub retry_max_ms: u64,
    pub on_failure: FailureMode,
    /// Seconds of continuous failure before `fail_open` or `fail_closed` takes effect.
    pub stale_after_secs: u64,
    /// Largest feed response read, in bytes; a larger one is a failure.
    pub max_response_bytes: usize,
    /// Seconds the proxy waits for the first feed response before it starts serving.
    pub startup_wait_secs: u64,
}

impl Default for FeedSettings {
    fn default() -> Self {
        Self {
            wait_secs: 30,
            request_timeout_secs: 10,
            retry_min_ms: 500,
            retry_max_ms: 30_000,
            on_failure: FailureMode::KeepLast,
            stale_after_secs: 60,
            max_response_bytes: 16 * 1024 * 1024,
            startup_wait_secs: 5,
        }
    }
}

/// A feed client setting that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FeedConfigError {
    #[error("invalid server URL {0:?}: expected http:// or https:// followed by a host")]
    InvalidUrl(String),
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

/// Polls one server's rule feed.
#[derive(Debug, Clone)]
pub struct FeedClient {
    url: String,
    key: String,
    settings: FeedSettings,
    http: reqwest::Client,
}

impl FeedClient {
    /// Creates a client of the feed of the server at `server_url` (such as
    /// `http://127.0.0.1:7480`), sending `key` as a bearer token.
    pub fn new(server_url: &str, key: &str, settings: FeedSettings) -> Result<Self, FeedConfigError> {
        let base = server_url.trim_end_matches('/');
        let parsed = reqwest::Url::parse(base).map_err(|_| FeedConfigError::InvalidUrl(server_url.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(FeedConfigError::InvalidUrl(server_url.to_string()));
        }
        crate::install_crypto_provider();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|error| FeedConfigError::Client(error.to_string()))?;
        Ok(Self { url: format!("{base}{FEED_PATH}"), key: key.to_string(), settings, http })
    }

    pub fn settings(&self) -> &FeedSettings {
        &self.settings
    }

    /// Runs the polling loop until `shutdown` turns true. `first_answer` is sent after
    /// the first attempt, good or not.
    pub(crate) async fn run(
        self,
        handle: RuleHandle,
        context: FeedContext,
        first_answer: oneshot::Sender<()>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut poller = Poller::new(self, handle, context);
        let mut first_answer = Some(first_answer);
        loop {
            let wait = if first_answer.is_some() { 0 } else { poller.client.settings.wait_secs.min(MAX_WAIT_SECS) };
            let outcome = tokio::select! {
                outcome = poller.poll(wait) => outcome,
                _ = shutdown.changed() => return,
            };
            if let Some(sender) = first_answer.take() {
                let _ = sender.send(());
            }

            let delay = match outcome {
                Ok(()) => {
                    poller.succeeded();
                    poller.backoff = None;
                    Duration::ZERO
                }
                Err(kind) => {
                    poller.failed(kind);
                    poller.next_backoff()
                }
            };
            if !delay.is_zero() {
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = shutdown.changed() => return,
                }
            }
        }
    }
}

/// Settings and shared state of the feed task besides the client.
pub(crate) struct FeedContext {
    pub limits: RuleLimits,
    pub actors: ActorConfig,
    pub metrics: Arc<ProxyMetrics>,
}

struct Poller {
    client: FeedClient,
    handle: RuleHandle,
    context: FeedContext,
    /// Version sent in `If-None-Match`: the rules in force, or a rejected version so the
    /// server keeps the next request waiting until it has a newer one.
    etag: Option<String>,
    /// True when `etag` names a version that was rejected.
    etag_rejected: bool,
    /// The last good rules, to restore when the feed recovers from fail-open or
    /// fail-closed.
    last_good: Option<ActiveRules>,
    actor_key: Option<String>,
    failing_since: Option<Instant>,
    backoff: Option<Duration>,
}

impl Poller {
    fn new(client: FeedClient, handle: RuleHandle, context: FeedContext) -> Self {
        Self {
            client,
            handle,
            context,
            etag: None,
            etag_rejected: false,
            last_good: None,
            actor_key: None,
            failing_since: None,
            backoff: None,
        }
    }

    /// Sends one feed request. Returns `Ok` when the rules in force are the server's latest.
    async fn poll(&mut self, wait_secs: u64) -> Result<(), FeedErrorKind> {
        let settings = &self.client.settings;
        let url = if wait_secs > 0 { format!("{}?wait={wait_secs}", self.client.url) } else { self.client.url.clone() };
        let mut request = self
            .client
            .http
            .get(url)
            .bearer_auth(&self.client.key)
            .timeout(Duration::from_secs(wait_secs + settings.request_timeout_secs));
        if let Some(etag) = &self.etag {
            request = request.header(reqwest::header::IF_NONE_MATCH, format!("\"{etag}\""));
        }

        let mut response = request.send().await.map_err(|error| {
            tracing::debug!(%error, url = %self.client.url, "rule feed request failed");
            FeedErrorKind::Unreachable
        })?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_MODIFIED {
            // Unchanged since the version sent: fine when that was a good one, still failing
            // when it was a rejected one.
            return if self.etag_rejected { Err(FeedErrorKind::Invalid) } else { Ok(()) };
        }
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            tracing::error!(status = status.as_u16(), "rule feed rejected the key: check --key and its role");
            return Err(FeedErrorKind::Rejected);
        }
        if !status.is_success() {
            tracing::debug!(status = status.as_u16(), "rule feed returned an error status");
            return Err(FeedErrorKind::Unreachable);
        }

        let header_etag =
            response.headers().get(reqwest::header::ETAG).and_then(|value| value.to_str().ok()).map(unquote_etag);
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > settings.max_response_bytes {
                        tracing::error!(
                            max = settings.max_response_bytes,
                            "rule feed response is larger than feed.max_response_bytes; keeping the last good rules"
                        );
                        self.remember_rejected(header_etag);
                        return Err(FeedErrorKind::Invalid);
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(_) => return Err(FeedErrorKind::Unreachable),
            }
        }

        let feed: FeedResponse = match serde_json::from_slice(&body) {
            Ok(feed) => feed,
            Err(error) => {
                tracing::error!(%error, "invalid rule feed response; keeping the last good rules");
                self.remember_rejected(header_etag);
                return Err(FeedErrorKind::Invalid);
            }
        };
        let rules = match RuleSet::compile(&feed.rules, &self.context.limits) {
            Ok(rules) => rules,
            Err(error) => {
                tracing::error!(%error, version = %feed.version, "rule feed sent a rule set that does not compile; keeping the last good rules");
                self.remember_rejected(header_etag.or(Some(feed.version)));
                return Err(FeedErrorKind::Invalid);
            }
        };
        let actors = match self.resolver_for(feed.actor_key.as_deref()) {
            Ok(actors) => actors,
            Err(problem) => {
                tracing::error!(%problem, "rule feed sent an invalid actor key; keeping the last good rules");
                self.remember_rejected(header_etag.or(Some(feed.version)));
                return Err(FeedErrorKind::Invalid);
            }
        };

        tracing::info!(version = %feed.version, rules = rules.len(), "rule set updated from the feed");
        let active = ActiveRules {
            rules: Arc::new(rules),
            version: Some(feed.version.clone()),
            state: FeedState::Current,
            actors,
        };
        self.context.metrics.feed_updated(active.rules.len());
        self.handle.replace(active.clone());
        self.last_good = Some(active);
        self.etag = Some(header_etag.unwrap_or(feed.version));
        self.etag_rejected = false;
        Ok(())
    }

    fn remember_rejected(&mut self, etag: Option<String>) {
        if etag.is_some() {
            self.etag = etag;
            self.etag_rejected = true;
        }
    }

    /// Returns the resolver for `key`: the one in force when the key did not change.
    fn resolver_for(&mut self, key: Option<&str>) -> Result<Arc<ActorResolver>, String> {
        let current = self.handle.current();
        if key == self.actor_key.as_deref() {
            return Ok(current.actors.clone());
        }
        let bytes = match key {
            Some(hex_key) => hex::decode(hex_key).map_err(|_| "actor_key is not hex".to_string())?,
            None => Vec::new(),
        };
        let resolver = ActorResolver::new(&self.context.actors, bytes).map_err(|error| error.to_string())?;
        self.actor_key = key.map(str::to_string);
        Ok(Arc::new(resolver))
    }

    fn succeeded(&mut self) {
        if self.failing_since.take().is_some() {
            tracing::info!("rule feed recovered");
        }
        let current = self.handle.current();
        if current.state != FeedState::Current {
            match &self.last_good {
                Some(good) => self.handle.replace(good.clone()),
                None => self.handle.replace(ActiveRules { state: FeedState::Current, ..(*current).clone() }),
            }
        }
        self.context.metrics.set_feed_state(FeedState::Current);
    }

    fn failed(&mut self, kind: FeedErrorKind) {
        self.context.metrics.feed_error(kind);
        let since = *self.failing_since.get_or_insert_with(Instant::now);
        let settings = &self.client.settings;
        let expired = since.elapsed() >= Duration::from_secs(settings.stale_after_secs);
        let state = match settings.on_failure {
            FailureMode::FailOpen if expired => FeedState::FailOpen,
            FailureMode::FailClosed if expired => FeedState::FailClosed,
            _ => FeedState::Stale,
        };

        let current = self.handle.current();
        if current.state == state {
            return;
        }
        match state {
            FeedState::FailOpen => tracing::warn!("rule feed failing: no rules apply until it recovers (fail_open)"),
            FeedState::FailClosed => {
                tracing::warn!("rule feed failing: rejecting every request until it recovers (fail_closed)")
            }
            _ => tracing::warn!("rule feed failing: keeping the last good rules"),
        }
        let rules = if state == FeedState::FailOpen {
            Arc::new(RuleSet::empty())
        } else {
            self.last_good.as_ref().map_or_else(|| current.rules.clone(), |good| good.rules.clone())
        };
        self.handle.replace(ActiveRules { rules, state, ..(*current).clone() });
        self.context.metrics.set_feed_state(state);
    }

    /// Returns the next retry delay: doubling from `retry_min_ms` to `retry_max_ms`, with up to
    /// a quarter of random jitter so proxies do not retry in step.
    fn next_backoff(&mut self) -> Duration {
        let settings = &self.client.settings;
        let min = Duration::from_millis(settings.retry_min_ms.max(1));
        let max = Duration::from_millis(settings.retry_max_ms.max(settings.retry_min_ms.max(1)));
        let next = self.backoff.map_or(min, |last| (last * 2).min(max));
        self.backoff = Some(next);
        let jitter = next.mul_f64(fastrand::f64() * 0.25);
        next - jitter
    }
}

/// Strips the quotes and weak prefix of an entity tag.
pub(crate) fn unquote_etag(value: &str) -> String {
    let value = value.trim();
    let value = value.strip_prefix("W/").unwrap_or(value);
    value.trim_matches('"').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquote_etag_cases() {
        assert_eq!(unquote_etag("\"v7\""), "v7");
        assert_eq!(unquote_etag("W/\"v7\""), "v7");
        assert_eq!(unquote_etag(" 12 "), "12");
    }

    #[test]
    fn feed_client_rejects_bad_urls() {
        for url in ["ftp://x", "not a url", "http://"] {
            assert!(FeedClient::new(url, "k", FeedSettings::default()).is_err(), "{url}");
        }
        let client = FeedClient::new("http://127.0.0.1:7480/", "k", FeedSettings::default()).unwrap();
        assert_eq!(client.url, "http://127.0.0.1:7480/api/v1/agent/rules");
    }
}
