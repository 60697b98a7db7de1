//! Sets of literal strings searched with an Aho-Corasick DFA that is called directly.
//!
//! `aho_corasick::AhoCorasick` keeps its automaton behind a trait object, so each byte of
//! a search is a dynamic call. A [`LiteralSet`] contains the DFA itself, so the search
//! loop is compiled for it. The matches are the ones that `AhoCorasick` reports for the
//! same patterns and options, as the tests below check.

use std::collections::HashMap;

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

/// A keyword automaton copied into one dense table, for a pass that only finds which
/// keywords occur. Each state is a row: the union of the tags of the keywords that end in
/// the state, then the start of the next state's row for each byte class. Each byte costs
/// two reads from one row and no branch.
pub(crate) struct KeywordTable {
    rows: Vec<u32>,
    /// Class of each byte, plus one for the row's first entry: bytes equal up to ASCII
    /// case share one, and every byte that no keyword has is class 1.
    byte_class: [u8; 256],
}

impl KeywordTable {
    /// Builds the table of `keywords`, matched in any ASCII case. `tag` gives the bits of
    /// the keyword at each index.
    pub(crate) fn new<P: AsRef<[u8]>>(keywords: &[P], tag: impl Fn(usize) -> u32) -> Result<Self, BuildError> {
        let automaton = DFA::builder()
            .match_kind(MatchKind::Standard)
            .ascii_case_insensitive(true)
            .start_kind(aho_corasick::StartKind::Unanchored)
            .build(keywords)?;
        let start =
            automaton.start_state(Anchored::No).expect("a DFA built for unanchored searches has an unanchored start");

        // One representative byte per class. A byte that no keyword has leads every state
        // back to the start of an unanchored automaton, so all such bytes share a class.
        let mut byte_class = [1u8; 256];
        let mut representatives = vec![None];
        for b in keywords.iter().flat_map(|keyword| keyword.as_ref().iter().map(u8::to_ascii_lowercase)) {
            if byte_class[b as usize] == 1 {
                let class = u8::try_from(representatives.len() + 1).expect("fewer than 255 keyword byte classes");
                byte_class[b as usize] = class;
                byte_class[b.to_ascii_uppercase() as usize] = class;
                representatives.push(Some(b));
            }
        }
        // A byte outside every keyword represents the shared class.
        let other = (0..=255u8).find(|&b| byte_class[b as usize] == 1).expect("keywords leave some byte unused");
        representatives[0] = Some(other);

        // Breadth-first copy of the reachable states. The start state is row 0.
        let row_len = representatives.len() + 1;
        let mut ids = vec![start];
        // Row index of each state already numbered, to number each state once.
        let mut index_of = HashMap::from([(start, 0usize)]);
        let mut rows = Vec::new();
        let mut next_index = 0;
        while next_index < ids.len() {
            let state = ids[next_index];
            next_index += 1;
            let mut tags = 0u32;
            if automaton.is_match(state) {
                for index in 0..automaton.match_len(state) {
                    tags |= tag(automaton.match_pattern(state, index).as_usize());
                }
            }
            rows.push(tags);
            for b in representatives.iter().flatten() {
                let next = automaton.next_state(Anchored::No, state, *b);
                let index = *index_of.entry(next).or_insert_with(|| {
                    ids.push(next);
                    ids.len() - 1
                });
                rows.push(u32::try_from(index * row_len).expect("the keyword table has fewer than 2^32 entries"));
            }
        }
        Ok(Self { rows, byte_class })
    }

    /// Returns the union of the tags of the keywords that occur in `haystack`, and of
    /// `byte_tag` of each of its bytes.
    pub(crate) fn tags(&self, haystack: &[u8], byte_tag: impl Fn(u8) -> u32) -> u32 {
        // Every state carries the tags of the keywords that end at its byte, so the pass
        // finds every occurrence of every keyword, as an overlapping search would.
        let mut row = 0usize;
        let mut tags = 0u32;
        for &b in haystack {
            tags |= byte_tag(b);
            row = self.rows[row + self.byte_class[b as usize] as usize] as usize;
            tags |= self.rows[row];
        }
        tags
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
    fn keyword_table_tags_every_occurrence() {
        let table = KeywordTable::new(PATTERNS, |index| 1 << index).unwrap();
        assert_eq!(table.tags(b"", |_| 0), 0);
        assert_eq!(table.tags(b"zzz", |_| 0), 0);
        // `bc` and `b` end at the same byte; `ABD` matches in lower case.
        assert_eq!(table.tags(b"xBCx", |_| 0), 0b00110);
        assert_eq!(table.tags(b"abd", |_| 0), 0b10100);
        assert_eq!(table.tags(b"az", |b| if b == b'z' { 1 << 8 } else { 0 }), 1 << 8);

        let expected = reference(MatchKind::Standard);
        for haystack in HAYSTACKS {
            let want = expected
                .find_overlapping_iter(haystack.as_bytes())
                .fold(0u32, |tags, found| tags | 1 << found.pattern().as_usize());
            assert_eq!(table.tags(haystack.as_bytes(), |_| 0), want, "tags of {haystack:?}");
        }
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
