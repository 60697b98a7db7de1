//! JSON schemas from data fields: `items[].email` and its siblings become nested object
//! and array schemas with types, formats, `required` and `null`.

use std::collections::BTreeMap;

use palisade_core::{DataField, FieldType, StringFormat};
use serde_json::{Map, Value, json};

/// One step of a data field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    Key(String),
    /// An array item: `[]`.
    Item,
    /// Any key of a map keyed by identifiers: `{key}`.
    AnyKey,
}

/// Splits a field path as field learning writes it: `a.b`, `a[]`, `["x.y"]`, `{key}`.
/// The root is the empty path.
pub(crate) fn parse_path(path: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let bytes = path.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'.' => i += 1,
            b'[' if path[i..].starts_with("[]") => {
                steps.push(Step::Item);
                i += 2;
            }
            b'[' if path[i..].starts_with("[\"") => {
                let mut key = String::new();
                let mut j = i + 2;
                while j < bytes.len() {
                    if bytes[j] == b'\\' && j + 1 < bytes.len() && bytes[j + 1] == b'"' {
                        key.push('"');
                        j += 2;
                    } else if bytes[j] == b'"' && path[j..].starts_with("\"]") {
                        break;
                    } else {
                        let c = path[j..].chars().next().unwrap_or('\u{fffd}');
                        key.push(c);
                        j += c.len_utf8();
                    }
                }
                steps.push(Step::Key(key));
                i = (j + 2).min(bytes.len());
            }
            _ => {
                let end = path[i..].find(['.', '[']).map_or(path.len(), |offset| i + offset);
                let token = &path[i..end];
                if token == "{key}" {
                    steps.push(Step::AnyKey);
                } else {
                    steps.push(Step::Key(token.to_string()));
                }
                i = end.max(i + 1);
            }
        }
    }
    steps
}

/// Observations at one place of a body, and the places below it.
#[derive(Debug, Default)]
pub(crate) struct Node {
    /// Traces per type seen here.
    types: BTreeMap<FieldType, u64>,
    format: Option<StringFormat>,
    /// True when `null` was seen here as well as another type.
    nullable: bool,
    properties: BTreeMap<String, Node>,
    any_key: Option<Box<Node>>,
    item: Option<Box<Node>>,
    /// Values from samples that decide `enum`, filled by the caller.
    pub(crate) enum_values: Option<Vec<Value>>,
}

impl Node {
    /// Builds the tree of one body from its fields.
    pub(crate) fn from_fields<'a>(fields: impl IntoIterator<Item = &'a DataField>) -> Node {
        let mut root = Node::default();
        for field in fields {
            let node = root.walk_mut(&parse_path(&field.path));
            *node.types.entry(field.field_type).or_default() += field.count;
            if field.format.is_some() {
                node.format = field.format;
            }
            node.nullable |= field.nullable;
        }
        root
    }

    fn walk_mut(&mut self, steps: &[Step]) -> &mut Node {
        let mut node = self;
        for step in steps {
            node = match step {
                Step::Key(key) => node.properties.entry(key.clone()).or_default(),
                Step::Item => node.item.get_or_insert_with(Box::default),
                Step::AnyKey => node.any_key.get_or_insert_with(Box::default),
            };
        }
        node
    }

    /// The node at `steps`, if fields reached it.
    pub(crate) fn find_mut(&mut self, steps: &[Step]) -> Option<&mut Node> {
        let mut node = self;
        for step in steps {
            node = match step {
                Step::Key(key) => node.properties.get_mut(key)?,
                Step::Item => node.item.as_deref_mut()?,
                Step::AnyKey => node.any_key.as_deref_mut()?,
            };
        }
        Some(node)
    }

    /// Traces in which this place held any value.
    pub(crate) fn total(&self) -> u64 {
        self.types.values().sum()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.types.is_empty() && self.properties.is_empty() && self.item.is_none() && self.any_key.is_none()
    }

    /// The single scalar type of this place, if it has one.
    pub(crate) fn scalar_type(&self) -> Option<FieldType> {
        let mut non_null = self.types.keys().filter(|t| **t != FieldType::Null);
        let first = *non_null.next()?;
        let scalar = !matches!(first, FieldType::Object | FieldType::Array);
        (non_null.next().is_none() && scalar).then_some(first)
    }

    /// The JSON schema of this place. A property is required when it was seen in as many
    /// traces as its object; for array items this is an estimate, because counts are per
    /// trace and not per item.
    pub(crate) fn schema(&self) -> Value {
        let mut schema = Map::new();
        let mut names: Vec<&str> = Vec::new();
        let has = |t: FieldType| self.types.contains_key(&t);
        if has(FieldType::String) {
            names.push("string");
        }
        if has(FieldType::Number) {
            names.push("number");
        } else if has(FieldType::Integer) {
            names.push("integer");
        }
        if has(FieldType::Boolean) {
            names.push("boolean");
        }
        if has(FieldType::Object) || (self.types.is_empty() && (!self.properties.is_empty() || self.any_key.is_some()))
        {
            names.push("object");
        }
        if has(FieldType::Array) || (self.types.is_empty() && self.item.is_some()) {
            names.push("array");
        }
        if has(FieldType::Null) || self.nullable {
            names.push("null");
        }
        names.sort_unstable();
        match names.as_slice() {
            [] => {}
            [one] => {
                schema.insert("type".into(), json!(one));
            }
            many => {
                schema.insert("type".into(), json!(many));
            }
        }

        if let Some(format) = self.format.filter(|_| has(FieldType::String)) {
            schema.insert("format".into(), json!(format.as_str()));
        }
        if let Some(values) = &self.enum_values {
            schema.insert("enum".into(), Value::Array(values.clone()));
        }

        if names.contains(&"object") {
            let object_count = self.types.get(&FieldType::Object).copied().unwrap_or(0);
            let mut properties = Map::new();
            let mut required = Vec::new();
            for (name, child) in &self.properties {
                properties.insert(name.clone(), child.schema());
                if object_count > 0 && child.total() >= object_count {
                    required.push(Value::String(name.clone()));
                }
            }
            if !properties.is_empty() {
                schema.insert("properties".into(), Value::Object(properties));
            }
            if !required.is_empty() {
                schema.insert("required".into(), Value::Array(required));
            }
            if let Some(any_key) = &self.any_key {
                schema.insert("additionalProperties".into(), any_key.schema());
            }
        }
        if names.contains(&"array")
            && let Some(item) = &self.item
        {
            schema.insert("items".into(), item.schema());
        }
        Value::Object(schema)
    }
}

/// Collects scalar values by field path from a JSON document, in the path syntax of
/// [`parse_path`], for `enum` inference.
pub(crate) fn collect_values(
    value: &Value,
    path: &mut Vec<Step>,
    out: &mut BTreeMap<String, Vec<Value>>,
    depth: usize,
) {
    const MAX_DEPTH: usize = 32;
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                path.push(Step::Key(key.clone()));
                collect_values(child, path, out, depth + 1);
                path.pop();
            }
        }
        Value::Array(items) => {
            path.push(Step::Item);
            for item in items {
                collect_values(item, path, out, depth + 1);
            }
            path.pop();
        }
        Value::String(_) => out.entry(write_path(path)).or_default().push(value.clone()),
        _ => {}
    }
}

/// Writes steps back as a field path.
pub(crate) fn write_path(steps: &[Step]) -> String {
    let mut out = String::new();
    for step in steps {
        match step {
            Step::Item => out.push_str("[]"),
            Step::AnyKey => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str("{key}");
            }
            Step::Key(key) if key.is_empty() || key.contains(['.', '[', ']', '"']) => {
                out.push_str("[\"");
                out.push_str(&key.replace('"', "\\\""));
                out.push_str("\"]");
            }
            Step::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::Section;

    fn field(path: &str, field_type: FieldType, count: u64) -> DataField {
        DataField {
            section: Section::ResponseBody,
            path: path.into(),
            status: Some(200),
            content_type: "application/json".into(),
            field_type,
            format: None,
            nullable: false,
            count,
            first_seen_ms: 0,
            last_seen_ms: 0,
        }
    }

    #[test]
    fn parse_path_forms() {
        let cases: [(&str, Vec<Step>); 5] = [
            ("", vec![]),
            ("items[].email", vec![Step::Key("items".into()), Step::Item, Step::Key("email".into())]),
            ("[][]", vec![Step::Item, Step::Item]),
            ("a[\"x.y\"].b", vec![Step::Key("a".into()), Step::Key("x.y".into()), Step::Key("b".into())]),
            ("byId.{key}.name", vec![Step::Key("byId".into()), Step::AnyKey, Step::Key("name".into())]),
        ];
        for (path, expected) in cases {
            assert_eq!(parse_path(path), expected, "{path}");
            assert_eq!(write_path(&expected), path, "{path}");
        }
    }

    #[test]
    fn nested_schema_with_required_and_null() {
        let mut email = field("items[].email", FieldType::String, 10);
        email.format = Some(StringFormat::Email);
        let mut nickname = field("items[].nickname", FieldType::String, 4);
        nickname.nullable = true;
        let fields = vec![
            field("", FieldType::Object, 10),
            field("items", FieldType::Array, 10),
            field("items[]", FieldType::Object, 10),
            email,
            nickname,
            field("total", FieldType::Integer, 10),
            field("total", FieldType::Number, 2),
        ];
        let schema = Node::from_fields(&fields).schema();
        assert_eq!(
            schema,
            json!({
                "type": "object",
                "required": ["items", "total"],
                "properties": {
                    "items": {"type": "array", "items": {
                        "type": "object",
                        "required": ["email"],
                        "properties": {
                            "email": {"type": "string", "format": "email"},
                            "nickname": {"type": ["null", "string"]}
                        }
                    }},
                    "total": {"type": "number"}
                }
            })
        );
    }

    #[test]
    fn identifier_keys_become_additional_properties() {
        let fields = vec![
            field("", FieldType::Object, 3),
            field("{key}", FieldType::Object, 3),
            field("{key}.name", FieldType::String, 3),
        ];
        let schema = Node::from_fields(&fields).schema();
        assert_eq!(
            schema["additionalProperties"],
            json!({"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}})
        );
    }
}
