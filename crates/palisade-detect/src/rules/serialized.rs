//! Serialized objects and the class names of deserialization gadget chains.
//!
//! - `deser.java_stream`: a Java serialization stream (magic `AC ED 00 05`, as hex or as
//!   base64 `rO0AB`).
//! - `deser.java_class`: classes that deserialization and expression-language exploits
//!   instantiate (`java.lang.Runtime`, `ProcessBuilder`, `javax.script.ScriptEngineManager`,
//!   `com.sun.rowset.JdbcRowSetImpl`, Commons Collections transformers, ...), including in
//!   base64-encoded text.
//! - `deser.php_object`: a PHP `serialize()` object or array (`O:8:"stdClass":1:{...}`).
//! - `deser.dotnet`: .NET BinaryFormatter streams (base64 `AAEAAAD/////`) and Json.NET or
//!   XAML type names that run code (`ObjectDataProvider`, `System.Diagnostics.Process`).
//! - `deser.python`: pickle streams (protocol 2 to 5 in base64, or protocol 0 text calling
//!   `os.system`) and YAML tags that construct Python or Ruby objects.
//! - `deser.node`: `node-serialize` functions (`_$$ND_FUNC$$_`).

use aho_corasick::MatchKind;

use crate::finding::Confidence;
use crate::rules::literals::LiteralSet;
use crate::rules::patterns::PatternList;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SerializedMatch {
    pub rule_id: &'static str,
    pub confidence: Confidence,
    pub at: usize,
}

/// Class and gadget names whose appearance in decoded base64, in any letter case, means
/// a serialized gadget chain.
const GADGET_WORDS: &[&str] = &[
    "runtime",
    "processbuilder",
    "invokertransformer",
    "chainedtransformer",
    "constanttransformer",
    "instantiatetransformer",
    "clonetransformer",
    "instantiatefactory",
    "prototypeclonefactory",
    "prototypeserializationfactory",
    "whileclosure",
    "forclosure",
    "templatesimpl",
    "jdbcrowsetimpl",
    "java.lang",
    "javax.script",
    "scriptenginemanager",
];

/// Indexes of the patterns in [`SerializedRules::patterns`].
const JAVA_STREAM: usize = 0;
const JAVA_CLASS: usize = 1;
const PHP_OBJECT: usize = 2;
const DOTNET: usize = 3;
const PYTHON: usize = 4;
const JAVA_CLASS_WEAK: usize = 5;

pub struct SerializedRules {
    patterns: PatternList,
    gadget_words: LiteralSet,
}

impl SerializedRules {
    pub fn new() -> Self {
        let mut patterns = [""; 6];
        patterns[JAVA_STREAM] = r"(?i)\baced0005|\brO0AB";
        patterns[JAVA_CLASS] = r#"(?i)\bjava\.(?:[\w$]+\.)*(?:runtime|processbuilder)\b|\bjava\.lang\.(?:process|reflect|classloader|class\b|system\b|thread\b)|\bjavax\.(?:script|naming|management\.remote|el)\b|\bjava\.rmi\.|\bjava\.beans\.xmldecoder|\bjava\.net\.urlclassloader|\bcom\.sun\.(?:org\.apache|rowset|jndi|jmx)|\borg\.apache\.commons\.(?:collections|beanutils)|\borg\.apache\.(?:xalan|xbean|bcel|naming|tomcat\.dbcp)|\bcom\.opensymphony\.xwork2|\borg\.omg\.corba|\borg\.codehaus\.groovy\.runtime|\bgroovy\.(?:lang|util)\.|\bclojure\.(?:core|lang|main)|\bbsh\.interpreter|\borg\.springframework\.(?:beans\.factory|context\.support|aop|jndi|transaction\.jta)|\bcom\.mchange\.v2\.c3p0|\borg\.hibernate\.(?:engine|tuple|property)|\bsun\.(?:misc|reflect|rmi)\.|\bcom\.bea\.core|\bcom\.alibaba\.fastjson|\bch\.qos\.logback\.core\.db|\borg\.mozilla\.javascript|\b(?:runtime|processbuilder)(?:\.\w+)*\.(?:invokertransformer|chainedtransformer|constanttransformer|instantiatetransformer|clonetransformer|instantiatefactory|prototypeclonefactory|prototypeserializationfactory|whileclosure|forclosure)\b|\b(?:invokertransformer|chainedtransformer|instantiatetransformer|templatesimpl|jdbcrowsetimpl|xstream\.converters)\b|\bclass\.module\.classloader|\bclass\.classloader\.|@type["']?\s*:\s*["'][\w.$]+"#;
        patterns[PHP_OBJECT] =
            r#"(?:^|[;{}\s=&]|\b)[OC]:\+?\d{1,4}:"[\w\\]{1,128}":\d{1,4}:\{|(?:^|[;{}\s=&])a:\d{1,4}:\{\s*[isbdNaO]:"#;
        patterns[DOTNET] = r#"(?i)AAEAAAD/////|\bobjectdataprovider\b|\bsystem\.diagnostics\.process\b|\bsystem\.windows\.data\b|\btypeconfusedelegate\b|\bwindowsidentity\b|\bsystem\.management\.automation\b|\bsystem\.configuration\.install\.assemblyinstaller|\bsystem\.web\.ui\.objectstateformatter|\$type["']?\s*:\s*["'](?:system|microsoft)\.|\bactivitysurrogateselector"#;
        patterns[PYTHON] = r"(?-i:\bgASV|\bgA[JNR][9jdc])|(?i)(?:^|\n)c(?:os|posix|nt|subprocess|builtins|__builtin__|commands|pty|platform|sys|runpy|importlib)\s*\n\s*(?:system|popen|eval|exec|execfile|check_output|call|run|spawn|getoutput|_exec|import_module)\b|!!python/(?:object|name|module)|!ruby/(?:object|hash|struct|marshal)|!!javax?\.|!!com\.sun|!!org\.|\b__reduce__\b|\bcos\nsystem";
        patterns[JAVA_CLASS_WEAK] = r"(?i)\bjava\.(?:io|lang|util|net|nio)\.[a-z]\w*|\borg\.apache\.commons\.\w+";
        let gadget_words =
            LiteralSet::new(GADGET_WORDS, MatchKind::Standard, true).expect("the gadget words are a valid automaton");
        Self { patterns: PatternList::new(&patterns).expect("the serialization patterns are valid"), gadget_words }
    }

    pub fn detect(&self, text: &str) -> Option<SerializedMatch> {
        // XML attribute names instantiate no class: XStream and XMLDecoder name classes in
        // element names and attribute values. The names are blanked, which keeps offsets.
        if let Some(blanked) = blank_attribute_names(text) {
            return self.detect_in(&blanked);
        }
        self.detect_in(text)
    }

    fn detect_in(&self, text: &str) -> Option<SerializedMatch> {
        let found = |rule_id, confidence, at| Some(SerializedMatch { rule_id, confidence, at });
        let bytes = text.as_bytes();
        let matches = self.patterns.matches(bytes);

        if let Some(at) = matches.start(JAVA_STREAM, bytes) {
            return found("deser.java_stream", Confidence::High, at);
        }
        if let Some(at) = memchr::memmem::find(bytes, b"_$$ND_FUNC$$_") {
            return found("deser.node", Confidence::High, at);
        }
        let in_order = [
            (JAVA_CLASS, "deser.java_class", Confidence::High),
            (PHP_OBJECT, "deser.php_object", Confidence::High),
            (DOTNET, "deser.dotnet", Confidence::High),
            (PYTHON, "deser.python", Confidence::High),
            (JAVA_CLASS_WEAK, "deser.java_class", Confidence::Medium),
        ];
        for (index, rule_id, confidence) in in_order {
            if let Some(at) = matches.start(index, bytes) {
                return found(rule_id, confidence, at);
            }
        }
        if let Some(at) = base64_gadget(text, &self.gadget_words) {
            return found("deser.java_class", Confidence::Medium, at);
        }
        None
    }
}

impl Default for SerializedRules {
    fn default() -> Self {
        Self::new()
    }
}

/// Replaces the names of attributes in XML tags (`<a java.lang.Runtime="x">`) with spaces.
/// Returns `None` when `text` has no such attribute.
fn blank_attribute_names(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    if memchr::memchr(b'<', bytes).is_none() || memchr::memchr(b'=', bytes).is_none() {
        return None;
    }
    let mut out: Option<Vec<u8>> = None;
    let mut in_tag = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'<' => in_tag = true,
            b'>' => in_tag = false,
            b'=' if in_tag => {
                let mut value = i + 1;
                while value < bytes.len() && bytes[value].is_ascii_whitespace() {
                    value += 1;
                }
                let Some(&quote) = bytes.get(value).filter(|b| matches!(b, b'"' | b'\'')) else {
                    i += 1;
                    continue;
                };
                let mut name_end = i;
                while name_end > 0 && bytes[name_end - 1].is_ascii_whitespace() {
                    name_end -= 1;
                }
                let mut name_start = name_end;
                while name_start > 0 && is_name_byte(bytes[name_start - 1]) {
                    name_start -= 1;
                }
                if name_start < name_end {
                    let out = out.get_or_insert_with(|| bytes.to_vec());
                    out[name_start..name_end].fill(b' ');
                }
                // The value is skipped whole, so a `>` inside it does not end the tag.
                i = memchr::memchr(quote, &bytes[value + 1..]).map_or(bytes.len(), |end| value + 1 + end + 1);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    // Only ASCII name bytes were replaced, so the text stays valid UTF-8.
    out.map(|out| String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'$' | b'-')
}

/// Decodes base64 runs of 8 to 4096 characters at the three byte alignments and looks
/// for gadget class names, which attackers encode to pass filters that read plain text.
fn base64_gadget(text: &str, gadget_words: &LiteralSet) -> Option<usize> {
    const MIN_RUN: usize = 8;
    const MAX_RUN: usize = 4096;

    let bytes = text.as_bytes();
    let mut decoded = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !is_base64(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_base64(bytes[i]) {
            i += 1;
        }
        let run = &bytes[start..i];
        if run.len() < MIN_RUN || run.len() > MAX_RUN || !run.iter().any(|b| b.is_ascii_uppercase()) {
            continue;
        }
        // `A` is a zero sextet: one or two of them in front shift the run to the other
        // byte alignments.
        for shift in 0..3 {
            decoded.clear();
            decode_base64(std::iter::repeat_n(b'A', shift).chain(run.iter().copied()), &mut decoded);
            if gadget_words.is_match(&decoded) {
                return Some(start);
            }
        }
    }
    None
}

fn is_base64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_')
}

/// Decodes standard or URL-safe base64 to the end of `out`, ignoring padding and a
/// trailing partial group.
fn decode_base64(input: impl Iterator<Item = u8>, out: &mut Vec<u8>) {
    let value = |b: u8| -> Option<u32> {
        Some(match b {
            b'A'..=b'Z' => (b - b'A') as u32,
            b'a'..=b'z' => (b - b'a' + 26) as u32,
            b'0'..=b'9' => (b - b'0' + 52) as u32,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        })
    };
    let mut buffer = 0u32;
    let mut bits = 0;
    for b in input {
        let Some(v) = value(b) else { continue };
        buffer = (buffer << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialized_cases() {
        let rules = SerializedRules::new();
        let attacks = [
            ("rO0ABXNyABdqYXZhLnV0aWwuUHJpb3JpdHlRdWV1ZQ==", "deser.java_stream"),
            ("aced00057372", "deser.java_stream"),
            ("java.lang.Runtime", "deser.java_class"),
            (r#"{"@type":"com.sun.rowset.JdbcRowSetImpl","dataSourceName":"ldap://x"}"#, "deser.java_class"),
            ("cnVudGltZQ", "deser.java_class"),
            (r#"O:8:"stdClass":1:{s:1:"a";i:2;}"#, "deser.php_object"),
            ("AAEAAAD/////AQAAAAAAAAAMAgAAAA", "deser.dotnet"),
            (r#"{"$type":"System.Windows.Data.ObjectDataProvider, PresentationFramework"}"#, "deser.dotnet"),
            ("gASVKAAAAAAAAACMBXBvc2l4lIwGc3lzdGVtlJOUjAJpZJSFlFKULg==", "deser.python"),
            ("cos\nsystem\n(S'id'\ntR.", "deser.python"),
            ("!!python/object/apply:os.system ['id']", "deser.python"),
            (r#"{"rce":"_$$ND_FUNC$$_function(){require('child_process').exec('id')}()"}"#, "deser.node"),
            // XStream names the class in an element, and an attribute value can name one too.
            (
                "<java.lang.ProcessBuilder><command><string>id</string></command></java.lang.ProcessBuilder>",
                "deser.java_class",
            ),
            (r#"<a class="java.lang.ProcessBuilder" b="x">"#, "deser.java_class"),
        ];
        for (input, rule) in attacks {
            assert_eq!(rules.detect(input).map(|m| m.rule_id), Some(rule), "input {input:?}");
        }
    }

    #[test]
    fn serialized_near_misses() {
        let rules = SerializedRules::new();
        for input in [
            "Order: 12:{note}",
            "runtime error",
            "a:1:b",
            "dGhpcyBpcyBhIHRlc3Q=",
            "java developer",
            "O'Brien",
            "garcia",
            "Gandhi",
            // Class names as XML attribute names instantiate nothing.
            r#"<xml><element java.lang.Runtime="attribute_value">element_value</element></xml>"#,
            r#"<element rO0ABQ = 'x' other="a>b">text</element>"#,
        ] {
            assert_eq!(rules.detect(input), None, "input {input:?}");
        }
    }
}
