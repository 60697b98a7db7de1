//! Alerts, data classes and roles through the REST API of a real server.

mod common;

use common::TestServer;
use palisade_core::access::Role;
use palisade_store::Store;
use serde_json::{Value, json};

fn customer_trace(id: u32, card: &str) -> Value {
    json!({
        "request": {"method": "GET", "url": format!("https://shop.example.com/api/customers/{id}")},
        "response": {"status": 200, "headers": [{"name": "Content-Type", "value": "application/json"}],
                     "body": {"id": id, "email": format!("c{id}@example.com"), "card": card}}
    })
}

fn key(server: &TestServer, role: Role) -> String {
    let store = palisade_server::DataDir::open(server.dir.path(), false).unwrap().open_store().unwrap();
    store.create_key(&format!("{role} for tests"), role).unwrap().1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn classes_alerts_and_roles() {
    let server = TestServer::start().await;
    let traces = json!([customer_trace(1, "4111111111111111"), customer_trace(2, "4012888888881881")]);
    assert_eq!(server.post("/api/v1/traces", &server.ingest, traces.to_string()).await.status(), 200);
    server.settle().await;

    let list = server.get_json("/api/v1/endpoints?sort=risk").await;
    let endpoint = &list["items"][0];
    assert_eq!(endpoint["template"], "/api/customers/{customerId}");
    assert!(endpoint["risk_score"].as_u64().unwrap() >= 75, "{endpoint}");
    let id = endpoint["id"].as_str().unwrap().to_string();

    let detail = server.get_json(&format!("/api/v1/endpoints/{id}")).await;
    let card = detail["data_classes"].as_array().unwrap().iter().find(|c| c["path"] == "card").unwrap();
    assert!(card["class"].as_str().unwrap().starts_with("credit_card_"), "{card}");
    assert_eq!(card["hits"], 2);
    assert_eq!(card["confidence"], 1.0);
    assert!(!detail["alerts"].as_array().unwrap().is_empty());

    let samples = server.get_json(&format!("/api/v1/endpoints/{id}/samples")).await.to_string();
    assert!(!samples.contains("4111111111111111"), "card numbers are masked in samples: {samples}");
    assert!(samples.contains("[credit_card_visa]"), "{samples}");

    let alerts = server.get_json("/api/v1/alerts?status=open").await;
    assert!(alerts["total"].as_u64().unwrap() >= 3, "{alerts}");
    let alert_id = alerts["items"][0]["id"].as_i64().unwrap();

    // A viewer reads but cannot change; an analyst can.
    let viewer = key(&server, Role::Viewer);
    let analyst = key(&server, Role::Analyst);
    let resolve = json!({"status": "resolved"}).to_string();
    let patch = |token: String, body: String| {
        server
            .client
            .patch(format!("{}/api/v1/alerts/{alert_id}", server.base))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    assert_eq!(patch(viewer.clone(), resolve.clone()).await.unwrap().status(), 403);
    let response = patch(analyst.clone(), resolve).await.unwrap();
    assert_eq!(response.status(), 200);
    let changed: Value = response.json().await.unwrap();
    assert_eq!(changed["status"], "resolved");
    let bad = patch(analyst.clone(), json!({"status": "done"}).to_string()).await.unwrap();
    assert_eq!(bad.status(), 422);
    let error: Value = bad.json().await.unwrap();
    assert_eq!(error["error"]["code"], "invalid_body");
    assert!(error["error"]["message"].as_str().unwrap().contains("unknown variant `done`"), "{error}");
    let response = server
        .client
        .patch(format!("{}/api/v1/alerts/abc", server.base))
        .header("authorization", format!("Bearer {analyst}"))
        .header("content-type", "application/json")
        .body(json!({"status": "resolved"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["code"], "bad_request");

    let mark = json!({"section": "response.body", "path": "card", "class": card["class"]}).to_string();
    let response = server
        .client
        .put(format!("{}/api/v1/endpoints/{id}/false-positives", server.base))
        .header("authorization", format!("Bearer {analyst}"))
        .header("content-type", "application/json")
        .body(mark)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let detail = server.get_json(&format!("/api/v1/endpoints/{id}")).await;
    let card = detail["data_classes"].as_array().unwrap().iter().find(|c| c["path"] == "card").unwrap();
    assert_eq!(card["false_positive"], true);
    assert!(detail["risk"]["score"].as_u64() < endpoint["risk_score"].as_u64());
}
