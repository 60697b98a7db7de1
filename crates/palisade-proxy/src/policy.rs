//! Automatic block rules made from detections.
//!
//! A policy watches findings: when one key (an actor or a client IP) collects `count`
//! findings of the listed classes at or above a confidence within `within_secs`, the
//! policy returns a block rule for that key. The server stores the rule and the rule feed
//! hands it to proxies. Policies default to monitor mode, so a new policy shows what it
//! would block before it blocks anything.
//!
//! ```yaml
//! policies:
//!   - name: injection-burst
//!     when: {classes: [sqli, xss], min_confidence: high, count: 5, within_secs: 600}
//!     action: {block_secs: 3600}
//!     key: actor
//!     mode: monitor
//! ```

use std::collections::VecDeque;

use palisade_core::finding::{Confidence, Finding};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::rules::{
    Action, BlockAction, BlockRule, Condition, ConditionGroup, Field, Mode, Operator, Origin, Timestamp,
};

/// Default of [`PolicyConfig::max_keys_per_policy`].
pub const DEFAULT_MAX_KEYS_PER_POLICY: usize = 10_000;

/// The `policies:` settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    #[serde(default)]
    pub policies: Vec<PolicySpec>,
    /// Most keys one policy tracks at once. When full, keys with no recent findings go
    /// first, then arbitrary ones that have not made a rule.
    #[serde(default = "default_max_keys")]
    pub max_keys_per_policy: usize,
}

fn default_max_keys() -> usize {
    DEFAULT_MAX_KEYS_PER_POLICY
}

impl Default for PolicyConfig {
    fn default() -> Self {
        Self { policies: Vec::new(), max_keys_per_policy: DEFAULT_MAX_KEYS_PER_POLICY }
    }
}

/// One policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    /// Letters, digits, `-`, `_` and `.`; rules made by the policy have origin
    /// `policy:NAME`.
    pub name: String,
    pub when: PolicyWhen,
    #[serde(default)]
    pub action: PolicyAction,
    #[serde(default)]
    pub key: PolicyKey,
    /// Mode of the rules the policy makes.
    #[serde(default)]
    pub mode: Mode,
}

/// Finding filter and threshold of a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyWhen {
    /// Finding classes such as `sqli` or `credential_stuffing`; every class when empty.
    #[serde(default)]
    pub classes: Vec<String>,
    #[serde(default = "default_confidence")]
    pub min_confidence: Confidence,
    /// Findings from one key that make a rule.
    #[serde(default = "default_count")]
    pub count: u32,
    pub within_secs: u32,
}

fn default_confidence() -> Confidence {
    Confidence::High
}

fn default_count() -> u32 {
    1
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyAction {
    /// How long the rule blocks; until it is removed when absent.
    pub block_secs: Option<u32>,
}

/// Key that a policy counts findings by, and that its rules match.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyKey {
    /// The actor id of the finding (API key, user, session or IP).
    #[default]
    Actor,
    /// The client IP of the finding.
    Ip,
}

/// An invalid policy.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PolicyError {
    #[error("invalid policy file: {0}")]
    Yaml(String),
    #[error("invalid policies[{index}] ({name:?}): {problem}")]
    Invalid { index: usize, name: String, problem: String },
    #[error("duplicate policy name {0:?}: names must be unique")]
    DuplicateName(String),
}

impl PolicyConfig {
    /// Parses a YAML document with a `policies:` list.
    pub fn from_yaml(text: &str) -> Result<Self, PolicyError> {
        serde_saphyr::from_str(text).map_err(|error| PolicyError::Yaml(error.to_string()))
    }
}

/// A finding as policies read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FindingEvent<'a> {
    pub at_ms: i64,
    pub class: &'a str,
    pub confidence: Confidence,
    /// Actor id such as `user:alice`.
    pub actor: Option<&'a str>,
    pub ip: Option<&'a str>,
}

impl<'a> FindingEvent<'a> {
    /// Builds the event of a stored finding; `ip` is the client IP of its trace, which findings
    /// do not carry.
    pub fn from_finding(finding: &'a Finding, ip: Option<&'a str>) -> Self {
        Self {
            at_ms: finding.at_ms,
            class: &finding.class,
            confidence: finding.confidence,
            actor: finding.actor.as_deref(),
            ip,
        }
    }
}

/// One compiled policy with its per-key state.
#[derive(Debug)]
pub struct Policy {
    spec: PolicySpec,
    max_keys: usize,
    keys: FxHashMap<String, KeyState>,
}

#[derive(Debug, Default)]
struct KeyState {
    /// Times of the latest findings, at most `count` of them, oldest first.
    times: VecDeque<i64>,
    /// A rule made for this key applies until then; no new rule is made before.
    rule_until_ms: i64,
}

impl Policy {
    /// Checks `spec` and creates the policy with empty state.
    pub fn new(spec: PolicySpec, max_keys: usize) -> Result<Self, PolicyError> {
        validate(&spec, 0)?;
        Ok(Self { spec, max_keys: max_keys.max(1), keys: FxHashMap::default() })
    }

    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// Keys tracked now.
    pub fn tracked_keys(&self) -> usize {
        self.keys.len()
    }

    /// Records one finding and returns a new rule when its key crossed the threshold.
    /// While a rule made for the key still applies, no second one is made.
    pub fn observe(&mut self, event: &FindingEvent<'_>) -> Option<BlockRule> {
        let when = &self.spec.when;
        let window_ms = i64::from(when.within_secs) * 1000;
        let count = when.count as usize;
        if event.confidence < when.min_confidence {
            return None;
        }
        if !when.classes.is_empty() && !when.classes.iter().any(|class| class == event.class) {
            return None;
        }
        let key = match self.spec.key {
            PolicyKey::Actor => event.actor,
            PolicyKey::Ip => event.ip,
        }?;
        if key.is_empty() {
            return None;
        }

        if !self.keys.contains_key(key) && self.keys.len() >= self.max_keys {
            self.make_room(event.at_ms);
        }
        let state = self.keys.entry(key.to_string()).or_default();
        if state.rule_until_ms > event.at_ms {
            return None;
        }
        state.times.push_back(event.at_ms);
        while state.times.front().is_some_and(|&t| t <= event.at_ms - window_ms) || state.times.len() > count {
            state.times.pop_front();
        }
        if state.times.len() < count {
            return None;
        }

        state.times.clear();
        let block_ms = self.spec.action.block_secs.map(|secs| i64::from(secs) * 1000);
        state.rule_until_ms = block_ms.map_or(i64::MAX, |ms| event.at_ms.saturating_add(ms));
        Some(self.rule_for(key, event.at_ms, block_ms))
    }

    fn rule_for(&self, key: &str, at_ms: i64, block_ms: Option<i64>) -> BlockRule {
        let spec = &self.spec;
        let field = match spec.key {
            PolicyKey::Actor => Field::Actor,
            PolicyKey::Ip => Field::Ip,
        };
        let classes = if spec.when.classes.is_empty() { "any class".to_string() } else { spec.when.classes.join(", ") };
        let reason = format!(
            "{} finding{} ({classes}) at {} confidence or higher within {} s from {} {key}",
            spec.when.count,
            if spec.when.count == 1 { "" } else { "s" },
            spec.when.min_confidence.as_str(),
            spec.when.within_secs,
            match spec.key {
                PolicyKey::Actor => "actor",
                PolicyKey::Ip => "IP",
            },
        );
        let key_hash = xxhash_rust::xxh3::xxh3_64(key.as_bytes());
        BlockRule {
            id: format!("policy-{}-{key_hash:016x}-{at_ms}", spec.name),
            mode: spec.mode,
            reason,
            origin: Origin::Policy(spec.name.clone()),
            created_at: Timestamp(at_ms),
            expires_at: block_ms.map(|ms| Timestamp(at_ms.saturating_add(ms))),
            conditions: vec![ConditionGroup::All(vec![Condition {
                field,
                name: None,
                op: Operator::Equals,
                value: key.to_string(),
                negate: false,
                ignore_case: false,
            }])],
            action: Action::Block(BlockAction { until: None }),
        }
    }

    /// Drops keys whose findings are all outside the window and that have no applying
    /// rule; if none are, drops arbitrary keys without an applying rule.
    fn make_room(&mut self, now_ms: i64) {
        let window_ms = i64::from(self.spec.when.within_secs) * 1000;
        self.keys.retain(|_, state| {
            state.rule_until_ms > now_ms || state.times.back().is_some_and(|&t| t > now_ms - window_ms)
        });
        if self.keys.len() < self.max_keys {
            return;
        }
        let excess = self.keys.len() + 1 - self.max_keys + self.max_keys / 8;
        let victims: Vec<String> = self
            .keys
            .iter()
            .filter(|(_, state)| state.rule_until_ms <= now_ms)
            .map(|(key, _)| key.clone())
            .take(excess)
            .collect();
        for key in victims {
            self.keys.remove(&key);
        }
    }
}

/// Every policy of a configuration.
#[derive(Debug)]
pub struct PolicySet {
    policies: Vec<Policy>,
}

impl PolicySet {
    pub fn new(config: &PolicyConfig) -> Result<Self, PolicyError> {
        let mut policies = Vec::with_capacity(config.policies.len());
        for (index, spec) in config.policies.iter().enumerate() {
            validate(spec, index)?;
            if policies.iter().any(|p: &Policy| p.name() == spec.name) {
                return Err(PolicyError::DuplicateName(spec.name.clone()));
            }
            policies.push(Policy::new(spec.clone(), config.max_keys_per_policy)?);
        }
        Ok(Self { policies })
    }

    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }

    /// Records one finding in every policy and returns the rules they made.
    pub fn observe(&mut self, event: &FindingEvent<'_>) -> Vec<BlockRule> {
        self.policies.iter_mut().filter_map(|policy| policy.observe(event)).collect()
    }
}

fn validate(spec: &PolicySpec, index: usize) -> Result<(), PolicyError> {
    let invalid = |problem: &str| PolicyError::Invalid { index, name: spec.name.clone(), problem: problem.to_string() };
    let name_ok = !spec.name.is_empty()
        && spec.name.len() <= 64
        && spec.name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if !name_ok {
        return Err(invalid("invalid name: expected 1 to 64 letters, digits, '-', '_' or '.'"));
    }
    // Findings come from the signature classes and the behaviour classes; a class that is
    // neither would make a policy that never fires.
    for class in &spec.when.classes {
        let known = palisade_detect::AttackClass::parse(class).is_some()
            || palisade_analyze::behaviour::classes::ALL.contains(&class.as_str());
        if !known {
            return Err(invalid(&format!(
                "unknown class {class:?}: expected an attack class such as sqli or a behaviour class such as \
                 credential_stuffing (`palisade config rules` lists the attack classes)"
            )));
        }
    }
    if spec.when.count == 0 {
        return Err(invalid("invalid when.count of 0: expected at least 1"));
    }
    if spec.when.count > 10_000 {
        return Err(invalid("invalid when.count: expected at most 10000"));
    }
    if spec.when.within_secs == 0 {
        return Err(invalid("invalid when.within_secs of 0: expected at least 1"));
    }
    if spec.action.block_secs == Some(0) {
        return Err(invalid(
            "invalid action.block_secs of 0: expected at least 1, or leave it out to block until removed",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{DecisionAction, RateState, RequestView, RuleLimits, RuleSet};

    const POLICY: &str = "
policies:
  - name: injection-burst
    when: {classes: [sqli, xss], min_confidence: high, count: 3, within_secs: 60}
    action: {block_secs: 3600}
    key: actor
";

    fn event(at_ms: i64, class: &str, confidence: Confidence, actor: &'static str) -> FindingEvent<'static> {
        let class: &'static str = Box::leak(class.to_string().into_boxed_str());
        FindingEvent { at_ms, class, confidence, actor: Some(actor), ip: Some("203.0.113.9") }
    }

    fn policies() -> PolicySet {
        PolicySet::new(&PolicyConfig::from_yaml(POLICY).unwrap()).unwrap()
    }

    #[test]
    fn threshold_crossing_makes_one_rule() {
        let mut set = policies();
        let high = Confidence::High;
        // (time, class, confidence, actor, makes a rule)
        let steps = [
            (0, "sqli", high, "user:alice", false),
            (1_000, "xss", high, "user:alice", false),
            (2_000, "sqli", Confidence::Medium, "user:alice", false),
            (3_000, "path_traversal", high, "user:alice", false),
            (4_000, "sqli", high, "user:bob", false),
            (5_000, "sqli", high, "user:alice", true),
            (6_000, "sqli", high, "user:alice", false),
            (7_000, "sqli", high, "user:alice", false),
            (8_000, "sqli", high, "user:alice", false),
        ];
        for (at, class, confidence, actor, expected) in steps {
            let rules = set.observe(&event(at, class, confidence, actor));
            assert_eq!(rules.len(), usize::from(expected), "at {at} ms");
        }
    }

    #[test]
    fn findings_outside_the_window_do_not_count() {
        let mut set = policies();
        let high = Confidence::High;
        assert!(set.observe(&event(0, "sqli", high, "user:alice")).is_empty());
        assert!(set.observe(&event(1_000, "sqli", high, "user:alice")).is_empty());
        // 60 s after the first finding it has left the window: two remain.
        assert!(set.observe(&event(60_000, "sqli", high, "user:alice")).is_empty());
        assert_eq!(set.observe(&event(60_500, "sqli", high, "user:alice")).len(), 1);
    }

    #[test]
    fn made_rule_matches_the_actor() {
        let mut set = policies();
        let mut rules = Vec::new();
        for at in 0..3 {
            rules = set.observe(&event(at * 1000, "sqli", Confidence::High, "user:alice"));
        }
        let rule = rules.pop().unwrap();
        assert_eq!(rule.origin, Origin::Policy("injection-burst".into()));
        assert_eq!(rule.mode, Mode::Monitor);
        assert_eq!(rule.created_at, Timestamp(2_000));
        assert_eq!(rule.expires_at, Some(Timestamp(3_602_000)));
        assert!(rule.reason.contains("user:alice"), "{}", rule.reason);

        let compiled = RuleSet::compile(std::slice::from_ref(&rule), &RuleLimits::default()).unwrap();
        let alice =
            RequestView { method: "GET", host: "h", path: "/", actor: Some("user:alice"), ..Default::default() };
        let bob = RequestView { actor: Some("user:bob"), ..alice };
        let decision = compiled.evaluate(&alice, 3_000, &mut RateState::default());
        assert_eq!(decision.action, DecisionAction::Monitor(rule.id.as_str().into()));
        assert_eq!(compiled.evaluate(&bob, 3_000, &mut RateState::default()).action, DecisionAction::Allow);
        assert_eq!(compiled.evaluate(&alice, 3_602_000, &mut RateState::default()).action, DecisionAction::Allow);
    }

    #[test]
    fn new_rule_after_the_block_ends() {
        let spec = "policies: [{name: p, when: {count: 1, within_secs: 10}, action: {block_secs: 5}, key: ip}]";
        let mut set = PolicySet::new(&PolicyConfig::from_yaml(spec).unwrap()).unwrap();
        let high = Confidence::High;
        assert_eq!(set.observe(&event(0, "ssrf", high, "user:a")).len(), 1);
        assert!(set.observe(&event(4_999, "ssrf", high, "user:a")).is_empty());
        let rules = set.observe(&event(5_000, "ssrf", high, "user:a"));
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].conditions[0].conditions()[0].field, Field::Ip);
        assert_eq!(rules[0].conditions[0].conditions()[0].value, "203.0.113.9");
    }

    #[test]
    fn state_stays_bounded() {
        let spec = PolicySpec {
            name: "p".into(),
            when: PolicyWhen { classes: vec![], min_confidence: Confidence::Low, count: 2, within_secs: 3600 },
            action: PolicyAction::default(),
            key: PolicyKey::Actor,
            mode: Mode::Monitor,
        };
        let mut policy = Policy::new(spec, 100).unwrap();
        for i in 0..5_000 {
            let actor: &'static str = Box::leak(format!("user:{i}").into_boxed_str());
            policy.observe(&FindingEvent {
                at_ms: i,
                class: "sqli",
                confidence: Confidence::Low,
                actor: Some(actor),
                ip: None,
            });
            assert!(policy.tracked_keys() <= 100, "{} keys after {i}", policy.tracked_keys());
        }
    }

    #[test]
    fn invalid_policies_are_rejected() {
        let cases = [
            ("policies: [{name: 'a b', when: {within_secs: 1}}]", "invalid name"),
            ("policies: [{name: a, when: {count: 0, within_secs: 1}}]", "when.count of 0"),
            ("policies: [{name: a, when: {within_secs: 0}}]", "within_secs of 0"),
            ("policies: [{name: a, when: {classes: [SQLi], within_secs: 1}}]", "unknown class \"SQLi\""),
            ("policies: [{name: a, when: {classes: [sqli, sqlinjection], within_secs: 1}}]", "unknown class"),
            ("policies: [{name: a, when: {within_secs: 1}, action: {block_secs: 0}}]", "block_secs of 0"),
            (
                "policies: [{name: a, when: {within_secs: 1}}, {name: a, when: {within_secs: 1}}]",
                "duplicate policy name",
            ),
        ];
        for (text, expected) in cases {
            let error = PolicyConfig::from_yaml(text).and_then(|config| PolicySet::new(&config)).unwrap_err();
            assert!(error.to_string().contains(expected), "{text}: {error}");
        }
        let known = "policies: [{name: a, when: {classes: [path_traversal, credential_stuffing], within_secs: 1}}]";
        assert!(PolicySet::new(&PolicyConfig::from_yaml(known).unwrap()).is_ok(), "attack and behaviour classes");
        let error = PolicyConfig::from_yaml("policies: [{name: a, when: {within_secs: 1}, colour: red}]").unwrap_err();
        assert!(error.to_string().contains("colour"), "{error}");
    }

    #[test]
    fn defaults_are_monitor_actor_high() {
        let config = PolicyConfig::from_yaml("policies: [{name: a, when: {within_secs: 60}}]").unwrap();
        let spec = &config.policies[0];
        assert_eq!(spec.mode, Mode::Monitor);
        assert_eq!(spec.key, PolicyKey::Actor);
        assert_eq!(spec.when.min_confidence, Confidence::High);
        assert_eq!(spec.when.count, 1);
        assert_eq!(spec.action.block_secs, None);
    }
}
