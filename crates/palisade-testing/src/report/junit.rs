//! JUnit XML, as Jenkins, GitLab and GitHub test reporters read it: one `testsuite` per
//! file and one `testcase` per test. Assertion failures are `failure` elements and runtime
//! failures `error` elements.

use std::fmt::Write;

use super::seconds;
use crate::result::{Failure, FailureKind, RunReport, TestResult};

pub fn junit(report: &RunReport) -> String {
    let failures = report.tests.iter().filter(|t| kind_of(t) == Some(FailureKind::Assertion)).count();
    let errors = report.tests.iter().filter(|t| kind_of(t) == Some(FailureKind::Runtime)).count();

    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"palisade\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{}\">",
        report.tests.len(),
        seconds(report.duration_ms)
    );

    // Tests of the same file form one suite, in the order the files were given.
    let mut files: Vec<&str> = Vec::new();
    for test in &report.tests {
        if !files.contains(&test.file.as_str()) {
            files.push(&test.file);
        }
    }
    for file in files {
        let tests: Vec<&TestResult> = report.tests.iter().filter(|t| t.file == file).collect();
        let suite_failures = tests.iter().filter(|t| kind_of(t) == Some(FailureKind::Assertion)).count();
        let suite_errors = tests.iter().filter(|t| kind_of(t) == Some(FailureKind::Runtime)).count();
        let time: f64 = tests.iter().map(|t| t.duration_ms).sum();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{suite_failures}\" errors=\"{suite_errors}\" time=\"{}\">",
            escape(file),
            tests.len(),
            seconds(time)
        );
        for test in tests {
            write_case(&mut out, test);
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// Returns the kind a failed test is reported as: an assertion failure when any assertion
/// failed, otherwise a runtime error.
fn kind_of(test: &TestResult) -> Option<FailureKind> {
    let all: Vec<&Failure> = test.errors.iter().chain(test.step_failures().map(|(_, _, f)| f)).collect();
    if all.is_empty() {
        None
    } else if all.iter().any(|f| f.kind == FailureKind::Assertion) {
        Some(FailureKind::Assertion)
    } else {
        Some(FailureKind::Runtime)
    }
}

fn write_case(out: &mut String, test: &TestResult) {
    let name = match &test.name {
        Some(name) => format!("{}: {name}", test.id),
        None => test.id.clone(),
    };
    let _ = write!(
        out,
        "    <testcase classname=\"{}\" name=\"{}\" time=\"{}\"",
        escape(&test.file),
        escape(&name),
        seconds(test.duration_ms)
    );
    let Some(kind) = kind_of(test) else {
        out.push_str("/>\n");
        return;
    };
    out.push_str(">\n");

    let mut lines = Vec::new();
    for error in &test.errors {
        lines.push(format!("{}:{}:{}: {}", test.file, error.position.line, error.position.column, error.message));
    }
    for (step, run, failure) in test.step_failures() {
        let request = run.request.as_ref().map(|r| format!(" {} {}", r.method, r.url)).unwrap_or_default();
        lines.push(format!(
            "step {}{request}: {}:{}:{}: {}",
            step.number, test.file, failure.position.line, failure.position.column, failure.message
        ));
    }
    let first = lines.first().cloned().unwrap_or_default();
    let (element, kind_name) = match kind {
        FailureKind::Assertion => ("failure", "assertion"),
        FailureKind::Runtime => ("error", "runtime"),
    };
    let _ = writeln!(
        out,
        "      <{element} type=\"{kind_name}\" message=\"{}\">{}</{element}>",
        escape(&first),
        escape(&lines.join("\n")).replace("&#10;", "\n")
    );
    out.push_str("    </testcase>\n");
}

/// Escapes text for XML attribute values and content, and replaces characters XML 1.0
/// cannot hold. Line breaks become `&#10;` so that attribute values keep them.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_cases() {
        assert_eq!(escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(escape("x\u{1}y"), "x\u{FFFD}y");
        assert_eq!(escape("line\nnext"), "line&#10;next");
    }
}
