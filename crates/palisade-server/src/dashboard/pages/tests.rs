//! `/tests` and `/tests/{id}`: security test runs that `palisade test run --server` sent,
//! and the results of one run.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

use super::super::format::{self, count};
use super::super::layout::Page;
use super::super::session::PageCaller;
use super::super::{PAGE_ROWS, PageError, html as to_html};
use crate::api::blocking;
use crate::server::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct RunsQuery {
    pub offset: Option<u32>,
}

/// `GET /tests`.
pub async fn list(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(query): Query<RunsQuery>,
) -> Result<Response, PageError> {
    let offset = query.offset.unwrap_or(0);
    let store = state.store.clone();
    let runs = blocking(move || store.test_runs(PAGE_ROWS, offset)).await??;

    let page = Page { title: "Test runs", section: "/tests", caller: &caller, notice: None };
    let content = html! {
        h1 { "Test runs" }
        @if runs.items.is_empty() {
            section class="card empty" {
                p { "No test runs yet." }
                p class="muted small" {
                    "Runs appear here when " code { "palisade test run --server URL --key KEY" }
                    " sends its results to " code { "POST /api/v1/test-runs" } "."
                }
            }
        } @else {
            div class="table-wrap" {
                table class="data" {
                    thead {
                        tr {
                            th scope="col" { "Run" } th scope="col" { "Received" } th scope="col" { "Result" }
                            th scope="col" class="num" { "Passed" } th scope="col" class="num" { "Failed" }
                            th scope="col" class="num" { "Requests" } th scope="col" class="num" { "Duration" }
                            th scope="col" { "Runner" } th scope="col" { "Sent by" }
                        }
                    }
                    tbody {
                        @for run in &runs.items {
                            tr {
                                td { a href={ "/tests/" (run.id) } { "#" (run.id) } }
                                td { (format::time(run.received_ms)) }
                                td { (outcome(run.failed == 0)) }
                                td class="num" { (count(run.passed)) }
                                td class="num" { (count(run.failed)) }
                                td class="num" { (count(run.requests)) }
                                td class="num" { (duration(run.duration_ms)) }
                                td { (run.runner) " " (run.version) }
                                td { (run.submitted_by) }
                            }
                        }
                    }
                }
            }
        }
        (format::pagination("/tests", offset, runs.items.len(), runs.total, PAGE_ROWS))
    };
    Ok(to_html(page.render(content)).into_response())
}

fn outcome(passed: bool) -> Markup {
    if passed {
        html! { span class="badge status-resolved" { "passed" } }
    } else {
        html! { span class="badge sev-high" { "failed" } }
    }
}

fn duration(ms: f64) -> String {
    if ms >= 1000.0 { format!("{:.1} s", ms / 1000.0) } else { format!("{ms:.0} ms") }
}

/// `GET /tests/{id}`: every test of the run with its failed steps.
pub async fn detail(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let store = state.store.clone();
    let Some((run, document)) = blocking(move || store.test_run(id)).await?? else {
        return Err(PageError::NotFound(format!("Test run {id}")));
    };
    // The document was valid JSON when it was stored; a broken one still shows the summary.
    let document: Value = serde_json::from_str(&document).unwrap_or(Value::Null);
    let tests = document.get("tests").and_then(Value::as_array).cloned().unwrap_or_default();

    let title = format!("Test run #{}", run.id);
    let page = Page { title: &title, section: "/tests", caller: &caller, notice: None };
    let content = html! {
        nav class="breadcrumbs" aria-label="Breadcrumb" { a href="/tests" { "Test runs" } " / " span { "#" (run.id) } }
        h1 { "Test run #" (run.id) " " (outcome(run.failed == 0)) }
        ul class="facts" {
            li { span class="fact-label" { "Received" } span { (format::time(run.received_ms)) } }
            li { span class="fact-label" { "Passed" } span { (count(run.passed)) } }
            li { span class="fact-label" { "Failed" } span { (count(run.failed)) } }
            li { span class="fact-label" { "Requests" } span { (count(run.requests)) } }
            li { span class="fact-label" { "Duration" } span { (duration(run.duration_ms)) } }
            li { span class="fact-label" { "Sent by" } span { (run.submitted_by) } }
        }
        section class="card" aria-labelledby="tests-title" {
            h2 id="tests-title" { "Tests" }
            @if tests.is_empty() {
                p class="muted" { "The run lists no tests." }
            }
            @for test in &tests {
                (test_result(test))
            }
        }
    };
    Ok(to_html(page.render(content)).into_response())
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or("")
}

fn test_result(test: &Value) -> Markup {
    let status = text(test, "status");
    let passed = status == "passed";
    let steps = test.get("steps").and_then(Value::as_array).cloned().unwrap_or_default();
    let errors = test.get("errors").and_then(Value::as_array).cloned().unwrap_or_default();
    html! {
        details class="test-result" open[!passed] {
            summary {
                (outcome(passed)) " "
                strong { (if text(test, "name").is_empty() { text(test, "id") } else { text(test, "name") }) }
                span class="muted small" { " " code { (text(test, "id")) } " · " (text(test, "file")) }
                @let severity = text(test, "severity");
                @if !severity.is_empty() { " " span class="tag" { (severity.to_ascii_lowercase()) } }
            }
            @for error in &errors {
                p class="error" { (error.as_str().map(str::to_string).unwrap_or_else(|| error.to_string())) }
            }
            @for step in &steps {
                @let failures: Vec<&Value> = step.get("runs").and_then(Value::as_array).into_iter().flatten()
                    .flat_map(|run| run.get("failures").and_then(Value::as_array).into_iter().flatten()).collect();
                div class="step" {
                    span class="block" {
                        "Step " (step.get("number").map(|n| n.to_string()).unwrap_or_default()) ": "
                        (text(step, "status"))
                        @if let Some(line) = step.get("position").and_then(|p| p.get("line")) { span class="muted small" { " (line " (line) ")" } }
                    }
                    @for failure in failures {
                        p class="error small" { (text(failure, "message")) }
                    }
                }
            }
        }
    }
}
