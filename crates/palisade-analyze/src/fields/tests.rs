use super::*;
use palisade_core::{QueryParam, Request, Response, TraceMeta, TraceSource};

fn trace(request_ct: Option<&str>, request_body: &[u8], response_ct: Option<&str>, response_body: &[u8]) -> Trace {
    Trace {
        request: Request {
            method: "POST".into(),
            scheme: "http".into(),
            host: "h".into(),
            path: "/p".into(),
            query: vec![QueryParam { name: "page".into(), value: "2".into() }],
            headers: vec![Header::new("X-Request-Id", "abc"), Header::new(":authority", "h")],
            content_type: request_ct.map(str::to_string),
            body: Body::capped(request_body.to_vec(), 1 << 20),
        },
        response: Some(Response {
            status: 201,
            headers: vec![Header::new("Content-Type", "application/json")],
            content_type: response_ct.map(str::to_string),
            body: Body::capped(response_body.to_vec(), 1 << 20),
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

fn observe(trace: &Trace) -> (Vec<String>, LearnSummary) {
    let mut seen = Vec::new();
    let summary = learn_fields(trace, &Limits::default(), &mut |o| {
        seen.push(format!(
            "{} {} {} {} {}",
            o.section.as_str(),
            o.status.map(|s| s.to_string()).unwrap_or("-".into()),
            if o.content_type.is_empty() { "-" } else { o.content_type },
            if o.path.is_empty() { "<root>" } else { o.path },
            o.field_type.as_str()
        ));
    });
    (seen, summary)
}

#[test]
fn learns_every_section() {
    let trace =
        trace(Some("application/json; charset=utf-8"), br#"{"name":"Ada"}"#, Some("application/json"), br#"{"id":42}"#);
    let (seen, summary) = observe(&trace);
    assert_eq!(
        seen,
        vec![
            "request.query - - page integer",
            "request.header - - x-request-id string",
            "request.body - application/json <root> object",
            "request.body - application/json name string",
            "response.header 201 - content-type string",
            "response.body 201 application/json <root> object",
            "response.body 201 application/json id integer",
        ]
    );
    assert_eq!(summary, LearnSummary::default());
}

#[test]
fn form_bodies_are_typed_by_text() {
    let trace = trace(Some("application/x-www-form-urlencoded"), b"age=37&name=Ada+L", None, b"");
    let (seen, _) = observe(&trace);
    assert!(seen.contains(&"request.body - application/x-www-form-urlencoded age integer".to_string()));
    assert!(seen.contains(&"request.body - application/x-www-form-urlencoded name string".to_string()));
}

#[test]
fn json_without_content_type_is_sniffed() {
    let trace = trace(None, b"  [1,2]", None, b"");
    let (seen, _) = observe(&trace);
    assert!(seen.contains(&"request.body - application/json <root> array".to_string()));
    assert!(seen.contains(&"request.body - application/json [] integer".to_string()));
}

#[test]
fn invalid_json_is_counted() {
    let trace = trace(Some("application/json"), b"{not json", None, b"");
    let (seen, summary) = observe(&trace);
    assert_eq!(summary.bodies_unparsed, 1);
    // Locations before the point where parsing failed are kept: here only the root.
    let body_fields: Vec<&String> = seen.iter().filter(|s| s.starts_with("request.body")).collect();
    assert_eq!(body_fields, vec!["request.body - application/json <root> object"]);
}

#[test]
fn truncated_json_is_not_walked() {
    let mut trace = trace(Some("application/json"), br#"{"a":1}"#, None, b"");
    trace.request.body.truncated = true;
    let (_, summary) = observe(&trace);
    assert_eq!(summary.bodies_truncated, 1);
}

#[test]
fn other_bodies_are_one_root_string() {
    let trace = trace(Some("text/html"), b"<p>hi</p>", None, b"");
    let (seen, _) = observe(&trace);
    assert!(seen.contains(&"request.body - text/html <root> string".to_string()));
}

#[test]
fn binary_body_does_not_panic() {
    let trace = trace(Some("application/octet-stream"), &[0xff, 0xfe, 0x00, 0x80], None, b"");
    let (seen, _) = observe(&trace);
    assert!(seen.contains(&"request.body - application/octet-stream <root> string".to_string()));
}

#[test]
fn deep_json_is_counted_not_fatal() {
    let body = format!("{}1{}", "{\"a\":".repeat(40), "}".repeat(40));
    let trace = trace(Some("application/json"), body.as_bytes(), None, b"");
    let (seen, summary) = observe(&trace);
    assert_eq!(summary.fields_skipped, 1);
    assert_eq!(seen.iter().filter(|s| s.starts_with("request.body")).count(), 33);
}

#[test]
fn media_type_strips_parameters() {
    assert_eq!(media_type("Application/JSON; charset=UTF-8"), "application/json");
    assert_eq!(media_type(""), "");
}

#[test]
fn learner_reports_what_learn_fields_reports() {
    let bodies: [&[u8]; 3] = [
        br#"{"created_at":"2024-06-24","f3b2c1d0-1111-4222-8333-944445555666":{"n":1},"a.b":2}"#,
        br#"{"created_at":"x","description":"y","user_42":{"n":1}}"#,
        br#"[{"created_at":1}]"#,
    ];
    let mut learner = FieldLearner::default();
    for body in bodies {
        let trace = trace(Some("application/json"), body, Some("application/json"), body);
        let mut expected = Vec::new();
        let expected_summary = learn_fields(&trace, &Limits::default(), &mut |o| expected.push(format!("{o:?}")));
        let mut seen = Vec::new();
        let summary = learner.learn(&trace, &Limits::default(), &mut |o| seen.push(format!("{o:?}")));
        assert_eq!(seen, expected);
        assert_eq!(summary, expected_summary);
        let both = 1 << Section::RequestBody as u8 | 1 << Section::ResponseBody as u8;
        assert_eq!(learner.json_walked(), both);
    }
}
