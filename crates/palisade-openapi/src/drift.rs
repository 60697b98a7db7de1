//! Drift: how one trace differs from the operation that documents it.
//!
//! Checked: the response status (exact, range or `default`), request and response media
//! types, required path, query, header and cookie parameters, unknown query parameters,
//! parameter values against their schemas, and JSON and form bodies against their
//! schemas. Run it on traces before redaction: masked values such as `[email]` break
//! formats on purpose.

use serde::Serialize;
use serde_json::{Map, Value};

use palisade_core::path::{percent_decode_lossy, split_path};
use palisade_core::trace::header_value;
use palisade_core::{Body, Trace};

use crate::document::Document;
use crate::model::{MediaSchema, Operation, ParamLocation, ParamStyle, Parameter, SchemaRef};
use crate::pointer;
use crate::schema::{self, SchemaViolation};

/// Kind of difference a violation reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ViolationKind {
    /// The response status is neither documented nor covered by a range or `default`.
    UndocumentedStatus,
    /// The response body's media type is not documented for its status.
    UndocumentedResponseContentType,
    /// The request body's media type is not documented.
    UndocumentedRequestContentType,
    /// The request has a body but the operation documents none.
    UndocumentedRequestBody,
    /// A required request body is missing.
    MissingRequestBody,
    /// A required path, query, header or cookie parameter is missing.
    MissingParameter,
    /// A query parameter that the operation does not document.
    UnknownQueryParameter,
    /// A parameter value breaks its schema.
    InvalidParameter,
    /// The request body breaks its schema.
    InvalidRequestBody,
    /// The response body breaks its schema.
    InvalidResponseBody,
    /// A required response header is missing.
    MissingResponseHeader,
    /// A body declared as JSON did not parse.
    UnparsableBody,
}

impl ViolationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ViolationKind::UndocumentedStatus => "undocumented_status",
            ViolationKind::UndocumentedResponseContentType => "undocumented_response_content_type",
            ViolationKind::UndocumentedRequestContentType => "undocumented_request_content_type",
            ViolationKind::UndocumentedRequestBody => "undocumented_request_body",
            ViolationKind::MissingRequestBody => "missing_request_body",
            ViolationKind::MissingParameter => "missing_parameter",
            ViolationKind::UnknownQueryParameter => "unknown_query_parameter",
            ViolationKind::InvalidParameter => "invalid_parameter",
            ViolationKind::InvalidRequestBody => "invalid_request_body",
            ViolationKind::InvalidResponseBody => "invalid_response_body",
            ViolationKind::MissingResponseHeader => "missing_response_header",
            ViolationKind::UnparsableBody => "unparsable_body",
        }
    }
}

/// One difference between a trace and its operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub kind: ViolationKind,
    /// Pointer of what the trace breaks in the description, such as
    /// `/paths/~1users~1{id}/get/responses/200/content/application~1json/schema/properties/email/format`.
    pub spec_pointer: String,
    /// Section and path as data fields write them: `response.body email`,
    /// `request.query limit`, `response.status`.
    pub field: String,
    pub message: String,
}

/// Checks `trace` against `operation`. Returns at most `max_violations_per_trace`
/// violations (a setting of the import).
pub fn validate(operation: &Operation, trace: &Trace) -> Vec<Violation> {
    let document = operation.document();
    let max = document.settings().max_violations_per_trace;
    let mut check = Check { document, max, violations: Vec::new() };

    check.path_params(operation, &trace.request.path);
    check.query_params(operation, trace);
    check.headers_and_cookies(operation, trace);
    check.request_body(operation, trace);
    check.response(operation, trace);
    check.violations
}

struct Check<'a> {
    document: &'a Document,
    max: usize,
    violations: Vec<Violation>,
}

impl Check<'_> {
    fn push(&mut self, kind: ViolationKind, spec_pointer: String, field: String, message: String) {
        if self.violations.len() < self.max {
            self.violations.push(Violation { kind, spec_pointer, field, message });
        }
    }

    fn push_schema(&mut self, kind: ViolationKind, section: &str, found: Vec<SchemaViolation>) {
        for violation in found {
            let field = if violation.instance_path.is_empty() {
                section.to_string()
            } else {
                format!("{section} {}", violation.instance_path)
            };
            self.push(kind, violation.schema_pointer, field, violation.message);
        }
    }

    fn remaining(&self) -> usize {
        self.max.saturating_sub(self.violations.len())
    }

    /// Path parameter values, aligned from the end of the path so a base path in front
    /// does not matter. Segments with a parameter inside (`{name}.json`) are not checked.
    fn path_params(&mut self, operation: &Operation, path: &str) {
        let end = operation.path_template.find(['#', '?']).unwrap_or(operation.path_template.len());
        let template: Vec<&str> = operation.path_template[..end].split('/').filter(|s| !s.is_empty()).collect();
        let segments = split_path(path);
        if segments.len() < template.len() {
            return;
        }
        let offset = segments.len() - template.len();
        for (index, part) in template.iter().enumerate() {
            let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) else {
                continue;
            };
            if name.contains(['{', '}']) {
                continue;
            }
            let name = name.trim_start_matches(['+', '#']).trim_end_matches('*');
            let Some(param) = operation.parameters.iter().find(|p| p.location == ParamLocation::Path && p.name == name)
            else {
                continue;
            };
            let value = percent_decode_lossy(segments[offset + index]);
            self.param_value(param, &[value.as_str()], "request.path");
        }
    }

    fn query_params(&mut self, operation: &Operation, trace: &Trace) {
        let query = &trace.request.query;
        let documented: Vec<&Parameter> =
            operation.parameters.iter().filter(|p| p.location == ParamLocation::Query).collect();

        for param in &documented {
            let values: Vec<&str> = match param.style {
                ParamStyle::DeepObject => {
                    let prefix = format!("{}[", param.name);
                    if query.iter().any(|q| q.name.starts_with(&prefix)) {
                        continue;
                    }
                    Vec::new()
                }
                _ => query.iter().filter(|q| q.name == param.name).map(|q| q.value.as_str()).collect(),
            };
            if values.is_empty() {
                if param.required && !self.exploded_object_present(param, trace) {
                    let message = format!("required query parameter {:?} is missing", param.name);
                    self.push(
                        ViolationKind::MissingParameter,
                        param.pointer.clone(),
                        field("request.query", &param.name),
                        message,
                    );
                }
                continue;
            }
            self.param_value(param, &values, "request.query");
        }

        // An exploded object parameter spreads its properties over the query string, so
        // any name may belong to it.
        let takes_any_name = documented.iter().any(|p| p.style == ParamStyle::Repeated && self.is_object(p));
        if takes_any_name {
            return;
        }
        let mut reported: Vec<&str> = Vec::new();
        for item in query {
            let known = documented.iter().any(|p| {
                p.name == item.name
                    || (p.style == ParamStyle::DeepObject
                        && item.name.strip_prefix(p.name.as_str()).is_some_and(|rest| rest.starts_with('[')))
            });
            if known || reported.contains(&item.name.as_str()) {
                continue;
            }
            reported.push(&item.name);
            let message = format!("query parameter {:?} is not documented", item.name);
            let at = pointer::join(&operation.pointer, "parameters");
            self.push(ViolationKind::UnknownQueryParameter, at, field("request.query", &item.name), message);
        }
    }

    fn exploded_object_present(&self, param: &Parameter, trace: &Trace) -> bool {
        param.style == ParamStyle::Repeated && self.is_object(param) && !trace.request.query.is_empty()
    }

    fn is_object(&self, param: &Parameter) -> bool {
        schema_type(self.document, param.schema.as_ref()) == Some("object")
    }

    fn headers_and_cookies(&mut self, operation: &Operation, trace: &Trace) {
        let headers = &trace.request.headers;
        let cookies = header_value(headers, "cookie").map(parse_cookies).unwrap_or_default();
        for param in &operation.parameters {
            match param.location {
                ParamLocation::Header => {
                    // OpenAPI ignores header parameters with these names.
                    let ignored = ["accept", "content-type", "authorization"];
                    if ignored.iter().any(|name| param.name.eq_ignore_ascii_case(name)) {
                        continue;
                    }
                    match header_value(headers, &param.name) {
                        Some(value) => self.param_value(param, &[value], "request.header"),
                        None if param.required => {
                            let message = format!("required header {:?} is missing", param.name);
                            let name = param.name.to_ascii_lowercase();
                            self.push(
                                ViolationKind::MissingParameter,
                                param.pointer.clone(),
                                field("request.header", &name),
                                message,
                            );
                        }
                        None => {}
                    }
                }
                ParamLocation::Cookie => match cookies.iter().find(|(name, _)| *name == param.name) {
                    Some((_, value)) => self.param_value(param, &[value], "request.cookie"),
                    None if param.required => {
                        let message = format!("required cookie {:?} is missing", param.name);
                        self.push(
                            ViolationKind::MissingParameter,
                            param.pointer.clone(),
                            field("request.cookie", &param.name),
                            message,
                        );
                    }
                    None => {}
                },
                _ => {}
            }
        }
    }

    /// Checks a parameter's values, written as text, against its schema after turning
    /// them into the JSON the schema expects.
    fn param_value(&mut self, param: &Parameter, values: &[&str], section: &str) {
        let Some(schema) = &param.schema else {
            return;
        };
        let value = coerce_param(self.document, schema, param.style, values);
        let found = schema::validate_value(self.document, schema, &value, self.remaining());
        let name =
            if param.location == ParamLocation::Header { param.name.to_ascii_lowercase() } else { param.name.clone() };
        for violation in found {
            let mut location = name.clone();
            if !violation.instance_path.is_empty() {
                if !violation.instance_path.starts_with('[') {
                    location.push('.');
                }
                location.push_str(&violation.instance_path);
            }
            let message = format!("parameter {:?}: {}", param.name, violation.message);
            self.push(ViolationKind::InvalidParameter, violation.schema_pointer, field(section, &location), message);
        }
    }

    fn request_body(&mut self, operation: &Operation, trace: &Trace) {
        let request = &trace.request;
        let Some(documented) = &operation.request_body else {
            if !request.body.is_empty() {
                let message = format!(
                    "request has a body of {} bytes but {} documents none",
                    request.body.bytes.len(),
                    operation.label()
                );
                self.push(
                    ViolationKind::UndocumentedRequestBody,
                    operation.pointer.clone(),
                    "request.body".into(),
                    message,
                );
            }
            return;
        };
        if request.body.is_empty() {
            if documented.required {
                let message = "required request body is missing".to_string();
                self.push(
                    ViolationKind::MissingRequestBody,
                    pointer::join(&documented.pointer, "required"),
                    "request.body".into(),
                    message,
                );
            }
            return;
        }
        if documented.content.is_empty() {
            return;
        }
        let media_type = body_media_type(request.content_type.as_deref(), &request.body);
        let Some(media) = find_media(&documented.content, &media_type) else {
            let message = format!("request content type {media_type:?} is not documented");
            let at = pointer::join(&documented.pointer, "content");
            self.push(ViolationKind::UndocumentedRequestContentType, at, "request.content_type".into(), message);
            return;
        };
        self.body(media, &media_type, &request.body, "request.body", ViolationKind::InvalidRequestBody);
    }

    fn response(&mut self, operation: &Operation, trace: &Trace) {
        let Some(response) = &trace.response else {
            return;
        };
        if operation.responses.is_empty() {
            return;
        }
        let Some(documented) = operation.response_for(response.status) else {
            let message = format!("status {} is not documented and there is no default response", response.status);
            let at = pointer::join(&operation.pointer, "responses");
            self.push(ViolationKind::UndocumentedStatus, at, "response.status".into(), message);
            return;
        };

        for header in &documented.headers {
            let skipped = header.name.eq_ignore_ascii_case("content-type");
            if header.required && !skipped && header_value(&response.headers, &header.name).is_none() {
                let message = format!("required response header {:?} is missing", header.name);
                let name = header.name.to_ascii_lowercase();
                self.push(
                    ViolationKind::MissingResponseHeader,
                    header.pointer.clone(),
                    field("response.header", &name),
                    message,
                );
            }
        }

        let head = trace.request.method.eq_ignore_ascii_case("HEAD");
        if response.body.is_empty() || head {
            return;
        }
        let media_type = body_media_type(response.content_type.as_deref(), &response.body);
        let Some(media) = find_media(&documented.content, &media_type) else {
            let message = if documented.content.is_empty() {
                format!("response {} has a body of type {media_type:?} but documents no content", documented.status)
            } else {
                format!("response content type {media_type:?} is not documented for {}", documented.status)
            };
            let at = pointer::join(&documented.pointer, "content");
            self.push(ViolationKind::UndocumentedResponseContentType, at, "response.content_type".into(), message);
            return;
        };
        self.body(media, &media_type, &response.body, "response.body", ViolationKind::InvalidResponseBody);
    }

    fn body(&mut self, media: &MediaSchema, media_type: &str, body: &Body, section: &str, kind: ViolationKind) {
        let Some(schema) = &media.schema else {
            return;
        };
        // A truncated body is only the start of the real one.
        if body.truncated {
            return;
        }
        let value = if is_json(media_type) {
            match serde_json::from_slice::<Value>(&body.bytes) {
                Ok(value) => value,
                Err(error) => {
                    let message = format!("body declared as {media_type} is not valid JSON: {error}");
                    self.push(ViolationKind::UnparsableBody, media.pointer.clone(), section.to_string(), message);
                    return;
                }
            }
        } else if media_type == "application/x-www-form-urlencoded" {
            form_value(self.document, schema, &body.bytes)
        } else {
            return;
        };
        let found = schema::validate_value(self.document, schema, &value, self.remaining());
        self.push_schema(kind, section, found);
    }
}

fn field(section: &str, name: &str) -> String {
    format!("{section} {name}")
}

fn parse_cookies(header: &str) -> Vec<(&str, &str)> {
    header
        .split(';')
        .filter_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            Some((name.trim(), value.trim()))
        })
        .collect()
}

/// Lower-case media type without parameters; a missing type is `application/json` for a
/// body that starts like JSON.
fn body_media_type(content_type: Option<&str>, body: &Body) -> String {
    let essence = content_type.unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if essence.is_empty() && matches!(body.bytes.iter().find(|b| !b.is_ascii_whitespace()), Some(b'{' | b'[')) {
        return "application/json".to_string();
    }
    essence
}

fn is_json(media_type: &str) -> bool {
    media_type == "application/json" || media_type.ends_with("+json") || media_type.ends_with("/json")
}

/// The documented media type for `media_type`: the exact type, else `type/*`, else `*/*`.
/// Documented types may carry parameters (`application/json; charset=utf-8`).
pub fn find_media<'a>(content: &'a [MediaSchema], media_type: &str) -> Option<&'a MediaSchema> {
    let essence = |text: &str| text.split(';').next().unwrap_or("").trim().to_string();
    let major = media_type.split('/').next().unwrap_or("");
    content
        .iter()
        .find(|m| essence(&m.content_type) == media_type)
        .or_else(|| content.iter().find(|m| essence(&m.content_type) == format!("{major}/*")))
        .or_else(|| content.iter().find(|m| essence(&m.content_type) == "*/*"))
}

/// The `type` of a schema after following its `$ref`: the first non-null type of a list.
pub(crate) fn schema_type<'a>(document: &'a Document, schema: Option<&'a SchemaRef>) -> Option<&'a str> {
    let value = schema?.value(document)?;
    let (resolved, _) = document.resolve(value, &schema?.pointer).ok()?;
    value_type(resolved)
}

fn value_type(schema: &Value) -> Option<&str> {
    match schema.get("type")? {
        Value::String(name) => Some(name),
        Value::Array(names) => names.iter().filter_map(Value::as_str).find(|n| *n != "null"),
        _ => None,
    }
}

/// Turns parameter text into the JSON value its schema describes: numbers and booleans
/// parsed, arrays split by the parameter's style. Text that does not parse stays a
/// string, so the schema check reports it.
fn coerce_param(document: &Document, schema: &SchemaRef, style: ParamStyle, values: &[&str]) -> Value {
    let resolved = schema.value(document).and_then(|value| document.resolve(value, &schema.pointer).ok());
    let Some((resolved, _)) = resolved else {
        return Value::String(values.first().copied().unwrap_or("").to_string());
    };
    match value_type(resolved) {
        Some("array") => {
            let items =
                resolved.get("items").and_then(|items| document.resolve(items, "").ok()).map(|(items, _)| items);
            let parts: Vec<&str> = match style {
                ParamStyle::Delimited(separator) if values.len() == 1 => values[0].split(separator).collect(),
                _ => values.to_vec(),
            };
            Value::Array(parts.into_iter().map(|part| coerce_scalar(items.and_then(value_type), part)).collect())
        }
        other => coerce_scalar(other, values.first().copied().unwrap_or("")),
    }
}

fn coerce_scalar(type_name: Option<&str>, text: &str) -> Value {
    match type_name {
        Some("integer") => text.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::String(text.to_string())),
        Some("number") => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(text.to_string())),
        Some("boolean") => match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::String(text.to_string()),
        },
        _ => Value::String(text.to_string()),
    }
}

/// A URL-encoded form as JSON. Bracketed names build nested values as Rails, PHP and
/// Stripe read them (`card[number]=4242`, `expand[]=customer`, `items[0][price]=p`),
/// and each value is turned into the type its schema gives it.
fn form_value(document: &Document, schema: &SchemaRef, bytes: &[u8]) -> Value {
    let root_schema =
        schema.value(document).and_then(|value| document.resolve(value, &schema.pointer).ok()).map(|(s, _)| s);
    let mut root = Value::Object(Map::new());
    for (name, text) in form_urlencoded_pairs(bytes) {
        let steps = split_brackets(&name);
        insert_form_value(document, &mut root, root_schema, &steps, &text);
    }
    root
}

/// `card[number]` gives `["card", "number"]`; `expand[]` gives `["expand", ""]`.
fn split_brackets(name: &str) -> Vec<&str> {
    let Some(open) = name.find('[') else {
        return vec![name];
    };
    let mut steps = vec![&name[..open]];
    let mut rest = &name[open..];
    while let Some(inner) = rest.strip_prefix('[') {
        let Some(close) = inner.find(']') else {
            break;
        };
        steps.push(&inner[..close]);
        rest = &inner[close + 1..];
    }
    steps
}

/// Most array items a bracketed form index may create, so `a[99999999]=x` cannot
/// allocate without bound.
const MAX_FORM_INDEX: usize = 1000;

fn insert_form_value(document: &Document, target: &mut Value, schema: Option<&Value>, steps: &[&str], text: &str) {
    let Some((step, rest)) = steps.split_first() else {
        return;
    };
    let child_schema = schema.and_then(|s| match target {
        Value::Array(_) => s.get("items"),
        _ => s.get("properties").and_then(|p| p.get(*step)).or_else(|| s.get("additionalProperties")),
    });
    let child_schema = child_schema.and_then(|c| document.resolve(c, "").ok()).map(|(c, _)| c);
    let child_type = child_schema.and_then(value_type);

    let slot: &mut Value = match target {
        Value::Object(map) => map.entry(step.to_string()).or_insert(Value::Null),
        Value::Array(items) => {
            let index = if step.is_empty() { items.len() } else { step.parse::<usize>().unwrap_or(items.len()) };
            if index > MAX_FORM_INDEX {
                return;
            }
            if items.len() <= index {
                items.resize(index + 1, Value::Null);
            }
            &mut items[index]
        }
        _ => return,
    };
    if rest.is_empty() {
        *slot = coerce_scalar(child_type, text);
        return;
    }
    if slot.is_null() {
        *slot = if child_type == Some("array") { Value::Array(Vec::new()) } else { Value::Object(Map::new()) };
    }
    insert_form_value(document, slot, child_schema, rest, text);
}

/// Decodes `a=1&b=x+y` into pairs, `+` as space and `%XX` escapes decoded.
fn form_urlencoded_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(bytes);
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |part: &str| percent_decode_lossy(&part.replace('+', " "));
            (decode(name), decode(value))
        })
        .collect()
}

#[cfg(test)]
mod tests;
