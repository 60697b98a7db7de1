//! `/data`: sensitive data by class across the inventory, and where one class was seen.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use palisade_store::{ClassLocation, DataClassSummary, Page as StorePage};
use serde::Deserialize;

use super::super::charts::{self, Bar};
use super::super::format::{self, count};
use super::super::layout::Page;
use super::super::session::PageCaller;
use super::super::{PAGE_ROWS, PageError, html as to_html};
use super::non_empty;
use crate::api::blocking;
use crate::server::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct DataQuery {
    pub class: Option<String>,
    pub offset: Option<u32>,
}

/// `GET /data`, and `GET /data?class=ID` for the locations of one class.
pub async fn page(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(query): Query<DataQuery>,
) -> Result<Response, PageError> {
    let class = non_empty(&query.class).map(str::to_string);
    let offset = query.offset.unwrap_or(0);
    let store = state.store.clone();
    let selected = class.clone();
    let (classes, locations) = blocking(move || -> palisade_store::Result<_> {
        let classes = store.data_classes()?;
        let locations = match &selected {
            Some(class) => Some(store.class_locations(class, PAGE_ROWS, offset)?),
            None => None,
        };
        Ok((classes, locations))
    })
    .await??;

    let page = Page { title: "Sensitive data", section: "/data", caller: &caller, notice: None };
    let content = match (&class, &locations) {
        (Some(class), Some(locations)) => class_page(class, &classes, locations, offset),
        _ => overview(&classes),
    };
    Ok(to_html(page.render(content)).into_response())
}

fn overview(classes: &[DataClassSummary]) -> Markup {
    let bars: Vec<Bar> = classes
        .iter()
        .filter(|c| c.endpoints > 0)
        .map(|c| Bar {
            label: c.class_id.clone(),
            value: c.endpoints,
            href: Some(format!("/data?{}", format::query_string(&[("class", Some(&c.class_id))]))),
        })
        .collect();
    html! {
        h1 { "Sensitive data" }
        @if classes.is_empty() {
            section class="card empty" {
                p { "No sensitive data found yet." }
                p class="muted small" {
                    "Data classes (email addresses, card numbers, secrets and others) are found in request and response "
                    "values as traffic arrives. The " code { "classification" } " section of the configuration file "
                    "adds custom classes and turns classes off."
                }
            }
        } @else {
            section class="card" aria-labelledby="classes-chart-title" {
                h2 id="classes-chart-title" { "Endpoints per data class" }
                (charts::bars("Endpoints with each data class, false positives left out", &bars))
            }
            section class="card" aria-labelledby="classes-title" {
                h2 id="classes-title" { "Data classes" }
                div class="table-wrap" {
                    table class="data" {
                        thead {
                            tr {
                                th scope="col" { "Class" } th scope="col" { "Severity" }
                                th scope="col" class="num" { "Endpoints" } th scope="col" class="num" { "Locations" }
                                th scope="col" class="num" { "Matches" } th scope="col" class="num" { "False positives" }
                                th scope="col" { "Last match" }
                            }
                        }
                        tbody {
                            @for class in classes {
                                tr {
                                    th scope="row" {
                                        a href={ "/data?" (format::query_string(&[("class", Some(&class.class_id))])) } { (class.class_id) }
                                    }
                                    td { (format::severity(class.severity)) }
                                    td class="num" { (count(class.endpoints)) }
                                    td class="num" { (count(class.locations)) }
                                    td class="num" { (count(class.hits)) }
                                    td class="num" { (count(class.false_positives)) }
                                    td { (format::time(class.last_hit_ms)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn class_page(class: &str, classes: &[DataClassSummary], locations: &StorePage<ClassLocation>, offset: u32) -> Markup {
    let summary = classes.iter().find(|c| c.class_id == class);
    let base = format!("/data?{}", format::query_string(&[("class", Some(class))]));
    html! {
        nav class="breadcrumbs" aria-label="Breadcrumb" { a href="/data" { "Sensitive data" } " / " span { (class) } }
        h1 { "Data class " code { (class) } }
        @if let Some(summary) = summary {
            ul class="facts" {
                li { span class="fact-label" { "Severity" } span { (format::severity(summary.severity)) } }
                li { span class="fact-label" { "Endpoints" } span { (count(summary.endpoints)) } }
                li { span class="fact-label" { "Locations" } span { (count(summary.locations)) } }
                li { span class="fact-label" { "False positives" } span { (count(summary.false_positives)) } }
            }
            p {
                a href={ "/endpoints?sort=risk&" (format::query_string(&[("data_class", Some(class))])) } {
                    "Show these endpoints in the endpoint table"
                }
            }
        }
        @if locations.items.is_empty() {
            div class="card empty" { p { "This class was not found on any field location." } }
        } @else {
            div class="table-wrap" {
                table class="data" {
                    thead {
                        tr {
                            th scope="col" { "Endpoint" } th scope="col" { "Location" }
                            th scope="col" class="num" { "Matches" } th scope="col" { "Last match" } th scope="col" { "Marked" }
                        }
                    }
                    tbody {
                        @for location in &locations.items {
                            tr {
                                td {
                                    (format::method(&location.method)) " "
                                    a href={ "/endpoints/" (location.endpoint_id) "#fields" } { (location.template) }
                                    span class="muted small block" { (location.host) }
                                }
                                td { span class="small block muted" { (format::section_name(location.section.as_str())) } code { (location.path) } }
                                td class="num" { (count(location.hits)) }
                                td { (format::time(location.last_hit_ms)) }
                                td { @if location.false_positive { span class="badge status-ignored" { "false positive" } } @else { "—" } }
                            }
                        }
                    }
                }
            }
        }
        (format::pagination(&base, offset, locations.items.len(), locations.total, PAGE_ROWS))
    }
}
