//! `/endpoints`: the inventory as a table, filtered, sorted and paged by the store.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use palisade_core::auth::AuthScheme;
use palisade_store::{DataClassSummary, EndpointFilter, EndpointSort, HostSummary, Page as StorePage};
use serde::Deserialize;

use super::super::format::{self, count};
use super::super::layout::Page;
use super::super::session::PageCaller;
use super::super::{PAGE_ROWS, PageError, html as to_html};
use super::non_empty;
use crate::api::blocking;
use crate::server::AppState;
use palisade_core::inventory::Endpoint;

/// Query parameters of the page. Every value is optional and empty means absent, as
/// the filter form sends them.
#[derive(Debug, Default, Deserialize)]
pub struct EndpointsQuery {
    pub search: Option<String>,
    pub host: Option<String>,
    pub method: Option<String>,
    pub min_risk: Option<String>,
    pub data_class: Option<String>,
    pub auth: Option<String>,
    pub sort: Option<String>,
    pub offset: Option<u32>,
}

const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
const RISK_MINIMUMS: &[(&str, &str)] =
    &[("", "Any risk"), ("1", "1 or more"), ("40", "40 or more"), ("60", "60 or more (high)"), ("80", "80 or more")];
const SORTS: &[(&str, &str)] = &[
    ("path", "Host and path"),
    ("risk", "Risk, highest first"),
    ("hits", "Requests, most first"),
    ("last_seen", "Last seen, newest first"),
    ("first_seen", "First seen, newest first"),
];

/// The filter the query asks for; invalid values are reported, not ignored.
fn filter_from(query: &EndpointsQuery) -> Result<EndpointFilter, PageError> {
    let sort = match non_empty(&query.sort).unwrap_or("path") {
        "path" => EndpointSort::Path,
        "risk" => EndpointSort::Risk,
        "hits" => EndpointSort::Hits,
        "last_seen" => EndpointSort::LastSeen,
        "first_seen" => EndpointSort::FirstSeen,
        other => return Err(PageError::BadRequest(format!("Invalid sort order {other:?}."))),
    };
    let min_risk = match non_empty(&query.min_risk) {
        Some(text) => Some(
            text.parse::<u32>()
                .map_err(|_| PageError::BadRequest(format!("Invalid minimum risk {text:?}: expected 0 to 100.")))?,
        ),
        None => None,
    };
    let auth = match non_empty(&query.auth) {
        Some(text) => Some(
            AuthScheme::ALL
                .into_iter()
                .find(|s| s.as_str() == text)
                .ok_or_else(|| PageError::BadRequest(format!("Invalid authentication scheme {text:?}.")))?,
        ),
        None => None,
    };
    Ok(EndpointFilter {
        host: non_empty(&query.host).map(str::to_string),
        method: non_empty(&query.method).map(str::to_string),
        search: non_empty(&query.search).map(str::to_string),
        sort,
        limit: PAGE_ROWS,
        offset: query.offset.unwrap_or(0),
        min_risk,
        data_class: non_empty(&query.data_class).map(str::to_string),
        auth,
    })
}

struct Listing {
    page: StorePage<Endpoint>,
    hosts: Vec<HostSummary>,
    classes: Vec<DataClassSummary>,
}

/// `GET /endpoints`.
pub async fn page(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Query(query): Query<EndpointsQuery>,
) -> Result<Response, PageError> {
    let filter = filter_from(&query)?;
    let store = state.store.clone();
    let lookup = filter.clone();
    let listing = blocking(move || -> palisade_store::Result<Listing> {
        Ok(Listing { page: store.endpoints(&lookup)?, hosts: store.hosts()?, classes: store.data_classes()? })
    })
    .await??;

    let page = Page { title: "Endpoints", section: "/endpoints", caller: &caller, notice: None };
    Ok(to_html(page.render(content(&query, &filter, &listing))).into_response())
}

fn content(query: &EndpointsQuery, filter: &EndpointFilter, listing: &Listing) -> Markup {
    let base = format!(
        "/endpoints?{}",
        format::query_string(&[
            ("search", non_empty(&query.search)),
            ("host", non_empty(&query.host)),
            ("method", non_empty(&query.method)),
            ("min_risk", non_empty(&query.min_risk)),
            ("data_class", non_empty(&query.data_class)),
            ("auth", non_empty(&query.auth)),
            ("sort", non_empty(&query.sort)),
        ])
    );
    let selected = |value: Option<&str>, option: &str| value.unwrap_or("") == option;

    html! {
        h1 { "Endpoints" }
        form class="filters card" method="get" action="/endpoints" role="search" aria-label="Filter endpoints" {
            div class="field grow" {
                label for="search" { "Search path or host" }
                input id="search" name="search" type="search" value=(non_empty(&query.search).unwrap_or(""))
                    placeholder="/users";
            }
            div class="field" {
                label for="host" { "Host" }
                select id="host" name="host" {
                    option value="" { "All hosts" }
                    @for host in &listing.hosts {
                        option value=(host.stats.host) selected[selected(non_empty(&query.host), &host.stats.host)] {
                            (host.stats.host)
                        }
                    }
                }
            }
            div class="field" {
                label for="method" { "Method" }
                select id="method" name="method" {
                    option value="" { "All methods" }
                    @for method in METHODS {
                        option value=(method) selected[selected(non_empty(&query.method), method)] { (method) }
                    }
                }
            }
            div class="field" {
                label for="min_risk" { "Risk" }
                select id="min_risk" name="min_risk" {
                    @for (value, label) in RISK_MINIMUMS {
                        option value=(value) selected[selected(non_empty(&query.min_risk), value)] { (label) }
                    }
                }
            }
            div class="field" {
                label for="data_class" { "Data class" }
                select id="data_class" name="data_class" {
                    option value="" { "Any data" }
                    @for class in &listing.classes {
                        option value=(class.class_id) selected[selected(non_empty(&query.data_class), &class.class_id)] {
                            (class.class_id)
                        }
                    }
                }
            }
            div class="field" {
                label for="auth" { "Authentication" }
                select id="auth" name="auth" {
                    option value="" { "Any" }
                    @for scheme in AuthScheme::ALL {
                        option value=(scheme.as_str()) selected[selected(non_empty(&query.auth), scheme.as_str())] {
                            (auth_label(scheme))
                        }
                    }
                }
            }
            div class="field" {
                label for="sort" { "Sort by" }
                select id="sort" name="sort" {
                    @for (value, label) in SORTS {
                        option value=(value) selected[selected(Some(non_empty(&query.sort).unwrap_or("path")), value)] { (label) }
                    }
                }
            }
            div class="field actions" {
                button type="submit" class="button primary" { "Apply" }
                a class="button secondary" href="/endpoints" { "Reset" }
            }
        }

        section aria-labelledby="results-title" {
            h2 id="results-title" class="visually-hidden" { "Results" }
            @if listing.page.items.is_empty() {
                div class="card empty" {
                    @if listing.page.total == 0 && filter.search.is_none() && filter.host.is_none() && filter.method.is_none()
                        && filter.min_risk.is_none() && filter.data_class.is_none() && filter.auth.is_none() {
                        p { "No endpoints yet. They appear as traffic arrives from agents, " code { "palisade ingest" } " or " code { "palisade proxy" } "." }
                    } @else {
                        p { "No endpoint matches these filters." }
                    }
                }
            } @else {
                div class="table-wrap" {
                    table class="data" id="endpoints-table" {
                        caption class="visually-hidden" { "Endpoints, " (count(listing.page.total)) " in total" }
                        thead {
                            tr {
                                th scope="col" { "Method" }
                                th scope="col" { "Endpoint" }
                                th scope="col" class="num" { "Risk" }
                                th scope="col" class="num" { "Requests" }
                                th scope="col" { "Authentication" }
                                th scope="col" { "Last seen" }
                            }
                        }
                        tbody {
                            @for endpoint in &listing.page.items {
                                tr {
                                    td { (format::method(&endpoint.method)) }
                                    td {
                                        a href={ "/endpoints/" (endpoint.id) } { (endpoint.template) }
                                        span class="muted small block" { (endpoint.host) }
                                    }
                                    td class="num" { (format::risk(endpoint.risk.score)) }
                                    td class="num" { (count(endpoint.hits)) }
                                    td {
                                        @for scheme in endpoint.auth.schemes() {
                                            span class="tag" { (auth_label(scheme)) }
                                        }
                                    }
                                    td { (format::time(endpoint.last_seen_ms)) }
                                }
                            }
                        }
                    }
                }
            }
            (format::pagination(&base, filter.offset, listing.page.items.len(), listing.page.total, PAGE_ROWS))
        }
    }
}

/// How an authentication scheme reads in filters and tables.
pub fn auth_label(scheme: AuthScheme) -> &'static str {
    match scheme {
        AuthScheme::None => "No credentials",
        AuthScheme::Basic => "Basic",
        AuthScheme::Bearer => "Bearer token",
        AuthScheme::Jwt => "JWT",
        AuthScheme::ApiKeyHeader => "API key header",
        AuthScheme::ApiKeyQuery => "API key in query",
        AuthScheme::SessionCookie => "Session cookie",
    }
}
