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
