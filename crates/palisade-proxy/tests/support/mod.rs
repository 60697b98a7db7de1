//! Test servers on 127.0.0.1 for the proxy tests: an upstream, a trace collector and a
//! rule feed, plus raw HTTP/1.1 over TCP.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::routing::{any, get, post};
use palisade_proxy::config::ProxyConfig;
use palisade_proxy::rules::BlockRule;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Serves `router` on 127.0.0.1 port `port` (0 for any) and returns the address.
pub async fn serve(router: Router, port: u16) -> SocketAddr {
    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    address
}

/// An upstream that records how many requests reached it.
#[derive(Clone, Default)]
pub struct Upstream {
    pub hits: Arc<AtomicUsize>,
}

impl Upstream {
    /// Routes: `/slow` responds after 3 s, `/big` sends 1 MiB, anything else echoes the
    /// request as JSON: method, target, headers, body.
    pub fn router(&self) -> Router {
        Router::new()
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(3)).await;
                    "slow"
                }),
            )
            .route("/big", get(|| async { vec![b'x'; 1 << 20] }))
            .fallback(any(echo))
            .with_state(self.clone())
    }

    pub async fn start(&self) -> SocketAddr {
        serve(self.router(), 0).await
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

async fn echo(
    State(upstream): State<Upstream>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> axum::Json<Value> {
    upstream.hits.fetch_add(1, Ordering::SeqCst);
    let mut header_map = serde_json::Map::new();
    for (name, value) in &headers {
        let entry = header_map.entry(name.as_str().to_string()).or_insert_with(|| json!([]));
        entry.as_array_mut().unwrap().push(json!(String::from_utf8_lossy(value.as_bytes())));
    }
    axum::Json(json!({
        "method": method.as_str(),
        "target": uri.to_string(),
        "headers": header_map,
        "body": String::from_utf8_lossy(&body),
    }))
}

/// A collector that keeps every native trace posted to `/api/v1/traces` with the key.
#[derive(Clone, Default)]
pub struct Collector {
    pub traces: Arc<Mutex<Vec<Value>>>,
}

impl Collector {
    pub async fn start(&self, key: &str) -> SocketAddr {
        let key = format!("Bearer {key}");
        let collector = self.clone();
        let router = Router::new().route(
            "/api/v1/traces",
            post(move |headers: HeaderMap, body: Bytes| {
                let collector = collector.clone();
                let key = key.clone();
                async move {
                    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(key.as_str()) {
                        return StatusCode::UNAUTHORIZED;
                    }
                    let Ok(Value::Array(batch)) = serde_json::from_slice::<Value>(&body) else {
                        return StatusCode::BAD_REQUEST;
                    };
                    collector.traces.lock().unwrap().extend(batch);
                    StatusCode::ACCEPTED
                }
            }),
        );
        serve(router, 0).await
    }

    pub fn traces(&self) -> Vec<Value> {
        self.traces.lock().unwrap().clone()
    }
}

/// Returns a proxy configuration for `upstream` on a free port of 127.0.0.1, with short
/// timeouts.
pub fn config(upstream: SocketAddr) -> ProxyConfig {
    let mut config = ProxyConfig {
        listen: Some("127.0.0.1:0".parse().unwrap()),
        upstream: Some(format!("http://{upstream}")),
        ..ProxyConfig::default()
    };
    config.limits.upstream_response_timeout_secs = 2;
    config.limits.shutdown_grace_secs = 1;
    config.feed.retry_min_ms = 50;
    config.feed.retry_max_ms = 200;
    config
}

/// Builds a rule from JSON with the fields tests do not care about filled in.
pub fn rule(id: &str, mode: &str, conditions: Value, action: Value) -> BlockRule {
    serde_json::from_value(json!({
        "id": id,
        "mode": mode,
        "created_at": "2026-03-01T00:00:00Z",
        "conditions": conditions,
        "action": action,
    }))
    .unwrap()
}

/// Builds a block-mode rule on a path prefix.
pub fn block_path(id: &str, prefix: &str) -> BlockRule {
    rule(id, "block", json!([{"all": [{"field": "path", "op": "starts_with", "value": prefix}]}]), json!({"block": {}}))
}

pub fn client() -> reqwest::Client {
    palisade_proxy::install_crypto_provider();
    reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap()
}

/// Sends raw bytes and returns everything the server sends until it closes the
/// connection or 3 s pass.
pub async fn raw(address: SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(3), stream.read_to_end(&mut response)).await;
    String::from_utf8_lossy(&response).into_owned()
}

/// Returns the status code of the first response in raw HTTP/1.1 output, or 0.
pub fn status_of(response: &str) -> u16 {
    response.split_whitespace().nth(1).and_then(|code| code.parse().ok()).unwrap_or(0)
}

/// Polls `check` every 20 ms until it returns true or `limit` passes.
pub async fn eventually(limit: Duration, mut check: impl AsyncFnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}
