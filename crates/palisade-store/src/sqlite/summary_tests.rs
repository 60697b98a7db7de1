//! Endpoint filters by risk, data class and authentication, and the dashboard aggregates.

use palisade_core::Severity;
use palisade_core::alert::AlertEvent;
use palisade_core::auth::{AuthScheme, AuthStats};
use palisade_core::finding::{Confidence, Finding, FindingSource};
use palisade_core::inventory::{Endpoint, FieldClassDelta, HostStats, InventoryDelta, RawEndpoint, RiskScore};
use palisade_core::{Section, ValueKind};

use super::*;

fn open(dir: &tempfile::TempDir) -> SqliteStore {
    SqliteStore::open(&dir.path().join("palisade.db"), b"test-secret".to_vec()).unwrap()
}

fn raw(id: i64, endpoint_id: &str) -> RawEndpoint {
    RawEndpoint {
        id,
        host: "api.example.com".into(),
        method: "GET".into(),
        segments: vec![palisade_core::inventory::RawSegment::Ident(ValueKind::Integer)],
        hits: 1,
        first_seen_ms: 1_000,
        last_seen_ms: 2_000,
        positions: vec![Default::default()],
        route: false,
        auth: AuthStats::default(),
        endpoint_id: endpoint_id.into(),
    }
}

/// An endpoint with requests with `schemes`, first seen at `first_seen_ms`.
fn endpoint(id: &str, schemes: &[AuthScheme], first_seen_ms: i64) -> Endpoint {
    let mut auth = AuthStats::default();
    for scheme in schemes {
        auth.record(&[*scheme], Some(200));
    }
    Endpoint {
        id: id.into(),
        host: "api.example.com".into(),
        method: "GET".into(),
        template: format!("/{id}"),
        params: Vec::new(),
        hits: 1,
        first_seen_ms,
        last_seen_ms: first_seen_ms + 1,
        raw_count: 1,
        auth,
        risk: RiskScore::default(),
    }
}

fn class(raw_id: i64, path: &str, class_id: &str, severity: Severity, hits: u64, last: i64) -> FieldClassDelta {
    FieldClassDelta {
        raw_id,
        section: Section::ResponseBody,
        path: path.into(),
        status: Some(200),
        content_type: "application/json".into(),
        class_id: class_id.into(),
        severity,
        hits,
        first_hit_ms: 1_000,
        last_hit_ms: last,
    }
}

fn finding(class: &str, at_ms: i64) -> Finding {
    Finding {
        at_ms,
        class: class.into(),
        rule_id: format!("{class}.rule"),
        source: FindingSource::Signature,
        severity: Severity::High,
        confidence: Confidence::High,
        actor: Some("ip:10.0.0.1".into()),
        endpoint_id: Some("e1".into()),
        host: "api.example.com".into(),
        method: "GET".into(),
        path: "/e1".into(),
        location: "request.query q".into(),
        evidence: "' or 1=1".into(),
    }
}

fn alert(kind: &str, severity: Severity, location: &str) -> AlertEvent {
    AlertEvent {
        kind: kind.into(),
        severity,
        endpoint_id: Some("e1".into()),
        host: Some("api.example.com".into()),
        location: Some(location.into()),
        data_class: None,
        actor: None,
        description: format!("{kind} at {location}"),
        count: 1,
        first_seen_ms: 1_000,
        last_seen_ms: 1_000,
    }
}

/// Three endpoints: e1 (bearer, email and a card number marked later), e2 (no
/// credentials, email), e3 (JWT, no classes, first seen late).
fn inventory() -> InventoryDelta {
    InventoryDelta {
        hosts: vec![HostStats { host: "api.example.com".into(), hits: 3, first_seen_ms: 1_000, last_seen_ms: 9_000 }],
        raw_endpoints: vec![raw(1, "e1"), raw(2, "e2"), raw(3, "e3")],
        endpoints: vec![
            endpoint("e1", &[AuthScheme::Bearer], 1_000),
            endpoint("e2", &[AuthScheme::None], 2_000),
            endpoint("e3", &[AuthScheme::Jwt], 9_000),
        ],
        field_classes: vec![
            class(1, "email", "email", Severity::Medium, 4, 3_000),
            class(1, "card", "credit_card_visa", Severity::Critical, 2, 4_000),
            class(2, "contact", "email", Severity::Medium, 1, 5_000),
        ],
        hourly: vec![(1, 0, 2), (2, 3_600_000, 5), (3, 3_600_000, 1), (3, 7_200_000, 4)],
        ..Default::default()
    }
}

/// Stores `scores` as they are, without the risk computation, so bands are known exactly.
fn set_scores(store: &SqliteStore, scores: &[(&str, u32)]) {
    store
        .write(|conn| {
            for (id, score) in scores {
                conn.execute("UPDATE endpoints SET risk_score = ?1 WHERE id = ?2", rusqlite::params![score, id])?;
            }
            Ok(())
        })
        .unwrap();
}

/// Opens a store holding [`inventory`] with risk scores 75, 30 and 0.
fn filled(dir: &tempfile::TempDir, delta: &InventoryDelta) -> SqliteStore {
    let store = open(dir);
    store.apply(delta, None).unwrap();
    set_scores(&store, &[("e1", 75), ("e2", 30), ("e3", 0)]);
    store
}

fn ids(page: &Page<Endpoint>) -> Vec<&str> {
    page.items.iter().map(|e| e.id.as_str()).collect()
}

#[test]
fn endpoint_filters_by_risk_class_and_auth() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(&dir, &inventory());

    let cases: Vec<(&str, EndpointFilter, Vec<&str>)> = vec![
        ("risk at least 30", EndpointFilter { min_risk: Some(30), ..Default::default() }, vec!["e1", "e2"]),
        ("risk at least 31", EndpointFilter { min_risk: Some(31), ..Default::default() }, vec!["e1"]),
        ("class email", EndpointFilter { data_class: Some("email".into()), ..Default::default() }, vec!["e1", "e2"]),
        (
            "class card",
            EndpointFilter { data_class: Some("credit_card_visa".into()), ..Default::default() },
            vec!["e1"],
        ),
        ("class unknown", EndpointFilter { data_class: Some("iban".into()), ..Default::default() }, vec![]),
        ("no credentials", EndpointFilter { auth: Some(AuthScheme::None), ..Default::default() }, vec!["e2"]),
        ("jwt", EndpointFilter { auth: Some(AuthScheme::Jwt), ..Default::default() }, vec!["e3"]),
        ("basic", EndpointFilter { auth: Some(AuthScheme::Basic), ..Default::default() }, vec![]),
        (
            "class and risk together",
            EndpointFilter { data_class: Some("email".into()), min_risk: Some(50), ..Default::default() },
            vec!["e1"],
        ),
    ];
    for (name, filter, expected) in cases {
        let page = store.endpoints(&filter).unwrap();
        assert_eq!(ids(&page), expected, "{name}");
        assert_eq!(page.total, expected.len() as u64, "{name}: total");
    }
}

#[test]
fn class_filter_skips_false_positives() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(&dir, &inventory());
    assert!(store.mark_false_positive("e1", Section::ResponseBody, "card", "credit_card_visa", true, "ada").unwrap());

    let filter = EndpointFilter { data_class: Some("credit_card_visa".into()), ..Default::default() };
    assert_eq!(store.endpoints(&filter).unwrap().total, 0);
}

#[test]
fn summary_counts_bands_alerts_findings() {
    let dir = tempfile::tempdir().unwrap();
    let mut delta = inventory();
    delta.alerts = vec![
        alert("sensitive_data_in_response", Severity::Medium, "response.body email"),
        alert("sensitive_data_in_response", Severity::Critical, "response.body card"),
        alert("attack_sqli", Severity::High, "request.query q"),
    ];
    delta.findings = vec![finding("sqli", 1_000), finding("sqli", 2_000), finding("xss", 3_000)];
    let store = filled(&dir, &delta);

    let summary = store.summary(2_000).unwrap();
    assert_eq!((summary.hosts, summary.endpoints, summary.new_endpoints), (1, 3, 2));
    assert_eq!(summary.risk_bands, [1, 1, 0, 1, 0]);
    let alerts: Vec<(&str, Severity, u64)> =
        summary.open_alerts.iter().map(|a| (a.kind.as_str(), a.severity, a.count)).collect();
    assert_eq!(alerts, vec![("sensitive_data_in_response", Severity::Critical, 2), ("attack_sqli", Severity::High, 1)]);
    assert_eq!(summary.findings_by_class, vec![("sqli".to_string(), 2), ("xss".to_string(), 1)]);
}

#[test]
fn summary_puts_full_score_in_top_band() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(&dir, &inventory());
    set_scores(&store, &[("e3", 100)]);
    assert_eq!(store.summary(0).unwrap().risk_bands, [0, 1, 0, 1, 1]);
}

#[test]
fn traffic_ends_at_latest_hour() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    assert!(store.traffic(24).unwrap().is_empty(), "no traffic, no hours");
    store.apply(&inventory(), None).unwrap();

    assert_eq!(store.traffic(24).unwrap(), vec![(0, 2), (3_600_000, 6), (7_200_000, 4)]);
    assert_eq!(store.traffic(2).unwrap(), vec![(3_600_000, 6), (7_200_000, 4)]);
}

#[test]
fn data_classes_count_endpoints_and_marks() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(&dir, &inventory());
    assert!(store.mark_false_positive("e1", Section::ResponseBody, "card", "credit_card_visa", true, "ada").unwrap());

    let classes = store.data_classes().unwrap();
    let rows: Vec<(&str, u64, u64, u64, u64)> =
        classes.iter().map(|c| (c.class_id.as_str(), c.endpoints, c.locations, c.hits, c.false_positives)).collect();
    assert_eq!(rows, vec![("email", 2, 2, 5, 0), ("credit_card_visa", 0, 0, 0, 1)]);
    assert_eq!(classes[0].last_hit_ms, 5_000);
    assert_eq!(classes[1].severity, Severity::Critical);
}

#[test]
fn class_locations_most_hits_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(&dir, &inventory());

    let page = store.class_locations("email", 10, 0).unwrap();
    assert_eq!(page.total, 2);
    let rows: Vec<(&str, &str, &str, u64)> =
        page.items.iter().map(|l| (l.endpoint_id.as_str(), l.template.as_str(), l.path.as_str(), l.hits)).collect();
    assert_eq!(rows, vec![("e1", "/e1", "email", 4), ("e2", "/e2", "contact", 1)]);

    let second = store.class_locations("email", 1, 1).unwrap();
    assert_eq!((second.total, second.items.len(), second.items[0].endpoint_id.as_str()), (2, 1, "e2"));
    assert_eq!(store.class_locations("iban", 10, 0).unwrap().total, 0);
}
