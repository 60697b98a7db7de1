//! A compact JSON Schema validator for the keywords OpenAPI descriptions use.
//!
//! Written here instead of using the `jsonschema` crate for three reasons. Violations must
//! name the absolute place of the failing keyword in the description, through `$ref`s
//! (`/components/schemas/User/properties/email/format`), which a compiled validator
//! reports relative to the schema it compiled. OpenAPI 3.0 and Swagger 2.0 read `nullable`,
//! `x-nullable` and boolean `exclusiveMinimum` differently from JSON Schema. And a large
//! description (GitHub's has thousands of schemas) would need every schema compiled up
//! front, while this validator walks the parsed document directly and needs no setup.
//!
//! Keywords checked: `$ref`, `type` (one or a list), `nullable`, `enum`, `const`,
//! `properties`, `required`, `additionalProperties`, `patternProperties`,
//! `minProperties`, `maxProperties`, `items`, `minItems`, `maxItems`, `uniqueItems`,
//! `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`, `multipleOf`,
//! `minLength`, `maxLength`, `pattern`, `format` (see [`format`]), `allOf`, `anyOf`,
//! `oneOf`, `not` and `discriminator`. `oneOf` passes when at least one branch matches,
//! as `anyOf` does: real descriptions often list branches that overlap, and reporting
//! every value that fits two of them would be noise.

pub(crate) mod format;

use serde_json::{Map, Value};

use crate::document::{Dialect, Document};
use crate::model::SchemaRef;
use crate::pointer;

/// One place where a value breaks its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaViolation {
    /// Pointer of the keyword that failed, in the description.
    pub schema_pointer: String,
    /// Place in the value, as data fields write it (`items[].email`), empty for the root.
    pub instance_path: String,
    /// The keyword, such as `type` or `required`.
    pub keyword: &'static str,
    pub message: String,
}

/// Validates `value` against `schema` and returns at most `max_violations` violations.
pub fn validate_value(
    document: &Document,
    schema: &SchemaRef,
    value: &Value,
    max_violations: usize,
) -> Vec<SchemaViolation> {
    let Some(schema_value) = schema.value(document) else {
        return Vec::new();
    };
    let mut validator = Validator::new(document, max_violations);
    let root = Location::Root(&schema.pointer);
    validator.check(schema_value, &root, value, &Path::Root, 0, 0);
    validator.violations
}

/// True when `value` is valid against `schema`; stops at the first violation.
pub fn is_valid(document: &Document, schema: &SchemaRef, value: &Value) -> bool {
    let Some(schema_value) = schema.value(document) else {
        return true;
    };
    let mut validator = Validator::new(document, 0);
    validator.collect = false;
    validator.check(schema_value, &Location::Root(&schema.pointer), value, &Path::Root, 0, 0)
}

/// A schema location, built as a chain of borrowed tokens and written out as a pointer
/// only when a violation is reported.
enum Location<'a> {
    /// An absolute pointer.
    Root(&'a str),
    /// The target of a `$ref`, as written (`#/components/schemas/User`).
    Ref(&'a str),
    Key(&'a Location<'a>, &'a str),
    Index(&'a Location<'a>, usize),
}

impl Location<'_> {
    fn render(&self) -> String {
        match self {
            Location::Root(pointer) => pointer.to_string(),
            Location::Ref(reference) => pointer::from_local_ref(reference).unwrap_or_default(),
            Location::Key(parent, key) => pointer::join(&parent.render(), key),
            Location::Index(parent, index) => pointer::join_index(&parent.render(), *index),
        }
    }
}

/// A place in the validated value.
enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Item(&'a Path<'a>),
}

impl Path<'_> {
    fn render(&self) -> String {
        match self {
            Path::Root => String::new(),
            Path::Key(parent, key) => {
                let mut out = parent.render();
                if key.is_empty() || key.contains(['.', '[', ']', '"']) {
                    out.push_str("[\"");
                    out.push_str(&key.replace('"', "\\\""));
                    out.push_str("\"]");
                } else {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                }
                out
            }
            Path::Item(parent) => parent.render() + "[]",
        }
    }
}

struct Validator<'d> {
    document: &'d Document,
    dialect: Dialect,
    max_ref_depth: usize,
    max_value_depth: usize,
    max_violations: usize,
    /// False while trying branches of `anyOf` and `oneOf`: only the outcome matters.
    collect: bool,
    violations: Vec<SchemaViolation>,
}

impl<'d> Validator<'d> {
    fn new(document: &'d Document, max_violations: usize) -> Self {
        let settings = document.settings();
        Self {
            document,
            dialect: document.dialect(),
            max_ref_depth: settings.max_ref_depth,
            max_value_depth: settings.max_value_depth,
            max_violations,
            collect: true,
            violations: Vec::new(),
        }
    }

    fn report(&mut self, at: &Location<'_>, keyword: &'static str, path: &Path<'_>, message: String) {
        if !self.collect || self.violations.len() >= self.max_violations {
            return;
        }
        self.violations.push(SchemaViolation {
            schema_pointer: pointer::join(&at.render(), keyword),
            instance_path: path.render(),
            keyword,
            message,
        });
    }

    /// Checks `value` against `schema`. `depth` counts levels descended into the value;
    /// `hops` counts schemas applied to this same value, which bounds `$ref` and
    /// combinator recursion that never descends.
    fn check(
        &mut self,
        schema: &'d Value,
        at: &Location<'_>,
        value: &Value,
        path: &Path<'_>,
        depth: usize,
        hops: usize,
    ) -> bool {
        let map = match schema {
            Value::Object(map) => map,
            Value::Bool(false) => {
                self.report(at, "false", path, "no value is allowed here".into());
                return false;
            }
            _ => return true,
        };
        // NOTE: past these bounds the value is accepted unchecked rather than reported.
        if hops > self.max_ref_depth || depth > self.max_value_depth {
            return true;
        }

        let mut valid = true;
        if let Some(Value::String(reference)) = map.get("$ref") {
            let target = pointer::from_local_ref(reference).and_then(|p| self.document.get(&p));
            if let Some(target) = target {
                valid &= self.check(target, &Location::Ref(reference), value, path, depth, hops + 1);
            }
            if self.dialect != Dialect::OpenApi31 || !valid && !self.collect {
                return valid;
            }
        }

        if value.is_null() && self.null_allowed(map) {
            return valid;
        }
        if let Some(types) = map.get("type")
            && !type_matches(types, value)
        {
            let expected = type_names(types);
            self.report(at, "type", path, format!("expected {expected}, found {}", json_type(value)));
            return false;
        }
        if let Some(Value::Array(allowed)) = map.get("enum")
            && !allowed.iter().any(|candidate| json_equal(candidate, value))
        {
            self.report(
                at,
                "enum",
                path,
                format!("value {} is not one of the {} allowed values", short(value), allowed.len()),
            );
            valid = false;
        }
        if let Some(constant) = map.get("const")
            && !json_equal(constant, value)
        {
            self.report(at, "const", path, format!("value {} is not {}", short(value), short(constant)));
            valid = false;
        }
        if !valid && !self.collect {
            return false;
        }

        valid &= match value {
            Value::String(text) => self.check_string(map, at, text, path),
            Value::Number(_) => self.check_number(map, at, value, path),
            Value::Object(object) => self.check_object(map, at, object, path, depth),
            Value::Array(items) => self.check_array(map, at, items, path, depth),
            _ => true,
        };
        if !valid && !self.collect {
            return false;
        }
        valid & self.check_combinators(map, at, value, path, depth, hops)
    }

    /// True when `null` passes through `nullable` (3.0), `x-nullable` (2.0) or a `type`
    /// list with `"null"`; a schema without `type` or `enum` allows it too.
    fn null_allowed(&self, map: &Map<String, Value>) -> bool {
        let flag = match self.dialect {
            Dialect::OpenApi30 => map.get("nullable"),
            Dialect::Swagger2 => map.get("x-nullable"),
            Dialect::OpenApi31 => None,
        };
        if flag.and_then(Value::as_bool) == Some(true) {
            return true;
        }
        match map.get("type") {
            Some(Value::String(name)) => name == "null",
            Some(Value::Array(names)) => names.iter().any(|n| n == "null"),
            _ => match map.get("enum") {
                Some(Value::Array(allowed)) => allowed.iter().any(Value::is_null),
                _ => false,
            },
        }
    }

    fn check_string(&mut self, map: &Map<String, Value>, at: &Location<'_>, text: &str, path: &Path<'_>) -> bool {
        let mut valid = true;
        let min = map.get("minLength").and_then(Value::as_u64);
        let max = map.get("maxLength").and_then(Value::as_u64);
        if min.is_some() || max.is_some() {
            let length = text.chars().count() as u64;
            if let Some(min) = min.filter(|min| length < *min) {
                self.report(at, "minLength", path, format!("string of {length} characters is shorter than {min}"));
                valid = false;
            }
            if let Some(max) = max.filter(|max| length > *max) {
                self.report(at, "maxLength", path, format!("string of {length} characters is longer than {max}"));
                valid = false;
            }
        }
        if let Some(Value::String(pattern)) = map.get("pattern")
            && let Some(regex) = self.document.pattern(pattern)
            && !regex.is_match(text)
        {
            self.report(at, "pattern", path, format!("string does not match the pattern {pattern:?}"));
            valid = false;
        }
        if let Some(Value::String(name)) = map.get("format")
            && !format::check(name, text)
        {
            self.report(at, "format", path, format!("string is not a valid {name}"));
            valid = false;
        }
        valid
    }

    fn check_number(&mut self, map: &Map<String, Value>, at: &Location<'_>, value: &Value, path: &Path<'_>) -> bool {
        let Some(number) = value.as_f64() else {
            return true;
        };
        let mut valid = true;
        let legacy_exclusive = self.dialect != Dialect::OpenApi31;
        let bound = |key: &str| map.get(key).and_then(Value::as_f64);
        let flag = |key: &str| map.get(key).and_then(Value::as_bool).unwrap_or(false);

        if let Some(minimum) = bound("minimum") {
            let exclusive = legacy_exclusive && flag("exclusiveMinimum");
            if number < minimum || (exclusive && number == minimum) {
                let relation = if exclusive { "greater than" } else { "at least" };
                self.report(at, "minimum", path, format!("{number} is not {relation} {minimum}"));
                valid = false;
            }
        }
        if let Some(maximum) = bound("maximum") {
            let exclusive = legacy_exclusive && flag("exclusiveMaximum");
            if number > maximum || (exclusive && number == maximum) {
                let relation = if exclusive { "less than" } else { "at most" };
                self.report(at, "maximum", path, format!("{number} is not {relation} {maximum}"));
                valid = false;
            }
        }
        if !legacy_exclusive {
            if let Some(limit) = bound("exclusiveMinimum").filter(|limit| number <= *limit) {
                self.report(at, "exclusiveMinimum", path, format!("{number} is not greater than {limit}"));
                valid = false;
            }
            if let Some(limit) = bound("exclusiveMaximum").filter(|limit| number >= *limit) {
                self.report(at, "exclusiveMaximum", path, format!("{number} is not less than {limit}"));
                valid = false;
            }
        }
        if let Some(divisor) = bound("multipleOf").filter(|d| *d > 0.0) {
            let quotient = number / divisor;
            if (quotient - quotient.round()).abs() > 1e-9 {
                self.report(at, "multipleOf", path, format!("{number} is not a multiple of {divisor}"));
                valid = false;
            }
        }
        valid
    }

    fn check_object(
        &mut self,
        map: &'d Map<String, Value>,
        at: &Location<'_>,
        object: &Map<String, Value>,
        path: &Path<'_>,
        depth: usize,
    ) -> bool {
        let mut valid = true;
        if let Some(Value::Array(required)) = map.get("required") {
            for name in required.iter().filter_map(Value::as_str) {
                if !object.contains_key(name) {
                    let field = Path::Key(path, name);
                    self.report(at, "required", &field, format!("required property {name:?} is missing"));
                    valid = false;
                    if !self.collect {
                        return false;
                    }
                }
            }
        }
        let count = object.len() as u64;
        if let Some(min) = map.get("minProperties").and_then(Value::as_u64).filter(|min| count < *min) {
            self.report(at, "minProperties", path, format!("object has {count} properties, fewer than {min}"));
            valid = false;
        }
        if let Some(max) = map.get("maxProperties").and_then(Value::as_u64).filter(|max| count > *max) {
            self.report(at, "maxProperties", path, format!("object has {count} properties, more than {max}"));
            valid = false;
        }

        let properties = map.get("properties").and_then(Value::as_object);
        let pattern_properties = map.get("patternProperties").and_then(Value::as_object);
        let additional = map.get("additionalProperties");
        let properties_at = Location::Key(at, "properties");
        let patterns_at = Location::Key(at, "patternProperties");
        let additional_at = Location::Key(at, "additionalProperties");
        for (key, child) in object {
            let child_path = Path::Key(path, key);
            let mut matched = false;
            if let Some(schema) = properties.and_then(|p| p.get(key)) {
                matched = true;
                valid &= self.check(schema, &Location::Key(&properties_at, key), child, &child_path, depth + 1, 0);
            }
            for (pattern, schema) in pattern_properties.into_iter().flatten() {
                if self.document.pattern(pattern).is_some_and(|regex| regex.is_match(key)) {
                    matched = true;
                    valid &=
                        self.check(schema, &Location::Key(&patterns_at, pattern), child, &child_path, depth + 1, 0);
                }
            }
            if matched {
                continue;
            }
            match additional {
                Some(Value::Bool(false)) => {
                    self.report(at, "additionalProperties", &child_path, format!("property {key:?} is not allowed"));
                    valid = false;
                }
                Some(schema @ Value::Object(_)) => {
                    valid &= self.check(schema, &additional_at, child, &child_path, depth + 1, 0);
                }
                _ => {}
            }
            if !valid && !self.collect {
                return false;
            }
        }
        valid
    }

    fn check_array(
        &mut self,
        map: &'d Map<String, Value>,
        at: &Location<'_>,
        items: &[Value],
        path: &Path<'_>,
        depth: usize,
    ) -> bool {
        let mut valid = true;
        let count = items.len() as u64;
        if let Some(min) = map.get("minItems").and_then(Value::as_u64).filter(|min| count < *min) {
            self.report(at, "minItems", path, format!("array has {}, fewer than {min}", items_text(count)));
            valid = false;
        }
        if let Some(max) = map.get("maxItems").and_then(Value::as_u64).filter(|max| count > *max) {
            self.report(at, "maxItems", path, format!("array has {}, more than {max}", items_text(count)));
            valid = false;
        }
        // Checked pairwise, so only for short arrays.
        const MAX_UNIQUE_CHECK: usize = 256;
        if map.get("uniqueItems").and_then(Value::as_bool) == Some(true) && items.len() <= MAX_UNIQUE_CHECK {
            let duplicate = items.iter().enumerate().any(|(i, a)| items[i + 1..].iter().any(|b| json_equal(a, b)));
            if duplicate {
                self.report(at, "uniqueItems", path, "array items are not unique".into());
                valid = false;
            }
        }
        if let Some(schema) = map.get("items").filter(|s| s.is_object() || s.is_boolean()) {
            let items_at = Location::Key(at, "items");
            let item_path = Path::Item(path);
            for item in items {
                valid &= self.check(schema, &items_at, item, &item_path, depth + 1, 0);
                if !valid && !self.collect {
                    return false;
                }
            }
        }
        valid
    }

    fn check_combinators(
        &mut self,
        map: &'d Map<String, Value>,
        at: &Location<'_>,
        value: &Value,
        path: &Path<'_>,
        depth: usize,
        hops: usize,
    ) -> bool {
        let mut valid = true;
        if let Some(Value::Array(schemas)) = map.get("allOf") {
            let all_at = Location::Key(at, "allOf");
            for (index, schema) in schemas.iter().enumerate() {
                valid &= self.check(schema, &Location::Index(&all_at, index), value, path, depth, hops + 1);
                if !valid && !self.collect {
                    return false;
                }
            }
        }
        for keyword in ["anyOf", "oneOf"] {
            let Some(Value::Array(schemas)) = map.get(keyword) else {
                continue;
            };
            let keyword: &'static str = if keyword == "anyOf" { "anyOf" } else { "oneOf" };
            valid &= self.check_alternatives(map, keyword, schemas, at, value, path, depth, hops);
            if !valid && !self.collect {
                return false;
            }
        }
        if let Some(schema) = map.get("not") {
            let was_collecting = std::mem::replace(&mut self.collect, false);
            let matched = self.check(schema, &Location::Key(at, "not"), value, path, depth, hops + 1);
            self.collect = was_collecting;
            if matched {
                self.report(at, "not", path, "value matches the schema under `not`".into());
                valid = false;
            }
        }
        valid
    }

    /// `anyOf` and `oneOf`: a `discriminator` picks the branch when the value names one;
    /// otherwise at least one branch must match.
    #[allow(clippy::too_many_arguments)]
    fn check_alternatives(
        &mut self,
        map: &'d Map<String, Value>,
        keyword: &'static str,
        schemas: &'d [Value],
        at: &Location<'_>,
        value: &Value,
        path: &Path<'_>,
        depth: usize,
        hops: usize,
    ) -> bool {
        let list_at = Location::Key(at, keyword);
        if let Some(index) = discriminated_branch(map, schemas, value) {
            return self.check(&schemas[index], &Location::Index(&list_at, index), value, path, depth, hops + 1);
        }
        let was_collecting = std::mem::replace(&mut self.collect, false);
        let matched = schemas
            .iter()
            .enumerate()
            .any(|(index, schema)| self.check(schema, &Location::Index(&list_at, index), value, path, depth, hops + 1));
        self.collect = was_collecting;
        if !matched {
            self.report(at, keyword, path, format!("value matches none of the {} schemas in {keyword}", schemas.len()));
        }
        matched
    }
}

/// The branch a `discriminator` selects: the `mapping` entry for the value's property, or
/// the branch whose `$ref` ends with `/<value>`.
fn discriminated_branch(map: &Map<String, Value>, schemas: &[Value], value: &Value) -> Option<usize> {
    let discriminator = map.get("discriminator")?;
    let property = discriminator.get("propertyName")?.as_str()?;
    let name = value.get(property)?.as_str()?;
    let mapped = discriminator.get("mapping").and_then(|m| m.get(name)).and_then(Value::as_str);
    schemas.iter().position(|schema| {
        let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
            return false;
        };
        match mapped {
            Some(target) => reference == target,
            None => reference.rsplit('/').next() == Some(name),
        }
    })
}

fn type_matches(types: &Value, value: &Value) -> bool {
    match types {
        Value::String(name) => one_type_matches(name, value),
        Value::Array(names) => names.iter().filter_map(Value::as_str).any(|name| one_type_matches(name, value)),
        _ => true,
    }
}

fn one_type_matches(name: &str, value: &Value) -> bool {
    match name {
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => is_integer(value),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "null" => value.is_null(),
        // Swagger 2.0's `file` is a form upload, not a JSON value.
        "file" => true,
        _ => true,
    }
}

/// JSON Schema counts `1.0` as an integer.
fn is_integer(value: &Value) -> bool {
    match value {
        Value::Number(number) => {
            number.is_i64() || number.is_u64() || number.as_f64().is_some_and(|f| f.is_finite() && f.fract() == 0.0)
        }
        _ => false,
    }
}

fn type_names(types: &Value) -> String {
    match types {
        Value::String(name) => name.clone(),
        Value::Array(names) => names.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" or "),
        other => other.to_string(),
    }
}

/// Returns the JSON type of a value, with integers distinguished from other numbers.
pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) if is_integer(value) => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Equality as JSON Schema defines it: numbers compare by value, so `1` equals `1.0`.
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_equal(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(key, a)| y.get(key).is_some_and(|b| json_equal(a, b)))
        }
        _ => a == b,
    }
}

/// A value as short text for a message: strings and numbers as JSON, up to 40
/// characters; containers by type.
fn short(value: &Value) -> String {
    const MAX_CHARS: usize = 40;
    match value {
        Value::Object(_) | Value::Array(_) => format!("of type {}", json_type(value)),
        _ => {
            let text = value.to_string();
            if text.chars().count() <= MAX_CHARS {
                text
            } else {
                text.chars().take(MAX_CHARS).collect::<String>() + "..."
            }
        }
    }
}

/// Writes an item count as "1 item" or "N items".
fn items_text(count: u64) -> String {
    if count == 1 { "1 item".to_string() } else { format!("{count} items") }
}

#[cfg(test)]
mod tests;
