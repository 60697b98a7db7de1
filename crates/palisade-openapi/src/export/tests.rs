use palisade_core::auth::AuthStats;
use palisade_core::inventory::RiskScore;
use palisade_core::template::{ParamEvidence, ParamRule};
use palisade_core::{Body, Header, QueryParam, Request, Response, StringFormat, TraceMeta, TraceSource};
use serde_json::json;

use super::*;

fn field(section: Section, path: &str, status: Option<u16>, field_type: FieldType, count: u64) -> DataField {
    let content_type =
        if matches!(section, Section::RequestBody | Section::ResponseBody) { "application/json" } else { "" };
    DataField {
        section,
        path: path.into(),
        status,
        content_type: content_type.into(),
        field_type,
        format: None,
        nullable: false,
        count,
        first_seen_ms: 1_700_000_000_000,
        last_seen_ms: 1_700_000_600_000,
    }
}

fn sample(path: &str, status_value: &str, start_ms: i64) -> Trace {
    Trace {
        request: Request {
            method: "GET".into(),
            scheme: "https".into(),
            host: "api.example.com".into(),
            path: path.into(),
            query: vec![QueryParam { name: "limit".into(), value: "10".into() }],
            headers: vec![Header::new("X-Api-Key", "[redacted]")],
            content_type: None,
            body: Body::default(),
        },
        response: Some(Response {
            status: 200,
            headers: vec![Header::new("Content-Type", "application/json")],
            content_type: Some("application/json".into()),
            body: Body {
                bytes: format!(r#"{{"id": 7, "email": "[email]", "status": "{status_value}", "tags": []}}"#)
                    .into_bytes(),
                truncated: false,
            },
        }),
        meta: TraceMeta {
            start_ms,
            duration_us: None,
            client: None,
            server: None,
            source: TraceSource::Native,
            environment: None,
            route: None,
        },
        agent: None,
    }
}

fn user_endpoint() -> EndpointExport {
    let mut auth = AuthStats::default();
    auth.record(&[AuthScheme::ApiKeyHeader], Some(200));
    auth.record(&[AuthScheme::ApiKeyHeader], Some(200));
    let mut email = field(Section::ResponseBody, "email", Some(200), FieldType::String, 10);
    email.format = Some(StringFormat::Email);
    let mut nickname = field(Section::ResponseBody, "nickname", Some(200), FieldType::String, 3);
    nickname.nullable = true;
    let statuses =
        ["active", "blocked", "active", "active", "blocked", "active", "active", "active", "blocked", "active"];
    EndpointExport {
        endpoint: Endpoint {
            id: "00000000000000aa".into(),
            host: "api.example.com".into(),
            method: "GET".into(),
            template: "/users/{userId}".into(),
            params: vec![ParamEvidence {
                position: 1,
                name: "userId".into(),
                rule: ParamRule::Shape,
                kinds: vec![(ValueKind::Integer, 10)],
                distinct_values: 10,
                samples: 10,
                confidence: 0.987_654_321,
            }],
            hits: 10,
            first_seen_ms: 1_700_000_000_000,
            last_seen_ms: 1_700_000_600_000,
            raw_count: 1,
            auth,
            risk: RiskScore::default(),
        },
        fields: vec![
            field(Section::Query, "limit", None, FieldType::Integer, 10),
            field(Section::Query, "cursor", None, FieldType::String, 4),
            field(Section::RequestHeader, "x-request-id", None, FieldType::String, 10),
            field(Section::RequestHeader, "x-api-key", None, FieldType::String, 10),
            field(Section::RequestHeader, "user-agent", None, FieldType::String, 10),
            field(Section::ResponseHeader, "content-type", Some(200), FieldType::String, 10),
            field(Section::ResponseHeader, "x-rate-limit", Some(200), FieldType::Integer, 10),
            field(Section::ResponseBody, "", Some(200), FieldType::Object, 10),
            field(Section::ResponseBody, "id", Some(200), FieldType::Integer, 10),
            email,
            nickname,
            field(Section::ResponseBody, "status", Some(200), FieldType::String, 10),
            field(Section::ResponseBody, "tags", Some(200), FieldType::Array, 10),
            field(Section::ResponseHeader, "content-type", Some(404), FieldType::String, 2),
        ],
        classes: vec![ClassObservation {
            section: Section::ResponseBody,
            path: "email".into(),
            status: Some(200),
            class_id: "email".into(),
            severity: Severity::Medium,
            hits: 10,
        }],
        samples: (0..10)
            .map(|i| sample(&format!("/users/{}", 40 + i), statuses[i], 1_700_000_000_000 + i as i64))
            .collect(),
    }
}

fn order_endpoint() -> EndpointExport {
    let mut auth = AuthStats::default();
    auth.record(&[AuthScheme::Jwt], Some(201));
    auth.record(&[AuthScheme::None], Some(401));
    EndpointExport {
        endpoint: Endpoint {
            id: "00000000000000bb".into(),
            host: "api.example.com".into(),
            method: "POST".into(),
            template: "/orders".into(),
            params: vec![],
            hits: 4,
            first_seen_ms: 1_700_000_000_000,
            last_seen_ms: 1_700_000_000_500,
            raw_count: 1,
            auth,
            risk: RiskScore::default(),
        },
        fields: vec![
            field(Section::RequestBody, "", None, FieldType::Object, 4),
            field(Section::RequestBody, "items", None, FieldType::Array, 4),
            field(Section::RequestBody, "items[]", None, FieldType::Object, 4),
            field(Section::RequestBody, "items[].sku", None, FieldType::String, 4),
            field(Section::RequestBody, "items[].qty", None, FieldType::Integer, 4),
            field(Section::RequestBody, "note", None, FieldType::String, 1),
        ],
        classes: vec![],
        samples: vec![],
    }
}

fn render(endpoints: &[EndpointExport]) -> String {
    serde_json::to_string_pretty(&export("api.example.com", endpoints)).unwrap()
}

#[test]
fn same_input_gives_identical_output() {
    let first = render(&[user_endpoint(), order_endpoint()]);
    let mut shuffled_user = user_endpoint();
    shuffled_user.fields.reverse();
    shuffled_user.samples.reverse();
    let second = render(&[order_endpoint(), shuffled_user]);
    assert_eq!(first, second);
}

#[test]
fn export_shape() {
    let document = export("api.example.com", &[user_endpoint(), order_endpoint(), other_host()]);
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(document["servers"], json!([{"url": "https://api.example.com"}]));
    let paths = document["paths"].as_object().unwrap();
    assert_eq!(paths.keys().collect::<Vec<_>>(), vec!["/orders", "/users/{userId}"]);

    let get = &document["paths"]["/users/{userId}"]["get"];
    assert_eq!(get["operationId"], "get_users_userId");
    assert_eq!(
        get["parameters"],
        json!([
            {"name": "userId", "in": "path", "required": true, "schema": {"type": "integer"}, "example": 40},
            {"name": "cursor", "in": "query", "required": false, "schema": {"type": "string"}},
            {"name": "limit", "in": "query", "required": true, "schema": {"type": "integer"}, "example": 10},
            {"name": "x-request-id", "in": "header", "required": true, "schema": {"type": "string"}}
        ])
    );
    let ok = &get["responses"]["200"];
    assert_eq!(ok["headers"], json!({"x-rate-limit": {"required": true, "schema": {"type": "integer"}}}));
    assert_eq!(
        ok["content"]["application/json"]["schema"],
        json!({
            "type": "object",
            "required": ["email", "id", "status", "tags"],
            "properties": {
                "email": {"type": "string", "format": "email"},
                "id": {"type": "integer"},
                "nickname": {"type": ["null", "string"]},
                "status": {"type": "string", "enum": ["active", "blocked"]},
                "tags": {"type": "array"}
            }
        })
    );
    assert_eq!(ok["content"]["application/json"]["example"]["email"], "[email]");
    assert_eq!(get["responses"]["404"], json!({"description": "Observed 404 response"}));

    assert_eq!(get["security"], json!([{"apiKeyHeader_x-api-key": []}]));
    assert_eq!(
        document["components"]["securitySchemes"],
        json!({
            "apiKeyHeader_x-api-key": {"type": "apiKey", "in": "header", "name": "x-api-key"},
            "jwtAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
        })
    );
    assert_eq!(get["x-palisade-hits"], 10);
    assert_eq!(get["x-palisade-first-seen"], "2023-11-14T22:13:20.000Z");
    assert_eq!(
        get["x-palisade-template-evidence"],
        json!([{"parameter": "userId", "position": 1, "rule": "shape", "value_kinds": {"integer": 10},
                "distinct_values": 10, "samples": 10, "confidence": 0.988}])
    );
    assert_eq!(
        get["x-palisade-data-classes"],
        json!([{"class": "email", "severity": "medium", "location": "response.body email", "status": 200, "hits": 10}])
    );
    assert_eq!(
        get["x-palisade-auth"],
        json!({"requests_by_scheme": {"api_key_header": 2}, "unauthenticated_success": 0})
    );

    let post = &document["paths"]["/orders"]["post"];
    assert_eq!(post["security"], json!([{"jwtAuth": []}, {}]));
    assert_eq!(post["requestBody"]["required"], true);
    assert_eq!(
        post["requestBody"]["content"]["application/json"]["schema"],
        json!({
            "type": "object",
            "required": ["items"],
            "properties": {
                "items": {"type": "array", "items": {"type": "object", "required": ["qty", "sku"],
                          "properties": {"qty": {"type": "integer"}, "sku": {"type": "string"}}}},
                "note": {"type": "string"}
            }
        })
    );
    assert_eq!(post["responses"], json!({"default": {"description": "No response was observed."}}));
}

fn other_host() -> EndpointExport {
    let mut endpoint = order_endpoint();
    endpoint.endpoint.host = "other.example.com".into();
    endpoint.endpoint.template = "/elsewhere".into();
    endpoint
}

#[test]
fn enum_needs_enough_repeated_values() {
    let mut endpoint = user_endpoint();
    endpoint.samples.truncate(5);
    let document = export("api.example.com", &[endpoint]);
    let status = &document["paths"]["/users/{userId}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        ["properties"]["status"];
    assert_eq!(status, &json!({"type": "string"}));
}

#[test]
fn templates_differing_in_names_share_one_path() {
    let mut get = user_endpoint();
    get.endpoint.template = "/users/{id}".into();
    let mut delete = order_endpoint();
    delete.endpoint.method = "DELETE".into();
    delete.endpoint.template = "/users/{userId}".into();
    delete.endpoint.params = vec![];
    let document = export("api.example.com", &[get, delete]);
    let paths = document["paths"].as_object().unwrap();
    assert_eq!(paths.keys().collect::<Vec<_>>(), vec!["/users/{id}"]);
    let methods: Vec<&String> = paths["/users/{id}"].as_object().unwrap().keys().collect();
    assert_eq!(methods, vec!["delete", "get"]);
    assert_eq!(paths["/users/{id}"]["delete"]["parameters"][0]["name"], "id");
}

#[test]
fn exported_description_imports_back() {
    let document = export("api.example.com", &[user_endpoint(), order_endpoint()]);
    let spec = crate::import::from_value(document, &crate::settings::ImportSettings::default()).unwrap();
    assert_eq!(spec.hosts, vec!["api.example.com"]);
    let operation = spec.match_operation("GET", "api.example.com", "/users/41").unwrap();
    assert_eq!(operation.operation_id.as_deref(), Some("get_users_userId"));
    // A live trace before redaction, with what the inventory saw in every request.
    let mut trace = sample("/users/41", "active", 0);
    trace.request.headers.push(Header::new("X-Request-Id", "r-1"));
    let response = trace.response.as_mut().unwrap();
    response.headers.push(Header::new("X-Rate-Limit", "60"));
    response.body.bytes = br#"{"id": 7, "email": "ada@example.com", "status": "active", "tags": []}"#.to_vec();
    assert_eq!(crate::drift::validate(operation, &trace), vec![]);

    // The redacted sample breaks the email format on purpose.
    let redacted = sample("/users/41", "active", 0);
    let kinds: Vec<_> = crate::drift::validate(operation, &redacted).into_iter().map(|v| v.field).collect();
    assert_eq!(kinds, vec!["request.header x-request-id", "response.header x-rate-limit", "response.body email"]);
}

#[test]
fn fields_from_deltas_merges_like_the_store() {
    use palisade_core::inventory::{FieldDelta, FieldKey, FormatState};
    let key = |path: &str, field_type: FieldType| FieldKey {
        section: Section::ResponseBody,
        path: path.into(),
        status: Some(200),
        content_type: "application/json".into(),
        field_type,
    };
    let delta = |raw_id, key: FieldKey, count, format| FieldDelta {
        raw_id,
        key,
        count,
        format,
        first_seen_ms: raw_id * 10,
        last_seen_ms: raw_id * 10 + 5,
    };
    let deltas = vec![
        delta(1, key("email", FieldType::String), 3, FormatState::One(StringFormat::Email)),
        delta(2, key("email", FieldType::String), 2, FormatState::One(StringFormat::Email)),
        delta(2, key("email", FieldType::Null), 1, FormatState::Unset),
        delta(1, key("gone", FieldType::Null), 4, FormatState::Unset),
    ];
    let fields = fields_from_deltas(&deltas);
    type Summary<'a> = (&'a str, FieldType, u64, bool, Option<StringFormat>, i64, i64);
    let summary: Vec<Summary> = fields
        .iter()
        .map(|f| (f.path.as_str(), f.field_type, f.count, f.nullable, f.format, f.first_seen_ms, f.last_seen_ms))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("email", FieldType::String, 5, true, Some(StringFormat::Email), 10, 25),
            ("gone", FieldType::Null, 4, false, None, 10, 15),
        ]
    );
}

/// Python that has `openapi_spec_validator`: `PALISADE_PYTHON`, else the repository's
/// `.venv` (scripts/setup.sh installs it there from tests/e2e/requirements.txt), else
/// `python3`.
fn validator_python() -> Option<std::path::PathBuf> {
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let candidates = [
        std::env::var_os("PALISADE_PYTHON").map(std::path::PathBuf::from),
        Some(workspace.join(".venv/bin/python")),
        Some(std::path::PathBuf::from("python3")),
    ];
    candidates.into_iter().flatten().find(|python| {
        std::process::Command::new(python)
            .args(["-c", "import openapi_spec_validator"])
            .output()
            .is_ok_and(|output| output.status.success())
    })
}

#[test]
fn exported_description_passes_openapi_spec_validator() {
    let Some(python) = validator_python() else {
        eprintln!("skipped: no python with openapi_spec_validator (pip install openapi-spec-validator)");
        return;
    };
    let directory = tempfile::tempdir().unwrap();
    let mut endpoint_with_risk = user_endpoint();
    endpoint_with_risk.endpoint.risk.score = 40;
    let cases = [
        ("users-and-orders.json", export("api.example.com", &[endpoint_with_risk, order_endpoint()])),
        ("empty.json", export("api.example.com", &[])),
    ];
    for (name, document) in cases {
        let path = directory.path().join(name);
        std::fs::write(&path, serde_json::to_vec_pretty(&document).unwrap()).unwrap();
        let output =
            std::process::Command::new(&python).args(["-m", "openapi_spec_validator"]).arg(&path).output().unwrap();
        assert!(
            output.status.success(),
            "{name}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn every_query_key_name_becomes_a_scheme() {
    let mut with_key = sample("/users/1", "active", 0);
    with_key.request.query.push(QueryParam { name: "key".into(), value: "[redacted]".into() });
    let mut with_token = sample("/users/2", "active", 1);
    with_token.request.query.push(QueryParam { name: "access_token".into(), value: "[redacted]".into() });
    let names = params::key_query_names(&[], &[&with_key, &with_token]);
    assert_eq!(names, ["access_token", "key"]);
    assert_eq!(params::key_query_names(&[], &[]), ["api_key"]);
}

#[test]
fn bracket_query_names_become_deep_objects() {
    let mut endpoint = user_endpoint();
    endpoint.fields.extend([
        field(Section::Query, "created[gte]", None, FieldType::Integer, 10),
        field(Section::Query, "created[lt]", None, FieldType::Integer, 4),
        field(Section::Query, "expand[]", None, FieldType::String, 6),
        field(Section::Query, "items[0][price]", None, FieldType::String, 2),
    ]);
    let document = export("api.example.com", &[endpoint]);
    let parameters = document["paths"]["/users/{userId}"]["get"]["parameters"].as_array().unwrap().clone();
    let names: Vec<&str> = parameters.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["userId", "created", "cursor", "expand", "items", "limit", "x-request-id"]);

    let created = &parameters[1];
    assert_eq!(created["style"], "deepObject");
    assert_eq!(created["required"], true);
    assert_eq!(
        created["schema"],
        json!({"type": "object", "properties": {"gte": {"type": "integer"}, "lt": {"type": "integer"}}})
    );
    let expand = &parameters[3];
    assert_eq!(expand["required"], false);
    assert_eq!(expand["schema"], json!({"type": "array", "items": {"type": "string"}}));
    assert_eq!(parameters[4]["schema"], json!({"type": "array", "items": {"type": "object"}}));
}
