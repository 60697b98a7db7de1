//! Sets of literal strings searched with an Aho-Corasick DFA that is called directly.
//!
//! `aho_corasick::AhoCorasick` keeps its automaton behind a trait object, so each byte of
//! a search is a dynamic call. A [`LiteralSet`] contains the DFA itself, so the search
//! loop is compiled for it. The matches are the ones that `AhoCorasick` reports for the
//! same patterns and options, as the tests below check.

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, BuildError, Input, Match, MatchKind};

/// A literal set compiled to an Aho-Corasick DFA for unanchored searches.
pub(crate) struct LiteralSet {
    dfa: DFA,
    start: StateID,
}

impl LiteralSet {
    /// Compiles `patterns` with `match_kind` semantics, ignoring ASCII case when
    /// `ascii_case_insensitive` is set.
    pub(crate) fn new<I, P>(
        patterns: I,
        match_kind: MatchKind,
        ascii_case_insensitive: bool,
    ) -> Result<Self, BuildError>
    where
        I: IntoIterator<Item = P>,
        P: AsRef<[u8]>,
    {
        let dfa =
            DFA::builder().match_kind(match_kind).ascii_case_insensitive(ascii_case_insensitive).build(patterns)?;
        let start = dfa.start_state(Anchored::No).expect("a DFA built for unanchored searches has an unanchored start");
        Ok(Self { dfa, start })
    }

    /// Returns the first match by the set's match kind, as `AhoCorasick::find` does.
    pub(crate) fn find(&self, haystack: &[u8]) -> Option<Match> {
        self.dfa.try_find(&Input::new(haystack)).expect("an unanchored search of an unanchored DFA does not fail")
    }

    /// True when any pattern occurs in `haystack`.
    pub(crate) fn is_match(&self, haystack: &[u8]) -> bool {
        if self.dfa.match_kind() != MatchKind::Standard {
            return self
                .dfa
                .try_find(&Input::new(haystack).earliest(true))
                .expect("an unanchored search of an unanchored DFA does not fail")
                .is_some();
        }
        // With standard semantics, a state is a match state exactly when a pattern ends at
        // the byte that led to it, so the loop stops at the first match state. It skips
        // the search machinery of `try_find`, which costs more per byte.
        let mut state = self.start;
        for &b in haystack {
            state = self.dfa.next_state(Anchored::No, state, b);
            if self.dfa.is_match(state) {
                return true;
            }
        }
        false
    }

    /// Returns whether a pattern with an index below `split` occurs in `haystack`, and
    /// whether one with an index of `split` or above does. The set must use
    /// [`MatchKind::Standard`].
    pub(crate) fn occurrences_around(&self, haystack: &[u8], split: usize) -> (bool, bool) {
        assert_eq!(self.dfa.match_kind(), MatchKind::Standard, "occurrences need standard match semantics");
        let (mut below, mut above) = (false, false);
        let mut state = self.start;
        for &b in haystack {
            state = self.dfa.next_state(Anchored::No, state, b);
            if self.dfa.is_match(state) {
                for index in 0..self.dfa.match_len(state) {
                    if self.dfa.match_pattern(state, index).as_usize() < split {
                        below = true;
                    } else {
                        above = true;
                    }
                }
                if below && above {
                    break;
                }
            }
        }
        (below, above)
    }

    /// Returns the successive non-overlapping matches, as `AhoCorasick::find_iter` does.
    pub(crate) fn find_iter<'a, 'h>(&'a self, haystack: &'h [u8]) -> impl Iterator<Item = Match> + use<'a, 'h> {
        self.dfa.try_find_iter(Input::new(haystack)).expect("an unanchored search of an unanchored DFA does not fail")
    }

    /// Returns every occurrence of every pattern in order of its end, as
    /// `AhoCorasick::find_overlapping_iter` does. The set must use
    /// [`MatchKind::Standard`].
    pub(crate) fn find_overlapping_iter<'a, 'h>(
        &'a self,
        haystack: &'h [u8],
    ) -> impl Iterator<Item = Match> + use<'a, 'h> {
        self.dfa
            .try_find_overlapping_iter(Input::new(haystack))
            .expect("overlapping searches need a set with standard match semantics")
    }
}

#[cfg(test)]
mod tests {
    use aho_corasick::AhoCorasickBuilder;

    use super::*;

    const PATTERNS: &[&str] = &["abc", "bc", "b", "xabcz", "ABD"];
    const HAYSTACKS: &[&str] = &["", "abc", "xabcz abd ABC", "bbb", "zzz", "AbC xAbCz bc"];

    fn reference(match_kind: MatchKind) -> aho_corasick::AhoCorasick {
        AhoCorasickBuilder::new().match_kind(match_kind).ascii_case_insensitive(true).build(PATTERNS).unwrap()
    }

    #[test]
    fn literal_set_matches_aho_corasick() {
        for match_kind in [MatchKind::Standard, MatchKind::LeftmostFirst, MatchKind::LeftmostLongest] {
            let expected = reference(match_kind);
            let set = LiteralSet::new(PATTERNS, match_kind, true).unwrap();
            for haystack in HAYSTACKS {
                let bytes = haystack.as_bytes();
                assert_eq!(set.find(bytes), expected.find(bytes), "find {haystack:?} {match_kind:?}");
                assert_eq!(set.is_match(bytes), expected.is_match(bytes), "is_match {haystack:?} {match_kind:?}");
                assert_eq!(
                    set.find_iter(bytes).collect::<Vec<_>>(),
                    expected.find_iter(bytes).collect::<Vec<_>>(),
                    "find_iter {haystack:?} {match_kind:?}"
                );
            }
        }
    }

    #[test]
    fn occurrences_around_cases() {
        let set = LiteralSet::new(PATTERNS, MatchKind::Standard, true).unwrap();
        assert_eq!(set.occurrences_around(b"", 2), (false, false));
        assert_eq!(set.occurrences_around(b"xBCx", 1), (false, true));
        assert_eq!(set.occurrences_around(b"xBCx", 2), (true, true));
        assert_eq!(set.occurrences_around(b"abd", 2), (false, true));
        assert_eq!(set.occurrences_around(b"zzz", 0), (false, false));
        assert_eq!(set.occurrences_around(b"abc", 5), (true, false));
    }

    #[test]
    fn overlapping_matches_aho_corasick() {
        let expected = reference(MatchKind::Standard);
        let set = LiteralSet::new(PATTERNS, MatchKind::Standard, true).unwrap();
        for haystack in HAYSTACKS {
            let bytes = haystack.as_bytes();
            assert_eq!(
                set.find_overlapping_iter(bytes).collect::<Vec<_>>(),
                expected.find_overlapping_iter(bytes).collect::<Vec<_>>(),
                "haystack {haystack:?}"
            );
        }
    }
}
