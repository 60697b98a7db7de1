//! A parsed description kept whole, with local `$ref` resolution.
//!
//! Schemas are never copied out of the document or expanded: operations keep JSON
//! pointers into it and references are followed when a schema is used. That keeps memory
//! at the size of the parsed document and makes circular schemas harmless.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use regex::Regex;
use serde::Serialize;
use serde_json::Value;

use crate::error::{ImportError, display_pointer};
use crate::pointer;
use crate::settings::ImportSettings;

/// The OpenAPI version family, which decides how a few schema keywords read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dialect {
    /// Swagger 2.0: `x-nullable`, boolean `exclusiveMinimum`.
    Swagger2,
    /// OpenAPI 3.0: `nullable`, boolean `exclusiveMinimum`, `$ref` siblings ignored.
    OpenApi30,
    /// OpenAPI 3.1: JSON Schema 2020-12, type arrays with `"null"`, `const`.
    OpenApi31,
}

/// Keys whose value is data, not description structure; `$ref`s inside are not followed.
const DATA_KEYS: [&str; 5] = ["example", "default", "enum", "const", "value"];

/// Keys whose value maps user-chosen names to objects, so the names are never keywords.
const NAME_MAPS: [&str; 16] = [
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "schemas",
    "responses",
    "paths",
    "securitySchemes",
    "requestBodies",
    "headers",
    "examples",
    "links",
    "callbacks",
    "content",
    "variables",
    "encoding",
];

/// A parsed description: the JSON value, its dialect and the limits it was read with.
pub struct Document {
    root: Value,
    dialect: Dialect,
    settings: ImportSettings,
    /// Compiled `pattern` regexes; `None` for a pattern that did not compile within the
    /// limits, so it is tried once.
    patterns: RwLock<HashMap<String, Option<Arc<Regex>>>>,
}

impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Document").field("dialect", &self.dialect).finish_non_exhaustive()
    }
}

impl Document {
    pub(crate) fn new(root: Value, dialect: Dialect, settings: ImportSettings) -> Self {
        Self { root, dialect, settings, patterns: RwLock::new(HashMap::new()) }
    }

    pub fn root(&self) -> &Value {
        &self.root
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    pub fn settings(&self) -> &ImportSettings {
        &self.settings
    }

    /// The value at `pointer`, without following references.
    pub fn get(&self, pointer: &str) -> Option<&Value> {
        self.root.pointer(pointer)
    }

    /// Follows `$ref`s from `value`, found at `at`, to the value they end at. Returns that
    /// value and its pointer. Siblings of a `$ref` are ignored, as OpenAPI 3.0 requires
    /// for every object and 3.1 for every object but schemas.
    pub fn resolve<'a>(&'a self, value: &'a Value, at: &str) -> Result<(&'a Value, String), ImportError> {
        let mut current = value;
        let mut current_pointer = at.to_string();
        for _ in 0..=self.settings.max_ref_depth {
            let Some(reference) = current.get("$ref").and_then(Value::as_str) else {
                return Ok((current, current_pointer));
            };
            let Some(target_pointer) = pointer::from_local_ref(reference) else {
                return Err(ImportError::ExternalRef {
                    pointer: display_pointer(&current_pointer),
                    reference: reference.to_string(),
                });
            };
            let Some(target) = self.root.pointer(&target_pointer) else {
                return Err(ImportError::DanglingRef {
                    pointer: display_pointer(&current_pointer),
                    reference: reference.to_string(),
                });
            };
            current = target;
            current_pointer = target_pointer;
        }
        Err(ImportError::RefTooDeep { pointer: display_pointer(at), max: self.settings.max_ref_depth })
    }

    /// The value at `pointer` with references followed.
    pub fn resolve_pointer(&self, pointer: &str) -> Option<(&Value, String)> {
        let value = self.root.pointer(pointer)?;
        self.resolve(value, pointer).ok()
    }

    /// Checks every `$ref` of the document once: local, pointing at a value, and not
    /// part of a cycle of references.
    pub(crate) fn check_refs(&self) -> Result<(), ImportError> {
        let mut stack: Vec<(&Value, String, bool)> = vec![(&self.root, String::new(), false)];
        while let Some((value, at, names)) = stack.pop() {
            match value {
                Value::Object(map) => {
                    if !names && let Some(Value::String(reference)) = map.get("$ref") {
                        self.check_chain(reference, &at)?;
                    }
                    for (key, child) in map {
                        if !names && (DATA_KEYS.contains(&key.as_str()) || key.starts_with("x-")) {
                            continue;
                        }
                        if !names && key == "examples" && child.is_array() {
                            continue;
                        }
                        let child_names = !names && NAME_MAPS.contains(&key.as_str()) && child.is_object();
                        stack.push((child, pointer::join(&at, key), child_names));
                    }
                }
                Value::Array(items) => {
                    for (index, child) in items.iter().enumerate() {
                        stack.push((child, pointer::join_index(&at, index), false));
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn check_chain(&self, first: &str, at: &str) -> Result<(), ImportError> {
        let mut seen: Vec<String> = Vec::new();
        let mut reference = first.to_string();
        for _ in 0..=self.settings.max_ref_depth {
            let Some(target_pointer) = pointer::from_local_ref(&reference) else {
                return Err(ImportError::ExternalRef { pointer: display_pointer(at), reference });
            };
            if seen.contains(&target_pointer) {
                return Err(ImportError::RefCycle { pointer: display_pointer(at), reference: first.to_string() });
            }
            let Some(target) = self.root.pointer(&target_pointer) else {
                return Err(ImportError::DanglingRef { pointer: display_pointer(at), reference });
            };
            match target.get("$ref").and_then(Value::as_str) {
                Some(next) => {
                    seen.push(target_pointer);
                    reference = next.to_string();
                }
                None => return Ok(()),
            }
        }
        Err(ImportError::RefTooDeep { pointer: display_pointer(at), max: self.settings.max_ref_depth })
    }

    /// The compiled regex of a schema `pattern`, or `None` when it is longer than
    /// `max_pattern_bytes`, is not valid for the `regex` crate (look-around and
    /// back-references are not supported) or compiles larger than `max_regex_bytes`.
    pub(crate) fn pattern(&self, pattern: &str) -> Option<Arc<Regex>> {
        if pattern.len() > self.settings.max_pattern_bytes {
            return None;
        }
        if let Ok(cache) = self.patterns.read()
            && let Some(compiled) = cache.get(pattern)
        {
            return compiled.clone();
        }
        let compiled = regex::RegexBuilder::new(pattern)
            .size_limit(self.settings.max_regex_bytes)
            .dfa_size_limit(self.settings.max_regex_bytes)
            .build()
            .ok()
            .map(Arc::new);
        if let Ok(mut cache) = self.patterns.write() {
            cache.insert(pattern.to_string(), compiled.clone());
        }
        compiled
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn document(root: Value) -> Document {
        Document::new(root, Dialect::OpenApi30, ImportSettings::default())
    }

    #[test]
    fn resolve_follows_chain() {
        let doc = document(json!({"a": {"$ref": "#/b"}, "b": {"$ref": "#/c"}, "c": {"type": "string"}}));
        let (value, at) = doc.resolve(&doc.root()["a"], "/a").unwrap();
        assert_eq!(value, &json!({"type": "string"}));
        assert_eq!(at, "/c");
    }

    #[test]
    fn check_refs_finds_each_problem() {
        let cases = [
            (json!({"a": {"$ref": "other.yaml#/x"}}), "unsupported reference \"other.yaml#/x\" at /a"),
            (json!({"a": {"$ref": "#/missing"}}), "reference \"#/missing\" at /a points to nothing"),
            (json!({"a": {"$ref": "#/b"}, "b": {"$ref": "#/a"}}), "is part of a cycle"),
        ];
        for (root, expected) in cases {
            let error = document(root.clone()).check_refs().unwrap_err().to_string();
            assert!(error.contains(expected), "{root}: {error}");
        }
    }

    #[test]
    fn check_refs_skips_data_and_allows_recursive_schemas() {
        let root = json!({
            "components": {"schemas": {"Node": {"type": "object", "properties": {
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                "example": {"$ref": "#/components/schemas/Node"}}}}},
            "x-vendor": {"$ref": "elsewhere.json"},
            "example": {"$ref": "not/a/ref"}
        });
        assert_eq!(document(root).check_refs(), Ok(()));
    }

    #[test]
    fn pattern_cache_rejects_unsupported() {
        let doc = document(json!({}));
        assert!(doc.pattern("^[a-z]+$").unwrap().is_match("abc"));
        assert!(doc.pattern("(?=a)a").is_none());
        assert!(doc.pattern(&"a".repeat(2000)).is_none());
    }
}
