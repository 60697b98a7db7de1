//! `ignoredDetections` from a configuration file, through the real signature detector
//! and data classifier: listed detections leave no finding, class or alert on their
//! endpoint, and the same traffic elsewhere is still reported.

use palisade_analyze::Pipeline;
use palisade_core::{Body, Header, QueryParam, Request, Response, Trace, TraceMeta, TraceSource};
use palisade_server::Config;

const CONFIG: &str = "version: 1
ignoredDetections:
  - host: reports.example.com
    path: /reports/{reportId}
    method: GET
    ignoredPaths:
      sqli: [req.query.filter]
      Email: [res.body.owner]
";

/// Builds a GET with a SQL tautology in `filter` and an email address in the response.
fn report(host: &str, path: &str, at: i64) -> Trace {
    let response = br#"{"owner": {"email": "dana@example.org"}, "contact": "ops@example.org"}"#;
    Trace {
        request: Request {
            method: "GET".into(),
            scheme: "http".into(),
            host: host.into(),
            path: path.into(),
            query: vec![QueryParam { name: "filter".into(), value: "x' OR '1'='1".into() }],
            headers: vec![Header::new("X-Forwarded-For", "203.0.113.7")],
            content_type: None,
            body: Body::default(),
        },
        response: Some(Response {
            status: 200,
            headers: vec![],
            content_type: Some("application/json".into()),
            body: Body::capped(response.to_vec(), 1 << 20),
        }),
        meta: TraceMeta {
            start_ms: at,
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

/// Attack findings as `(class, location)` and email fields as paths, of one trace.
fn detections(pipeline: &mut Pipeline, trace: &Trace) -> (Vec<(String, String)>, Vec<String>) {
    pipeline.process(trace);
    let delta = pipeline.take_delta();
    let findings = delta.findings.iter().map(|f| (f.class.clone(), f.location.clone())).collect();
    let emails = delta.field_classes.iter().filter(|c| c.class_id == "email").map(|c| c.path.clone()).collect();
    (findings, emails)
}

#[test]
fn listed_detections_are_dropped_on_their_endpoint_only() {
    let config = Config::parse(CONFIG, "palisade.yaml").unwrap();
    let mut pipeline = Pipeline::new(config.pipeline(b"test actor key").unwrap());

    let (findings, emails) = detections(&mut pipeline, &report("reports.example.com", "/reports/17", 1_000));
    assert!(findings.is_empty(), "{findings:?}");
    assert_eq!(emails, vec!["contact".to_string()]);
    assert_eq!(pipeline.counters().detections_ignored, 2);

    let (findings, emails) = detections(&mut pipeline, &report("reports.example.com", "/exports/17", 2_000));
    assert_eq!(findings, vec![("sqli".to_string(), "query filter".to_string())]);
    let mut emails = emails;
    emails.sort();
    assert_eq!(emails, vec!["contact".to_string(), "owner.email".to_string()]);
    assert_eq!(pipeline.counters().detections_ignored, 2);
}

#[test]
fn unknown_class_is_a_configuration_error() {
    let text = CONFIG.replace("sqli:", "sqlinjection:");
    let error = Config::parse(&text, "palisade.yaml").unwrap_err().to_string();
    assert!(error.contains("palisade.yaml"), "{error}");
    assert!(error.contains("ignoredDetections[0].ignoredPaths.sqlinjection: unknown class"), "{error}");
}
