//! Walks a JSON document and reports every location with its type, without building a
//! `serde_json::Value`.
//!
//! The walk is a serde visitor, so it runs at the speed of serde_json's tokenizer and
//! allocates only for strings that contain escapes. Depth and the number of reported
//! locations are bounded; what lies beyond the bounds is skipped, not reported.

use std::fmt;

use palisade_core::FieldType;
use palisade_core::json_key::KeyText;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::discovery::shape::{classify_segment, is_camel_case_name};

/// Maximum length of an object key used in a field path, in bytes. Longer keys are
/// reported as `{key}`.
const MAX_KEY_BYTES: usize = 128;

/// One location in a JSON document.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JsonLeaf<'a> {
    /// Dotted path with `[]` for array items, such as `items[].email`; empty at the root.
    pub path: &'a str,
    pub field_type: FieldType,
    /// The text of strings and integers, for format inference and classification.
    pub text: Option<&'a str>,
}

/// How much of a document the walk covered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WalkSummary {
    /// Locations reported.
    pub reported: usize,
    /// Values skipped because they were nested deeper than the depth limit.
    pub too_deep: usize,
    /// Values skipped because the location limit was reached.
    pub over_limit: usize,
}

/// Walks `bytes` as JSON and calls `visit` for every location. Object keys that look like
/// identifiers (numbers, UUIDs, ...) are written as `{key}` so maps keyed by id do not
/// create a field per id.
pub fn walk_json(
    bytes: &[u8],
    max_depth: usize,
    max_locations: usize,
    visit: &mut dyn FnMut(JsonLeaf<'_>),
) -> Result<WalkSummary, serde_json::Error> {
    walk_json_with(bytes, max_depth, max_locations, &mut KeyShapes::default(), &mut String::new(), visit)
}

/// Like [`walk_json`], reusing `shapes` from earlier documents and `path` as the buffer
/// of the current path.
pub fn walk_json_with(
    bytes: &[u8],
    max_depth: usize,
    max_locations: usize,
    shapes: &mut KeyShapes,
    path: &mut String,
    visit: &mut dyn FnMut(JsonLeaf<'_>),
) -> Result<WalkSummary, serde_json::Error> {
    path.clear();
    let mut state = WalkState { path, max_depth, max_locations, summary: WalkSummary::default(), shapes, visit };
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    Node { state: &mut state, depth: 0 }.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(state.summary)
}

struct WalkState<'v> {
    path: &'v mut String,
    max_depth: usize,
    max_locations: usize,
    summary: WalkSummary,
    shapes: &'v mut KeyShapes,
    visit: &'v mut dyn FnMut(JsonLeaf<'_>),
}

/// Maximum number of keys [`KeyShapes`] remembers. Past it the memo starts over, so maps
/// keyed by ids, whose keys never repeat, cannot grow it without bound.
const MAX_REMEMBERED_KEYS: usize = 4096;

/// Memo of which object keys look like identifiers. The same keys recur in every body of
/// an API, and classifying a long key costs far more than looking it up. Keys short
/// enough to be settled without classifying are not stored.
#[derive(Debug, Default)]
pub struct KeyShapes {
    identifiers: hashbrown::HashMap<Box<str>, bool>,
}

impl KeyShapes {
    /// True for object keys that are identifiers rather than names. Short keys without
    /// digits or `@` are names, which settles most keys without classifying them.
    /// `digit_or_at` is true when `key` contains a digit or `@`.
    fn looks_like_identifier(&mut self, key: &str, digit_or_at: bool) -> bool {
        if key.len() < 10 && !digit_or_at {
            return false;
        }
        if let Some(known) = self.identifiers.get(key) {
            return *known;
        }
        let identifier = classify_key(key);
        if self.identifiers.len() >= MAX_REMEMBERED_KEYS {
            self.identifiers.clear();
        }
        self.identifiers.insert(key.into(), identifier);
        identifier
    }
}

impl WalkState<'_> {
    /// Reports the current path; false when the location budget is spent.
    fn report(&mut self, field_type: FieldType, text: Option<&str>) -> bool {
        if self.summary.reported >= self.max_locations {
            self.summary.over_limit += 1;
            return false;
        }
        self.summary.reported += 1;
        (self.visit)(JsonLeaf { path: self.path, field_type, text });
        true
    }
}

struct Node<'s, 'v> {
    state: &'s mut WalkState<'v>,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Node<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        if self.depth > self.state.max_depth {
            self.state.summary.too_deep += 1;
            deserializer.deserialize_ignored_any(IgnoredAny)?;
            return Ok(());
        }
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_, '_> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        self.state.report(FieldType::Boolean, None);
        Ok(())
    }

    fn visit_i64<E>(self, value: i64) -> Result<(), E> {
        // The sign is dropped: no data class starts with a minus sign.
        let mut buffer = [0u8; 20];
        let text = integer_text(value.unsigned_abs(), &mut buffer);
        self.state.report(FieldType::Integer, Some(text));
        Ok(())
    }

    fn visit_u64<E>(self, value: u64) -> Result<(), E> {
        let mut buffer = [0u8; 20];
        let text = integer_text(value, &mut buffer);
        self.state.report(FieldType::Integer, Some(text));
        Ok(())
    }

    fn visit_f64<E>(self, value: f64) -> Result<(), E> {
        // Coordinates arrive as numbers, so classifiers see them as text too.
        let mut buffer = StackText::default();
        let text = match std::fmt::Write::write_fmt(&mut buffer, format_args!("{value}")) {
            Ok(()) => Some(buffer.as_str()),
            Err(_) => None,
        };
        self.state.report(FieldType::Number, text);
        Ok(())
    }

    fn visit_str<E>(self, value: &str) -> Result<(), E> {
        self.state.report(FieldType::String, Some(value));
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.state.report(FieldType::Null, None);
        Ok(())
    }

    fn visit_none<E>(self) -> Result<(), E> {
        self.state.report(FieldType::Null, None);
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let reported = self.state.report(FieldType::Object, None);
        let base_len = self.state.path.len();
        while let Some(key) = map.next_key::<KeyText<'de>>()? {
            if !reported || self.state.summary.reported >= self.state.max_locations {
                self.state.summary.over_limit += 1;
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            push_key(self.state.path, key.as_str(), self.state.shapes);
            map.next_value_seed(Node { state: self.state, depth: self.depth + 1 })?;
            self.state.path.truncate(base_len);
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let reported = self.state.report(FieldType::Array, None);
        let base_len = self.state.path.len();
        self.state.path.push_str("[]");
        loop {
            if !reported {
                if seq.next_element::<IgnoredAny>()?.is_none() {
                    break;
                }
                continue;
            }
            if seq.next_element_seed(Node { state: self.state, depth: self.depth + 1 })?.is_none() {
                break;
            }
        }
        self.state.path.truncate(base_len);
        Ok(())
    }
}

/// Writes an integer's decimal digits into `buffer` without allocating, so integers can be
/// classified (card numbers and ids are often sent as JSON numbers).
/// Text written into a fixed buffer; writing more than fits fails.
struct StackText {
    bytes: [u8; 40],
    len: usize,
}

impl Default for StackText {
    fn default() -> Self {
        Self { bytes: [0; 40], len: 0 }
    }
}

impl StackText {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let end = self.len + text.len();
        if end > self.bytes.len() {
            return Err(fmt::Error);
        }
        self.bytes[self.len..end].copy_from_slice(text.as_bytes());
        self.len = end;
        Ok(())
    }
}

fn integer_text(mut value: u64, buffer: &mut [u8; 20]) -> &str {
    let mut start = buffer.len();
    loop {
        start -= 1;
        buffer[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    std::str::from_utf8(&buffer[start..]).unwrap_or("")
}

/// True for long object keys, or keys with digits or `@`, that are identifiers rather
/// than names. camelCase names with acronyms such as `ATMServices` are names.
fn classify_key(key: &str) -> bool {
    if is_camel_case_name(key) {
        return false;
    }
    classify_segment(key).is_identifier()
}

/// Flag of [`KEY_BYTES`] for digits and `@`.
const DIGIT_OR_AT: u8 = 1;
/// Flag of [`KEY_BYTES`] for the characters that make a key need quotes in a path.
const PATH_SYNTAX: u8 = 2;

/// The flags of every byte value, so one pass over a key finds both kinds. The characters
/// are ASCII, so a byte scan finds them as a char scan would.
const KEY_BYTES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        if byte.is_ascii_digit() || byte == b'@' {
            table[b] = DIGIT_OR_AT;
        } else if byte == b'.' || byte == b'[' || byte == b']' || byte == b'"' {
            table[b] = PATH_SYNTAX;
        }
        b += 1;
    }
    table
};

fn push_key(path: &mut String, key: &str, shapes: &mut KeyShapes) {
    if !path.is_empty() {
        path.push('.');
    }
    if key.len() > MAX_KEY_BYTES {
        path.push_str("{key}");
        return;
    }
    let flags = key.bytes().fold(0, |flags, b| flags | KEY_BYTES[usize::from(b)]);
    if shapes.looks_like_identifier(key, flags & DIGIT_OR_AT != 0) {
        path.push_str("{key}");
        return;
    }
    if key.is_empty() || flags & PATH_SYNTAX != 0 {
        path.push_str("[\"");
        path.push_str(&key.replace('"', "\\\""));
        path.push_str("\"]");
        return;
    }
    path.push_str(key);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(json: &str, max_depth: usize, max_locations: usize) -> (Vec<(String, FieldType)>, WalkSummary) {
        let mut seen = Vec::new();
        let summary = walk_json(json.as_bytes(), max_depth, max_locations, &mut |leaf| {
            seen.push((leaf.path.to_string(), leaf.field_type));
        })
        .unwrap();
        (seen, summary)
    }

    #[test]
    fn walk_reports_paths_and_types() {
        let (seen, _) =
            walk(r#"{"id":1,"name":"Ada","tags":["a"],"items":[{"price":1.5,"ok":true,"note":null}]}"#, 32, 100);
        let expected = [
            ("", FieldType::Object),
            ("id", FieldType::Integer),
            ("name", FieldType::String),
            ("tags", FieldType::Array),
            ("tags[]", FieldType::String),
            ("items", FieldType::Array),
            ("items[]", FieldType::Object),
            ("items[].price", FieldType::Number),
            ("items[].ok", FieldType::Boolean),
            ("items[].note", FieldType::Null),
        ];
        let expected: Vec<(String, FieldType)> = expected.iter().map(|(p, t)| (p.to_string(), *t)).collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn integers_carry_their_text() {
        let mut texts = Vec::new();
        walk_json(br#"[0,4111111111111111,-42,18446744073709551615]"#, 32, 100, &mut |leaf| {
            texts.push(leaf.text.map(str::to_string));
        })
        .unwrap();
        let expected = [None, Some("0"), Some("4111111111111111"), Some("42"), Some("18446744073709551615")];
        assert_eq!(texts, expected.map(|t| t.map(str::to_string)));
    }

    #[test]
    fn floats_carry_their_text() {
        let mut texts = Vec::new();
        walk_json(br#"{"lat":37.7749,"lng":-122.4194,"big":1e300}"#, 32, 100, &mut |leaf| {
            texts.push(leaf.text.map(str::to_string));
        })
        .unwrap();
        let big = "1".to_string() + &"0".repeat(300);
        assert_eq!(texts[1..3], [Some("37.7749".to_string()), Some("-122.4194".to_string())]);
        assert_eq!(texts[3], None, "{big:.10}... does not fit the buffer and is left out");
    }

    #[test]
    fn identifier_keys_collapse() {
        let (seen, _) = walk(r#"{"42":{"n":1},"43":{"n":2}}"#, 32, 100);
        let paths: Vec<&str> = seen.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, vec!["", "{key}", "{key}.n", "{key}", "{key}.n"]);
    }

    #[test]
    fn names_with_acronyms_stay_names() {
        let (seen, _) = walk(r#"{"ATMServices":1,"OtherATMServices":2,"FRhiaCUzzosvbY":3}"#, 32, 100);
        let paths: Vec<&str> = seen.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, vec!["", "ATMServices", "OtherATMServices", "{key}"]);
    }

    #[test]
    fn odd_keys_are_quoted() {
        let (seen, _) = walk(r#"{"a.b":1,"":2,"x\"y":3}"#, 32, 100);
        let paths: Vec<&str> = seen.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, vec!["", "[\"a.b\"]", "[\"\"]", "[\"x\\\"y\"]"]);
    }

    #[test]
    fn depth_limit_skips_deeper_values() {
        let (seen, summary) = walk(r#"{"a":{"b":{"c":1}},"d":2}"#, 1, 100);
        let paths: Vec<&str> = seen.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, vec!["", "a", "d"]);
        assert_eq!(summary.too_deep, 1);
    }

    #[test]
    fn location_limit_stops_reporting() {
        let (seen, summary) = walk(r#"{"a":1,"b":2,"c":3}"#, 32, 2);
        assert_eq!(seen.len(), 2);
        assert_eq!(summary.over_limit, 2);
    }

    #[test]
    fn nesting_ten_thousand_deep_is_skipped() {
        // Past the depth limit serde_json skips the value without recursing, so neither
        // form overflows the stack.
        let arrays = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let summary = walk_json(arrays.as_bytes(), 32, 100, &mut |_| {}).unwrap();
        assert_eq!(summary.too_deep, 1);
        let objects = format!("{}1{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
        let summary = walk_json(objects.as_bytes(), 32, 100, &mut |_| {}).unwrap();
        assert_eq!((summary.reported, summary.too_deep), (33, 1));
    }

    #[test]
    fn trailing_garbage_is_an_error() {
        assert!(walk_json(b"{} x", 32, 100, &mut |_| {}).is_err());
        assert!(walk_json(b"{\"a\":", 32, 100, &mut |_| {}).is_err());
    }
}
