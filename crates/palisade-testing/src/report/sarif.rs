//! SARIF 2.1.0, as code scanning dashboards read it: one rule per test, one result per
//! failed step, located at the step's first failure in the test file.

use serde_json::{Value, json};

use crate::model::Severity;
use crate::result::{FailureKind, RunReport, StepStatus, TestResult, TestStatus};
use crate::run::failure_position;

pub fn sarif(report: &RunReport) -> String {
    let mut rules = Vec::new();
    let mut rule_ids: Vec<String> = Vec::new();
    let mut results = Vec::new();

    for test in &report.tests {
        let rule_index = match rule_ids.iter().position(|id| *id == test.id) {
            Some(index) => index,
            None => {
                rule_ids.push(test.id.clone());
                rules.push(rule(test));
                rule_ids.len() - 1
            }
        };
        if test.status == TestStatus::Passed {
            continue;
        }
        for error in &test.errors {
            results.push(result(test, rule_index, &error.message, error.position.line, error.position.column));
        }
        for step in test.steps.iter().filter(|s| s.status == StepStatus::Failed) {
            let failing: Vec<_> = step.runs.iter().filter(|r| !r.failures.is_empty()).collect();
            let Some(first) = failing.first().and_then(|r| r.failures.first()) else { continue };
            let request = failing[0].request.as_ref().map(|r| format!(" ({} {})", r.method, r.url)).unwrap_or_default();
            let kind = match first.kind {
                FailureKind::Assertion => "assertion failed",
                FailureKind::Runtime => "runtime error",
            };
            let message = first.message.strip_prefix("assertion failed: ").unwrap_or(&first.message);
            let more = if failing.len() > 1 {
                format!(" ({} of {} requests of the step failed)", failing.len(), step.runs.len())
            } else {
                String::new()
            };
            let text = format!("{} step {}{request}: {kind}: {message}{more}", test.id, step.number);
            let position = failure_position(step);
            results.push(result(test, rule_index, &text, position.line, position.column));
        }
    }

    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "palisade",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "results": results,
            "columnKind": "unicodeCodePoints",
            "invocations": [{ "executionSuccessful": true }],
        }]
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

fn rule(test: &TestResult) -> Value {
    let description = test.name.clone().unwrap_or_else(|| test.id.clone());
    let mut properties = json!({ "tags": test.tags });
    if let Some(severity) = test.severity {
        // GitHub code scanning reads `security-severity` as a CVSS-like score.
        properties["security-severity"] = json!(security_severity(severity));
    }
    json!({
        "id": test.id,
        "name": rule_name(&test.id),
        "shortDescription": { "text": description },
        "defaultConfiguration": { "level": level(test.severity) },
        "properties": properties,
    })
}

fn result(test: &TestResult, rule_index: usize, text: &str, line: u32, column: u32) -> Value {
    json!({
        "ruleId": test.id,
        "ruleIndex": rule_index,
        "kind": "fail",
        "level": level(test.severity),
        "message": { "text": text },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": file_uri(&test.file) },
                "region": { "startLine": line.max(1), "startColumn": column.max(1) }
            }
        }]
    })
}

/// Returns a relative file path with forward slashes, as SARIF's `uri` expects.
fn file_uri(file: &str) -> String {
    let path = file.replace('\\', "/");
    path.strip_prefix("./").unwrap_or(&path).to_string()
}

/// SARIF rule names are identifiers; the test id with other characters replaced.
fn rule_name(id: &str) -> String {
    id.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect()
}

fn level(severity: Option<Severity>) -> &'static str {
    match severity {
        Some(Severity::Critical | Severity::High) => "error",
        Some(Severity::Medium) | None => "warning",
        Some(Severity::Low) => "note",
    }
}

fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}
