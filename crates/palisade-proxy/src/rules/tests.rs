//! Table tests of rule compilation and evaluation.

use std::net::IpAddr;

use serde_json::json;

use super::*;

/// 2026-03-01T10:00:00Z.
const T0: i64 = 1_772_359_200_000;

fn rule_with(id: &str, mode: &str, conditions: serde_json::Value, action: serde_json::Value) -> BlockRule {
    serde_json::from_value(json!({
        "id": id,
        "mode": mode,
        "created_at": "2026-03-01T00:00:00Z",
        "conditions": conditions,
        "action": action,
    }))
    .unwrap()
}

fn block_rule(conditions: serde_json::Value) -> BlockRule {
    rule_with("r", "block", conditions, json!({"block": {}}))
}

fn compile(rules: &[BlockRule]) -> RuleSet {
    RuleSet::compile(rules, &RuleLimits::default()).unwrap()
}

/// An owned request for tests; `view` borrows it.
struct Req {
    method: &'static str,
    host: &'static str,
    path: String,
    headers: Vec<(&'static str, &'static [u8])>,
    query: Vec<(&'static str, &'static str)>,
    body: Option<&'static [u8]>,
    ip: Option<IpAddr>,
    actor: Option<&'static str>,
    session: Option<&'static str>,
}

impl Req {
    fn new() -> Self {
        Self {
            method: "GET",
            host: "api.example.com",
            path: "/users/42".into(),
            headers: vec![("user-agent", b"Mozilla/5.0"), ("x-tenant", b"acme"), ("x-tenant", b"globex")],
            query: vec![("q", "hello world"), ("page", "2")],
            body: Some(br#"{"name":"Ada","role":"admin"}"#),
            ip: Some("203.0.113.9".parse().unwrap()),
            actor: Some("user:alice"),
            session: None,
        }
    }

    fn view(&self) -> RequestView<'_> {
        RequestView {
            method: self.method,
            host: self.host,
            path: &self.path,
            headers: &self.headers,
            query: &self.query,
            body: self.body,
            client_ip: self.ip,
            actor: self.actor,
            session: self.session,
        }
    }
}

fn blocked(rules: &RuleSet, req: &Req) -> bool {
    rules.evaluate(&req.view(), T0, &mut RateState::default()).is_blocked()
}

#[test]
fn every_operator_on_every_field() {
    // (case, condition, matches the request of Req::new())
    let cases = [
        ("host equals", json!({"field": "host", "op": "equals", "value": "api.example.com"}), true),
        ("host equals any case", json!({"field": "host", "op": "equals", "value": "API.Example.com"}), true),
        ("host equals other", json!({"field": "host", "op": "equals", "value": "example.com"}), false),
        ("host ends_with", json!({"field": "host", "op": "ends_with", "value": ".example.com"}), true),
        ("host starts_with", json!({"field": "host", "op": "starts_with", "value": "www."}), false),
        ("path equals", json!({"field": "path", "op": "equals", "value": "/users/42"}), true),
        ("path equals prefix only", json!({"field": "path", "op": "equals", "value": "/users"}), false),
        ("path starts_with", json!({"field": "path", "op": "starts_with", "value": "/users/"}), true),
        ("path starts_with near miss", json!({"field": "path", "op": "starts_with", "value": "/user/"}), false),
        ("path ends_with", json!({"field": "path", "op": "ends_with", "value": "/42"}), true),
        ("path contains", json!({"field": "path", "op": "contains", "value": "ers/4"}), true),
        ("path contains case", json!({"field": "path", "op": "contains", "value": "USERS"}), false),
        (
            "path contains ignore_case",
            json!({"field": "path", "op": "contains", "value": "USERS", "ignore_case": true}),
            true,
        ),
        ("path regex", json!({"field": "path", "op": "regex", "value": "^/users/[0-9]+$"}), true),
        ("path regex near miss", json!({"field": "path", "op": "regex", "value": "^/users/[a-z]+$"}), false),
        ("endpoint template", json!({"field": "endpoint", "op": "equals", "value": "/users/{id}"}), true),
        ("endpoint with method", json!({"field": "endpoint", "op": "equals", "value": "GET /users/{id}"}), true),
        ("endpoint other method", json!({"field": "endpoint", "op": "equals", "value": "DELETE /users/{id}"}), false),
        ("endpoint deeper", json!({"field": "endpoint", "op": "equals", "value": "/users/{id}/orders"}), false),
        ("method equals", json!({"field": "method", "op": "equals", "value": "get"}), true),
        ("method equals other", json!({"field": "method", "op": "equals", "value": "POST"}), false),
        (
            "header equals",
            json!({"field": "header", "name": "User-Agent", "op": "equals", "value": "Mozilla/5.0"}),
            true,
        ),
        (
            "header value case",
            json!({"field": "header", "name": "user-agent", "op": "equals", "value": "mozilla/5.0"}),
            false,
        ),
        (
            "header equals ignore_case",
            json!({"field": "header", "name": "user-agent", "op": "equals", "value": "mozilla/5.0", "ignore_case": true}),
            true,
        ),
        (
            "header second value",
            json!({"field": "header", "name": "X-Tenant", "op": "equals", "value": "globex"}),
            true,
        ),
        ("header missing", json!({"field": "header", "name": "X-Missing", "op": "contains", "value": "a"}), false),
        (
            "header starts_with",
            json!({"field": "header", "name": "user-agent", "op": "starts_with", "value": "Mozilla"}),
            true,
        ),
        ("query equals", json!({"field": "query", "name": "page", "op": "equals", "value": "2"}), true),
        ("query contains decoded", json!({"field": "query", "name": "q", "op": "contains", "value": "o w"}), true),
        ("query name exact", json!({"field": "query", "name": "Page", "op": "equals", "value": "2"}), false),
        ("body contains", json!({"field": "body", "op": "contains", "value": "\"role\":\"admin\""}), true),
        ("body regex", json!({"field": "body", "op": "regex", "value": "\"role\"\\s*:\\s*\"(admin|root)\""}), true),
        ("body near miss", json!({"field": "body", "op": "contains", "value": "\"role\":\"root\""}), false),
        ("ip equals", json!({"field": "ip", "op": "equals", "value": "203.0.113.9"}), true),
        ("ip equals other", json!({"field": "ip", "op": "equals", "value": "203.0.113.10"}), false),
        ("ip in_cidr", json!({"field": "ip", "op": "in_cidr", "value": "203.0.113.0/24"}), true),
        ("ip in_cidr host bits", json!({"field": "ip", "op": "in_cidr", "value": "203.0.113.77/24"}), true),
        ("ip in_cidr outside", json!({"field": "ip", "op": "in_cidr", "value": "198.51.100.0/24"}), false),
        ("ip in_cidr bare address", json!({"field": "ip", "op": "in_cidr", "value": "203.0.113.9"}), true),
        ("ip in_cidr v6 range", json!({"field": "ip", "op": "in_cidr", "value": "2001:db8::/32"}), false),
        ("actor equals", json!({"field": "actor", "op": "equals", "value": "user:alice"}), true),
        ("actor starts_with", json!({"field": "actor", "op": "starts_with", "value": "api_key:"}), false),
    ];
    for (name, condition, expected) in cases {
        let rules = compile(&[block_rule(json!([{"all": [condition.clone()]}]))]);
        assert_eq!(blocked(&rules, &Req::new()), expected, "{name}");

        // The negated condition matches exactly when the plain one does not.
        let mut negated = condition;
        negated["negate"] = json!(true);
        let rules = compile(&[block_rule(json!([{"all": [negated]}]))]);
        assert_eq!(blocked(&rules, &Req::new()), !expected, "{name}, negated");
    }
}

#[test]
fn missing_values_do_not_match() {
    let mut req = Req::new();
    req.ip = None;
    req.actor = None;
    req.body = None;
    let cases = [
        (json!({"field": "ip", "op": "in_cidr", "value": "0.0.0.0/0"}), false),
        (json!({"field": "ip", "op": "in_cidr", "value": "0.0.0.0/0", "negate": true}), true),
        (json!({"field": "actor", "op": "regex", "value": "."}), false),
        (json!({"field": "body", "op": "contains", "value": "a"}), false),
        (json!({"field": "body", "op": "equals", "value": ""}), true),
    ];
    for (condition, expected) in cases {
        let rules = compile(&[block_rule(json!([{"all": [condition.clone()]}]))]);
        assert_eq!(blocked(&rules, &req), expected, "{condition}");
    }
}

#[test]
fn ipv4_mapped_client_matches_ipv4_rules() {
    let mut req = Req::new();
    req.ip = Some("::ffff:203.0.113.9".parse().unwrap());
    for condition in [
        json!({"field": "ip", "op": "equals", "value": "203.0.113.9"}),
        json!({"field": "ip", "op": "in_cidr", "value": "203.0.113.0/24"}),
    ] {
        let rules = compile(&[block_rule(json!([{"all": [condition.clone()]}]))]);
        assert!(blocked(&rules, &req), "{condition}");
    }
}

#[test]
fn group_logic() {
    let admin = json!({"field": "path", "op": "starts_with", "value": "/admin"});
    let users = json!({"field": "path", "op": "starts_with", "value": "/users"});
    let get = json!({"field": "method", "op": "equals", "value": "GET"});
    let post = json!({"field": "method", "op": "equals", "value": "POST"});
    let cases = [
        ("all of two true", json!([{"all": [users, get]}]), true),
        ("all with one false", json!([{"all": [users, post]}]), false),
        ("any with one true", json!([{"any": [admin, users]}]), true),
        ("any of two false", json!([{"any": [admin, post]}]), false),
        ("two groups both true", json!([{"any": [admin, users]}, {"all": [get]}]), true),
        ("two groups one false", json!([{"any": [admin, users]}, {"all": [post]}]), false),
        ("no groups matches all", json!([]), true),
    ];
    for (name, groups, expected) in cases {
        let rules = compile(&[block_rule(groups)]);
        assert_eq!(blocked(&rules, &Req::new()), expected, "{name}");
    }
}

#[test]
fn monitor_mode_only_reports() {
    let path = json!([{"all": [{"field": "path", "op": "starts_with", "value": "/users"}]}]);
    let rules = compile(&[
        rule_with("watch-1", "monitor", path.clone(), json!({"block": {}})),
        rule_with("watch-2", "monitor", path.clone(), json!({"block": {}})),
    ]);
    let decision = rules.evaluate(&Req::new().view(), T0, &mut RateState::default());
    assert_eq!(decision.action, DecisionAction::Monitor("watch-1".into()));
    assert_eq!(decision.monitored, vec!["watch-1".into(), "watch-2".into()] as Vec<std::sync::Arc<str>>);

    // A block-mode rule later in the set still decides.
    let rules = compile(&[
        rule_with("watch", "monitor", path.clone(), json!({"block": {}})),
        rule_with("stop", "block", path, json!({"block": {}})),
    ]);
    let decision = rules.evaluate(&Req::new().view(), T0, &mut RateState::default());
    assert_eq!(decision.action, DecisionAction::Block("stop".into()));
    assert_eq!(decision.monitored.len(), 1);
}

#[test]
fn expiry_and_block_until() {
    let at = |offset_ms: i64| palisade_core::timestamp::format_rfc3339(T0 + offset_ms);
    let make = |expires: Option<String>, until: Option<String>| -> BlockRule {
        let mut rule = block_rule(json!([]));
        rule.expires_at = expires.map(|t| Timestamp(palisade_core::timestamp::parse_rfc3339(&t).unwrap()));
        rule.action = Action::Block(BlockAction {
            until: until.map(|t| Timestamp(palisade_core::timestamp::parse_rfc3339(&t).unwrap())),
        });
        rule
    };
    let cases = [
        ("no end", None, None, true),
        ("expires later", Some(at(1)), None, true),
        ("expires now", Some(at(0)), None, false),
        ("expired", Some(at(-1)), None, false),
        ("until later", None, Some(at(60_000)), true),
        ("until passed", None, Some(at(-60_000)), false),
        ("expires before until", Some(at(-1)), Some(at(60_000)), false),
    ];
    for (name, expires, until, expected) in cases {
        let rules = compile(&[make(expires, until)]);
        assert_eq!(blocked(&rules, &Req::new()), expected, "{name}");
    }
}

#[test]
fn rate_limit_trips_and_expires_with_controlled_clock() {
    let rule = rule_with(
        "login-rate",
        "block",
        json!([{"all": [{"field": "endpoint", "op": "equals", "value": "GET /users/{id}"}]}]),
        json!({"rate_limit": {"threshold": 2, "window_secs": 60, "block_secs": 120, "key": "ip"}}),
    );
    let rules = compile(&[rule]);
    let mut rate = RateState::default();
    let req = Req::new();
    let mut other = Req::new();
    other.ip = Some("198.51.100.1".parse().unwrap());

    // (milliseconds after T0, request, blocked, limited until)
    let steps: [(i64, &Req, bool, Option<i64>); 7] = [
        (0, &req, false, None),
        (1_000, &req, false, None),
        (2_000, &req, true, Some(T0 + 122_000)),
        (3_000, &other, false, None),
        (121_999, &req, true, Some(T0 + 122_000)),
        (122_000, &req, false, None),
        (122_001, &req, false, None),
    ];
    for (offset, request, expected_block, until) in steps {
        let decision = rules.evaluate(&request.view(), T0 + offset, &mut rate);
        assert_eq!(decision.is_blocked(), expected_block, "at +{offset} ms");
        assert_eq!(decision.limited_until_ms, until, "at +{offset} ms");
    }
}

#[test]
fn rate_limit_keys() {
    let make = |key: &str| {
        rule_with(
            "rl",
            "block",
            json!([]),
            json!({"rate_limit": {"threshold": 1, "window_secs": 60, "block_secs": 60, "key": key}}),
        )
    };
    let mut alice = Req::new();
    alice.session = Some("s-1");
    let mut bob_same_ip = Req::new();
    bob_same_ip.actor = Some("user:bob");
    bob_same_ip.session = Some("s-2");

    // (key, second request blocked when it comes from a different actor and session on
    // the same IP)
    let cases = [("ip", true), ("actor", false), ("session", false)];
    for (key, expected) in cases {
        let rules = compile(&[make(key)]);
        let mut rate = RateState::default();
        assert!(!rules.evaluate(&alice.view(), T0, &mut rate).is_blocked(), "{key}: first");
        let second = rules.evaluate(&bob_same_ip.view(), T0 + 1, &mut rate).is_blocked();
        assert_eq!(second, expected, "{key}: second from another actor");
        assert!(rules.evaluate(&alice.view(), T0 + 2, &mut rate).is_blocked(), "{key}: alice again");
    }
}

#[test]
fn monitor_mode_rate_limit_reports_without_blocking() {
    let rule = rule_with(
        "rl",
        "monitor",
        json!([]),
        json!({"rate_limit": {"threshold": 1, "window_secs": 60, "block_secs": 60}}),
    );
    let rules = compile(&[rule]);
    let mut rate = RateState::default();
    let req = Req::new();
    assert_eq!(rules.evaluate(&req.view(), T0, &mut rate).action, DecisionAction::Allow);
    let second = rules.evaluate(&req.view(), T0 + 1, &mut rate);
    assert_eq!(second.action, DecisionAction::Monitor("rl".into()));
    assert_eq!(second.limited_until_ms, Some(T0 + 60_001));
}

#[test]
fn counters_survive_recompiling() {
    let rule = rule_with(
        "rl",
        "block",
        json!([]),
        json!({"rate_limit": {"threshold": 1, "window_secs": 60, "block_secs": 60}}),
    );
    let mut rate = RateState::default();
    let req = Req::new();
    assert!(!compile(std::slice::from_ref(&rule)).evaluate(&req.view(), T0, &mut rate).is_blocked());
    assert!(compile(&[rule]).evaluate(&req.view(), T0 + 1, &mut rate).is_blocked());
}

#[test]
fn compile_errors_name_rule_and_position() {
    let cases = [
        (json!([{"all": [{"field": "path", "op": "regex", "value": "(a{1000}){1000}"}]}]), "compiles to more than"),
        (json!([{"all": [{"field": "path", "op": "regex", "value": "(?<=a)b"}]}]), "column 1"),
        (json!([{"all": [{"field": "path", "op": "regex", "value": "ab(c"}]}]), "column 3"),
        (json!([{"all": [{"field": "path", "op": "regex", "value": "a\\1"}]}]), "backreferences"),
        (
            json!([{"any": [{"field": "path", "op": "equals", "value": "/"}, {"field": "ip", "op": "contains", "value": "1"}]}]),
            "conditions[0].any[1]",
        ),
        (json!([{"all": [{"field": "ip", "op": "in_cidr", "value": "10.0.0.0/33"}]}]), "invalid CIDR range"),
        (json!([{"all": [{"field": "ip", "op": "equals", "value": "10.0.0.0/8"}]}]), "invalid IP address"),
        (json!([{"all": [{"field": "path", "op": "in_cidr", "value": "10.0.0.0/8"}]}]), "does not apply to path"),
        (json!([{"all": [{"field": "header", "op": "equals", "value": "x"}]}]), "missing name"),
        (json!([{"all": [{"field": "path", "name": "x", "op": "equals", "value": "x"}]}]), "unexpected name"),
        (json!([{"all": [{"field": "endpoint", "op": "equals", "value": "users/{id}"}]}]), "invalid endpoint"),
        (json!([{"all": [{"field": "endpoint", "op": "contains", "value": "/users"}]}]), "expected equals"),
        (json!([{"all": [{"field": "body", "op": "contains", "value": ""}]}]), "empty value"),
        (json!([{"all": []}]), "empty group"),
    ];
    for (groups, expected) in cases {
        let mut rule = block_rule(groups.clone());
        rule.id = "hostile-7".into();
        let error = RuleSet::compile(&[rule], &RuleLimits::default()).unwrap_err().to_string();
        assert!(error.contains("\"hostile-7\""), "{groups}: {error}");
        assert!(error.contains(expected), "{groups}: {error}");
    }
}

#[test]
fn compile_rejects_set_level_problems() {
    let rule = block_rule(json!([]));
    let error = RuleSet::compile(&[rule.clone(), rule.clone()], &RuleLimits::default()).unwrap_err();
    assert_eq!(error, RuleError::DuplicateId("r".into()));

    let limits = RuleLimits { max_rules: 1, ..RuleLimits::default() };
    let mut second = rule.clone();
    second.id = "s".into();
    let error = RuleSet::compile(&[rule.clone(), second], &limits).unwrap_err();
    assert_eq!(error, RuleError::TooManyRules { count: 2, max: 1 });

    let zero =
        rule_with("z", "block", json!([]), json!({"rate_limit": {"threshold": 0, "window_secs": 1, "block_secs": 1}}));
    let error = RuleSet::compile(&[zero], &RuleLimits::default()).unwrap_err().to_string();
    assert!(error.contains("action.rate_limit.threshold"), "{error}");

    let long = block_rule(json!([{"all": [{"field": "path", "op": "contains", "value": "x".repeat(5000)}]}]));
    let error = RuleSet::compile(&[long], &RuleLimits::default()).unwrap_err().to_string();
    assert!(error.contains("max_value_bytes"), "{error}");
}

#[test]
fn index_finds_every_matching_rule_among_many() {
    // 1,000 rules of every indexed kind plus unindexed ones; the indexed evaluation must
    // agree with testing each rule alone.
    let mut rules = Vec::new();
    for i in 0..1000 {
        let condition = match i % 10 {
            0 => json!({"field": "ip", "op": "equals", "value": format!("10.0.{}.{}", i / 256, i % 256)}),
            1 => json!({"field": "ip", "op": "in_cidr", "value": format!("10.{}.0.0/16", i % 200)}),
            2 => json!({"field": "actor", "op": "equals", "value": format!("user:u{i}")}),
            3 => json!({"field": "host", "op": "equals", "value": format!("h{i}.example.com")}),
            4 => json!({"field": "path", "op": "starts_with", "value": format!("/p{i}")}),
            5 => json!({"field": "endpoint", "op": "equals", "value": format!("GET /e{i}/{{id}}")}),
            6 => json!({"field": "header", "name": "x-id", "op": "equals", "value": format!("id-{i}")}),
            7 => json!({"field": "method", "op": "equals", "value": if i % 20 == 7 { "PUT" } else { "PATCH" }}),
            8 => json!({"field": "path", "op": "regex", "value": format!("^/r{i}/[0-9]+$")}),
            _ => {
                json!({"field": "header", "name": "User-Agent", "op": "contains", "value": format!("SCAN-{i}"), "ignore_case": true})
            }
        };
        rules.push(rule_with(&format!("r{i}"), "monitor", json!([{"all": [condition]}]), json!({"block": {}})));
    }
    let all = compile(&rules);
    let singles: Vec<RuleSet> = rules.iter().map(|rule| compile(std::slice::from_ref(rule))).collect();

    let requests: Vec<Req> = (0..40)
        .map(|n| {
            // Request n is built to match rule i = 21n, whose kind is n % 10, and may
            // match others too, such as shorter path prefixes.
            let i = n * 21;
            let mut req = Req::new();
            let second_octet = if i % 10 == 0 { 0 } else { i % 200 };
            req.ip = Some(format!("10.{second_octet}.{}.{}", i / 256, i % 256).parse().unwrap());
            req.path = match i % 10 {
                5 => format!("/e{i}/7"),
                8 => format!("/r{i}/12"),
                _ => format!("/p{i}/x"),
            };
            req.method = match i % 10 {
                7 if i % 20 == 7 => "PUT",
                7 => "PATCH",
                5 => "GET",
                _ if n % 3 == 0 => "PUT",
                _ => "GET",
            };
            req.actor = Some(Box::leak(format!("user:u{i}").into_boxed_str()));
            req.host = Box::leak(format!("h{i}.example.com").into_boxed_str());
            let user_agent = Box::leak(format!("Mozilla/5.0 scan-{i}").into_boxed_str());
            req.headers = vec![
                ("x-id", Box::leak(format!("id-{i}").into_boxed_str()).as_bytes()),
                ("user-agent", user_agent.as_bytes()),
            ];
            req
        })
        .collect();
    for req in &requests {
        let decision = all.evaluate(&req.view(), T0, &mut RateState::default());
        let expected: Vec<std::sync::Arc<str>> = singles
            .iter()
            .zip(&rules)
            .filter(|(single, _)| {
                !matches!(single.evaluate(&req.view(), T0, &mut RateState::default()).action, DecisionAction::Allow)
            })
            .map(|(_, rule)| rule.id.as_str().into())
            .collect();
        assert!(!expected.is_empty(), "request for {} matches nothing", req.path);
        assert_eq!(decision.monitored, expected, "request for {}", req.path);
    }
}

#[test]
fn needs_reflect_conditions() {
    let rules = compile(&[block_rule(json!([{"all": [{"field": "path", "op": "equals", "value": "/"}]}]))]);
    assert_eq!(rules.needs(), Needs::default());
    let rules = compile(&[
        block_rule(json!([{"all": [{"field": "body", "op": "contains", "value": "x"}]}])),
        rule_with(
            "s",
            "block",
            json!([{"all": [{"field": "query", "name": "a", "op": "equals", "value": "x"}]}]),
            json!({"rate_limit": {"threshold": 1, "window_secs": 1, "block_secs": 1, "key": "session"}}),
        ),
    ]);
    let needs = rules.needs();
    assert!(needs.body);
    assert!(needs.query);
    assert!(needs.session);
    assert!(!needs.headers);
    assert!(!needs.actor);
}
