use palisade_core::{Body, Header, QueryParam, Request, Response, Trace, TraceMeta, TraceSource};

use super::*;
use crate::import::{SourceFormat, import};
use crate::model::ApiSpec;
use crate::settings::ImportSettings;

const SPEC: &str = r##"
openapi: 3.0.3
info: {title: Users, version: "1"}
servers: [{url: "https://api.example.com"}]
paths:
  /users/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer}}
        - {name: limit, in: query, required: true, schema: {type: integer, maximum: 100}}
        - {name: X-Request-Id, in: header, required: true, schema: {type: string, format: uuid}}
        - {name: filter, in: query, style: deepObject, schema: {type: object}}
        - {name: ids, in: query, explode: false, schema: {type: array, items: {type: integer}}}
      responses:
        "200":
          description: ok
          headers:
            X-Rate-Limit: {required: true, schema: {type: integer}}
          content:
            application/json:
              schema:
                type: object
                required: [id, email]
                properties:
                  id: {type: integer}
                  email: {type: string, format: email}
        "404": {description: missing}
  /users:
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/User"}
          application/x-www-form-urlencoded:
            schema: {type: object, properties: {age: {type: integer}}}
      responses:
        default:
          description: any
          content:
            application/json:
              schema: {$ref: "#/components/schemas/User"}
components:
  schemas:
    User:
      type: object
      required: [id, email]
      properties:
        id: {type: integer}
        email: {type: string, format: email}
"##;

fn spec() -> ApiSpec {
    import(SPEC.as_bytes(), SourceFormat::Yaml, &ImportSettings::default()).unwrap()
}

fn get_trace() -> Trace {
    Trace {
        request: Request {
            method: "GET".into(),
            scheme: "https".into(),
            host: "api.example.com".into(),
            path: "/users/42".into(),
            query: vec![QueryParam { name: "limit".into(), value: "10".into() }],
            headers: vec![Header::new("x-request-id", "3f0c1f9e-6b1d-4c4e-9a59-0c3f3a1e2b7d")],
            content_type: None,
            body: Body::default(),
        },
        response: Some(Response {
            status: 200,
            headers: vec![Header::new("X-Rate-Limit", "100"), Header::new("Content-Type", "application/json")],
            content_type: Some("application/json; charset=utf-8".into()),
            body: Body { bytes: br#"{"id": 42, "email": "ada@example.com"}"#.to_vec(), truncated: false },
        }),
        meta: TraceMeta {
            start_ms: 0,
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

fn post_trace(content_type: Option<&str>, body: &[u8]) -> Trace {
    let mut trace = get_trace();
    trace.request.method = "POST".into();
    trace.request.path = "/users".into();
    trace.request.query.clear();
    trace.request.headers.clear();
    trace.request.content_type = content_type.map(String::from);
    trace.request.body = Body { bytes: body.to_vec(), truncated: false };
    trace
}

fn run(trace: &Trace) -> Vec<(ViolationKind, String, String)> {
    let spec = spec();
    let operation = spec.match_operation(&trace.request.method, &trace.request.host, &trace.request.path).unwrap();
    validate(operation, trace).into_iter().map(|v| (v.kind, v.spec_pointer, v.field)).collect()
}

const GET: &str = "/paths/~1users~1{id}/get";

#[test]
fn conforming_traces_have_no_violations() {
    let mut with_options = get_trace();
    with_options.request.query.push(QueryParam { name: "filter[name]".into(), value: "ada".into() });
    with_options.request.query.push(QueryParam { name: "ids".into(), value: "1,2,3".into() });
    let cases = [
        ("plain get", get_trace()),
        ("deepObject and delimited array", with_options),
        ("json post", post_trace(Some("application/json"), br#"{"id": 1, "email": "b@example.com"}"#)),
        ("form post", post_trace(Some("application/x-www-form-urlencoded"), b"age=31")),
    ];
    for (name, trace) in cases {
        assert_eq!(run(&trace), vec![], "{name}");
    }
}

#[test]
fn each_violation_kind_is_reported() {
    type Case = (&'static str, Box<dyn Fn(&mut Trace)>, ViolationKind, String, &'static str);
    let cases: Vec<Case> = vec![
        (
            "undocumented status",
            Box::new(|t| t.response.as_mut().unwrap().status = 500),
            ViolationKind::UndocumentedStatus,
            format!("{GET}/responses"),
            "response.status",
        ),
        (
            "undocumented response type",
            Box::new(|t| t.response.as_mut().unwrap().content_type = Some("text/html".into())),
            ViolationKind::UndocumentedResponseContentType,
            format!("{GET}/responses/200/content"),
            "response.content_type",
        ),
        (
            "missing required query",
            Box::new(|t| t.request.query.clear()),
            ViolationKind::MissingParameter,
            format!("{GET}/parameters/1"),
            "request.query limit",
        ),
        (
            "unknown query",
            Box::new(|t| t.request.query.push(QueryParam { name: "debug".into(), value: "1".into() })),
            ViolationKind::UnknownQueryParameter,
            format!("{GET}/parameters"),
            "request.query debug",
        ),
        (
            "query not an integer",
            Box::new(|t| t.request.query[0].value = "ten".into()),
            ViolationKind::InvalidParameter,
            format!("{GET}/parameters/1/schema/type"),
            "request.query limit",
        ),
        (
            "query above maximum",
            Box::new(|t| t.request.query[0].value = "500".into()),
            ViolationKind::InvalidParameter,
            format!("{GET}/parameters/1/schema/maximum"),
            "request.query limit",
        ),
        (
            "array item not an integer",
            Box::new(|t| t.request.query.push(QueryParam { name: "ids".into(), value: "1,x".into() })),
            ViolationKind::InvalidParameter,
            format!("{GET}/parameters/4/schema/items/type"),
            "request.query ids[]",
        ),
        (
            "path not an integer",
            Box::new(|t| t.request.path = "/users/ada".into()),
            ViolationKind::InvalidParameter,
            format!("{GET}/parameters/0/schema/type"),
            "request.path id",
        ),
        (
            "missing required header",
            Box::new(|t| t.request.headers.clear()),
            ViolationKind::MissingParameter,
            format!("{GET}/parameters/2"),
            "request.header x-request-id",
        ),
        (
            "header format",
            Box::new(|t| t.request.headers[0].value = "not-a-uuid".into()),
            ViolationKind::InvalidParameter,
            format!("{GET}/parameters/2/schema/format"),
            "request.header x-request-id",
        ),
        (
            "missing response header",
            Box::new(|t| {
                t.response.as_mut().unwrap().headers.remove(0);
            }),
            ViolationKind::MissingResponseHeader,
            format!("{GET}/responses/200/headers/X-Rate-Limit"),
            "response.header x-rate-limit",
        ),
        (
            "response field format",
            Box::new(|t| t.response.as_mut().unwrap().body.bytes = br#"{"id": 42, "email": "nope"}"#.to_vec()),
            ViolationKind::InvalidResponseBody,
            format!("{GET}/responses/200/content/application~1json/schema/properties/email/format"),
            "response.body email",
        ),
        (
            "response missing required field",
            Box::new(|t| t.response.as_mut().unwrap().body.bytes = br#"{"id": 42}"#.to_vec()),
            ViolationKind::InvalidResponseBody,
            format!("{GET}/responses/200/content/application~1json/schema/required"),
            "response.body email",
        ),
        (
            "response not json",
            Box::new(|t| t.response.as_mut().unwrap().body.bytes = b"{oops".to_vec()),
            ViolationKind::UnparsableBody,
            format!("{GET}/responses/200/content/application~1json"),
            "response.body",
        ),
        (
            "get with a body",
            Box::new(|t| t.request.body = Body { bytes: b"x=1".to_vec(), truncated: false }),
            ViolationKind::UndocumentedRequestBody,
            GET.to_string(),
            "request.body",
        ),
    ];
    for (name, change, kind, pointer, field) in cases {
        let mut trace = get_trace();
        change(&mut trace);
        assert_eq!(run(&trace), vec![(kind, pointer, field.to_string())], "{name}");
    }
}

#[test]
fn request_body_violations() {
    let post = "/paths/~1users/post/requestBody";
    let cases = [
        (
            "missing body",
            post_trace(None, b""),
            ViolationKind::MissingRequestBody,
            format!("{post}/required"),
            "request.body",
        ),
        (
            "undocumented type",
            post_trace(Some("text/plain"), b"hello"),
            ViolationKind::UndocumentedRequestContentType,
            format!("{post}/content"),
            "request.content_type",
        ),
        (
            "schema through $ref",
            post_trace(Some("application/json"), br#"{"id": "1", "email": "b@example.com"}"#),
            ViolationKind::InvalidRequestBody,
            "/components/schemas/User/properties/id/type".to_string(),
            "request.body id",
        ),
        (
            "form field type",
            post_trace(Some("application/x-www-form-urlencoded"), b"age=old"),
            ViolationKind::InvalidRequestBody,
            format!("{post}/content/application~1x-www-form-urlencoded/schema/properties/age/type"),
            "request.body age",
        ),
    ];
    for (name, trace, kind, pointer, field) in cases {
        assert_eq!(run(&trace), vec![(kind, pointer, field.to_string())], "{name}");
    }
}

#[test]
fn default_response_covers_any_status() {
    let mut trace = post_trace(Some("application/json"), br#"{"id": 1, "email": "b@example.com"}"#);
    trace.response.as_mut().unwrap().status = 503;
    assert_eq!(run(&trace), vec![]);
}

#[test]
fn truncated_bodies_are_not_checked() {
    let mut trace = get_trace();
    let response = trace.response.as_mut().unwrap();
    response.body = Body { bytes: br#"{"id": 42, "ema"#.to_vec(), truncated: true };
    assert_eq!(run(&trace), vec![]);
}
