//! Running tests: steps in order, each step's request rendered from the variables so far,
//! sent, its values extracted and its assertions checked, with payload fan-out and the
//! request limits.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use cookie_store::CookieStore;
use serde_json::Value;
use url::Url;

use crate::assertion;
use crate::extract::{Scope, run_extractor};
use crate::http::{HttpClient, HttpError, HttpSettings, PreparedRequest};
use crate::js::JsLimits;
use crate::model::{PayloadSource, Request, Step};
use crate::parse::ParsedTest;
use crate::parse::node::Position;
use crate::payloads;
use crate::response::HttpResponse;
use crate::result::*;
use crate::template::{self, Secrets, Variables};

/// Settings of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSettings {
    pub http: HttpSettings,
    pub js: JsLimits,
    /// Requests the whole run may send (`--max-requests`); `None` for no limit.
    pub max_requests: Option<u64>,
    /// Requests one step may fan out to with payloads and `repeat`; a step that would
    /// send more fails without sending any.
    pub max_step_requests: u64,
    /// Tests run at the same time (`--parallel`); steps of one test always run in order.
    pub parallel: usize,
}

impl Default for RunSettings {
    fn default() -> Self {
        Self {
            http: HttpSettings::default(),
            js: JsLimits::default(),
            max_requests: None,
            max_step_requests: 1000,
            parallel: 1,
        }
    }
}

/// Runs tests with one HTTP client and one set of variables from outside the files.
pub struct Runner {
    client: HttpClient,
    settings: RunSettings,
    globals: BTreeMap<String, String>,
    overrides: Vec<(String, String)>,
    builtins: Vec<(String, String)>,
    secrets: Secrets,
    sent: AtomicU64,
}

impl Runner {
    /// `globals` is the global environment (`{{global.NAME}}`), whose values are secrets;
    /// `overrides` are `--envfile` and `--env` values in order, the later winning, and
    /// they replace a test's own `env` values of the same name.
    pub fn new(
        settings: RunSettings,
        globals: BTreeMap<String, String>,
        overrides: Vec<(String, String)>,
    ) -> Result<Self, HttpError> {
        let client = HttpClient::new(settings.http.clone())?;
        let secrets = Secrets::new(globals.values().map(String::as_str));
        Ok(Self { client, settings, globals, overrides, builtins: Vec::new(), secrets, sent: AtomicU64::new(0) })
    }

    /// Adds a variable that every test can read unless it defines the name itself, such
    /// as `CALLBACK_URL`.
    pub fn with_builtin(mut self, name: &str, value: &str) -> Self {
        self.builtins.push((name.to_string(), value.to_string()));
        self
    }

    pub fn client(&self) -> &HttpClient {
        &self.client
    }

    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    /// Requests sent so far.
    pub fn requests_sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// Runs `tests`, up to `parallel` at a time, and returns their results in the given
    /// order.
    pub async fn run_all(self: &Arc<Self>, tests: Vec<ParsedTest>) -> RunReport {
        let start = Instant::now();
        let sent_before = self.requests_sent();
        let permits = Arc::new(tokio::sync::Semaphore::new(self.settings.parallel.max(1)));

        let mut handles = Vec::with_capacity(tests.len());
        for test in tests {
            let runner = Arc::clone(self);
            let permits = Arc::clone(&permits);
            handles.push(tokio::spawn(async move {
                // The semaphore is never closed, so acquiring only waits.
                let _permit = permits.acquire_owned().await.expect("semaphore is never closed");
                runner.run_test(&test).await
            }));
        }

        let mut results = Vec::with_capacity(handles.len());
        for handle in handles {
            match handle.await {
                Ok(result) => results.push(result),
                // A panic in a test task is a bug in the runner. The panic message reports
                // it, and the other results are kept.
                Err(error) => tracing::error!(%error, "a test task ended abnormally"),
            }
        }
        RunReport {
            tests: results,
            duration_ms: start.elapsed().as_secs_f64() * 1000.0,
            requests: self.requests_sent() - sent_before,
        }
    }

    /// Runs one test.
    pub async fn run_test(&self, parsed: &ParsedTest) -> TestResult {
        let start = Instant::now();
        let evidence = Evidence::new(&self.secrets);
        let test = &parsed.test;
        let mut sent = 0;
        tracing::debug!(test_id = %test.id, file = %parsed.file, "test started");

        let mut errors = Vec::new();
        let mut variables = self.initial_variables(parsed, &evidence, &mut errors);
        let mut jar = CookieStore::default();
        let mut steps = Vec::with_capacity(test.test.len());
        let mut stopped = !errors.is_empty();

        for (index, step) in test.test.iter().enumerate() {
            let default_positions = crate::parse::StepPositions::default();
            let positions = parsed.positions.steps.get(index).unwrap_or(&default_positions);
            if stopped {
                steps.push(StepResult {
                    number: index + 1,
                    position: positions.step,
                    status: StepStatus::Skipped,
                    runs: Vec::new(),
                });
                continue;
            }
            let mut context = StepContext {
                step,
                positions,
                variables: &mut variables,
                jar: &mut jar,
                evidence,
                follow_redirects: test.options.follow_redirects,
                stop_on_failure: test.options.stop_on_failure,
                sent: &mut sent,
            };
            let (runs, halt) = self.run_step(&mut context).await;
            let failed = runs.iter().any(|run| !run.failures.is_empty());
            let status = if failed { StepStatus::Failed } else { StepStatus::Passed };
            steps.push(StepResult { number: index + 1, position: positions.step, status, runs });
            if halt || (failed && test.options.stop_on_failure) {
                stopped = true;
            }
        }

        let failed = !errors.is_empty() || steps.iter().any(|s| s.status == StepStatus::Failed);
        let result = TestResult {
            file: parsed.file.clone(),
            id: test.id.clone(),
            name: test.meta.name.clone(),
            severity: test.meta.severity,
            tags: test.meta.tags.clone(),
            status: if failed { TestStatus::Failed } else { TestStatus::Passed },
            errors,
            steps,
            duration_ms: start.elapsed().as_secs_f64() * 1000.0,
            requests: sent,
        };
        tracing::debug!(test_id = %test.id, passed = !failed, "test finished");
        result
    }

    /// Built-in variables, then `--envfile` and `--env` values, then the test's `env`
    /// values for names not given outside the file, each rendered with those before it.
    fn initial_variables(&self, parsed: &ParsedTest, evidence: &Evidence, errors: &mut Vec<Failure>) -> Variables {
        let mut variables = Variables::new(&self.globals);
        variables.set("RUN_ID", Value::String(format!("{:016x}", fastrand::u64(..))));
        variables.set("TEST_ID", Value::String(parsed.test.id.clone()));
        for (name, value) in &self.builtins {
            variables.set(name, Value::String(value.clone()));
        }
        for (name, value) in &self.overrides {
            variables.set(name, Value::String(value.clone()));
        }
        for entry in &parsed.test.env {
            if self.overrides.iter().any(|(name, _)| *name == entry.name) {
                continue;
            }
            match template::render(&entry.value, &variables) {
                Ok(value) => variables.set(&entry.name, Value::String(value)),
                Err(error) => {
                    let message = format!("env `{}`: {error}", entry.name);
                    errors.push(evidence.failure(FailureKind::Runtime, &message, parsed.positions.id, None));
                }
            }
        }
        variables
    }

    /// Runs every payload combination and repetition of a step. Returns the runs and
    /// whether the test must stop (the request limit was reached).
    async fn run_step(&self, context: &mut StepContext<'_>) -> (Vec<StepRun>, bool) {
        let step = context.step;
        let combinations = match payload_lists(step) {
            Ok(lists) => lists,
            Err(message) => return (vec![error_run(context, &message)], false),
        };
        let repeat = u64::from(step.repeat.unwrap_or(1));
        // Saturating, because a file with many long lists must fail the limit check below
        // rather than overflow.
        let total = combinations.iter().fold(repeat, |total, (_, values)| total.saturating_mul(values.len() as u64));
        if total > self.settings.max_step_requests {
            let message = format!(
                "step would send {total} requests, more than the limit of {} (max_step_requests)",
                self.settings.max_step_requests
            );
            return (vec![error_run(context, &message)], false);
        }

        let mut runs = Vec::new();
        for combination in 0..total / repeat {
            // Mixed-radix counting over the lists gives every combination once.
            let mut rest = combination;
            let mut payloads = Vec::with_capacity(combinations.len());
            for (key, values) in combinations.iter().rev() {
                let len = values.len() as u64;
                payloads.push((key.clone(), values[(rest % len) as usize].clone()));
                rest /= len;
            }
            payloads.reverse();
            for (key, value) in &payloads {
                context.variables.set(key, Value::String(value.clone()));
            }

            for _ in 0..repeat {
                let (run, halt) = self.run_once(context, &payloads).await;
                let failed = !run.failures.is_empty();
                runs.push(run);
                if halt {
                    return (runs, true);
                }
                if failed && context.stop_on_failure {
                    return (runs, false);
                }
            }
        }
        (runs, false)
    }

    async fn run_once(&self, context: &mut StepContext<'_>, payloads: &[(String, String)]) -> (StepRun, bool) {
        let evidence = context.evidence;
        let step_position = context.positions.step;
        let mut run = StepRun {
            payloads: payloads.iter().map(|(k, v)| (k.clone(), evidence.text(v))).collect(),
            request: None,
            response: None,
            assertions_passed: 0,
            failures: Vec::new(),
        };

        let request = match render_request(&context.step.request, context.variables) {
            Ok(request) => request,
            Err(message) => {
                let position = if message.starts_with("invalid URL") { context.positions.url } else { step_position };
                run.failures.push(evidence.failure(FailureKind::Runtime, &message, position, None));
                return (run, false);
            }
        };
        // Headers and bodies are kept only for requests that fail (see `record_evidence`);
        // copying and redacting them for every passing request would slow large suites.
        run.request = Some(RequestSummary {
            method: request.method.clone(),
            url: evidence.text(request.url.as_str()),
            headers: Vec::new(),
            body: None,
        });

        let sent = self.sent.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(max) = self.settings.max_requests
            && sent > max
        {
            self.sent.fetch_sub(1, Ordering::Relaxed);
            let message = format!("request limit of {max} reached (--max-requests); the rest of the test was not run");
            run.failures.push(evidence.failure(FailureKind::Runtime, &message, step_position, None));
            return (run, true);
        }
        *context.sent += 1;

        let response = match self.client.send(&request, context.jar, context.follow_redirects).await {
            Ok(response) => response,
            Err(error) => {
                run.failures.push(evidence.failure(FailureKind::Runtime, &error.to_string(), step_position, None));
                record_evidence(&mut run, &evidence, &request, None);
                return (run, false);
            }
        };
        run.response = Some(ResponseSummary {
            status: response.status,
            duration_ms: response.duration_ms,
            headers: Vec::new(),
            body: String::new(),
            truncated: response.truncated,
        });

        let resp = crate::response::RespView::new(&response);
        for (index, extractor) in context.step.extract.iter().enumerate() {
            let position = context.positions.extractors.get(index).copied().unwrap_or(step_position);
            let scope = Scope { resp: &resp, variables: context.variables, js_limits: self.settings.js };
            match run_extractor(extractor, &scope) {
                Ok(value) => context.variables.set(&extractor.name, value),
                Err(error) => {
                    let message = format!("extractor `{}`: {error}", extractor.name);
                    run.failures.push(evidence.failure(FailureKind::Runtime, &message, position, None));
                }
            }
        }

        let scope = Scope { resp: &resp, variables: context.variables, js_limits: self.settings.js };
        for (index, check) in context.step.assertions.iter().enumerate() {
            let position = context.positions.assertions.get(index).copied().unwrap_or(step_position);
            match assertion::evaluate(check, &scope) {
                Ok(outcome) if outcome.passed => run.assertions_passed += 1,
                Ok(outcome) => {
                    let actual = template::value_text(&outcome.actual);
                    let message =
                        format!("assertion failed: {}; actual value: {}", outcome.description, shorten(&actual));
                    run.failures.push(evidence.failure(FailureKind::Assertion, &message, position, Some(index + 1)));
                }
                Err(error) => {
                    let message = format!("assertion {} could not be evaluated: {error}", index + 1);
                    run.failures.push(evidence.failure(FailureKind::Runtime, &message, position, Some(index + 1)));
                }
            }
        }
        record_evidence(&mut run, &evidence, &request, Some(&response));
        (run, false)
    }
}

/// Adds the redacted headers and body excerpts of a failed run's request and response.
fn record_evidence(run: &mut StepRun, evidence: &Evidence, request: &PreparedRequest, response: Option<&HttpResponse>) {
    if run.failures.is_empty() {
        return;
    }
    if let Some(summary) = &mut run.request {
        summary.headers = evidence.headers(&request.headers);
        summary.body = request.body.as_deref().map(|b| evidence.body(b));
    }
    if let (Some(summary), Some(response)) = (&mut run.response, response) {
        summary.headers = evidence.headers(&response.headers);
        summary.body = evidence.body(&response.body);
    }
}

struct StepContext<'a> {
    step: &'a Step,
    positions: &'a crate::parse::StepPositions,
    variables: &'a mut Variables,
    jar: &'a mut CookieStore,
    evidence: Evidence<'a>,
    follow_redirects: bool,
    stop_on_failure: bool,
    /// Requests this test has sent.
    sent: &'a mut u64,
}

fn error_run(context: &StepContext<'_>, message: &str) -> StepRun {
    StepRun {
        payloads: Vec::new(),
        request: None,
        response: None,
        assertions_passed: 0,
        failures: vec![context.evidence.failure(FailureKind::Runtime, message, context.positions.step, None)],
    }
}

/// Returns the payload lists of a step as `(variable, values)`.
fn payload_lists(step: &Step) -> Result<Vec<(String, Vec<String>)>, String> {
    let mut lists = Vec::new();
    for payload in &step.payload {
        let values: Vec<String> = match &payload.value {
            PayloadSource::Builtin(name) => match payloads::builtin(name) {
                Some(list) => list.iter().map(|s| s.to_string()).collect(),
                None => return Err(format!("unknown payload list `{name}`")),
            },
            PayloadSource::Values(values) => values.clone(),
        };
        if values.is_empty() {
            return Err(format!("payload `{}` has no values", payload.key));
        }
        lists.push((payload.key.clone(), values));
    }
    Ok(lists)
}

/// Renders a request's templates and builds what is sent.
fn render_request(request: &Request, variables: &Variables) -> Result<PreparedRequest, String> {
    let url_text = template::render(&request.url, variables).map_err(|e| format!("url: {e}"))?;
    let mut url = Url::parse(url_text.trim()).map_err(|e| format!("invalid URL `{url_text}`: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("invalid URL `{url_text}`: the scheme must be http or https"));
    }
    if !request.query.is_empty() {
        let mut pairs = url.query_pairs_mut();
        for param in &request.query {
            let name = template::render(&param.name, variables).map_err(|e| format!("query: {e}"))?;
            let value = template::render(&param.value, variables).map_err(|e| format!("query `{name}`: {e}"))?;
            pairs.append_pair(&name, &value);
        }
    }

    let mut headers = Vec::with_capacity(request.headers.len() + 1);
    for header in &request.headers {
        let name = template::render(&header.name, variables).map_err(|e| format!("header: {e}"))?;
        let value = template::render(&header.value, variables).map_err(|e| format!("header `{name}`: {e}"))?;
        headers.push((name, value));
    }
    let has_content_type = headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("content-type"));

    let body = if let Some(data) = &request.data {
        Some(template::render(data, variables).map_err(|e| format!("data: {e}"))?.into_bytes())
    } else if let Some(query) = &request.graphql {
        let document = template::render(query, variables).map_err(|e| format!("graphql: {e}"))?;
        if !has_content_type {
            headers.push(("Content-Type".into(), "application/json".into()));
        }
        Some(serde_json::json!({ "query": document }).to_string().into_bytes())
    } else if !request.form.is_empty() {
        let mut form = form_urlencoded::Serializer::new(String::new());
        for field in &request.form {
            let name = template::render(&field.name, variables).map_err(|e| format!("form: {e}"))?;
            let value = template::render(&field.value, variables).map_err(|e| format!("form `{name}`: {e}"))?;
            form.append_pair(&name, &value);
        }
        if !has_content_type {
            headers.push(("Content-Type".into(), "application/x-www-form-urlencoded".into()));
        }
        Some(form.finish().into_bytes())
    } else {
        None
    };

    Ok(PreparedRequest { method: request.method.as_str().to_string(), url, headers, body })
}

/// Shortens a value shown in a failure message to 200 characters.
fn shorten(text: &str) -> String {
    const MAX_CHARS: usize = 200;
    if text.chars().count() <= MAX_CHARS {
        return text.to_string();
    }
    let mut short: String = text.chars().take(MAX_CHARS).collect();
    short.push_str("...");
    short
}

/// Returns the position of a step's first failure, or of the step.
pub fn failure_position(step: &StepResult) -> Position {
    step.runs.iter().flat_map(|r| r.failures.iter()).map(|f| f.position).next().unwrap_or(step.position)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{KeyValue, Method};

    #[test]
    fn query_is_url_encoded() {
        let mut request = Request::new(Method::Get, "http://127.0.0.1:1/search?x=1");
        request.query = vec![KeyValue::new("q", "a b&c=d/é"), KeyValue::new("{{NAME}}", "<script>")];
        let mut variables = Variables::default();
        variables.set("NAME", Value::String("n".into()));
        let prepared = render_request(&request, &variables).unwrap();
        assert_eq!(prepared.url.as_str(), "http://127.0.0.1:1/search?x=1&q=a+b%26c%3Dd%2F%C3%A9&n=%3Cscript%3E");
    }

    #[test]
    fn graphql_and_form_bodies() {
        let mut request = Request::new(Method::Post, "http://127.0.0.1:1/graphql");
        request.graphql = Some("{ __schema { types { name } } }".into());
        let prepared = render_request(&request, &Variables::default()).unwrap();
        assert_eq!(prepared.body.unwrap(), br#"{"query":"{ __schema { types { name } } }"}"#.to_vec());
        assert_eq!(prepared.headers, vec![("Content-Type".to_string(), "application/json".to_string())]);

        let mut request = Request::new(Method::Post, "http://127.0.0.1:1/login");
        request.form = vec![KeyValue::new("user", "a b"), KeyValue::new("pass", "p&q")];
        let prepared = render_request(&request, &Variables::default()).unwrap();
        assert_eq!(prepared.body.unwrap(), b"user=a+b&pass=p%26q".to_vec());
    }

    #[test]
    fn invalid_url_is_reported() {
        let request = Request::new(Method::Get, "http://{{HOST}}:99999/");
        let mut variables = Variables::default();
        variables.set("HOST", Value::String("127.0.0.1".into()));
        let error = render_request(&request, &variables).unwrap_err();
        assert!(error.starts_with("invalid URL `http://127.0.0.1:99999/`"), "{error}");
        let ftp = render_request(&Request::new(Method::Get, "ftp://x/"), &variables).unwrap_err();
        assert!(ftp.ends_with("the scheme must be http or https"), "{ftp}");
    }
}
