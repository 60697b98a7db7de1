//! The inventory for a set of traffic must not depend on the order traces arrive in.

use std::collections::BTreeMap;

use palisade_analyze::{DiscoveryConfig, Pipeline, PipelineConfig};
use palisade_core::inventory::{FieldKey, FormatState};
use palisade_core::{Body, Header, Request, Response, Trace, TraceMeta, TraceSource};

fn trace(method: &str, path: &str, at: i64, response: String) -> Trace {
    Trace {
        request: Request {
            method: method.into(),
            scheme: "https".into(),
            host: "shop.example.com".into(),
            path: path.into(),
            query: vec![],
            headers: vec![Header::new("Accept", "application/json")],
            content_type: None,
            body: Body::default(),
        },
        response: Some(Response {
            status: 200,
            headers: vec![],
            content_type: Some("application/json".into()),
            body: Body::capped(response.into_bytes(), 1 << 20),
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

/// Traffic with every discovery rule at work: identifier shapes, a literal next to a
/// parameter, word-like values that become a parameter by cardinality, a closed set of
/// literals, and a position that overflows.
fn traffic() -> Vec<Trace> {
    let mut traces = Vec::new();
    let mut at = 1_700_000_000_000;
    let mut next = |method: &str, path: String, body: String| {
        at += 997;
        traces.push(trace(method, &path, at, body));
    };
    for id in 1..=30 {
        next("GET", format!("/api/users/{id}"), format!(r#"{{"id":{id},"email":"u{id}@example.com"}}"#));
        next("GET", format!("/api/users/{id}/orders/{}", id * 7), r#"{"total":1.5,"items":[{"sku":"a"}]}"#.into());
    }
    for _ in 0..25 {
        next("GET", "/api/users/me".into(), r#"{"id":1,"nickname":null}"#.into());
    }
    let names = [
        "ada", "grace", "linus", "barbara", "ken", "dennis", "margaret", "alan", "edsger", "donald", "frances", "john",
    ];
    for name in names {
        next("GET", format!("/api/profiles/{name}"), r#"{"bio":"x"}"#.into());
    }
    for resource in
        ["pods", "nodes", "services", "secrets", "events", "volumes", "jobs", "roles", "leases", "quotas", "limits"]
    {
        for _ in 0..4 {
            next("GET", format!("/api/v1/{resource}"), "[]".into());
        }
    }
    for tag in 0..80 {
        next(
            "GET",
            format!(
                "/tags/tag-{}",
                ["red", "green", "blue", "teal", "gold"][tag % 5].to_string() + &"x".repeat(tag / 5)
            ),
            "{}".into(),
        );
    }
    traces
}

#[derive(Debug, PartialEq)]
struct Snapshot {
    endpoints: Vec<String>,
    fields: BTreeMap<(String, FieldKey), (u64, FormatState, i64, i64)>,
    hourly: BTreeMap<String, u64>,
}

fn run(traces: &[Trace]) -> Snapshot {
    let config = PipelineConfig {
        discovery: DiscoveryConfig { max_distinct_literals: 16, ..DiscoveryConfig::default() },
        ..PipelineConfig::default()
    };
    let mut pipeline = Pipeline::new(config);
    let mut fields = BTreeMap::new();
    let mut hourly_by_raw: Vec<(i64, u64)> = Vec::new();
    let mut raw_fields = Vec::new();
    // Commit in the middle too, as the server does, so merging across commits is covered.
    for (i, trace) in traces.iter().enumerate() {
        pipeline.process(trace);
        if i % 37 == 0 {
            let delta = pipeline.take_delta();
            raw_fields.extend(delta.fields);
            hourly_by_raw.extend(delta.hourly.iter().map(|(raw, _, count)| (*raw, *count)));
        }
    }
    let delta = pipeline.take_delta();
    raw_fields.extend(delta.fields);
    hourly_by_raw.extend(delta.hourly.iter().map(|(raw, _, count)| (*raw, *count)));

    // Raw endpoint ids depend on arrival order; map them to their endpoint's template.
    let endpoints = pipeline.endpoints();
    let mut raw_to_endpoint = BTreeMap::new();
    for endpoint in &endpoints {
        for state in pipeline_raw_ids(&pipeline, &endpoint.id) {
            raw_to_endpoint.insert(state, format!("{} {}", endpoint.method, endpoint.template));
        }
    }
    for field in raw_fields {
        let endpoint = raw_to_endpoint[&field.raw_id].clone();
        let entry = fields.entry((endpoint, field.key)).or_insert((0, FormatState::Unset, i64::MAX, i64::MIN));
        entry.0 += field.count;
        entry.1 = entry.1.merge(field.format);
        entry.2 = entry.2.min(field.first_seen_ms);
        entry.3 = entry.3.max(field.last_seen_ms);
    }
    let mut hourly = BTreeMap::new();
    for (raw, count) in hourly_by_raw {
        *hourly.entry(raw_to_endpoint[&raw].clone()).or_insert(0) += count;
    }

    let endpoints = endpoints
        .iter()
        .map(|e| {
            let params: Vec<String> = e
                .params
                .iter()
                .map(|p| {
                    format!(
                        "{}:{:?}:{:?}:{}:{}:{}",
                        p.name, p.rule, p.kinds, p.distinct_values, p.samples, p.confidence
                    )
                })
                .collect();
            format!(
                "{} {} hits={} first={} last={} params=[{}]",
                e.method,
                e.template,
                e.hits,
                e.first_seen_ms,
                e.last_seen_ms,
                params.join(" ")
            )
        })
        .collect();
    Snapshot { endpoints, fields, hourly }
}

fn pipeline_raw_ids(pipeline: &Pipeline, endpoint_id: &str) -> Vec<i64> {
    pipeline.raw_ids_of(endpoint_id)
}

#[test]
fn shuffled_traffic_gives_the_same_inventory() {
    let traces = traffic();
    let reference = run(&traces);
    assert!(reference.endpoints.iter().any(|e| e.starts_with("GET /api/users/{userId}/orders/{orderId} ")));
    assert!(reference.endpoints.iter().any(|e| e.starts_with("GET /api/users/me ")));
    assert!(reference.endpoints.iter().any(|e| e.starts_with("GET /api/profiles/{profileId} ")));
    assert!(reference.endpoints.iter().any(|e| e.starts_with("GET /api/v1/pods ")));
    assert!(reference.endpoints.iter().any(|e| e.starts_with("GET /tags/{tagId} ")));

    let mut rng = fastrand::Rng::with_seed(7);
    for round in 0..20 {
        let mut shuffled = traces.clone();
        rng.shuffle(&mut shuffled);
        assert_eq!(run(&shuffled), reference, "shuffle {round} changed the inventory");
    }
    let mut reversed = traces.clone();
    reversed.reverse();
    assert_eq!(run(&reversed), reference, "reversed order changed the inventory");
}
