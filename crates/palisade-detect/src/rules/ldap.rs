//! LDAP filter injection: values that close the application's filter and open new
//! filter terms.
//!
//! - `ldap.filter_injection`: `)(` followed by an attribute assertion (`*)(uid=*`,
//!   `admin)(|(password=*)`), a nested boolean filter (`(|(`, `(&(`, `(!(`), or the
//!   always-true and always-false filters `(&)` and `(|)` after a closing parenthesis.
//!
//! Parentheses in text ("(555) 123", "smile :)(") have no attribute and `=` after them.

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
        if !text.contains('(') && !text.contains(')') {
            return None;
        }
        let found = self.filter.find(text.as_bytes())?;
        Some(LdapMatch { rule_id: "ldap.filter_injection", confidence: Confidence::High, at: found.start() })
    }
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
            "x*)(cn=*",
            "*)(|(mail=*)",
        ] {
            assert!(rules.detect(input).is_some(), "input {input:?}");
        }
        for input in ["(555) 123-4567", "smile :)(", "f(x)(y)", "(see notes) (draft)", "a=(b)"] {
            assert_eq!(rules.detect(input), None, "input {input:?}");
        }
    }
}
