//! Import at the size limits, and inventory reconciliation on an imported description.

use std::time::Instant;

use palisade_core::auth::AuthStats;
use palisade_core::inventory::{Endpoint, RiskScore};
use palisade_openapi::reconcile::reconcile;
use palisade_openapi::{ImportError, ImportSettings, SourceFormat, import, import_file};

#[test]
fn spec_over_default_limit_is_rejected_before_parsing() {
    let settings = ImportSettings::default();
    assert_eq!(settings.max_spec_bytes, 50 * 1024 * 1024);

    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("huge.json");
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(51 * 1024 * 1024).unwrap();
    let error = import_file(&path, &settings).unwrap_err();
    assert_eq!(error, ImportError::TooLarge { bytes: 51 * 1024 * 1024, max: settings.max_spec_bytes });

    let bytes = vec![b' '; 50 * 1024 * 1024 + 1];
    let error = import(&bytes, SourceFormat::Json, &settings).unwrap_err();
    assert!(matches!(error, ImportError::TooLarge { .. }), "{error}");
}

/// A description with `paths` paths, each with a recursive schema and a parameter.
fn generated_spec(paths: usize) -> String {
    let mut out = String::from(r##"{"openapi": "3.1.0", "info": {"title": "big", "version": "1"}, "paths": {"##);
    for index in 0..paths {
        if index > 0 {
            out.push(',');
        }
        out.push_str(&format!(
            r##""/resource{index}/{{id}}": {{"get": {{"parameters": [{{"name": "id", "in": "path", "required": true, "schema": {{"type": "integer"}}}}],
                "responses": {{"200": {{"description": "ok", "content": {{"application/json": {{"schema": {{"$ref": "#/components/schemas/Node"}}}}}}}}}}}}}}"##
        ));
    }
    out.push_str(r##"}, "components": {"schemas": {"Node": {"type": "object", "properties": {"next": {"$ref": "#/components/schemas/Node"}}}}}}"##);
    out
}

#[test]
fn thousands_of_paths_import_and_match() {
    let text = generated_spec(5000);
    let started = Instant::now();
    let spec = import(text.as_bytes(), SourceFormat::Json, &ImportSettings::default()).unwrap();
    let elapsed = started.elapsed();
    assert_eq!(spec.operations.len(), 5000);
    let operation = spec.match_operation("GET", "any.example.com", "/resource4321/7").unwrap();
    assert_eq!(operation.path_template, "/resource4321/{id}");
    // Generous bound for a debug build on a loaded machine; a release build takes tens
    // of milliseconds.
    assert!(elapsed.as_secs() < 60, "import took {elapsed:?}");
}

fn endpoint(method: &str, host: &str, template: &str, hits: u64) -> Endpoint {
    Endpoint {
        id: palisade_core::inventory::endpoint_id(method, host, template),
        host: host.into(),
        method: method.into(),
        template: template.into(),
        params: vec![],
        hits,
        first_seen_ms: 0,
        last_seen_ms: 100,
        raw_count: 1,
        auth: AuthStats::default(),
        risk: RiskScore::default(),
    }
}

#[test]
fn reconcile_finds_shadow_zombie_and_unused() {
    let spec = import(
        br#"{"swagger": "2.0", "host": "api.example.com", "basePath": "/v1",
            "paths": {
              "/users/{id}": {"get": {"responses": {"200": {"description": "ok"}}}},
              "/users/me": {"get": {"deprecated": true, "responses": {"200": {"description": "ok"}}}},
              "/reports": {"get": {"responses": {"200": {"description": "ok"}}}}
            }}"#,
        SourceFormat::Json,
        &ImportSettings::default(),
    )
    .unwrap();
    let endpoints = vec![
        endpoint("GET", "api.example.com", "/v1/users/{userId}", 10),
        endpoint("GET", "api.example.com", "/v1/users/me", 3),
        endpoint("POST", "api.example.com", "/v1/users/{userId}", 2),
        endpoint("GET", "api.example.com", "/internal/debug", 1),
        endpoint("GET", "other.example.com", "/v1/anything", 1),
    ];
    let result = reconcile(&spec, &endpoints);
    let shadow: Vec<(&str, &str)> = result.shadow.iter().map(|s| (s.method.as_str(), s.template.as_str())).collect();
    assert_eq!(shadow, vec![("GET", "/internal/debug"), ("POST", "/v1/users/{userId}")]);
    let zombie: Vec<&str> = result.zombie.iter().map(|z| z.operation.as_str()).collect();
    assert_eq!(zombie, vec!["GET /users/me"]);
    let unused: Vec<&str> = result.unused.iter().map(|u| u.operation.as_str()).collect();
    assert_eq!(unused, vec!["GET /reports"]);
    assert_eq!(result.documented.len(), 2);
}
