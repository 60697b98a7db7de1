//! `/actors` and `/actors/{id}`: who traffic is attributed to, and one actor's timeline.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use maud::html;
use palisade_store::ActorFilter;
use serde::Deserialize;

use super::super::format::{self, count};
use super::super::layout::Page;
use super::super::session::{PageCaller, can_triage};
use super::super::{PAGE_ROWS, PageError, html as to_html};
use super::{NoticeQuery, alerts, notice};
use crate::api::blocking;
use crate::server::AppState;

/// Findings shown in an actor's timeline.
const MAX_TIMELINE: u32 = 500;

#[derive(Debug, Default, Deserialize)]
pub struct ActorsQuery {
    /// `all` lists every actor; by default only actors with findings.
    pub show: Option<String>,
    pub offset: Option<u32>,
}

/// `GET /actors`.
pub async fn list(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(query): Query<ActorsQuery>,
) -> Result<Response, PageError> {
    let show_all = query.show.as_deref() == Some("all");
    let offset = query.offset.unwrap_or(0);
    let filter = ActorFilter { with_findings_only: !show_all, limit: PAGE_ROWS, offset };
    let store = state.store.clone();
    let actors = blocking(move || store.actors(&filter)).await??;
    let base = if show_all { "/actors?show=all" } else { "/actors" };

    let page = Page { title: "Actors", section: "/actors", caller: &caller, notice: None };
    let content = html! {
        h1 { "Actors" }
        p class="muted" {
            "An actor is who traffic is attributed to: an API key, a JWT subject, a session or a client IP address. "
            "Keys and sessions appear as keyed hashes, never as the credential."
        }
        form class="filters card" method="get" action="/actors" aria-label="Choose actors" {
            div class="field" {
                label for="show" { "Show" }
                select id="show" name="show" {
                    option value="attackers" selected[!show_all] { "Actors with findings" }
                    option value="all" selected[show_all] { "All actors" }
                }
            }
            div class="field actions" { button type="submit" class="button primary" { "Apply" } }
        }
        @if actors.items.is_empty() {
            div class="card empty" {
                @if show_all { p { "No actors yet. They appear as traffic arrives." } }
                @else { p { "No actor has findings. " a href="/actors?show=all" { "Show all actors" } } }
            }
        } @else {
            div class="table-wrap" {
                table class="data" {
                    thead {
                        tr {
                            th scope="col" { "Actor" } th scope="col" { "Kind" } th scope="col" class="num" { "Requests" }
                            th scope="col" { "Findings" } th scope="col" { "Last IP" } th scope="col" { "Last seen" }
                        }
                    }
                    tbody {
                        @for actor in &actors.items {
                            tr {
                                td { a href={ "/actors/" (format::path_segment(&actor.id)) } { (actor.id) } }
                                td { (actor.kind.as_str()) }
                                td class="num" { (count(actor.requests)) }
                                td { @for (class, n) in &actor.findings { span class="tag" { (class) " " (count(*n)) } } }
                                td { (actor.last_ip.as_deref().unwrap_or("—")) }
                                td { (format::time(actor.last_seen_ms)) }
                            }
                        }
                    }
                }
            }
        }
        (format::pagination(base, offset, actors.items.len(), actors.total, PAGE_ROWS))
    };
    Ok(to_html(page.render(content)).into_response())
}

/// `GET /actors/{id}`: the actor's findings oldest first, and the alerts that name it.
pub async fn detail(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let store = state.store.clone();
    let lookup = id.clone();
    let Some(detail) = blocking(move || store.actor(&lookup, MAX_TIMELINE)).await?? else {
        return Err(PageError::NotFound(format!("Actor {id}")));
    };
    let actor = &detail.actor;
    let title = format!("Actor {}", actor.id);
    // The alert table's triage buttons come back here with a confirmation.
    let page = Page { title: &title, section: "/actors", caller: &caller, notice: notice(query.notice.as_deref()) };
    let content = html! {
        nav class="breadcrumbs" aria-label="Breadcrumb" { a href="/actors" { "Actors" } " / " span { (actor.id) } }
        h1 { "Actor " code { (actor.id) } }
        ul class="facts" {
            li { span class="fact-label" { "Kind" } span { (actor.kind.as_str()) } }
            li { span class="fact-label" { "Requests" } span { (count(actor.requests)) } }
            li { span class="fact-label" { "Last IP" } span { (actor.last_ip.as_deref().unwrap_or("—")) } }
            li { span class="fact-label" { "First seen" } span { (format::time(actor.first_seen_ms)) } }
            li { span class="fact-label" { "Last seen" } span { (format::time(actor.last_seen_ms)) } }
        }
        @if can_triage(&caller) {
            p { a class="button primary" href={ "/rules/new?" (format::query_string(&[("actor", Some(&actor.id))])) } { "Block this actor…" } }
        }
        section class="card" aria-labelledby="timeline-title" {
            h2 id="timeline-title" { "Timeline" }
            @if detail.findings.is_empty() {
                p class="muted" { "No findings for this actor." }
            } @else {
                p class="muted small" { "Findings, oldest first (at most " (MAX_TIMELINE) ")." }
                ol class="timeline" {
                    @for finding in &detail.findings {
                        li {
                            (format::time(finding.at_ms))
                            div class="timeline-body" {
                                (format::severity(finding.severity)) " "
                                strong { (finding.class) } " "
                                span class="muted small" { code { (finding.rule_id) } }
                                span class="block" {
                                    (format::method(&finding.method)) " "
                                    @if let Some(endpoint) = &finding.endpoint_id {
                                        a href={ "/endpoints/" (endpoint) } { (finding.path) }
                                    } @else { (finding.path) }
                                    span class="muted small" { " on " (finding.host) " at " code { (finding.location) } }
                                }
                                code class="evidence block" { (finding.evidence) }
                            }
                        }
                    }
                }
            }
        }
        section class="card" aria-labelledby="actor-alerts-title" {
            h2 id="actor-alerts-title" { "Alerts naming this actor" }
            @if detail.alerts.is_empty() {
                p class="muted" { "None." }
            } @else {
                (alerts::table(&detail.alerts, &caller, &format!("/actors/{}", format::path_segment(&actor.id))))
            }
        }
    };
    Ok(to_html(page.render(content)).into_response())
}
