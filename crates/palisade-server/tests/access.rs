//! Users, sessions, CSRF and API keys through a real server.

mod common;

use common::TestServer;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A signed-in browser: its session cookie and CSRF token.
struct Session {
    cookie: String,
    csrf: String,
    set_cookie: String,
}

async fn sign_in(server: &TestServer, name: &str, password: &str) -> reqwest::Response {
    server
        .client
        .post(format!("{}/api/v1/session", server.base))
        .json(&json!({"name": name, "password": password}))
        .send()
        .await
        .unwrap()
}

async fn session(server: &TestServer, name: &str, password: &str) -> Session {
    let response = sign_in(server, name, password).await;
    assert_eq!(response.status(), StatusCode::OK);
    let set_cookie = response.headers()["set-cookie"].to_str().unwrap().to_string();
    let cookie = set_cookie.split(';').next().unwrap().to_string();
    let body: Value = response.json().await.unwrap();
    Session { cookie, csrf: body["csrf_token"].as_str().unwrap().to_string(), set_cookie }
}

impl Session {
    fn request(&self, server: &TestServer, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        server.client.request(method, format!("{}{path}", server.base)).header("cookie", &self.cookie)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_run_admin_signs_in_and_out() {
    let server = TestServer::start().await;
    assert_eq!(server.admin_password.len(), 20);

    let wrong = sign_in(&server, "admin", "not the password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let unknown = sign_in(&server, "nobody", "whatever password").await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);

    let admin = session(&server, "admin", &server.admin_password).await;
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(admin.set_cookie.contains(attribute), "{}", admin.set_cookie);
    }
    assert!(!admin.set_cookie.contains("Secure"), "plain HTTP gets no Secure attribute");

    let me: Value =
        admin.request(&server, reqwest::Method::GET, "/api/v1/session").send().await.unwrap().json().await.unwrap();
    assert_eq!(
        (me["name"].as_str(), me["role"].as_str(), me["kind"].as_str()),
        (Some("admin"), Some("admin"), Some("session"))
    );
    let hosts = admin.request(&server, reqwest::Method::GET, "/api/v1/hosts").send().await.unwrap();
    assert_eq!(hosts.status(), StatusCode::OK, "a session reads like a viewer token");

    // Signing out needs the CSRF token like every other state change.
    let forged = admin.request(&server, reqwest::Method::DELETE, "/api/v1/session").send().await.unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let out = admin
        .request(&server, reqwest::Method::DELETE, "/api/v1/session")
        .header("x-csrf-token", &admin.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert!(out.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    let after = admin.request(&server, reqwest::Method::GET, "/api/v1/hosts").send().await.unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    let body: Value = after.json().await.unwrap();
    assert_eq!(body["error"]["code"], "session_expired");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secure_cookie_behind_tls_proxy() {
    let server = TestServer::start().await;
    let response = server
        .client
        .post(format!("{}/api/v1/session", server.base))
        .header("x-forwarded-proto", "https")
        .json(&json!({"name": "admin", "password": server.admin_password}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["set-cookie"].to_str().unwrap().contains("; Secure"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_and_csrf_are_enforced_by_the_api() {
    let server = TestServer::start().await;
    let created = server
        .client
        .post(format!("{}/api/v1/users", server.base))
        .bearer_auth(&server.admin)
        .json(&json!({"name": "vera", "role": "viewer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    let password = created["password"].as_str().unwrap().to_string();
    assert_eq!(created["user"]["role"], "viewer");

    let viewer = session(&server, "vera", &password).await;
    assert_eq!(viewer.request(&server, reqwest::Method::GET, "/api/v1/alerts").send().await.unwrap().status(), 200);
    let change = viewer
        .request(&server, reqwest::Method::PATCH, "/api/v1/alerts/1")
        .header("x-csrf-token", &viewer.csrf)
        .json(&json!({"status": "resolved"}))
        .send()
        .await
        .unwrap();
    assert_eq!(change.status(), StatusCode::FORBIDDEN, "viewers cannot triage");
    let users = viewer.request(&server, reqwest::Method::GET, "/api/v1/users").send().await.unwrap();
    assert_eq!(users.status(), StatusCode::FORBIDDEN, "viewers cannot list users");

    // Promote to analyst: the live session gains the role; a state change without the
    // CSRF token is still refused, and with it the request reaches the handler.
    let promoted = server
        .client
        .patch(format!("{}/api/v1/users/vera", server.base))
        .bearer_auth(&server.admin)
        .json(&json!({"role": "analyst"}))
        .send()
        .await
        .unwrap();
    assert_eq!(promoted.status(), StatusCode::OK);
    let without_token = viewer
        .request(&server, reqwest::Method::PATCH, "/api/v1/alerts/1")
        .json(&json!({"status": "resolved"}))
        .send()
        .await
        .unwrap();
    assert_eq!(without_token.status(), StatusCode::FORBIDDEN);
    let body: Value = without_token.json().await.unwrap();
    assert_eq!(body["error"]["code"], "csrf_mismatch");
    let with_token = viewer
        .request(&server, reqwest::Method::PATCH, "/api/v1/alerts/1")
        .header("x-csrf-token", &viewer.csrf)
        .json(&json!({"status": "resolved"}))
        .send()
        .await
        .unwrap();
    assert_eq!(with_token.status(), StatusCode::NOT_FOUND, "no alert 1 exists yet");

    // A new password ends the user's sessions.
    let reset = server
        .client
        .patch(format!("{}/api/v1/users/vera", server.base))
        .bearer_auth(&server.admin)
        .json(&json!({"password": "a-new-long-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), StatusCode::OK);
    let stale = viewer.request(&server, reqwest::Method::GET, "/api/v1/alerts").send().await.unwrap();
    assert_eq!(stale.status(), StatusCode::UNAUTHORIZED);
    session(&server, "vera", "a-new-long-password").await;

    let short = server
        .client
        .post(format!("{}/api/v1/users", server.base))
        .bearer_auth(&server.admin)
        .json(&json!({"name": "sam", "role": "viewer", "password": "short"}))
        .send()
        .await
        .unwrap();
    assert_eq!(short.status(), StatusCode::BAD_REQUEST);
    let last_admin = server
        .client
        .delete(format!("{}/api/v1/users/admin", server.base))
        .bearer_auth(&server.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(last_admin.status(), StatusCode::BAD_REQUEST, "the only admin user stays");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_ins_are_rate_limited() {
    let server = TestServer::start().await;
    for _ in 0..5 {
        assert_eq!(sign_in(&server, "admin", "wrong password").await.status(), StatusCode::UNAUTHORIZED);
    }
    let refused = sign_in(&server, "admin", &server.admin_password).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS, "even the right password waits");
    assert_eq!(refused.headers()["retry-after"], "60");
    assert_eq!(server.metric("palisade_login_failures_total").await, 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_manages_keys() {
    let server = TestServer::start().await;
    let created = server
        .client
        .post(format!("{}/api/v1/keys", server.base))
        .bearer_auth(&server.admin)
        .json(&json!({"name": "ci reader", "role": "viewer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    let secret = created["secret"].as_str().unwrap().to_string();
    let id = created["key"]["id"].as_i64().unwrap();
    assert!(secret.starts_with(created["key"]["prefix"].as_str().unwrap()));

    assert_eq!(server.get("/api/v1/hosts", Some(&secret)).await.status(), 200);
    let me: Value = server.get("/api/v1/session", Some(&secret)).await.json().await.unwrap();
    assert_eq!((me["kind"].as_str(), me["role"].as_str()), (Some("key"), Some("viewer")));
    assert_eq!(server.get("/api/v1/keys", Some(&secret)).await.status(), 403);

    let listed: Value = server.get_json("/api/v1/keys").await;
    assert_eq!(listed.as_array().unwrap().len(), 3, "two first-run keys and the new one");

    let revoked = server
        .client
        .delete(format!("{}/api/v1/keys/{id}", server.base))
        .bearer_auth(&server.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    assert_eq!(server.get("/api/v1/hosts", Some(&secret)).await.status(), 401);
    assert_eq!(server.get("/api/v1/hosts", None).await.status(), 401);
}
