//! `/`: the state of the inventory at a glance.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use palisade_core::inventory::Endpoint;
use palisade_core::timestamp::now_ms;
use palisade_store::{EndpointFilter, EndpointSort, HourlyCounts, InventorySummary};

use super::super::charts::{self, Bar};
use super::super::format::{self, count};
use super::super::layout::Page;
use super::super::session::PageCaller;
use super::super::{PageError, html as to_html};
use crate::api::blocking;
use crate::server::AppState;

/// Endpoints with at least this risk score count as high risk.
pub const HIGH_RISK_SCORE: u32 = 60;
/// Endpoints first seen within this many days count as new.
const NEW_ENDPOINT_DAYS: i64 = 7;
/// Hours of traffic the overview's chart shows.
const TRAFFIC_HOURS: u32 = 7 * 24;
/// Rows in the overview's short endpoint lists.
const SHORT_LIST_ROWS: u32 = 8;

struct Overview {
    summary: InventorySummary,
    traffic: HourlyCounts,
    riskiest: Vec<Endpoint>,
    newest: Vec<Endpoint>,
    since_ms: i64,
}

/// `GET /`.
pub async fn page(State(state): State<AppState>, PageCaller(caller): PageCaller) -> Result<Response, PageError> {
    let store = state.store.clone();
    let since_ms = now_ms() - NEW_ENDPOINT_DAYS * 86_400_000;
    let overview = blocking(move || -> palisade_store::Result<Overview> {
        let summary = store.summary(since_ms)?;
        let traffic = store.traffic(TRAFFIC_HOURS)?;
        let riskiest = store
            .endpoints(&EndpointFilter {
                sort: EndpointSort::Risk,
                min_risk: Some(1),
                limit: SHORT_LIST_ROWS,
                ..Default::default()
            })?
            .items;
        let newest = store
            .endpoints(&EndpointFilter { sort: EndpointSort::FirstSeen, limit: SHORT_LIST_ROWS, ..Default::default() })?
            .items
            .into_iter()
            .filter(|e| e.first_seen_ms >= since_ms)
            .collect();
        Ok(Overview { summary, traffic, riskiest, newest, since_ms })
    })
    .await??;

    let page = Page { title: "Overview", section: "/", caller: &caller, notice: None };
    Ok(to_html(page.render(content(&overview))).into_response())
}

fn content(overview: &Overview) -> Markup {
    let summary = &overview.summary;
    let high_risk: u64 = summary.risk_bands[3] + summary.risk_bands[4];
    let open_alerts: u64 = summary.open_alerts.iter().map(|a| a.count).sum();
    let risk_labels = ["0–19", "20–39", "40–59", "60–79", "80–100"];
    let risk_bars: Vec<Bar> = summary
        .risk_bands
        .iter()
        .zip(risk_labels)
        .map(|(value, label)| Bar { label: format!("Score {label}"), value: *value, href: None })
        .collect();
    let finding_bars: Vec<Bar> = summary
        .findings_by_class
        .iter()
        .map(|(class, value)| Bar {
            label: class.clone(),
            value: *value,
            href: Some(format!("/attacks?{}", format::query_string(&[("class", Some(class))]))),
        })
        .collect();

    html! {
        h1 { "Overview" }
        @if summary.endpoints == 0 {
            section class="card empty" {
                h2 { "No traffic yet" }
                p {
                    "Endpoints appear here once traffic arrives: from agents that send traces to "
                    code { "/api/v1/log-request/batch" } ", from " code { "palisade ingest FILE --server URL --key KEY" }
                    ", or from " code { "palisade proxy" } "."
                }
            }
        }
        ul class="stats" {
            li { a href="/endpoints" { span class="stat-value" { (count(summary.hosts)) } span class="stat-label" { "Hosts" } } }
            li { a href="/endpoints" { span class="stat-value" { (count(summary.endpoints)) } span class="stat-label" { "Endpoints" } } }
            li {
                a href={ "/endpoints?sort=risk&min_risk=" (HIGH_RISK_SCORE) } {
                    span class="stat-value" { (count(high_risk)) }
                    span class="stat-label" { "High-risk endpoints (score " (HIGH_RISK_SCORE) "+)" }
                }
            }
            li { a href="/alerts?status=open" { span class="stat-value" { (count(open_alerts)) } span class="stat-label" { "Open alerts" } } }
            li {
                a href="/endpoints?sort=first_seen" {
                    span class="stat-value" { (count(summary.new_endpoints)) }
                    span class="stat-label" { "New endpoints in " (NEW_ENDPOINT_DAYS) " days" }
                }
            }
        }

        section class="card" aria-labelledby="traffic-title" {
            h2 id="traffic-title" { "Traffic over time" }
            @match (overview.traffic.first(), overview.traffic.last()) {
                (Some(_), Some((last, _))) => {
                    @let first = last - (i64::from(TRAFFIC_HOURS) - 1) * 3_600_000;
                    (charts::hourly_area("Requests per hour, last 7 days with traffic (UTC)", &overview.traffic, first, *last))
                }
                _ => { p class="muted" { "No requests recorded yet." } }
            }
        }

        div class="grid-2" {
            section class="card" aria-labelledby="alerts-title" {
                h2 id="alerts-title" { "Open alerts by type" }
                @if summary.open_alerts.is_empty() {
                    p class="muted" { "No open alerts." }
                } @else {
                    div class="table-wrap" {
                        table {
                            thead { tr { th scope="col" { "Type" } th scope="col" { "Worst severity" } th scope="col" class="num" { "Open" } } }
                            tbody {
                                @for alert in &summary.open_alerts {
                                    tr {
                                        td { a href={ "/alerts?status=open&" (format::query_string(&[("type", Some(&alert.kind))])) } { (alert.kind) } }
                                        td { (format::severity(alert.severity)) }
                                        td class="num" { (count(alert.count)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            section class="card" aria-labelledby="risk-title" {
                h2 id="risk-title" { "Risk distribution" }
                (charts::bars("Endpoints per risk score band", &risk_bars))
            }
        }

        div class="grid-2" {
            section class="card" aria-labelledby="riskiest-title" {
                h2 id="riskiest-title" { "Highest-risk endpoints" }
                (endpoint_list(&overview.riskiest, "No endpoint has a risk score yet.", false))
            }
            section class="card" aria-labelledby="new-title" {
                h2 id="new-title" { "New endpoints this week" }
                p class="muted small" { "First seen since " (format::short_time(overview.since_ms)) "." }
                (endpoint_list(&overview.newest, "No endpoint was first seen in the last 7 days.", true))
            }
        }

        section class="card" aria-labelledby="findings-title" {
            h2 id="findings-title" { "Findings by class" }
            (charts::bars("Stored attack findings per class", &finding_bars))
        }
    }
}

fn endpoint_list(endpoints: &[Endpoint], empty: &str, show_first_seen: bool) -> Markup {
    html! {
        @if endpoints.is_empty() {
            p class="muted" { (empty) }
        } @else {
            div class="table-wrap" {
                table {
                    thead {
                        tr {
                            th scope="col" { "Endpoint" }
                            @if show_first_seen { th scope="col" { "First seen" } } @else { th scope="col" class="num" { "Risk" } }
                        }
                    }
                    tbody {
                        @for endpoint in endpoints {
                            tr {
                                td {
                                    (format::method(&endpoint.method)) " "
                                    a href={ "/endpoints/" (endpoint.id) } { (endpoint.template) }
                                    span class="muted small block" { (endpoint.host) }
                                }
                                @if show_first_seen { td { (format::time(endpoint.first_seen_ms)) } }
                                @else { td class="num" { (format::risk(endpoint.risk.score)) } }
                            }
                        }
                    }
                }
            }
        }
    }
}
