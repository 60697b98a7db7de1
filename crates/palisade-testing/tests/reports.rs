//! Metlo-format test files, written as Metlo's documentation shows them, run unchanged
//! against the demo API. The pretty, JUnit and SARIF reports are compared with golden
//! files after durations and ports are normalised. The SARIF report is also validated
//! against the SARIF 2.1.0 schema. Run with `UPDATE_GOLDEN=1` to rewrite the golden files.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use palisade_testing::report::{self, Format};
use palisade_testing::result::TestStatus;
use palisade_testing::{RunReport, RunSettings, Runner, parse_file};
use regex::Regex;
use vulnerable_api::Mode;

const FILES: [&str; 3] =
    ["tests/metlo/login_flow.yaml", "tests/metlo/two_user_bola.yaml", "tests/metlo/payload_fanout.yaml"];

async fn run_against(mode: Mode) -> RunReport {
    let (address, server) = vulnerable_api::spawn(mode).await.expect("demo API starts");
    let tests = FILES.iter().map(|f| parse_file(Path::new(f)).unwrap_or_else(|e| panic!("{f}: {e}"))).collect();
    let overrides = vec![("BASE_URL".to_string(), format!("http://{address}"))];
    let runner = Arc::new(Runner::new(RunSettings::default(), BTreeMap::new(), overrides).unwrap());
    let report = runner.run_all(tests).await;
    server.abort();
    report
}

/// Replaces what changes between runs: durations, times and ports.
fn normalise(text: &str) -> String {
    let rules = [
        (r"127\.0\.0\.1:\d+", "127.0.0.1:PORT"),
        (r"\d+(\.\d+)? ms", "N ms"),
        (r"in \d+\.\d+ s", "in N s"),
        (r#"time="[0-9.]+""#, r#"time="N""#),
    ];
    let mut out = text.to_string();
    for (pattern, replacement) in rules {
        out = Regex::new(pattern).unwrap().replace_all(&out, replacement).into_owned();
    }
    out
}

fn check_golden(name: &str, actual: &str, mismatches: &mut Vec<String>) {
    let path = Path::new("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all("tests/golden").unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    if expected != actual {
        mismatches.push(format!("{}:\n--- expected\n{expected}\n--- actual\n{actual}", path.display()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metlo_files_run_unchanged_with_golden_reports() {
    let report = run_against(Mode::Vulnerable).await;
    let status: Vec<(&str, TestStatus)> = report.tests.iter().map(|t| (t.id.as_str(), t.status)).collect();
    assert_eq!(
        status,
        vec![
            ("demo-login-and-profile", TestStatus::Passed),
            ("demo-orders-bola", TestStatus::Failed),
            ("demo-search-xss", TestStatus::Failed),
        ]
    );

    let mut mismatches = Vec::new();
    check_golden("report.txt", &normalise(&report::render(&report, Format::Pretty)), &mut mismatches);
    check_golden("junit.xml", &normalise(&report::render(&report, Format::Junit)), &mut mismatches);
    check_golden("results.sarif", &normalise(&report::render(&report, Format::Sarif)), &mut mismatches);
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));

    let json: serde_json::Value = serde_json::from_str(&report::render(&report, Format::Json)).unwrap();
    assert_eq!(json["tests"].as_array().unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metlo_files_pass_against_safe_api() {
    let report = run_against(Mode::Safe).await;
    assert_eq!(report.failed(), 0, "{}", report::render(&report, Format::Pretty));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sarif_validates_against_schema() {
    let report = run_against(Mode::Vulnerable).await;
    let sarif: serde_json::Value = serde_json::from_str(&report::render(&report, Format::Sarif)).unwrap();
    let mut schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("tests/fixtures/sarif-schema-2.1.0.json").unwrap()).unwrap();
    // The schema's `language` patterns end in `{2}]?$`. JavaScript reads the lone `]` as
    // a literal, but the meta-schema's regex check rejects it, so it is escaped, which
    // keeps the meaning.
    let replaced = escape_lone_bracket(&mut schema);
    assert!(replaced >= 1, "the schema no longer has the pattern this test works around");
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let errors: Vec<String> =
        validator.iter_errors(&sarif).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    assert!(!sarif["runs"][0]["results"].as_array().unwrap().is_empty());

    // A document that breaks the schema must be caught, or the check above proves nothing.
    let mut broken = sarif.clone();
    broken["runs"][0]["results"][0]["level"] = serde_json::json!("severe");
    assert!(!validator.is_valid(&broken));
}

const LANGUAGE_PATTERN: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";

fn escape_lone_bracket(value: &mut serde_json::Value) -> usize {
    match value {
        serde_json::Value::String(s) if s == LANGUAGE_PATTERN => {
            *s = LANGUAGE_PATTERN.replace("}]?", "}\\]?");
            1
        }
        serde_json::Value::Object(map) => map.values_mut().map(escape_lone_bracket).sum(),
        serde_json::Value::Array(items) => items.iter_mut().map(escape_lone_bracket).sum(),
        _ => 0,
    }
}

#[test]
fn junit_is_well_formed_for_hostile_text() {
    use palisade_testing::result::*;
    let failure = Failure {
        kind: FailureKind::Assertion,
        message: "assertion failed: <script>&\"'\u{1}".into(),
        position: Default::default(),
        assertion: Some(1),
    };
    let test = TestResult {
        file: "a&b.yaml".into(),
        id: "x".into(),
        name: Some("<name>".into()),
        severity: None,
        tags: vec![],
        status: TestStatus::Failed,
        errors: vec![],
        steps: vec![StepResult {
            number: 1,
            position: Default::default(),
            status: StepStatus::Failed,
            runs: vec![StepRun {
                payloads: vec![],
                request: None,
                response: None,
                assertions_passed: 0,
                failures: vec![failure],
            }],
        }],
        duration_ms: 1.0,
        requests: 1,
    };
    let xml = report::junit(&RunReport { tests: vec![test], duration_ms: 1.0, requests: 1 });
    assert!(xml.contains("name=\"x: &lt;name&gt;\""), "{xml}");
    assert!(xml.contains("&lt;script&gt;&amp;&quot;&apos;\u{FFFD}"), "{xml}");
    assert!(!xml.contains("<script>"));
}
