//! Security test results sent to a real server and read back.

mod common;

use common::TestServer;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_are_stored_and_listed_newest_first() {
    let server = TestServer::start().await;
    let run = |failed: u64| {
        json!({
            "runner": "palisade", "version": "0.1.0", "duration_ms": 81.5, "requests": 4,
            "passed": 2, "failed": failed,
            "tests": [{"file": "t.yaml", "id": "orders-private", "status": if failed > 0 { "failed" } else { "passed" }}]
        })
    };
    for failed in [0, 1] {
        let response = server.post("/api/v1/test-runs", &server.ingest, run(failed).to_string()).await;
        assert_eq!(response.status(), 201);
    }

    let page = server.get_json("/api/v1/test-runs").await;
    assert_eq!(page["total"], 2);
    assert_eq!(page["items"][0]["failed"], 1, "newest first");
    assert_eq!(page["items"][0]["submitted_by"], "ingest (created on first start)");
    assert!(page["items"][0].get("document").is_none(), "listings leave the document out");

    let id = page["items"][0]["id"].as_i64().unwrap();
    let detail = server.get_json(&format!("/api/v1/test-runs/{id}")).await;
    assert_eq!(detail["document"]["tests"][0]["id"], "orders-private");
    assert_eq!(server.get("/api/v1/test-runs/999", Some(&server.admin)).await.status(), 404);

    let bad = server.post("/api/v1/test-runs", &server.ingest, "{\"runner\": \"x\",\n \"passed\": }").await;
    assert_eq!(bad.status(), 400);
    let body: Value = bad.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("line 2"), "{body}");
    let missing = server.post("/api/v1/test-runs", &server.ingest, json!({"runner": "x"}).to_string()).await;
    assert_eq!(missing.status(), 400);
    assert_eq!(server.get("/api/v1/test-runs", Some(&server.ingest)).await.status(), 403, "ingest keys only send");
}
