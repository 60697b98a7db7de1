use super::*;
use palisade_core::{Body, Header, Request, Response, TraceMeta, TraceSource};

fn get(host: &str, path: &str, at: i64, response: &str) -> Trace {
    Trace {
        request: Request {
            method: "GET".into(),
            scheme: "http".into(),
            host: host.into(),
            path: path.into(),
            query: vec![],
            headers: vec![Header::new("Authorization", "Bearer secret-token")],
            content_type: None,
            body: Body::default(),
        },
        response: Some(Response {
            status: 200,
            headers: vec![],
            content_type: Some("application/json".into()),
            body: Body::capped(response.as_bytes().to_vec(), 1 << 20),
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

fn templates(pipeline: &Pipeline) -> Vec<String> {
    pipeline.endpoints().iter().map(|e| format!("{} {} {}", e.method, e.host, e.template)).collect()
}

#[test]
fn process_builds_endpoints_and_fields() {
    let mut pipeline = Pipeline::new(PipelineConfig::default());
    pipeline.process(&get("API.example.com:80", "/users/1", 1_000, r#"{"id":1,"emails":["a@b.co"]}"#));
    pipeline.process(&get("api.example.com", "/users/2", 3_601_000, r#"{"id":2,"emails":[]}"#));
    let delta = pipeline.take_delta();

    assert_eq!(templates(&pipeline), vec!["GET api.example.com /users/{userId}"]);
    assert_eq!(delta.hosts.len(), 1);
    assert_eq!(delta.hosts[0].hits, 2);
    assert_eq!(delta.raw_endpoints.len(), 1);
    assert_eq!(delta.endpoints.len(), 1);
    assert_eq!(delta.endpoints[0].hits, 2);
    assert_eq!(delta.hourly, vec![(1, 0, 1), (1, 3_600_000, 1)]);

    let id = delta.fields.iter().find(|f| f.key.path == "id").unwrap();
    assert_eq!((id.key.field_type, id.count), (FieldType::Integer, 2));
    let email = delta.fields.iter().find(|f| f.key.path == "emails[]").unwrap();
    assert_eq!(email.count, 1);
    assert_eq!(email.format, FormatState::One(palisade_core::StringFormat::Email));
    assert_eq!(delta.samples_added.len(), 2);
}

#[test]
fn array_items_count_once_per_trace() {
    let mut pipeline = Pipeline::new(PipelineConfig::default());
    pipeline.process(&get("h", "/list", 0, r#"[{"a":1},{"a":2},{"a":3}]"#));
    let delta = pipeline.take_delta();
    let field = delta.fields.iter().find(|f| f.key.path == "[].a").unwrap();
    assert_eq!(field.count, 1);
}

#[test]
fn samples_are_redacted() {
    let mut pipeline = Pipeline::new(PipelineConfig::default());
    pipeline.process(&get("h", "/me", 0, "{}"));
    let delta = pipeline.take_delta();
    let sample: Trace = postcard::from_bytes(&delta.samples_added[0].trace).unwrap();
    assert_eq!(sample.request.headers[0].value, crate::redact::REDACTED);
}

#[test]
fn sample_cap_keeps_smallest_hashes() {
    let config = PipelineConfig {
        discovery: crate::config::DiscoveryConfig { max_samples_per_endpoint: 3, ..Default::default() },
        ..Default::default()
    };
    let mut pipeline = Pipeline::new(config);
    let mut hashes = Vec::new();
    for i in 0..20 {
        let trace = get("h", "/items", i, "{}");
        hashes.push(trace_hash(&trace));
        pipeline.process(&trace);
    }
    let delta = pipeline.take_delta();
    hashes.sort_unstable();
    let kept: Vec<u64> = delta.samples_added.iter().map(|s| s.hash).collect();
    let mut kept_sorted = kept.clone();
    kept_sorted.sort_unstable();
    assert_eq!(kept_sorted, hashes[..3].to_vec());
    assert!(delta.samples_removed.is_empty(), "pending samples are replaced before they are stored");
}

#[test]
fn host_block_list_skips() {
    let rules = crate::config::HostRulesConfig { host_block_list: vec!["^internal".into()], ..Default::default() };
    let config =
        PipelineConfig { host_rules: crate::config::HostRules::compile(&rules).unwrap(), ..Default::default() };
    let mut pipeline = Pipeline::new(config);
    assert_eq!(pipeline.process(&get("internal.x", "/a", 0, "{}")), Outcome::Skipped(SkipReason::HostBlocked));
    assert_eq!(pipeline.counters().skipped_host_blocked, 1);
}

#[test]
fn endpoint_limit_skips_new_paths() {
    let config = PipelineConfig {
        discovery: crate::config::DiscoveryConfig { max_endpoints_per_host: 2, ..Default::default() },
        ..Default::default()
    };
    let mut pipeline = Pipeline::new(config);
    pipeline.process(&get("h", "/a", 0, "{}"));
    pipeline.process(&get("h", "/b", 0, "{}"));
    assert_eq!(pipeline.process(&get("h", "/c", 0, "{}")), Outcome::Skipped(SkipReason::EndpointLimit));
    assert!(matches!(pipeline.process(&get("h", "/a", 0, "{}")), Outcome::Recorded { .. }));
}

#[test]
fn field_limit_counts_dropped_fields() {
    let config = PipelineConfig {
        discovery: crate::config::DiscoveryConfig { max_fields_per_endpoint: 3, ..Default::default() },
        ..Default::default()
    };
    let mut pipeline = Pipeline::new(config);
    pipeline.process(&get("h", "/a", 0, r#"{"a":1,"b":2,"c":3,"d":4}"#));
    let delta = pipeline.take_delta();
    assert_eq!(delta.fields.len(), 3);
    assert!(pipeline.counters().fields_over_limit >= 2);
}

#[test]
fn route_template_is_authoritative() {
    let mut pipeline = Pipeline::new(PipelineConfig::default());
    let mut trace = get("h", "/users/alice", 0, "{}");
    trace.meta.route = Some("/users/{username}".into());
    pipeline.process(&trace);
    pipeline.take_delta();
    assert_eq!(templates(&pipeline), vec!["GET h /users/{username}"]);
    assert_eq!(pipeline.endpoints()[0].params[0].rule, palisade_core::ParamRule::Route);
}

#[test]
fn redacted_agent_trace_learns_agent_fields() {
    let mut pipeline = Pipeline::new(PipelineConfig::default());
    let mut trace = get("h", "/users/3", 0, "");
    trace.agent = Some(palisade_core::AgentAnalysis {
        redacted: true,
        field_types: vec![
            ("resBody.email".into(), vec!["string".into()]),
            ("resBody.roles.[]".into(), vec!["string".into()]),
            ("reqHeaders.User-Agent".into(), vec!["string".into()]),
            ("resBody.id".into(), vec!["number".into()]),
        ],
        ..Default::default()
    });
    pipeline.process(&trace);
    let delta = pipeline.take_delta();
    let mut fields: Vec<String> = delta
        .fields
        .iter()
        .map(|f| format!("{} {} {}", f.key.section.as_str(), f.key.path, f.key.field_type.as_str()))
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        vec![
            "request.header user-agent string",
            "response.body email string",
            "response.body id number",
            "response.body roles[] string",
        ]
    );
}

#[test]
fn restore_continues_ids_and_fields() {
    let mut first = Pipeline::new(PipelineConfig::default());
    first.process(&get("h", "/users/1", 0, r#"{"id":1}"#));
    let delta = first.take_delta();
    let state = InventoryState {
        hosts: delta.hosts.clone(),
        raw_endpoints: delta.raw_endpoints.clone(),
        endpoints: delta.endpoints.clone(),
        field_keys: delta.fields.iter().map(|f| (f.raw_id, f.key.clone())).collect(),
        sample_hashes: delta.samples_added.iter().map(|s| (s.raw_id, s.hash)).collect(),
    };

    let mut second = Pipeline::restore(PipelineConfig::default(), state);
    second.process(&get("h", "/users/2", 10, r#"{"id":2}"#));
    second.process(&get("h", "/orders", 10, "{}"));
    let delta = second.take_delta();
    assert_eq!(delta.raw_endpoints.iter().map(|r| r.id).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(delta.raw_endpoints[0].hits, 2);
    assert!(delta.endpoints_removed.is_empty());
}

fn classifying_pipeline() -> Pipeline {
    let classifier: std::sync::Arc<dyn crate::classify::DataClassifier> =
        std::sync::Arc::new(crate::classify::fake::FakeClassifier::new());
    Pipeline::new(PipelineConfig { classifier: Some(classifier), ..Default::default() })
}

#[test]
fn classes_are_counted_per_location_and_alerts_raised() {
    let mut pipeline = classifying_pipeline();
    let mut unauthenticated = get("h", "/users/1", 1_000, r#"{"email":"ada@example.com","ssn":"123-45-6789","n":1}"#);
    unauthenticated.request.headers.clear();
    pipeline.process(&unauthenticated);
    pipeline.process(&get("h", "/users/2", 2_000, r#"{"email":"grace@example.com","ssn":"n/a","n":2}"#));
    let mut secret = get("h", "/tokens", 3_000, r#"{"token":"tok_abc"}"#);
    secret.request.query.push(palisade_core::QueryParam { name: "contact".into(), value: "bob@example.org".into() });
    pipeline.process(&secret);
    let delta = pipeline.take_delta();

    let classes: Vec<String> = delta
        .field_classes
        .iter()
        .map(|c| format!("{} {} {} {}", c.section.as_str(), c.path, c.class_id, c.hits))
        .collect();
    assert_eq!(
        classes,
        vec![
            "response.body email email 2",
            "response.body ssn us_ssn 1",
            "request.query contact email 1",
            "response.body token api_token 1",
        ]
    );

    let alerts: Vec<String> =
        delta.alerts.iter().map(|a| format!("{} {} {}", a.kind, a.location.as_deref().unwrap(), a.count)).collect();
    let mut sorted = alerts.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        vec![
            "secret_in_response response.body token 1",
            "sensitive_data_in_response response.body email 2",
            "sensitive_data_in_response response.body ssn 1",
            "sensitive_data_in_url request.query contact 1",
            "unauthenticated_sensitive_data response.body email 1",
            "unauthenticated_sensitive_data response.body ssn 1",
        ]
    );
    let users_endpoint = pipeline.endpoints().iter().find(|e| e.template == "/users/{userId}").unwrap().id.clone();
    let email_alert = delta
        .alerts
        .iter()
        .find(|a| a.kind == "sensitive_data_in_response" && a.data_class.as_deref() == Some("email"))
        .unwrap();
    assert_eq!(email_alert.endpoint_id.as_deref(), Some(users_endpoint.as_str()));
}

#[test]
fn samples_mask_sensitive_values() {
    let mut pipeline = classifying_pipeline();
    pipeline.process(&get("h", "/me", 0, r#"{"email":"ada@example.com"}"#));
    let delta = pipeline.take_delta();
    let sample: Trace = postcard::from_bytes(&delta.samples_added[0].trace).unwrap();
    let body = String::from_utf8(sample.response.unwrap().body.bytes).unwrap();
    assert_eq!(body, r#"{"email":"[email]"}"#);
}

#[test]
fn email_in_path_is_classified() {
    let mut pipeline = classifying_pipeline();
    pipeline.process(&get("h", "/accounts/ada%40example.com", 0, "{}"));
    let delta = pipeline.take_delta();
    let class = delta.field_classes.iter().find(|c| c.section == Section::Path).unwrap();
    assert_eq!((class.path.as_str(), class.class_id.as_str()), ("{1}", "email"));
    assert!(delta.alerts.iter().any(|a| a.kind == "sensitive_data_in_url"));
}

#[test]
fn auth_schemes_are_counted() {
    let mut pipeline = Pipeline::new(PipelineConfig::default());
    let mut anonymous = get("h", "/a", 0, "{}");
    anonymous.request.headers.clear();
    pipeline.process(&anonymous);
    pipeline.process(&get("h", "/a", 0, "{}"));
    pipeline.take_delta();
    let endpoint = pipeline.endpoints()[0];
    assert_eq!(endpoint.auth.count(palisade_core::auth::AuthScheme::None), 1);
    assert_eq!(endpoint.auth.count(palisade_core::auth::AuthScheme::Bearer), 1);
    assert_eq!(endpoint.auth.unauthenticated_success, 1);
}

struct FakeDetector;

impl crate::detect::AttackDetector for FakeDetector {
    fn inspect(&self, trace: &Trace) -> Vec<crate::detect::AttackHit> {
        trace
            .request
            .query
            .iter()
            .filter(|p| p.value.contains("' OR 1=1"))
            .map(|p| crate::detect::AttackHit {
                class: "sqli".into(),
                rule_id: "sqli.test".into(),
                location: format!("query {}", p.name),
                evidence: p.value.clone(),
                confidence: palisade_core::finding::Confidence::High,
                severity: palisade_core::Severity::High,
                injection: true,
            })
            .collect()
    }
}

fn detecting_pipeline() -> Pipeline {
    let detector: std::sync::Arc<dyn crate::detect::AttackDetector> = std::sync::Arc::new(FakeDetector);
    Pipeline::new(PipelineConfig { detector: Some(detector), ..Default::default() })
}

fn from_client(mut trace: Trace, address: &str) -> Trace {
    trace.request.headers.clear();
    trace.meta.client = Some(palisade_core::Peer { address: address.into(), port: None });
    trace
}

#[test]
fn signature_findings_raise_alerts_per_actor() {
    let mut pipeline = detecting_pipeline();
    for i in 0..3 {
        let mut attack = from_client(get("h", "/search", i, "{}"), "203.0.113.9");
        attack.request.query.push(palisade_core::QueryParam { name: "q".into(), value: "x' OR 1=1 --".into() });
        pipeline.process(&attack);
    }
    pipeline.process(&from_client(get("h", "/search", 10, "{}"), "198.51.100.1"));
    let delta = pipeline.take_delta();

    assert_eq!(delta.findings.len(), 3);
    let finding = &delta.findings[0];
    assert_eq!((finding.class.as_str(), finding.location.as_str()), ("sqli", "query q"));
    assert_eq!(finding.actor.as_deref(), Some("ip:203.0.113.9"));
    assert!(finding.endpoint_id.is_some());

    let alerts: Vec<(&str, Option<&str>, u64)> =
        delta.alerts.iter().map(|a| (a.kind.as_str(), a.actor.as_deref(), a.count)).collect();
    assert_eq!(alerts, vec![("attack_sqli", Some("ip:203.0.113.9"), 3)]);

    let actors: Vec<_> = delta.actors.iter().map(|a| (a.id.as_str(), a.requests, a.findings.clone())).collect();
    let no_findings: Vec<(String, u64)> = Vec::new();
    let expected = vec![("ip:198.51.100.1", 1, no_findings), ("ip:203.0.113.9", 3, vec![("sqli".to_string(), 3)])];
    assert_eq!(actors, expected);
}

#[test]
fn scanning_actor_gets_behaviour_findings() {
    let mut pipeline = detecting_pipeline();
    for i in 0..30 {
        let mut probe = from_client(get("h", &format!("/admin-{i}.php"), i * 100, "{}"), "203.0.113.9");
        probe.response.as_mut().unwrap().status = 404;
        pipeline.process(&probe);
    }
    let delta = pipeline.take_delta();
    let behaviour: Vec<&str> =
        delta.findings.iter().filter(|f| f.source == FindingSource::Behaviour).map(|f| f.class.as_str()).collect();
    assert_eq!(behaviour, vec!["not_found_scanning"]);
    assert!(
        delta.alerts.iter().any(|a| a.kind == "not_found_scanning" && a.actor.as_deref() == Some("ip:203.0.113.9"))
    );
}

/// Returns the response body of the first sample in `delta`, as text.
fn sample_response_body(delta: &InventoryDelta) -> String {
    let sample: Trace = postcard::from_bytes(&delta.samples_added[0].trace).unwrap();
    String::from_utf8(sample.response.unwrap().body.bytes).unwrap()
}

#[test]
fn samples_redact_credential_keys_in_json() {
    let cases = [
        (r#"{"user":{"password":"p"}}"#, r#"{"user":{"password":"[redacted]"}}"#),
        (r#"[{"access_token":"t"}]"#, r#"[{"access_token":"[redacted]"}]"#),
        (r#"{"a.token":"t"}"#, r#"{"a.token":"[redacted]"}"#),
        (
            r#"{"f3b2c1d0-1111-4222-8333-944445555666":{"secret":"s"}}"#,
            r#"{"f3b2c1d0-1111-4222-8333-944445555666":{"secret":"[redacted]"}}"#,
        ),
    ];
    for (body, expected) in cases {
        let mut pipeline = Pipeline::new(PipelineConfig::default());
        pipeline.process(&get("h", "/me", 0, body));
        let delta = pipeline.take_delta();
        assert_eq!(sample_response_body(&delta), expected, "{body}");
    }
}

#[test]
fn samples_keep_json_without_credentials() {
    // Key order and spacing show that the body was kept as sent, not re-encoded.
    let body = r#"{"b": 1, "a": ["x", {"tokens": ["t"]}], "authorName": "Ada"}"#;
    let mut pipeline = Pipeline::new(PipelineConfig::default());
    pipeline.process(&get("h", "/me", 0, body));
    let delta = pipeline.take_delta();
    assert_eq!(sample_response_body(&delta), body);
}

#[test]
fn samples_redact_past_field_limit() {
    // Once the endpoint keeps no more fields, a credential key in a new field is still
    // found, because redaction parses the body again.
    let config = PipelineConfig {
        discovery: crate::config::DiscoveryConfig { max_fields_per_endpoint: 1, ..Default::default() },
        ..PipelineConfig::default()
    };
    let mut pipeline = Pipeline::new(config);
    pipeline.process(&get("h", "/me", 0, r#"{"password":"p"}"#));
    let delta = pipeline.take_delta();
    assert_eq!(sample_response_body(&delta), r#"{"password":"[redacted]"}"#);
}

#[test]
fn field_formats_agree_after_mixed() {
    let mut pipeline = Pipeline::new(PipelineConfig::default());
    for (at, value) in [(0, "ada@example.com"), (1, "not an address"), (2, "bob@example.com")] {
        pipeline.process(&get("h", "/me", at, &format!(r#"{{"contact":"{value}"}}"#)));
    }
    let delta = pipeline.take_delta();
    let contact = delta.fields.iter().find(|f| f.key.path == "contact").unwrap();
    assert_eq!((contact.count, contact.format), (3, FormatState::Mixed));

    pipeline.process(&get("h", "/me", 3, r#"{"contact":"eve@example.com"}"#));
    let delta = pipeline.take_delta();
    let contact = delta.fields.iter().find(|f| f.key.path == "contact").unwrap();
    assert_eq!(contact.format, FormatState::One(palisade_core::StringFormat::Email));
}
