//! The proxy against a real upstream on 127.0.0.1: blocking, monitoring, rate limits,
//! malformed requests, upstream failures, mirroring, forwarding headers, TLS, HTTP/2.

mod support;

use std::sync::Arc;
use std::time::Duration;

use palisade_proxy::config::TlsConfig;
use palisade_proxy::rules::{ManualClock, RuleError};
use palisade_proxy::{HttpMirror, NoMirror, Proxy, ProxyError, RuleSource, run_proxy};
use serde_json::{Value, json};
use support::*;

#[tokio::test]
async fn block_mode_blocks_and_monitor_mode_forwards() {
    let upstream = Upstream::default();
    let address = upstream.start().await;
    let mut config = config(address);
    config.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    let rules = vec![
        block_path("no-admin", "/admin"),
        rule(
            "watch-export",
            "monitor",
            json!([{"all": [{"field": "path", "op": "starts_with", "value": "/export"}]}]),
            json!({"block": {}}),
        ),
    ];
    let proxy = run_proxy(config, RuleSource::Static(rules), Arc::new(NoMirror)).await.unwrap();
    let base = format!("http://{}", proxy.local_addr);
    let client = client();

    let blocked = client.get(format!("{base}/admin/users")).send().await.unwrap();
    assert_eq!(blocked.status(), 403);
    assert_eq!(blocked.headers()["content-type"], "application/json");
    let body: Value = blocked.json().await.unwrap();
    assert_eq!(body["error"], "request blocked");
    assert_eq!(body["request_id"].as_str().unwrap().len(), 16);
    assert!(!body.to_string().contains("no-admin"), "the rule id stays out of the response: {body}");
    assert_eq!(upstream.hits(), 0);

    // Encoded and dotted paths reach the same rule.
    for path in ["/%61dmin", "//admin", "/x/../admin"] {
        let response = client.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(response.status(), 403, "{path}");
    }
    assert_eq!(upstream.hits(), 0);

    let monitored = client.get(format!("{base}/export/all")).send().await.unwrap();
    assert_eq!(monitored.status(), 200);
    assert_eq!(upstream.hits(), 1);

    assert_eq!(proxy.metrics.blocks_of("no-admin"), 4);
    let metrics_url = format!("http://{}/metrics", proxy.metrics_addr.unwrap());
    let text = client.get(metrics_url).send().await.unwrap().text().await.unwrap();
    for line in [
        "palisade_proxy_requests_total{outcome=\"blocked\"} 4",
        "palisade_proxy_requests_total{outcome=\"monitored\"} 1",
        "palisade_proxy_blocks_total{rule=\"no-admin\"} 4",
        "palisade_proxy_monitor_matches_total{rule=\"watch-export\"} 1",
        "palisade_proxy_rules 2",
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
    }
    proxy.shutdown().await;
}

#[tokio::test]
async fn rate_limit_trips_and_expires() {
    let upstream = Upstream::default();
    let address = upstream.start().await;
    let clock = ManualClock::new(1_772_359_200_000);
    let rules = vec![rule(
        "login-rate",
        "block",
        json!([{"all": [{"field": "endpoint", "op": "equals", "value": "POST /login"}]}]),
        json!({"rate_limit": {"threshold": 3, "window_secs": 60, "block_secs": 30, "key": "ip"}}),
    )];
    let proxy = Proxy::new(config(address), RuleSource::Static(rules), Arc::new(NoMirror))
        .with_clock(Arc::new(clock.clone()))
        .start()
        .await
        .unwrap();
    let url = format!("http://{}/login", proxy.local_addr);
    let client = client();

    for attempt in 1..=3 {
        let response = client.post(&url).body("{}").send().await.unwrap();
        assert_eq!(response.status(), 200, "attempt {attempt}");
    }
    let limited = client.post(&url).body("{}").send().await.unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "30");
    // Other endpoints are not counted.
    assert_eq!(client.get(format!("http://{}/other", proxy.local_addr)).send().await.unwrap().status(), 200);

    clock.advance(29_000);
    let still = client.post(&url).body("{}").send().await.unwrap();
    assert_eq!(still.status(), 429);
    assert_eq!(still.headers()["retry-after"], "1");

    clock.advance(1_000);
    assert_eq!(client.post(&url).body("{}").send().await.unwrap().status(), 200);
    assert_eq!(upstream.hits(), 5);
    proxy.shutdown().await;
}

#[tokio::test]
async fn smuggling_and_malformed_requests_are_rejected() {
    let upstream = Upstream::default();
    let address = upstream.start().await;
    let mut config = config(address);
    config.limits.max_headers = 20;
    config.limits.max_header_bytes = 16 * 1024;
    let proxy = run_proxy(config, RuleSource::Static(vec![]), Arc::new(NoMirror)).await.unwrap();
    let many_headers: String = (0..30).map(|i| format!("X-H{i}: v\r\n")).collect();
    let huge_header = format!("X-Big: {}\r\n", "a".repeat(20 * 1024));

    // (case, raw request, expected status)
    let cases: Vec<(&str, String, u16)> = vec![
        (
            "length and chunked",
            "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".into(),
            400,
        ),
        (
            "chunked and length",
            "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n".into(),
            400,
        ),
        (
            "two lengths",
            "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd".into(),
            400,
        ),
        ("length list", "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 4\r\n\r\nabcd".into(), 400),
        ("bad encoding", "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n".into(), 400),
        ("missing host", "GET /a HTTP/1.1\r\n\r\n".into(), 400),
        ("two hosts", "GET /a HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n".into(), 400),
        ("bad request line", "GET /a HTTP/1.1 extra\r\nHost: x\r\n\r\n".into(), 400),
        ("too many headers", format!("GET /a HTTP/1.1\r\nHost: x\r\n{many_headers}\r\n"), 431),
        ("header too large", format!("GET /a HTTP/1.1\r\nHost: x\r\n{huge_header}\r\n"), 431),
    ];
    for (name, request, expected) in cases {
        let response = raw(proxy.local_addr, request.as_bytes()).await;
        assert_eq!(status_of(&response), expected, "{name}: {response}");
    }
    assert_eq!(upstream.hits(), 0);

    // A well-formed request on the same proxy goes through.
    let response = raw(proxy.local_addr, b"GET /fine HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert_eq!(status_of(&response), 200, "{response}");
    proxy.shutdown().await;
}

#[tokio::test]
async fn slow_clients_time_out() {
    let upstream = Upstream::default();
    let address = upstream.start().await;
    let mut config = config(address);
    config.limits.client_header_timeout_secs = 1;
    config.limits.client_body_timeout_secs = 1;
    let rules = vec![rule(
        "body-rule",
        "block",
        json!([{"all": [{"field": "body", "op": "contains", "value": "evil"}]}]),
        json!({"block": {}}),
    )];
    let proxy = run_proxy(config, RuleSource::Static(rules), Arc::new(NoMirror)).await.unwrap();

    // A head that never ends: the connection closes after the header timeout.
    let started = std::time::Instant::now();
    let response = raw(proxy.local_addr, b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ").await;
    assert!(started.elapsed() < Duration::from_millis(2_900), "closed after {:?}", started.elapsed());
    assert!(status_of(&response) == 0 || status_of(&response) == 408, "{response}");

    // A body that stalls: 408.
    let response = raw(proxy.local_addr, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab").await;
    assert_eq!(status_of(&response), 408, "{response}");
    assert_eq!(upstream.hits(), 0);
    proxy.shutdown().await;
}

#[tokio::test]
async fn upstream_down_gives_502_and_recovers() {
    // Take a free port, then close it so nothing listens there yet.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let proxy = run_proxy(config(address), RuleSource::Static(vec![]), Arc::new(NoMirror)).await.unwrap();
    let url = format!("http://{}/a", proxy.local_addr);
    let client = client();

    let response = client.get(&url).send().await.unwrap();
    assert_eq!(response.status(), 502);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "upstream unavailable");

    let upstream = Upstream::default();
    serve(upstream.router(), port).await;
    assert_eq!(client.get(&url).send().await.unwrap().status(), 200);
    assert_eq!(upstream.hits(), 1);
    proxy.shutdown().await;
}

#[tokio::test]
async fn workers_share_port_second_proxy_fails() {
    let upstream = Upstream::default();
    let address = upstream.start().await;
    let mut settings = config(address);
    settings.workers = 3;
    let proxy = run_proxy(settings.clone(), RuleSource::Static(vec![]), Arc::new(NoMirror)).await.unwrap();
    let client = client();
    for _ in 0..20 {
        // A new connection each time, so the kernel spreads them over the workers.
        let fresh = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
        assert_eq!(fresh.get(format!("http://{}/a", proxy.local_addr)).send().await.unwrap().status(), 200);
    }
    assert_eq!(upstream.hits(), 20);

    settings.listen = Some(proxy.local_addr);
    let second = run_proxy(settings, RuleSource::Static(vec![]), Arc::new(NoMirror)).await;
    let error = second.err().expect("a second proxy on a port in use must not start");
    assert!(matches!(error, ProxyError::Bind { .. }), "{error}");
    assert_eq!(client.get(format!("http://{}/b", proxy.local_addr)).send().await.unwrap().status(), 200);
    proxy.shutdown().await;
}

#[tokio::test]
async fn upstream_timeout_gives_504() {
    let upstream = Upstream::default();
    let address = upstream.start().await;
    let mut config = config(address);
    config.limits.upstream_response_timeout_secs = 1;
    let proxy = run_proxy(config, RuleSource::Static(vec![]), Arc::new(NoMirror)).await.unwrap();
    let response = client().get(format!("http://{}/slow", proxy.local_addr)).send().await.unwrap();
    assert_eq!(response.status(), 504);
    proxy.shutdown().await;
}

#[tokio::test]
async fn forwarding_headers_and_hop_by_hop() {
    let upstream = Upstream::default();
    let address = upstream.start().await;
    let proxy = run_proxy(config(address), RuleSource::Static(vec![]), Arc::new(NoMirror)).await.unwrap();
    let response = raw(
        proxy.local_addr,
        b"POST /echo?a=1 HTTP/1.1\r\nHost: api.example.com\r\nConnection: close, x-hop\r\nX-Hop: secret\r\nKeep-Alive: timeout=5\r\nX-Forwarded-For: 198.51.100.7\r\nContent-Length: 5\r\n\r\nhello",
    )
    .await;
    assert_eq!(status_of(&response), 200, "{response}");
    let body = response.split("\r\n\r\n").nth(1).unwrap();
    let echo: Value = serde_json::from_str(body).unwrap();
    let headers = &echo["headers"];
    assert_eq!(echo["target"], "/echo?a=1");
    assert_eq!(echo["body"], "hello");
    assert_eq!(headers["host"], json!(["api.example.com"]));
    assert_eq!(headers["x-forwarded-for"], json!(["198.51.100.7, 127.0.0.1"]));
    assert_eq!(headers["forwarded"], json!(["for=127.0.0.1;proto=http;host=\"api.example.com\""]));
    assert_eq!(headers["x-forwarded-proto"], json!(["http"]));
    assert_eq!(headers["content-length"], json!(["5"]));
    for hop in ["x-hop", "keep-alive"] {
        assert!(headers.get(hop).is_none(), "{hop} was forwarded: {headers}");
    }
    proxy.shutdown().await;
}

#[tokio::test]
async fn large_bodies_stream_both_ways() {
    let upstream = Upstream::default();
    let address = upstream.start().await;
    let mut config = config(address);
    config.limits.max_inspect_body_bytes = 1024;
    let rules = vec![rule(
        "body-rule",
        "block",
        json!([{"all": [{"field": "body", "op": "contains", "value": "evil"}]}]),
        json!({"block": {}}),
    )];
    let proxy = run_proxy(config, RuleSource::Static(rules), Arc::new(NoMirror)).await.unwrap();
    let client = client();

    let big = "y".repeat(300_000);
    let echo: Value = client
        .post(format!("http://{}/echo", proxy.local_addr))
        .body(big.clone())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(echo["body"].as_str().unwrap().len(), 300_000);

    let download = client.get(format!("http://{}/big", proxy.local_addr)).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(download.len(), 1 << 20);

    let blocked =
        client.post(format!("http://{}/echo", proxy.local_addr)).body("some evil payload").send().await.unwrap();
    assert_eq!(blocked.status(), 403);
    proxy.shutdown().await;
}

#[tokio::test]
async fn mirrored_traces_arrive_at_the_collector() {
    let upstream = Upstream::default();
    let address = upstream.start().await;
    let collector = Collector::default();
    let collector_address = collector.start("ingest-key").await;
    let mut config = config(address);
    config.mirror.flush_interval_ms = 50;
    config.mirror.max_body_bytes = 8;
    let mirror =
        HttpMirror::start(&format!("http://{collector_address}"), "ingest-key", config.mirror.clone()).unwrap();
    let proxy =
        run_proxy(config, RuleSource::Static(vec![block_path("no-admin", "/admin")]), Arc::new(mirror)).await.unwrap();
    let client = client();

    let response =
        client.post(format!("http://{}/echo?x=1", proxy.local_addr)).body("0123456789").send().await.unwrap();
    assert_eq!(response.status(), 200);
    let _ = response.bytes().await.unwrap();
    assert_eq!(client.get(format!("http://{}/admin", proxy.local_addr)).send().await.unwrap().status(), 403);

    assert!(
        eventually(Duration::from_secs(5), async || collector.traces().len() == 2).await,
        "{:?}",
        collector.traces()
    );
    let traces = collector.traces();
    let forwarded = traces.iter().find(|t| t["request"]["method"] == "POST").unwrap();
    assert!(forwarded["request"]["url"].as_str().unwrap().ends_with("/echo?x=1"), "{forwarded}");
    assert_eq!(forwarded["request"]["body"], "01234567");
    assert_eq!(forwarded["request"]["body_truncated"], true);
    assert_eq!(forwarded["response"]["status"], 200);
    assert_eq!(forwarded["response"]["body_truncated"], true);
    let blocked = traces.iter().find(|t| t["request"]["method"] == "GET").unwrap();
    assert_eq!(blocked["response"]["status"], 403);
    proxy.shutdown().await;
}

#[tokio::test]
async fn inline_detection_blocks_attacks() {
    let upstream = Upstream::default();
    let address = upstream.start().await;
    let mut config = config(address);
    config.inline_detection.enabled = true;
    config.inline_detection.mode = palisade_proxy::rules::Mode::Block;
    let proxy = run_proxy(config, RuleSource::Static(vec![]), Arc::new(NoMirror)).await.unwrap();
    let client = client();
    let base = format!("http://{}", proxy.local_addr);

    let attack = client.get(format!("{base}/search?q=1%27%20OR%20%271%27%3D%271")).send().await.unwrap();
    assert_eq!(attack.status(), 403);
    let body_attack = client
        .post(format!("{base}/users"))
        .header("content-type", "application/json")
        .body(r#"{"name": "<script>alert(1)</script>"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(body_attack.status(), 403);
    let benign = client.get(format!("{base}/search?q=O%27Brien")).send().await.unwrap();
    assert_eq!(benign.status(), 200);
    assert_eq!(upstream.hits(), 1);
    proxy.shutdown().await;
}

#[tokio::test]
async fn hostile_regex_rule_is_rejected_at_start() {
    let upstream = Upstream::default();
    let address = upstream.start().await;
    let hostile = rule(
        "hostile-1",
        "block",
        json!([{"all": [{"field": "path", "op": "regex", "value": "(x{1000}){1000}"}]}]),
        json!({"block": {}}),
    );
    let error = run_proxy(config(address), RuleSource::Static(vec![hostile]), Arc::new(NoMirror)).await.err().unwrap();
    match &error {
        ProxyError::Rules(RuleError::RegexTooBig { rule_id, location, .. }) => {
            assert_eq!(rule_id, "hostile-1");
            assert_eq!(location, "conditions[0].all[0]");
        }
        other => panic!("unexpected error: {other}"),
    }
}

#[tokio::test]
async fn tls_termination_and_http2() {
    let upstream = Upstream::default();
    let address = upstream.start().await;
    let dir = tempfile::tempdir().unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, certified.cert.pem()).unwrap();
    std::fs::write(&key_path, certified.signing_key.serialize_pem()).unwrap();

    let mut tls_config = config(address);
    tls_config.tls = Some(TlsConfig { cert_path, key_path });
    let tls_proxy =
        run_proxy(tls_config, RuleSource::Static(vec![block_path("no-admin", "/admin")]), Arc::new(NoMirror))
            .await
            .unwrap();
    palisade_proxy::install_crypto_provider();
    let root = reqwest::Certificate::from_pem(certified.cert.pem().as_bytes()).unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(root)
        .resolve("localhost", tls_proxy.local_addr)
        .build()
        .unwrap();
    let port = tls_proxy.local_addr.port();
    let echo: Value = client.get(format!("https://localhost:{port}/echo")).send().await.unwrap().json().await.unwrap();
    assert_eq!(echo["headers"]["x-forwarded-proto"], json!(["https"]));
    let blocked = client.get(format!("https://localhost:{port}/admin")).send().await.unwrap();
    assert_eq!(blocked.status(), 403);
    tls_proxy.shutdown().await;

    // HTTP/2 with prior knowledge on a plain connection.
    let proxy =
        run_proxy(config(address), RuleSource::Static(vec![block_path("no-admin", "/admin")]), Arc::new(NoMirror))
            .await
            .unwrap();
    let stream = tokio::net::TcpStream::connect(proxy.local_addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .unwrap();
    tokio::spawn(connection);
    for (path, expected) in [("/echo", 200), ("/admin", 403)] {
        let request = http::Request::builder()
            .uri(format!("http://api.example.com{path}"))
            .body(http_body_util::Empty::<bytes::Bytes>::new())
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        assert_eq!(response.status(), expected, "{path}");
        assert_eq!(response.version(), http::Version::HTTP_2);
    }
    proxy.shutdown().await;
}
