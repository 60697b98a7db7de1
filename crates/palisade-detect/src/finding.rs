//! What a detection reports: the attack class, the rule, where in the request, and a short
//! excerpt of the matched text.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Maximum length of [`Finding::evidence`], in characters, after escaping.
pub const MAX_EVIDENCE_CHARS: usize = 120;

/// A family of attacks that one or more rules detect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttackClass {
    Sqli,
    Xss,
    PathTraversal,
    /// Local file inclusion: references to sensitive local files and PHP stream wrappers.
    Lfi,
    /// Remote file inclusion: URLs built to be included as code.
    Rfi,
    CommandInjection,
    Ssrf,
    Xxe,
    NosqlInjection,
    Ssti,
    /// Log4j lookups (`${jndi:...}`), including nested-lookup obfuscations.
    Jndi,
    LdapInjection,
    CrlfInjection,
    PrototypePollution,
    /// Serialized objects of Java, PHP, .NET, Python and Ruby, and dangerous class names.
    Deserialization,
    /// User agents and headers of security scanners and attack tools.
    Scanner,
    /// Code for a server-side interpreter: PHP, Node.js, Python, Ruby, Perl.
    CodeInjection,
    /// GraphQL introspection queries, which map an API's whole schema.
    GraphqlIntrospection,
}

impl AttackClass {
    pub const ALL: [AttackClass; 18] = [
        AttackClass::Sqli,
        AttackClass::Xss,
        AttackClass::PathTraversal,
        AttackClass::Lfi,
        AttackClass::Rfi,
        AttackClass::CommandInjection,
        AttackClass::Ssrf,
        AttackClass::Xxe,
        AttackClass::NosqlInjection,
        AttackClass::Ssti,
        AttackClass::Jndi,
        AttackClass::LdapInjection,
        AttackClass::CrlfInjection,
        AttackClass::PrototypePollution,
        AttackClass::Deserialization,
        AttackClass::Scanner,
        AttackClass::CodeInjection,
        AttackClass::GraphqlIntrospection,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AttackClass::Sqli => "sqli",
            AttackClass::Xss => "xss",
            AttackClass::PathTraversal => "path_traversal",
            AttackClass::Lfi => "lfi",
            AttackClass::Rfi => "rfi",
            AttackClass::CommandInjection => "command_injection",
            AttackClass::Ssrf => "ssrf",
            AttackClass::Xxe => "xxe",
            AttackClass::NosqlInjection => "nosql_injection",
            AttackClass::Ssti => "ssti",
            AttackClass::Jndi => "jndi",
            AttackClass::LdapInjection => "ldap_injection",
            AttackClass::CrlfInjection => "crlf_injection",
            AttackClass::PrototypePollution => "prototype_pollution",
            AttackClass::Deserialization => "deserialization",
            AttackClass::Scanner => "scanner",
            AttackClass::CodeInjection => "code_injection",
            AttackClass::GraphqlIntrospection => "graphql_introspection",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        AttackClass::ALL.into_iter().find(|class| class.as_str() == text)
    }

    /// Bit of this class in a [`ClassSet`].
    pub(crate) const fn bit(self) -> u32 {
        1 << self as u32
    }
}

impl fmt::Display for AttackClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of attack classes, one bit each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClassSet(pub(crate) u32);

impl ClassSet {
    pub const EMPTY: ClassSet = ClassSet(0);
    pub const ALL: ClassSet = ClassSet((1 << AttackClass::ALL.len()) - 1);

    pub const fn of(classes: &[AttackClass]) -> ClassSet {
        let mut bits = 0;
        let mut i = 0;
        while i < classes.len() {
            bits |= classes[i].bit();
            i += 1;
        }
        ClassSet(bits)
    }

    pub fn contains(self, class: AttackClass) -> bool {
        self.0 & class.bit() != 0
    }

    pub fn insert(&mut self, class: AttackClass) {
        self.0 |= class.bit();
    }

    pub fn remove(&mut self, class: AttackClass) {
        self.0 &= !class.bit();
    }

    pub const fn union(self, other: ClassSet) -> ClassSet {
        ClassSet(self.0 | other.0)
    }

    pub const fn intersect(self, other: ClassSet) -> ClassSet {
        ClassSet(self.0 & other.0)
    }

    pub const fn without(self, other: ClassSet) -> ClassSet {
        ClassSet(self.0 & !other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// The part of a request a value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocationSection {
    /// The request path: one segment, or the whole path (empty name) for traversal rules.
    Path,
    /// A query parameter value; the name is the parameter name.
    Query,
    /// A query parameter name.
    QueryKey,
    /// A header value; the name is the lower-case header name.
    Header,
    /// A cookie value; the name is the cookie name.
    Cookie,
    /// A cookie name.
    CookieKey,
    /// A body value: a JSON, XML, form or multipart leaf, or a whole unstructured body
    /// (empty name).
    Body,
    /// A key of a JSON object, form or multipart body.
    BodyKey,
    /// A string literal or variable of a GraphQL document.
    Graphql,
}

impl LocationSection {
    pub fn as_str(self) -> &'static str {
        match self {
            LocationSection::Path => "path",
            LocationSection::Query => "query",
            LocationSection::QueryKey => "query_key",
            LocationSection::Header => "header",
            LocationSection::Cookie => "cookie",
            LocationSection::CookieKey => "cookie_key",
            LocationSection::Body => "body",
            LocationSection::BodyKey => "body_key",
            LocationSection::Graphql => "graphql",
        }
    }

    /// True for sections that carry parameter keys rather than values.
    pub fn is_key(self) -> bool {
        matches!(self, LocationSection::QueryKey | LocationSection::CookieKey | LocationSection::BodyKey)
    }
}

/// Where a value was found: the section and the parameter, header or JSON path name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Location {
    pub section: LocationSection,
    /// Parameter, header or cookie name, or a JSON path such as `items[].name`.
    pub name: String,
}

impl Location {
    pub fn new(section: LocationSection, name: impl Into<String>) -> Self {
        Self { section, name: name.into() }
    }

    pub fn query(name: impl Into<String>) -> Self {
        Self::new(LocationSection::Query, name)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.name.is_empty() {
            f.write_str(self.section.as_str())
        } else {
            write!(f, "{}:{}", self.section.as_str(), self.name)
        }
    }
}

/// How sure a rule is that a match is an attack.
///
/// - `High`: the text is valid attack syntax with an effect, such as `UNION SELECT`, a
///   tautology after a quote break-out, `<script>` or a `${jndi:` lookup. Benign text
///   almost never matches.
/// - `Medium`: attack syntax without a clear effect, such as a quote break-out followed by
///   a comment, or a two-level `../` traversal. Rare in benign traffic but possible.
/// - `Low`: a weak signal worth recording but not blocking on, such as a scripting-tool
///   user agent.
pub use palisade_core::finding::Confidence;

/// One detection in one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub class: AttackClass,
    /// Stable rule identifier such as `sqli.tautology`; see [`crate::RULES`].
    pub rule_id: &'static str,
    pub location: Location,
    /// Excerpt of the decoded value around the match, at most [`MAX_EVIDENCE_CHARS`]
    /// characters, with control characters escaped.
    pub evidence: String,
    pub confidence: Confidence,
}

/// Builds an evidence excerpt: the text of `text` from a little before `start`, at most
/// [`MAX_EVIDENCE_CHARS`] characters, with control characters and backslashes escaped so
/// that logs and terminals show it as one inert line.
pub fn evidence_excerpt(text: &str, start: usize) -> String {
    const CONTEXT_BEFORE: usize = 20;

    let start = floor_char_boundary(text, start.min(text.len()));
    let mut from = start.saturating_sub(CONTEXT_BEFORE);
    // Characters before the match count one each; only non-ASCII ones take more bytes.
    if !text.as_bytes()[from..start].is_ascii() {
        from = start;
        let mut chars_before = 0;
        while from > 0 && chars_before < CONTEXT_BEFORE {
            from = floor_char_boundary(text, from - 1);
            chars_before += 1;
        }
    }

    let mut out = String::with_capacity(MAX_EVIDENCE_CHARS + 8);
    let mut chars = 0;
    if from > 0 {
        out.push_str("...");
        chars += 3;
    }
    let mut buffer = [0u8; ESCAPE_BUFFER_BYTES];
    let mut rest = &text[from..];
    loop {
        // Printable ASCII other than `\` is copied as it is, a run at a time.
        let budget = (MAX_EVIDENCE_CHARS - 3).saturating_sub(chars);
        let limit = budget.min(rest.len());
        let plain =
            rest.as_bytes()[..limit].iter().position(|&b| !(b' '..=b'~').contains(&b) || b == b'\\').unwrap_or(limit);
        out.push_str(&rest[..plain]);
        chars += plain;
        rest = &rest[plain..];

        let Some(c) = rest.chars().next() else { break };
        rest = &rest[c.len_utf8()..];
        let escaped = escape_char(c, &mut buffer);
        let width = escaped.chars().count();
        if chars + width > MAX_EVIDENCE_CHARS - 3 {
            out.push_str("...");
            return out;
        }
        out.push_str(escaped);
        chars += width;
    }
    out
}

/// Bytes of the longest escape that [`escape_char`] writes: `\u{10ffff}`.
const ESCAPE_BUFFER_BYTES: usize = 10;

/// Writes `c` as it appears in evidence into `buffer` and returns it: itself, or an escape
/// for control characters, backslashes and invisible line or direction marks.
fn escape_char(c: char, buffer: &mut [u8; ESCAPE_BUFFER_BYTES]) -> &str {
    match c {
        '\n' => "\\n",
        '\r' => "\\r",
        '\t' => "\\t",
        '\\' => "\\\\",
        c if (c as u32) < 0x20 || c == '\u{7f}' => {
            buffer[..2].copy_from_slice(b"\\x");
            let digits = write_hex(c as u32, 2, &mut buffer[2..]);
            ascii_prefix(buffer, 2 + digits)
        }
        c if c.is_control()
            || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}') =>
        {
            buffer[..3].copy_from_slice(b"\\u{");
            let digits = write_hex(c as u32, 1, &mut buffer[3..]);
            buffer[3 + digits] = b'}';
            ascii_prefix(buffer, 4 + digits)
        }
        c => c.encode_utf8(buffer),
    }
}

/// Writes `value` in lower-case hex with at least `min_digits` digits to the start of
/// `out` and returns the number of digits. A `char` needs at most 6.
fn write_hex(value: u32, min_digits: usize, out: &mut [u8]) -> usize {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let significant = (32 - value.leading_zeros() as usize).div_ceil(4);
    let count = significant.max(min_digits);
    for (i, slot) in out[..count].iter_mut().enumerate() {
        let shift = 4 * (count - 1 - i);
        *slot = DIGITS[(value >> shift) as usize & 0xf];
    }
    count
}

fn ascii_prefix(buffer: &[u8], length: usize) -> &str {
    // Only ASCII was written to the buffer, so it is valid UTF-8.
    std::str::from_utf8(&buffer[..length]).unwrap_or_default()
}

/// Largest char boundary of `text` at or below `index`.
pub(crate) fn floor_char_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_names_round_trip() {
        for class in AttackClass::ALL {
            assert_eq!(AttackClass::parse(class.as_str()), Some(class));
        }
        assert_eq!(AttackClass::parse("nope"), None);
    }

    #[test]
    fn class_set_holds_all_classes() {
        for class in AttackClass::ALL {
            assert!(ClassSet::ALL.contains(class));
            assert!(!ClassSet::EMPTY.contains(class));
        }
    }

    #[test]
    fn evidence_escapes_control_characters() {
        assert_eq!(evidence_excerpt("a\r\nSet-Cookie: x\u{0}", 0), "a\\r\\nSet-Cookie: x\\x00");
    }

    #[test]
    fn evidence_escapes_invisible_characters() {
        let cases = [
            ("\u{1b}[31m", "\\x1b[31m"),
            ("a\u{7f}b", "a\\x7fb"),
            ("\u{85}", "\\u{85}"),
            ("x\u{202e}y\u{2028}", "x\\u{202e}y\\u{2028}"),
            ("C:\\dir", "C:\\\\dir"),
            ("é\u{ff1c}", "é\u{ff1c}"),
        ];
        for (text, expected) in cases {
            assert_eq!(evidence_excerpt(text, 0), expected, "text {text:?}");
        }
    }

    #[test]
    fn evidence_is_bounded() {
        let long = format!("{}' or 1=1--{}", "x".repeat(500), "y".repeat(500));
        let excerpt = evidence_excerpt(&long, 500);
        assert!(excerpt.chars().count() <= MAX_EVIDENCE_CHARS, "{excerpt}");
        assert!(excerpt.starts_with("..."));
        assert!(excerpt.contains("' or 1=1--"));
    }

    #[test]
    fn evidence_keeps_multibyte_boundaries() {
        let text = "é".repeat(300);
        let excerpt = evidence_excerpt(&text, 301);
        assert!(excerpt.chars().count() <= MAX_EVIDENCE_CHARS);
    }
}
