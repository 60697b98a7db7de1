//! A deliberately vulnerable HTTP API for trying Palisade's security tests. Every flaw
//! is fixed when [`Mode::Safe`] is chosen. It only listens on 127.0.0.1, fetches only
//! loopback URLs, reads files only inside its own temporary sandbox and runs no real
//! commands, so it cannot be used to harm the machine it runs on or any other.
//!
//! The routes and their flaws are listed in the crate's README.

mod auth;
mod db;
mod fetch;
mod sandbox;
mod shell;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rusqlite::Connection;
use serde::Deserialize;
use serde_json::{Value, json};

pub use auth::WEAK_SECRET;

/// Login attempts one client may make per [`RATE_WINDOW`] in safe mode.
pub const LOGIN_RATE_LIMIT: u32 = 10;
const RATE_WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Vulnerable,
    Safe,
}

struct App {
    safe: bool,
    db: Mutex<Connection>,
    slept: Arc<AtomicBool>,
    secret: Vec<u8>,
    sandbox: sandbox::Sandbox,
    logins: Mutex<HashMap<std::net::IpAddr, (Instant, u32)>>,
}

type Shared = State<Arc<App>>;

/// An error starting the server.
#[derive(Debug)]
pub enum StartError {
    /// The address is not 127.0.0.1.
    NotLoopback(SocketAddr),
    Io(std::io::Error),
    Database(rusqlite::Error),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::NotLoopback(address) => {
                write!(f, "refusing to listen on {address}: this deliberately vulnerable API listens only on 127.0.0.1")
            }
            StartError::Io(error) => write!(f, "cannot listen: {error}"),
            StartError::Database(error) => write!(f, "cannot create the demo database: {error}"),
        }
    }
}

impl std::error::Error for StartError {}

/// Builds the router for `mode`, with a random JWT secret in safe mode.
pub fn router(mode: Mode) -> Result<Router, StartError> {
    let secret = if mode == Mode::Safe {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| StartError::Io(std::io::Error::other(e.to_string())))?;
        bytes.to_vec()
    } else {
        WEAK_SECRET.as_bytes().to_vec()
    };
    router_with_secret(mode, secret)
}

/// Builds the router with a given JWT signing secret, so that tests can sign tokens.
pub fn router_with_secret(mode: Mode, secret: Vec<u8>) -> Result<Router, StartError> {
    let safe = mode == Mode::Safe;
    let slept = Arc::new(AtomicBool::new(false));
    let db = db::open(slept.clone()).map_err(StartError::Database)?;
    let app = Arc::new(App {
        safe,
        db: Mutex::new(db),
        slept,
        secret,
        sandbox: sandbox::Sandbox::create().map_err(StartError::Io)?,
        logins: Mutex::new(HashMap::new()),
    });

    let routes = Router::new()
        .route("/login", post(login))
        .route("/me", get(me))
        .route("/users/{id}", get(get_user).patch(update_user))
        .route("/orders", post(create_order))
        .route("/orders/{id}", get(get_order))
        .route("/tenants/{tenant}/projects/{id}", get(get_project))
        .route("/admin/users", get(admin_users))
        .route("/reports/{id}", get(get_report))
        .route("/products", get(products))
        .route("/search", get(search))
        .route("/preview", get(preview))
        .route("/files", get(files))
        .route("/tools/ping", get(ping))
        .route("/redirect", get(redirect))
        .route("/graphql", post(graphql))
        .route("/items/{id}", get(get_item).delete(delete_item))
        .with_state(app.clone());

    // Layers on a router run after it has picked a route, so the method override has to
    // wrap an outer router whose only route is the whole inner one: then the inner
    // router picks the route by the rewritten method.
    let outer = Router::new()
        .fallback_service(routes)
        .layer(middleware::from_fn_with_state(app.clone(), method_override))
        .layer(middleware::from_fn_with_state(app.clone(), edge_acl))
        .layer(middleware::from_fn_with_state(app, response_headers));
    Ok(outer)
}

/// Binds `address`, which must be 127.0.0.1, and serves until the task is dropped.
pub async fn serve(address: SocketAddr, mode: Mode) -> Result<(), StartError> {
    let listener = bind(address).await?;
    serve_listener(listener, mode).await
}

/// Binds `address` after checking that it is 127.0.0.1.
pub async fn bind(address: SocketAddr) -> Result<tokio::net::TcpListener, StartError> {
    if address.ip() != std::net::IpAddr::from([127, 0, 0, 1]) {
        return Err(StartError::NotLoopback(address));
    }
    tokio::net::TcpListener::bind(address).await.map_err(StartError::Io)
}

/// Serves on a bound listener.
pub async fn serve_listener(listener: tokio::net::TcpListener, mode: Mode) -> Result<(), StartError> {
    let app = router(mode)?;
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await.map_err(StartError::Io)
}

/// Starts the API on a free port of 127.0.0.1 in the background, for tests. The server
/// stops when the returned handle is aborted or the runtime ends.
pub async fn spawn(mode: Mode) -> Result<(SocketAddr, tokio::task::JoinHandle<()>), StartError> {
    spawn_router(router(mode)?).await
}

/// Like [`spawn`], with a given JWT signing secret.
pub async fn spawn_with_secret(
    mode: Mode,
    secret: &[u8],
) -> Result<(SocketAddr, tokio::task::JoinHandle<()>), StartError> {
    spawn_router(router_with_secret(mode, secret.to_vec())?).await
}

async fn spawn_router(app: Router) -> Result<(SocketAddr, tokio::task::JoinHandle<()>), StartError> {
    let listener = bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let address = listener.local_addr().map_err(StartError::Io)?;
    let handle = tokio::spawn(async move {
        let service = app.into_make_service_with_connect_info::<SocketAddr>();
        if let Err(error) = axum::serve(listener, service).await {
            eprintln!("vulnerable-api stopped: {error}");
        }
    });
    Ok((address, handle))
}

/// Issues a token for a seeded user (`alice`, `bob` or `admin`) signed with `secret`, for
/// tests that need one without logging in.
pub fn token_for(user: &str, secret: &[u8]) -> Option<String> {
    let (id, role, tenant) = match user {
        "alice" => ("1", "user", "tenant-a"),
        "bob" => ("2", "user", "tenant-b"),
        "admin" => ("3", "admin", "tenant-a"),
        _ => return None,
    };
    Some(auth::issue(id, role, tenant, secret))
}

// ----- middleware -------------------------------------------------------------------

/// Adds security headers in safe mode. Vulnerable mode adds none, and responds to any
/// `Origin` with a wildcard CORS policy that also allows credentials.
async fn response_headers(State(app): Shared, request: Request, next: Next) -> Response {
    let has_origin = request.headers().contains_key(header::ORIGIN);
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if app.safe {
        headers
            .insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
        headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    } else if has_origin {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        headers.insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, HeaderValue::from_static("true"));
    }
    response
}

/// Applies the "gateway" rule that only admins may send DELETE, to the method as sent.
async fn edge_acl(State(app): Shared, request: Request, next: Next) -> Response {
    if request.method() == Method::DELETE {
        let claims = auth::verify(request.headers(), &app.secret, app.safe);
        if claims.is_none_or(|c| c.role != "admin") {
            return error(StatusCode::FORBIDDEN, "only admins may delete");
        }
    }
    next.run(request).await
}

/// Vulnerable mode honours `X-HTTP-Method-Override` (and its variants) after the gateway
/// rule ran, so a POST becomes a DELETE that the rule never saw.
async fn method_override(State(app): Shared, mut request: Request, next: Next) -> Response {
    if !app.safe && request.method() == Method::POST {
        let names = ["x-http-method-override", "x-http-method", "x-method-override"];
        let wanted = names.iter().find_map(|n| request.headers().get(*n)).and_then(|v| v.to_str().ok());
        if let Some(method) = wanted.and_then(|m| Method::from_bytes(m.trim().to_ascii_uppercase().as_bytes()).ok()) {
            *request.method_mut() = method;
        }
    }
    next.run(request).await
}

// ----- helpers -----------------------------------------------------------------------

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn unauthorized() -> Response {
    error(StatusCode::UNAUTHORIZED, "missing or invalid token")
}

fn claims(app: &App, headers: &HeaderMap) -> Option<auth::Claims> {
    auth::verify(headers, &app.secret, app.safe)
}

/// Runs a query with the sleep guard reset. A lock poisoned by a panicking request is
/// taken over, because the in-memory database has no invariant a panic could break.
fn with_db<T>(app: &App, work: impl FnOnce(&Connection) -> T) -> T {
    let connection = app.db.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    app.slept.store(false, Ordering::SeqCst);
    work(&connection)
}

fn user_json(row: &rusqlite::Row<'_>, full: bool) -> rusqlite::Result<Value> {
    let mut value = json!({
        "id": row.get::<_, i64>(0)?,
        "username": row.get::<_, String>(1)?,
        "role": row.get::<_, String>(3)?,
        "tenant": row.get::<_, String>(4)?,
        "name": row.get::<_, String>(5)?,
        "email": row.get::<_, String>(6)?,
    });
    if full {
        value["password"] = json!(row.get::<_, String>(2)?);
        value["ssn"] = json!(row.get::<_, String>(7)?);
    }
    Ok(value)
}

// ----- handlers ------------------------------------------------------------------------

#[derive(Deserialize)]
struct LoginBody {
    username: String,
    password: String,
}

/// Vulnerable: SQL built by concatenation (a login bypass) and no rate limit.
async fn login(State(app): Shared, ConnectInfo(peer): ConnectInfo<SocketAddr>, body: Bytes) -> Response {
    if app.safe {
        let mut logins = app.logins.lock().unwrap_or_else(|p| p.into_inner());
        let entry = logins.entry(peer.ip()).or_insert((Instant::now(), 0));
        if entry.0.elapsed() > RATE_WINDOW {
            *entry = (Instant::now(), 0);
        }
        entry.1 += 1;
        if entry.1 > LOGIN_RATE_LIMIT {
            let mut response = error(StatusCode::TOO_MANY_REQUESTS, "too many login attempts");
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
            return response;
        }
    }
    let Ok(credentials) = serde_json::from_slice::<LoginBody>(&body) else {
        return error(StatusCode::BAD_REQUEST, "expected {\"username\", \"password\"}");
    };

    let found = with_db(&app, |db| {
        if app.safe {
            db.query_row(
                "SELECT id, role, tenant FROM users WHERE username = ?1 AND password = ?2",
                [&credentials.username, &credentials.password],
                |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?, row.get::<_, String>(2)?)),
            )
        } else {
            let sql = format!(
                "SELECT id, role, tenant FROM users WHERE username = '{}' AND password = '{}'",
                credentials.username, credentials.password
            );
            db.query_row(&sql, [], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?, row.get::<_, String>(2)?))
            })
        }
    });
    match found {
        Ok((id, role, tenant)) => {
            let token = auth::issue(&id.to_string(), &role, &tenant, &app.secret);
            Json(json!({ "token": token, "user_id": id })).into_response()
        }
        Err(rusqlite::Error::QueryReturnedNoRows) => error(StatusCode::UNAUTHORIZED, "invalid username or password"),
        Err(db_error) if !app.safe => verbose_error(&db_error.to_string()),
        Err(_) => error(StatusCode::UNAUTHORIZED, "invalid username or password"),
    }
}

/// Returns the caller's own profile. The flaws are in token checking: unsigned and expired
/// tokens pass in vulnerable mode.
async fn me(State(app): Shared, headers: HeaderMap) -> Response {
    let Some(claims) = claims(&app, &headers) else { return unauthorized() };
    let user = with_db(&app, |db| {
        db.query_row("SELECT * FROM users WHERE id = ?1", [&claims.sub], |row| user_json(row, false))
    });
    match user {
        Ok(user) => Json(user).into_response(),
        Err(_) => error(StatusCode::NOT_FOUND, "no such user"),
    }
}

/// Vulnerable: any user's record, with the password and SSN (object level authorization
/// and excessive data exposure).
async fn get_user(State(app): Shared, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    let Some(claims) = claims(&app, &headers) else { return unauthorized() };
    if app.safe && claims.sub != id.to_string() && claims.role != "admin" {
        return error(StatusCode::FORBIDDEN, "not your user");
    }
    let full = !app.safe;
    let user = with_db(&app, |db| db.query_row("SELECT * FROM users WHERE id = ?1", [id], |row| user_json(row, full)));
    match user {
        Ok(user) => Json(user).into_response(),
        Err(_) => error(StatusCode::NOT_FOUND, "no such user"),
    }
}

/// Vulnerable: every field of the body is written, including `role` (mass assignment).
async fn update_user(State(app): Shared, headers: HeaderMap, Path(id): Path<i64>, body: Bytes) -> Response {
    let Some(claims) = claims(&app, &headers) else { return unauthorized() };
    if claims.sub != id.to_string() && claims.role != "admin" {
        return error(StatusCode::FORBIDDEN, "not your user");
    }
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "expected a JSON object");
    };
    let writable: &[&str] =
        if app.safe { &["name", "email"] } else { &["name", "email", "role", "tenant", "username"] };
    let result = with_db(&app, |db| {
        for (key, value) in &fields {
            if !writable.contains(&key.as_str()) {
                continue;
            }
            let text = value.as_str().map(str::to_string).unwrap_or_else(|| value.to_string());
            db.execute(&format!("UPDATE users SET {key} = ?1 WHERE id = ?2"), rusqlite::params![text, id])?;
        }
        db.query_row("SELECT * FROM users WHERE id = ?1", [id], |row| user_json(row, false))
    });
    match result {
        Ok(user) => Json(user).into_response(),
        Err(_) => error(StatusCode::NOT_FOUND, "no such user"),
    }
}

/// Creates an order. Vulnerable: the response to malformed input has a stack trace and
/// internal details.
async fn create_order(State(app): Shared, headers: HeaderMap, body: Bytes) -> Response {
    if claims(&app, &headers).is_none() {
        return unauthorized();
    }
    match serde_json::from_slice::<Value>(&body) {
        Ok(order) => (StatusCode::CREATED, Json(json!({ "id": 100, "order": order }))).into_response(),
        Err(parse_error) if !app.safe => verbose_error(&parse_error.to_string()),
        Err(_) => error(StatusCode::BAD_REQUEST, "invalid request body"),
    }
}

fn verbose_error(detail: &str) -> Response {
    let body = format!(
        "thread 'tokio-runtime-worker' panicked at src/handlers/orders.rs:88:14:\n{detail}\nstack backtrace:\n   0: vulnerable_api::handlers::orders::create\n             at ./src/handlers/orders.rs:88:14\n   1: axum::handler::Handler::call\n             at /usr/src/axum-0.8.9/src/handler/mod.rs:212:9\ndatabase: sqlite /var/lib/demo/app.db\n"
    );
    (StatusCode::INTERNAL_SERVER_ERROR, [(header::CONTENT_TYPE, "text/plain")], body).into_response()
}

/// Returns an order. Vulnerable: any order, for any user (object level authorization).
/// Admins may read every order in both modes.
async fn get_order(State(app): Shared, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    let Some(claims) = claims(&app, &headers) else { return unauthorized() };
    let order = with_db(&app, |db| {
        db.query_row("SELECT id, owner_id, item, total FROM orders WHERE id = ?1", [id], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?, row.get::<_, String>(2)?, row.get::<_, f64>(3)?))
        })
    });
    let Ok((id, owner, item, total)) = order else { return error(StatusCode::NOT_FOUND, "no such order") };
    if app.safe && claims.sub != owner.to_string() && claims.role != "admin" {
        return error(StatusCode::FORBIDDEN, "not your order");
    }
    Json(json!({ "id": id, "owner_id": owner, "item": item, "total": total })).into_response()
}

/// Vulnerable: a project of any tenant, for a user of another tenant.
async fn get_project(State(app): Shared, headers: HeaderMap, Path((tenant, id)): Path<(String, i64)>) -> Response {
    let Some(claims) = claims(&app, &headers) else { return unauthorized() };
    if app.safe && claims.tenant != tenant && claims.role != "admin" {
        return error(StatusCode::FORBIDDEN, "not your tenant");
    }
    let project = with_db(&app, |db| {
        db.query_row(
            "SELECT id, name FROM projects WHERE id = ?1 AND tenant = ?2",
            rusqlite::params![id, tenant],
            |row| Ok(json!({ "id": row.get::<_, i64>(0)?, "name": row.get::<_, String>(1)?, "tenant": tenant })),
        )
    });
    match project {
        Ok(project) => Json(project).into_response(),
        Err(_) => error(StatusCode::NOT_FOUND, "no such project"),
    }
}

/// Vulnerable: any signed-in user may call this admin function (function level
/// authorization).
async fn admin_users(State(app): Shared, headers: HeaderMap) -> Response {
    let Some(claims) = claims(&app, &headers) else { return unauthorized() };
    if app.safe && claims.role != "admin" {
        return error(StatusCode::FORBIDDEN, "admins only");
    }
    let users = with_db(&app, |db| -> rusqlite::Result<Vec<Value>> {
        let mut statement = db.prepare("SELECT * FROM users ORDER BY id")?;
        let rows = statement.query_map([], |row| user_json(row, false))?;
        rows.collect()
    });
    Json(json!({ "users": users.unwrap_or_default() })).into_response()
}

/// Vulnerable: no authentication check at all.
async fn get_report(State(app): Shared, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    if app.safe && claims(&app, &headers).is_none() {
        return unauthorized();
    }
    let report = with_db(&app, |db| {
        db.query_row("SELECT title, body FROM reports WHERE id = ?1", [id], |row| {
            Ok(json!({ "id": id, "title": row.get::<_, String>(0)?, "body": row.get::<_, String>(1)? }))
        })
    });
    match report {
        Ok(report) => Json(report).into_response(),
        Err(_) => error(StatusCode::NOT_FOUND, "no such report"),
    }
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    search: String,
}

/// Vulnerable: the search text is concatenated into SQL, and database errors are shown.
async fn products(State(app): Shared, Query(query): Query<SearchQuery>) -> Response {
    let result = with_db(&app, |db| -> rusqlite::Result<Vec<Value>> {
        let map_row = |row: &rusqlite::Row<'_>| {
            Ok(json!({ "id": row.get::<_, i64>(0)?, "name": row.get::<_, String>(1)?, "price": row.get::<_, f64>(2)? }))
        };
        if app.safe {
            let mut statement = db.prepare("SELECT id, name, price FROM products WHERE name LIKE '%' || ?1 || '%'")?;
            let rows = statement.query_map([&query.search], map_row)?;
            rows.collect()
        } else {
            let sql = format!("SELECT id, name, price FROM products WHERE name LIKE '%{}%'", query.search);
            let mut statement = db.prepare(&sql)?;
            let rows = statement.query_map([], map_row)?;
            rows.collect()
        }
    });
    match result {
        Ok(rows) => Json(json!({ "products": rows })).into_response(),
        Err(db_error) if !app.safe => {
            let body = json!({ "error": format!("SQLITE_ERROR: {db_error}"), "query": "SELECT id, name, price FROM products WHERE name LIKE ..." });
            (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
        }
        Err(_) => error(StatusCode::BAD_REQUEST, "invalid search"),
    }
}

#[derive(Deserialize)]
struct TextQuery {
    #[serde(default)]
    q: String,
}

/// Vulnerable: the query is written into HTML unescaped (reflected XSS).
async fn search(State(app): Shared, Query(query): Query<TextQuery>) -> Response {
    let shown = if app.safe { escape_html(&query.q) } else { query.q.clone() };
    Html(format!("<!doctype html><html><body><h1>Results for {shown}</h1><p>No results.</p></body></html>"))
        .into_response()
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

#[derive(Deserialize)]
struct UrlQuery {
    #[serde(default)]
    url: String,
}

/// Vulnerable: fetches the URL it is given (server-side request forgery), but in every
/// mode only loopback URLs.
async fn preview(State(app): Shared, Query(query): Query<UrlQuery>) -> Response {
    if fetch::loopback_target(&query.url).is_err() {
        return error(StatusCode::BAD_REQUEST, "only http://127.0.0.1 URLs can be previewed in this demo");
    }
    if app.safe {
        return error(StatusCode::FORBIDDEN, "url is not on the preview allow list");
    }
    match fetch::fetch(&query.url).await {
        Ok(content) => Json(json!({ "url": query.url, "content": content })).into_response(),
        Err(fetch::FetchError::Failed(reason)) => error(StatusCode::BAD_GATEWAY, &reason),
        Err(fetch::FetchError::NotLoopback) => error(StatusCode::BAD_REQUEST, "not a loopback URL"),
    }
}

#[derive(Deserialize)]
struct NameQuery {
    #[serde(default)]
    name: String,
}

/// Vulnerable: `..` in the name climbs out of the public directory (inside the sandbox).
async fn files(State(app): Shared, Query(query): Query<NameQuery>) -> Response {
    let content = if app.safe { app.sandbox.read_safely(&query.name) } else { app.sandbox.read_unsafely(&query.name) };
    match content {
        Some(text) => ([(header::CONTENT_TYPE, "text/plain")], text).into_response(),
        None => error(StatusCode::NOT_FOUND, "no such file"),
    }
}

#[derive(Deserialize)]
struct HostQuery {
    #[serde(default)]
    host: String,
}

/// Vulnerable: the host is passed to a (pretend) shell, so `; id` runs `id`.
async fn ping(State(app): Shared, Query(query): Query<HostQuery>) -> Response {
    if app.safe {
        let valid = !query.host.is_empty()
            && query.host.len() <= 253
            && query.host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == ':');
        if !valid {
            return error(StatusCode::BAD_REQUEST, "invalid host");
        }
        return ([(header::CONTENT_TYPE, "text/plain")], shell::run(&format!("ping {}", query.host))).into_response();
    }
    ([(header::CONTENT_TYPE, "text/plain")], shell::run(&format!("ping -c 1 {}", query.host))).into_response()
}

#[derive(Deserialize)]
struct NextQuery {
    #[serde(default)]
    next: String,
}

/// Vulnerable: redirects anywhere (open redirect). Safe mode allows only local paths.
async fn redirect(State(app): Shared, Query(query): Query<NextQuery>) -> Response {
    let local = query.next.starts_with('/') && !query.next.starts_with("//") && !query.next.starts_with("/\\");
    if app.safe && !local {
        return error(StatusCode::BAD_REQUEST, "only local redirects are allowed");
    }
    let Ok(location) = HeaderValue::from_str(&query.next) else {
        return error(StatusCode::BAD_REQUEST, "invalid redirect target");
    };
    Response::builder()
        .status(StatusCode::FOUND)
        .header(header::LOCATION, location)
        .body(Body::empty())
        .unwrap_or_else(|_| error(StatusCode::INTERNAL_SERVER_ERROR, "cannot redirect"))
}

/// Returns a fixed result for GraphQL queries. Vulnerable: introspection queries return
/// the schema.
async fn graphql(State(app): Shared, body: Bytes) -> Response {
    let query = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("query").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_default();
    if query.contains("__schema") || query.contains("__type") {
        if app.safe {
            return (StatusCode::BAD_REQUEST, Json(json!({ "errors": [{ "message": "introspection is disabled" }] })))
                .into_response();
        }
        let types = ["Query", "User", "Order", "String", "Int", "Boolean"];
        let schema = json!({ "data": { "__schema": {
            "queryType": { "name": "Query" },
            "types": types.iter().map(|t| json!({ "name": t })).collect::<Vec<_>>(),
        } } });
        return Json(schema).into_response();
    }
    Json(json!({ "data": { "hello": "world" } })).into_response()
}

async fn get_item(State(app): Shared, Path(id): Path<i64>) -> Response {
    let item = with_db(&app, |db| {
        db.query_row("SELECT id, name FROM items WHERE id = ?1", [id], |row| {
            Ok(json!({ "id": row.get::<_, i64>(0)?, "name": row.get::<_, String>(1)? }))
        })
    });
    match item {
        Ok(item) => Json(item).into_response(),
        Err(_) => error(StatusCode::NOT_FOUND, "no such item"),
    }
}

/// Deletes an item. The gateway rule lets only admins send DELETE; vulnerable mode lets
/// anyone reach this through a POST with a method override header.
async fn delete_item(State(app): Shared, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    if claims(&app, &headers).is_none() {
        return unauthorized();
    }
    let deleted = with_db(&app, |db| db.execute("DELETE FROM items WHERE id = ?1", [id]));
    match deleted {
        Ok(0) => error(StatusCode::NOT_FOUND, "no such item"),
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "cannot delete"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bind_refuses_other_addresses() {
        for address in ["0.0.0.0:0", "127.0.0.2:0", "[::1]:0", "[::]:0"] {
            let address: SocketAddr = address.parse().unwrap();
            assert!(matches!(bind(address).await, Err(StartError::NotLoopback(_))), "{address}");
        }
        assert!(bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.is_ok());
    }
}
