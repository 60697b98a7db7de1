//! Prototype pollution: keys that reach `Object.prototype` in JavaScript merges and
//! query-string parsers.
//!
//! - `proto.key`: `__proto__`, or `prototype` under `constructor`, as a JSON key, a
//!   bracketed or dotted parameter name (`__proto__[admin]=1`,
//!   `constructor[prototype][x]=1`, `a.__proto__.b`), or inside a JSON value.

use crate::finding::Confidence;
use crate::rules::xss::find_ignore_case;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrototypeMatch {
    pub rule_id: &'static str,
    pub confidence: Confidence,
    pub at: usize,
}

pub fn detect(text: &str, is_key: bool) -> Option<PrototypeMatch> {
    let bytes = text.as_bytes();
    if let Some(at) = find_ignore_case(bytes, b"__proto__") {
        let before = if at == 0 { None } else { Some(bytes[at - 1]) };
        let after = bytes.get(at + 9).copied();
        let is_name = matches!(before, None | Some(b'[' | b'.' | b'"' | b'\'' | b'{' | b',' | b' '))
            && matches!(after, None | Some(b'[' | b']' | b'.' | b'"' | b'\'' | b'=' | b':' | b' '));
        if is_name {
            let confidence =
                if is_key || text.contains(['[', '{', '=']) { Confidence::High } else { Confidence::Medium };
            return Some(PrototypeMatch { rule_id: "proto.key", confidence, at });
        }
    }
    if let Some(at) = find_ignore_case(bytes, b"constructor") {
        let rest = &bytes[at + 11..];
        let separator =
            rest.iter().take_while(|&&b| matches!(b, b'.' | b'[' | b']' | b'"' | b'\'' | b' ' | b':' | b'{')).count();
        if separator > 0
            && rest[separator..].len() >= 9
            && rest[separator..separator + 9].eq_ignore_ascii_case(b"prototype")
        {
            return Some(PrototypeMatch { rule_id: "proto.key", confidence: Confidence::High, at });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prototype_cases() {
        for (input, is_key) in [
            ("__proto__", true),
            ("__proto__[admin]", true),
            ("a.__proto__.isAdmin", true),
            ("constructor[prototype][admin]", true),
            ("constructor.prototype.polluted", true),
            (r#"{"__proto__": {"admin": true}}"#, false),
            (r#"{"constructor": {"prototype": {"x": 1}}}"#, false),
        ] {
            assert!(detect(input, is_key).is_some(), "input {input:?}");
        }
        for input in ["prototype", "constructor", "my__proto__name", "the constructor built a prototype"] {
            assert_eq!(detect(input, true), None, "input {input:?}");
        }
    }
}
