//! Parameters, response headers and security schemes of exported operations.

use std::collections::{BTreeMap, BTreeSet};

use palisade_core::auth::AuthScheme;
use palisade_core::inventory::Endpoint;
use palisade_core::path::{percent_decode_lossy, split_path};
use palisade_core::template::{TemplateSegment, ValueKind};
use palisade_core::{DataField, FieldType, PathTemplate, Section, Trace};
use serde_json::{Map, Value, json};

use super::{param_name_at, sorted_kinds};

/// Request headers that are not parameters: those OpenAPI ignores (`Accept`,
/// `Content-Type`, `Authorization`), connection and proxy headers, and the headers every
/// browser or HTTP client sends.
const NON_PARAMETER_HEADERS: [&str; 28] = [
    "accept",
    "content-type",
    "authorization",
    "proxy-authorization",
    "cookie",
    "host",
    "content-length",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "upgrade",
    "user-agent",
    "accept-encoding",
    "accept-language",
    "accept-charset",
    "cache-control",
    "pragma",
    "origin",
    "referer",
    "via",
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "x-real-ip",
    "dnt",
    "expect",
];

/// Response headers that describe the message rather than the API.
const NON_API_RESPONSE_HEADERS: [&str; 14] = [
    "content-type",
    "content-length",
    "content-encoding",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "date",
    "server",
    "vary",
    "via",
    "set-cookie",
    "age",
    "alt-svc",
    "x-powered-by",
];

/// Query parameter names that carry an API key or token, as the pipeline's
/// authentication detection reads them.
const KEY_QUERY_PARAMS: [&str; 8] =
    ["api_key", "apikey", "api-key", "key", "token", "access_token", "auth", "auth_token"];

/// True for header names that carry API keys: `X-API-Key`, `Api-Key`, `X-Auth-Token` and
/// the like, the names the pipeline's authentication detection reads.
pub(crate) fn is_key_header(name: &str) -> bool {
    let compact: String = name.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect();
    let compact = compact.strip_prefix('x').unwrap_or(&compact);
    matches!(compact, "apikey" | "apitoken" | "authtoken" | "accesstoken" | "token" | "key" | "secret" | "clientsecret")
        || compact.ends_with("apikey")
        || compact.ends_with("authtoken")
}

/// Infers the schema of a path parameter from the shapes of the values observed at its
/// position.
pub(crate) fn kind_schema(kinds: &[(ValueKind, u64)]) -> Value {
    let distinct: BTreeSet<ValueKind> = kinds.iter().filter(|(_, count)| *count > 0).map(|(kind, _)| *kind).collect();
    if distinct.len() != 1 {
        return json!({"type": "string"});
    }
    match distinct.into_iter().next() {
        Some(ValueKind::Integer) => json!({"type": "integer"}),
        Some(ValueKind::Uuid) => json!({"type": "string", "format": "uuid"}),
        Some(ValueKind::Email) => json!({"type": "string", "format": "email"}),
        Some(ValueKind::HexHash) => json!({"type": "string", "pattern": "^[0-9a-fA-F]+$"}),
        _ => json!({"type": "string"}),
    }
}

/// Returns `text` as an example of `schema`: a JSON number for an `integer` or `number`
/// schema, a boolean for a `boolean` one, and `None` when the text does not fit, because
/// an example must be valid against its schema.
fn typed_example(schema: &Value, text: &str) -> Option<Value> {
    match schema.get("type").and_then(Value::as_str) {
        Some("integer") => text.parse::<i64>().ok().map(Value::from),
        Some("number") => text.parse::<f64>().ok().filter(|n| n.is_finite()).map(Value::from),
        Some("boolean") => text.parse::<bool>().ok().map(Value::from),
        _ => Some(Value::from(text)),
    }
}

pub(crate) fn path_parameters(endpoint: &Endpoint, names: &[String], samples: &[&Trace]) -> Vec<Value> {
    let template = PathTemplate::parse(&endpoint.template);
    let mut parameters = Vec::new();
    for (position, segment) in template.segments.iter().enumerate() {
        if !matches!(segment, TemplateSegment::Param(_)) {
            continue;
        }
        let Some(name) = param_name_at(&template, names, position) else {
            continue;
        };
        let evidence = endpoint.params.iter().find(|p| p.position == position);
        let kinds = evidence.map(|e| sorted_kinds(&e.kinds)).unwrap_or_default();
        let mut parameter = Map::new();
        parameter.insert("name".into(), json!(name));
        parameter.insert("in".into(), json!("path"));
        parameter.insert("required".into(), json!(true));
        let schema = kind_schema(&kinds);

        // The first sample whose path has as many segments as the template.
        let example = samples.iter().find_map(|sample| {
            let segments = split_path(&sample.request.path);
            (segments.len() == template.segments.len()).then(|| percent_decode_lossy(segments[position]))
        });
        if let Some(example) = example.and_then(|text| typed_example(&schema, &text)) {
            parameter.insert("example".into(), example);
        }
        parameter.insert("schema".into(), schema);
        parameters.push(Value::Object(parameter));
    }
    parameters
}

/// Query and header parameters from the endpoint's fields. A parameter is required when
/// it was seen in every request. Credentials are left to the security schemes.
pub(crate) fn query_and_header_parameters(endpoint: &Endpoint, fields: &[DataField], samples: &[&Trace]) -> Vec<Value> {
    let query_key = endpoint.auth.count(AuthScheme::ApiKeyQuery) > 0;
    let mut by_name: BTreeMap<(u8, String), Vec<&DataField>> = BTreeMap::new();
    for field in fields {
        let (order, name) = match field.section {
            Section::Query => {
                if query_key && KEY_QUERY_PARAMS.contains(&field.path.to_ascii_lowercase().as_str()) {
                    continue;
                }
                (0, field.path.clone())
            }
            Section::RequestHeader => {
                let name = field.path.to_ascii_lowercase();
                if NON_PARAMETER_HEADERS.contains(&name.as_str()) || is_key_header(&name) {
                    continue;
                }
                (1, name)
            }
            _ => continue,
        };
        by_name.entry((order, name)).or_default().push(field);
    }

    let mut parameters = Vec::new();
    let mut bracketed: BTreeMap<String, Vec<BracketMember>> = BTreeMap::new();
    for ((order, name), fields) in by_name {
        if order == 0
            && let Some((base, keys)) = bracket_name(&name)
        {
            let keys = keys.into_iter().map(String::from).collect();
            bracketed.entry(base.to_string()).or_default().push((keys, fields));
            continue;
        }
        let location = if order == 0 { "query" } else { "header" };
        let seen: u64 = fields.iter().map(|f| f.count).sum();
        let mut parameter = Map::new();
        parameter.insert("name".into(), json!(name));
        parameter.insert("in".into(), json!(location));
        parameter.insert("required".into(), json!(endpoint.hits > 0 && seen >= endpoint.hits));
        let schema = scalar_schema(&fields);
        if order == 0 {
            let example =
                samples.iter().find_map(|s| s.request.query.iter().find(|q| q.name == name).map(|q| q.value.clone()));
            if let Some(example) = example.and_then(|text| typed_example(&schema, &text)) {
                parameter.insert("example".into(), example);
            }
        }
        parameter.insert("schema".into(), schema);
        parameters.push(Value::Object(parameter));
    }
    for (base, members) in bracketed {
        parameters.push(deep_object_parameter(endpoint, &base, &members));
    }
    // The deepObject parameters were added last, so sort the query parameters by name
    // again, ahead of the headers.
    parameters.sort_by_key(|p| (p["in"] != "query", p["name"].as_str().unwrap_or("").to_string()));
    parameters
}

/// The keys inside the brackets of one query name, with the fields seen under that name.
type BracketMember<'a> = (Vec<String>, Vec<&'a DataField>);

/// Splits a query name written in the bracket convention (`created[gte]`, `expand[]`,
/// `items[0][price]`) into the base name and the keys inside the brackets.
fn bracket_name(name: &str) -> Option<(&str, Vec<&str>)> {
    let open = name.find('[')?;
    let (base, rest) = name.split_at(open);
    let inner = rest.strip_prefix('[')?.strip_suffix(']')?;
    (!base.is_empty()).then(|| (base, inner.split("][").collect()))
}

/// Describes the query names sharing `base` as one `deepObject` parameter, as OpenAPI
/// writes `created[gte]=1`: an object whose properties are the first bracket keys, or an
/// array when every first key is empty or an index (`expand[]`, `ids[0]`).
fn deep_object_parameter(endpoint: &Endpoint, base: &str, members: &[BracketMember]) -> Value {
    let is_index = |key: &str| key.is_empty() || key.bytes().all(|b| b.is_ascii_digit());
    // A member with more keys is only typed by its next bracket: `[]` for an array.
    let member_schema = |keys: &[String], fields: &[&DataField]| match keys.get(1) {
        None => scalar_schema(fields),
        Some(next) if next.is_empty() => json!({"type": "array"}),
        Some(_) => json!({"type": "object"}),
    };

    let schema = if members.iter().all(|(keys, _)| is_index(&keys[0])) {
        let items = match members.iter().find(|(keys, _)| keys.len() > 1) {
            Some((keys, fields)) => member_schema(keys, fields),
            None => {
                let all: Vec<&DataField> = members.iter().flat_map(|(_, fields)| fields.iter().copied()).collect();
                scalar_schema(&all)
            }
        };
        json!({"type": "array", "items": items})
    } else {
        let mut properties = Map::new();
        for (keys, fields) in members {
            if !properties.contains_key(&keys[0]) {
                properties.insert(keys[0].clone(), member_schema(keys, fields));
            }
        }
        json!({"type": "object", "properties": properties})
    };
    // The parameter was present in at least as many requests as its most frequent member,
    // so it is required when that member appears in every request.
    let seen = members.iter().map(|(_, fields)| fields.iter().map(|f| f.count).sum::<u64>()).max().unwrap_or(0);
    json!({
        "name": base,
        "in": "query",
        "required": endpoint.hits > 0 && seen >= endpoint.hits,
        "style": "deepObject",
        "explode": true,
        "schema": schema,
    })
}

/// Infers the schema of a value sent as text: integer, number or boolean when every value
/// parsed as one, otherwise string with the format all string values shared.
fn scalar_schema(fields: &[&DataField]) -> Value {
    let types: BTreeSet<FieldType> = fields.iter().map(|f| f.field_type).collect();
    let only = |allowed: &[FieldType]| types.iter().all(|t| allowed.contains(t));
    if only(&[FieldType::Integer]) {
        return json!({"type": "integer"});
    }
    if only(&[FieldType::Integer, FieldType::Number]) {
        return json!({"type": "number"});
    }
    if only(&[FieldType::Boolean]) {
        return json!({"type": "boolean"});
    }
    let formats: BTreeSet<_> = fields.iter().filter(|f| f.field_type == FieldType::String).map(|f| f.format).collect();
    match (types.len(), formats.into_iter().next()) {
        (1, Some(Some(format))) => json!({"type": "string", "format": format.as_str()}),
        _ => json!({"type": "string"}),
    }
}

pub(crate) fn response_headers(fields: &[&DataField], responses_seen: u64) -> Map<String, Value> {
    let mut by_name: BTreeMap<String, Vec<&DataField>> = BTreeMap::new();
    for field in fields {
        let name = field.path.to_ascii_lowercase();
        if NON_API_RESPONSE_HEADERS.contains(&name.as_str()) {
            continue;
        }
        by_name.entry(name).or_default().push(field);
    }
    let mut headers = Map::new();
    for (name, fields) in by_name {
        let seen: u64 = fields.iter().map(|f| f.count).sum();
        headers.insert(
            name,
            json!({"required": responses_seen > 0 && seen >= responses_seen, "schema": scalar_schema(&fields)}),
        );
    }
    headers
}

/// Security schemes used by the exported operations, named once per host.
#[derive(Debug, Default)]
pub(crate) struct SecurityNames {
    schemes: BTreeMap<String, Value>,
}

impl SecurityNames {
    fn add(&mut self, name: &str, scheme: Value) -> String {
        self.schemes.entry(name.to_string()).or_insert(scheme);
        name.to_string()
    }

    pub(crate) fn components(&self) -> Map<String, Value> {
        self.schemes.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }
}

/// Builds the `security` of an operation: one alternative per observed scheme, plus the
/// empty alternative when requests without credentials were observed too. Returns `None`
/// when no authentication was recorded at all.
pub(crate) fn security_requirements(
    endpoint: &Endpoint,
    fields: &[DataField],
    samples: &[&Trace],
    names: &mut SecurityNames,
) -> Option<Value> {
    let schemes = endpoint.auth.schemes();
    if schemes.is_empty() {
        return None;
    }
    let mut alternatives: Vec<Value> = Vec::new();
    let mut anonymous = false;
    for scheme in schemes {
        let name = match scheme {
            AuthScheme::None => {
                anonymous = true;
                continue;
            }
            AuthScheme::Basic => names.add("basicAuth", json!({"type": "http", "scheme": "basic"})),
            AuthScheme::Bearer => names.add("bearerAuth", json!({"type": "http", "scheme": "bearer"})),
            AuthScheme::Jwt => names.add("jwtAuth", json!({"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})),
            // Each key name seen is its own alternative: an API that takes `?key=` or
            // `?access_token=` documents both.
            AuthScheme::ApiKeyHeader => {
                for header in key_header_names(fields, samples) {
                    let id = format!("apiKeyHeader_{}", sanitize(&header));
                    let name = names.add(&id, json!({"type": "apiKey", "in": "header", "name": header}));
                    alternatives.push(json!({ name: [] }));
                }
                continue;
            }
            AuthScheme::ApiKeyQuery => {
                for param in key_query_names(fields, samples) {
                    let id = format!("apiKeyQuery_{}", sanitize(&param));
                    let name = names.add(&id, json!({"type": "apiKey", "in": "query", "name": param}));
                    alternatives.push(json!({ name: [] }));
                }
                continue;
            }
            AuthScheme::SessionCookie => names.add(
                "sessionCookie",
                json!({
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": "A session cookie. Stored samples drop cookies, so the cookie's name is not known.",
                }),
            ),
        };
        alternatives.push(json!({ name: [] }));
    }
    if anonymous {
        alternatives.push(json!({}));
    }
    Some(Value::Array(alternatives))
}

/// Component names allow letters, digits, `.`, `-` and `_`.
fn sanitize(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' }).collect()
}

fn key_header_names(fields: &[DataField], samples: &[&Trace]) -> Vec<String> {
    let from_fields =
        fields.iter().filter(|f| f.section == Section::RequestHeader).map(|f| f.path.to_ascii_lowercase());
    let from_samples = samples.iter().flat_map(|s| s.request.headers.iter().map(|h| h.name.to_ascii_lowercase()));
    let names: BTreeSet<String> = from_fields.chain(from_samples).filter(|name| is_key_header(name)).collect();
    if names.is_empty() { vec!["x-api-key".to_string()] } else { names.into_iter().collect() }
}

pub(crate) fn key_query_names(fields: &[DataField], samples: &[&Trace]) -> Vec<String> {
    let from_fields = fields.iter().filter(|f| f.section == Section::Query).map(|f| f.path.clone());
    let from_samples = samples.iter().flat_map(|s| s.request.query.iter().map(|q| q.name.clone()));
    let names: BTreeSet<String> = from_fields
        .chain(from_samples)
        .filter(|name| KEY_QUERY_PARAMS.contains(&name.to_ascii_lowercase().as_str()))
        .collect();
    if names.is_empty() { vec!["api_key".to_string()] } else { names.into_iter().collect() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_take_the_schema_type() {
        let integer = json!({"type": "integer"});
        assert_eq!(typed_example(&integer, "42"), Some(json!(42)));
        assert_eq!(typed_example(&integer, "4x2"), None, "text that is no integer is left out");
        assert_eq!(typed_example(&json!({"type": "number"}), "2.5"), Some(json!(2.5)));
        assert_eq!(typed_example(&json!({"type": "boolean"}), "true"), Some(json!(true)));
        assert_eq!(typed_example(&json!({"type": "string", "format": "uuid"}), "42"), Some(json!("42")));
    }
}
