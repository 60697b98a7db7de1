//! Wording of the CLI's reports and errors on inputs a new user runs into: a skipped
//! file, an empty inventory, a description file that does not exist.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
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

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn ingest_names_skipped_file() {
    let dir = tempfile::tempdir().unwrap();
    let recordings = fixtures().join("keploy");
    let output = palisade(dir.path(), &["ingest", "--quiet", recordings.to_str().unwrap()]);

    assert!(output.status.success(), "{}", stderr(&output));
    let skipped: Vec<String> =
        stderr(&output).lines().filter(|l| l.starts_with("skipped: ")).map(String::from).collect();
    assert_eq!(skipped.len(), 1, "{}", stderr(&output));
    assert!(skipped[0].contains("test-4.yaml"), "{}", skipped[0]);
}

#[test]
fn ingest_without_endpoints_suggests_traffic() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("settings.json");
    std::fs::write(&file, r#"{"theme": "dark"}"#).unwrap();
    let output = palisade(&dir.path().join("data"), &["ingest", "--quiet", file.to_str().unwrap()]);

    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let report = stdout(&output);
    assert!(report.contains("no endpoints were found"), "{report}");
    assert!(report.contains("palisade ingest FILE"), "{report}");
    assert!(!report.contains("endpoints list"), "{report}");
}

#[test]
fn spec_missing_file_is_not_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("openapi.yaml");
    let missing = missing.to_str().unwrap();
    let cases: &[(&str, &[&str])] = &[
        ("spec import", &["spec", "import", missing]),
        ("spec import --check", &["spec", "import", "--check", missing]),
        ("spec diff", &["spec", "diff", missing, missing]),
    ];
    for (name, args) in cases {
        let output = palisade(&dir.path().join("data"), args);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{name}: {message}");
        assert!(message.starts_with(&format!("error: cannot read {missing}: ")), "{name}: {message}");
        assert!(!message.contains("invalid description"), "{name}: {message}");
    }
}

#[test]
fn spec_unparsable_file_is_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.yaml");
    std::fs::write(&file, "openapi: [\n").unwrap();
    let output = palisade(&dir.path().join("data"), &["spec", "import", "--check", file.to_str().unwrap()]);

    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).starts_with("error: invalid description "), "{}", stderr(&output));
}
