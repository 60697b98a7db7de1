use palisade_core::auth::AuthStats;
use palisade_core::inventory::{Endpoint, RiskScore};
use palisade_store::{SqliteStore, Store};

use super::*;

const SHOP: &str = "openapi: 3.1.0
info: {title: Shop, version: '2.1'}
servers: [{url: 'https://shop.example.com/v1'}]
paths:
  /items:
    get:
      operationId: listItems
      responses: {'200': {description: ok}}
  /items/{id}:
    get:
      operationId: getItem
      parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
      responses: {'200': {description: ok}}
  /legacy:
    get:
      deprecated: true
      responses: {'200': {description: ok}}
";

fn endpoint(method: &str, host: &str, template: &str, last_seen_ms: i64) -> Endpoint {
    Endpoint {
        id: format!("{method} {host}{template}"),
        host: host.to_string(),
        method: method.to_string(),
        template: template.to_string(),
        params: Vec::new(),
        hits: 3,
        first_seen_ms: last_seen_ms,
        last_seen_ms,
        raw_count: 1,
        auth: AuthStats::default(),
        risk: RiskScore::default(),
    }
}

fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("palisade.db"), b"secret".to_vec()).unwrap();
    (dir, store)
}

#[test]
fn saved_spec_loads_back() {
    let (_dir, store) = store();
    let spec = import(SHOP.as_bytes(), SourceFormat::Yaml, &ImportSettings::default()).unwrap();
    let stored = save_spec(&store, &spec).unwrap();
    assert_eq!(stored.title, "Shop");
    assert_eq!(stored.hosts, vec!["shop.example.com".to_string()]);
    assert_eq!(stored.operations, 3);

    let (set, skipped) = SpecSet::load(&store, &ImportSettings::default()).unwrap();
    assert!(skipped.is_empty());
    assert_eq!(set.specs().len(), 1);
    assert_eq!(set.get(stored.id).unwrap().spec.operations.len(), 3);
}

#[test]
fn merge_follows_spec_templates() {
    let (_dir, store) = store();
    let spec = import(SHOP.as_bytes(), SourceFormat::Yaml, &ImportSettings::default()).unwrap();
    let stored = save_spec(&store, &spec).unwrap();
    let (set, _) = SpecSet::load(&store, &ImportSettings::default()).unwrap();

    let merge = set.merge_for(&endpoint("GET", "shop.example.com", "/v1/items/{itemId}", 0)).unwrap();
    assert_eq!(merge.spec_id, stored.id);
    assert_eq!(merge.path_template, "/items/{id}");
    assert_eq!(merge.operation_pointer, "/paths/~1items~1{id}/get");
    assert_eq!(merge.operation_id.as_deref(), Some("getItem"));
    assert!(!merge.deprecated);

    assert!(set.merge_for(&endpoint("POST", "shop.example.com", "/v1/items", 0)).is_none(), "method differs");
    assert!(set.merge_for(&endpoint("GET", "other.example.com", "/v1/items", 0)).is_none(), "host differs");

    store.delete_spec(stored.id).unwrap();
    let (set, _) = SpecSet::load(&store, &ImportSettings::default()).unwrap();
    assert!(set.merge_for(&endpoint("GET", "shop.example.com", "/v1/items/{itemId}", 0)).is_none());
}

#[test]
fn reconcile_report_lists_stale_operations() {
    let spec = import(SHOP.as_bytes(), SourceFormat::Yaml, &ImportSettings::default()).unwrap();
    let loaded = LoadedSpec { stored: stored_spec(&spec), spec };
    let now = 100 * DAY_MS;
    let endpoints = vec![
        endpoint("GET", "shop.example.com", "/v1/items", now - DAY_MS),
        endpoint("GET", "shop.example.com", "/v1/legacy", now - 40 * DAY_MS),
        endpoint("DELETE", "shop.example.com", "/v1/items/{itemId}", now),
        endpoint("GET", "other.example.com", "/v1/orders", now),
    ];
    let report = reconcile_report(&loaded, &endpoints, 30, now);

    let shadow: Vec<&str> = report.shadow.iter().map(|s| s.template.as_str()).collect();
    assert_eq!(shadow, vec!["/v1/items/{itemId}"], "other hosts are not the description's");
    assert_eq!(report.zombie.len(), 1);
    assert_eq!(report.zombie[0].operation, "GET /legacy");
    assert_eq!(report.documented, 2);

    let never: Vec<&str> = report.unused.iter().filter(|u| !u.zombie_candidate).map(|u| u.operation.as_str()).collect();
    assert_eq!(never, vec!["GET /items/{id}"]);
    let stale: Vec<&UnusedEntry> = report.unused.iter().filter(|u| u.zombie_candidate).collect();
    assert_eq!(stale.len(), 1);
    assert_eq!(stale[0].operation, "GET /legacy");
    assert_eq!(stale[0].last_seen_ms, Some(now - 40 * DAY_MS));
}
