//! The inline proxy inside `palisade serve --proxy-listen`: it enforces the server's own
//! rule set, handed over in memory on every change, and puts every proxied trace on the
//! server's trace queue, so no HTTP round trip to the server is involved.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use palisade_analyze::actors::ActorResolver;
use palisade_core::Trace;
use palisade_proxy::feed::{ActiveRules, FeedState};
use palisade_proxy::mirror::MirrorSettings;
use palisade_proxy::rules::RuleSet;
use palisade_proxy::{FnMirror, ProxyConfig, RuleHandle, RuleSource, RunningProxy, run_proxy};
use tokio::sync::mpsc;

use crate::collector::queue::TraceQueue;
use crate::rules::RuleBook;
use crate::server::RunningServer;

/// Minimum time between two log lines about mirrored traces the queue did not take.
const DROP_LOG_INTERVAL: Duration = Duration::from_secs(60);

/// Starts the proxy of `config` on the rules and trace queue of `server`. Shut the proxy
/// down before the server: its mirror keeps a handle on the server's trace queue until
/// it has stopped.
pub async fn start_inline_proxy(server: &RunningServer, config: ProxyConfig) -> anyhow::Result<RunningProxy> {
    start_inline_proxy_on(&server.rules, &server.queue, config).await
}

/// Starts the proxy of `config` on `rules` and `queue`. `palisade serve` takes them from a
/// [`PreparedServer`](crate::server::PreparedServer), so a proxy that cannot start fails
/// the start before the server serves or creates credentials. The same shutdown order
/// applies: the proxy first.
pub async fn start_inline_proxy_on(
    rules: &RuleBook,
    queue: &TraceQueue,
    config: ProxyConfig,
) -> anyhow::Result<RunningProxy> {
    let actor_key = hex::decode(rules.actor_key()).context("invalid actor key")?;
    let actors = ActorResolver::new(&config.actors, actor_key).context("invalid proxy.actors setting")?;
    let handle = RuleHandle::new(ActiveRules {
        rules: Arc::new(RuleSet::empty()),
        version: None,
        state: FeedState::Current,
        actors: Arc::new(actors),
    });
    rules.attach(handle.clone());

    let sender = start_queue_mirror(queue.clone(), &config.mirror);
    let mirror = FnMirror::new(move |trace: Trace| sender.try_send(trace).is_ok());
    let proxy = run_proxy(config, RuleSource::Handle(handle), Arc::new(mirror)).await?;
    Ok(proxy)
}

/// Starts a task that puts traces on `queue` in batches of `settings.batch_size`, waiting
/// at most `settings.flush_interval_ms` for a batch to fill. Returns the sending side of a
/// channel of `settings.max_queued_traces`; the task ends when every sender is dropped.
fn start_queue_mirror(queue: TraceQueue, settings: &MirrorSettings) -> mpsc::Sender<Trace> {
    let (sender, mut receiver) = mpsc::channel::<Trace>(settings.max_queued_traces.max(1));
    let batch_size = settings.batch_size.max(1);
    let flush_interval = Duration::from_millis(settings.flush_interval_ms);
    tokio::spawn(async move {
        let mut last_drop_log: Option<Instant> = None;
        while let Some(first) = receiver.recv().await {
            let mut batch = vec![first];
            let deadline = tokio::time::Instant::now() + flush_interval;
            while batch.len() < batch_size {
                match tokio::time::timeout_at(deadline, receiver.recv()).await {
                    Ok(Some(trace)) => batch.push(trace),
                    Ok(None) | Err(_) => break,
                }
            }
            if let Err(error) = queue.submit(&batch).await {
                // The queue counts what it refused in the server's metrics.
                if last_drop_log.is_none_or(|at| at.elapsed() >= DROP_LOG_INTERVAL) {
                    tracing::warn!(%error, traces = batch.len(), "trace queue rejected mirrored traces; they are dropped");
                    last_drop_log = Some(Instant::now());
                }
            }
        }
    });
    sender
}
