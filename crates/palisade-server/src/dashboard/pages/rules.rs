//! `/rules`: block rules that `palisade proxy` and other agents pull and enforce.
//!
//! The pages list rules from the store and render the rule form. The dashboard script
//! sends the form to the REST API (`POST /api/v1/rules`, `PUT` and `DELETE
//! /api/v1/rules/{id}`) with the session's CSRF token. Rule validation and the analyst
//! role check therefore live in the API alone.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use palisade_core::timestamp::now_ms;
use palisade_store::StoredRule;
use serde::Deserialize;
use serde_json::Value;

use super::super::format;
use super::super::layout::Page;
use super::super::session::{PageCaller, can_triage};
use super::super::{PageError, html as to_html};
use super::{NoticeQuery, non_empty, notice};
use crate::api::blocking;
use crate::auth::Caller;
use crate::server::AppState;

const FIELDS: &[&str] = &["actor", "ip", "host", "path", "endpoint", "method", "header", "query", "body"];
const OPERATORS: &[&str] = &["equals", "contains", "starts_with", "ends_with", "regex", "in_cidr"];
const RATE_KEYS: &[&str] = &["ip", "actor", "session"];

/// `GET /rules`.
pub async fn list(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let store = state.store.clone();
    let rules = blocking(move || store.rules()).await??;
    let now = now_ms();
    let triage = can_triage(&caller);

    let page =
        Page { title: "Block rules", section: "/rules", caller: &caller, notice: notice(query.notice.as_deref()) };
    let content = html! {
        div class="page-head" {
            h1 { "Block rules" }
            @if triage { a class="button primary" href="/rules/new" { "New rule" } }
        }
        p class="muted" {
            "Rules are pulled by " code { "palisade proxy" } " and other agents. In " strong { "monitor" }
            " mode a match is logged and counted; in " strong { "block" } " mode the request is rejected."
        }
        div class="card empty" data-api-probe="/api/v1/rules" hidden {
            p { "This server does not serve block rules yet." }
            p class="muted small" {
                "Rules are stored and served by " code { "GET /api/v1/rules" } " and changed through "
                code { "POST /api/v1/rules" } "; until that route answers, rules can only be given to "
                code { "palisade proxy --rules FILE" } "."
            }
        }
        p class="error" role="alert" tabindex="-1" data-rule-error hidden {}
        @if rules.is_empty() {
            div class="card empty" {
                p { "No block rules." }
                p class="muted small" { "Create one here, from an actor's page, or with " code { "POST /api/v1/rules" } "." }
            }
        } @else {
            div class="table-wrap" {
                table class="data" id="rules-table" {
                    thead {
                        tr {
                            th scope="col" { "Rule" } th scope="col" { "Mode" } th scope="col" { "Matches" }
                            th scope="col" { "Action" } th scope="col" { "Expires" } th scope="col" { "State" }
                            @if triage { th scope="col" { "Actions" } }
                        }
                    }
                    tbody {
                        @for rule in &rules { (rule_row(rule, now, &caller)) }
                    }
                }
            }
        }
    };
    Ok(to_html(page.render(content)).into_response())
}

fn rule_row(rule: &StoredRule, now: i64, caller: &Caller) -> Markup {
    let document: Value = serde_json::from_str(&rule.document).unwrap_or(Value::Null);
    let mode = document.get("mode").and_then(Value::as_str).unwrap_or("monitor");
    let reason = document.get("reason").and_then(Value::as_str).unwrap_or("");
    let expired = rule.expires_ms.is_some_and(|at| at <= now);
    let other_mode = if mode == "block" { "monitor" } else { "block" };
    html! {
        tr data-rule-id=(rule.id) data-rule-document=(rule.document) {
            td {
                a href={ "/rules/" (format::path_segment(&rule.id)) } { code { (rule.id) } }
                @if !reason.is_empty() { span class="muted small block" { (reason) } }
            }
            td { span class={ "badge mode-" (mode) } { (mode) } }
            td { (describe_conditions(document.get("conditions"))) }
            td { (describe_action(document.get("action"))) }
            td { @match rule.expires_ms { Some(at) => (format::time(at)), None => "never" } }
            td { @if expired { span class="badge status-ignored" { "expired" } } @else { span class="badge status-open" { "active" } } }
            @if can_triage(caller) {
                td class="actions" {
                    a class="button small secondary" href={ "/rules/" (format::path_segment(&rule.id)) } aria-label={ "Edit rule " (rule.id) } { "Edit" }
                    button type="button" class="button small secondary" data-rule-action="mode" data-rule-mode=(other_mode)
                        aria-label={ "Switch rule " (rule.id) " to " (other_mode) " mode" } { "Switch to " (other_mode) }
                    @if !expired {
                        button type="button" class="button small secondary" data-rule-action="expire"
                            aria-label={ "Expire rule " (rule.id) " now" } { "Expire now" }
                    }
                }
            }
        }
    }
}

/// Describes condition groups in short, such as `actor equals ip:203.0.113.9`.
fn describe_conditions(conditions: Option<&Value>) -> Markup {
    let groups = conditions.and_then(Value::as_array).cloned().unwrap_or_default();
    if groups.is_empty() {
        return html! { span class="muted" { "every request" } };
    }
    html! {
        ul class="plain" {
            @for group in &groups {
                @let (kind, items) = match (group.get("all"), group.get("any")) {
                    (Some(all), _) => ("all of", all.as_array().cloned().unwrap_or_default()),
                    (_, Some(any)) => ("any of", any.as_array().cloned().unwrap_or_default()),
                    _ => ("", Vec::new()),
                };
                li {
                    @if items.len() > 1 { span class="muted small" { (kind) ": " } }
                    @for (i, condition) in items.iter().enumerate() {
                        @if i > 0 { span class="muted small" { @if kind == "all of" { " and " } @else { " or " } } }
                        code {
                            @if condition.get("negate").and_then(Value::as_bool) == Some(true) { "not " }
                            (condition.get("field").and_then(Value::as_str).unwrap_or("?"))
                            @if let Some(name) = condition.get("name").and_then(Value::as_str) { "[" (name) "]" }
                            " " (condition.get("op").and_then(Value::as_str).unwrap_or("?"))
                            " " (condition.get("value").and_then(Value::as_str).unwrap_or(""))
                        }
                    }
                }
            }
        }
    }
}

fn describe_action(action: Option<&Value>) -> Markup {
    let Some(action) = action else {
        return html! { "—" };
    };
    if let Some(block) = action.get("block") {
        return match block.get("until").and_then(Value::as_str) {
            Some(until) => html! { "block until " (until) },
            None => html! { "block" },
        };
    }
    if let Some(limit) = action.get("rate_limit") {
        let number = |key: &str| limit.get(key).and_then(Value::as_u64).unwrap_or(0);
        return html! {
            "rate limit: " (number("threshold")) " per " (number("window_secs")) " s by "
            (limit.get("key").and_then(Value::as_str).unwrap_or("ip")) ", then " (number("block_secs")) " s blocked"
        };
    }
    html! { code { (action.to_string()) } }
}

#[derive(Debug, Default, Deserialize)]
pub struct NewRuleQuery {
    /// Actor id to prefill the condition with, from an actor's page.
    pub actor: Option<String>,
}

/// `GET /rules/new`.
pub async fn new_rule(
    PageCaller(caller): PageCaller,
    Query(query): Query<NewRuleQuery>,
) -> Result<Response, PageError> {
    if !can_triage(&caller) {
        return Err(PageError::Forbidden(format!("The {} role may not create block rules.", caller.role)));
    }
    let actor = non_empty(&query.actor);
    let page = Page { title: "New block rule", section: "/rules", caller: &caller, notice: None };
    let content = html! {
        nav class="breadcrumbs" aria-label="Breadcrumb" { a href="/rules" { "Block rules" } " / " span { "New" } }
        h1 { "New block rule" }
        (rule_form(None, actor))
    };
    Ok(to_html(page.render(content)).into_response())
}

/// `GET /rules/{id}`: the rule, and its form for analysts.
pub async fn edit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let store = state.store.clone();
    let rules = blocking(move || store.rules()).await??;
    let Some(rule) = rules.into_iter().find(|r| r.id == id) else {
        return Err(PageError::NotFound(format!("Block rule {id:?}")));
    };
    let document: Value = serde_json::from_str(&rule.document).unwrap_or(Value::Null);
    let title = format!("Block rule {}", rule.id);
    let page = Page { title: &title, section: "/rules", caller: &caller, notice: None };
    let content = html! {
        nav class="breadcrumbs" aria-label="Breadcrumb" { a href="/rules" { "Block rules" } " / " span { (rule.id) } }
        h1 { "Block rule " code { (rule.id) } }
        ul class="facts" {
            li { span class="fact-label" { "Created" } span { (format::time(rule.created_ms)) } }
            li { span class="fact-label" { "Updated" } span { (format::time(rule.updated_ms)) } }
            li { span class="fact-label" { "Expires" } span { @match rule.expires_ms { Some(at) => (format::time(at)), None => "never" } } }
        }
        @if can_triage(&caller) {
            (rule_form(Some((&rule, &document)), None))
        } @else {
            section class="card" {
                h2 { "Rule document" }
                pre tabindex="0" { code { (serde_json::to_string_pretty(&document).unwrap_or_default()) } }
            }
        }
    };
    Ok(to_html(page.render(content)).into_response())
}

/// Renders the rule form. The script turns it into the rule JSON of the REST API: a condition from
/// the single-condition fields, or the condition groups from the JSON text area.
fn rule_form(existing: Option<(&StoredRule, &Value)>, actor: Option<&str>) -> Markup {
    let document = existing.map(|(_, d)| d.clone()).unwrap_or(Value::Null);
    let mode = document.get("mode").and_then(Value::as_str).unwrap_or("monitor");
    let reason = document.get("reason").and_then(Value::as_str).unwrap_or("");
    let conditions = match document.get("conditions") {
        Some(conditions) => serde_json::to_string_pretty(conditions).unwrap_or_default(),
        None => String::new(),
    };
    let action = document.get("action").cloned().unwrap_or(Value::Null);
    let limit = action.get("rate_limit");
    let action_kind = if limit.is_some() { "rate_limit" } else { "block" };
    let number = |key: &str, default: u64| limit.and_then(|l| l.get(key)).and_then(Value::as_u64).unwrap_or(default);
    let rate_key = limit.and_then(|l| l.get("key")).and_then(Value::as_str).unwrap_or("ip");
    let id = existing.map(|(rule, _)| rule.id.as_str());

    html! {
        form class="card rule-form" id="rule-form" data-rule-form
            data-method=(if id.is_some() { "PUT" } else { "POST" })
            data-url=(match id { Some(id) => format!("/api/v1/rules/{}", format::path_segment(id)), None => "/api/v1/rules".to_string() })
            data-document=(if existing.is_some() { document.to_string() } else { String::new() }) {
            p class="error" role="alert" tabindex="-1" data-rule-error hidden {}
            div class="field" {
                label for="rule-id" { "Rule id" }
                @if let Some(id) = id {
                    input id="rule-id" name="id" type="text" value=(id) readonly;
                } @else {
                    input id="rule-id" name="id" type="text" maxlength="128" aria-describedby="rule-id-help";
                    span id="rule-id-help" class="muted small" { "1 to 128 characters; generated when empty." }
                }
            }
            fieldset {
                legend { "Enforcement mode" }
                label class="choice" { input type="radio" name="mode" value="monitor" checked[mode == "monitor"]; " Monitor: log and count matches" }
                label class="choice" { input type="radio" name="mode" value="block" checked[mode == "block"]; " Block: reject matching requests" }
            }
            div class="field" {
                label for="rule-reason" { "Reason" }
                input id="rule-reason" name="reason" type="text" value=(reason) placeholder="credential stuffing from one network";
            }
            fieldset {
                legend { "Match" }
                p class="muted small" { "One condition here, or condition groups as JSON below (the JSON wins when filled)." }
                div class="row" {
                    div class="field" {
                        label for="rule-field" { "Field" }
                        select id="rule-field" name="field" {
                            @for field in FIELDS { option value=(field) selected[actor.is_some() && *field == "actor"] { (field) } }
                        }
                    }
                    div class="field" {
                        label for="rule-name" { "Header or parameter name" }
                        input id="rule-name" name="name" type="text" placeholder="User-Agent";
                    }
                    div class="field" {
                        label for="rule-op" { "Operator" }
                        select id="rule-op" name="op" { @for op in OPERATORS { option value=(op) { (op) } } }
                    }
                    div class="field grow" {
                        label for="rule-value" { "Value" }
                        input id="rule-value" name="value" type="text" value=(actor.unwrap_or("")) placeholder="ip:203.0.113.9";
                    }
                }
                label class="choice" { input type="checkbox" name="negate" value="true"; " Negate: match when the comparison fails" }
                div class="field" {
                    label for="rule-conditions" { "Condition groups (JSON)" }
                    textarea id="rule-conditions" name="conditions" rows="6" spellcheck="false"
                        placeholder="[{\"all\": [{\"field\": \"path\", \"op\": \"starts_with\", \"value\": \"/admin\"}]}]" { (conditions) }
                }
            }
            fieldset {
                legend { "Action" }
                label class="choice" { input type="radio" name="action" value="block" checked[action_kind == "block"]; " Block" }
                label class="choice" { input type="radio" name="action" value="rate_limit" checked[action_kind == "rate_limit"]; " Rate limit" }
                div class="row" {
                    div class="field" {
                        label for="rule-threshold" { "Requests allowed" }
                        input id="rule-threshold" name="threshold" type="number" min="1" value=(number("threshold", 10));
                    }
                    div class="field" {
                        label for="rule-window" { "Per window (s)" }
                        input id="rule-window" name="window_secs" type="number" min="1" value=(number("window_secs", 60));
                    }
                    div class="field" {
                        label for="rule-block-secs" { "Then blocked for (s)" }
                        input id="rule-block-secs" name="block_secs" type="number" min="1" value=(number("block_secs", 600));
                    }
                    div class="field" {
                        label for="rule-key" { "Counted by" }
                        select id="rule-key" name="key" { @for key in RATE_KEYS { option value=(key) selected[*key == rate_key] { (key) } } }
                    }
                }
            }
            div class="field" {
                label for="rule-expires" { "Expires after (hours)" }
                input id="rule-expires" name="expires_hours" type="number" min="0" step="any" aria-describedby="rule-expires-help";
                span id="rule-expires-help" class="muted small" {
                    @if existing.is_some() { "Empty keeps the current expiry; 0 expires the rule now." }
                    @else { "Empty: the rule never expires." }
                }
            }
            div class="actions" {
                button type="submit" class="button primary" { "Save rule" }
                a class="button secondary" href="/rules" { "Cancel" }
                @if existing.is_some() {
                    button type="button" class="button danger" data-rule-delete { "Delete rule" }
                }
            }
        }
    }
}
