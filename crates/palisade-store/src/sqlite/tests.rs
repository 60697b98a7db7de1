use palisade_core::Severity;
use palisade_core::alert::{AlertEvent, AlertStatus};
use palisade_core::auth::{AuthScheme, AuthStats};
use palisade_core::inventory::{
    Endpoint, FieldClassDelta, FieldDelta, FieldKey, FormatState, HostStats, InventoryDelta, PositionStats,
    RawEndpoint, RawSegment, RiskScore, Sample,
};
use palisade_core::{FieldType, ParamEvidence, ParamRule, Section, StringFormat, ValueKind};

use super::*;
use crate::{ActorFilter, EndpointSort, FindingFilter};

fn open(dir: &tempfile::TempDir) -> SqliteStore {
    SqliteStore::open(&dir.path().join("palisade.db"), b"test-secret".to_vec()).unwrap()
}

fn raw(id: i64, endpoint_id: &str, hits: u64) -> RawEndpoint {
    RawEndpoint {
        id,
        host: "api.example.com".into(),
        method: "GET".into(),
        segments: vec![RawSegment::Literal("users".into()), RawSegment::Ident(ValueKind::Integer)],
        hits,
        first_seen_ms: 1_000,
        last_seen_ms: 2_000,
        positions: vec![
            PositionStats::default(),
            PositionStats { kinds: vec![(ValueKind::Integer, hits)], ..Default::default() },
        ],
        route: false,
        auth: AuthStats::default(),
        endpoint_id: endpoint_id.into(),
    }
}

fn endpoint(id: &str, template: &str, hits: u64) -> Endpoint {
    Endpoint {
        id: id.into(),
        host: "api.example.com".into(),
        method: "GET".into(),
        template: template.into(),
        params: vec![ParamEvidence {
            position: 1,
            name: "userId".into(),
            rule: ParamRule::Shape,
            kinds: vec![(ValueKind::Integer, hits)],
            distinct_values: 2,
            samples: hits,
            confidence: 1.0,
        }],
        hits,
        first_seen_ms: 1_000,
        last_seen_ms: 2_000,
        raw_count: 1,
        auth: AuthStats::default(),
        risk: RiskScore::default(),
    }
}

fn field(raw_id: i64, path: &str, field_type: FieldType, count: u64, format: FormatState) -> FieldDelta {
    FieldDelta {
        raw_id,
        key: FieldKey {
            section: Section::ResponseBody,
            path: path.into(),
            status: Some(200),
            content_type: "application/json".into(),
            field_type,
        },
        count,
        format,
        first_seen_ms: 1_000,
        last_seen_ms: 2_000,
    }
}

fn delta() -> InventoryDelta {
    InventoryDelta {
        hosts: vec![HostStats { host: "api.example.com".into(), hits: 3, first_seen_ms: 1_000, last_seen_ms: 2_000 }],
        raw_endpoints: vec![raw(1, "e1", 3)],
        hourly: vec![(1, 0, 2), (1, 3_600_000, 1)],
        fields: vec![
            field(1, "email", FieldType::String, 2, FormatState::One(StringFormat::Email)),
            field(1, "email", FieldType::Null, 1, FormatState::Unset),
            field(1, "id", FieldType::Integer, 3, FormatState::Unset),
        ],
        samples_added: vec![Sample { raw_id: 1, hash: u64::MAX - 1, start_ms: 5, trace: vec![1, 2, 3] }],
        samples_removed: vec![],
        endpoints: vec![endpoint("e1", "/users/{userId}", 3)],
        ..Default::default()
    }
}

#[test]
fn apply_and_load_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store.apply(&delta(), Some(7)).unwrap();

    let (state, position) = store.load_inventory().unwrap();
    assert_eq!(position, 7);
    assert_eq!(state.hosts, delta().hosts);
    assert_eq!(state.raw_endpoints, delta().raw_endpoints);
    assert_eq!(state.endpoints, delta().endpoints);
    assert_eq!(state.field_keys.len(), 3);
    assert_eq!(state.sample_hashes, vec![(1, u64::MAX - 1)]);
}

#[test]
fn field_counts_add_up_and_formats_merge() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store.apply(&delta(), None).unwrap();
    let second = InventoryDelta {
        fields: vec![
            field(1, "email", FieldType::String, 1, FormatState::One(StringFormat::Uuid)),
            field(1, "id", FieldType::Integer, 1, FormatState::Unset),
        ],
        hourly: vec![(1, 0, 5)],
        ..Default::default()
    };
    store.apply(&second, None).unwrap();

    let detail = store.endpoint("e1").unwrap().unwrap();
    let summary: Vec<(String, &str, u64, Option<StringFormat>, bool)> =
        detail.fields.iter().map(|f| (f.path.clone(), f.field_type.as_str(), f.count, f.format, f.nullable)).collect();
    assert_eq!(
        summary,
        vec![("email".to_string(), "string", 3, None, true), ("id".to_string(), "integer", 4, None, false)]
    );
    assert_eq!(detail.hourly, vec![(0, 7), (3_600_000, 1)]);
}

#[test]
fn fields_merge_across_raw_endpoints() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut delta = delta();
    delta.raw_endpoints.push(raw(2, "e1", 4));
    delta.fields.push(field(2, "id", FieldType::Integer, 4, FormatState::Unset));
    store.apply(&delta, None).unwrap();
    let detail = store.endpoint("e1").unwrap().unwrap();
    let id = detail.fields.iter().find(|f| f.path == "id").unwrap();
    assert_eq!(id.count, 7);
}

#[test]
fn samples_keep_smallest_hashes_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut delta = delta();
    delta.samples_added = vec![
        Sample { raw_id: 1, hash: 5, start_ms: 10, trace: vec![] },
        Sample { raw_id: 1, hash: u64::MAX, start_ms: 30, trace: vec![] },
        Sample { raw_id: 1, hash: 1 << 63, start_ms: 20, trace: vec![] },
    ];
    store.apply(&delta, None).unwrap();
    let samples = store.samples("e1", 2).unwrap();
    let hashes: Vec<u64> = samples.iter().map(|s| s.hash).collect();
    assert_eq!(hashes, vec![1 << 63, 5]);

    store.apply(&InventoryDelta { samples_removed: vec![(1, 5)], ..Default::default() }, None).unwrap();
    assert_eq!(store.samples("e1", 10).unwrap().len(), 2);
}

#[test]
fn endpoint_listing_filters_sorts_pages() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut delta = delta();
    delta.endpoints = vec![
        endpoint("e1", "/users/{userId}", 3),
        endpoint("e2", "/orders", 9),
        Endpoint { host: "other.example.com".into(), ..endpoint("e3", "/health", 1) },
    ];
    store.apply(&delta, None).unwrap();

    let all = store.endpoints(&EndpointFilter::default()).unwrap();
    assert_eq!(all.total, 3);
    let by_hits =
        store.endpoints(&EndpointFilter { sort: EndpointSort::Hits, limit: 1, ..Default::default() }).unwrap();
    assert_eq!((by_hits.total, by_hits.items[0].id.as_str()), (3, "e2"));

    let host = store.endpoints(&EndpointFilter { host: Some("API.example.com".into()), ..Default::default() }).unwrap();
    assert_eq!(host.total, 2);
    let search = store.endpoints(&EndpointFilter { search: Some("USER".into()), ..Default::default() }).unwrap();
    assert_eq!(search.items.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), vec!["e1"]);
    let wildcard = store.endpoints(&EndpointFilter { search: Some("%".into()), ..Default::default() }).unwrap();
    assert_eq!(wildcard.total, 0, "LIKE wildcards in search text are literal");
    let page = store.endpoints(&EndpointFilter { offset: 2, ..Default::default() }).unwrap();
    assert_eq!((page.total, page.items.len()), (3, 1));
}

#[test]
fn find_endpoint_matches_templates() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut delta = delta();
    delta.endpoints = vec![endpoint("e1", "/users/{userId}", 3), endpoint("e2", "/users/me", 1)];
    store.apply(&delta, None).unwrap();

    let find = |path: &str| store.find_endpoint("get", "api.example.com", path).unwrap().map(|e| e.id);
    assert_eq!(find("/users/42").as_deref(), Some("e1"));
    assert_eq!(find("/users/me").as_deref(), Some("e2"));
    assert_eq!(find("/users/{userId}").as_deref(), Some("e1"));
    assert_eq!(find("/orders"), None);
}

#[test]
fn removed_endpoints_disappear() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store.apply(&delta(), None).unwrap();
    store.apply(&InventoryDelta { endpoints_removed: vec!["e1".into()], ..Default::default() }, None).unwrap();
    assert!(store.endpoint("e1").unwrap().is_none());
}

#[test]
fn keys_authenticate_until_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let (record, secret) = store.create_key("ci", Role::Ingest).unwrap();
    assert!(secret.starts_with(&record.prefix));

    let found = store.authenticate(&secret).unwrap().unwrap();
    assert_eq!((found.id, found.role), (record.id, Role::Ingest));
    assert!(store.authenticate("pal_ingest_wrong").unwrap().is_none());
    assert!(store.list_keys().unwrap()[0].last_used_ms.is_some());

    assert!(store.revoke_key(record.id).unwrap());
    assert!(!store.revoke_key(record.id).unwrap());
    assert!(store.authenticate(&secret).unwrap().is_none());
}

#[test]
fn keys_do_not_work_under_another_secret() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("palisade.db");
    let secret = {
        let store = SqliteStore::open(&path, b"one".to_vec()).unwrap();
        store.create_key("ci", Role::Admin).unwrap().1
    };
    let store = SqliteStore::open(&path, b"two".to_vec()).unwrap();
    assert!(store.authenticate(&secret).unwrap().is_none());
}

#[test]
fn reopen_keeps_data() {
    let dir = tempfile::tempdir().unwrap();
    open(&dir).apply(&delta(), Some(3)).unwrap();
    let (state, position) = open(&dir).load_inventory().unwrap();
    assert_eq!((state.endpoints.len(), position), (1, 3));
}

#[test]
fn newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("palisade.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 999).unwrap();
    }
    let error = SqliteStore::open(&path, vec![]).err().unwrap().to_string();
    assert!(error.contains("schema version 999"), "{error}");
}

fn class(
    raw_id: i64,
    section: Section,
    path: &str,
    class_id: &str,
    severity: Severity,
    hits: u64,
    last: i64,
) -> FieldClassDelta {
    FieldClassDelta {
        raw_id,
        section,
        path: path.into(),
        status: section.is_response().then_some(200),
        content_type: if section == Section::Query { String::new() } else { "application/json".into() },
        class_id: class_id.into(),
        severity,
        hits,
        first_hit_ms: 1_000,
        last_hit_ms: last,
    }
}

fn alert(kind: &str, endpoint: &str, location: &str, count: u64, at: i64) -> AlertEvent {
    AlertEvent {
        kind: kind.into(),
        severity: Severity::High,
        endpoint_id: Some(endpoint.into()),
        host: Some("api.example.com".into()),
        location: Some(location.into()),
        data_class: Some("email".into()),
        actor: None,
        description: format!("{kind} at {location}"),
        count,
        first_seen_ms: at,
        last_seen_ms: at,
    }
}

#[test]
fn classes_report_confidence_and_decay() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut delta = delta();
    delta.field_classes = vec![
        class(1, Section::ResponseBody, "email", "email", Severity::Medium, 2, 2_000),
        class(1, Section::ResponseBody, "id", "us_ssn", Severity::High, 1, 1_000),
    ];
    store.apply(&delta, None).unwrap();

    let detail = store.endpoint("e1").unwrap().unwrap();
    let email = detail.classes.iter().find(|c| c.class_id == "email").unwrap();
    assert_eq!((email.hits, email.observations), (2, 2));
    assert_eq!(email.confidence, 1.0);
    assert!(email.active);
    let ssn = detail.classes.iter().find(|c| c.class_id == "us_ssn").unwrap();
    assert_eq!((ssn.hits, ssn.observations), (1, 3));
    assert!(ssn.active);

    // The id field keeps being seen for more than the decay time without the class.
    let later = 1_000 + 8 * 86_400_000;
    let mut field_delta = field(1, "id", FieldType::Integer, 1, FormatState::Unset);
    field_delta.last_seen_ms = later;
    store
        .apply(
            &InventoryDelta {
                fields: vec![field_delta],
                endpoints: vec![endpoint("e1", "/users/{userId}", 4)],
                ..Default::default()
            },
            None,
        )
        .unwrap();
    let detail = store.endpoint("e1").unwrap().unwrap();
    let ssn = detail.classes.iter().find(|c| c.class_id == "us_ssn").unwrap();
    assert!(!ssn.active, "a class that stopped appearing decays");
}

#[test]
fn risk_factors_add_up_and_marks_remove_classes() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut delta = delta();
    let mut auth = AuthStats::default();
    auth.record(&[AuthScheme::None], Some(200));
    delta.endpoints = vec![Endpoint { method: "POST".into(), auth, ..endpoint("e1", "/users/{userId}", 3) }];
    delta.field_classes = vec![
        class(1, Section::ResponseBody, "card", "credit_card_visa", Severity::Critical, 1, 2_000),
        class(1, Section::Query, "email", "email", Severity::Medium, 1, 2_000),
    ];
    delta.alerts = vec![alert("sensitive_data_in_response", "e1", "response.body card", 1, 2_000)];
    delta.risk_dirty = vec!["e1".into()];
    store.apply(&delta, None).unwrap();

    let listed = store.endpoints(&EndpointFilter { sort: EndpointSort::Risk, ..Default::default() }).unwrap();
    let risk = &listed.items[0].risk;
    let factors: Vec<(&str, u32)> = risk.factors.iter().map(|f| (f.name.as_str(), f.contribution)).collect();
    assert_eq!(
        factors,
        vec![
            ("sensitive_data_returned", 40),
            ("unauthenticated_access", 20),
            ("sensitive_data_without_auth", 15),
            ("sensitive_data_in_url", 15),
            ("write_method", 10),
            ("open_alerts", 5),
        ]
    );
    assert_eq!(risk.score, 100);

    assert!(store.mark_false_positive("e1", Section::ResponseBody, "card", "credit_card_visa", true, "ada").unwrap());
    let detail = store.endpoint("e1").unwrap().unwrap();
    assert!(detail.classes.iter().find(|c| c.class_id == "credit_card_visa").unwrap().false_positive);
    let names: Vec<&str> = detail.endpoint.risk.factors.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, vec!["unauthenticated_access", "sensitive_data_in_url", "write_method", "open_alerts"]);
    assert_eq!(detail.endpoint.risk.score, 50);
    assert!(!store.mark_false_positive("e1", Section::ResponseBody, "nope", "email", true, "ada").unwrap());

    // The mark survives more traffic.
    store
        .apply(
            &InventoryDelta {
                field_classes: vec![class(
                    1,
                    Section::ResponseBody,
                    "card",
                    "credit_card_visa",
                    Severity::Critical,
                    1,
                    3_000,
                )],
                endpoints: vec![endpoint("e1", "/users/{userId}", 4)],
                ..Default::default()
            },
            None,
        )
        .unwrap();
    let detail = store.endpoint("e1").unwrap().unwrap();
    assert!(detail.classes.iter().find(|c| c.class_id == "credit_card_visa").unwrap().false_positive);
}

#[test]
fn alerts_deduplicate_and_change_status() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut delta = delta();
    delta.alerts = vec![alert("secret_in_response", "e1", "response.body token", 2, 5_000)];
    let opened = store.apply(&delta, None).unwrap();
    assert_eq!(opened.len(), 1, "a new alert is reported as opened");
    let again = InventoryDelta {
        alerts: vec![alert("secret_in_response", "e1", "response.body token", 1, 6_000)],
        ..Default::default()
    };
    assert!(store.apply(&again, None).unwrap().is_empty(), "a repeat of an open alert is not reported");

    let page = store.alerts(&AlertFilter::default()).unwrap();
    assert_eq!(page.total, 1);
    let stored = &page.items[0];
    assert_eq!((stored.count, stored.first_seen_ms, stored.last_seen_ms), (3, 5_000, 6_000));
    assert_eq!(stored.status, AlertStatus::Open);

    let resolved = store.set_alert_status(stored.id, AlertStatus::Resolved).unwrap().unwrap();
    assert_eq!(resolved.status, AlertStatus::Resolved);
    let open = store.alerts(&AlertFilter { status: Some(AlertStatus::Open), ..Default::default() }).unwrap();
    assert_eq!(open.total, 0);

    // Occurring again after it was resolved opens it again; ignored ones stay ignored.
    let future = palisade_core::timestamp::now_ms() + 60_000;
    let reopened = store
        .apply(
            &InventoryDelta {
                alerts: vec![alert("secret_in_response", "e1", "response.body token", 1, future)],
                ..Default::default()
            },
            None,
        )
        .unwrap();
    assert_eq!(reopened.iter().map(|a| a.id).collect::<Vec<_>>(), vec![stored.id]);
    assert_eq!(store.alert(stored.id).unwrap().unwrap().status, AlertStatus::Open);
    store.set_alert_status(stored.id, AlertStatus::Ignored).unwrap();
    store
        .apply(
            &InventoryDelta {
                alerts: vec![alert("secret_in_response", "e1", "response.body token", 1, future + 1)],
                ..Default::default()
            },
            None,
        )
        .unwrap();
    assert_eq!(store.alert(stored.id).unwrap().unwrap().status, AlertStatus::Ignored);
    assert!(store.set_alert_status(999, AlertStatus::Resolved).unwrap().is_none());
}

#[test]
fn endpoint_moves_carry_alerts_and_marks() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut delta = delta();
    delta.field_classes = vec![class(1, Section::ResponseBody, "email", "email", Severity::Medium, 1, 2_000)];
    delta.alerts = vec![
        alert("sensitive_data_in_response", "e1", "response.body email", 2, 1_000),
        alert("sensitive_data_in_response", "e2", "response.body email", 3, 2_000),
    ];
    store.apply(&delta, None).unwrap();
    store.mark_false_positive("e1", Section::ResponseBody, "email", "email", true, "ada").unwrap();

    let mut raw_moved = raw(1, "e2", 3);
    raw_moved.hits = 3;
    let moved = InventoryDelta {
        raw_endpoints: vec![raw_moved],
        endpoints: vec![endpoint("e2", "/users/{userId}", 3)],
        endpoints_removed: vec!["e1".into()],
        endpoint_moves: vec![("e1".into(), "e2".into())],
        ..Default::default()
    };
    store.apply(&moved, None).unwrap();
    let page = store.alerts(&AlertFilter::default()).unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.items[0].endpoint_id.as_deref(), Some("e2"));
    assert_eq!(page.items[0].count, 5);
    let detail = store.endpoint("e2").unwrap().unwrap();
    assert!(detail.classes[0].false_positive, "marks follow the endpoint");
}

fn finding(at: i64, actor: &str, class: &str) -> palisade_core::finding::Finding {
    palisade_core::finding::Finding {
        at_ms: at,
        class: class.into(),
        rule_id: format!("{class}.test"),
        source: palisade_core::finding::FindingSource::Signature,
        severity: Severity::High,
        confidence: palisade_core::finding::Confidence::High,
        actor: Some(actor.into()),
        endpoint_id: Some("e1".into()),
        host: "api.example.com".into(),
        method: "GET".into(),
        path: "/users/1".into(),
        location: "query q".into(),
        evidence: "' OR 1=1".into(),
    }
}

fn actor_delta(id: &str, requests: u64, at: i64, findings: &[(&str, u64)]) -> palisade_core::actor::ActorDelta {
    palisade_core::actor::ActorDelta {
        id: id.into(),
        kind: palisade_core::actor::ActorKind::Ip,
        requests,
        first_seen_ms: at,
        last_seen_ms: at,
        last_ip: Some(id.trim_start_matches("ip:").into()),
        findings: findings.iter().map(|(c, n)| (c.to_string(), *n)).collect(),
    }
}

#[test]
fn actors_accumulate_with_a_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let first = InventoryDelta {
        findings: vec![finding(1_000, "ip:1.2.3.4", "sqli"), finding(2_000, "ip:1.2.3.4", "xss")],
        actors: vec![
            actor_delta("ip:1.2.3.4", 5, 1_000, &[("sqli", 1), ("xss", 1)]),
            actor_delta("ip:5.6.7.8", 2, 1_500, &[]),
        ],
        alerts: vec![AlertEvent {
            actor: Some("ip:1.2.3.4".into()),
            ..alert("attack_sqli", "e1", "query q", 1, 1_000)
        }],
        ..Default::default()
    };
    store.apply(&first, None).unwrap();
    let second = InventoryDelta {
        findings: vec![finding(3_000, "ip:1.2.3.4", "sqli")],
        actors: vec![actor_delta("ip:1.2.3.4", 1, 3_000, &[("sqli", 1)])],
        ..Default::default()
    };
    store.apply(&second, None).unwrap();

    let detail = store.actor("ip:1.2.3.4", 100).unwrap().unwrap();
    assert_eq!(detail.actor.requests, 6);
    assert_eq!((detail.actor.first_seen_ms, detail.actor.last_seen_ms), (1_000, 3_000));
    assert_eq!(detail.actor.findings, vec![("sqli".to_string(), 2), ("xss".to_string(), 1)]);
    let times: Vec<i64> = detail.findings.iter().map(|f| f.at_ms).collect();
    assert_eq!(times, vec![1_000, 2_000, 3_000]);
    assert_eq!(detail.alerts.len(), 1);

    let with_findings = store.actors(&ActorFilter { with_findings_only: true, ..Default::default() }).unwrap();
    assert_eq!(with_findings.total, 1);
    assert_eq!(store.actors(&ActorFilter::default()).unwrap().total, 2);
    let sqli = store.findings(&FindingFilter { class: Some("sqli".into()), ..Default::default() }).unwrap();
    assert_eq!(sqli.total, 2);
    assert!(store.actor("ip:9.9.9.9", 10).unwrap().is_none());
}

#[test]
fn findings_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    store.set_max_findings(3);
    let findings: Vec<_> = (0..5).map(|i| finding(i, "ip:1", "sqli")).collect();
    store.apply(&InventoryDelta { findings, ..Default::default() }, None).unwrap();
    let page = store.findings(&FindingFilter { oldest_first: true, ..Default::default() }).unwrap();
    assert_eq!(page.items.iter().map(|f| f.at_ms).collect::<Vec<_>>(), vec![2, 3, 4]);
}

#[test]
fn users_and_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let user = store.create_user("ada", Role::Analyst, "$argon2id$stub").unwrap();
    assert!(store.create_user("ada", Role::Viewer, "x").is_err(), "names are unique");
    assert!(store.create_user("bad name", Role::Viewer, "x").is_err());
    assert!(store.create_user("ingester", Role::Ingest, "x").is_err());

    let (found, hash) = store.find_user("ada").unwrap().unwrap();
    assert_eq!((found.id, hash.as_str()), (user.id, "$argon2id$stub"));

    let (token, session) = store.create_session(user.id, 60_000).unwrap();
    assert_eq!(session.user.name, "ada");
    assert_eq!(session.csrf_token.len(), 64);
    let again = store.session(&token).unwrap().unwrap();
    assert_eq!(again.csrf_token, session.csrf_token);
    assert!(store.session("not-a-token").unwrap().is_none());

    let (expired, _) = store.create_session(user.id, -1).unwrap();
    assert!(store.session(&expired).unwrap().is_none(), "expired sessions do not count");

    assert!(store.set_user_role("ada", Role::Admin).unwrap());
    assert_eq!(store.session(&token).unwrap().unwrap().user.role, Role::Admin);
    assert!(store.delete_session(&token).unwrap());
    assert!(store.session(&token).unwrap().is_none());

    let (token, _) = store.create_session(user.id, 60_000).unwrap();
    assert!(store.set_user_password("ada", "$argon2id$other").unwrap());
    assert!(store.session(&token).unwrap().is_none(), "a new password ends the user's sessions");

    let error = store.delete_user("ada").unwrap_err().to_string();
    assert!(error.contains("only admin"), "{error}");
    assert!(store.set_user_role("ada", Role::Viewer).is_err(), "the only admin keeps the role");
    store.create_user("grace", Role::Admin, "x").unwrap();
    let (token, _) = store.create_session(user.id, 60_000).unwrap();
    assert!(store.delete_user("ada").unwrap());
    assert!(store.session(&token).unwrap().is_none(), "deleting a user ends their sessions");
}

#[test]
fn test_runs_keep_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let run = |failed| crate::TestRunSummary {
        id: 0,
        received_ms: 0,
        runner: "palisade".into(),
        version: "0.1.0".into(),
        passed: 3,
        failed,
        requests: 7,
        duration_ms: 12.5,
        submitted_by: "ci".into(),
    };
    for failed in 0..4 {
        store.insert_test_run(&run(failed), &format!("{{\"failed\":{failed}}}"), 3).unwrap();
    }
    let page = store.test_runs(10, 0).unwrap();
    assert_eq!(page.total, 3, "the oldest run beyond max_runs is deleted");
    assert_eq!(page.items.iter().map(|r| r.failed).collect::<Vec<_>>(), vec![3, 2, 1]);
    let (summary, document) = store.test_run(page.items[0].id).unwrap().unwrap();
    assert_eq!((summary.requests, document.as_str()), (7, "{\"failed\":3}"));
    assert!(store.test_run(9999).unwrap().is_none());
}

#[test]
fn block_rules_insert_replace_delete() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let rule =
        crate::StoredRule { id: "r1".into(), document: "{}".into(), created_ms: 1, updated_ms: 1, expires_ms: None };
    assert!(store.put_rule(&rule).unwrap());
    let changed = crate::StoredRule { document: "{\"mode\":\"block\"}".into(), updated_ms: 2, created_ms: 99, ..rule };
    assert!(!store.put_rule(&changed).unwrap(), "same id replaces");
    let rules = store.rules().unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!((rules[0].created_ms, rules[0].updated_ms), (1, 2), "creation time is kept");
    assert!(store.delete_rule("r1").unwrap());
    assert!(!store.delete_rule("r1").unwrap());
}
