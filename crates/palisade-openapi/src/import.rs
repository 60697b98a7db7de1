//! Reading Swagger 2.0, OpenAPI 3.0 and 3.1 descriptions, as JSON or YAML, into the
//! normalized [`ApiSpec`].
//!
//! Import is strict where the model depends on the structure (an operation that is not
//! an object, a parameter without `in`, a response key that is not a status code) and
//! ignores what it does not use (tags, links, callbacks, examples). Every `$ref` is
//! checked once: references to other files or URLs, references to nothing and cycles of
//! references are errors. Recursive schemas are fine because schemas are never expanded.

use std::path::Path;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::document::{Dialect, Document};
use crate::error::ImportError;
use crate::model::{
    ApiSpec, MediaSchema, Operation, ParamLocation, ParamStyle, Parameter, RequestBody, ResponseSpec, SchemaRef,
};
use crate::pointer;
use crate::router::Router;
use crate::settings::ImportSettings;

/// HTTP methods a path item may hold, in the order operations are listed.
pub const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Text format of a description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    Json,
    Yaml,
    /// JSON when the first non-blank byte is `{`, otherwise YAML.
    Detect,
}

/// Reads the description at `path`. The size limit is checked before the file is read.
pub fn import_file(path: &Path, settings: &ImportSettings) -> Result<ApiSpec, ImportError> {
    let io_error =
        |error: std::io::Error| ImportError::Io { path: path.display().to_string(), message: error.to_string() };
    let size = std::fs::metadata(path).map_err(io_error)?.len();
    if size > settings.max_spec_bytes as u64 {
        return Err(ImportError::TooLarge {
            bytes: usize::try_from(size).unwrap_or(usize::MAX),
            max: settings.max_spec_bytes,
        });
    }
    let bytes = std::fs::read(path).map_err(io_error)?;
    let format = match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("json") => SourceFormat::Json,
        Some("yaml" | "yml") => SourceFormat::Yaml,
        _ => SourceFormat::Detect,
    };
    import(&bytes, format, settings)
}

/// Parses and imports a description.
pub fn import(bytes: &[u8], format: SourceFormat, settings: &ImportSettings) -> Result<ApiSpec, ImportError> {
    if bytes.len() > settings.max_spec_bytes {
        return Err(ImportError::TooLarge { bytes: bytes.len(), max: settings.max_spec_bytes });
    }
    let root = parse(bytes, format, settings)?;
    from_value(root, settings)
}

/// Parses JSON or YAML text into a JSON value.
pub fn parse(bytes: &[u8], format: SourceFormat, settings: &ImportSettings) -> Result<Value, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let json = match format {
        SourceFormat::Json => true,
        SourceFormat::Yaml => false,
        SourceFormat::Detect => bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{'),
    };
    if json {
        return serde_json::from_slice(bytes).map_err(|error| ImportError::InvalidJson {
            line: error.line(),
            column: error.column(),
            message: error.to_string(),
        });
    }

    let text = std::str::from_utf8(bytes)
        .map_err(|error| ImportError::InvalidYaml { message: format!("not UTF-8: {error}") })?;
    let mut options = serde_saphyr::Options::default();
    let mut budget = serde_saphyr::Budget::default();
    budget.max_events = settings.max_yaml_events;
    budget.max_nodes = settings.max_yaml_events;
    budget.max_total_scalar_bytes = settings.max_spec_bytes;
    budget.max_reader_input_bytes = Some(settings.max_spec_bytes);
    options.budget = Some(budget);
    serde_saphyr::from_str_with_options(text, options)
        .map_err(|error| ImportError::InvalidYaml { message: error.to_string() })
}

/// Imports a parsed description.
pub fn from_value(root: Value, settings: &ImportSettings) -> Result<ApiSpec, ImportError> {
    if !root.is_object() {
        return Err(ImportError::invalid("", "expected an object at the top level"));
    }
    let (dialect, spec_version) = detect_dialect(&root)?;
    let document = Document::new(root, dialect, settings.clone());
    document.check_refs()?;
    let document = Arc::new(document);

    let root = document.root();
    let info = root.get("info");
    let text = |key: &str| info.and_then(|i| i.get(key)).and_then(Value::as_str).unwrap_or("").to_string();
    let (title, version) = (text("title"), text("version"));

    let (hosts, base_paths) = match dialect {
        Dialect::Swagger2 => swagger_servers(root),
        _ => servers(root, settings.max_server_variants),
    };

    let operations = read_paths(&document)?;
    let router = Router::new(&operations);
    Ok(ApiSpec { title, version, spec_version, hosts, base_paths, operations, document, router: Arc::new(router) })
}

fn detect_dialect(root: &Value) -> Result<(Dialect, String), ImportError> {
    if let Some(version) = root.get("openapi") {
        let text = version.as_str().unwrap_or("");
        let dialect = if text.starts_with("3.0") {
            Dialect::OpenApi30
        } else if text.starts_with("3.1") {
            Dialect::OpenApi31
        } else {
            return Err(ImportError::UnknownVersion { pointer: "/openapi".into(), found: version.to_string() });
        };
        return Ok((dialect, text.to_string()));
    }
    match root.get("swagger") {
        Some(Value::String(text)) if text == "2.0" => Ok((Dialect::Swagger2, text.clone())),
        Some(other) => Err(ImportError::UnknownVersion { pointer: "/swagger".into(), found: other.to_string() }),
        None => Err(ImportError::UnknownVersion { pointer: "/openapi".into(), found: "nothing".into() }),
    }
}

/// Hosts and base paths of an OpenAPI 3.x description.
fn servers(root: &Value, max_variants: usize) -> (Vec<String>, Vec<String>) {
    let mut hosts: Vec<String> = Vec::new();
    let mut base_paths: Vec<String> = Vec::new();
    let entries = root.get("servers").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
    for server in entries {
        let Some(url) = server.get("url").and_then(Value::as_str) else {
            continue;
        };
        for expanded in expand_server_url(url, server.get("variables").and_then(Value::as_object), max_variants) {
            let (host, path) = split_url(&expanded);
            if let Some(host) = host
                && !hosts.contains(&host)
            {
                hosts.push(host);
            }
            let path = normalize_base_path(&path);
            if !base_paths.contains(&path) {
                base_paths.push(path);
            }
        }
    }
    if base_paths.is_empty() {
        base_paths.push(String::new());
    }
    (hosts, base_paths)
}

fn swagger_servers(root: &Value) -> (Vec<String>, Vec<String>) {
    let hosts = root.get("host").and_then(Value::as_str).map(|h| vec![h.to_ascii_lowercase()]).unwrap_or_default();
    let base = normalize_base_path(root.get("basePath").and_then(Value::as_str).unwrap_or(""));
    (hosts, vec![base])
}

/// Expands `{name}` in a server URL to every combination of each variable's `default`
/// and `enum` values, at most `max_variants` URLs. A variable without values stays as
/// written.
pub fn expand_server_url(url: &str, variables: Option<&Map<String, Value>>, max_variants: usize) -> Vec<String> {
    let mut results = vec![String::new()];
    let mut rest = url;
    while let Some(start) = rest.find('{') {
        let Some(length) = rest[start..].find('}') else {
            break;
        };
        let literal = &rest[..start];
        let name = &rest[start + 1..start + length];
        let variable = variables.and_then(|v| v.get(name));
        let mut values: Vec<String> = Vec::new();
        if let Some(default) = variable.and_then(|v| v.get("default")).and_then(Value::as_str) {
            values.push(default.to_string());
        }
        for value in variable.and_then(|v| v.get("enum")).and_then(Value::as_array).into_iter().flatten() {
            if let Some(value) = value.as_str()
                && !values.iter().any(|v| v == value)
            {
                values.push(value.to_string());
            }
        }
        if values.is_empty() {
            values.push(format!("{{{name}}}"));
        }
        let mut next = Vec::new();
        'outer: for prefix in &results {
            for value in &values {
                if next.len() >= max_variants.max(1) {
                    break 'outer;
                }
                next.push(format!("{prefix}{literal}{value}"));
            }
        }
        results = next;
        rest = &rest[start + length + 1..];
    }
    results.into_iter().map(|prefix| format!("{prefix}{rest}")).collect()
}

/// Splits a server URL into its lower-case host (with port) and its path. Relative URLs
/// have no host.
fn split_url(url: &str) -> (Option<String>, String) {
    let after_scheme = url.find("://").map(|i| &url[i + 3..]).or_else(|| url.strip_prefix("//"));
    let Some(rest) = after_scheme else {
        let end = url.find(['?', '#']).unwrap_or(url.len());
        return (None, url[..end].to_string());
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let path_part = &rest[authority_end..];
    let path_end = path_part.find(['?', '#']).unwrap_or(path_part.len());
    let host = (!authority.is_empty()).then(|| authority.to_ascii_lowercase());
    (host, path_part[..path_end].to_string())
}

/// `""` for the root, otherwise `/a/b` without empty segments or a trailing slash.
pub fn normalize_base_path(path: &str) -> String {
    let mut out = String::new();
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        out.push_str(segment);
    }
    out
}

fn read_paths(document: &Arc<Document>) -> Result<Vec<Operation>, ImportError> {
    let root = document.root();
    let Some(paths) = root.get("paths") else {
        return Ok(Vec::new());
    };
    let Some(paths) = paths.as_object() else {
        return Err(ImportError::invalid("/paths", "expected an object of paths"));
    };
    let settings = document.settings();

    let mut operations = Vec::new();
    for (path, item) in paths {
        let item_pointer = pointer::join("/paths", path);
        if !path.starts_with('/') {
            return Err(ImportError::invalid(&item_pointer, format!("path {path:?} must start with '/'")));
        }
        let (item, item_pointer) = document.resolve(item, &item_pointer)?;
        let Some(item_map) = item.as_object() else {
            return Err(ImportError::invalid(&item_pointer, "expected a path item object"));
        };
        let shared =
            read_parameter_list(document, item_map.get("parameters"), &pointer::join(&item_pointer, "parameters"))?;

        for method in METHODS {
            let Some(operation) = item_map.get(method) else {
                continue;
            };
            let op_pointer = pointer::join(&item_pointer, method);
            let Some(operation_map) = operation.as_object() else {
                return Err(ImportError::invalid(&op_pointer, "expected an operation object"));
            };
            if operations.len() >= settings.max_operations {
                return Err(ImportError::TooManyOperations { max: settings.max_operations });
            }
            operations.push(read_operation(document, method, path, operation_map, &op_pointer, &shared)?);
        }
    }
    Ok(operations)
}

/// A parameter as read, before Swagger's body and form parameters are moved into the
/// request body.
#[derive(Debug, Clone)]
enum RawParam {
    Plain(Parameter),
    /// Swagger 2.0 `in: body`, with the pointer of the parameter object.
    Body {
        required: bool,
        pointer: String,
    },
    /// Swagger 2.0 `in: formData`.
    Form {
        name: String,
        required: bool,
        file: bool,
        pointer: String,
    },
}

impl RawParam {
    fn key(&self) -> (String, &'static str) {
        match self {
            RawParam::Plain(param) => (param.name.clone(), param.location.as_str()),
            RawParam::Body { .. } => (String::new(), "body"),
            RawParam::Form { name, .. } => (name.clone(), "formData"),
        }
    }
}

fn read_operation(
    document: &Arc<Document>,
    method: &str,
    path: &str,
    operation: &Map<String, Value>,
    op_pointer: &str,
    shared: &[RawParam],
) -> Result<Operation, ImportError> {
    let own = read_parameter_list(document, operation.get("parameters"), &pointer::join(op_pointer, "parameters"))?;
    let mut merged: Vec<RawParam> = shared.to_vec();
    for param in own {
        match merged.iter_mut().find(|existing| existing.key() == param.key()) {
            Some(existing) => *existing = param,
            None => merged.push(param),
        }
    }

    let mut parameters = Vec::new();
    let mut body_param = None;
    let mut form_params = Vec::new();
    for param in merged {
        match param {
            RawParam::Plain(param) => parameters.push(param),
            RawParam::Body { required, pointer } => body_param = Some((required, pointer)),
            RawParam::Form { name, required, file, pointer } => form_params.push((name, required, file, pointer)),
        }
    }
    add_undeclared_path_params(path, op_pointer, &mut parameters);

    let request_body = match document.dialect() {
        Dialect::Swagger2 => swagger_request_body(document.root(), operation, body_param, &form_params),
        _ => read_request_body(document, operation.get("requestBody"), &pointer::join(op_pointer, "requestBody"))?,
    };
    let responses = read_responses(document, operation, op_pointer)?;

    Ok(Operation {
        method: method.to_ascii_uppercase(),
        path_template: path.to_string(),
        operation_id: operation.get("operationId").and_then(Value::as_str).map(String::from),
        deprecated: operation.get("deprecated").and_then(Value::as_bool).unwrap_or(false),
        parameters,
        request_body,
        responses,
        pointer: op_pointer.to_string(),
        document: Arc::clone(document),
    })
}

/// Adds a required path parameter without schema for every `{name}` in the template that
/// no parameter declares, so matching still extracts its value.
fn add_undeclared_path_params(path: &str, op_pointer: &str, parameters: &mut Vec<Parameter>) {
    for name in template_param_names(path) {
        let declared = parameters.iter().any(|p| p.location == ParamLocation::Path && p.name == name);
        if !declared {
            parameters.push(Parameter {
                name,
                location: ParamLocation::Path,
                required: true,
                deprecated: false,
                style: ParamStyle::Delimited(','),
                schema: None,
                pointer: op_pointer.to_string(),
            });
        }
    }
}

/// Names of the parameters a path template uses, in order and without repeats. The
/// RFC 6570 operators `+` and `#` and the explode marker `*` are dropped.
pub fn template_param_names(path: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let Some(length) = rest[start..].find('}') else {
            break;
        };
        let name = rest[start + 1..start + length].trim_start_matches(['+', '#']).trim_end_matches('*');
        if !name.is_empty() && !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
        rest = &rest[start + length + 1..];
    }
    names
}

fn read_parameter_list(
    document: &Document,
    list: Option<&Value>,
    list_pointer: &str,
) -> Result<Vec<RawParam>, ImportError> {
    let Some(list) = list else {
        return Ok(Vec::new());
    };
    let Some(items) = list.as_array() else {
        return Err(ImportError::invalid(list_pointer, "expected an array of parameters"));
    };
    let mut params = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let (param, param_pointer) = document.resolve(item, &pointer::join_index(list_pointer, index))?;
        params.push(read_parameter(document, param, &param_pointer)?);
    }
    Ok(params)
}

fn read_parameter(document: &Document, param: &Value, at: &str) -> Result<RawParam, ImportError> {
    let Some(map) = param.as_object() else {
        return Err(ImportError::invalid(at, "expected a parameter object"));
    };
    let Some(name) = map.get("name").and_then(Value::as_str) else {
        return Err(ImportError::invalid(at, "parameter has no `name`"));
    };
    let Some(location) = map.get("in").and_then(Value::as_str) else {
        return Err(ImportError::invalid(at, format!("parameter {name:?} has no `in`")));
    };
    let required = map.get("required").and_then(Value::as_bool).unwrap_or(false);
    let swagger = document.dialect() == Dialect::Swagger2;

    match (location, swagger) {
        ("body", true) => return Ok(RawParam::Body { required, pointer: at.to_string() }),
        ("formData", true) => {
            let file = map.get("type").and_then(Value::as_str) == Some("file");
            return Ok(RawParam::Form { name: name.to_string(), required, file, pointer: at.to_string() });
        }
        _ => {}
    }
    let Some(location) = ParamLocation::parse(location).filter(|l| !(swagger && *l == ParamLocation::Cookie)) else {
        return Err(ImportError::invalid(
            &pointer::join(at, "in"),
            format!("unknown parameter location {location:?} for {name:?}"),
        ));
    };

    let schema = if swagger {
        Some(SchemaRef::at(at.to_string()))
    } else if map.contains_key("schema") {
        Some(SchemaRef::at(pointer::join(at, "schema")))
    } else if let Some(content) = map.get("content").and_then(Value::as_object) {
        content.iter().next().filter(|(_, media)| media.get("schema").is_some()).map(|(media_type, _)| {
            SchemaRef::at(pointer::join(&pointer::join(&pointer::join(at, "content"), media_type), "schema"))
        })
    } else {
        None
    };
    let style = param_style(document, map, location, schema.as_ref());
    Ok(RawParam::Plain(Parameter {
        name: name.to_string(),
        location,
        // OpenAPI 3.x and Swagger 2.0 both require path parameters to be `required`.
        required: required || location == ParamLocation::Path,
        deprecated: map.get("deprecated").and_then(Value::as_bool).unwrap_or(false),
        style,
        schema,
        pointer: at.to_string(),
    }))
}

fn param_style(
    document: &Document,
    map: &Map<String, Value>,
    location: ParamLocation,
    schema: Option<&SchemaRef>,
) -> ParamStyle {
    if document.dialect() == Dialect::Swagger2 {
        return match map.get("collectionFormat").and_then(Value::as_str).unwrap_or("csv") {
            "multi" => ParamStyle::Repeated,
            "ssv" => ParamStyle::Delimited(' '),
            "tsv" => ParamStyle::Delimited('\t'),
            "pipes" => ParamStyle::Delimited('|'),
            _ => ParamStyle::Delimited(','),
        };
    }
    let default_style =
        if matches!(location, ParamLocation::Query | ParamLocation::Cookie) { "form" } else { "simple" };
    let style = map.get("style").and_then(Value::as_str).unwrap_or(default_style);
    let explode = map.get("explode").and_then(Value::as_bool).unwrap_or(style == "form");
    let is_object = schema
        .and_then(|s| document.resolve_pointer(&s.pointer))
        .is_some_and(|(schema, _)| schema.get("type").and_then(Value::as_str) == Some("object"));
    match style {
        "deepObject" => ParamStyle::DeepObject,
        "form" if explode || is_object => ParamStyle::Repeated,
        "spaceDelimited" => ParamStyle::Delimited(' '),
        "pipeDelimited" => ParamStyle::Delimited('|'),
        _ => ParamStyle::Delimited(','),
    }
}

fn read_request_body(document: &Document, body: Option<&Value>, at: &str) -> Result<Option<RequestBody>, ImportError> {
    let Some(body) = body else {
        return Ok(None);
    };
    let (body, body_pointer) = document.resolve(body, at)?;
    let Some(map) = body.as_object() else {
        return Err(ImportError::invalid(&body_pointer, "expected a request body object"));
    };
    let content = read_content(map.get("content"), &pointer::join(&body_pointer, "content"))?;
    Ok(Some(RequestBody {
        required: map.get("required").and_then(Value::as_bool).unwrap_or(false),
        content,
        pointer: body_pointer,
    }))
}

fn read_content(content: Option<&Value>, at: &str) -> Result<Vec<MediaSchema>, ImportError> {
    let Some(content) = content else {
        return Ok(Vec::new());
    };
    let Some(map) = content.as_object() else {
        return Err(ImportError::invalid(at, "expected an object of media types"));
    };
    let mut media = Vec::with_capacity(map.len());
    for (content_type, media_object) in map {
        let media_pointer = pointer::join(at, content_type);
        if !media_object.is_object() {
            return Err(ImportError::invalid(&media_pointer, "expected a media type object"));
        }
        let schema = media_object.get("schema").map(|_| SchemaRef::at(pointer::join(&media_pointer, "schema")));
        media.push(MediaSchema { content_type: content_type.to_ascii_lowercase(), schema, pointer: media_pointer });
    }
    Ok(media)
}

/// Media types of a Swagger 2.0 operation: its own `consumes` or `produces`, else the
/// description's, else `fallback`.
fn swagger_media_types(root: &Value, operation: &Map<String, Value>, key: &str, fallback: &str) -> Vec<String> {
    let list = operation.get(key).or_else(|| root.get(key)).and_then(Value::as_array);
    let types: Vec<String> =
        list.into_iter().flatten().filter_map(Value::as_str).map(str::to_ascii_lowercase).collect();
    if types.is_empty() { vec![fallback.to_string()] } else { types }
}

fn swagger_request_body(
    root: &Value,
    operation: &Map<String, Value>,
    body_param: Option<(bool, String)>,
    form_params: &[(String, bool, bool, String)],
) -> Option<RequestBody> {
    if let Some((required, param_pointer)) = body_param {
        let content = swagger_media_types(root, operation, "consumes", "application/json")
            .into_iter()
            .map(|content_type| MediaSchema {
                content_type,
                schema: Some(SchemaRef::at(pointer::join(&param_pointer, "schema"))),
                pointer: param_pointer.clone(),
            })
            .collect();
        return Some(RequestBody { required, content, pointer: param_pointer });
    }
    if form_params.is_empty() {
        return None;
    }

    // Form parameters become one object schema whose properties refer to the parameter
    // objects, which hold each field's type.
    let mut properties = Map::new();
    let mut required = Vec::new();
    for (name, is_required, _, param_pointer) in form_params {
        let reference = format!("#{}", param_pointer.replace('%', "%25"));
        properties.insert(name.clone(), json!({"$ref": reference}));
        if *is_required {
            required.push(Value::String(name.clone()));
        }
    }
    let any_required = !required.is_empty();
    let schema = json!({"type": "object", "properties": properties, "required": required});
    let has_file = form_params.iter().any(|(_, _, file, _)| *file);
    let fallback = if has_file { "multipart/form-data" } else { "application/x-www-form-urlencoded" };
    let mut types: Vec<String> = swagger_media_types(root, operation, "consumes", fallback)
        .into_iter()
        .filter(|t| t == "application/x-www-form-urlencoded" || t == "multipart/form-data")
        .collect();
    if types.is_empty() {
        types.push(fallback.to_string());
    }
    let list_pointer = form_params[0].3.rsplit_once('/').map_or(String::new(), |(list, _)| list.to_string());
    let content = types
        .into_iter()
        .map(|content_type| MediaSchema {
            content_type,
            schema: Some(SchemaRef::built(list_pointer.clone(), schema.clone())),
            pointer: list_pointer.clone(),
        })
        .collect();
    Some(RequestBody { required: any_required, content, pointer: list_pointer })
}

/// True for `200`, `2XX` (any case) and `default`.
fn is_status_key(key: &str) -> bool {
    if key == "default" {
        return true;
    }
    let bytes = key.as_bytes();
    if bytes.len() != 3 || !(b'1'..=b'5').contains(&bytes[0]) {
        return false;
    }
    let digits = bytes[1].is_ascii_digit() && bytes[2].is_ascii_digit();
    let range = bytes[1].eq_ignore_ascii_case(&b'x') && bytes[2].eq_ignore_ascii_case(&b'x');
    digits || range
}

fn read_responses(
    document: &Document,
    operation: &Map<String, Value>,
    op_pointer: &str,
) -> Result<Vec<ResponseSpec>, ImportError> {
    let at = pointer::join(op_pointer, "responses");
    let Some(responses) = operation.get("responses") else {
        return Ok(Vec::new());
    };
    let Some(map) = responses.as_object() else {
        return Err(ImportError::invalid(&at, "expected an object of responses"));
    };
    let mut out = Vec::with_capacity(map.len());
    for (status, response) in map {
        let response_pointer = pointer::join(&at, status);
        if status.starts_with("x-") {
            continue;
        }
        if !is_status_key(status) {
            return Err(ImportError::invalid(
                &response_pointer,
                format!(
                    "invalid response key {status:?}: expected a status code such as 200, a range such as 2XX, or default"
                ),
            ));
        }
        let (response, response_pointer) = document.resolve(response, &response_pointer)?;
        let Some(response_map) = response.as_object() else {
            return Err(ImportError::invalid(&response_pointer, "expected a response object"));
        };
        let content = match document.dialect() {
            Dialect::Swagger2 => match response_map.get("schema") {
                Some(_) => swagger_media_types(document.root(), operation, "produces", "application/json")
                    .into_iter()
                    .map(|content_type| MediaSchema {
                        content_type,
                        schema: Some(SchemaRef::at(pointer::join(&response_pointer, "schema"))),
                        pointer: response_pointer.clone(),
                    })
                    .collect(),
                None => Vec::new(),
            },
            _ => read_content(response_map.get("content"), &pointer::join(&response_pointer, "content"))?,
        };
        let headers =
            read_response_headers(document, response_map.get("headers"), &pointer::join(&response_pointer, "headers"))?;
        let status = if status == "default" { status.clone() } else { status.to_ascii_uppercase() };
        out.push(ResponseSpec { status, content, headers, pointer: response_pointer });
    }
    Ok(out)
}

fn read_response_headers(
    document: &Document,
    headers: Option<&Value>,
    at: &str,
) -> Result<Vec<Parameter>, ImportError> {
    let Some(map) = headers.and_then(Value::as_object) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(map.len());
    for (name, header) in map {
        let (header, header_pointer) = document.resolve(header, &pointer::join(at, name))?;
        let schema = match document.dialect() {
            Dialect::Swagger2 => Some(SchemaRef::at(header_pointer.clone())),
            _ => header.get("schema").map(|_| SchemaRef::at(pointer::join(&header_pointer, "schema"))),
        };
        out.push(Parameter {
            name: name.clone(),
            location: ParamLocation::Header,
            required: header.get("required").and_then(Value::as_bool).unwrap_or(false),
            deprecated: header.get("deprecated").and_then(Value::as_bool).unwrap_or(false),
            style: ParamStyle::Delimited(','),
            schema,
            pointer: header_pointer,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
