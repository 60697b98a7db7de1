//! `/attacks`: attack findings over time and by class, newest first.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use palisade_core::finding::Finding;
use palisade_core::timestamp::hour_start;
use palisade_store::FindingFilter;
use serde::Deserialize;

use super::super::charts::{self, Bar};
use super::super::format::{self, count};
use super::super::layout::Page;
use super::super::session::PageCaller;
use super::super::{PAGE_ROWS, PageError, html as to_html};
use super::non_empty;
use crate::api::blocking;
use crate::server::AppState;

/// Newest findings the timeline chart counts per hour.
const TIMELINE_FINDINGS: u32 = 1000;

#[derive(Debug, Default, Deserialize)]
pub struct AttacksQuery {
    pub class: Option<String>,
    pub actor: Option<String>,
    pub offset: Option<u32>,
}

/// `GET /attacks`.
pub async fn page(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(query): Query<AttacksQuery>,
) -> Result<Response, PageError> {
    let offset = query.offset.unwrap_or(0);
    let filter = FindingFilter {
        actor: non_empty(&query.actor).map(str::to_string),
        class: non_empty(&query.class).map(str::to_string),
        limit: PAGE_ROWS,
        offset,
        ..Default::default()
    };
    let store = state.store.clone();
    let lookup = filter.clone();
    let (findings, recent, summary) = blocking(move || -> palisade_store::Result<_> {
        let findings = store.findings(&lookup)?;
        let recent = store.findings(&FindingFilter { limit: TIMELINE_FINDINGS, offset: 0, ..lookup.clone() })?;
        Ok((findings, recent.items, store.summary(0)?))
    })
    .await??;

    let class_bars: Vec<Bar> = summary
        .findings_by_class
        .iter()
        .map(|(class, value)| Bar {
            label: class.clone(),
            value: *value,
            href: Some(format!("/attacks?{}", format::query_string(&[("class", Some(class))]))),
        })
        .collect();
    let base = format!(
        "/attacks?{}",
        format::query_string(&[("class", non_empty(&query.class)), ("actor", non_empty(&query.actor))])
    );

    let page = Page { title: "Attacks", section: "/attacks", caller: &caller, notice: None };
    let content = html! {
        h1 { "Attacks" }
        @if summary.findings_by_class.is_empty() {
            section class="card empty" {
                p { "No attacks detected yet." }
                p class="muted small" {
                    "Findings come from signature detection on every request location (injection, traversal, SSRF, "
                    "scanners) and from actors' behaviour over time (credential stuffing, enumeration, abuse rates)."
                }
            }
        } @else {
            div class="grid-2" {
                section class="card" aria-labelledby="timeline-title" {
                    h2 id="timeline-title" { "Timeline" }
                    (timeline(&recent))
                }
                section class="card" aria-labelledby="classes-title" {
                    h2 id="classes-title" { "Findings by class" }
                    (charts::bars("All stored findings per class", &class_bars))
                }
            }
            form class="filters card" method="get" action="/attacks" role="search" aria-label="Filter findings" {
                div class="field" {
                    label for="class" { "Class" }
                    select id="class" name="class" {
                        option value="" { "All classes" }
                        @for (class, _) in &summary.findings_by_class {
                            option value=(class) selected[non_empty(&query.class) == Some(class.as_str())] { (class) }
                        }
                    }
                }
                div class="field grow" {
                    label for="actor" { "Actor" }
                    input id="actor" name="actor" type="text" value=(non_empty(&query.actor).unwrap_or("")) placeholder="ip:203.0.113.9";
                }
                div class="field actions" {
                    button type="submit" class="button primary" { "Apply" }
                    a class="button secondary" href="/attacks" { "Reset" }
                }
            }
            @if findings.items.is_empty() {
                div class="card empty" { p { "No finding matches these filters." } }
            } @else {
                (findings_table(&findings.items))
            }
            (format::pagination(&base, offset, findings.items.len(), findings.total, PAGE_ROWS))
        }
    };
    Ok(to_html(page.render(content)).into_response())
}

/// Findings per hour of the newest findings, from their first hour to their last.
fn timeline(findings: &[Finding]) -> Markup {
    let mut per_hour: BTreeMap<i64, u64> = BTreeMap::new();
    for finding in findings {
        *per_hour.entry(hour_start(finding.at_ms)).or_default() += 1;
    }
    let points: Vec<(i64, u64)> = per_hour.into_iter().collect();
    match (points.first(), points.last()) {
        (Some((first, _)), Some((last, _))) => {
            let caption = format!("Findings per hour, newest {} findings (UTC)", count(findings.len() as u64));
            charts::hourly_area(&caption, &points, *first.max(&(last - 7 * 86_400_000 + 3_600_000)), *last)
        }
        _ => html! { p class="muted" { "No findings." } },
    }
}

/// Findings, newest first, with their actor, request and evidence.
pub fn findings_table(findings: &[Finding]) -> Markup {
    html! {
        div class="table-wrap" {
            table class="data" {
                thead {
                    tr {
                        th scope="col" { "Time" } th scope="col" { "Class" } th scope="col" { "Severity" }
                        th scope="col" { "Actor" } th scope="col" { "Request" } th scope="col" { "Evidence" }
                    }
                }
                tbody {
                    @for finding in findings {
                        tr {
                            td { (format::time(finding.at_ms)) }
                            td {
                                span class="block" { (finding.class) }
                                span class="muted small" { code { (finding.rule_id) } " · " (finding.confidence.as_str()) " confidence" }
                            }
                            td { (format::severity(finding.severity)) }
                            td {
                                @if let Some(actor) = &finding.actor {
                                    a href={ "/actors/" (format::path_segment(actor)) } { (actor) }
                                } @else { "—" }
                            }
                            td {
                                (format::method(&finding.method)) " "
                                @if let Some(endpoint) = &finding.endpoint_id {
                                    a href={ "/endpoints/" (endpoint) } { (finding.path) }
                                } @else { (finding.path) }
                                span class="muted small block" { (finding.host) " · " code { (finding.location) } }
                            }
                            td { code class="evidence" { (finding.evidence) } }
                        }
                    }
                }
            }
        }
    }
}
