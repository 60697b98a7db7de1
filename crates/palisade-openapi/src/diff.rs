//! Changes between two descriptions, each marked breaking or not.
//!
//! A change is breaking when a client written against the old description can fail
//! against the new one: a request the old description allowed is now rejected (an
//! operation or media type removed, a new required parameter or property, a narrowed
//! type, a removed enum value, a tighter bound), or a response carries something the
//! old description promised it would not (a removed or now optional property, a widened
//! type, a removed status or media type). Additions that clients may ignore, removed
//! parameters (servers ignore unknown parameters unless told otherwise) and newly
//! deprecated operations are listed as non-breaking.
//!
//! Operations are paired by method and path with parameter names ignored, so renaming
//! `{id}` to `{userId}` is no change.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::document::{Dialect, Document};
use crate::model::{ApiSpec, MediaSchema, Operation, ParamLocation, Parameter, SchemaRef};
use crate::pointer;

/// Deepest schema nesting compared.
const MAX_SCHEMA_DEPTH: usize = 32;

/// One difference between two descriptions.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Change {
    /// True when clients of the old description can fail.
    pub breaking: bool,
    /// Stable kind such as `operation-removed` or `response-property-removed`.
    pub id: &'static str,
    /// `GET /users/{id}`, as the new description writes it when it has the operation.
    pub operation: String,
    /// Place in the operation: `request.query limit`, `response 200 application/json email`.
    pub location: String,
    pub message: String,
    /// Pointer of the changed place: in the new description, or in the old one for
    /// removals.
    pub pointer: String,
}

/// Every change, breaking ones first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DiffReport {
    pub changes: Vec<Change>,
}

impl DiffReport {
    pub fn breaking(&self) -> usize {
        self.changes.iter().filter(|c| c.breaking).count()
    }

    /// Plain text, one change per line, then a count.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for change in &self.changes {
            let label = if change.breaking { "BREAKING" } else { "ok      " };
            let location = if change.location.is_empty() { String::new() } else { format!(" [{}]", change.location) };
            out.push_str(&format!("{label}  {}  {}{location}: {}\n", change.id, change.operation, change.message));
        }
        let breaking = self.breaking();
        out.push_str(&format!("{breaking} breaking, {} non-breaking changes\n", self.changes.len() - breaking));
        out
    }
}

/// Compares two descriptions.
pub fn diff(old: &ApiSpec, new: &ApiSpec) -> DiffReport {
    let old_ops = operations_by_key(old);
    let new_ops = operations_by_key(new);
    let mut changes = Vec::new();

    for (key, old_op) in &old_ops {
        match new_ops.get(key) {
            None => changes.push(Change {
                breaking: true,
                id: "operation-removed",
                operation: old_op.label(),
                location: String::new(),
                message: "operation was removed".into(),
                pointer: old_op.pointer.clone(),
            }),
            Some(new_op) => {
                let mut differ = Differ {
                    old: old.document(),
                    new: new.document(),
                    operation: new_op.label(),
                    changes: &mut changes,
                };
                differ.operation(old_op, new_op);
            }
        }
    }
    for (key, new_op) in &new_ops {
        if !old_ops.contains_key(key) {
            changes.push(Change {
                breaking: false,
                id: "operation-added",
                operation: new_op.label(),
                location: String::new(),
                message: "operation was added".into(),
                pointer: new_op.pointer.clone(),
            });
        }
    }
    // Breaking first, then by operation, kind and location in ascending order.
    changes.sort_by(|a, b| {
        b.breaking
            .cmp(&a.breaking)
            .then_with(|| (&a.operation, a.id, &a.location).cmp(&(&b.operation, b.id, &b.location)))
    });
    DiffReport { changes }
}

/// `GET /users/{}`: method and path with parameter names and `#...` suffixes removed.
fn operation_key(operation: &Operation) -> String {
    let end = operation.path_template.find(['#', '?']).unwrap_or(operation.path_template.len());
    let mut path = String::new();
    let mut inside = false;
    for c in operation.path_template[..end].chars() {
        match c {
            '{' => {
                inside = true;
                path.push_str("{}");
            }
            '}' => inside = false,
            _ if inside => {}
            _ => path.push(c),
        }
    }
    format!("{} {}", operation.method, path.trim_end_matches('/'))
}

fn operations_by_key(spec: &ApiSpec) -> BTreeMap<String, &Operation> {
    let mut map = BTreeMap::new();
    for operation in &spec.operations {
        map.entry(operation_key(operation)).or_insert(operation);
    }
    map
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Request,
    Response,
}

struct Differ<'a> {
    old: &'a Document,
    new: &'a Document,
    operation: String,
    changes: &'a mut Vec<Change>,
}

impl Differ<'_> {
    fn push(&mut self, breaking: bool, id: &'static str, location: &str, message: String, pointer: &str) {
        self.changes.push(Change {
            breaking,
            id,
            operation: self.operation.clone(),
            location: location.to_string(),
            message,
            pointer: pointer.to_string(),
        });
    }

    fn operation(&mut self, old: &Operation, new: &Operation) {
        if new.deprecated && !old.deprecated {
            self.push(false, "operation-deprecated", "", "operation is now deprecated".into(), &new.pointer);
        }
        self.parameters(old, new);
        self.request_body(old, new);
        self.responses(old, new);
    }

    fn parameters(&mut self, old_op: &Operation, new_op: &Operation) {
        // Path parameters pair by their place in the template, so a renamed `{id}` is
        // the same parameter; others by name, headers without case.
        let key = |operation: &Operation, p: &Parameter| {
            let name = match p.location {
                ParamLocation::Header => p.name.to_ascii_lowercase(),
                ParamLocation::Path => {
                    let names = crate::import::template_param_names(&operation.path_template);
                    names.iter().position(|n| *n == p.name).map_or(p.name.clone(), |i| format!("#{i}"))
                }
                _ => p.name.clone(),
            };
            (p.location, name)
        };
        let old_map: BTreeMap<_, &Parameter> = old_op.parameters.iter().map(|p| (key(old_op, p), p)).collect();
        let new_map: BTreeMap<_, &Parameter> = new_op.parameters.iter().map(|p| (key(new_op, p), p)).collect();

        for ((location, key_name), new_param) in &new_map {
            let name = &new_param.name;
            let place = format!("request.{} {name}", location.as_str());
            match old_map.get(&(*location, key_name.clone())) {
                None if new_param.required => self.push(
                    true,
                    "required-parameter-added",
                    &place,
                    format!("new required {} parameter {name:?}", location.as_str()),
                    &new_param.pointer,
                ),
                None => self.push(
                    false,
                    "optional-parameter-added",
                    &place,
                    format!("new optional {} parameter {name:?}", location.as_str()),
                    &new_param.pointer,
                ),
                Some(old_param) => {
                    if new_param.required && !old_param.required {
                        self.push(
                            true,
                            "parameter-became-required",
                            &place,
                            format!("parameter {name:?} is now required"),
                            &new_param.pointer,
                        );
                    } else if old_param.required && !new_param.required {
                        self.push(
                            false,
                            "parameter-became-optional",
                            &place,
                            format!("parameter {name:?} is now optional"),
                            &new_param.pointer,
                        );
                    }
                    self.schema_pair(old_param.schema.as_ref(), new_param.schema.as_ref(), Direction::Request, &place);
                }
            }
        }
        for ((location, key_name), old_param) in &old_map {
            if !new_map.contains_key(&(*location, key_name.clone())) {
                let name = &old_param.name;
                let place = format!("request.{} {name}", location.as_str());
                self.push(
                    false,
                    "parameter-removed",
                    &place,
                    format!("{} parameter {name:?} was removed", location.as_str()),
                    &old_param.pointer,
                );
            }
        }
    }

    fn request_body(&mut self, old: &Operation, new: &Operation) {
        match (&old.request_body, &new.request_body) {
            (None, Some(body)) => {
                let (breaking, id) =
                    if body.required { (true, "required-request-body-added") } else { (false, "request-body-added") };
                let kind = if body.required { "required" } else { "optional" };
                self.push(breaking, id, "request.body", format!("new {kind} request body"), &body.pointer);
            }
            (Some(body), None) => {
                self.push(
                    false,
                    "request-body-removed",
                    "request.body",
                    "request body was removed".into(),
                    &body.pointer,
                );
            }
            (Some(old_body), Some(new_body)) => {
                if new_body.required && !old_body.required {
                    self.push(
                        true,
                        "request-body-became-required",
                        "request.body",
                        "request body is now required".into(),
                        &new_body.pointer,
                    );
                }
                self.content(&old_body.content, &new_body.content, Direction::Request, "request.body");
            }
            (None, None) => {}
        }
    }

    fn responses(&mut self, old: &Operation, new: &Operation) {
        for old_response in &old.responses {
            let place = format!("response {}", old_response.status);
            match new.responses.iter().find(|r| r.status == old_response.status) {
                Some(new_response) => {
                    self.content(&old_response.content, &new_response.content, Direction::Response, &place)
                }
                None => self.push(
                    true,
                    "response-status-removed",
                    &place,
                    format!("response {} was removed", old_response.status),
                    &old_response.pointer,
                ),
            }
        }
        for new_response in &new.responses {
            if !old.responses.iter().any(|r| r.status == new_response.status) {
                let place = format!("response {}", new_response.status);
                self.push(
                    false,
                    "response-status-added",
                    &place,
                    format!("response {} was added", new_response.status),
                    &new_response.pointer,
                );
            }
        }
    }

    fn content(&mut self, old: &[MediaSchema], new: &[MediaSchema], direction: Direction, place: &str) {
        for old_media in old {
            let media_place = format!("{place} {}", old_media.content_type);
            match new.iter().find(|m| m.content_type == old_media.content_type) {
                Some(new_media) => {
                    self.schema_pair(old_media.schema.as_ref(), new_media.schema.as_ref(), direction, &media_place)
                }
                None => {
                    let id = if direction == Direction::Request {
                        "request-media-type-removed"
                    } else {
                        "response-media-type-removed"
                    };
                    self.push(
                        true,
                        id,
                        &media_place,
                        format!("media type {} was removed", old_media.content_type),
                        &old_media.pointer,
                    );
                }
            }
        }
        for new_media in new {
            if !old.iter().any(|m| m.content_type == new_media.content_type) {
                let id = if direction == Direction::Request {
                    "request-media-type-added"
                } else {
                    "response-media-type-added"
                };
                let media_place = format!("{place} {}", new_media.content_type);
                self.push(
                    false,
                    id,
                    &media_place,
                    format!("media type {} was added", new_media.content_type),
                    &new_media.pointer,
                );
            }
        }
    }

    fn schema_pair(&mut self, old: Option<&SchemaRef>, new: Option<&SchemaRef>, direction: Direction, place: &str) {
        let (Some(old), Some(new)) = (old, new) else {
            return;
        };
        let (Some(old_value), Some(new_value)) = (old.value(self.old), new.value(self.new)) else {
            return;
        };
        let mut visited = BTreeSet::new();
        self.schema(old_value, &old.pointer, new_value, &new.pointer, direction, place, "", &mut visited, 0);
    }

    #[allow(clippy::too_many_arguments)]
    fn schema(
        &mut self,
        old: &Value,
        old_at: &str,
        new: &Value,
        new_at: &str,
        direction: Direction,
        place: &str,
        field: &str,
        visited: &mut BTreeSet<(String, String)>,
        depth: usize,
    ) {
        if depth > MAX_SCHEMA_DEPTH {
            return;
        }
        let Ok((old, old_at)) = self.old.resolve(old, old_at) else {
            return;
        };
        let Ok((new, new_at)) = self.new.resolve(new, new_at) else {
            return;
        };
        // Recursive schemas: each pair of places is compared once.
        if !visited.insert((old_at.clone(), new_at.clone())) {
            return;
        }
        let old_view = SchemaView::of(self.old, old, &old_at);
        let new_view = SchemaView::of(self.new, new, &new_at);
        let location = if field.is_empty() { place.to_string() } else { format!("{place} {field}") };
        let request = direction == Direction::Request;

        if let (Some(old_types), Some(new_types)) = (&old_view.types, &new_view.types) {
            let lost: Vec<&String> = old_types.iter().filter(|t| !accepts(new_types, t)).collect();
            let gained: Vec<&String> = new_types.iter().filter(|t| !accepts(old_types, t)).collect();
            let describe = |types: &BTreeSet<String>| types.iter().cloned().collect::<Vec<_>>().join(" or ");
            let message = format!("type changed from {} to {}", describe(old_types), describe(new_types));
            if request && !lost.is_empty() {
                self.push(true, "request-type-narrowed", &location, message, &pointer::join(&new_at, "type"));
            } else if !request && !gained.is_empty() {
                self.push(true, "response-type-widened", &location, message, &pointer::join(&new_at, "type"));
            } else if !lost.is_empty() || !gained.is_empty() {
                let id = if request { "request-type-widened" } else { "response-type-narrowed" };
                self.push(false, id, &location, message, &pointer::join(&new_at, "type"));
            }
        }

        if let (Some(old_enum), Some(new_enum)) =
            (old.get("enum").and_then(Value::as_array), new.get("enum").and_then(Value::as_array))
        {
            let removed: Vec<String> =
                old_enum.iter().filter(|v| !new_enum.contains(v)).map(Value::to_string).collect();
            let added: Vec<String> = new_enum.iter().filter(|v| !old_enum.contains(v)).map(Value::to_string).collect();
            let enum_at = pointer::join(&new_at, "enum");
            if !removed.is_empty() {
                let id = if request { "request-enum-value-removed" } else { "response-enum-value-removed" };
                self.push(request, id, &location, format!("enum values removed: {}", removed.join(", ")), &enum_at);
            }
            if !added.is_empty() {
                let id = if request { "request-enum-value-added" } else { "response-enum-value-added" };
                self.push(false, id, &location, format!("enum values added: {}", added.join(", ")), &enum_at);
            }
        } else if request && new.get("enum").is_some() && old.get("enum").is_none() {
            self.push(
                true,
                "request-enum-added",
                &location,
                "values are now limited to an enum".into(),
                &pointer::join(&new_at, "enum"),
            );
        }

        if request {
            self.bounds(old, new, &new_at, &location);
        }

        // Properties, with allOf branches merged in.
        for (name, new_property) in &new_view.properties {
            let child = child_field(field, name);
            let child_location = format!("{place} {child}");
            match old_view.properties.get(name) {
                None => {
                    let required = new_view.required.contains(name);
                    let (breaking, id) = match (request, required) {
                        (true, true) => (true, "request-required-property-added"),
                        (true, false) => (false, "request-property-added"),
                        (false, _) => (false, "response-property-added"),
                    };
                    self.push(breaking, id, &child_location, format!("property {name:?} was added"), &new_property.1);
                }
                Some(old_property) => {
                    let was_required = old_view.required.contains(name);
                    let is_required = new_view.required.contains(name);
                    if request && is_required && !was_required {
                        self.push(
                            true,
                            "request-property-became-required",
                            &child_location,
                            format!("property {name:?} is now required"),
                            &new_property.1,
                        );
                    }
                    if !request && was_required && !is_required {
                        self.push(
                            true,
                            "response-property-became-optional",
                            &child_location,
                            format!("property {name:?} is no longer required"),
                            &new_property.1,
                        );
                    }
                    self.schema(
                        old_property.0,
                        &old_property.1,
                        new_property.0,
                        &new_property.1,
                        direction,
                        place,
                        &child,
                        visited,
                        depth + 1,
                    );
                }
            }
        }
        for (name, old_property) in &old_view.properties {
            if new_view.properties.contains_key(name) {
                continue;
            }
            let child_location = format!("{place} {}", child_field(field, name));
            if request {
                let closed = new_view.closed;
                let id = if closed { "request-property-removed-closed" } else { "request-property-removed" };
                self.push(closed, id, &child_location, format!("property {name:?} was removed"), &old_property.1);
            } else {
                self.push(
                    true,
                    "response-property-removed",
                    &child_location,
                    format!("property {name:?} was removed"),
                    &old_property.1,
                );
            }
        }

        if let (Some(old_items), Some(new_items)) = (old.get("items"), new.get("items")) {
            let child = format!("{field}[]");
            self.schema(
                old_items,
                &pointer::join(&old_at, "items"),
                new_items,
                &pointer::join(&new_at, "items"),
                direction,
                place,
                &child,
                visited,
                depth + 1,
            );
        }
    }

    /// Tighter string, number and array bounds in a request.
    fn bounds(&mut self, old: &Value, new: &Value, new_at: &str, location: &str) {
        let number = |schema: &Value, key: &str| schema.get(key).and_then(Value::as_f64);
        for (key, tighter_when_larger) in [
            ("minimum", true),
            ("minLength", true),
            ("minItems", true),
            ("maximum", false),
            ("maxLength", false),
            ("maxItems", false),
        ] {
            let tightened = match (number(old, key), number(new, key)) {
                (None, Some(_)) => true,
                (Some(before), Some(after)) => {
                    if tighter_when_larger {
                        after > before
                    } else {
                        after < before
                    }
                }
                _ => false,
            };
            if tightened {
                let before = old.get(key).map_or("none".to_string(), Value::to_string);
                let after = new.get(key).map_or("none".to_string(), Value::to_string);
                self.push(
                    true,
                    "request-bound-tightened",
                    location,
                    format!("{key} changed from {before} to {after}"),
                    &pointer::join(new_at, key),
                );
            }
        }
        if new.get("pattern").is_some() && old.get("pattern") != new.get("pattern") {
            self.push(
                true,
                "request-pattern-changed",
                location,
                "pattern was added or changed".into(),
                &pointer::join(new_at, "pattern"),
            );
        }
    }
}

fn child_field(field: &str, name: &str) -> String {
    if field.is_empty() { name.to_string() } else { format!("{field}.{name}") }
}

/// True when a type set accepts values of `type_name`: numbers accept integers.
fn accepts(types: &BTreeSet<String>, type_name: &str) -> bool {
    types.contains(type_name) || (type_name == "integer" && types.contains("number"))
}

/// Parts of a schema that the comparison reads, with `allOf` branches merged.
struct SchemaView<'a> {
    /// Types including `null`; `None` when the schema names none.
    types: Option<BTreeSet<String>>,
    /// Property name to schema and its pointer.
    properties: BTreeMap<String, (&'a Value, String)>,
    required: BTreeSet<String>,
    /// True when `additionalProperties: false`.
    closed: bool,
}

impl<'a> SchemaView<'a> {
    fn of(document: &'a Document, schema: &'a Value, at: &str) -> Self {
        let mut view =
            SchemaView { types: None, properties: BTreeMap::new(), required: BTreeSet::new(), closed: false };
        view.read(document, schema, at, 0);
        view
    }

    fn read(&mut self, document: &'a Document, schema: &'a Value, at: &str, depth: usize) {
        if depth > MAX_SCHEMA_DEPTH {
            return;
        }
        let Some(map) = schema.as_object() else {
            return;
        };
        if let Some(types) = type_set(document.dialect(), map) {
            self.types.get_or_insert_with(BTreeSet::new).extend(types);
        }
        if let Some(properties) = map.get("properties").and_then(Value::as_object) {
            let properties_at = pointer::join(at, "properties");
            for (name, property) in properties {
                let property_at = pointer::join(&properties_at, name);
                self.properties.entry(name.clone()).or_insert((property, property_at));
            }
        }
        if let Some(required) = map.get("required").and_then(Value::as_array) {
            self.required.extend(required.iter().filter_map(Value::as_str).map(String::from));
        }
        if map.get("additionalProperties") == Some(&Value::Bool(false)) {
            self.closed = true;
        }
        let all_of_at = pointer::join(at, "allOf");
        for (index, branch) in map.get("allOf").and_then(Value::as_array).into_iter().flatten().enumerate() {
            if let Ok((resolved, resolved_at)) = document.resolve(branch, &pointer::join_index(&all_of_at, index)) {
                self.read(document, resolved, &resolved_at, depth + 1);
            }
        }
    }
}

fn type_set(dialect: Dialect, map: &Map<String, Value>) -> Option<BTreeSet<String>> {
    let mut types: BTreeSet<String> = match map.get("type")? {
        Value::String(name) => [name.clone()].into(),
        Value::Array(names) => names.iter().filter_map(Value::as_str).map(String::from).collect(),
        _ => return None,
    };
    let nullable = match dialect {
        Dialect::OpenApi30 => map.get("nullable"),
        Dialect::Swagger2 => map.get("x-nullable"),
        Dialect::OpenApi31 => None,
    };
    if nullable.and_then(Value::as_bool) == Some(true) {
        types.insert("null".into());
    }
    Some(types)
}

#[cfg(test)]
mod tests;
