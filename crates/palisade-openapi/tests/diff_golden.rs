//! Spec diff against golden files. Set `UPDATE_GOLDEN=1` to rewrite them after a
//! deliberate change, then review the diff of the golden files.

use std::path::{Path, PathBuf};

use palisade_openapi::diff::diff;
use palisade_openapi::{ImportSettings, import_file};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/diff").join(name)
}

fn check_golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    assert_eq!(actual, expected, "output differs from {}", path.display());
}

fn shop_report() -> palisade_openapi::diff::DiffReport {
    let settings = ImportSettings::default();
    let old = import_file(&fixture("old.yaml"), &settings).unwrap();
    let new = import_file(&fixture("new.yaml"), &settings).unwrap();
    diff(&old, &new)
}

#[test]
fn shop_diff_matches_golden_text() {
    check_golden("diff-shop.txt", &shop_report().to_text());
}

#[test]
fn shop_diff_matches_golden_json() {
    let json = serde_json::to_string_pretty(&shop_report()).unwrap() + "\n";
    check_golden("diff-shop.json", &json);
}

#[test]
fn shop_diff_finds_each_kind() {
    let report = shop_report();
    let kinds: Vec<(&str, bool)> = report.changes.iter().map(|c| (c.id, c.breaking)).collect();
    let expected = [
        ("operation-removed", true),
        ("required-parameter-added", true),
        ("request-bound-tightened", true),
        ("request-enum-value-removed", true),
        ("request-body-became-required", true),
        ("request-type-narrowed", true),
        ("request-required-property-added", true),
        ("response-status-removed", true),
        ("response-type-widened", true),
        ("response-property-removed", true),
        ("response-property-became-optional", true),
        ("operation-added", false),
        ("operation-deprecated", false),
        ("optional-parameter-added", false),
        ("parameter-removed", false),
        ("request-enum-value-added", false),
        ("request-property-removed", false),
        ("response-property-added", false),
        ("response-status-added", false),
    ];
    for kind in expected {
        assert!(kinds.contains(&kind), "missing {kind:?} in {kinds:?}");
    }
    assert_eq!(report.breaking(), report.changes.iter().filter(|c| c.breaking).count());
}

#[test]
fn same_spec_has_no_changes() {
    let settings = ImportSettings::default();
    let old = import_file(&fixture("old.yaml"), &settings).unwrap();
    let report = diff(&old, &old);
    assert!(report.changes.is_empty(), "{:?}", report.changes);
    assert_eq!(report.to_text(), "0 breaking, 0 non-breaking changes\n");
}
