//! The rule feed: long polling through the memory feed, garbage and hostile rule sets,
//! and the failure modes.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use palisade_proxy::feed::{FEED_PATH, FailureMode, FeedClient, FeedSettings, FeedState, MemoryFeed};
use palisade_proxy::metrics::FeedError;
use palisade_proxy::{NoMirror, RuleSource, run_proxy};
use serde_json::json;
use support::*;

fn settings() -> FeedSettings {
    FeedSettings { retry_min_ms: 50, retry_max_ms: 200, startup_wait_secs: 2, ..FeedSettings::default() }
}

#[tokio::test]
async fn feed_rule_takes_effect_within_a_second() {
    let upstream = Upstream::default();
    let address = upstream.start().await;
    let feed = MemoryFeed::new(Some("agent-key"));
    let feed_address = serve(feed.router(), 0).await;
    let client = FeedClient::new(&format!("http://{feed_address}"), "agent-key", settings()).unwrap();
    let proxy = run_proxy(config(address), RuleSource::Feed(client), Arc::new(NoMirror)).await.unwrap();
    let http = support::client();
    let url = format!("http://{}/orders/7", proxy.local_addr);
    assert_eq!(http.get(&url).send().await.unwrap().status(), 200);
    assert_eq!(proxy.rules.current().state, FeedState::Current);

    // The proxy is waiting in a long poll; a new rule must reach it at once.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let added = Instant::now();
    feed.add_rule(block_path("no-orders", "/orders"));
    let blocked =
        eventually(Duration::from_secs(1), async || http.get(&url).send().await.unwrap().status() == 403).await;
    assert!(blocked, "rule not in force after {:?}", added.elapsed());
    assert_eq!(proxy.rules.current().version.as_deref(), Some("2"));

    feed.remove_rule("no-orders");
    let allowed =
        eventually(Duration::from_secs(1), async || http.get(&url).send().await.unwrap().status() == 200).await;
    assert!(allowed, "rule still in force after removal");
    assert_eq!(proxy.metrics.feed_errors(FeedError::Unreachable), 0);
    proxy.shutdown().await;
}

#[tokio::test]
async fn feed_with_wrong_key_is_counted_as_rejected() {
    let upstream = Upstream::default();
    let address = upstream.start().await;
    let feed = MemoryFeed::new(Some("agent-key"));
    feed.add_rule(block_path("no-orders", "/orders"));
    let feed_address = serve(feed.router(), 0).await;
    let client = FeedClient::new(&format!("http://{feed_address}"), "wrong-key", settings()).unwrap();
    let proxy = run_proxy(config(address), RuleSource::Feed(client), Arc::new(NoMirror)).await.unwrap();
    assert!(proxy.metrics.feed_errors(FeedError::Rejected) >= 1);
    assert_eq!(proxy.rules.current().state, FeedState::Stale);
    assert_eq!(
        support::client().get(format!("http://{}/orders", proxy.local_addr)).send().await.unwrap().status(),
        200
    );
    proxy.shutdown().await;
}

/// Builds a feed whose response the test switches: 0 good rules, 1 not JSON, 2 a hostile regex,
/// 3 unreachable (500).
fn switchable_feed(mode: Arc<AtomicU8>) -> Router {
    Router::new().route(
        FEED_PATH,
        get(move |headers: HeaderMap| {
            let mode = mode.clone();
            async move {
                let version = mode.load(Ordering::SeqCst);
                let etag = format!("\"{version}\"");
                if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
                    // Long poll: hold the request briefly, nothing changes.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)], String::new()).into_response();
                }
                let body = match version {
                    0 => json!({"version": "0", "rules": [block_path("no-orders", "/orders")]}).to_string(),
                    1 => "<html>proxy error</html>".to_string(),
                    2 => json!({"version": "2", "rules": [rule(
                        "hostile-9",
                        "block",
                        json!([{"all": [{"field": "body", "op": "regex", "value": "((a{500}){500}){500}"}]}]),
                        json!({"block": {}}),
                    )]})
                    .to_string(),
                    _ => return (StatusCode::INTERNAL_SERVER_ERROR, "down").into_response(),
                };
                (StatusCode::OK, [(header::ETAG, etag)], body).into_response()
            }
        }),
    )
}

#[tokio::test]
async fn feed_garbage_keeps_the_last_good_rules() {
    let upstream = Upstream::default();
    let address = upstream.start().await;
    let mode = Arc::new(AtomicU8::new(0));
    let feed_address = serve(switchable_feed(mode.clone()), 0).await;
    let client = FeedClient::new(&format!("http://{feed_address}"), "k", settings()).unwrap();
    let proxy = run_proxy(config(address), RuleSource::Feed(client), Arc::new(NoMirror)).await.unwrap();
    let http = support::client();
    let url = format!("http://{}/orders", proxy.local_addr);
    assert_eq!(http.get(&url).send().await.unwrap().status(), 403);

    for (step, expected_errors) in [(1u8, 1u64), (2, 2)] {
        mode.store(step, Ordering::SeqCst);
        let counted = eventually(Duration::from_secs(3), async || {
            proxy.metrics.feed_errors(FeedError::Invalid) >= expected_errors
        })
        .await;
        assert!(counted, "step {step}: errors {}", proxy.metrics.feed_errors(FeedError::Invalid));
        assert_eq!(http.get(&url).send().await.unwrap().status(), 403, "step {step}");
        assert_eq!(proxy.rules.current().version.as_deref(), Some("0"), "step {step}");
        assert_eq!(proxy.rules.current().state, FeedState::Stale, "step {step}");
    }

    // Good rules again: the feed recovers.
    mode.store(0, Ordering::SeqCst);
    let recovered =
        eventually(Duration::from_secs(3), async || proxy.rules.current().state == FeedState::Current).await;
    assert!(recovered);
    proxy.shutdown().await;
}

#[tokio::test]
async fn failure_modes_after_stale_time() {
    // (mode, status of a request to an unblocked path once the feed has failed, and of
    // the blocked path)
    let cases = [
        (FailureMode::KeepLast, FeedState::Stale, 200, 403),
        (FailureMode::FailOpen, FeedState::FailOpen, 200, 200),
        (FailureMode::FailClosed, FeedState::FailClosed, 503, 503),
    ];
    for (on_failure, state, other_status, blocked_status) in cases {
        let upstream = Upstream::default();
        let address = upstream.start().await;
        let mode = Arc::new(AtomicU8::new(0));
        let feed_address = serve(switchable_feed(mode.clone()), 0).await;
        let settings = FeedSettings { on_failure, stale_after_secs: 0, ..settings() };
        let client = FeedClient::new(&format!("http://{feed_address}"), "k", settings).unwrap();
        let proxy = run_proxy(config(address), RuleSource::Feed(client), Arc::new(NoMirror)).await.unwrap();
        let http = support::client();
        let base = format!("http://{}", proxy.local_addr);
        assert_eq!(http.get(format!("{base}/orders")).send().await.unwrap().status(), 403, "{on_failure:?}");

        mode.store(3, Ordering::SeqCst);
        let reached = eventually(Duration::from_secs(3), async || proxy.rules.current().state == state).await;
        assert!(reached, "{on_failure:?}: state {:?}", proxy.rules.current().state);
        assert_eq!(http.get(format!("{base}/other")).send().await.unwrap().status(), other_status, "{on_failure:?}");
        assert_eq!(http.get(format!("{base}/orders")).send().await.unwrap().status(), blocked_status, "{on_failure:?}");

        mode.store(0, Ordering::SeqCst);
        let back = eventually(Duration::from_secs(3), async || proxy.rules.current().state == FeedState::Current).await;
        assert!(back, "{on_failure:?} did not recover");
        assert_eq!(http.get(format!("{base}/orders")).send().await.unwrap().status(), 403, "{on_failure:?}");
        proxy.shutdown().await;
    }
}

#[tokio::test]
async fn memory_feed_honours_etag_and_wait() {
    let feed = MemoryFeed::new(None);
    let address = serve(feed.router(), 0).await;
    let http = support::client();
    let url = format!("http://{address}{FEED_PATH}");

    let first = http.get(&url).send().await.unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["etag"], "\"1\"");
    let body: serde_json::Value = first.json().await.unwrap();
    assert_eq!(body, json!({"version": "1", "rules": []}));

    let started = Instant::now();
    let unchanged = http.get(format!("{url}?wait=1")).header("if-none-match", "\"1\"").send().await.unwrap();
    assert_eq!(unchanged.status(), 304);
    assert!(started.elapsed() >= Duration::from_millis(900), "answered after {:?}", started.elapsed());

    let waiting = tokio::spawn({
        let http = http.clone();
        let url = url.clone();
        async move { http.get(format!("{url}?wait=30")).header("if-none-match", "\"1\"").send().await.unwrap() }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    feed.add_rule(block_path("r", "/x"));
    let changed = tokio::time::timeout(Duration::from_secs(2), waiting).await.unwrap().unwrap();
    assert_eq!(changed.status(), 200);
    assert_eq!(changed.headers()["etag"], "\"2\"");
}
