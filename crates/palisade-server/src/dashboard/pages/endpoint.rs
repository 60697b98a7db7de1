//! `/endpoints/{id}`: one endpoint with its risk, fields, data classes, evidence, samples
//! and alerts, and the form that marks a data class as a false positive.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use maud::{Markup, html};
use palisade_core::DataField;
use palisade_core::access::Role;
use palisade_core::inventory::Sample;
use palisade_store::{EndpointDetail, FieldClass};
use serde::Deserialize;

use super::super::charts;
use super::super::format::{self, count};
use super::super::layout::Page;
use super::super::session::{PageCaller, can_triage, check_form, see_other};
use super::super::{PageError, html as to_html};
use super::endpoints::auth_label;
use super::{NoticeQuery, alerts, notice};
use crate::api::dto::{AuthenticationDto, ParameterDto, SampleDto};
use crate::api::{self, FalsePositiveMark, blocking};
use crate::auth::Caller;
use crate::error::ApiJson;
use crate::server::AppState;

/// Redacted samples shown on the page.
const MAX_SAMPLES: u32 = 5;

/// `GET /endpoints/{id}`.
pub async fn page(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let store = state.store.clone();
    let lookup = id.clone();
    let found = blocking(move || -> palisade_store::Result<_> {
        let Some(detail) = store.endpoint(&lookup)? else {
            return Ok(None);
        };
        let samples = store.samples(&lookup, MAX_SAMPLES)?;
        Ok(Some((detail, samples)))
    })
    .await??;
    let Some((detail, samples)) = found else {
        return Err(PageError::NotFound(format!("Endpoint {id}")));
    };

    let title = format!("{} {}", detail.endpoint.method, detail.endpoint.template);
    let page = Page { title: &title, section: "/endpoints", caller: &caller, notice: notice(query.notice.as_deref()) };
    Ok(to_html(page.render(content(&detail, &samples, &caller))).into_response())
}

fn content(detail: &EndpointDetail, samples: &[Sample], caller: &Caller) -> Markup {
    let endpoint = &detail.endpoint;
    // Distinct classes, since one class is often found at several field locations.
    let classes_in_use: BTreeSet<&str> =
        detail.classes.iter().filter(|c| !c.false_positive).map(|c| c.class_id.as_str()).collect();
    html! {
        nav class="breadcrumbs" aria-label="Breadcrumb" { a href="/endpoints" { "Endpoints" } " / " span { (endpoint.host) } }
        h1 class="endpoint-title" { (format::method(&endpoint.method)) " " span class="template" { (endpoint.template) } }
        ul class="facts" {
            li { span class="fact-label" { "Host" } span { (endpoint.host) } }
            li { span class="fact-label" { "Risk score" } span { (format::risk(endpoint.risk.score)) } }
            li { span class="fact-label" { "Requests" } span { (count(endpoint.hits)) } }
            li { span class="fact-label" { "Data classes" } span { (classes_in_use.len()) } }
            li { span class="fact-label" { "First seen" } span { (format::time(endpoint.first_seen_ms)) } }
            li { span class="fact-label" { "Last seen" } span { (format::time(endpoint.last_seen_ms)) } }
        }
        nav class="toc" aria-label="On this page" {
            a href="#risk" { "Risk" } a href="#fields" { "Fields" } a href="#evidence" { "Path template" }
            a href="#alerts" { "Alerts" } a href="#samples" { "Samples" } a href="#openapi" { "OpenAPI" }
        }

        div class="grid-2" {
            section class="card" id="risk" aria-labelledby="risk-title" {
                h2 id="risk-title" { "Risk factors" }
                @if endpoint.risk.factors.is_empty() {
                    p class="muted" { "Nothing adds to this endpoint's risk." }
                } @else {
                    div class="table-wrap" {
                        table class="data" {
                            thead { tr { th scope="col" { "Factor" } th scope="col" class="num" { "Points" } th scope="col" { "Why" } } }
                            tbody {
                                @for factor in &endpoint.risk.factors {
                                    tr { td { code { (factor.name) } } td class="num" { (factor.contribution) } td { (factor.detail) } }
                                }
                            }
                            tfoot { tr { th scope="row" { "Score (at most 100)" } td class="num" { (endpoint.risk.score) } td {} } }
                        }
                    }
                }
            }
            section class="card" aria-labelledby="auth-title" {
                h2 id="auth-title" { "Authentication" }
                (authentication(detail))
            }
        }

        section class="card" id="fields" aria-labelledby="fields-title" {
            h2 id="fields-title" { "Fields and data classes" }
            p class="muted small" {
                "Each field shows its type, how often it was seen and the data classes found in its values. "
                "A false positive no longer counts for risk or raises alerts on this field."
            }
            (field_tree(detail, caller))
        }

        section class="card" id="evidence" aria-labelledby="evidence-title" {
            h2 id="evidence-title" { "Path template evidence" }
            (parameters(detail))
        }

        section class="card" aria-labelledby="endpoint-traffic-title" {
            h2 id="endpoint-traffic-title" { "Traffic" }
            @match detail.hourly.last() {
                Some((last, _)) => {
                    @let first = (last - 7 * 86_400_000 + 3_600_000).max(detail.hourly[0].0);
                    (charts::hourly_area("Requests per hour (UTC)", &detail.hourly, first, *last))
                }
                None => { p class="muted" { "No requests recorded per hour." } }
            }
        }

        section class="card" id="alerts" aria-labelledby="endpoint-alerts-title" {
            h2 id="endpoint-alerts-title" { "Open alerts" }
            @if detail.alerts.is_empty() {
                p class="muted" { "No open alerts on this endpoint." }
            } @else {
                (alerts::table(&detail.alerts, caller, &format!("/endpoints/{}#alerts", endpoint.id)))
            }
        }

        section class="card" id="samples" aria-labelledby="samples-title" {
            h2 id="samples-title" { "Redacted samples" }
            p class="muted small" {
                "Credentials, cookies and authentication headers are removed before samples are stored; "
                "values found to be sensitive are replaced by their class name."
            }
            @if samples.is_empty() {
                p class="muted" { "No samples stored." }
            }
            @for (i, sample) in samples.iter().enumerate() {
                @if let Some(decoded) = SampleDto::from_sample(sample) {
                    details class="sample" open[i == 0] {
                        summary { "Sample from " (format::short_time(sample.start_ms)) }
                        pre tabindex="0" { code { (serde_json::to_string_pretty(&decoded.trace).unwrap_or_default()) } }
                    }
                }
            }
        }

        section class="card" id="openapi" aria-labelledby="openapi-title" {
            h2 id="openapi-title" { "OpenAPI fragment" }
            div class="openapi" data-openapi-src={ "/api/v1/endpoints/" (endpoint.id) "/openapi" } {
                p class="muted" data-openapi-status { "Loading the fragment…" }
                pre tabindex="0" hidden { code {} }
            }
        }
    }
}

fn authentication(detail: &EndpointDetail) -> Markup {
    let auth = AuthenticationDto::from(&detail.endpoint.auth);
    html! {
        @if auth.requests.is_empty() {
            p class="muted" { "No requests recorded." }
        } @else {
            div class="table-wrap" {
                table {
                    thead { tr { th scope="col" { "Scheme" } th scope="col" class="num" { "Requests" } } }
                    tbody {
                        @for scheme in detail.endpoint.auth.schemes() {
                            tr { td { (auth_label(scheme)) } td class="num" { (count(detail.endpoint.auth.count(scheme))) } }
                        }
                    }
                }
            }
            @if auth.unauthenticated_success > 0 {
                p class="warning" { (count(auth.unauthenticated_success)) (if auth.unauthenticated_success == 1 { " request" } else { " requests" }) " without credentials got a 2xx response." }
            }
        }
    }
}

fn parameters(detail: &EndpointDetail) -> Markup {
    let parameters: Vec<ParameterDto> = detail.endpoint.params.iter().map(ParameterDto::from).collect();
    html! {
        p class="muted small" {
            @if detail.endpoint.raw_count == 1 {
                "1 distinct path shape was merged into "
            } @else {
                (count(detail.endpoint.raw_count)) " distinct path shapes were merged into "
            }
            code { (detail.endpoint.template) } "."
        }
        @if parameters.is_empty() {
            p class="muted" { "The template has no parameters: every segment is literal." }
        } @else {
            div class="table-wrap" {
                table class="data" {
                    thead {
                        tr {
                            th scope="col" { "Parameter" } th scope="col" class="num" { "Segment" } th scope="col" { "Rule" }
                            th scope="col" { "Value shapes" } th scope="col" class="num" { "Distinct values" }
                            th scope="col" class="num" { "Requests" } th scope="col" class="num" { "Confidence" }
                        }
                    }
                    tbody {
                        @for parameter in &parameters {
                            tr {
                                td { code { "{" (parameter.name) "}" } }
                                td class="num" { (parameter.position + 1) }
                                td { (parameter.rule) }
                                td {
                                    @for (kind, n) in &parameter.value_kinds { span class="tag" { (kind) " " (count(*n)) } }
                                }
                                td class="num" { (count(parameter.distinct_values)) }
                                td class="num" { (count(parameter.samples)) }
                                td class="num" { (format!("{:.0}%", parameter.confidence * 100.0)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Fields of one section, status and content type, as a tree of path segments.
#[derive(Default)]
struct Node<'a> {
    fields: Vec<&'a DataField>,
    classes: Vec<&'a FieldClass>,
    children: BTreeMap<String, Node<'a>>,
}

impl<'a> Node<'a> {
    /// The node at `path`, created on the way. Body paths split at `.`; header and query
    /// names are one segment.
    fn at(&mut self, path: &str, nested: bool) -> &mut Node<'a> {
        if path.is_empty() {
            return self;
        }
        let mut node = self;
        let segments: Vec<&str> = if nested { path.split('.').collect() } else { vec![path] };
        for segment in segments {
            node = node.children.entry(segment.to_string()).or_default();
        }
        node
    }
}

type GroupKey = (usize, Option<u16>, String);

fn field_tree(detail: &EndpointDetail, caller: &Caller) -> Markup {
    let section_order = |section: palisade_core::Section| {
        palisade_core::Section::ALL.iter().position(|s| *s == section).unwrap_or(usize::MAX)
    };
    let mut groups: BTreeMap<GroupKey, Node> = BTreeMap::new();
    for field in &detail.fields {
        let key = (section_order(field.section), field.status, field.content_type.clone());
        let nested =
            matches!(field.section, palisade_core::Section::RequestBody | palisade_core::Section::ResponseBody);
        groups.entry(key).or_default().at(&field.path, nested).fields.push(field);
    }
    for class in &detail.classes {
        let key = (section_order(class.section), class.status, class.content_type.clone());
        let nested =
            matches!(class.section, palisade_core::Section::RequestBody | palisade_core::Section::ResponseBody);
        groups.entry(key).or_default().at(&class.path, nested).classes.push(class);
    }

    let endpoint_id = &detail.endpoint.id;
    html! {
        @if groups.is_empty() {
            p class="muted" { "No fields recorded." }
        }
        @for ((section_index, status, content_type), root) in &groups {
            @let section = palisade_core::Section::ALL.get(*section_index).map(|s| s.as_str()).unwrap_or("");
            div class="field-group" {
                h3 {
                    (format::section_name(section))
                    @if let Some(status) = status { " · " (status) }
                    @if !content_type.is_empty() { " · " span class="muted" { (content_type) } }
                }
                @if !root.fields.is_empty() || !root.classes.is_empty() {
                    div class="node root" { span class="field-name muted" { "(whole body)" } (node_facts(root, section, "", endpoint_id, caller)) }
                }
                ul class="tree" {
                    @for (name, child) in &root.children {
                        (tree_node(name, child, section, name, endpoint_id, caller))
                    }
                }
            }
        }
    }
}

fn tree_node(name: &str, node: &Node, section: &str, path: &str, endpoint_id: &str, caller: &Caller) -> Markup {
    html! {
        li {
            div class="node" {
                code class="field-name" { (name) }
                (node_facts(node, section, path, endpoint_id, caller))
            }
            @if !node.children.is_empty() {
                ul {
                    @for (child_name, child) in &node.children {
                        (tree_node(child_name, child, section, &format!("{path}.{child_name}"), endpoint_id, caller))
                    }
                }
            }
        }
    }
}

fn node_facts(node: &Node, section: &str, path: &str, endpoint_id: &str, caller: &Caller) -> Markup {
    html! {
        @for field in &node.fields {
            span class="type" {
                (field.field_type.as_str())
                @if let Some(format) = field.format { " · " (format.as_str()) }
                @if field.nullable { " · nullable" }
            }
            span class="muted small" title="times seen" { "×" (count(field.count)) }
        }
        @for class in &node.classes {
            span class={ "class-mark" @if class.false_positive { " false-positive" } } {
                span class={ "badge sev-" (class.severity.as_str()) } { (class.class_id) }
                span class="muted small" {
                    (count(class.hits)) "/" (count(class.observations)) " values"
                    @if !class.active { " · inactive" }
                    @if class.false_positive { " · false positive" }
                }
                @if can_triage(caller) {
                    form method="post" action={ "/endpoints/" (endpoint_id) "/false-positives" } class="inline" {
                        input type="hidden" name="csrf_token" value=(caller.csrf_token.as_deref().unwrap_or(""));
                        input type="hidden" name="section" value=(section);
                        input type="hidden" name="path" value=(path);
                        input type="hidden" name="class" value=(class.class_id);
                        @if class.false_positive {
                            input type="hidden" name="false_positive" value="false";
                            button type="submit" class="button small secondary"
                                aria-label={ "Unmark false positive: " (class.class_id) " at " (display_path(path)) } { "Unmark false positive" }
                        } @else {
                            input type="hidden" name="false_positive" value="true";
                            button type="submit" class="button small"
                                aria-label={ "Mark false positive: " (class.class_id) " at " (display_path(path)) } { "Mark false positive" }
                        }
                    }
                }
            }
        }
    }
}

fn display_path(path: &str) -> &str {
    if path.is_empty() { "the whole body" } else { path }
}

/// Fields of the false-positive form.
#[derive(Debug, Deserialize)]
pub struct MarkForm {
    #[serde(default)]
    pub csrf_token: String,
    pub section: String,
    pub path: String,
    pub class: String,
    pub false_positive: bool,
}

/// `POST /endpoints/{id}/false-positives`: analysts and admins only.
pub async fn mark_false_positive(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    Form(form): Form<MarkForm>,
) -> Result<Response, PageError> {
    check_form(&caller, &form.csrf_token, Role::Analyst, "mark data classes as false positives")?;
    let marked = form.false_positive;
    let mark = FalsePositiveMark {
        section: form.section,
        path: form.path,
        class: form.class,
        false_positive: form.false_positive,
    };
    let _updated = api::mark_false_positive(State(state), Extension(caller), Path(id.clone()), ApiJson(mark)).await?;
    let notice = if marked { "marked" } else { "unmarked" };
    Ok(see_other(&format!("/endpoints/{id}?notice={notice}#fields")))
}
