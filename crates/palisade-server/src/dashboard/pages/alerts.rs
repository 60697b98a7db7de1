//! `/alerts`: alerts with filters, and resolve, ignore and reopen for analysts.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use palisade_core::access::Role;
use palisade_core::alert::{Alert, AlertStatus};
use palisade_store::{AlertFilter, InventorySummary, Page as StorePage};
use serde::Deserialize;

use super::super::format::{self, count};
use super::super::layout::Page;
use super::super::session::{PageCaller, can_triage, check_form, safe_next, see_other};
use super::super::{PAGE_ROWS, PageError, html as to_html};
use super::{non_empty, notice};
use crate::api::{self, AlertUpdate, blocking};
use crate::auth::Caller;
use crate::error::{ApiJson, ApiPath};
use crate::server::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct AlertsQuery {
    pub status: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub host: Option<String>,
    pub endpoint: Option<String>,
    pub actor: Option<String>,
    pub offset: Option<u32>,
    pub notice: Option<String>,
}

/// Value of the status filter that lists alerts in every status. Unlike an empty value,
/// it stays in pagination links and in the page a triage form returns to.
const ANY_STATUS: &str = "any";

/// `GET /alerts`; without a `status` parameter only open alerts are listed, and with
/// `status=any` (or an empty one) alerts in every status.
pub async fn page(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(query): Query<AlertsQuery>,
) -> Result<Response, PageError> {
    let status = match query.status.as_deref().map(str::trim) {
        None => Some(AlertStatus::Open),
        Some("" | ANY_STATUS) => None,
        Some(text) => Some(text.parse::<AlertStatus>().map_err(PageError::BadRequest)?),
    };
    let status_value = status.map(|s| s.as_str()).unwrap_or(ANY_STATUS);
    let filter = AlertFilter {
        status,
        kind: non_empty(&query.kind).map(str::to_string),
        endpoint_id: non_empty(&query.endpoint).map(str::to_string),
        host: non_empty(&query.host).map(str::to_string),
        actor: non_empty(&query.actor).map(str::to_string),
        limit: PAGE_ROWS,
        offset: query.offset.unwrap_or(0),
    };
    let store = state.store.clone();
    let lookup = filter.clone();
    let (alerts, summary): (StorePage<Alert>, InventorySummary) =
        blocking(move || -> palisade_store::Result<_> { Ok((store.alerts(&lookup)?, store.summary(0)?)) }).await??;

    let base = format!(
        "/alerts?{}",
        format::query_string(&[
            ("status", Some(status_value)),
            ("type", non_empty(&query.kind)),
            ("host", non_empty(&query.host)),
            ("endpoint", non_empty(&query.endpoint)),
            ("actor", non_empty(&query.actor)),
        ])
    );
    let return_to = format!("{base}&offset={}", filter.offset);
    let page = Page { title: "Alerts", section: "/alerts", caller: &caller, notice: notice(query.notice.as_deref()) };
    let content = html! {
        h1 { "Alerts" }
        form class="filters card" method="get" action="/alerts" role="search" aria-label="Filter alerts" {
            div class="field" {
                label for="status" { "Status" }
                select id="status" name="status" {
                    @for (value, label) in [("open", "Open"), ("resolved", "Resolved"), ("ignored", "Ignored"), (ANY_STATUS, "Any status")] {
                        option value=(value) selected[status_value == value] { (label) }
                    }
                }
            }
            div class="field" {
                label for="type" { "Type" }
                input id="type" name="type" type="text" list="alert-types" value=(non_empty(&query.kind).unwrap_or(""));
                datalist id="alert-types" {
                    @for alert in &summary.open_alerts { option value=(alert.kind) {} }
                }
            }
            div class="field" {
                label for="alert-host" { "Host" }
                input id="alert-host" name="host" type="text" value=(non_empty(&query.host).unwrap_or(""));
            }
            div class="field" {
                label for="alert-actor" { "Actor" }
                input id="alert-actor" name="actor" type="text" value=(non_empty(&query.actor).unwrap_or("")) placeholder="ip:203.0.113.9";
            }
            @if let Some(endpoint) = non_empty(&query.endpoint) {
                input type="hidden" name="endpoint" value=(endpoint);
            }
            div class="field actions" {
                button type="submit" class="button primary" { "Apply" }
                a class="button secondary" href="/alerts" { "Reset" }
            }
        }
        @if alerts.items.is_empty() {
            div class="card empty" {
                p { "No alert matches these filters." }
                p class="muted small" {
                    "Alerts are raised by the pipeline: sensitive data in traffic, attacks and abusive behaviour. "
                    "Each one groups repeats of the same problem on the same endpoint and location."
                }
            }
        } @else {
            (table(&alerts.items, &caller, &return_to))
        }
        (format::pagination(&base, filter.offset, alerts.items.len(), alerts.total, PAGE_ROWS))
    };
    Ok(to_html(page.render(content)).into_response())
}

/// A table of alerts with triage buttons for analysts; buttons come back to `return_to`.
pub fn table(alerts: &[Alert], caller: &Caller, return_to: &str) -> Markup {
    let triage = can_triage(caller);
    let csrf = caller.csrf_token.as_deref().unwrap_or("");
    html! {
        div class="table-wrap" {
            table class="data alerts" {
                thead {
                    tr {
                        th scope="col" { "Severity" }
                        th scope="col" { "Alert" }
                        th scope="col" { "Where" }
                        th scope="col" class="num" { "Count" }
                        th scope="col" { "Last seen" }
                        th scope="col" { "Status" }
                        @if triage { th scope="col" { "Actions" } }
                    }
                }
                tbody {
                    @for alert in alerts {
                        tr id={ "alert-" (alert.id) } {
                            td { (format::severity(alert.severity)) }
                            td {
                                span class="block" { (alert.description) }
                                span class="muted small" { code { (alert.kind) } " · #" (alert.id) }
                            }
                            td {
                                @if let Some(endpoint) = &alert.endpoint_id {
                                    a href={ "/endpoints/" (endpoint) } { "Endpoint" }
                                    @if let Some(host) = &alert.host { span class="muted small block" { (host) } }
                                } @else if let Some(host) = &alert.host { (host) }
                                @if let Some(location) = &alert.location { span class="small block" { code { (location) } } }
                                @if let Some(actor) = &alert.actor {
                                    span class="small block" { a href={ "/actors/" (format::path_segment(actor)) } { (actor) } }
                                }
                            }
                            td class="num" { (count(alert.count)) }
                            td { (format::time(alert.last_seen_ms)) }
                            td { (format::status(alert.status.as_str())) }
                            @if triage {
                                td class="actions" {
                                    @for (target, label) in transitions(alert.status) {
                                        form method="post" action={ "/alerts/" (alert.id) "/status" } class="inline" {
                                            input type="hidden" name="csrf_token" value=(csrf);
                                            input type="hidden" name="status" value=(target.as_str());
                                            input type="hidden" name="return_to" value=(return_to);
                                            button type="submit" class="button small secondary"
                                                aria-label={ (label) " alert #" (alert.id) } { (label) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The statuses an alert can move to from `status`, with button labels.
fn transitions(status: AlertStatus) -> &'static [(AlertStatus, &'static str)] {
    match status {
        AlertStatus::Open => &[(AlertStatus::Resolved, "Resolve"), (AlertStatus::Ignored, "Ignore")],
        AlertStatus::Resolved | AlertStatus::Ignored => &[(AlertStatus::Open, "Reopen")],
    }
}

#[derive(Debug, Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    pub csrf_token: String,
    pub status: AlertStatus,
    #[serde(default)]
    pub return_to: String,
}

/// `POST /alerts/{id}/status`: analysts and admins only.
pub async fn set_status(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<i64>,
    Form(form): Form<StatusForm>,
) -> Result<Response, PageError> {
    check_form(&caller, &form.csrf_token, Role::Analyst, "change alerts")?;
    let _updated = api::update_alert(State(state), ApiPath(id), ApiJson(AlertUpdate { status: form.status })).await?;
    Ok(see_other(&with_notice(safe_next(&form.return_to), form.status.as_str())))
}

/// Adds `notice=KEY` to a same-origin path, before any `#fragment`.
pub fn with_notice(path: &str, key: &str) -> String {
    let (path, fragment) = match path.split_once('#') {
        Some((path, fragment)) => (path, format!("#{fragment}")),
        None => (path, String::new()),
    };
    let separator = if path.contains('?') { '&' } else { '?' };
    format!("{path}{separator}notice={key}{fragment}")
}
