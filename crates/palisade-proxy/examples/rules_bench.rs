//! Measures rule evaluation: the time of `RuleSet::evaluate` per request with 1,000 rules
//! (the mix `scripts/bench-proxy.sh` uses), against an empty rule set and against testing
//! the same rules one by one without the index, in the same process.
//!
//! Usage: `cargo run --release -p palisade-proxy --example rules_bench [ITERATIONS]`

use std::hint::black_box;
use std::time::Instant;

use palisade_proxy::rules::{BlockRule, RateState, RequestView, RuleLimits, RuleSet};
use serde_json::json;

fn rules() -> Vec<BlockRule> {
    (0..1000)
        .map(|i| {
            let (conditions, action) = match i % 10 {
                0..=2 => (json!({"field": "ip", "op": "equals", "value": format!("10.{}.{}.{}", i % 250, i / 250, i % 7 + 1)}), None),
                3 => (json!({"field": "ip", "op": "in_cidr", "value": format!("10.{}.0.0/16", i % 250)}), None),
                4 => (json!({"field": "path", "op": "starts_with", "value": format!("/admin{i}")}), None),
                5 => (json!({"field": "header", "name": "User-Agent", "op": "contains", "value": format!("scanner-{i}")}), None),
                6 => (json!({"field": "path", "op": "regex", "value": format!("^/internal/{i}/[a-z]+$")}), None),
                7 => (json!({"field": "host", "op": "equals", "value": format!("h{i}.example.com")}), None),
                8 => (json!({"field": "endpoint", "op": "equals", "value": format!("POST /orders{i}/{{id}}")}), None),
                _ => (
                    json!({"field": "path", "op": "equals", "value": format!("/login{i}")}),
                    Some(json!({"rate_limit": {"threshold": 100, "window_secs": 60, "block_secs": 60}})),
                ),
            };
            serde_json::from_value(json!({
                "id": format!("bench-{i}"),
                "mode": "block",
                "created_at": "2026-03-01T00:00:00Z",
                "conditions": [{"all": [conditions]}],
                "action": action.unwrap_or(json!({"block": {}})),
            }))
            .expect("rule")
        })
        .collect()
}

/// Nanoseconds per evaluation of `request` against `rules`.
fn time(rules: &RuleSet, request: &RequestView<'_>, iterations: u32) -> f64 {
    let mut rate = RateState::default();
    let started = Instant::now();
    for _ in 0..iterations {
        black_box(rules.evaluate(black_box(request), 1_772_359_200_000, &mut rate));
    }
    started.elapsed().as_nanos() as f64 / f64::from(iterations)
}

fn main() {
    let iterations: u32 = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(200_000);
    let limits = RuleLimits::default();
    let list = rules();
    let indexed = RuleSet::compile(&list, &limits).expect("rules compile");
    let empty = RuleSet::empty();
    let singles: Vec<RuleSet> =
        list.iter().map(|rule| RuleSet::compile(std::slice::from_ref(rule), &limits).expect("rule")).collect();

    let headers: Vec<(&str, &[u8])> = vec![
        ("user-agent", b"Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"),
        ("accept", b"application/json"),
        ("cookie", b"theme=dark; session=9f8e7d6c"),
    ];
    let request = RequestView {
        method: "GET",
        host: "api.example.com",
        path: "/users/42",
        headers: &headers,
        query: &[("expand", "orders"), ("q", "hello world")],
        body: None,
        client_ip: Some("127.0.0.1".parse().expect("address")),
        actor: None,
        session: None,
    };

    let empty_ns = time(&empty, &request, iterations);
    let indexed_ns = time(&indexed, &request, iterations);
    let started = Instant::now();
    let mut rate = RateState::default();
    let linear_iterations = (iterations / 100).max(100);
    for _ in 0..linear_iterations {
        for single in &singles {
            black_box(single.evaluate(black_box(&request), 1_772_359_200_000, &mut rate));
        }
    }
    let linear_ns = started.elapsed().as_nanos() as f64 / f64::from(linear_iterations);

    println!("rules evaluated per request: 1000 (none match)");
    println!("empty rule set:        {empty_ns:>10.0} ns/request");
    println!(
        "1,000 rules, indexed:  {indexed_ns:>10.0} ns/request ({:.1}x the empty set)",
        indexed_ns / empty_ns.max(1.0)
    );
    println!(
        "1,000 rules, one by one: {linear_ns:>8.0} ns/request ({:.1}x the indexed set)",
        linear_ns / indexed_ns.max(1.0)
    );
}
