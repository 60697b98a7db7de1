//! An ordered list of rule patterns searched in one pass.
//!
//! Rules that try several regular expressions in turn and report the first that matches
//! would scan a value once per expression. Most values match none of them, so a
//! [`PatternList`] first runs all of them together as one [`RegexSet`] and then searches
//! again only with the first expression, in list order, that matched.

use regex::bytes::{Regex, RegexSet, RegexSetBuilder};

use crate::rules::ascii_regex;

/// Capacity of the lazy DFA cache of each pattern set, per thread that searches it.
const SET_DFA_CACHE_BYTES: usize = 16 << 20;

/// Regular expressions in priority order, compiled with the ASCII semantics of
/// [`ascii_regex`].
pub(crate) struct PatternList {
    set: RegexSet,
    regexes: Vec<Regex>,
}

/// The patterns of a [`PatternList`] that match one value.
pub(crate) struct PatternMatches<'a> {
    list: &'a PatternList,
    /// `None` when no pattern matches.
    matched: Option<regex::bytes::SetMatches>,
}

impl PatternList {
    pub(crate) fn new(patterns: &[&str]) -> Result<Self, regex::Error> {
        // A set of many patterns has many lazy DFA states. With the regex crate's default
        // cache capacity they are dropped and built again many times during a run.
        let set = RegexSetBuilder::new(patterns).unicode(false).dfa_size_limit(SET_DFA_CACHE_BYTES).build()?;
        let regexes = patterns.iter().map(|pattern| ascii_regex(pattern)).collect::<Result<_, _>>()?;
        Ok(Self { set, regexes })
    }

    /// Finds the patterns that match `haystack`.
    pub(crate) fn matches(&self, haystack: &[u8]) -> PatternMatches<'_> {
        // Most values match no pattern. Finding that out stops at the first match and
        // is cheaper than collecting every pattern that matches.
        let matched = self.set.is_match(haystack).then(|| self.set.matches(haystack));
        PatternMatches { list: self, matched }
    }

    /// Returns the index of the first pattern in list order that matches `haystack`,
    /// with the start of its leftmost match.
    pub(crate) fn first(&self, haystack: &[u8]) -> Option<(usize, usize)> {
        let matches = self.matches(haystack);
        let index = matches.matched.as_ref()?.iter().next()?;
        matches.start(index, haystack).map(|start| (index, start))
    }
}

impl PatternMatches<'_> {
    /// Returns the start of the leftmost match of pattern `index`, or `None` when that
    /// pattern does not match.
    pub(crate) fn start(&self, index: usize, haystack: &[u8]) -> Option<usize> {
        if !self.matched.as_ref().is_some_and(|matched| matched.matched(index)) {
            return None;
        }
        self.list.regexes[index].find(haystack).map(|found| found.start())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_follows_list_order() {
        let list = PatternList::new(&[r"(?i)b+", "a", r"\bc\b"]).unwrap();
        assert_eq!(list.first(b"a c BB"), Some((0, 4)));
        assert_eq!(list.first(b"xa c"), Some((1, 1)));
        assert_eq!(list.first(b"abc c"), Some((0, 1)));
        assert_eq!(list.first(b"cc c"), Some((2, 3)));
        assert_eq!(list.first(b"xyz"), None);
    }

    #[test]
    fn flags_stay_inside_their_pattern() {
        // `(?i)` in the first pattern must not make the second one case-insensitive.
        let list = PatternList::new(&["x(?i)y", "Z"]).unwrap();
        assert_eq!(list.first(b"z"), None);
        assert_eq!(list.first(b"xY"), Some((0, 0)));
    }
}
