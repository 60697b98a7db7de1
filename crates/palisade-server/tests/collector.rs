//! The collector and the REST API against a real server on 127.0.0.1.

mod common;

use common::{TestServer, metlo_v1};
use palisade_server::Config;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metlo_batches_build_the_inventory() {
    let server = TestServer::start().await;
    let batch = json!([
        metlo_v1("/users/1", 200, r#"{"id":1,"email":"ada@example.com"}"#),
        metlo_v1("/users/2", 200, r#"{"id":2,"email":"grace@example.com"}"#),
        metlo_v1("/users/me", 200, r#"{"id":3}"#),
    ]);
    let response = server.post("/api/v1/log-request/batch", &server.ingest, batch.to_string()).await;
    assert_eq!(response.status(), 200);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["accepted"], 3);
    assert_eq!(report["rejected"], 0);

    let single = metlo_v1("/orders/7", 201, "{}");
    let response = server.post("/api/v1/log-request/single", &server.ingest, single.to_string()).await;
    assert_eq!(response.status(), 200);

    server.settle().await;
    assert_eq!(
        server.templates().await,
        vec![
            "GET shop.example.com /orders/{orderId}",
            "GET shop.example.com /users/me",
            "GET shop.example.com /users/{userId}"
        ]
    );

    let list = server.get_json("/api/v1/endpoints?search=userId").await;
    let id = list["items"][0]["id"].as_str().unwrap().to_string();
    let detail = server.get_json(&format!("/api/v1/endpoints/{id}")).await;
    assert_eq!(detail["hits"], 2);
    assert_eq!(detail["parameters"][0]["name"], "userId");
    assert_eq!(detail["parameters"][0]["rule"], "shape");
    assert_eq!(detail["parameters"][0]["value_kinds"]["integer"], 2);
    assert_eq!(detail["parameters"][0]["distinct_values"], 2);
    let fields: Vec<String> = detail["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {} {}",
                f["section"].as_str().unwrap(),
                f["path"].as_str().unwrap(),
                f["type"].as_str().unwrap()
            )
        })
        .collect();
    assert!(fields.contains(&"response.body email string".to_string()), "{fields:?}");
    assert!(fields.contains(&"request.query page integer".to_string()), "{fields:?}");

    let samples = server.get_json(&format!("/api/v1/endpoints/{id}/samples")).await;
    let sample_text = samples.to_string();
    assert_eq!(samples["items"].as_array().unwrap().len(), 2);
    assert!(!sample_text.contains("s3cr3t"), "credentials must not be stored: {sample_text}");

    let hosts = server.get_json("/api/v1/hosts").await;
    assert_eq!(hosts["items"][0]["host"], "shop.example.com");
    assert_eq!(hosts["items"][0]["hits"], 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metlo_v2_redacted_traces_learn_agent_fields() {
    let server = TestServer::start().await;
    let trace = json!({
        "request": {
            "url": {"host": "127.0.0.1:5000", "path": "/users/3", "parameters": [], "endpointPath": "/users/{param1}"},
            "headers": [], "body": "", "method": "GET", "user": null
        },
        "response": {"status": 200, "headers": [], "body": ""},
        "meta": {"incoming": "true", "source": "127.0.0.1", "sourcePort": "40112", "destination": "127.0.0.1", "destinationPort": 5000, "environment": "production"},
        "redacted": true,
        "analysisType": "full",
        "processedTraceData": {
            "block": false,
            "dataTypes": {"resBody.id": ["number"], "resBody.email": ["string"], "reqHeaders.User-Agent": ["string"]},
            "sensitiveDataDetected": {"resBody.email": ["Email"]},
            "requestContentType": "", "responseContentType": "application/json"
        },
        "sessionMeta": {"authenticationProvided": false, "authenticationSuccessful": false, "authType": null, "uniqueSessionKey": "abc", "user": null, "userAgent": "python-requests"}
    });
    let response = server.post("/api/v2/log-request/batch", &server.ingest, json!([trace]).to_string()).await;
    assert_eq!(response.status(), 200);
    server.settle().await;
    assert_eq!(server.templates().await, vec!["GET 127.0.0.1:5000 /users/{param1}"]);

    let list = server.get_json("/api/v1/endpoints").await;
    let id = list["items"][0]["id"].as_str().unwrap();
    let detail = server.get_json(&format!("/api/v1/endpoints/{id}")).await;
    assert_eq!(detail["parameters"][0]["rule"], "route");
    let fields: Vec<String> =
        detail["fields"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap().to_string()).collect();
    assert_eq!(fields, vec!["user-agent", "email", "id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_traces_and_agent_routes() {
    let server = TestServer::start().await;
    let trace = json!({
        "request": {"method": "POST", "url": "https://api.example.com/v1/carts?currency=EUR",
                    "headers": [{"name": "Content-Type", "value": "application/json"}],
                    "body": {"items": [{"sku": "A-1", "qty": 2}]}},
        "response": {"status": 201, "headers": [{"name": "Content-Type", "value": "application/json"}], "body": "{\"id\":\"c_1\"}"}
    });
    let response = server.post("/api/v1/traces", &server.ingest, trace.to_string()).await;
    assert_eq!(response.status(), 200);
    server.settle().await;
    assert_eq!(server.templates().await, vec!["POST api.example.com /v1/carts"]);

    for path in ["/api/v1", "/api/v1/verify", "/api/v2/verify"] {
        let response = server.get(path, Some(&server.ingest)).await;
        assert_eq!(response.status(), 200, "{path}");
    }
    let config: Value = server.get("/api/v1/agent-config", Some(&server.ingest)).await.json().await.unwrap();
    assert_eq!(config["globalFullTraceCapture"], true);
    for key in
        ["sensitiveDataList", "endpoints", "specs", "authenticationConfig", "hostMap", "hostBlockList", "pathBlockList"]
    {
        assert!(config[key].is_array(), "agent-config {key}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_are_required_and_scoped() {
    let server = TestServer::start().await;
    assert_eq!(server.get("/healthz", None).await.status(), 200);

    let no_key = server.get("/api/v1/endpoints", None).await;
    assert_eq!(no_key.status(), 401);
    let body: Value = no_key.json().await.unwrap();
    assert_eq!(body["error"]["code"], "missing_credentials");

    assert_eq!(server.get("/api/v1/endpoints", Some("pal_token_nope")).await.status(), 401);
    assert_eq!(server.get("/api/v1/endpoints", Some(&server.ingest)).await.status(), 403, "ingest keys only ingest");
    assert_eq!(server.get("/metrics", Some(&server.ingest)).await.status(), 403);
    assert_eq!(server.get("/api/v1/agent-config", None).await.status(), 401);
    assert_eq!(server.post("/api/v1/traces", "", "[]").await.status(), 401);
    assert_eq!(server.get("/api/v1/endpoints", Some(&server.admin)).await.status(), 200);
    assert!(server.metric("palisade_requests_rejected_total{reason=\"unauthorized\"}").await >= 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_rejected_and_nothing_is_lost() {
    let server = TestServer::start().await;
    let good = json!([metlo_v1("/items/1", 200, "{}")]);
    assert_eq!(server.post("/api/v1/log-request/batch", &server.ingest, good.to_string()).await.status(), 200);
    server.settle().await;

    // Malformed JSON names the position.
    let response = server.post("/api/v1/log-request/batch", &server.ingest, "[{\"request\": ").await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("line 1 column"), "{message}");

    // An object where a batch expects an array.
    let response = server.post("/api/v1/log-request/batch", &server.ingest, metlo_v1("/x", 200, "").to_string()).await;
    assert_eq!(response.status(), 400);

    // Wrong types and missing fields reject only their trace.
    let mut no_method = metlo_v1("/items/2", 200, "{}");
    no_method["request"].as_object_mut().unwrap().remove("method");
    let mut bad_status = metlo_v1("/items/3", 200, "{}");
    bad_status["response"]["status"] = json!({"no": "number"});
    let mut long_path = metlo_v1("/x", 200, "{}");
    long_path["request"]["url"]["path"] = json!(format!("/{}", "a".repeat(1 << 20)));
    let mut ten_thousand_segments = metlo_v1("/x", 200, "{}");
    ten_thousand_segments["request"]["url"]["path"] = json!("/s".repeat(10_000));
    let mut many_segments = metlo_v1("/x", 200, "{}");
    many_segments["request"]["url"]["path"] = json!("/s".repeat(100));
    let mixed = json!([
        no_method,
        metlo_v1("/items/4", 200, "{}"),
        bad_status,
        long_path,
        ten_thousand_segments,
        many_segments
    ]);
    let response = server.post("/api/v1/log-request/batch", &server.ingest, mixed.to_string()).await;
    assert_eq!(response.status(), 200);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["accepted"], 1);
    assert_eq!(report["rejected"], 5);
    let errors: Vec<(u64, String)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["index"].as_u64().unwrap(), e["error"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(errors.iter().map(|(i, _)| *i).collect::<Vec<_>>(), vec![0, 2, 3, 4, 5]);
    assert!(errors[0].1.contains("request.method"), "{errors:?}");
    assert!(errors[1].1.contains("response.status"), "{errors:?}");
    assert!(errors[2].1.contains("max_path_bytes"), "{errors:?}");
    assert!(errors[3].1.contains("max_path_bytes"), "{errors:?}");
    assert!(errors[4].1.contains("max_path_segments"), "{errors:?}");

    // JSON nested 10,000 deep is an error, not a crash.
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert_eq!(server.post("/api/v1/log-request/batch", &server.ingest, deep).await.status(), 400);

    // Bytes that are not UTF-8.
    let response = server.post("/api/v1/traces", &server.ingest, vec![0xff, 0xfe, 0x00, 0x9c]).await;
    assert_eq!(response.status(), 400);

    server.settle().await;
    let templates = server.templates().await;
    assert_eq!(templates, vec!["GET shop.example.com /items/{itemId}"], "earlier data is kept");
    let list = server.get_json("/api/v1/endpoints").await;
    assert_eq!(list["items"][0]["hits"], 2);
    assert_eq!(server.metric("palisade_traces_rejected_total{reason=\"invalid\"}").await, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_body_gets_413() {
    let mut config = Config::default();
    config.server.max_request_bytes = 10_000;
    let server = TestServer::start_with(config).await;
    let big = json!([metlo_v1("/a", 200, &"x".repeat(20_000))]);
    let response = server.post("/api/v1/log-request/batch", &server.ingest, big.to_string()).await;
    assert_eq!(response.status(), 413);
    assert_eq!(server.get("/healthz", None).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_queue_answers_429_with_retry_after() {
    let mut config = Config::default();
    config.server.max_queued_traces = 2;
    let server = TestServer::start_with(config).await;
    let three = json!([metlo_v1("/a", 200, ""), metlo_v1("/b", 200, ""), metlo_v1("/c", 200, "")]);
    let response = server.post("/api/v1/log-request/batch", &server.ingest, three.to_string()).await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "1");
    assert_eq!(server.metric("palisade_requests_rejected_total{reason=\"queue_full\"}").await, 1);
    assert_eq!(server.metric("palisade_traces_rejected_total{reason=\"queue_full\"}").await, 3);

    let two = json!([metlo_v1("/a", 200, ""), metlo_v1("/b", 200, "")]);
    assert_eq!(server.post("/api/v1/log-request/batch", &server.ingest, two.to_string()).await.status(), 200);
    server.settle().await;
    assert_eq!(server.templates().await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_inventory_and_keys() {
    let mut server = TestServer::start().await;
    let batch = json!([metlo_v1("/users/1", 200, "{}"), metlo_v1("/users/2", 200, "{}")]);
    assert_eq!(server.post("/api/v1/log-request/batch", &server.ingest, batch.to_string()).await.status(), 200);
    // Shut down without waiting: accepted traces must be applied before the stop or at
    // the next start.
    server.restart(Config::default()).await;
    server.settle().await;
    assert_eq!(server.templates().await, vec!["GET shop.example.com /users/{userId}"]);

    let more = json!([metlo_v1("/users/3", 200, "{}")]);
    assert_eq!(server.post("/api/v1/log-request/batch", &server.ingest, more.to_string()).await.status(), 200);
    server.settle().await;
    let list = server.get_json("/api/v1/endpoints").await;
    assert_eq!(list["items"][0]["hits"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoint_lookup_and_not_found() {
    let server = TestServer::start().await;
    let batch = json!([metlo_v1("/users/1", 200, "{}"), metlo_v1("/users/2", 200, "{}")]);
    server.post("/api/v1/log-request/batch", &server.ingest, batch.to_string()).await;
    server.settle().await;

    let found = server.get_json("/api/v1/endpoints/lookup?method=GET&host=shop.example.com&path=/users/99").await;
    assert_eq!(found["template"], "/users/{userId}");
    let missing = server.get("/api/v1/endpoints/ffffffffffffffff", Some(&server.admin)).await;
    assert_eq!(missing.status(), 404);
    // Parameters that do not parse get the API's JSON error body, naming the parameter.
    for (query, named) in [("/api/v1/endpoints?sort=sideways", "sort"), ("/api/v1/alerts?limit=-1", "limit")] {
        let response = server.get(query, Some(&server.admin)).await;
        assert_eq!(response.status(), 400, "{query}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "bad_request", "{query}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.starts_with("invalid query parameter: "), "{query}: {message}");
        assert!(message.contains(named), "{query}: {message}");
    }
}
