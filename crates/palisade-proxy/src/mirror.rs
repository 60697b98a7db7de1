//! Mirroring: the proxy hands each trace (request and response, bodies capped) to a
//! [`MirrorSink`] without waiting. [`HttpMirror`] sends batches to a server's
//! `POST /api/v1/traces`; [`FnMirror`] calls a function in the same process.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use palisade_core::Trace;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::feed::FeedConfigError;

/// Path of the collector route that takes native traces.
pub const TRACES_PATH: &str = "/api/v1/traces";

/// Counters of a mirror sink.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MirrorStats {
    pub sent: u64,
    /// Traces dropped because the queue was full: the server is slower than the traffic.
    pub dropped_queue_full: u64,
    /// Traces dropped because their batch could not be delivered.
    pub dropped_send_failed: u64,
}

/// Destination of mirrored traces. `offer` must return at once: mirroring never slows a
/// proxied request.
pub trait MirrorSink: Send + Sync + 'static {
    /// Takes a trace, or drops it and returns false.
    fn offer(&self, trace: Trace) -> bool;

    /// False when traces are not wanted, so the proxy skips building them.
    fn enabled(&self) -> bool {
        true
    }

    fn stats(&self) -> MirrorStats {
        MirrorStats::default()
    }
}

/// A sink that wants no traces.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoMirror;

impl MirrorSink for NoMirror {
    fn offer(&self, _trace: Trace) -> bool {
        false
    }

    fn enabled(&self) -> bool {
        false
    }
}

/// A sink that calls a function, such as one that puts traces on `palisade serve`'s
/// queue. The function must not block; it returns false when it dropped the trace.
pub struct FnMirror<F> {
    function: F,
    sent: AtomicU64,
    dropped: AtomicU64,
}

impl<F: Fn(Trace) -> bool + Send + Sync + 'static> FnMirror<F> {
    pub fn new(function: F) -> Self {
        Self { function, sent: AtomicU64::new(0), dropped: AtomicU64::new(0) }
    }
}

impl<F: Fn(Trace) -> bool + Send + Sync + 'static> MirrorSink for FnMirror<F> {
    fn offer(&self, trace: Trace) -> bool {
        let taken = (self.function)(trace);
        let counter = if taken { &self.sent } else { &self.dropped };
        counter.fetch_add(1, Ordering::Relaxed);
        taken
    }

    fn stats(&self) -> MirrorStats {
        MirrorStats {
            sent: self.sent.load(Ordering::Relaxed),
            dropped_queue_full: self.dropped.load(Ordering::Relaxed),
            dropped_send_failed: 0,
        }
    }
}

/// The `mirror:` settings of the proxy configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MirrorSettings {
    /// Traces waiting to be sent; when full, further traces are dropped and counted.
    pub max_queued_traces: usize,
    /// Maximum traces in one request to the server.
    pub batch_size: usize,
    /// Maximum time a trace waits for its batch to fill, in milliseconds.
    pub flush_interval_ms: u64,
    /// Time allowed for one batch request, in seconds.
    pub request_timeout_secs: u64,
    /// Largest request or response body kept in a mirrored trace, in bytes; the rest is
    /// cut and the trace marked truncated.
    pub max_body_bytes: usize,
}

impl Default for MirrorSettings {
    fn default() -> Self {
        Self {
            max_queued_traces: 10_000,
            batch_size: 200,
            flush_interval_ms: 200,
            request_timeout_secs: 10,
            max_body_bytes: 64 * 1024,
        }
    }
}

/// Sends traces in batches to a server's collector, from a background task.
pub struct HttpMirror {
    queue: mpsc::Sender<Trace>,
    stats: Arc<Counters>,
}

#[derive(Default)]
struct Counters {
    sent: AtomicU64,
    dropped_queue_full: AtomicU64,
    dropped_send_failed: AtomicU64,
}

impl HttpMirror {
    /// Starts the sending task on the current Tokio runtime. Traces go to
    /// `server_url` + `/api/v1/traces` with `key` as a bearer token.
    pub fn start(server_url: &str, key: &str, settings: MirrorSettings) -> Result<Self, FeedConfigError> {
        let base = server_url.trim_end_matches('/');
        let parsed = reqwest::Url::parse(base).map_err(|_| FeedConfigError::InvalidUrl(server_url.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(FeedConfigError::InvalidUrl(server_url.to_string()));
        }
        crate::install_crypto_provider();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(settings.request_timeout_secs.max(1)))
            .build()
            .map_err(|error| FeedConfigError::Client(error.to_string()))?;

        let (queue, receiver) = mpsc::channel(settings.max_queued_traces.max(1));
        let stats = Arc::new(Counters::default());
        let sender =
            Sender { url: format!("{base}{TRACES_PATH}"), key: key.to_string(), http, settings, stats: stats.clone() };
        tokio::spawn(sender.run(receiver));
        Ok(Self { queue, stats })
    }
}

impl MirrorSink for HttpMirror {
    fn offer(&self, trace: Trace) -> bool {
        match self.queue.try_send(trace) {
            Ok(()) => true,
            Err(_) => {
                self.stats.dropped_queue_full.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }

    fn stats(&self) -> MirrorStats {
        MirrorStats {
            sent: self.stats.sent.load(Ordering::Relaxed),
            dropped_queue_full: self.stats.dropped_queue_full.load(Ordering::Relaxed),
            dropped_send_failed: self.stats.dropped_send_failed.load(Ordering::Relaxed),
        }
    }
}

struct Sender {
    url: String,
    key: String,
    http: reqwest::Client,
    settings: MirrorSettings,
    stats: Arc<Counters>,
}

impl Sender {
    /// Collects batches and sends them one at a time until every [`HttpMirror`] handle
    /// is dropped and the queue is empty.
    async fn run(self, mut receiver: mpsc::Receiver<Trace>) {
        let batch_size = self.settings.batch_size.max(1);
        let flush_interval = Duration::from_millis(self.settings.flush_interval_ms.max(1));
        let mut batch = Vec::with_capacity(batch_size);
        loop {
            let Some(first) = receiver.recv().await else { return };
            batch.push(first);
            let deadline = tokio::time::Instant::now() + flush_interval;
            while batch.len() < batch_size {
                match tokio::time::timeout_at(deadline, receiver.recv()).await {
                    Ok(Some(trace)) => batch.push(trace),
                    Ok(None) | Err(_) => break,
                }
            }
            self.send(&mut batch).await;
        }
    }

    /// Sends one batch, retrying once after a short pause, and drops it when both tries
    /// fail.
    async fn send(&self, batch: &mut Vec<Trace>) {
        let body: Vec<serde_json::Value> = batch.iter().map(palisade_ingest::native::encode).collect();
        let count = batch.len() as u64;
        batch.clear();
        let Ok(body) = serde_json::to_vec(&body) else {
            self.stats.dropped_send_failed.fetch_add(count, Ordering::Relaxed);
            return;
        };

        for attempt in 1..=2 {
            let result = self
                .http
                .post(&self.url)
                .bearer_auth(&self.key)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone())
                .send()
                .await;
            match result {
                Ok(response) if response.status().is_success() => {
                    self.stats.sent.fetch_add(count, Ordering::Relaxed);
                    return;
                }
                Ok(response) => {
                    tracing::debug!(
                        status = response.status().as_u16(),
                        attempt,
                        "mirror batch request returned an error status"
                    )
                }
                Err(error) => tracing::debug!(%error, attempt, "mirror batch request failed"),
            }
            if attempt == 1 {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
        tracing::warn!(traces = count, url = %self.url, "dropped a batch of mirrored traces after two failed tries");
        self.stats.dropped_send_failed.fetch_add(count, Ordering::Relaxed);
    }
}
