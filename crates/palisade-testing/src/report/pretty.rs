//! The human-readable report: one line per test, and for failed tests the failing steps
//! with the request, the response status and each failure pointing into the file.

use std::fmt::Write;

use crate::result::{FailureKind, RunReport, StepStatus, TestResult, TestStatus};

/// Failing runs shown per step; the rest are counted.
const MAX_RUNS_SHOWN: usize = 5;

pub fn pretty(report: &RunReport) -> String {
    let mut out = String::new();
    for test in &report.tests {
        write_test(&mut out, test);
    }
    let _ = writeln!(
        out,
        "\n{}: {} passed, {} failed; {} in {:.2} s",
        count(report.tests.len(), "test"),
        report.passed(),
        report.failed(),
        count(report.requests as usize, "request"),
        report.duration_ms / 1000.0
    );
    out
}

/// `1 step`, `2 steps`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

fn write_test(out: &mut String, test: &TestResult) {
    let verdict = match test.status {
        TestStatus::Passed => "PASS",
        TestStatus::Failed => "FAIL",
    };
    let name = test.name.as_deref().map(|n| format!(" \"{n}\"")).unwrap_or_default();
    let severity = test.severity.map(|s| format!(" [{}]", s.as_str())).unwrap_or_default();
    let _ = writeln!(
        out,
        "{verdict} {}: {}{name}{severity} ({}, {}, {:.0} ms)",
        test.file,
        test.id,
        count(test.steps.len(), "step"),
        count(test.requests as usize, "request"),
        test.duration_ms
    );
    if test.status == TestStatus::Passed {
        return;
    }

    for error in &test.errors {
        let _ = writeln!(out, "  error: {}", error.message);
        let _ = writeln!(out, "    --> {}:{}:{}", test.file, error.position.line, error.position.column);
    }
    for step in &test.steps {
        match step.status {
            StepStatus::Passed => continue,
            StepStatus::Skipped => {
                let _ = writeln!(out, "  step {}: skipped after an earlier failure (stopOnFailure)", step.number);
                continue;
            }
            StepStatus::Failed => {}
        }
        let failing: Vec<_> = step.runs.iter().filter(|r| !r.failures.is_empty()).collect();
        let _ =
            writeln!(out, "  step {}: {} of {} failed", step.number, failing.len(), count(step.runs.len(), "request"));
        for run in failing.iter().take(MAX_RUNS_SHOWN) {
            let request = run
                .request
                .as_ref()
                .map(|r| format!("{} {}", r.method, r.url))
                .unwrap_or_else(|| String::from("(request not sent)"));
            let response = run
                .response
                .as_ref()
                .map(|r| format!(" -> {} in {:.0} ms", r.status, r.duration_ms))
                .unwrap_or_default();
            let _ = writeln!(out, "    {request}{response}");
            for (name, value) in &run.payloads {
                let _ = writeln!(out, "      payload {name} = {value:?}");
            }
            for failure in &run.failures {
                let kind = match failure.kind {
                    FailureKind::Assertion => "assertion",
                    FailureKind::Runtime => "runtime error",
                };
                let message = failure.message.strip_prefix("assertion failed: ").unwrap_or(&failure.message);
                let _ = writeln!(out, "      {kind}: {message}");
                let _ =
                    writeln!(out, "        --> {}:{}:{}", test.file, failure.position.line, failure.position.column);
            }
        }
        if failing.len() > MAX_RUNS_SHOWN {
            let _ = writeln!(out, "    ... and {} more failing requests", failing.len() - MAX_RUNS_SHOWN);
        }
    }
}
