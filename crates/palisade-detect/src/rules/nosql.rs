//! NoSQL (MongoDB-style) operator injection and JavaScript injection into `$where`.
//!
//! - `nosql.operator`: a query operator (`$ne`, `$gt`, `$regex`, `$where`, ...) as a JSON
//!   key, a bracketed parameter name (`user[$ne]=1`) or inside a value that is a JSON
//!   object (`{"$ne": null}`).
//! - `nosql.js_injection`: a value that ends a JavaScript string and adds a statement or
//!   condition that `$where` evaluates (`'; return true; var x='`, `' || '1'=='1`,
//!   `'; sleep(5000); '`, `this.password.match(/.*/)`), a MongoDB shell call
//!   (`db.users.insert({...})`), or a busy-wait loop on the clock
//!   (`do{d = new Date();}while(d-start<10000)`).
//!
//! `$5 off` and `${price}` contain no operator name.

use regex::bytes::Regex;

use crate::rules::ascii_regex;

use crate::finding::Confidence;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NosqlMatch {
    pub rule_id: &'static str,
    pub confidence: Confidence,
    pub at: usize,
}

const OPERATORS: &str = "ne|eq|gt|gte|lt|lte|in|nin|regex|where|exists|expr|or|and|not|nor|elemmatch|size|all|type|mod|text|function|accumulator|jsonschema|options|lookup|match|group|project|unionwith|merge|out|search|geointersects|nearsphere|comment|slice|rename|set|unset|inc|push|pull";

pub struct NosqlRules {
    key: Regex,
    value: Regex,
    javascript: Regex,
}

impl NosqlRules {
    pub fn new() -> Self {
        Self {
            key: ascii_regex(&format!(r"(?i)(?:^|\[)\$(?:{OPERATORS})(?:\]|$)")).expect("the operator key pattern is valid"),
            value: ascii_regex(&format!(r#"(?i)(?:[{{,\[]\s*["']?\$(?:{OPERATORS})["']?\s*:|\[\$(?:{OPERATORS})\]\s*=)"#))
                .expect("the operator value pattern is valid"),
            javascript: ascii_regex(
                r#"(?i)['"]\s*(?:;|\|\||&&)\s*(?:return\s+(?:true|1|this|!)|sleep\s*\(|while\s*\(\s*(?:true|1)|this\.\w+|db\.\w+|var\s+\w+\s*=|['"]?\w*['"]?\s*===?\s*['"]?\w*)|\bthis\.\w+\.match\s*\(|\bdb\.(?:getcollection|\w+\.(?:find|findone|insert|insertone|insertmany|update|updateone|updatemany|remove|deleteone|deletemany|drop|aggregate|count))\s*\(|\bdo\s*\{[^}]*\bnew\s+date\b[^}]*\}\s*while\s*\(|;\s*return\s+true\b|\$where\s*["']?\s*:\s*["']"#,
            )
            .expect("the JavaScript injection pattern is valid"),
        }
    }

    pub fn detect(&self, text: &str, is_key: bool) -> Option<NosqlMatch> {
        if is_key && let Some(found) = self.key.find(text.as_bytes()) {
            return Some(NosqlMatch { rule_id: "nosql.operator", confidence: Confidence::High, at: found.start() });
        }
        if text.contains('$')
            && let Some(found) = self.value.find(text.as_bytes())
        {
            return Some(NosqlMatch { rule_id: "nosql.operator", confidence: Confidence::High, at: found.start() });
        }
        if let Some(found) = self.javascript.find(text.as_bytes()) {
            return Some(NosqlMatch {
                rule_id: "nosql.js_injection",
                confidence: Confidence::Medium,
                at: found.start(),
            });
        }
        None
    }
}

impl Default for NosqlRules {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nosql_cases() {
        let rules = NosqlRules::new();
        assert!(rules.detect("$ne", true).is_some());
        assert!(rules.detect("user[$regex]", true).is_some());
        let values = [
            r#"{"$ne": null}"#,
            r#"{"username": {"$gt": ""}}"#,
            "[$ne]=1",
            "'; return true; var x='",
            "' || '1'=='1",
            "'; sleep(5000); '",
            "this.password.match(/.*/)",
            r#"{"$where": "sleep(100)"}"#,
            "db.injection.insert({success:1});",
            ";var date = new Date(); do{curDate = new Date();}while(curDate-date<10000)",
        ];
        for input in values {
            assert!(rules.detect(input, false).is_some(), "input {input:?}");
        }
    }

    #[test]
    fn nosql_near_misses() {
        let rules = NosqlRules::new();
        assert_eq!(rules.detect("price", true), None);
        assert_eq!(rules.detect("$5 off", false), None);
        assert_eq!(rules.detect("${price}", false), None);
        assert_eq!(rules.detect("cost: $ne", false), None);
        assert_eq!(rules.detect("it's a dog; return it", false), None);
        assert_eq!(rules.detect("db.example.com", false), None);
        assert_eq!(rules.detect("do {new date} while you wait", false), None);
    }
}
