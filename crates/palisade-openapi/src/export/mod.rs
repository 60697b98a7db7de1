//! OpenAPI 3.1 descriptions of one host, reconstructed from the inventory, with the
//! evidence for each part in `x-palisade-*` extensions.
//!
//! The output depends only on the input: maps are sorted, samples are ordered by their
//! content, and confidences are rounded to three decimals, so the same inventory gives
//! byte-identical JSON.

mod params;
mod schema;

use std::collections::{BTreeMap, BTreeSet};

use palisade_core::auth::AuthScheme;
use palisade_core::inventory::{Endpoint, FieldDelta, FieldKey, FormatState};
use palisade_core::template::{TemplateSegment, ValueKind};
use palisade_core::timestamp::format_rfc3339;
use palisade_core::{DataField, FieldType, PathTemplate, Section, Severity, Trace};
use serde_json::{Map, Value, json};

use params::{SecurityNames, path_parameters, query_and_header_parameters, security_requirements};
use schema::{Node, collect_values, parse_path};

/// A data class seen at one field location of an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassObservation {
    pub section: Section,
    pub path: String,
    pub status: Option<u16>,
    /// Stable class id such as `email`.
    pub class_id: String,
    pub severity: Severity,
    /// Traces in which a value at the location matched the class.
    pub hits: u64,
}

/// Export input for one endpoint.
#[derive(Debug, Clone)]
pub struct EndpointExport {
    pub endpoint: Endpoint,
    pub fields: Vec<DataField>,
    pub classes: Vec<ClassObservation>,
    /// Redacted sample traces; at most [`ExportSettings::max_samples_per_operation`] are
    /// read.
    pub samples: Vec<Trace>,
}

#[cfg(feature = "store")]
impl EndpointExport {
    /// Builds export input from the store's endpoint detail and decoded samples. Classes
    /// marked as false positives or no longer active are left out.
    pub fn from_detail(detail: palisade_store::EndpointDetail, samples: Vec<Trace>) -> Self {
        let classes = detail
            .classes
            .into_iter()
            .filter(|class| class.active && !class.false_positive)
            .map(|class| ClassObservation {
                section: class.section,
                path: class.path,
                status: class.status,
                class_id: class.class_id,
                severity: class.severity,
                hits: class.hits,
            })
            .collect();
        Self { endpoint: detail.endpoint, fields: detail.fields, classes, samples }
    }
}

/// Limits and thresholds of the export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportSettings {
    /// Maximum number of samples read per operation for examples and `enum` inference.
    pub max_samples_per_operation: usize,
    /// Maximum body size, in bytes, used as an example. Larger bodies are left out.
    pub max_example_bytes: usize,
    /// Minimum number of times samples must show a string field before it gets an `enum`.
    pub enum_min_observations: usize,
    /// Maximum number of distinct values in an inferred `enum`.
    pub enum_max_values: usize,
    /// Maximum length, in characters, of each value in an inferred `enum`.
    pub enum_max_value_chars: usize,
}

impl Default for ExportSettings {
    fn default() -> Self {
        Self {
            max_samples_per_operation: 10,
            max_example_bytes: 4096,
            enum_min_observations: 8,
            enum_max_values: 4,
            enum_max_value_chars: 32,
        }
    }
}

/// Merges the field deltas of an endpoint's raw endpoints into data fields the way the
/// store reports them. Counts are added, formats merged, and first and last seen widened.
/// A location also seen containing `null` is reported once per other type, marked
/// nullable. This is for callers without a store, such as evaluations.
pub fn fields_from_deltas<'a>(deltas: impl IntoIterator<Item = &'a FieldDelta>) -> Vec<DataField> {
    let mut merged: BTreeMap<FieldKey, (u64, FormatState, i64, i64)> = BTreeMap::new();
    for delta in deltas {
        let entry = merged.entry(delta.key.clone()).or_insert((0, FormatState::Unset, i64::MAX, i64::MIN));
        entry.0 += delta.count;
        entry.1 = entry.1.merge(delta.format);
        entry.2 = entry.2.min(delta.first_seen_ms);
        entry.3 = entry.3.max(delta.last_seen_ms);
    }
    let same_location = |a: &FieldKey, b: &FieldKey| {
        a.section == b.section && a.path == b.path && a.status == b.status && a.content_type == b.content_type
    };
    let mut fields = Vec::with_capacity(merged.len());
    for (key, (count, format, first_seen_ms, last_seen_ms)) in &merged {
        let other_type = merged.keys().any(|other| other.field_type != FieldType::Null && same_location(other, key));
        if key.field_type == FieldType::Null && other_type {
            continue;
        }
        let null_seen = merged.contains_key(&FieldKey { field_type: FieldType::Null, ..key.clone() });
        fields.push(DataField {
            section: key.section,
            path: key.path.clone(),
            status: key.status,
            content_type: key.content_type.clone(),
            field_type: key.field_type,
            format: format.format(),
            nullable: key.field_type != FieldType::Null && null_seen,
            count: *count,
            first_seen_ms: *first_seen_ms,
            last_seen_ms: *last_seen_ms,
        });
    }
    fields
}

/// Exports the endpoints of `host` as an OpenAPI 3.1 description, with default settings.
/// Endpoints of other hosts in `endpoints` are ignored.
pub fn export(host: &str, endpoints: &[EndpointExport]) -> Value {
    export_with(host, endpoints, &ExportSettings::default())
}

/// Exports the endpoints of `host` as an OpenAPI 3.1 description.
pub fn export_with(host: &str, endpoints: &[EndpointExport], settings: &ExportSettings) -> Value {
    let mut selected: Vec<&EndpointExport> = endpoints.iter().filter(|e| e.endpoint.host == host).collect();
    selected
        .sort_by(|a, b| (&a.endpoint.template, &a.endpoint.method).cmp(&(&b.endpoint.template, &b.endpoint.method)));

    let path_keys = canonical_path_keys(&selected);
    let mut security = SecurityNames::default();
    let mut operation_ids: BTreeSet<String> = BTreeSet::new();
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut total_hits = 0u64;
    let mut first_seen = i64::MAX;
    let mut last_seen = i64::MIN;
    let mut scheme = "https";

    for item in &selected {
        let endpoint = &item.endpoint;
        total_hits += endpoint.hits;
        first_seen = first_seen.min(endpoint.first_seen_ms);
        last_seen = last_seen.max(endpoint.last_seen_ms);
        let samples = ordered_samples(&item.samples, settings.max_samples_per_operation);
        if samples.iter().any(|s| s.request.scheme == "http") && !samples.iter().any(|s| s.request.scheme == "https") {
            scheme = "http";
        }

        let (path_key, names) = &path_keys[&(endpoint.template.clone())];
        let operation_id = unique_operation_id(&endpoint.method, path_key, &mut operation_ids);
        let operation = operation(item, names, &samples, &operation_id, &mut security, settings);
        paths.entry(path_key.clone()).or_default().insert(endpoint.method.to_ascii_lowercase(), operation);
    }

    let mut document = Map::new();
    document.insert("openapi".into(), json!("3.1.0"));
    let description = if selected.is_empty() {
        "Reconstructed by Palisade from observed traffic: no endpoints were observed.".to_string()
    } else {
        format!(
            "Reconstructed by Palisade from {total_hits} observed request{} to {} endpoint{} between {} and {}.",
            if total_hits == 1 { "" } else { "s" },
            selected.len(),
            if selected.len() == 1 { "" } else { "s" },
            format_rfc3339(first_seen),
            format_rfc3339(last_seen)
        )
    };
    document.insert("info".into(), json!({"title": host, "version": "observed", "description": description}));
    document.insert("servers".into(), json!([{"url": format!("{scheme}://{host}")}]));
    let paths: Map<String, Value> = paths.into_iter().map(|(key, methods)| (key, Value::Object(methods))).collect();
    document.insert("paths".into(), Value::Object(paths));
    let schemes = security.components();
    if !schemes.is_empty() {
        document.insert("components".into(), json!({"securitySchemes": schemes}));
    }
    document.insert("x-palisade-host".into(), json!(host));
    Value::Object(document)
}

/// Path keys and parameter names per template. Templates that differ only in parameter
/// names are one path to OpenAPI, so they share the names of the first template in
/// sorted order. Repeated names in one template get a number.
fn canonical_path_keys(endpoints: &[&EndpointExport]) -> BTreeMap<String, (String, Vec<String>)> {
    let mut by_shape: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for item in endpoints {
        let template = PathTemplate::parse(&item.endpoint.template);
        let shape: Vec<String> = template
            .segments
            .iter()
            .map(|s| match s {
                TemplateSegment::Literal(text) => text.clone(),
                TemplateSegment::Param(_) => "{}".to_string(),
            })
            .collect();
        let shape = shape.join("/");
        let names = by_shape.entry(shape).or_insert_with(|| {
            let mut names: Vec<String> = Vec::new();
            for segment in &template.segments {
                if let TemplateSegment::Param(name) = segment {
                    let mut unique = name.clone();
                    let mut counter = 2;
                    while names.contains(&unique) {
                        unique = format!("{name}{counter}");
                        counter += 1;
                    }
                    names.push(unique);
                }
            }
            names
        });
        let mut key = String::new();
        let mut next = names.iter();
        for segment in &template.segments {
            key.push('/');
            match segment {
                TemplateSegment::Literal(text) => key.push_str(text),
                TemplateSegment::Param(_) => {
                    key.push('{');
                    key.push_str(next.next().map_or("param", String::as_str));
                    key.push('}');
                }
            }
        }
        if key.is_empty() {
            key.push('/');
        }
        out.insert(item.endpoint.template.clone(), (key, names.clone()));
    }
    out
}

/// `get_users_userId`, made unique with a number.
fn unique_operation_id(method: &str, path_key: &str, taken: &mut BTreeSet<String>) -> String {
    let mut base = method.to_ascii_lowercase();
    for segment in path_key.split('/').filter(|s| !s.is_empty()) {
        let word: String = segment.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect();
        if !word.is_empty() {
            base.push('_');
            base.push_str(&word);
        }
    }
    let mut id = base.clone();
    let mut counter = 2;
    while taken.contains(&id) {
        id = format!("{base}_{counter}");
        counter += 1;
    }
    taken.insert(id.clone());
    id
}

/// Samples in an order fixed by their content, at most `max` of them.
fn ordered_samples(samples: &[Trace], max: usize) -> Vec<&Trace> {
    let mut ordered: Vec<&Trace> = samples.iter().collect();
    ordered.sort_by(|a, b| sample_key(a).cmp(&sample_key(b)));
    ordered.truncate(max);
    ordered
}

fn sample_key(trace: &Trace) -> (i64, &str, &str, Option<u16>, &[u8], &[u8]) {
    let response = trace.response.as_ref();
    (
        trace.meta.start_ms,
        trace.request.method.as_str(),
        trace.request.path.as_str(),
        response.map(|r| r.status),
        trace.request.body.bytes.as_slice(),
        response.map_or(&[][..], |r| r.body.bytes.as_slice()),
    )
}

fn operation(
    item: &EndpointExport,
    names: &[String],
    samples: &[&Trace],
    operation_id: &str,
    security: &mut SecurityNames,
    settings: &ExportSettings,
) -> Value {
    let endpoint = &item.endpoint;
    let mut operation = Map::new();
    operation.insert("operationId".into(), json!(operation_id));
    operation.insert("summary".into(), json!(format!("{} {}", endpoint.method, endpoint.template)));

    let mut parameters = path_parameters(endpoint, names, samples);
    parameters.extend(query_and_header_parameters(endpoint, &item.fields, samples));
    if !parameters.is_empty() {
        operation.insert("parameters".into(), Value::Array(parameters));
    }
    if let Some(body) = request_body(item, samples, settings) {
        operation.insert("requestBody".into(), body);
    }
    operation.insert("responses".into(), responses(item, samples, settings));
    let requirements = security_requirements(endpoint, &item.fields, samples, security);
    if let Some(requirements) = requirements {
        operation.insert("security".into(), requirements);
    }

    operation.insert("x-palisade-endpoint-id".into(), json!(endpoint.id));
    operation.insert("x-palisade-hits".into(), json!(endpoint.hits));
    operation.insert("x-palisade-first-seen".into(), json!(format_rfc3339(endpoint.first_seen_ms)));
    operation.insert("x-palisade-last-seen".into(), json!(format_rfc3339(endpoint.last_seen_ms)));
    operation.insert("x-palisade-template-evidence".into(), template_evidence(endpoint, names));
    operation.insert("x-palisade-data-classes".into(), data_classes(&item.classes));
    operation.insert("x-palisade-auth".into(), auth_observed(endpoint));
    if endpoint.risk.score > 0 {
        operation.insert("x-palisade-risk-score".into(), json!(endpoint.risk.score));
    }
    Value::Object(operation)
}

fn template_evidence(endpoint: &Endpoint, names: &[String]) -> Value {
    let mut params: Vec<_> = endpoint.params.iter().collect();
    params.sort_by_key(|p| p.position);
    let template = PathTemplate::parse(&endpoint.template);
    let evidence: Vec<Value> = params
        .into_iter()
        .map(|param| {
            let name = param_name_at(&template, names, param.position).unwrap_or_else(|| param.name.clone());
            let kinds: Map<String, Value> = sorted_kinds(&param.kinds)
                .into_iter()
                .map(|(kind, count)| (kind.as_str().to_string(), json!(count)))
                .collect();
            json!({
                "parameter": name,
                "position": param.position,
                "rule": param.rule,
                "value_kinds": kinds,
                "distinct_values": param.distinct_values,
                "samples": param.samples,
                "confidence": round3(param.confidence),
            })
        })
        .collect();
    Value::Array(evidence)
}

/// Returns the canonical name of the parameter at segment `position`.
pub(crate) fn param_name_at(template: &PathTemplate, names: &[String], position: usize) -> Option<String> {
    let index = template.segments.iter().take(position + 1).filter(|s| matches!(s, TemplateSegment::Param(_))).count();
    let is_param = matches!(template.segments.get(position), Some(TemplateSegment::Param(_)));
    if !is_param || index == 0 {
        return None;
    }
    names.get(index - 1).cloned()
}

pub(crate) fn sorted_kinds(kinds: &[(ValueKind, u64)]) -> Vec<(ValueKind, u64)> {
    let mut sorted = kinds.to_vec();
    sorted.sort();
    sorted
}

/// Rounds to three decimals so the printed number is stable.
fn round3(value: f64) -> f64 {
    if !value.is_finite() {
        return 0.0;
    }
    (value * 1000.0).round() / 1000.0
}

fn data_classes(classes: &[ClassObservation]) -> Value {
    let mut sorted: Vec<&ClassObservation> = classes.iter().collect();
    sorted
        .sort_by(|a, b| (a.section, &a.path, a.status, &a.class_id).cmp(&(b.section, &b.path, b.status, &b.class_id)));
    let list: Vec<Value> = sorted
        .into_iter()
        .map(|class| {
            let location = if class.path.is_empty() {
                class.section.as_str().to_string()
            } else {
                format!("{} {}", class.section.as_str(), class.path)
            };
            json!({
                "class": class.class_id,
                "severity": class.severity,
                "location": location,
                "status": class.status,
                "hits": class.hits,
            })
        })
        .collect();
    Value::Array(list)
}

fn auth_observed(endpoint: &Endpoint) -> Value {
    let schemes: Map<String, Value> = AuthScheme::ALL
        .into_iter()
        .filter(|s| endpoint.auth.count(*s) > 0)
        .map(|s| (s.as_str().to_string(), json!(endpoint.auth.count(s))))
        .collect();
    json!({"requests_by_scheme": schemes, "unauthenticated_success": endpoint.auth.unauthenticated_success})
}

/// Returns the media type key for a body's content type. Bodies without one are octet
/// streams.
fn media_key(content_type: &str) -> String {
    if content_type.is_empty() { "application/octet-stream".to_string() } else { content_type.to_string() }
}

fn request_body(item: &EndpointExport, samples: &[&Trace], settings: &ExportSettings) -> Option<Value> {
    let mut by_type: BTreeMap<&str, Vec<&DataField>> = BTreeMap::new();
    for field in item.fields.iter().filter(|f| f.section == Section::RequestBody) {
        by_type.entry(field.content_type.as_str()).or_default().push(field);
    }
    if by_type.is_empty() {
        return None;
    }
    let mut content = Map::new();
    let mut bodies = 0u64;
    for (content_type, fields) in by_type {
        let mut node = Node::from_fields(fields.iter().copied());
        bodies += node.total();
        let bodies_of_type: Vec<&[u8]> = samples
            .iter()
            .filter(|s| media_of(s.request.content_type.as_deref()) == content_type && !s.request.body.truncated)
            .map(|s| s.request.body.bytes.as_slice())
            .collect();
        infer_enums(&mut node, &bodies_of_type, settings);
        content.insert(media_key(content_type), media_object(&node, &bodies_of_type, settings));
    }
    Some(json!({"required": bodies >= item.endpoint.hits && item.endpoint.hits > 0, "content": content}))
}

fn responses(item: &EndpointExport, samples: &[&Trace], settings: &ExportSettings) -> Value {
    let mut statuses: BTreeSet<u16> = BTreeSet::new();
    for field in &item.fields {
        if field.section.is_response()
            && let Some(status) = field.status
        {
            statuses.insert(status);
        }
    }
    for sample in samples {
        if let Some(response) = &sample.response {
            statuses.insert(response.status);
        }
    }
    let mut responses = Map::new();
    if statuses.is_empty() {
        responses.insert("default".into(), json!({"description": "No response was observed."}));
        return Value::Object(responses);
    }
    for status in statuses {
        responses.insert(status.to_string(), response(item, status, samples, settings));
    }
    Value::Object(responses)
}

fn response(item: &EndpointExport, status: u16, samples: &[&Trace], settings: &ExportSettings) -> Value {
    let fields: Vec<&DataField> = item.fields.iter().filter(|f| f.status == Some(status)).collect();
    let header_fields: Vec<&DataField> =
        fields.iter().copied().filter(|f| f.section == Section::ResponseHeader).collect();
    let mut by_type: BTreeMap<&str, Vec<&DataField>> = BTreeMap::new();
    for field in fields.iter().filter(|f| f.section == Section::ResponseBody) {
        by_type.entry(field.content_type.as_str()).or_default().push(field);
    }

    // Responses with this status: the largest count of any header or body root, since
    // nearly every response carries headers.
    let mut responses_seen = header_fields.iter().map(|f| f.count).max().unwrap_or(0);
    for fields in by_type.values() {
        let roots: u64 = fields.iter().filter(|f| f.path.is_empty()).map(|f| f.count).sum();
        responses_seen = responses_seen.max(roots);
    }

    let mut response = Map::new();
    response.insert("description".into(), json!(format!("Observed {status} response")));
    let headers = params::response_headers(&header_fields, responses_seen);
    if !headers.is_empty() {
        response.insert("headers".into(), Value::Object(headers));
    }
    let mut content = Map::new();
    for (content_type, fields) in by_type {
        let mut node = Node::from_fields(fields.iter().copied());
        let bodies: Vec<&[u8]> = samples
            .iter()
            .filter_map(|s| s.response.as_ref())
            .filter(|r| r.status == status && !r.body.truncated)
            .filter(|r| media_of(r.content_type.as_deref()) == content_type)
            .map(|r| r.body.bytes.as_slice())
            .collect();
        infer_enums(&mut node, &bodies, settings);
        content.insert(media_key(content_type), media_object(&node, &bodies, settings));
    }
    if !content.is_empty() {
        response.insert("content".into(), Value::Object(content));
    }
    Value::Object(response)
}

fn media_of(content_type: Option<&str>) -> String {
    content_type.unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

/// Builds a media type object: the schema and, from the first sample body that parses as
/// JSON and fits `max_example_bytes`, an example. Sample values are already redacted.
fn media_object(node: &Node, bodies: &[&[u8]], settings: &ExportSettings) -> Value {
    let mut media = Map::new();
    if !node.is_empty() {
        media.insert("schema".into(), node.schema());
    }
    let example = bodies
        .iter()
        .filter(|body| !body.is_empty() && body.len() <= settings.max_example_bytes)
        .find_map(|body| serde_json::from_slice::<Value>(body).ok());
    if let Some(example) = example {
        media.insert("example".into(), example);
    }
    Value::Object(media)
}

/// Adds an `enum` to string fields whose sample values form a small closed set: seen at
/// least `enum_min_observations` times, with at most `enum_max_values` distinct short
/// values, each repeated, and none of them masked (`[email]`).
fn infer_enums(node: &mut Node, bodies: &[&[u8]], settings: &ExportSettings) {
    let mut values: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for body in bodies {
        if let Ok(value) = serde_json::from_slice::<Value>(body) {
            collect_values(&value, &mut Vec::new(), &mut values, 0);
        }
    }
    for (path, seen) in values {
        if seen.len() < settings.enum_min_observations {
            continue;
        }
        let distinct: BTreeSet<&str> = seen.iter().filter_map(Value::as_str).collect();
        let closed = distinct.len() <= settings.enum_max_values
            && distinct.len() * 2 <= seen.len()
            && distinct.iter().all(|v| {
                v.chars().count() <= settings.enum_max_value_chars && !(v.starts_with('[') && v.ends_with(']'))
            });
        if !closed {
            continue;
        }
        if let Some(target) = node.find_mut(&parse_path(&path))
            && target.scalar_type() == Some(FieldType::String)
        {
            target.enum_values = Some(distinct.into_iter().map(|v| json!(v)).collect());
        }
    }
}

#[cfg(test)]
mod tests;
