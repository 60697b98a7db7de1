//! LDAP filter injection: values that close the application's filter and open new
//! filter terms.
//!
//! - `ldap.filter_injection`: `)(` followed by an attribute assertion (`*)(uid=*`,
//!   `admin)(|(password=*)`), a nested boolean filter (`(|(`, `(&(`, `(!(`), or the
//!   always-true and always-false filters `(&)` and `(|)` after a closing parenthesis.
//!
//! Parentheses in text ("(555) 123", "smile :)(") have no attribute and `=` after them.
//! A value that is one or more whole filters, whose parentheses never close more than
//! they opened, cannot close the application's filter: directory tools send such values
//! (`(&(objectCategory=computer)(userAccountControl:1.2.840.113556.1.4.803:=8192))`).
//! It counts only with a term that forces the result: a wildcard (`(|(objectClass=*))`),
//! a negation, an empty `(&)` or `(|)`, or a constant (`(!(&(1=0)(userPassword=q)))`).

use regex::bytes::Regex;

use crate::rules::ascii_regex;

use crate::finding::Confidence;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LdapMatch {
    pub rule_id: &'static str,
    pub confidence: Confidence,
    pub at: usize,
}

pub struct LdapRules {
    filter: Regex,
}

impl LdapRules {
    pub fn new() -> Self {
        let filter = ascii_regex(
            r"(?i)\)\s*\(\s*[|&!]?\s*\(?\s*[a-z][\w.;-]{0,63}\s*[~<>:]?=|\(\s*[|&!]\s*\(\s*[a-z][\w.;-]{0,63}\s*[~<>:]?=|\)\s*\(\s*[|&]\s*\)|\*\s*\)\s*\(|\(\s*[a-z][\w.-]{0,63}\s*=\s*\*\s*\)\s*\)",
        )
        .expect("the LDAP filter pattern is valid");
        Self { filter }
    }

    pub fn detect(&self, text: &str) -> Option<LdapMatch> {
        if !has_filter_junction(text.as_bytes()) {
            return None;
        }
        let found = self.filter.find(text.as_bytes())?;
        if is_whole_filter(text) && !forces_result(text) {
            return None;
        }
        Some(LdapMatch { rule_id: "ldap.filter_injection", confidence: Confidence::High, at: found.start() })
    }
}

/// True when `text` has `)(`, `(|`, `(&`, `(!` or `*))`, with whitespace allowed between
/// the bytes. Every alternative of the filter pattern contains one of these, so text
/// without them cannot match. Only the parentheses are visited, which is cheaper than the
/// pattern search: `))` alone, as in `sleep(5))`, is common in SQL payloads.
fn has_filter_junction(bytes: &[u8]) -> bool {
    let is_space = |b: u8| b.is_ascii_whitespace() || b == b'\x0b';
    let next_after = |at: usize| bytes[at + 1..].iter().copied().find(|&b| !is_space(b));
    let previous_before = |at: usize| bytes[..at].iter().rev().copied().find(|&b| !is_space(b));
    memchr::memchr2_iter(b'(', b')', bytes).any(|at| match (bytes[at], next_after(at)) {
        (b')', Some(b'(')) | (b'(', Some(b'|' | b'&' | b'!')) => true,
        (b')', Some(b')')) => previous_before(at) == Some(b'*'),
        _ => false,
    })
}

/// True when a filter contains a term that payloads use to force the result: a wildcard
/// (`(uid=*)`), a negation (`(!(...))`), an empty `(&)` or `(|)`, or a constant such as
/// `(1=0)`.
fn forces_result(text: &str) -> bool {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    compact.contains("=*")
        || compact.contains("(!")
        || compact.contains("(&)")
        || compact.contains("(|)")
        || compact.as_bytes().windows(2).any(|pair| pair[0] == b'(' && pair[1].is_ascii_digit())
}

/// True when `text` (trimmed) starts with `(` and its parentheses balance without ever
/// closing more than they opened.
fn is_whole_filter(text: &str) -> bool {
    let text = text.trim();
    if !text.starts_with('(') {
        return false;
    }
    let mut depth = 0usize;
    for b in text.bytes() {
        match b {
            b'(' => depth += 1,
            b')' => match depth.checked_sub(1) {
                Some(next) => depth = next,
                None => return false,
            },
            _ => {}
        }
    }
    depth == 0
}

impl Default for LdapRules {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ldap_cases() {
        let rules = LdapRules::new();
        for input in [
            "*)(uid=*))(|(uid=*",
            "admin)(&)",
            "admin)(|(password=*))",
            "(|(objectClass=*))",
            "(&(uid=admin)(!(&(1=0)(userPassword=q))))",
            "x*)(cn=*",
            "*)(|(mail=*)",
        ] {
            assert!(rules.detect(input).is_some(), "input {input:?}");
        }
        for input in [
            "(555) 123-4567",
            "smile :)(",
            "f(x)(y)",
            "(see notes) (draft)",
            "a=(b)",
            // Whole filters that match no wildcard, as directory tools send them.
            "(&(objectCategory=computer)(userAccountControl:1.2.840.113556.1.4.803:=8192))",
            "(userAccountControl:1.2.840.113556.1.4.803:=67108864)(&(objectCategory=group)(groupType=2))",
        ] {
            assert_eq!(rules.detect(input), None, "input {input:?}");
        }
    }

    #[test]
    fn junction_scan_admits_every_filter_match() {
        let rules = LdapRules::new();
        // One input per alternative of the pattern, with every kind of whitespace that
        // `\s` allows between the bytes of the junction.
        for input in ["x)\t(cn=a", "(\x0b|\n(cn=a", "x) (\r& )", "*\x0c)\x0b(", "(cn = * ) \t)"] {
            assert!(rules.filter.is_match(input.as_bytes()), "pattern on {input:?}");
            assert!(has_filter_junction(input.as_bytes()), "junction scan on {input:?}");
        }
        for input in ["alert(1)", "f(x) y(z)", "(a|b)", "x)y(z", "sleep(5))", "(a) )", "*) x)"] {
            assert!(!has_filter_junction(input.as_bytes()), "junction scan on {input:?}");
        }
    }
}
