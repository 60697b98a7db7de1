//! Results of running tests, as every report reads them.
//!
//! Every string in a result that could hold a secret (URLs, headers, bodies, payloads,
//! messages) is built by [`Evidence`], which redacts the global environment's values and
//! the values of credential headers, so a report cannot show a secret by mistake.

use serde::Serialize;

use crate::http::is_credential_header;
use crate::model::Severity;
use crate::parse::node::Position;
use crate::template::{REDACTED, Secrets};

/// Bytes of a request or response body kept in a result.
pub const REPORT_BODY_EXCERPT_BYTES: usize = 2048;

/// The results of one `palisade test run`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunReport {
    pub tests: Vec<TestResult>,
    /// Wall-clock time of the whole run, in milliseconds.
    pub duration_ms: f64,
    /// Requests sent.
    pub requests: u64,
}

impl RunReport {
    pub fn passed(&self) -> usize {
        self.tests.iter().filter(|t| t.status == TestStatus::Passed).count()
    }

    pub fn failed(&self) -> usize {
        self.tests.len() - self.passed()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TestStatus {
    Passed,
    Failed,
}

/// The result of one test file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestResult {
    pub file: String,
    pub id: String,
    pub name: Option<String>,
    pub severity: Option<Severity>,
    pub tags: Vec<String>,
    pub status: TestStatus,
    /// Failures before the first step, such as an `env` value that did not render.
    pub errors: Vec<Failure>,
    pub steps: Vec<StepResult>,
    pub duration_ms: f64,
    pub requests: u64,
}

impl TestResult {
    /// Returns every failure of the test's steps, with its step and run.
    pub fn step_failures(&self) -> impl Iterator<Item = (&StepResult, &StepRun, &Failure)> {
        self.steps
            .iter()
            .flat_map(|step| step.runs.iter().flat_map(move |run| run.failures.iter().map(move |f| (step, run, f))))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    Passed,
    Failed,
    /// Not run because an earlier step failed and `stopOnFailure` is set.
    Skipped,
}

/// The result of one step: one run per payload combination and repetition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepResult {
    /// 1-based step number.
    pub number: usize,
    #[serde(serialize_with = "serialize_position")]
    pub position: Position,
    pub status: StepStatus,
    pub runs: Vec<StepRun>,
}

/// One request of a step and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepRun {
    /// Payload variables of this run, as `(name, value)`.
    pub payloads: Vec<(String, String)>,
    pub request: Option<RequestSummary>,
    pub response: Option<ResponseSummary>,
    pub assertions_passed: usize,
    pub failures: Vec<Failure>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestSummary {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResponseSummary {
    pub status: u16,
    pub duration_ms: f64,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// True when the body was cut at `max_body_bytes`.
    pub truncated: bool,
}

/// The kinds of failure that happen while running; problems in the file itself are
/// [`crate::diagnostic::Diagnostic`]s and stop the run before it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FailureKind {
    /// An assertion evaluated to false.
    Assertion,
    /// The step could not be completed: a template failed to render, the request got no
    /// response, an extractor or a script failed, or a limit was reached.
    Runtime,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Failure {
    pub kind: FailureKind,
    pub message: String,
    /// Position in the file of the assertion, extractor or step that failed.
    #[serde(serialize_with = "serialize_position")]
    pub position: Position,
    /// 1-based number of the assertion, for assertion failures.
    pub assertion: Option<usize>,
}

fn serialize_position<S: serde::Serializer>(position: &Position, serializer: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    let mut s = serializer.serialize_struct("Position", 2)?;
    s.serialize_field("line", &position.line)?;
    s.serialize_field("column", &position.column)?;
    s.end()
}

/// Builds the strings of a result, redacting secrets.
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    secrets: &'a Secrets,
}

impl<'a> Evidence<'a> {
    pub fn new(secrets: &'a Secrets) -> Self {
        Self { secrets }
    }

    pub fn text(&self, text: &str) -> String {
        self.secrets.redact(text)
    }

    /// Returns a body cut to [`REPORT_BODY_EXCERPT_BYTES`] at a character boundary, redacted.
    pub fn body(&self, bytes: &[u8]) -> String {
        let text = String::from_utf8_lossy(bytes);
        let mut end = text.len().min(REPORT_BODY_EXCERPT_BYTES);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let mut excerpt = self.secrets.redact(&text[..end]);
        if end < text.len() {
            excerpt.push_str("...");
        }
        excerpt
    }

    /// Headers with the values of credential headers replaced.
    pub fn headers(&self, headers: &[(String, String)]) -> Vec<(String, String)> {
        headers
            .iter()
            .map(|(name, value)| {
                let value = if is_credential_header(name) || name.eq_ignore_ascii_case("set-cookie") {
                    REDACTED.to_string()
                } else {
                    self.secrets.redact(value)
                };
                (name.clone(), value)
            })
            .collect()
    }

    pub fn failure(&self, kind: FailureKind, message: &str, position: Position, assertion: Option<usize>) -> Failure {
        Failure { kind, message: self.text(message), position, assertion }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_redacts_secrets_and_credentials() {
        let secrets = Secrets::new(["hunter2-secret"]);
        let evidence = Evidence::new(&secrets);
        let headers = vec![
            ("Authorization".to_string(), "Bearer abc".to_string()),
            ("X-Trace".to_string(), "id hunter2-secret".to_string()),
            ("Accept".to_string(), "*/*".to_string()),
        ];
        let redacted = evidence.headers(&headers);
        assert_eq!(redacted[0].1, "[redacted]");
        assert_eq!(redacted[1].1, "id [redacted]");
        assert_eq!(redacted[2].1, "*/*");
        assert_eq!(evidence.text("url?k=hunter2-secret"), "url?k=[redacted]");
    }

    #[test]
    fn body_excerpt_is_capped_at_char_boundary() {
        let secrets = Secrets::default();
        let evidence = Evidence::new(&secrets);
        let body = "é".repeat(REPORT_BODY_EXCERPT_BYTES);
        let excerpt = evidence.body(body.as_bytes());
        assert!(excerpt.ends_with("..."));
        assert!(excerpt.len() <= REPORT_BODY_EXCERPT_BYTES + 3);
    }
}
