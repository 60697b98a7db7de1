//! Evaluation of a request against a [`RuleSet`].

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use super::compile::{CompiledAction, CompiledCondition, CompiledRule, Matcher, RuleSet, Target};
use super::index::canonical;
use super::model::{Mode, RateKey};
use super::rate::{RateOutcome, RateParams, RateState};

/// The parts of a request that rules read. The caller prepares the parts that
/// [`RuleSet::needs`] lists; the others may stay empty.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestView<'a> {
    /// Upper-case method.
    pub method: &'a str,
    /// Host name in lower case, without the port.
    pub host: &'a str,
    /// Path as [`crate::rules::normalize_path`] returns it.
    pub path: &'a str,
    /// Headers as (name, value); names compare without ASCII case.
    pub headers: &'a [(&'a str, &'a [u8])],
    /// Percent-decoded query parameters as (name, value).
    pub query: &'a [(&'a str, &'a str)],
    /// The start of the body, when it was read.
    pub body: Option<&'a [u8]>,
    pub client_ip: Option<IpAddr>,
    /// Actor id such as `user:alice`.
    pub actor: Option<&'a str>,
    /// A stable identifier of the session cookie, when the request has one.
    pub session: Option<&'a str>,
}

/// Decision about one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub action: DecisionAction,
    /// Set when a rate limit decided the action; the key is limited until this time.
    pub limited_until_ms: Option<i64>,
    /// Every monitor-mode rule that matched, in rule set order. When `action` is
    /// `Monitor`, its rule is the first of these.
    pub monitored: Vec<Arc<str>>,
}

/// The outcome of a [`Decision`], naming the deciding rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecisionAction {
    Allow,
    /// A monitor-mode rule matched: forward the request, log and count the match.
    Monitor(Arc<str>),
    /// A block-mode rule matched: reject the request.
    Block(Arc<str>),
}

impl Decision {
    pub fn allow() -> Self {
        Self { action: DecisionAction::Allow, limited_until_ms: None, monitored: Vec::new() }
    }

    pub fn is_blocked(&self) -> bool {
        matches!(self.action, DecisionAction::Block(_))
    }
}

impl RuleSet {
    /// Evaluates `request` at `now_ms` (milliseconds since the Unix epoch). Rules are
    /// tested in rule set order. The first block-mode match decides, and later rules are
    /// not tested, so their rate limits do not count the request. Every monitor-mode
    /// match is collected. Rules past their end time are skipped.
    pub fn evaluate(&self, request: &RequestView<'_>, now_ms: i64, rate: &mut RateState) -> Decision {
        self.evaluate_with(request, now_ms, |rule, key, params| rate.hit(rule, key, params, now_ms))
    }

    /// Evaluates like [`RuleSet::evaluate`], locking `rate` only while a rate limit
    /// counts, so threads share one counter table.
    pub fn evaluate_shared(&self, request: &RequestView<'_>, now_ms: i64, rate: &Mutex<RateState>) -> Decision {
        self.evaluate_with(request, now_ms, |rule, key, params| {
            let mut state = rate.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            state.hit(rule, key, params, now_ms)
        })
    }

    fn evaluate_with(
        &self,
        request: &RequestView<'_>,
        now_ms: i64,
        mut hit: impl FnMut(u64, u64, &RateParams) -> RateOutcome,
    ) -> Decision {
        let mut decision = Decision::allow();
        if self.rules.is_empty() {
            return decision;
        }
        let mut candidates = Vec::with_capacity(8);
        self.index.candidates(request, &mut candidates);

        for i in candidates {
            let rule = &self.rules[i as usize];
            if rule.ends_ms.is_some_and(|end| end <= now_ms) || !rule_matches(rule, request) {
                continue;
            }
            let limited_until_ms = match &rule.action {
                CompiledAction::Block => None,
                CompiledAction::RateLimit { params, key } => {
                    let key_hash = rate_key_hash(*key, request);
                    match hit(rule.id_hash, key_hash, params) {
                        RateOutcome::Counted => continue,
                        RateOutcome::Limited { until_ms } => Some(until_ms),
                    }
                }
            };
            match rule.mode {
                Mode::Block => {
                    decision.action = DecisionAction::Block(rule.id.clone());
                    decision.limited_until_ms = limited_until_ms;
                    return decision;
                }
                Mode::Monitor => {
                    if decision.monitored.is_empty() {
                        decision.action = DecisionAction::Monitor(rule.id.clone());
                        decision.limited_until_ms = limited_until_ms;
                    }
                    decision.monitored.push(rule.id.clone());
                }
            }
        }
        decision
    }
}

fn rule_matches(rule: &CompiledRule, request: &RequestView<'_>) -> bool {
    rule.groups.iter().all(|group| {
        if group.any {
            group.conditions.iter().any(|condition| condition_matches(condition, request))
        } else {
            group.conditions.iter().all(|condition| condition_matches(condition, request))
        }
    })
}

/// Tests one condition. A missing value (no such header, no client IP) does not match,
/// so a negated condition on it does.
fn condition_matches(condition: &CompiledCondition, request: &RequestView<'_>) -> bool {
    let matcher = &condition.matcher;
    let found = match &condition.target {
        Target::Host => matcher.test(request.host.as_bytes()),
        Target::Path => matcher.test(request.path.as_bytes()),
        Target::Method => matcher.test(request.method.as_bytes()),
        Target::Body => matcher.test(request.body.unwrap_or_default()),
        Target::Actor => request.actor.is_some_and(|actor| matcher.test(actor.as_bytes())),
        Target::Header(name) => request
            .headers
            .iter()
            .filter(|(header, _)| header.eq_ignore_ascii_case(name))
            .any(|(_, value)| matcher.test(value)),
        Target::Query(name) => {
            request.query.iter().filter(|(param, _)| param == name).any(|(_, value)| matcher.test(value.as_bytes()))
        }
        Target::Ip => match (matcher, request.client_ip) {
            (Matcher::Cidr(net), Some(ip)) => net.contains(&canonical(ip)),
            _ => false,
        },
        Target::Endpoint { method, template } => {
            method.as_deref().is_none_or(|m| m == request.method) && template.matches(request.path)
        }
    };
    found != condition.negate
}

impl Matcher {
    fn test(&self, value: &[u8]) -> bool {
        match self {
            Matcher::Equals(expected) => value == expected.as_slice(),
            Matcher::EqualsIgnoreCase(expected) => value.eq_ignore_ascii_case(expected),
            Matcher::Contains(finder) => finder.find(value).is_some(),
            Matcher::ContainsIgnoreCase(automaton, _) => automaton.is_match(value),
            Matcher::StartsWith(prefix, ignore_case) => {
                value.len() >= prefix.len() && compare(&value[..prefix.len()], prefix, *ignore_case)
            }
            Matcher::EndsWith(suffix, ignore_case) => {
                value.len() >= suffix.len() && compare(&value[value.len() - suffix.len()..], suffix, *ignore_case)
            }
            Matcher::Regex(regex) => regex.is_match(value),
            Matcher::Cidr(_) | Matcher::Template => false,
        }
    }
}

fn compare(a: &[u8], b: &[u8], ignore_case: bool) -> bool {
    if ignore_case { a.eq_ignore_ascii_case(b) } else { a == b }
}

/// Returns the hash that names the counter of a request under a rate limit. Requests without
/// the key's value count by client IP, and requests without a client IP share one key.
fn rate_key_hash(key: RateKey, request: &RequestView<'_>) -> u64 {
    use xxhash_rust::xxh3::xxh3_64;

    let by_ip = || match request.client_ip.map(canonical) {
        Some(IpAddr::V4(v4)) => xxh3_64(&v4.octets()),
        Some(IpAddr::V6(v6)) => xxh3_64(&v6.octets()),
        None => 0,
    };
    match key {
        RateKey::Ip => by_ip(),
        RateKey::Actor => request.actor.map_or_else(by_ip, |actor| xxh3_64(actor.as_bytes())),
        RateKey::Session => request.session.map_or_else(by_ip, |session| xxh3_64(session.as_bytes())),
    }
}
