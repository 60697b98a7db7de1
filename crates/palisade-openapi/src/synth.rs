//! Synthetic traffic from a description: values that conform to schemas and traces for
//! operations, for benchmarks and accuracy evaluations.
//!
//! Values follow `type`, `format`, `enum`, `const`, bounds, `required` and the
//! combinators. For a `pattern`, the schema's own `example` and `default`, the pattern's
//! literal prefix and a few common shapes are tried. When none matches, the value breaks
//! the pattern and drift validation reports it. Each value is bounded in depth and nodes.

use std::collections::BTreeMap;

use fastrand::Rng;
use palisade_core::{Body, Header, QueryParam, Request, Response, Trace, TraceMeta, TraceSource};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde_json::{Map, Value, json};

use crate::document::Document;
use crate::drift::schema_type;
use crate::model::{MediaSchema, Operation, ParamLocation, ParamStyle, SchemaRef};

/// Characters escaped in a generated path segment: the controls, the characters RFC 3986
/// does not allow in a segment, and `%` itself. `:`, `@` and the sub-delimiters stay as
/// they are, as HTTP clients send them.
pub const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// Shape of generated values.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthOptions {
    /// Chance that an optional property, query parameter or header is present.
    pub optional_probability: f64,
    /// Maximum nesting depth generated. Optional parts nested deeper are left out.
    pub max_depth: usize,
    /// Maximum number of JSON nodes in one generated value.
    pub max_nodes: usize,
    /// Chance that a nullable value is `null`.
    pub null_probability: f64,
}

impl Default for SynthOptions {
    fn default() -> Self {
        Self { optional_probability: 0.7, max_depth: 8, max_nodes: 2000, null_probability: 0.1 }
    }
}

/// Generates values and traces for the operations of one description.
pub struct Synthesizer<'d> {
    document: &'d Document,
    rng: Rng,
    options: SynthOptions,
    nodes: usize,
    counter: u64,
    /// True while a response body is generated. Responses carry `readOnly` properties and
    /// leave out `writeOnly` ones, and request bodies do the opposite.
    in_response: bool,
}

impl<'d> Synthesizer<'d> {
    pub fn new(document: &'d Document, seed: u64, options: SynthOptions) -> Self {
        Self { document, rng: Rng::with_seed(seed), options, nodes: 0, counter: 0, in_response: false }
    }

    /// Generates a value for `schema`.
    pub fn value(&mut self, schema: &SchemaRef) -> Value {
        self.nodes = 0;
        match schema.value(self.document) {
            Some(value) => self.generate(value, 0),
            None => Value::Null,
        }
    }

    /// Generates a trace for `operation` on `host` under `base_path`. Path parameters take their
    /// text from `path_values` when it has them, otherwise a value of their schema.
    /// The response has the first documented success status.
    pub fn trace(
        &mut self,
        operation: &Operation,
        host: &str,
        base_path: &str,
        path_values: &BTreeMap<String, String>,
        start_ms: i64,
    ) -> Trace {
        let path = self.path(operation, base_path, path_values);
        let mut query = Vec::new();
        let mut headers = vec![Header::new("Accept", "application/json"), Header::new("User-Agent", "palisade-synth")];
        for param in &operation.parameters {
            let present = param.required || self.rng.f64() < self.options.optional_probability;
            if !present || matches!(param.location, ParamLocation::Path | ParamLocation::Cookie) {
                continue;
            }
            let Some(schema) = &param.schema else {
                continue;
            };
            let value = self.value(schema);
            let pairs: Vec<(String, String)> = match (&value, param.style) {
                // `deepObject` spreads an object as `name[key]=value`. Arrays take the
                // common `name[]=item` form, because OpenAPI leaves them undefined.
                (Value::Object(map), ParamStyle::DeepObject) => map
                    .iter()
                    .filter(|(_, v)| !v.is_object() && !v.is_array())
                    .map(|(key, v)| (format!("{}[{key}]", param.name), text_of(v)))
                    .collect(),
                (Value::Array(items), ParamStyle::DeepObject) => {
                    items.iter().map(|item| (format!("{}[]", param.name), text_of(item))).collect()
                }
                (Value::Object(_), _) => continue,
                (Value::Array(items), ParamStyle::Repeated) => {
                    items.iter().map(|item| (param.name.clone(), text_of(item))).collect()
                }
                (Value::Array(items), ParamStyle::Delimited(separator)) => {
                    vec![(
                        param.name.clone(),
                        items.iter().map(text_of).collect::<Vec<_>>().join(&separator.to_string()),
                    )]
                }
                (other, _) => vec![(param.name.clone(), text_of(other))],
            };
            for (name, text) in pairs {
                match param.location {
                    ParamLocation::Query => query.push(QueryParam { name, value: text }),
                    ParamLocation::Header if !is_reserved_header(&param.name) => headers.push(Header::new(name, text)),
                    _ => {}
                }
            }
        }

        let mut content_type = None;
        let mut body = Body::default();
        if let Some(request_body) = &operation.request_body
            && (request_body.required || self.rng.f64() < self.options.optional_probability)
            && let Some((media, bytes)) = self.body(&request_body.content)
        {
            headers.push(Header::new("Content-Type", media.clone()));
            content_type = Some(media);
            body = Body { bytes, truncated: false };
        }

        let response = self.response(operation);
        Trace {
            request: Request {
                method: operation.method.clone(),
                scheme: "https".into(),
                host: host.to_string(),
                path,
                query,
                headers,
                content_type,
                body,
            },
            response: Some(response),
            meta: TraceMeta {
                start_ms,
                duration_us: Some(1000),
                client: None,
                server: None,
                source: TraceSource::Native,
                environment: None,
                route: None,
            },
            agent: None,
        }
    }

    fn path(&mut self, operation: &Operation, base_path: &str, path_values: &BTreeMap<String, String>) -> String {
        let template = &operation.path_template;
        let end = template.find(['#', '?']).unwrap_or(template.len());
        let mut path = String::from(base_path);
        let mut rest = &template[..end];
        while let Some(start) = rest.find('{') {
            let Some(length) = rest[start..].find('}') else {
                break;
            };
            path.push_str(&rest[..start]);
            let name = rest[start + 1..start + length].trim_start_matches(['+', '#']).trim_end_matches('*');
            let text = match path_values.get(name) {
                Some(text) => text.clone(),
                None => self.path_text(operation, name),
            };
            let text = if text.is_empty() { "x".to_string() } else { text };
            path.push_str(&utf8_percent_encode(&text, SEGMENT).to_string());
            rest = &rest[start + length + 1..];
        }
        path.push_str(rest);
        if !path.starts_with('/') {
            path.insert(0, '/');
        }
        path
    }

    fn path_text(&mut self, operation: &Operation, name: &str) -> String {
        let param = operation.parameters.iter().find(|p| p.location == ParamLocation::Path && p.name == name);
        match param.and_then(|p| p.schema.as_ref()) {
            Some(schema) => text_of(&self.value(schema)),
            None => format!("{name}{}", self.rng.u32(1..100_000)),
        }
    }

    /// Generates a body as bytes, from the first JSON media type with a schema, else as a
    /// URL-encoded form.
    fn body(&mut self, content: &[MediaSchema]) -> Option<(String, Vec<u8>)> {
        let json_media = content.iter().find(|m| is_json(&m.content_type) && m.schema.is_some());
        if let Some(media) = json_media {
            let schema = media.schema.as_ref()?;
            let value = self.value(schema);
            let content_type = if media.content_type.contains('*') {
                "application/json".to_string()
            } else {
                media.content_type.clone()
            };
            return Some((content_type, serde_json::to_vec(&value).unwrap_or_default()));
        }
        let form =
            content.iter().find(|m| m.content_type == "application/x-www-form-urlencoded" && m.schema.is_some())?;
        let value = self.value(form.schema.as_ref()?);
        let Value::Object(map) = value else {
            return None;
        };
        let encoded = form_urlencoded_string(&map);
        if encoded.is_empty() {
            return None;
        }
        Some((form.content_type.clone(), encoded.into_bytes()))
    }

    fn response(&mut self, operation: &Operation) -> Response {
        let chosen = operation
            .responses
            .iter()
            .filter_map(|r| r.status.parse::<u16>().ok().filter(|s| (200..300).contains(s)).map(|s| (s, r)))
            .min_by_key(|(s, _)| *s)
            .or_else(|| operation.responses.iter().find(|r| r.status == "2XX").map(|r| (200, r)))
            .or_else(|| operation.responses.iter().find(|r| r.status == "default").map(|r| (200, r)))
            .or_else(|| operation.responses.iter().find_map(|r| r.status.parse::<u16>().ok().map(|s| (s, r))));
        let Some((status, documented)) = chosen else {
            return Response { status: 200, headers: Vec::new(), content_type: None, body: Body::default() };
        };

        let mut headers = Vec::new();
        for header in &documented.headers {
            if header.required
                && !is_reserved_header(&header.name)
                && let Some(schema) = &header.schema
            {
                let value = self.value(schema);
                headers.push(Header::new(header.name.clone(), text_of(&value)));
            }
        }
        let head = operation.method == "HEAD";
        self.in_response = true;
        let body = self.body(&documented.content);
        self.in_response = false;
        match body {
            Some((content_type, bytes)) if !head && status != 204 => {
                headers.push(Header::new("Content-Type", content_type.clone()));
                Response { status, headers, content_type: Some(content_type), body: Body { bytes, truncated: false } }
            }
            _ => Response { status, headers, content_type: None, body: Body::default() },
        }
    }

    fn generate(&mut self, schema: &Value, depth: usize) -> Value {
        self.nodes += 1;
        let Ok((schema, _)) = self.document.resolve(schema, "") else {
            return Value::Null;
        };
        let Some(map) = schema.as_object() else {
            return Value::Null;
        };
        if let Some(constant) = map.get("const") {
            return constant.clone();
        }
        if let Some(Value::Array(values)) = map.get("enum") {
            let values: Vec<&Value> = values.iter().filter(|v| !v.is_null()).collect();
            if !values.is_empty() {
                return values[self.rng.usize(..values.len())].clone();
            }
        }
        if let Some(Value::Array(branches)) = map.get("allOf") {
            return self.all_of(map, branches, depth);
        }
        for keyword in ["oneOf", "anyOf"] {
            if let Some(Value::Array(branches)) = map.get(keyword)
                && !branches.is_empty()
            {
                let index = self.rng.usize(..branches.len());
                return self.generate(&branches[index], depth + 1);
            }
        }

        let type_name = self.pick_type(map);
        if type_name == "null" {
            return Value::Null;
        }
        match type_name {
            "object" => self.object(map, depth),
            "array" => self.array(map, depth),
            "integer" => self.integer(map),
            "number" => self.number(map),
            "boolean" => Value::Bool(self.rng.bool()),
            _ => self.string(map),
        }
    }

    /// Picks the type to generate: one of the listed types, else the type the keywords
    /// suggest. `null` is picked only with `null_probability`.
    fn pick_type(&mut self, map: &Map<String, Value>) -> &'static str {
        let nullable = map.get("nullable").or_else(|| map.get("x-nullable")).and_then(Value::as_bool) == Some(true);
        let mut types: Vec<&str> = match map.get("type") {
            Some(Value::String(name)) => vec![name.as_str()],
            Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let null_allowed = nullable || types.contains(&"null");
        types.retain(|t| *t != "null");
        if null_allowed && (types.is_empty() || self.rng.f64() < self.options.null_probability) {
            return "null";
        }
        let chosen = types.first().copied().unwrap_or_else(|| {
            if map.contains_key("properties") || map.contains_key("additionalProperties") {
                "object"
            } else if map.contains_key("items") {
                "array"
            } else {
                "string"
            }
        });
        match chosen {
            "object" => "object",
            "array" => "array",
            "integer" => "integer",
            "number" => "number",
            "boolean" => "boolean",
            _ => "string",
        }
    }

    fn all_of(&mut self, map: &Map<String, Value>, branches: &[Value], depth: usize) -> Value {
        let mut merged = Map::new();
        let mut other = None;
        for branch in branches {
            match self.generate(branch, depth + 1) {
                Value::Object(object) => merged.extend(object),
                value => other = other.or(Some(value)),
            }
        }
        // Sibling properties of `allOf` apply too.
        if map.contains_key("properties")
            && let Value::Object(object) = self.object(map, depth)
        {
            merged.extend(object);
        }
        if merged.is_empty()
            && let Some(value) = other
        {
            return value;
        }
        Value::Object(merged)
    }

    fn object(&mut self, map: &Map<String, Value>, depth: usize) -> Value {
        let required: Vec<&str> =
            map.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
        let mut object = Map::new();
        let exhausted = depth >= self.options.max_depth || self.nodes >= self.options.max_nodes;
        if let Some(properties) = map.get("properties").and_then(Value::as_object) {
            for (name, property) in properties {
                let is_required = required.contains(&name.as_str());
                let flag = |name: &str| property.get(name).and_then(Value::as_bool) == Some(true);
                let other_direction = if self.in_response { flag("writeOnly") } else { flag("readOnly") };
                if !is_required && (exhausted || other_direction || self.rng.f64() >= self.options.optional_probability)
                {
                    continue;
                }
                object.insert(name.clone(), self.generate(property, depth + 1));
            }
        }
        if let Some(additional @ Value::Object(_)) = map.get("additionalProperties")
            && object.is_empty()
            && !exhausted
        {
            for index in 1..=2 {
                object.insert(format!("key{index}"), self.generate(additional, depth + 1));
            }
        }
        Value::Object(object)
    }

    fn array(&mut self, map: &Map<String, Value>, depth: usize) -> Value {
        let min = map.get("minItems").and_then(Value::as_u64).unwrap_or(0) as usize;
        let max = map.get("maxItems").and_then(Value::as_u64).map_or(usize::MAX, |m| m as usize);
        let exhausted = depth >= self.options.max_depth || self.nodes >= self.options.max_nodes;
        let wanted = if exhausted { min } else { self.rng.usize(1..=3).max(min) };
        let count = wanted.min(max).min(min.max(16));
        let Some(items) = map.get("items") else {
            return Value::Array((0..count).map(|i| json!(format!("item{i}"))).collect());
        };
        let mut values: Vec<Value> = Vec::with_capacity(count);
        for _ in 0..count {
            let value = self.generate(items, depth + 1);
            if map.get("uniqueItems").and_then(Value::as_bool) == Some(true) && values.contains(&value) {
                continue;
            }
            values.push(value);
        }
        Value::Array(values)
    }

    fn integer(&mut self, map: &Map<String, Value>) -> Value {
        let (low, high) = bounds(map, 1.0, 1000.0);
        let low = low.ceil() as i64;
        let high = (high.floor() as i64).max(low);
        let mut value = self.rng.i64(low..=high);
        if let Some(step) = map.get("multipleOf").and_then(Value::as_i64).filter(|s| *s > 0) {
            value = (value / step).max(1) * step;
        }
        json!(value)
    }

    fn number(&mut self, map: &Map<String, Value>) -> Value {
        let (low, high) = bounds(map, 0.5, 1000.0);
        let value = low + (high - low) * self.rng.f64();
        let rounded = (value * 100.0).round() / 100.0;
        json!(rounded.clamp(low, high))
    }

    fn string(&mut self, map: &Map<String, Value>) -> Value {
        self.counter += 1;
        let format = map.get("format").and_then(Value::as_str).unwrap_or("");
        let mut candidates: Vec<String> = Vec::new();
        for key in ["example", "default"] {
            if let Some(Value::String(text)) = map.get(key) {
                candidates.push(text.clone());
            }
        }
        if let Some(Value::Array(examples)) = map.get("examples")
            && let Some(Value::String(text)) = examples.first()
        {
            candidates.push(text.clone());
        }
        let formatted_index = candidates.len();
        candidates.push(self.formatted(format));
        let pattern_text = map.get("pattern").and_then(Value::as_str).unwrap_or("");
        let prefix = literal_prefix(pattern_text);
        if !prefix.is_empty() {
            candidates.push(format!("{prefix}{}", self.counter));
            candidates.push(prefix);
        }
        candidates.extend(["abc".to_string(), "12345".to_string(), "A1".to_string(), "a-b".to_string()]);

        let min = map.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
        let max = map.get("maxLength").and_then(Value::as_u64).map_or(usize::MAX, |m| m as usize);
        let pattern = map.get("pattern").and_then(Value::as_str).and_then(|p| self.document.pattern(p));
        let fits = |text: &str| {
            let length = text.chars().count();
            length >= min
                && length <= max
                && pattern.as_ref().is_none_or(|regex| regex.is_match(text))
                && crate::schema::format::check(format, text)
        };
        if let Some(found) = candidates.iter().find(|c| fits(c)) {
            return json!(found);
        }
        // Pad or cut the format's value to the length bounds.
        let mut text = candidates.swap_remove(formatted_index);
        while text.chars().count() < min {
            text.push('x');
        }
        if text.chars().count() > max {
            text = text.chars().take(max).collect();
        }
        json!(text)
    }

    fn formatted(&mut self, format: &str) -> String {
        let n = self.counter;
        match format {
            "date-time" => {
                format!("2024-0{}-1{}T1{}:30:00Z", self.rng.u8(1..=9), self.rng.u8(0..=9), self.rng.u8(0..=9))
            }
            "date" => format!("2024-0{}-1{}", self.rng.u8(1..=9), self.rng.u8(0..=9)),
            "email" => format!("user{n}@example.com"),
            "uuid" => {
                let a = self.rng.u64(..);
                let b = self.rng.u64(..);
                format!(
                    "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
                    a >> 32,
                    (a >> 16) & 0xffff,
                    a & 0xfff,
                    b >> 52,
                    b & 0xffff_ffff_ffff
                )
            }
            "uri" | "url" => format!("https://example.com/resource/{n}"),
            "ipv4" => format!("192.0.2.{}", self.rng.u8(1..=254)),
            "ipv6" => format!("2001:db8::{:x}", self.rng.u16(1..)),
            "byte" => "aGVsbG8=".to_string(),
            "hostname" => "example.com".to_string(),
            _ => format!("value{n}"),
        }
    }
}

/// Returns the literal text that a pattern such as `^/v1/accounts` or `^sha256:` requires
/// at the start. That text is the characters after `^` up to the first one with a meaning
/// in regex syntax.
fn literal_prefix(pattern: &str) -> String {
    let Some(rest) = pattern.strip_prefix('^') else {
        return String::new();
    };
    rest.chars()
        .take_while(|c| c.is_alphanumeric() || matches!(c, '/' | '_' | '-' | ':' | '@' | '=' | ',' | ' '))
        .collect()
}

/// Returns the inclusive range of a number schema, from `minimum`, `maximum` and the
/// exclusive forms, defaulting to `[default_low, default_high]`.
fn bounds(map: &Map<String, Value>, default_low: f64, default_high: f64) -> (f64, f64) {
    let number = |key: &str| map.get(key).and_then(Value::as_f64);
    let flag = |key: &str| map.get(key).and_then(Value::as_bool) == Some(true);
    let mut low = number("minimum").unwrap_or(f64::NAN);
    let mut high = number("maximum").unwrap_or(f64::NAN);
    if flag("exclusiveMinimum") {
        low += 1.0;
    }
    if flag("exclusiveMaximum") {
        high -= 1.0;
    }
    if let Some(limit) = number("exclusiveMinimum") {
        low = limit + 1.0;
    }
    if let Some(limit) = number("exclusiveMaximum") {
        high = limit - 1.0;
    }
    match (low.is_nan(), high.is_nan()) {
        (true, true) => (default_low, default_high),
        (false, true) => (low, low.max(0.0) + default_high),
        (true, false) => ((high - default_high).max(default_low.min(high)), high),
        (false, false) => (low, high.max(low)),
    }
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence == "application/json" || essence.ends_with("+json") || essence.ends_with("/json") || essence == "*/*"
}

/// Returns true for headers that a client or the transport sets itself, so parameters with
/// these names are not generated.
fn is_reserved_header(name: &str) -> bool {
    ["accept", "content-type", "authorization", "content-length", "host", "cookie"]
        .iter()
        .any(|h| name.eq_ignore_ascii_case(h))
}

/// Encodes a URL-encoded form with nested objects and arrays written with brackets, as
/// Rails, PHP and Stripe read them: `card[number]=4242&expand[]=customer&items[0][price]=p`.
fn form_urlencoded_string(map: &Map<String, Value>) -> String {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (name, value) in map {
        flatten_form(name.clone(), value, &mut pairs);
    }
    const FORM: &AsciiSet = &CONTROLS.add(b' ').add(b'&').add(b'=').add(b'+').add(b'%').add(b'#').add(b'?');
    let encoded: Vec<String> = pairs
        .iter()
        .map(|(name, value)| format!("{}={}", utf8_percent_encode(name, FORM), utf8_percent_encode(value, FORM)))
        .collect();
    encoded.join("&")
}

fn flatten_form(name: String, value: &Value, pairs: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                flatten_form(format!("{name}[{key}]"), child, pairs);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let item_name =
                    if item.is_object() || item.is_array() { format!("{name}[{index}]") } else { format!("{name}[]") };
                flatten_form(item_name, item, pairs);
            }
        }
        other => pairs.push((name, text_of(other))),
    }
}

/// Returns the `type` of a parameter's schema, for callers that decide how to generate path
/// values.
pub fn parameter_type<'a>(document: &'a Document, schema: Option<&'a SchemaRef>) -> Option<&'a str> {
    schema_type(document, schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_and_write_only_bodies() {
        let spec = crate::import::import(
            br##"{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {"/users": {"post": {
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}},
                "responses": {"201": {"description": "created",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}}}}}},
              "components": {"schemas": {"User": {"type": "object", "properties": {
                "id": {"type": "integer", "readOnly": true},
                "password": {"type": "string", "writeOnly": true},
                "name": {"type": "string"}}}}}}"##,
            crate::SourceFormat::Json,
            &crate::ImportSettings::default(),
        )
        .unwrap();
        let options = SynthOptions { optional_probability: 1.0, ..SynthOptions::default() };
        let mut synthesizer = Synthesizer::new(spec.document(), 7, options);
        let trace = synthesizer.trace(&spec.operations[0], "api.test", "", &BTreeMap::new(), 0);
        let keys = |bytes: &[u8]| {
            let value: Value = serde_json::from_slice(bytes).unwrap();
            value.as_object().unwrap().keys().cloned().collect::<Vec<_>>()
        };
        assert_eq!(keys(&trace.request.body.bytes), ["name", "password"]);
        assert_eq!(keys(&trace.response.unwrap().body.bytes), ["id", "name"]);
    }

    #[test]
    fn deep_object_query_parameters() {
        let spec = crate::import::import(
            br#"{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {"/charges": {"get": {
                "parameters": [
                    {"name": "created", "in": "query", "required": true, "style": "deepObject", "explode": true,
                     "schema": {"type": "object", "required": ["gte"], "properties": {"gte": {"type": "integer"}}}},
                    {"name": "expand", "in": "query", "required": true, "style": "deepObject", "explode": true,
                     "schema": {"type": "array", "minItems": 1, "maxItems": 1, "items": {"type": "string", "enum": ["customer"]}}}
                ],
                "responses": {"200": {"description": "ok"}}}}}}"#,
            crate::SourceFormat::Json,
            &crate::ImportSettings::default(),
        )
        .unwrap();
        let mut synthesizer = Synthesizer::new(spec.document(), 7, SynthOptions::default());
        let trace = synthesizer.trace(&spec.operations[0], "api.test", "", &BTreeMap::new(), 0);
        let names: Vec<&str> = trace.request.query.iter().map(|q| q.name.as_str()).collect();
        assert_eq!(names, ["created[gte]", "expand[]"]);
        assert_eq!(trace.request.query[1].value, "customer");
    }
}
