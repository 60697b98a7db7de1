//! Stored OpenAPI descriptions through the REST API of a real server: storage, listing,
//! export, reconciliation, merge info on endpoints and drift alerts.

mod common;

use common::TestServer;
use palisade_core::access::Role;
use palisade_server::Config;
use palisade_store::Store;
use serde_json::{Value, json};

const SHOP_SPEC: &str = include_str!("fixtures/shop-spec.yaml");

fn trace(method: &str, path: &str, status: u16, body: &str) -> Value {
    json!({
        "request": {"method": method, "url": format!("https://shop.example.com{path}")},
        "response": {"status": status, "headers": [{"name": "Content-Type", "value": "application/json"}],
                     "body": body}
    })
}

fn key(server: &TestServer, role: Role) -> String {
    let store = palisade_server::DataDir::open(server.dir.path(), false).unwrap().open_store().unwrap();
    store.create_key(&format!("{role} for tests"), role).unwrap().1
}

async fn import_spec(server: &TestServer, text: &str) -> i64 {
    let response = server.post("/api/v1/specs", &server.admin, text.to_string()).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    created["id"].as_i64().unwrap()
}

async fn send_traces(server: &TestServer, traces: Vec<Value>) {
    let response = server.post("/api/v1/traces", &server.ingest, Value::Array(traces).to_string()).await;
    assert_eq!(response.status(), 200);
    server.settle().await;
}

async fn endpoint_id(server: &TestServer, method: &str, template: &str) -> String {
    let list = server.get_json("/api/v1/endpoints?limit=1000").await;
    let found = list["items"].as_array().unwrap().iter().find(|e| e["method"] == method && e["template"] == template);
    found.unwrap_or_else(|| panic!("no endpoint {method} {template} in {list}"))["id"].as_str().unwrap().to_string()
}

async fn delete(server: &TestServer, path: &str, key: &str) -> reqwest::StatusCode {
    let url = format!("{}{path}", server.base);
    server.client.delete(url).header("authorization", key).send().await.unwrap().status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spec_import_persists_across_restart() {
    let mut server = TestServer::start().await;
    let id = import_spec(&server, SHOP_SPEC).await;

    let list = server.get_json("/api/v1/specs").await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["title"], "Shop");
    assert_eq!(list["items"][0]["hosts"], json!(["shop.example.com"]));
    assert_eq!(list["items"][0]["operations"], 3);

    server.restart(Config::default()).await;
    let list = server.get_json("/api/v1/specs").await;
    assert_eq!(list["items"][0]["id"], id, "the description survives a restart");
    let stored = server.get_json(&format!("/api/v1/specs/{id}")).await;
    assert_eq!(stored["openapi"], "3.0.3");
    assert_eq!(stored["paths"]["/items/{id}"]["get"]["operationId"], "getItem");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spec_routes_check_roles() {
    let server = TestServer::start().await;
    let viewer = key(&server, Role::Viewer);
    let analyst = key(&server, Role::Analyst);

    assert_eq!(server.post("/api/v1/specs", &viewer, SHOP_SPEC.to_string()).await.status(), 403);
    assert_eq!(server.post("/api/v1/specs", &server.ingest, SHOP_SPEC.to_string()).await.status(), 403);
    let response = server.post("/api/v1/specs", &analyst, SHOP_SPEC.to_string()).await;
    assert_eq!(response.status(), 201);
    let id = response.json::<Value>().await.unwrap()["id"].as_i64().unwrap();

    assert_eq!(server.get("/api/v1/specs", Some(&viewer)).await.status(), 200);
    assert_eq!(server.get("/api/v1/specs", Some(&server.ingest)).await.status(), 403);
    assert_eq!(delete(&server, &format!("/api/v1/specs/{id}"), &viewer).await, 403);
    assert_eq!(delete(&server, &format!("/api/v1/specs/{id}"), &analyst).await, 204);
    assert_eq!(delete(&server, &format!("/api/v1/specs/{id}"), &analyst).await, 404);
    assert_eq!(delete(&server, "/api/v1/specs/shop.example.com", &analyst).await, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_spec_gets_400_with_pointer() {
    let server = TestServer::start().await;
    let bad = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '20': {description: x}\n";
    let response = server.post("/api/v1/specs", &server.admin, bad).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_spec");
    assert_eq!(body["error"]["pointer"], "/paths/~1a/get/responses/20");
    assert!(body["error"]["message"].as_str().unwrap().contains("invalid response key"), "{body}");

    let response = server.post("/api/v1/specs", &server.admin, "{\"openapi\": ").await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("line 1"), "{body}");

    assert_eq!(server.get_json("/api/v1/specs").await["total"], 0, "nothing is stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_and_merge_follow_the_spec() {
    let server = TestServer::start().await;
    let id = import_spec(&server, SHOP_SPEC).await;
    send_traces(
        &server,
        vec![
            trace("GET", "/v1/items", 200, "[{\"id\":1}]"),
            trace("GET", "/v1/items/1", 200, "{\"id\":1}"),
            trace("GET", "/v1/items/2", 200, "{\"id\":2}"),
            trace("GET", "/v1/internal/debug", 200, "{}"),
        ],
    )
    .await;

    let report = server.get_json(&format!("/api/v1/specs/{id}/reconcile")).await;
    let shadow: Vec<&str> =
        report["shadow"].as_array().unwrap().iter().map(|s| s["template"].as_str().unwrap()).collect();
    assert_eq!(shadow, vec!["/v1/internal/debug"]);
    let unused: Vec<&str> =
        report["unused"].as_array().unwrap().iter().map(|u| u["operation"].as_str().unwrap()).collect();
    assert_eq!(unused, vec!["POST /orders"]);
    assert_eq!(report["unused"][0]["zombie_candidate"], false);
    assert_eq!(report["zombie"], json!([]));
    assert_eq!(report["documented"], 2);
    assert_eq!(report["zombie_after_days"], 30);

    let item = endpoint_id(&server, "GET", "/v1/items/{itemId}").await;
    let detail = server.get_json(&format!("/api/v1/endpoints/{item}")).await;
    assert_eq!(detail["spec"]["spec_id"], id);
    assert_eq!(detail["spec"]["path_template"], "/items/{id}");
    assert_eq!(detail["spec"]["operation_pointer"], "/paths/~1items~1{id}/get");
    assert_eq!(detail["spec"]["operation_id"], "getItem");
    assert_eq!(detail["spec"]["deprecated"], false);
    let debug = endpoint_id(&server, "GET", "/v1/internal/debug").await;
    assert_eq!(server.get_json(&format!("/api/v1/endpoints/{debug}")).await["spec"], Value::Null);

    assert_eq!(delete(&server, &format!("/api/v1/specs/{id}"), &server.admin).await, 204);
    let detail = server.get_json(&format!("/api/v1/endpoints/{item}")).await;
    assert_eq!(detail["spec"], Value::Null, "removing the description undoes the merge");
    assert_eq!(detail["template"], "/v1/items/{itemId}", "inventory rows are not rewritten");
    assert_eq!(server.get(&format!("/api/v1/specs/{id}/reconcile"), Some(&server.admin)).await.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_export_route_returns_json() {
    let server = TestServer::start().await;
    send_traces(&server, vec![trace("GET", "/v1/items/1", 200, "{\"id\":1}")]).await;

    let response = server.get("/api/v1/specs/shop.example.com", Some(&server.admin)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let text = response.text().await.unwrap();
    assert!(text.ends_with('\n'));
    let document: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    assert!(document["paths"]["/v1/items/{itemId}"]["get"].is_object(), "{document}");

    let again = server.get("/api/v1/specs/shop.example.com", Some(&server.admin)).await.text().await.unwrap();
    assert_eq!(text, again, "the export is deterministic");
    assert_eq!(server.get("/api/v1/specs/nowhere.example.com", Some(&server.admin)).await.status(), 404);
    assert_eq!(server.get("/api/v1/specs/99", Some(&server.admin)).await.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoint_fragment_holds_only_that_endpoint() {
    let server = TestServer::start().await;
    send_traces(
        &server,
        vec![trace("GET", "/v1/items/1", 200, "{\"id\":1}"), trace("GET", "/v1/orders/7", 200, "{\"id\":7}")],
    )
    .await;
    let endpoint = server.get_json("/api/v1/endpoints/lookup?method=GET&host=shop.example.com&path=/v1/items/1").await;
    let id = endpoint["id"].as_str().unwrap().to_string();

    let fragment = server.get_json(&format!("/api/v1/endpoints/{id}/openapi")).await;
    let paths: Vec<&String> = fragment["paths"].as_object().unwrap().keys().collect();
    assert_eq!(paths, vec!["/v1/items/{itemId}"], "{fragment}");
    assert_eq!(server.get("/api/v1/endpoints/nope/openapi", Some(&server.admin)).await.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_alert_for_undocumented_status_only() {
    let server = TestServer::start().await;
    import_spec(&server, SHOP_SPEC).await;
    send_traces(
        &server,
        vec![
            trace("GET", "/v1/items", 200, "[{\"id\":1}]"),
            trace("GET", "/v1/items/1", 200, "{\"id\":1}"),
            trace("GET", "/v1/items/2", 418, "{}"),
            trace("GET", "/v1/items/3", 418, "{}"),
        ],
    )
    .await;

    let alerts = server.get_json("/api/v1/alerts?type=spec_drift").await;
    let items = alerts["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "one alert per endpoint, kind and pointer: {alerts}");
    let alert = &items[0];
    assert_eq!(alert["count"], 2, "{alert}");
    let location = alert["location"].as_str().unwrap();
    assert_eq!(location, "undocumented_status /paths/~1items~1{id}/get/responses");
    let description = alert["description"].as_str().unwrap();
    assert!(description.contains("response.status"), "{description}");
    assert!(description.contains("418"), "{description}");

    let item = endpoint_id(&server, "GET", "/v1/items/{itemId}").await;
    assert_eq!(alert["endpoint_id"], item.as_str());
    let list = endpoint_id(&server, "GET", "/v1/items").await;
    let conforming = server.get_json(&format!("/api/v1/alerts?type=spec_drift&endpoint={list}")).await;
    assert_eq!(conforming["total"], 0, "a conforming trace raises nothing: {conforming}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_can_be_turned_off() {
    let mut config = Config::default();
    config.openapi.drift = false;
    let server = TestServer::start_with(config).await;
    import_spec(&server, SHOP_SPEC).await;
    send_traces(&server, vec![trace("GET", "/v1/items/2", 418, "{}")]).await;
    assert_eq!(server.get_json("/api/v1/alerts?type=spec_drift").await["total"], 0);
}
