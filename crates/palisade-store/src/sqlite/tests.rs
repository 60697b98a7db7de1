use palisade_core::inventory::{
    Endpoint, FieldDelta, FieldKey, FormatState, HostStats, InventoryDelta, PositionStats, RawEndpoint, RawSegment,
    Sample,
};
use palisade_core::{FieldType, ParamEvidence, ParamRule, Section, StringFormat, ValueKind};

use super::*;
use crate::EndpointSort;

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
        endpoints_removed: vec![],
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
