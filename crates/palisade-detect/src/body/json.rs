//! Walks a JSON document and reports every object key and every string, number and
//! boolean leaf with its path, without building a `serde_json::Value`.

use std::fmt;

use palisade_core::json_key::KeyText;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{BodyItem, ReadSummary};

/// Longest key text written into a path, in bytes; longer keys are cut in the path (the
/// key itself is still reported whole).
const MAX_PATH_KEY_BYTES: usize = 64;

/// Walks `bytes`, calling `visit` for each key and leaf until it returns false.
pub fn walk(bytes: &[u8], max_depth: usize, visit: &mut dyn FnMut(BodyItem<'_>) -> bool) -> ReadSummary {
    let mut state = State { path: String::new(), max_depth, summary: ReadSummary::default(), stopped: false, visit };
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let result = Node { state: &mut state, depth: 0 }.deserialize(&mut deserializer);
    if result.is_err() && !state.stopped {
        state.summary.malformed = true;
    }
    state.summary
}

struct State<'v> {
    path: String,
    max_depth: usize,
    summary: ReadSummary,
    /// The visitor asked to stop; the rest of the document is skipped.
    stopped: bool,
    visit: &'v mut dyn FnMut(BodyItem<'_>) -> bool,
}

impl State<'_> {
    fn leaf(&mut self, value: &str) {
        if self.stopped {
            return;
        }
        if !(self.visit)(BodyItem::Value { path: &self.path, value }) {
            self.stopped = true;
        }
    }
}

struct Node<'s, 'v> {
    state: &'s mut State<'v>,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Node<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        if self.depth > self.state.max_depth || self.state.stopped {
            if !self.state.stopped {
                self.state.summary.too_deep += 1;
            }
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
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, value: &str) -> Result<(), E> {
        self.state.leaf(value);
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let base = self.state.path.len();
        while let Some(key) = map.next_key::<KeyText<'de>>()? {
            if self.state.stopped {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let key = key.as_str();
            if !self.state.path.is_empty() {
                self.state.path.push('.');
            }
            let cut = crate::finding::floor_char_boundary(key, MAX_PATH_KEY_BYTES);
            self.state.path.push_str(&key[..cut]);
            if !(self.state.visit)(BodyItem::Key { path: &self.state.path, key }) {
                self.state.stopped = true;
            }
            map.next_value_seed(Node { state: self.state, depth: self.depth + 1 })?;
            self.state.path.truncate(base);
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let base = self.state.path.len();
        self.state.path.push_str("[]");
        while seq.next_element_seed(Node { state: self.state, depth: self.depth + 1 })?.is_some() {}
        self.state.path.truncate(base);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(json: &str, max_depth: usize) -> (Vec<String>, ReadSummary) {
        let mut seen = Vec::new();
        let summary = walk(json.as_bytes(), max_depth, &mut |item| {
            seen.push(match item {
                BodyItem::Key { path, key } | BodyItem::Attribute { path, key } => format!("key {path} {key}"),
                BodyItem::Value { path, value } => format!("value {path} {value}"),
            });
            true
        });
        (seen, summary)
    }

    #[test]
    fn walk_reports_keys_and_strings() {
        let (seen, summary) = items(r#"{"a":"x","b":[{"c":"y"}],"n":1,"__proto__":{"admin":true}}"#, 32);
        assert_eq!(
            seen,
            vec![
                "key a a",
                "value a x",
                "key b b",
                "key b[].c c",
                "value b[].c y",
                "key n n",
                "key __proto__ __proto__",
                "key __proto__.admin admin",
            ]
        );
        assert!(!summary.malformed);
    }

    #[test]
    fn depth_limit_skips_and_counts() {
        let (seen, summary) = items(r#"{"a":{"b":{"c":"deep"}}}"#, 1);
        assert_eq!(seen, vec!["key a a", "key a.b b"]);
        assert_eq!(summary.too_deep, 1);
    }

    #[test]
    fn malformed_keeps_earlier_values() {
        let (seen, summary) = items(r#"{"a":"x","b":"#, 32);
        assert_eq!(seen, vec!["key a a", "value a x", "key b b"]);
        assert!(summary.malformed);
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let (_, summary) = items(&nested, 32);
        assert!(summary.too_deep > 0 || summary.malformed);
    }
}
