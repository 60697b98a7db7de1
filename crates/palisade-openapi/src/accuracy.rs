//! Scores a reconstructed description against the original it was learned from.
//!
//! - Paths: the sets of path templates, parameter names ignored and the original's base
//!   path removed from the reconstruction, scored by precision, recall and F1.
//! - Parameters: of the original's query and header parameters on paired operations, the
//!   share the reconstruction also has (by name; headers without case), as a parameter or
//!   as an API key security scheme of the operation. `Accept`, `Content-Type` and
//!   `Authorization` headers do not count, because OpenAPI specifies that they are ignored.
//! - Response fields: of the original's JSON response body fields on paired operations
//!   and statuses that the traffic reached, the share the reconstruction also has (by
//!   field path such as `items[].email`), and of those the share with the same type.
//!
//! Operations pair by method and template. Only statuses and media types that the
//! reconstruction has count for fields, because synthetic traffic exercises one response
//! per operation; the report says how many statuses were compared.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::document::{Dialect, Document};
use crate::model::{ApiSpec, Operation, ParamLocation, SchemaRef};

/// Deepest field path flattened from a schema.
const MAX_FIELD_DEPTH: usize = 8;

/// Precision, recall and F1 of one comparison, with the counts behind them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Score {
    pub expected: usize,
    pub found: usize,
    pub matched: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

impl Score {
    pub fn new(expected: usize, found: usize, matched: usize) -> Self {
        let precision = if found == 0 { 0.0 } else { matched as f64 / found as f64 };
        let recall = if expected == 0 { 0.0 } else { matched as f64 / expected as f64 };
        let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
        Self { expected, found, matched, precision, recall, f1 }
    }

    pub fn add(&self, other: &Score) -> Score {
        Score::new(self.expected + other.expected, self.found + other.found, self.matched + other.matched)
    }
}

/// Scores of one reconstruction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Accuracy {
    pub paths: Score,
    /// `expected`: original parameters on paired operations; `matched`: found again.
    pub parameters: Score,
    /// `expected`: original response fields compared; `matched`: found again.
    pub response_fields: Score,
    /// Found response fields whose type matches the original's.
    pub types_matched: usize,
    /// Response statuses compared.
    pub statuses_compared: usize,
}

impl Accuracy {
    /// Share of found response fields with the original's type.
    pub fn type_accuracy(&self) -> f64 {
        if self.response_fields.matched == 0 {
            0.0
        } else {
            self.types_matched as f64 / self.response_fields.matched as f64
        }
    }

    pub fn add(&self, other: &Accuracy) -> Accuracy {
        Accuracy {
            paths: self.paths.add(&other.paths),
            parameters: self.parameters.add(&other.parameters),
            response_fields: self.response_fields.add(&other.response_fields),
            types_matched: self.types_matched + other.types_matched,
            statuses_compared: self.statuses_compared + other.statuses_compared,
        }
    }
}

/// `/users/{}`: a template with parameter names and a `#...` suffix removed, without a
/// trailing slash.
pub fn normalize_template(template: &str) -> String {
    let end = template.find(['#', '?']).unwrap_or(template.len());
    let mut out = String::new();
    let mut inside = false;
    for c in template[..end].chars() {
        match c {
            '{' => {
                inside = true;
                out.push_str("{}");
            }
            '}' => inside = false,
            _ if inside => {}
            _ => out.push(c),
        }
    }
    let trimmed = out.trim_end_matches('/');
    if trimmed.is_empty() { "/".to_string() } else { trimmed.to_string() }
}

/// Removes `base` (such as `/v1`) from the front of a template when it is there.
pub fn strip_base(template: &str, base: &str) -> String {
    if base.is_empty() {
        return template.to_string();
    }
    match template.strip_prefix(base) {
        Some("") => "/".to_string(),
        Some(rest) if rest.starts_with('/') => rest.to_string(),
        _ => template.to_string(),
    }
}

/// Compares `reconstructed` with `original`. The reconstruction's templates have
/// `original_base` removed first.
pub fn compare(original: &ApiSpec, reconstructed: &ApiSpec, original_base: &str) -> Accuracy {
    let original_ops = by_key(original, "");
    let reconstructed_ops = by_key(reconstructed, original_base);

    let original_paths: BTreeSet<&str> = original_ops.keys().map(|(_, path)| path.as_str()).collect();
    let reconstructed_paths: BTreeSet<&str> = reconstructed_ops.keys().map(|(_, path)| path.as_str()).collect();
    let matched_paths = original_paths.intersection(&reconstructed_paths).count();
    let mut accuracy = Accuracy {
        paths: Score::new(original_paths.len(), reconstructed_paths.len(), matched_paths),
        ..Accuracy::default()
    };

    let mut parameters = (0, 0);
    let mut fields = (0, 0);
    for (key, original_op) in &original_ops {
        let Some(reconstructed_op) = reconstructed_ops.get(key) else {
            continue;
        };
        let (expected, matched) = compare_parameters(original_op, reconstructed, reconstructed_op);
        parameters.0 += expected;
        parameters.1 += matched;

        for response in &reconstructed_op.responses {
            let Some(original_response) =
                original_op.responses.iter().find(|r| r.status == response.status).or_else(|| {
                    let range = format!("{}XX", &response.status[..1]);
                    original_op.responses.iter().find(|r| r.status == range || r.status == "default")
                })
            else {
                continue;
            };
            for media in &response.content {
                let Some(original_media) =
                    original_response.content.iter().find(|m| same_media(&m.content_type, &media.content_type))
                else {
                    continue;
                };
                let (Some(original_schema), Some(found_schema)) = (&original_media.schema, &media.schema) else {
                    continue;
                };
                accuracy.statuses_compared += 1;
                let expected_fields = flatten(original.document(), original_schema);
                let found_fields = flatten(reconstructed.document(), found_schema);
                for (path, types) in &expected_fields {
                    fields.0 += 1;
                    if let Some(found_types) = found_fields.get(path) {
                        fields.1 += 1;
                        if same_type(types, found_types) {
                            accuracy.types_matched += 1;
                        }
                    }
                }
            }
        }
    }
    accuracy.parameters = Score::new(parameters.0, parameters.1, parameters.1);
    accuracy.response_fields = Score::new(fields.0, fields.1, fields.1);
    accuracy
}

fn by_key<'a>(spec: &'a ApiSpec, base: &str) -> BTreeMap<(String, String), &'a Operation> {
    let mut map = BTreeMap::new();
    for operation in &spec.operations {
        let path = normalize_template(&strip_base(&operation.path_template, base));
        map.entry((operation.method.clone(), path)).or_insert(operation);
    }
    map
}

/// Header parameters that OpenAPI specifies are ignored, because media types and security
/// schemes describe them.
const IGNORED_HEADERS: [&str; 3] = ["accept", "content-type", "authorization"];

fn compare_parameters(original: &Operation, reconstructed_spec: &ApiSpec, reconstructed: &Operation) -> (usize, usize) {
    let key = |location: ParamLocation, name: &str| {
        if location == ParamLocation::Header { name.to_ascii_lowercase() } else { name.to_string() }
    };
    let mut found: BTreeSet<(ParamLocation, String)> =
        reconstructed.parameters.iter().map(|p| (p.location, key(p.location, &p.name))).collect();
    found.extend(key_parameters(reconstructed_spec, reconstructed).into_iter().map(|(l, n)| (l, key(l, &n))));
    let mut expected = 0;
    let mut matched = 0;
    for param in &original.parameters {
        let ignored = param.location == ParamLocation::Header
            && IGNORED_HEADERS.iter().any(|h| param.name.eq_ignore_ascii_case(h));
        if !matches!(param.location, ParamLocation::Query | ParamLocation::Header) || ignored {
            continue;
        }
        expected += 1;
        if found.contains(&(param.location, key(param.location, &param.name))) {
            matched += 1;
        }
    }
    (expected, matched)
}

/// Query and header parameters named by the API key security schemes that apply to
/// `operation`: a key sent as `?access_token=` is documented either as a parameter or as
/// such a scheme, and both describe the same request.
fn key_parameters(spec: &ApiSpec, operation: &Operation) -> Vec<(ParamLocation, String)> {
    let document = spec.document();
    let requirements = document.get(&format!("{}/security", operation.pointer)).or_else(|| document.get("/security"));
    let schemes = document.get("/components/securitySchemes").or_else(|| document.get("/securityDefinitions"));
    let (Some(Value::Array(requirements)), Some(Value::Object(schemes))) = (requirements, schemes) else {
        return Vec::new();
    };
    let mut parameters = Vec::new();
    for name in requirements.iter().filter_map(Value::as_object).flat_map(|r| r.keys()) {
        let Some(scheme) = schemes.get(name).and_then(|s| document.resolve(s, "").ok()).map(|(s, _)| s) else {
            continue;
        };
        if scheme.get("type").and_then(Value::as_str) != Some("apiKey") {
            continue;
        }
        let location = match scheme.get("in").and_then(Value::as_str) {
            Some("query") => ParamLocation::Query,
            Some("header") => ParamLocation::Header,
            _ => continue,
        };
        if let Some(name) = scheme.get("name").and_then(Value::as_str) {
            parameters.push((location, name.to_string()));
        }
    }
    parameters
}

fn same_media(a: &str, b: &str) -> bool {
    let essence = |t: &str| t.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let (a, b) = (essence(a), essence(b));
    a == b || a == "*/*" || (a.ends_with("json") && b.ends_with("json"))
}

/// Types agree when they share one, counting integer as a number.
fn same_type(expected: &BTreeSet<String>, found: &BTreeSet<String>) -> bool {
    if expected.is_empty() {
        return true;
    }
    let widen = |t: &String| if t == "integer" { "number".to_string() } else { t.clone() };
    let expected: BTreeSet<String> = expected.iter().filter(|t| *t != "null").map(widen).collect();
    let found: BTreeSet<String> = found.iter().filter(|t| *t != "null").map(widen).collect();
    expected.is_empty() || !expected.is_disjoint(&found)
}

/// Field paths of a schema with their types, as data fields write paths. `allOf`
/// branches merge; `oneOf` and `anyOf` branches add up.
pub fn flatten(document: &Document, schema: &SchemaRef) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    if let Some(value) = schema.value(document) {
        let mut stack = Vec::new();
        walk(document, value, String::new(), 0, &mut stack, &mut out);
    }
    out
}

fn walk(
    document: &Document,
    schema: &Value,
    path: String,
    depth: usize,
    stack: &mut Vec<*const Value>,
    out: &mut BTreeMap<String, BTreeSet<String>>,
) {
    if depth > MAX_FIELD_DEPTH {
        return;
    }
    let Ok((schema, _)) = document.resolve(schema, "") else {
        return;
    };
    // A schema already being walked on this branch is recursion: stop there.
    let identity = schema as *const Value;
    if stack.contains(&identity) {
        return;
    }
    stack.push(identity);

    let types = out.entry(path.clone()).or_default();
    match schema.get("type") {
        Some(Value::String(name)) => {
            types.insert(name.clone());
        }
        Some(Value::Array(names)) => types.extend(names.iter().filter_map(Value::as_str).map(String::from)),
        _ => {
            if schema.get("properties").is_some() {
                types.insert("object".into());
            } else if schema.get("items").is_some() {
                types.insert("array".into());
            }
        }
    }
    let nullable = match document.dialect() {
        Dialect::OpenApi30 => schema.get("nullable"),
        Dialect::Swagger2 => schema.get("x-nullable"),
        Dialect::OpenApi31 => None,
    };
    if nullable.and_then(Value::as_bool) == Some(true) {
        types.insert("null".into());
    }

    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        for (name, property) in properties {
            let child = if path.is_empty() { name.clone() } else { format!("{path}.{name}") };
            walk(document, property, child, depth + 1, stack, out);
        }
    }
    if let Some(items) = schema.get("items").filter(|i| i.is_object()) {
        walk(document, items, format!("{path}[]"), depth + 1, stack, out);
    }
    for keyword in ["allOf", "oneOf", "anyOf"] {
        for branch in schema.get(keyword).and_then(Value::as_array).into_iter().flatten() {
            walk(document, branch, path.clone(), depth + 1, stack, out);
        }
    }
    stack.pop();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_and_strip() {
        assert_eq!(normalize_template("/users/{id}/"), "/users/{}");
        assert_eq!(normalize_template("/#X-Amz-Target=A"), "/");
        assert_eq!(strip_base("/v1/users/{}", "/v1"), "/users/{}");
        assert_eq!(strip_base("/v1", "/v1"), "/");
        assert_eq!(strip_base("/v10/users", "/v1"), "/v10/users");
    }

    #[test]
    fn score_counts() {
        let score = Score::new(4, 5, 3);
        assert_eq!(score.precision, 0.6);
        assert_eq!(score.recall, 0.75);
        assert!((score.f1 - 2.0 * 0.6 * 0.75 / 1.35).abs() < 1e-12);
        assert_eq!(Score::new(0, 0, 0).f1, 0.0);
    }

    fn spec(json: &str) -> ApiSpec {
        crate::import::import(json.as_bytes(), crate::SourceFormat::Json, &crate::ImportSettings::default()).unwrap()
    }

    #[test]
    fn parameter_recall_key_schemes_and_headers() {
        let original = spec(
            r#"{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {"/items": {"get": {
                "parameters": [
                    {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                    {"name": "access_token", "in": "query", "schema": {"type": "string"}},
                    {"name": "X-Trace", "in": "header", "schema": {"type": "string"}},
                    {"name": "Accept", "in": "header", "schema": {"type": "string"}},
                    {"name": "Content-Type", "in": "header", "schema": {"type": "string"}}
                ],
                "responses": {"200": {"description": "ok"}}}}}}"#,
        );
        let reconstructed = spec(
            r#"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
                "components": {"securitySchemes": {"token": {"type": "apiKey", "in": "query", "name": "access_token"}}},
                "paths": {"/items": {"get": {
                "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer"}}],
                "security": [{"token": []}],
                "responses": {"200": {"description": "ok"}}}}}}"#,
        );
        // limit and access_token are found, X-Trace is not, Accept and Content-Type do
        // not count.
        let accuracy = compare(&original, &reconstructed, "");
        assert_eq!((accuracy.parameters.expected, accuracy.parameters.matched), (3, 2));
    }
}
