//! `palisade spec export|import|diff` on a real data directory and real files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn palisade(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_palisade"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("PALISADE_CONFIG")
        .output()
        .expect("palisade runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A data directory with the shop HAR fixture ingested, and its first host.
fn shop_inventory() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let har = repository().join("tests/fixtures/har/shop-chromium.har");
    let output = palisade(dir.path(), &["ingest", "--quiet", har.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let hosts = palisade(dir.path(), &["hosts", "--format", "json"]);
    let hosts: Value = serde_json::from_slice(&hosts.stdout).unwrap();
    let host = hosts[0]["host"].as_str().expect("one host").to_string();
    (dir, host)
}

/// Python with `openapi_spec_validator`, as scripts/setup.sh installs it in `.venv`.
fn validator_python() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("PALISADE_PYTHON").map(PathBuf::from),
        Some(repository().join(".venv/bin/python")),
        Some(PathBuf::from("python3")),
    ];
    candidates.into_iter().flatten().find(|python| {
        Command::new(python)
            .args(["-c", "import openapi_spec_validator"])
            .output()
            .is_ok_and(|output| output.status.success())
    })
}

#[test]
fn export_is_deterministic_valid_and_imports_back() {
    let (dir, host) = shop_inventory();
    let first = dir.path().join("first.json");
    let second = dir.path().join("second.json");
    for out in [&first, &second] {
        let output = palisade(dir.path(), &["spec", "export", "--host", &host, "--out", out.to_str().unwrap()]);
        assert!(output.status.success(), "{}", stderr(&output));
    }
    let first_bytes = std::fs::read(&first).unwrap();
    assert_eq!(first_bytes, std::fs::read(&second).unwrap(), "two exports of one inventory differ");

    let document: Value = serde_json::from_slice(&first_bytes).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    assert!(!document["paths"].as_object().unwrap().is_empty());

    let imported = palisade(dir.path(), &["spec", "import", first.to_str().unwrap(), "--format", "json"]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    let model: Value = serde_json::from_slice(&imported.stdout).unwrap();
    assert_eq!(model["hosts"][0], Value::String(host.to_ascii_lowercase()));

    let same = palisade(dir.path(), &["spec", "diff", first.to_str().unwrap(), second.to_str().unwrap()]);
    assert_eq!(same.status.code(), Some(0), "{}", stderr(&same));

    match validator_python() {
        Some(python) => {
            let output = Command::new(python).args(["-m", "openapi_spec_validator"]).arg(&first).output().unwrap();
            assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stdout));
        }
        None => eprintln!("skipped validation: no python with openapi_spec_validator"),
    }
}

#[test]
fn export_of_unknown_host_names_the_hosts() {
    let (dir, host) = shop_inventory();
    let output = palisade(dir.path(), &["spec", "export", "--host", "nowhere.example"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains(&host), "{}", stderr(&output));
}

#[test]
fn diff_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = repository().join("crates/palisade-openapi/tests/fixtures/diff");
    let old = fixtures.join("old.yaml");
    let new = fixtures.join("new.yaml");
    let invalid = dir.path().join("invalid.json");
    std::fs::write(&invalid, r#"{"openapi": "3.0.0", "paths": {"/a": {"get": {"responses": {"20": {}}}}}}"#).unwrap();

    let breaking = palisade(dir.path(), &["spec", "diff", old.to_str().unwrap(), new.to_str().unwrap()]);
    assert_eq!(breaking.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&breaking.stdout).ends_with("16 breaking, 9 non-breaking changes\n"));

    let json =
        palisade(dir.path(), &["spec", "diff", old.to_str().unwrap(), new.to_str().unwrap(), "--format", "json"]);
    assert_eq!(json.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["changes"].as_array().unwrap().len(), 25);

    let unchanged = palisade(dir.path(), &["spec", "diff", old.to_str().unwrap(), old.to_str().unwrap()]);
    assert_eq!(unchanged.status.code(), Some(0));

    let bad = palisade(dir.path(), &["spec", "diff", old.to_str().unwrap(), invalid.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("/paths/~1a/get/responses/20"), "{}", stderr(&bad));
}

#[test]
fn import_summary_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let old = repository().join("crates/palisade-openapi/tests/fixtures/diff/old.yaml");
    let output = palisade(dir.path(), &["spec", "import", old.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("4 (0 deprecated)"), "{text}");

    let external = dir.path().join("external.yaml");
    std::fs::write(&external, "openapi: 3.1.0\npaths:\n  /a:\n    $ref: 'other.yaml#/paths/a'\n").unwrap();
    let output = palisade(dir.path(), &["spec", "import", external.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("unsupported reference \"other.yaml#/paths/a\" at /paths/~1a"),
        "{}",
        stderr(&output)
    );
}
