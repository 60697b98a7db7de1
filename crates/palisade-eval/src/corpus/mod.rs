//! A synthetic, mixed API traffic corpus for benchmarks, deterministic by seed.
//!
//! Traffic goes to [`HOSTS`] hosts, each with a few REST resources whose items are
//! addressed by integer, UUID or slug ids, so discovery has real templating work. The
//! mix: reads of single objects and of lists, creates and updates with JSON bodies,
//! deletes, URL-encoded form logins, searches with query parameters, and about 6%
//! error responses. Requests carry the headers a browser or SDK sends (a bearer token,
//! a request id, content negotiation) and responses those a typical API gateway adds.
//! With these settings the median trace is about 2 KB on the wire (see [`trace_size`]).

mod bodies;

use fastrand::Rng;
use palisade_core::{Body, Header, Peer, QueryParam, Request, Response, Trace, TraceMeta, TraceSource};

use bodies::{ObjectShape, error_body, list_body, object_body, partial_body, token_body};

/// Hosts in a corpus.
pub const HOSTS: usize = 40;

/// Start of the first trace (2024-01-01T00:00:00Z), in milliseconds since the Unix epoch.
const FIRST_TRACE_MS: i64 = 1_704_067_200_000;

/// Share of traces, in percent, whose response is an error.
const ERROR_PERCENT: u32 = 6;

const COMPANIES: &[&str] = &["acme", "globex", "initech", "umbrella", "hooli", "vandelay", "stark", "wayne"];
const SERVICES: &[&str] = &["api", "shop", "billing", "accounts", "support"];
const RESOURCES: &[&str] = &[
    "users",
    "orders",
    "products",
    "invoices",
    "payments",
    "customers",
    "accounts",
    "tickets",
    "projects",
    "devices",
    "shipments",
    "subscriptions",
    "messages",
    "reviews",
    "carts",
    "articles",
    "events",
    "teams",
];
const SUB_RESOURCES: &[&str] = &["items", "comments", "notes", "attachments", "history", "members", "refunds"];
const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "okhttp/4.12.0",
    "python-requests/2.31.0",
    "Go-http-client/2.0",
    "axios/1.6.8",
];

/// The form of a resource's item ids in paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IdKind {
    Integer,
    Uuid,
    /// Word-like names such as `silver-lantern-42`, which only cardinality distinguishes
    /// from literal path segments.
    Slug,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    GetObject,
    GetList,
    Search,
    Create,
    Update,
    Delete,
    GetSubList,
    FormLogin,
}

/// Relative weights of the actions; they sum to 100.
const ACTION_WEIGHTS: &[(Action, u32)] = &[
    (Action::GetObject, 34),
    (Action::GetList, 16),
    (Action::Search, 8),
    (Action::Create, 15),
    (Action::Update, 9),
    (Action::Delete, 4),
    (Action::GetSubList, 9),
    (Action::FormLogin, 5),
];

struct ResourceDef {
    prefix: &'static str,
    name: &'static str,
    sub: &'static str,
    id_kind: IdKind,
    shape: ObjectShape,
}

struct HostDef {
    name: String,
    resources: Vec<ResourceDef>,
    /// Path of the form login: `/oauth/token` or `/login`.
    login_path: &'static str,
}

/// Generates `count` traces from `seed`. The same arguments give the same traces.
pub fn generate(count: usize, seed: u64) -> Vec<Trace> {
    let mut rng = Rng::with_seed(seed);
    let hosts = host_catalogue(&mut rng);
    let mut traces = Vec::with_capacity(count);
    let mut at = FIRST_TRACE_MS;
    for _ in 0..count {
        at += i64::from(rng.u32(1..40));
        let host = &hosts[rng.usize(..hosts.len())];
        traces.push(generate_trace(host, at, &mut rng));
    }
    traces
}

/// Size of a trace as HTTP/1.1 text: request line, headers, body, status line, response
/// headers and body, in bytes.
pub fn trace_size(trace: &Trace) -> usize {
    let request = &trace.request;
    let mut size = request.method.len() + 1 + request.path.len() + " HTTP/1.1\r\n".len();
    if !request.query.is_empty() {
        size += 1 + request.query.iter().map(|q| q.name.len() + q.value.len() + 2).sum::<usize>() - 1;
    }
    size += headers_size(&request.headers) + request.body.bytes.len();
    if let Some(response) = &trace.response {
        size += "HTTP/1.1 200 OK\r\n".len() + headers_size(&response.headers) + response.body.bytes.len();
    }
    size
}

fn headers_size(headers: &[Header]) -> usize {
    headers.iter().map(|h| h.name.len() + 2 + h.value.len() + 2).sum::<usize>() + 2
}

/// Returns the median of [`trace_size`] over `traces`, or 0 for none.
pub fn median_size(traces: &[Trace]) -> usize {
    let mut sizes: Vec<usize> = traces.iter().map(trace_size).collect();
    if sizes.is_empty() {
        return 0;
    }
    sizes.sort_unstable();
    sizes[sizes.len() / 2]
}

fn host_catalogue(rng: &mut Rng) -> Vec<HostDef> {
    let mut hosts = Vec::with_capacity(HOSTS);
    for index in 0..HOSTS {
        let company = COMPANIES[index % COMPANIES.len()];
        let service = SERVICES[(index / COMPANIES.len()) % SERVICES.len()];
        let prefix = ["/api/v1", "/v2", "/api"][rng.usize(..3)];
        let resource_count = rng.usize(3..=5);
        let names = rng.choose_multiple(RESOURCES.iter().copied(), resource_count);
        let resources = names
            .into_iter()
            .map(|name| ResourceDef {
                prefix,
                name,
                sub: SUB_RESOURCES[rng.usize(..SUB_RESOURCES.len())],
                id_kind: match rng.u8(0..10) {
                    0..=4 => IdKind::Integer,
                    5..=8 => IdKind::Uuid,
                    _ => IdKind::Slug,
                },
                shape: ObjectShape::random(rng),
            })
            .collect();
        let login_path = if rng.bool() { "/oauth/token" } else { "/login" };
        hosts.push(HostDef { name: format!("{service}.{company}.example"), resources, login_path });
    }
    hosts
}

fn pick_action(rng: &mut Rng) -> Action {
    let mut roll = rng.u32(0..100);
    for &(action, weight) in ACTION_WEIGHTS {
        if roll < weight {
            return action;
        }
        roll -= weight;
    }
    Action::GetObject
}

fn generate_trace(host: &HostDef, at: i64, rng: &mut Rng) -> Trace {
    let resource = &host.resources[rng.usize(..host.resources.len())];
    let action = pick_action(rng);
    let mut exchange = generate_exchange(host, resource, action, rng);

    if rng.u32(0..100) < ERROR_PERCENT {
        exchange.status = [400u16, 401, 403, 404, 409, 422, 429, 500][rng.usize(..8)];
        exchange.response_body = Some(error_body(exchange.status, rng));
    }
    build_trace(host, at, exchange, rng)
}

/// The parts of one request and response that differ by action.
struct Exchange {
    method: &'static str,
    path: String,
    query: Vec<QueryParam>,
    request_body: Option<RequestBody>,
    status: u16,
    response_body: Option<Vec<u8>>,
}

impl Exchange {
    fn new(method: &'static str, path: String, status: u16, response_body: Option<Vec<u8>>) -> Self {
        Self { method, path, query: Vec::new(), request_body: None, status, response_body }
    }
}

fn generate_exchange(host: &HostDef, resource: &ResourceDef, action: Action, rng: &mut Rng) -> Exchange {
    let collection = format!("{}/{}", resource.prefix, resource.name);
    let shape = &resource.shape;
    match action {
        Action::GetObject => {
            let path = item_path(&collection, resource.id_kind, rng);
            Exchange::new("GET", path, 200, Some(object_body(shape, rng)))
        }
        Action::GetList => {
            let params = vec![query("limit", &rng.u8(10..=50).to_string()), query("page", &rng.u8(1..20).to_string())];
            let count = rng.usize(2..=5);
            let mut exchange = Exchange::new("GET", collection, 200, Some(list_body(shape, count, rng)));
            exchange.query = params;
            exchange
        }
        Action::Search => {
            let params = vec![query("q", bodies::word(rng)), query("sort", "-created_at"), query("limit", "20")];
            let count = rng.usize(1..=4);
            let path = format!("{collection}/search");
            let mut exchange = Exchange::new("GET", path, 200, Some(list_body(shape, count, rng)));
            exchange.query = params;
            exchange
        }
        Action::Create => {
            let body = RequestBody::Json(partial_body(shape, 6, rng));
            let mut exchange = Exchange::new("POST", collection, 201, Some(object_body(shape, rng)));
            exchange.request_body = Some(body);
            exchange
        }
        Action::Update => {
            let body = RequestBody::Json(partial_body(shape, 3, rng));
            let method = if rng.bool() { "PATCH" } else { "PUT" };
            let path = item_path(&collection, resource.id_kind, rng);
            let mut exchange = Exchange::new(method, path, 200, Some(object_body(shape, rng)));
            exchange.request_body = Some(body);
            exchange
        }
        Action::Delete => Exchange::new("DELETE", item_path(&collection, resource.id_kind, rng), 204, None),
        Action::GetSubList => {
            let path = format!("{}/{}", item_path(&collection, resource.id_kind, rng), resource.sub);
            let count = rng.usize(2..=6);
            Exchange::new("GET", path, 200, Some(list_body(&ObjectShape::small(), count, rng)))
        }
        Action::FormLogin => {
            let form = format!(
                "grant_type=password&username={}%40example.com&password={}&client_id={}&scope=read+write",
                bodies::word(rng),
                bodies::alphanumeric(rng, 14),
                bodies::alphanumeric(rng, 24)
            );
            let mut exchange = Exchange::new("POST", host.login_path.to_string(), 200, Some(token_body(rng)));
            exchange.request_body = Some(RequestBody::Form(form));
            exchange
        }
    }
}

enum RequestBody {
    Json(Vec<u8>),
    Form(String),
}

fn query(name: &str, value: &str) -> QueryParam {
    QueryParam { name: name.to_string(), value: value.to_string() }
}

fn item_path(collection: &str, kind: IdKind, rng: &mut Rng) -> String {
    format!("{collection}/{}", item_id(kind, rng))
}

fn item_id(kind: IdKind, rng: &mut Rng) -> String {
    match kind {
        IdKind::Integer => rng.u32(1..5_000_000).to_string(),
        IdKind::Uuid => bodies::uuid(rng),
        IdKind::Slug => format!("{}-{}-{}", bodies::word(rng), bodies::word(rng), rng.u16(1..1000)),
    }
}

fn build_trace(host: &HostDef, at: i64, exchange: Exchange, rng: &mut Rng) -> Trace {
    let Exchange { method, path, query, request_body, status, response_body } = exchange;
    let request_id = bodies::uuid(rng);
    let mut headers = vec![
        Header::new("Host", host.name.clone()),
        Header::new("User-Agent", USER_AGENTS[rng.usize(..USER_AGENTS.len())]),
        Header::new("Accept", "application/json"),
        Header::new("Accept-Encoding", "gzip, deflate, br"),
        Header::new("Accept-Language", "en-US,en;q=0.9"),
        Header::new("Authorization", format!("Bearer {}", bodies::jwt_like(rng))),
        Header::new("X-Request-Id", request_id.clone()),
        Header::new("X-Forwarded-For", format!("203.0.113.{}", rng.u8(1..255))),
    ];
    if rng.u8(0..4) == 0 {
        headers.push(Header::new("Cookie", format!("session={}; theme=dark", bodies::alphanumeric(rng, 32))));
    }
    let (content_type, body) = match request_body {
        Some(RequestBody::Json(bytes)) => (Some("application/json".to_string()), bytes),
        Some(RequestBody::Form(text)) => (Some("application/x-www-form-urlencoded".to_string()), text.into_bytes()),
        None => (None, Vec::new()),
    };
    if let Some(content_type) = &content_type {
        headers.push(Header::new("Content-Type", content_type.clone()));
        headers.push(Header::new("Content-Length", body.len().to_string()));
    }

    let response_bytes = response_body.unwrap_or_default();
    let mut response_headers = vec![
        Header::new("Date", "Mon, 01 Jan 2024 00:00:00 GMT"),
        Header::new("Server", "envoy"),
        Header::new("Cache-Control", "no-store"),
        Header::new("X-Request-Id", request_id),
        Header::new("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
        Header::new("X-RateLimit-Remaining", rng.u16(0..5000).to_string()),
        Header::new("Vary", "Accept-Encoding, Authorization"),
    ];
    let response_type = (!response_bytes.is_empty()).then(|| "application/json".to_string());
    if let Some(response_type) = &response_type {
        response_headers.push(Header::new("Content-Type", format!("{response_type}; charset=utf-8")));
    }
    response_headers.push(Header::new("Content-Length", response_bytes.len().to_string()));

    Trace {
        request: Request {
            method: method.to_string(),
            scheme: "https".to_string(),
            host: host.name.clone(),
            path,
            query,
            headers,
            content_type,
            body: Body { bytes: body, truncated: false },
        },
        response: Some(Response {
            status,
            headers: response_headers,
            content_type: response_type,
            body: Body { bytes: response_bytes, truncated: false },
        }),
        meta: TraceMeta {
            start_ms: at,
            duration_us: Some(u64::from(rng.u32(800..250_000))),
            client: Some(Peer {
                address: format!("10.{}.{}.{}", rng.u8(0..255), rng.u8(0..255), rng.u8(1..255)),
                port: Some(rng.u16(1024..65535)),
            }),
            server: None,
            source: TraceSource::Native,
            environment: None,
            route: None,
        },
        agent: None,
    }
}

/// True when a body is JSON by its content type, for benchmarks that parse bodies.
pub fn is_json(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|t| t.starts_with("application/json"))
}

/// Collects every JSON body in `traces`, request and response, for the parsing floor.
pub fn json_bodies(traces: &[Trace]) -> Vec<&[u8]> {
    let mut bodies = Vec::new();
    for trace in traces {
        if is_json(trace.request.content_type.as_deref()) && !trace.request.body.is_empty() {
            bodies.push(trace.request.body.bytes.as_slice());
        }
        if let Some(response) = &trace.response
            && is_json(response.content_type.as_deref())
            && !response.body.is_empty()
        {
            bodies.push(response.body.bytes.as_slice());
        }
    }
    bodies
}

#[cfg(test)]
mod tests;
