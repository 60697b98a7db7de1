//! Risk scores that the pipeline's commits store: a change to an input of the score in a
//! later commit updates the stored score, which then equals a full recomputation.

mod common;

use common::TestServer;
use palisade_core::inventory::{Endpoint, RiskScore};
use palisade_store::{EndpointFilter, Store};
use serde_json::{Value, json};

fn account_trace(authenticated: bool, body: Value) -> Value {
    let mut headers = vec![json!({"name": "Accept", "value": "application/json"})];
    if authenticated {
        headers.push(json!({"name": "Authorization", "value": "Bearer session-for-risk-tests"}));
    }
    json!({
        "request": {"method": "GET", "url": "https://shop.example.com/api/account", "headers": headers},
        "response": {"status": 200, "headers": [{"name": "Content-Type", "value": "application/json"}],
                     "body": body}
    })
}

/// Sends `traces` in one request and waits until the pipeline has committed them.
async fn send(server: &TestServer, traces: Vec<Value>) {
    let response = server.post("/api/v1/traces", &server.ingest, Value::Array(traces).to_string()).await;
    assert_eq!(response.status(), 200);
    server.settle().await;
}

fn the_endpoint(store: &dyn Store) -> Endpoint {
    let page = store.endpoints(&EndpointFilter { limit: 10, ..Default::default() }).unwrap();
    assert_eq!(page.items.len(), 1, "{:?}", page.items);
    page.items.into_iter().next().unwrap()
}

/// Returns the stored risk of the only endpoint after checking that recomputing every
/// endpoint's risk leaves it unchanged.
fn stored_risk(server: &TestServer) -> RiskScore {
    let store = palisade_server::DataDir::open(server.dir.path(), false).unwrap().open_store().unwrap();
    let stored = the_endpoint(&store).risk;
    store.refresh_risk().unwrap();
    assert_eq!(the_endpoint(&store).risk, stored, "the stored risk was stale");
    stored
}

fn factor_names(risk: &RiskScore) -> Vec<&str> {
    risk.factors.iter().map(|f| f.name.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn risk_follows_changes_in_later_commits() {
    let server = TestServer::start().await;

    send(&server, vec![account_trace(true, json!({"plan": "basic", "orders": 3})); 2]).await;
    let risk = stored_risk(&server);
    assert_eq!(risk.score, 0, "{risk:?}");

    // A data class in the response, on an endpoint already stored without one. Its low
    // severity raises no alert, so only the new class changes the risk.
    send(&server, vec![account_trace(true, json!({"plan": "basic", "last_login_ip": "81.2.69.160"}))]).await;
    let risk = stored_risk(&server);
    assert_eq!(factor_names(&risk), ["sensitive_data_returned"], "{risk:?}");
    assert!(risk.factors[0].detail.contains("ipv4_address"), "{risk:?}");

    // Another class, which also opens an alert.
    send(&server, vec![account_trace(true, json!({"plan": "basic", "contact": "ada@example.com"}))]).await;
    let risk = stored_risk(&server);
    assert!(risk.factors[0].detail.contains("email"), "{risk:?}");
    assert!(factor_names(&risk).contains(&"open_alerts"), "{risk:?}");

    // The first request without credentials that succeeds.
    send(&server, vec![account_trace(false, json!({"plan": "basic", "orders": 3}))]).await;
    let risk = stored_risk(&server);
    assert!(factor_names(&risk).contains(&"unauthenticated_access"), "{risk:?}");
    assert!(factor_names(&risk).contains(&"sensitive_data_without_auth"), "{risk:?}");

    // More of them: the factor's detail counts the requests.
    send(&server, vec![account_trace(false, json!({"plan": "basic", "orders": 4})); 2]).await;
    let risk = stored_risk(&server);
    let unauthenticated = risk.factors.iter().find(|f| f.name == "unauthenticated_access").unwrap();
    assert!(unauthenticated.detail.starts_with("3 requests"), "{risk:?}");
}
