//! The candidate index: which rules can match a request, found without testing each.
//!
//! Every rule is filed under exactly one key taken from a condition that every matching
//! request must meet: a positive condition in an `all` group, or the only condition of an
//! `any` group. The most selective key wins: an exact IP address or actor id, then a CIDR
//! range, a host, a path prefix, a literal the value must contain (searched for all rules
//! at once with one Aho-Corasick automaton per field), a regex (one `RegexSet` per
//! field), and last a method. Rules with no such condition are tested on every request.
//! A request's candidates are the rules under the keys it has, and each candidate is then
//! tested in full, so the index only saves work and never decides.

use std::net::IpAddr;

use aho_corasick::automaton::OverlappingState;
use aho_corasick::{AhoCorasick, Anchored, Input, MatchKind, StartKind};
use ipnet::IpNet;
use regex::bytes::{RegexSet, RegexSetBuilder};
use rustc_hash::FxHashMap;

use super::compile::{CompiledCondition, CompiledRule, Matcher, Target};
use super::eval::RequestView;

/// Shortest literal used as an index key; shorter ones match too many requests.
const MIN_LITERAL_BYTES: usize = 3;
/// Largest compiled size of one field's `RegexSet`. Past it, those rules are tested on
/// every request instead.
const MAX_REGEX_SET_BYTES: usize = 64 * 1024 * 1024;

#[derive(Debug, Default)]
pub(crate) struct RuleIndex {
    always: Vec<u32>,
    by_ip: FxHashMap<IpAddr, Vec<u32>>,
    /// One table per prefix length in use, keyed by the network address.
    by_cidr: Vec<(bool, u8, FxHashMap<IpAddr, Vec<u32>>)>,
    by_actor: FxHashMap<Box<[u8]>, Vec<u32>>,
    by_host: FxHashMap<Box<[u8]>, Vec<u32>>,
    by_method: FxHashMap<Box<[u8]>, Vec<u32>>,
    /// Anchored automaton over path prefixes; pattern `i` files `path_rules[i]`.
    path_prefixes: Option<AhoCorasick>,
    path_rules: Vec<Vec<u32>>,
    literals: Vec<LiteralIndex>,
    regexes: Vec<RegexIndex>,
}

/// A part of the request whose values literal and regex keys search.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Field {
    Host,
    Path,
    Method,
    /// A header, by its lower-case name.
    Header(String),
    Query(String),
    Body,
    Actor,
}

/// Literals of one field, searched in one pass: pattern `i` files `rules[i]`.
#[derive(Debug)]
struct LiteralIndex {
    field: Field,
    automaton: AhoCorasick,
    rules: Vec<Vec<u32>>,
}

/// Regexes of one field, matched in one pass: pattern `i` files `rules[i]`.
#[derive(Debug)]
struct RegexIndex {
    field: Field,
    set: RegexSet,
    rules: Vec<Vec<u32>>,
}

/// The key a rule is filed under.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Key {
    Ip(IpAddr),
    Actor(Vec<u8>),
    Cidr(IpNet),
    Host(Vec<u8>),
    PathPrefix(String),
    Literal { field: Field, literal: Vec<u8>, ignore_case: bool },
    Regex { field: Field, pattern: String },
    Method(Vec<u8>),
}

impl Key {
    /// Lower is more selective; among literals, longer ones are.
    fn rank(&self) -> (u8, usize) {
        match self {
            Key::Ip(_) | Key::Actor(_) => (0, 0),
            Key::Cidr(_) => (1, 0),
            Key::Host(_) => (2, 0),
            Key::PathPrefix(_) => (3, 0),
            Key::Literal { literal, .. } => (4, usize::MAX - literal.len()),
            Key::Regex { .. } => (5, 0),
            Key::Method(_) => (6, 0),
        }
    }
}

impl RuleIndex {
    pub fn build(rules: &[CompiledRule]) -> Self {
        let mut index = RuleIndex::default();
        let mut prefixes: FxHashMap<String, Vec<u32>> = FxHashMap::default();
        let mut literals: FxHashMap<(Field, bool), FxHashMap<Vec<u8>, Vec<u32>>> = FxHashMap::default();
        let mut regexes: FxHashMap<Field, FxHashMap<String, Vec<u32>>> = FxHashMap::default();
        for (i, rule) in rules.iter().enumerate() {
            let i = i as u32;
            match best_key(rule) {
                None => index.always.push(i),
                Some(Key::Ip(address)) => index.by_ip.entry(address).or_default().push(i),
                Some(Key::Actor(actor)) => index.by_actor.entry(actor.into()).or_default().push(i),
                Some(Key::Host(host)) => index.by_host.entry(host.into()).or_default().push(i),
                Some(Key::Method(method)) => index.by_method.entry(method.into()).or_default().push(i),
                Some(Key::PathPrefix(prefix)) => prefixes.entry(prefix).or_default().push(i),
                Some(Key::Literal { field, literal, ignore_case }) => {
                    literals.entry((field, ignore_case)).or_default().entry(literal).or_default().push(i)
                }
                Some(Key::Regex { field, pattern }) => {
                    regexes.entry(field).or_default().entry(pattern).or_default().push(i)
                }
                Some(Key::Cidr(net)) => {
                    let v4 = net.addr().is_ipv4();
                    let position =
                        index.by_cidr.iter().position(|(is_v4, len, _)| *is_v4 == v4 && *len == net.prefix_len());
                    let position = position.unwrap_or_else(|| {
                        index.by_cidr.push((v4, net.prefix_len(), FxHashMap::default()));
                        index.by_cidr.len() - 1
                    });
                    index.by_cidr[position].2.entry(net.network()).or_default().push(i);
                }
            }
        }

        // The automata and sets below are built from patterns that already compiled one
        // by one. Should one fail to build as a whole, its rules are tested on every
        // request, which stays correct.
        if !prefixes.is_empty() {
            let (patterns, rules): (Vec<String>, Vec<Vec<u32>>) = prefixes.into_iter().unzip();
            let automaton =
                AhoCorasick::builder().start_kind(StartKind::Anchored).match_kind(MatchKind::Standard).build(&patterns);
            match automaton {
                Ok(automaton) => {
                    index.path_prefixes = Some(automaton);
                    index.path_rules = rules;
                }
                Err(_) => index.always.extend(rules.into_iter().flatten()),
            }
        }
        for ((field, ignore_case), by_literal) in literals {
            let (patterns, rules): (Vec<Vec<u8>>, Vec<Vec<u32>>) = by_literal.into_iter().unzip();
            let automaton = AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .ascii_case_insensitive(ignore_case)
                .build(&patterns);
            match automaton {
                Ok(automaton) => index.literals.push(LiteralIndex { field, automaton, rules }),
                Err(_) => index.always.extend(rules.into_iter().flatten()),
            }
        }
        for (field, by_pattern) in regexes {
            let (patterns, rules): (Vec<String>, Vec<Vec<u32>>) = by_pattern.into_iter().unzip();
            let set = RegexSetBuilder::new(&patterns)
                .size_limit(MAX_REGEX_SET_BYTES)
                .dfa_size_limit(MAX_REGEX_SET_BYTES)
                .build();
            match set {
                Ok(set) => index.regexes.push(RegexIndex { field, set, rules }),
                Err(_) => index.always.extend(rules.into_iter().flatten()),
            }
        }
        index
    }

    /// Appends the candidate rules for `request` to `out`, sorted in rule set order and
    /// without duplicates.
    pub fn candidates(&self, request: &RequestView<'_>, out: &mut Vec<u32>) {
        out.extend_from_slice(&self.always);
        if let Some(ip) = request.client_ip {
            let ip = canonical(ip);
            if let Some(rules) = self.by_ip.get(&ip) {
                out.extend_from_slice(rules);
            }
            for (v4, len, table) in &self.by_cidr {
                if *v4 != ip.is_ipv4() {
                    continue;
                }
                let Ok(net) = IpNet::new(ip, *len) else { continue };
                if let Some(rules) = table.get(&net.network()) {
                    out.extend_from_slice(rules);
                }
            }
        }
        if let Some(actor) = request.actor
            && let Some(rules) = self.by_actor.get(actor.as_bytes())
        {
            out.extend_from_slice(rules);
        }
        if let Some(rules) = self.by_host.get(request.host.as_bytes()) {
            out.extend_from_slice(rules);
        }
        if let Some(rules) = self.by_method.get(request.method.as_bytes()) {
            out.extend_from_slice(rules);
        }
        if let Some(automaton) = &self.path_prefixes {
            // The overlapping iterator does not take anchored searches, but the stepwise
            // search does: it reports every pattern that is a prefix of the path.
            let input = Input::new(request.path).anchored(Anchored::Yes);
            let mut state = OverlappingState::start();
            while automaton.try_find_overlapping(input.clone(), &mut state).is_ok() {
                let Some(found) = state.get_match() else { break };
                out.extend_from_slice(&self.path_rules[found.pattern().as_usize()]);
            }
        }
        for literals in &self.literals {
            for_each_value(&literals.field, request, |value| {
                for found in literals.automaton.find_overlapping_iter(value) {
                    out.extend_from_slice(&literals.rules[found.pattern().as_usize()]);
                }
            });
        }
        for regexes in &self.regexes {
            for_each_value(&regexes.field, request, |value| {
                for matched in regexes.set.matches(value).iter() {
                    out.extend_from_slice(&regexes.rules[matched]);
                }
            });
        }
        out.sort_unstable();
        out.dedup();
    }
}

/// Calls `visit` with every value of `field` in `request`.
fn for_each_value(field: &Field, request: &RequestView<'_>, mut visit: impl FnMut(&[u8])) {
    match field {
        Field::Host => visit(request.host.as_bytes()),
        Field::Path => visit(request.path.as_bytes()),
        Field::Method => visit(request.method.as_bytes()),
        Field::Body => visit(request.body.unwrap_or_default()),
        Field::Actor => {
            if let Some(actor) = request.actor {
                visit(actor.as_bytes());
            }
        }
        Field::Header(name) => {
            for (header, value) in request.headers {
                if header.eq_ignore_ascii_case(name) {
                    visit(value);
                }
            }
        }
        Field::Query(name) => {
            for (param, value) in request.query {
                if param == name {
                    visit(value.as_bytes());
                }
            }
        }
    }
}

/// Converts an IPv4-mapped IPv6 address to IPv4, so it compares as IPv4.
pub(crate) fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Returns the best key of the conditions that every match of `rule` must meet.
fn best_key(rule: &CompiledRule) -> Option<Key> {
    let mut best: Option<Key> = None;
    for group in &rule.groups {
        if group.any && group.conditions.len() != 1 {
            continue;
        }
        for condition in &group.conditions {
            if let Some(key) = key_of(condition)
                && best.as_ref().is_none_or(|current| key.rank() < current.rank())
            {
                best = Some(key);
            }
        }
    }
    best
}

fn key_of(condition: &CompiledCondition) -> Option<Key> {
    if condition.negate {
        return None;
    }
    match (&condition.target, &condition.matcher) {
        (Target::Ip, Matcher::Cidr(net)) => {
            let full = if net.addr().is_ipv4() { 32 } else { 128 };
            if net.prefix_len() == full {
                Some(Key::Ip(canonical(net.addr())))
            } else if net.prefix_len() == 0 {
                None
            } else {
                Some(Key::Cidr(*net))
            }
        }
        (Target::Actor, Matcher::Equals(value)) => Some(Key::Actor(value.clone())),
        (Target::Host, Matcher::Equals(value)) => Some(Key::Host(value.clone())),
        (Target::Method, Matcher::Equals(value)) => Some(Key::Method(value.clone())),
        (Target::Path, Matcher::Equals(value) | Matcher::StartsWith(value, false)) if value.len() > 1 => {
            Some(Key::PathPrefix(String::from_utf8_lossy(value).into_owned()))
        }
        (Target::Endpoint { template, .. }, _) => {
            let prefix = template.literal_prefix();
            (prefix.len() > 1).then_some(Key::PathPrefix(prefix))
        }
        (target, matcher) => {
            let field = content_field(target)?;
            let (literal, ignore_case) = match matcher {
                Matcher::Regex(regex) => return Some(Key::Regex { field, pattern: regex.as_str().to_string() }),
                Matcher::Contains(finder) => (finder.needle().to_vec(), false),
                Matcher::ContainsIgnoreCase(_, literal) => (literal.clone(), true),
                Matcher::Equals(value) => (value.clone(), false),
                Matcher::EqualsIgnoreCase(value) => (value.clone(), true),
                Matcher::StartsWith(value, ignore_case) | Matcher::EndsWith(value, ignore_case) => {
                    (value.clone(), *ignore_case)
                }
                Matcher::Cidr(_) | Matcher::Template => return None,
            };
            (literal.len() >= MIN_LITERAL_BYTES).then_some(Key::Literal { field, literal, ignore_case })
        }
    }
}

/// The field that literal and regex keys search for a condition target.
fn content_field(target: &Target) -> Option<Field> {
    Some(match target {
        Target::Host => Field::Host,
        Target::Path => Field::Path,
        Target::Method => Field::Method,
        Target::Header(name) => Field::Header(name.clone()),
        Target::Query(name) => Field::Query(name.clone()),
        Target::Body => Field::Body,
        Target::Actor => Field::Actor,
        Target::Ip | Target::Endpoint { .. } => return None,
    })
}
