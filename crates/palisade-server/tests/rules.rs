//! Block rules through a real server: the REST API and its roles, the rule feed with
//! ETag and long polling, a proxy that pulls the feed, and an in-process proxy whose
//! traffic makes an automatic policy block an attacker.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use common::TestServer;
use palisade_core::access::Role;
use palisade_proxy::feed::{FeedClient, FeedSettings};
use palisade_proxy::{NoMirror, ProxyConfig, RuleSource, run_proxy};
use palisade_server::Config;
use palisade_store::Store;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn key(server: &TestServer, role: Role) -> String {
    let store = palisade_server::DataDir::open(server.dir.path(), false).unwrap().open_store().unwrap();
    store.create_key(&format!("{role} for tests"), role).unwrap().1
}

async fn send(
    server: &TestServer,
    method: reqwest::Method,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = server.client.request(method, format!("{}{path}", server.base)).bearer_auth(key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

async fn error_message(response: reqwest::Response) -> String {
    let body: Value = response.json().await.unwrap();
    body["error"]["message"].as_str().unwrap_or_default().to_string()
}

fn block_path(id: &str, prefix: &str) -> Value {
    json!({
        "id": id,
        "mode": "block",
        "conditions": [{"all": [{"field": "path", "op": "starts_with", "value": prefix}]}],
        "action": {"block": {}}
    })
}

/// A small upstream that responds 200 with `upstream` to every request.
async fn start_upstream() -> SocketAddr {
    let app = Router::new().fallback(|| async { "upstream" });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    address
}

fn proxy_config(upstream: SocketAddr) -> ProxyConfig {
    ProxyConfig {
        listen: Some("127.0.0.1:0".parse().unwrap()),
        upstream: Some(format!("http://{upstream}")),
        ..ProxyConfig::default()
    }
}

/// Polls `check` every 20 ms until it is true or `limit` has passed.
async fn eventually(limit: Duration, mut check: impl AsyncFnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rule_crud_and_roles() {
    let mut server = TestServer::start().await;
    let viewer = key(&server, Role::Viewer);
    let analyst = key(&server, Role::Analyst);
    let post = reqwest::Method::POST;

    let empty: Value = send(&server, reqwest::Method::GET, "/api/v1/rules", &viewer, None).await.json().await.unwrap();
    assert_eq!(empty["total"], 0);

    // Viewers and ingest keys read or feed, but do not change rules.
    let rule = json!({"reason": "no admin", "action": {"block": {}},
        "conditions": [{"all": [{"field": "path", "op": "starts_with", "value": "/admin"}]}]});
    let refused = send(&server, post.clone(), "/api/v1/rules", &viewer, Some(rule.clone())).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(error_message(refused).await.contains("change block rules"));
    let ingest = send(&server, post.clone(), "/api/v1/rules", &server.ingest, Some(rule.clone())).await;
    assert_eq!(ingest.status(), StatusCode::FORBIDDEN);

    // A rule without id and created_at gets both; origin defaults to user.
    let created = send(&server, post.clone(), "/api/v1/rules", &analyst, Some(rule.clone())).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let location = created.headers()["location"].to_str().unwrap().to_string();
    let created: Value = created.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(location, format!("/api/v1/rules/{id}"));
    assert_eq!(created["origin"], "user");
    assert_eq!(created["mode"], "monitor");
    assert!(created["created_at"].as_str().unwrap().ends_with('Z'));

    // The same id again is a conflict.
    let again = send(&server, post.clone(), "/api/v1/rules", &analyst, Some(created.clone())).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(error_message(again).await.contains("already exists"));

    // Edit: switch to block mode, with the document from GET.
    let mut document: Value = send(&server, reqwest::Method::GET, &location, &viewer, None).await.json().await.unwrap();
    assert_eq!(document, created);
    document["mode"] = json!("block");
    let changed = send(&server, reqwest::Method::PUT, &location, &analyst, Some(document)).await;
    assert_eq!(changed.status(), StatusCode::OK);
    let shown: Value = send(&server, reqwest::Method::GET, &location, &viewer, None).await.json().await.unwrap();
    assert_eq!(shown["mode"], "block");
    assert_eq!(shown["created_at"], created["created_at"]);

    let renamed = send(&server, reqwest::Method::PUT, &location, &analyst, Some(block_path("other", "/x"))).await;
    assert_eq!(renamed.status(), StatusCode::BAD_REQUEST);
    let missing = send(&server, reqwest::Method::PUT, "/api/v1/rules/nope", &analyst, Some(block_path("nope", "/x")));
    assert_eq!(missing.await.status(), StatusCode::NOT_FOUND);
    let viewer_put = send(&server, reqwest::Method::PUT, &location, &viewer, Some(created.clone())).await;
    assert_eq!(viewer_put.status(), StatusCode::FORBIDDEN);

    // Rules survive a restart.
    server.restart(Config::default()).await;
    let list: Value = send(&server, reqwest::Method::GET, "/api/v1/rules", &viewer, None).await.json().await.unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], id.as_str());

    let deleted = send(&server, reqwest::Method::DELETE, &location, &analyst, None).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let gone = send(&server, reqwest::Method::DELETE, &location, &analyst, None).await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    assert_eq!(send(&server, reqwest::Method::GET, &location, &viewer, None).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_rules_get_400_naming_the_problem() {
    let server = TestServer::start().await;
    let analyst = key(&server, Role::Analyst);
    // (body, text the error message must contain)
    let cases = [
        (
            json!({"action": {"block": {}}, "conditions": [{"all": [{"field": "path", "op": "like", "value": "/"}]}]}),
            "conditions[0].all[0].op",
        ),
        (json!({"action": {"block": {}}, "colour": "red"}), "colour"),
        (json!({"mode": "block"}), "action"),
        (json!({"action": {"block": {}}, "expires_at": "next week"}), "expires_at"),
        (
            json!({"id": "r-9", "action": {"block": {}},
                   "conditions": [{"all": [{"field": "path", "op": "regex", "value": "(x{1000}){1000}"}]}]}),
            "compiles to more than",
        ),
        (
            json!({"id": "r-9", "action": {"block": {}},
                   "conditions": [{"all": [{"field": "path", "op": "regex", "value": "(ab"}]}]}),
            "conditions[0].all[0]",
        ),
        (
            json!({"id": "r-9", "action": {"block": {}}, "conditions": [{"all": [{"field": "header", "op": "equals", "value": "x"}]}]}),
            "missing name",
        ),
        (
            json!({"id": "r-9", "action": {"rate_limit": {"threshold": 0, "window_secs": 1, "block_secs": 1}}}),
            "threshold",
        ),
        (json!({"id": "", "action": {"block": {}}, "origin": "robot"}), "origin"),
    ];
    for (body, expected) in cases {
        let response = send(&server, reqwest::Method::POST, "/api/v1/rules", &analyst, Some(body.clone())).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        let message = error_message(response).await;
        assert!(message.contains(expected), "{body}: {message}");
    }

    let garbage = server
        .client
        .post(format!("{}/api/v1/rules", server.base))
        .bearer_auth(&analyst)
        .body("{\"id\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), StatusCode::BAD_REQUEST);
    assert!(error_message(garbage).await.contains("line 1"));
    let list: Value = send(&server, reqwest::Method::GET, "/api/v1/rules", &analyst, None).await.json().await.unwrap();
    assert_eq!(list["total"], 0, "no bad rule was stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feed_etag_304_and_long_poll() {
    let mut server = TestServer::start().await;
    let analyst = key(&server, Role::Analyst);
    let feed = "/api/v1/agent/rules";

    assert_eq!(server.get(feed, None).await.status(), StatusCode::UNAUTHORIZED);
    let first = server.get(feed, Some(&server.ingest)).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.headers()["cache-control"], "no-store");
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let body: Value = first.json().await.unwrap();
    assert_eq!(etag, format!("\"{}\"", body["version"].as_str().unwrap()));
    assert_eq!(body["rules"], json!([]));
    assert_eq!(body["actor_key"].as_str().unwrap().len(), 64);

    // The current version without wait: 304 at once.
    let unchanged = server
        .client
        .get(format!("{}{feed}", server.base))
        .bearer_auth(&server.ingest)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(unchanged.headers()["etag"].to_str().unwrap(), etag);

    // A long poll wakes when a rule is added.
    let poll = {
        let client = server.client.clone();
        let url = format!("{}{feed}?wait=20", server.base);
        let (ingest, etag) = (server.ingest.clone(), etag.clone());
        tokio::spawn(async move {
            let response = client.get(url).bearer_auth(ingest).header("if-none-match", etag).send().await.unwrap();
            (Instant::now(), response.status(), response.json::<Value>().await.unwrap())
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let posted = Instant::now();
    let created =
        send(&server, reqwest::Method::POST, "/api/v1/rules", &analyst, Some(block_path("no-admin", "/admin")));
    assert_eq!(created.await.status(), StatusCode::CREATED);
    let (answered, status, body) = poll.await.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(answered.duration_since(posted) < Duration::from_secs(1), "long poll took {:?}", answered - posted);
    assert_eq!(body["rules"][0]["id"], "no-admin");
    let second = body["version"].as_str().unwrap().to_string();
    assert_ne!(format!("\"{second}\""), etag);

    // A long poll that sees no change ends with 304 after its wait.
    let started = Instant::now();
    let quiet = server
        .client
        .get(format!("{}{feed}?wait=1", server.base))
        .bearer_auth(&server.ingest)
        .header("if-none-match", format!("W/\"{second}\""))
        .send()
        .await
        .unwrap();
    assert_eq!(quiet.status(), StatusCode::NOT_MODIFIED);
    assert!(started.elapsed() >= Duration::from_millis(900), "answered after {:?}", started.elapsed());

    // Versions do not repeat across restarts, even with the same rules.
    server.restart(Config::default()).await;
    let after: Value = server.get(feed, Some(&server.ingest)).await.json().await.unwrap();
    assert_ne!(after["version"].as_str().unwrap(), second);
    assert_eq!(after["rules"][0]["id"], "no-admin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_on_the_feed_blocks_within_a_second() {
    let server = TestServer::start().await;
    let analyst = key(&server, Role::Analyst);
    let upstream = start_upstream().await;
    let settings =
        FeedSettings { retry_min_ms: 50, retry_max_ms: 200, startup_wait_secs: 2, ..FeedSettings::default() };
    let client = FeedClient::new(&server.base, &server.ingest, settings).unwrap();
    let proxy =
        run_proxy(proxy_config(upstream), RuleSource::Feed(client), std::sync::Arc::new(NoMirror)).await.unwrap();
    let http = reqwest::Client::new();
    let admin_url = format!("http://{}/admin/users", proxy.local_addr);
    let public_url = format!("http://{}/public", proxy.local_addr);
    assert_eq!(http.get(&admin_url).send().await.unwrap().status(), 200);

    // The proxy is in a long poll now; the new rule must reach it at once.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let posted = Instant::now();
    let created =
        send(&server, reqwest::Method::POST, "/api/v1/rules", &analyst, Some(block_path("no-admin", "/admin")));
    assert_eq!(created.await.status(), StatusCode::CREATED);
    let blocked =
        eventually(Duration::from_secs(1), async || http.get(&admin_url).send().await.unwrap().status() == 403).await;
    assert!(blocked, "rule not in force {:?} after the POST", posted.elapsed());
    assert_eq!(http.get(&public_url).send().await.unwrap().status(), 200);

    let deleted = send(&server, reqwest::Method::DELETE, "/api/v1/rules/no-admin", &analyst, None).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let allowed =
        eventually(Duration::from_secs(1), async || http.get(&admin_url).send().await.unwrap().status() == 200).await;
    assert!(allowed, "deleted rule still in force");
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_blocks_sqli_attacker_through_inline_proxy() {
    let config_text = "
version: 1
server:
  commit_interval_ms: 50
blocking:
  policies:
    - name: sqli-burst
      when: {classes: [sqli], min_confidence: medium, count: 3, within_secs: 600}
      action: {block_secs: 3600}
      key: actor
      mode: block
";
    let config = Config::parse(config_text, "test.yaml").unwrap();
    let server = TestServer::start_with(config).await;
    let upstream = start_upstream().await;
    let proxy =
        palisade_server::inline_proxy::start_inline_proxy(server.server.as_ref().unwrap(), proxy_config(upstream))
            .await
            .unwrap();
    let http = reqwest::Client::new();
    let base = format!("http://{}", proxy.local_addr);
    assert_eq!(http.get(format!("{base}/products?id=7")).send().await.unwrap().status(), 200);

    // Attacks pass through the proxy (no rule yet) and are mirrored to the pipeline.
    let attack = format!("{base}/products?id=1%27%20UNION%20SELECT%20username%2C%20password%20FROM%20users--");
    for _ in 0..3 {
        assert_eq!(http.get(&attack).send().await.unwrap().status(), 200);
    }

    // The policy's rule blocks the actor (the client IP here), benign requests included.
    let blocked = eventually(Duration::from_secs(10), async || {
        http.get(format!("{base}/products?id=8")).send().await.unwrap().status() == 403
    })
    .await;
    let rules: Value = server.get_json("/api/v1/rules").await;
    assert!(blocked, "actor not blocked; rules: {rules}");
    let rule = &rules["items"][0];
    assert_eq!(rule["origin"], "policy:sqli-burst");
    assert_eq!(rule["mode"], "block");
    assert_eq!(rule["conditions"][0]["all"][0]["value"], "ip:127.0.0.1");

    proxy.shutdown().await;
    let mut server = server;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ip_policy_uses_forwarded_client() {
    let config_text = "
version: 1
server:
  commit_interval_ms: 50
actors:
  trusted_proxies: [10.0.0.0/8]
blocking:
  policies:
    - name: sqli-by-ip
      when: {classes: [sqli], min_confidence: medium, count: 2, within_secs: 600}
      action: {block_secs: 3600}
      key: ip
      mode: block
";
    let config = Config::parse(config_text, "test.yaml").unwrap();
    let server = TestServer::start_with(config).await;

    // A load balancer at 10.0.0.7 forwards the attacker's requests.
    let attack = |n: u32| {
        json!({
            "request": {"method": "GET",
                        "url": format!("https://api.example.com/products?id={n}%27%20UNION%20SELECT%20password%20FROM%20users--"),
                        "headers": [{"name": "X-Forwarded-For", "value": "203.0.113.9, 10.0.0.3"}]},
            "response": {"status": 200},
            "meta": {"client": {"address": "10.0.0.7", "port": 40000}}
        })
    };
    let batch = json!([attack(1), attack(2)]);
    assert_eq!(server.post("/api/v1/traces", &server.ingest, batch.to_string()).await.status(), 200);

    let rule_created = eventually(Duration::from_secs(10), async || {
        server.get_json("/api/v1/rules").await["items"].as_array().is_some_and(|items| !items.is_empty())
    })
    .await;
    let rules: Value = server.get_json("/api/v1/rules").await;
    assert!(rule_created, "no policy rule; rules: {rules}");
    let rule = &rules["items"][0];
    assert_eq!(rule["origin"], "policy:sqli-by-ip");
    assert_eq!(rule["conditions"][0]["all"][0]["field"], "ip");
    assert_eq!(rule["conditions"][0]["all"][0]["value"], "203.0.113.9");

    let mut server = server;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_changes_from_other_processes_are_reloaded() {
    let config = Config::parse("version: 1\nblocking:\n  reload_interval_secs: 1\n", "test.yaml").unwrap();
    let server = TestServer::start_with(config).await;
    let feed = "/api/v1/agent/rules";
    let first: Value = server.get(feed, Some(&server.ingest)).await.json().await.unwrap();

    // What `palisade rules add` does: write the store of the data directory directly.
    let now = palisade_core::timestamp::now_ms();
    let day = palisade_server::rules::EXPIRED_RULE_RETENTION_MS;
    let rule = |id: &str, expires_ms: i64| -> palisade_proxy::rules::BlockRule {
        let mut document = block_path(id, "/old");
        document["created_at"] = json!(palisade_core::timestamp::format_rfc3339(now - 3 * day));
        document["expires_at"] = json!(palisade_core::timestamp::format_rfc3339(expires_ms));
        serde_json::from_value(document).unwrap()
    };
    let store = palisade_server::DataDir::open(server.dir.path(), false).unwrap().open_store().unwrap();
    for (id, expires_ms) in [("from-cli", now + day), ("long-expired", now - 2 * day), ("just-expired", now - 1000)] {
        store.put_rule(&palisade_server::rules::stored_rule(&rule(id, expires_ms)).unwrap()).unwrap();
    }

    let started = Instant::now();
    let poll = server
        .client
        .get(format!("{}{feed}?wait=10", server.base))
        .bearer_auth(&server.ingest)
        .header("if-none-match", format!("\"{}\"", first["version"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(poll.status(), StatusCode::OK);
    assert!(started.elapsed() < Duration::from_secs(3), "reload took {:?}", started.elapsed());
    let body: Value = poll.json().await.unwrap();
    let ids: Vec<&str> = body["rules"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["from-cli", "just-expired"], "rules expired more than a day ago are dropped");
    let stored: Vec<String> = store.rules().unwrap().into_iter().map(|r| r.id).collect();
    assert!(!stored.contains(&"long-expired".to_string()), "{stored:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_session_needs_csrf_token() {
    let server = TestServer::start().await;
    let signed_in = server
        .client
        .post(format!("{}/api/v1/session", server.base))
        .json(&json!({"name": "admin", "password": server.admin_password}))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::OK);
    let cookie = signed_in.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let csrf = signed_in.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_string();
    let url = format!("{}/api/v1/rules", server.base);

    let without = server.client.post(&url).header("cookie", &cookie).json(&block_path("a", "/a")).send().await.unwrap();
    assert_eq!(without.status(), StatusCode::FORBIDDEN);
    let with = server
        .client
        .post(&url)
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .json(&block_path("a", "/a"))
        .send()
        .await
        .unwrap();
    assert_eq!(with.status(), StatusCode::CREATED);

    // The dashboard's "expire now": PUT of the stored document with expires_at set.
    let mut document: Value =
        server.client.get(format!("{url}/a")).header("cookie", &cookie).send().await.unwrap().json().await.unwrap();
    document["expires_at"] = json!(palisade_core::timestamp::format_rfc3339(palisade_core::timestamp::now_ms()));
    let expired = server
        .client
        .put(format!("{url}/a"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .json(&document)
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), StatusCode::OK);
    let feed: Value = server.get("/api/v1/agent/rules", Some(&server.ingest)).await.json().await.unwrap();
    assert_eq!(feed["rules"][0]["expires_at"], document["expires_at"], "expired rules stay in the feed");
}
