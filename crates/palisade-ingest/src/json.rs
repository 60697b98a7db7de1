//! Reading fields out of a parsed JSON value, with errors that name the field's path in the
//! input, such as `missing field "request.method"`.
//!
//! The JSON decoders parse into [`serde_json::Value`] first and walk it with these helpers
//! instead of deriving `Deserialize`. Agents send loosely typed traces (ports as strings,
//! bodies as objects) that a derive would reject, and a derive's errors name only the last
//! key, not the whole path. serde_json's recursion limit of 128 levels still applies while
//! parsing, so deeply nested input fails with an error instead of a stack overflow.

use palisade_core::trace::truncate_for_message;
use serde_json::{Map, Value};

/// Error message for a field that is absent or `null` but required.
pub(crate) fn missing(path: &str) -> String {
    format!("missing field \"{path}\"")
}

/// Error message for a field that has the wrong type or value.
pub(crate) fn invalid(path: &str, expected: &str, found: &Value) -> String {
    format!("invalid field \"{path}\": expected {expected}, found {}", describe(found))
}

/// Names a JSON value's type, quoting short scalars so that the user can find them.
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(flag) => format!("boolean {flag}"),
        Value::Number(number) => format!("number {}", truncate_for_message(&number.to_string())),
        Value::String(text) => format!("string {:?}", truncate_for_message(text)),
        Value::Array(_) => "an array".to_string(),
        Value::Object(_) => "an object".to_string(),
    }
}

/// Names a JSON value's type in a few words, for shape errors.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// One JSON object and its path from the root of the trace.
#[derive(Debug)]
pub(crate) struct Object<'a> {
    map: &'a Map<String, Value>,
    /// Dotted path of this object, empty for the trace itself.
    path: String,
}

impl<'a> Object<'a> {
    /// Wraps the trace's top-level value, which must be an object.
    pub(crate) fn root(value: &'a Value) -> Result<Self, String> {
        match value {
            Value::Object(map) => Ok(Self { map, path: String::new() }),
            other => Err(format!("expected a JSON object, found {}", describe(other))),
        }
    }

    /// Wraps `value` found at `path`, which must be an object.
    pub(crate) fn at(value: &'a Value, path: String) -> Result<Self, String> {
        match value {
            Value::Object(map) => Ok(Self { map, path }),
            other => Err(invalid(&path, "an object", other)),
        }
    }

    /// Path of the field `key` of this object.
    pub(crate) fn path(&self, key: &str) -> String {
        if self.path.is_empty() { key.to_string() } else { format!("{}.{key}", self.path) }
    }

    /// Value of `key`. A `null` value counts as absent, because agents write `null` for
    /// fields they have nothing for.
    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|value| !value.is_null())
    }

    pub(crate) fn object(&self, key: &str) -> Result<Option<Object<'a>>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(value) => Object::at(value, self.path(key)).map(Some),
        }
    }

    pub(crate) fn required_object(&self, key: &str) -> Result<Object<'a>, String> {
        self.object(key)?.ok_or_else(|| missing(&self.path(key)))
    }

    pub(crate) fn string(&self, key: &str) -> Result<Option<&'a str>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(other) => Err(invalid(&self.path(key), "a string", other)),
        }
    }

    pub(crate) fn required_string(&self, key: &str) -> Result<&'a str, String> {
        self.string(key)?.ok_or_else(|| missing(&self.path(key)))
    }

    /// Reads a string, number or boolean field as text.
    pub(crate) fn scalar_text(&self, key: &str) -> Result<Option<String>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(value) => scalar_text(value).map(Some).ok_or_else(|| invalid(&self.path(key), "a string", value)),
        }
    }

    pub(crate) fn array(&self, key: &str) -> Result<Option<&'a [Value]>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(items)) => Ok(Some(items)),
            Some(other) => Err(invalid(&self.path(key), "an array", other)),
        }
    }

    pub(crate) fn bool(&self, key: &str) -> Result<Option<bool>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(flag)) => Ok(Some(*flag)),
            Some(other) => Err(invalid(&self.path(key), "a boolean", other)),
        }
    }

    /// Reads a boolean, also accepted as the string `"true"` or `"false"` in any case.
    pub(crate) fn lenient_bool(&self, key: &str) -> Result<Option<bool>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(flag)) => Ok(Some(*flag)),
            Some(Value::String(text)) if text.trim().eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Value::String(text)) if text.trim().eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(other) => Err(invalid(&self.path(key), "a boolean", other)),
        }
    }

    /// Reads an HTTP status code, also accepted as a numeric string such as `"200"`.
    pub(crate) fn lenient_status(&self, key: &str) -> Result<Option<u16>, String> {
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        lenient_integer(value)
            .and_then(|number| u16::try_from(number).ok())
            .map(Some)
            .ok_or_else(|| invalid(&self.path(key), "a status code", value))
    }

    /// Reads a port number, also accepted as a numeric string. A value that is not a port in
    /// 0 to 65535 counts as absent, because the port is never worth rejecting a trace for.
    pub(crate) fn lenient_port(&self, key: &str) -> Option<u16> {
        self.get(key).and_then(lenient_integer).and_then(|number| u16::try_from(number).ok())
    }
}

/// Returns a string, number or boolean as text, and `None` for arrays, objects and null.
pub(crate) fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// Reads an integer given as a JSON integer, a float without a fraction, or a numeric string.
pub(crate) fn lenient_integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(number) => {
            if let Some(integer) = number.as_i64() {
                return Some(integer);
            }
            let float = number.as_f64()?;
            let in_range = float.fract() == 0.0 && float.abs() < 9.0e15;
            in_range.then_some(float as i64)
        }
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// Reads an array of `{"name": ..., "value": ...}` objects, the shape Metlo, HAR and the
/// native format use for headers and parameters. `path` is the array's path. A value may
/// be a string, number or boolean, and a missing or `null` value is empty.
pub(crate) fn name_value_pairs(items: &[Value], path: &str) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let entry = Object::at(item, format!("{path}[{index}]"))?;
        let name = entry.scalar_text("name")?.ok_or_else(|| missing(&entry.path("name")))?;
        let value = entry.scalar_text("value")?.unwrap_or_default();
        pairs.push((name, value));
    }
    Ok(pairs)
}

/// Returns the bytes of a body field: a string's UTF-8 bytes, or any other JSON value
/// serialized as compact JSON text. Object keys come out sorted, because serde_json's map is ordered by key.
pub(crate) fn body_bytes(value: &Value) -> Vec<u8> {
    match value {
        Value::String(text) => text.as_bytes().to_vec(),
        Value::Null => Vec::new(),
        // Serializing a `Value` cannot fail, because map keys are strings and serde_json's
        // `Number` cannot be NaN or infinite.
        other => serde_json::to_vec(other).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn object_names_nested_paths() {
        let value = json!({"request": {"url": {"path": 7}}});
        let root = Object::root(&value).unwrap();
        let request = root.required_object("request").unwrap();
        let url = request.required_object("url").unwrap();
        assert_eq!(
            url.required_string("path").unwrap_err(),
            "invalid field \"request.url.path\": expected a string, found number 7"
        );
        assert_eq!(url.required_string("host").unwrap_err(), "missing field \"request.url.host\"");
        assert_eq!(request.required_object("method").unwrap_err(), "missing field \"request.method\"");
    }

    #[test]
    fn null_counts_as_missing() {
        let value = json!({"body": null});
        let root = Object::root(&value).unwrap();
        assert!(root.get("body").is_none());
        assert_eq!(root.string("body").unwrap(), None);
    }

    #[test]
    fn root_must_be_object() {
        assert_eq!(Object::root(&json!([1])).err().unwrap(), "expected a JSON object, found an array");
    }

    #[test]
    fn lenient_numbers_accept_strings() {
        let value = json!({"a": "443", "b": 443, "c": 443.0, "d": "x", "e": 70000, "f": " 8080 "});
        let root = Object::root(&value).unwrap();
        assert_eq!(root.lenient_port("a"), Some(443));
        assert_eq!(root.lenient_port("b"), Some(443));
        assert_eq!(root.lenient_port("c"), Some(443));
        assert_eq!(root.lenient_port("d"), None);
        assert_eq!(root.lenient_port("e"), None);
        assert_eq!(root.lenient_port("f"), Some(8080));
        assert_eq!(root.lenient_status("a").unwrap(), Some(443));
        assert!(root.lenient_status("d").is_err());
    }

    #[test]
    fn lenient_bool_accepts_strings() {
        let value = json!({"a": "true", "b": "FALSE", "c": true, "d": "yes"});
        let root = Object::root(&value).unwrap();
        assert_eq!(root.lenient_bool("a").unwrap(), Some(true));
        assert_eq!(root.lenient_bool("b").unwrap(), Some(false));
        assert_eq!(root.lenient_bool("c").unwrap(), Some(true));
        assert!(root.lenient_bool("d").is_err());
    }

    #[test]
    fn pairs_name_the_failing_item() {
        let items = json!([{"name": "A", "value": "1"}, {"value": "2"}]);
        let error = name_value_pairs(items.as_array().unwrap(), "request.headers").unwrap_err();
        assert_eq!(error, "missing field \"request.headers[1].name\"");

        let items = json!([{"name": "A", "value": 1}, {"name": "B"}]);
        let pairs = name_value_pairs(items.as_array().unwrap(), "h").unwrap();
        assert_eq!(pairs, vec![("A".to_string(), "1".to_string()), ("B".to_string(), String::new())]);
    }

    #[test]
    fn body_bytes_serializes_json_values() {
        assert_eq!(body_bytes(&json!("text")), b"text");
        assert_eq!(body_bytes(&json!({"b": 1, "a": [true]})), br#"{"a":[true],"b":1}"#);
        assert_eq!(body_bytes(&json!(12)), b"12");
    }

    #[test]
    fn describe_cuts_long_strings() {
        let long = "x".repeat(1000);
        let text = describe(&Value::String(long));
        assert!(text.len() < 100, "{text}");
    }
}
