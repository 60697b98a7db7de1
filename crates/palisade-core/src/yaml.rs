//! A YAML document as a tree of nodes that remember where they start, so that checks
//! made after parsing (security test files, configuration settings) can point at the exact
//! line and column.

use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

/// One YAML node with the position where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: NodeValue,
    pub position: Position,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Sequence(Vec<Node>),
    /// Keys in document order.
    Mapping(Vec<(Node, Node)>),
}

impl Node {
    /// Returns a short name of the node's kind for "expected X, found Y" messages.
    pub fn kind(&self) -> &'static str {
        match &self.value {
            NodeValue::Null => "null",
            NodeValue::Bool(_) => "a boolean",
            NodeValue::Number(_) => "a number",
            NodeValue::String(_) => "a string",
            NodeValue::Sequence(_) => "a list",
            NodeValue::Mapping(_) => "a mapping",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// Converts the node to JSON, dropping positions. Mapping keys that are not strings
    /// are written as their text.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.value {
            NodeValue::Null => Value::Null,
            NodeValue::Bool(b) => Value::Bool(*b),
            NodeValue::Number(n) => Value::Number(n.clone()),
            NodeValue::String(s) => Value::String(s.clone()),
            NodeValue::Sequence(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeValue::Mapping(entries) => {
                let mut object = serde_json::Map::new();
                for (key, value) in entries {
                    let name = match key.to_json() {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    object.insert(name, value.to_json());
                }
                Value::Object(object)
            }
        }
    }
}

/// The node without its position, as serde reads it; positions are added by wrapping each
/// child in [`Spanned`].
struct RawValue(NodeValue);

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<RawValue>::deserialize(deserializer)?;
        let position = Position { line: spanned.referenced.line() as u32, column: spanned.referenced.column() as u32 };
        Ok(Node { value: spanned.value.0, position })
    }
}

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = RawValue;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<RawValue, E> {
        Ok(RawValue(NodeValue::Null))
    }

    fn visit_none<E: de::Error>(self) -> Result<RawValue, E> {
        Ok(RawValue(NodeValue::Null))
    }

    fn visit_some<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<RawValue, D::Error> {
        RawValue::deserialize(deserializer)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawValue, E> {
        Ok(RawValue(NodeValue::Bool(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawValue, E> {
        Ok(RawValue(NodeValue::Number(v.into())))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawValue, E> {
        Ok(RawValue(NodeValue::Number(v.into())))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<RawValue, E> {
        Ok(RawValue(NodeValue::String(v.to_string())))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<RawValue, E> {
        Ok(RawValue(NodeValue::String(v.to_string())))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawValue, E> {
        // NaN and infinities have no JSON number; keep their text.
        match serde_json::Number::from_f64(v) {
            Some(n) => Ok(RawValue(NodeValue::Number(n))),
            None => Ok(RawValue(NodeValue::String(v.to_string()))),
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawValue, E> {
        Ok(RawValue(NodeValue::String(v.to_string())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<RawValue, E> {
        Ok(RawValue(NodeValue::String(v)))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<RawValue, E> {
        Ok(RawValue(NodeValue::String(String::from_utf8_lossy(v).into_owned())))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawValue, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(RawValue(NodeValue::Sequence(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawValue, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Node>()? {
            let value = map.next_value::<Node>()?;
            entries.push((key, value));
        }
        Ok(RawValue(NodeValue::Mapping(entries)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_records_positions() {
        let text = "id: a\ntest:\n  - request:\n      method: GET\n";
        let node: Node = serde_saphyr::from_str(text).unwrap();
        let NodeValue::Mapping(entries) = &node.value else { panic!("expected a mapping") };
        assert_eq!(entries[0].0.position, Position { line: 1, column: 1 });
        assert_eq!(entries[0].1.position, Position { line: 1, column: 5 });
        assert_eq!(entries[1].0.position, Position { line: 2, column: 1 });
        let NodeValue::Sequence(steps) = &entries[1].1.value else { panic!("expected a list") };
        assert_eq!(steps[0].position.line, 3);
        let NodeValue::Mapping(step) = &steps[0].value else { panic!("expected a mapping") };
        let NodeValue::Mapping(request) = &step[0].1.value else { panic!("expected a mapping") };
        assert_eq!(request[0].0.position, Position { line: 4, column: 7 });
        assert_eq!(request[0].1.as_str(), Some("GET"));
    }

    #[test]
    fn node_reads_scalars() {
        let options = serde_saphyr::options! { strict_booleans: true };
        let node: Node = serde_saphyr::from_str_with_options("[1, 2.5, true, null, \"x\", y]", options).unwrap();
        assert_eq!(node.to_json(), serde_json::json!([1, 2.5, true, null, "x", "y"]));
    }
}
