//! Compilation of block rules into a [`RuleSet`]: values checked, regexes built within
//! size limits, rules indexed.

use std::net::IpAddr;
use std::sync::Arc;

use aho_corasick::AhoCorasick;
use ipnet::IpNet;
use memchr::memmem;
use regex::bytes::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::index::RuleIndex;
use super::model::{Action, BlockRule, Condition, ConditionGroup, Field, Mode, Operator, RateKey};
use super::path::Template;
use super::rate::RateParams;

/// Limits on a rule set, from the `rules:` section of the proxy configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuleLimits {
    /// Maximum rules in one rule set.
    pub max_rules: usize,
    /// Maximum conditions in one rule, over all its groups.
    pub max_conditions_per_rule: usize,
    /// Maximum length of a condition value (and regex pattern), in bytes.
    pub max_value_bytes: usize,
    /// Largest compiled form of one regex, in bytes. A pattern such as `(a{1000}){1000}`
    /// passes it and is rejected.
    pub max_regex_bytes: usize,
}

impl Default for RuleLimits {
    fn default() -> Self {
        Self { max_rules: 10_000, max_conditions_per_rule: 64, max_value_bytes: 4096, max_regex_bytes: 256 * 1024 }
    }
}

/// A rule that cannot be compiled. Each variant names the rule and where in it the
/// problem is, such as `conditions[1].any[0]`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RuleError {
    #[error("invalid rule {rule_id:?} at {location}: {problem}")]
    Invalid { rule_id: String, location: String, problem: String },
    #[error("invalid regex in rule {rule_id:?} at {location}, column {column} of the pattern: {problem}")]
    RegexSyntax { rule_id: String, location: String, column: usize, problem: String },
    #[error(
        "regex in rule {rule_id:?} at {location} compiles to more than {max} bytes (max_regex_bytes): simplify the pattern or raise the limit"
    )]
    RegexTooBig { rule_id: String, location: String, max: usize },
    #[error("duplicate rule id {0:?}: rule ids must be unique")]
    DuplicateId(String),
    #[error("rule set has {count} rules, more than the limit of {max} (max_rules)")]
    TooManyRules { count: usize, max: usize },
}

/// Compiled rules, ready to evaluate requests. Built once per rule set version and
/// shared between threads.
#[derive(Debug)]
pub struct RuleSet {
    pub(crate) rules: Vec<CompiledRule>,
    pub(crate) index: RuleIndex,
    pub(crate) needs: Needs,
}

/// Parts of a request that a rule set reads, so the proxy prepares only those.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    pub headers: bool,
    pub query: bool,
    pub body: bool,
    pub actor: bool,
    pub session: bool,
}

#[derive(Debug)]
pub(crate) struct CompiledRule {
    pub id: Arc<str>,
    /// Hash of the id, naming the rule's rate counters across rule set versions.
    pub id_hash: u64,
    pub mode: Mode,
    /// The rule stops applying at this time: the earlier of `expires_at` and a block's
    /// `until`.
    pub ends_ms: Option<i64>,
    pub groups: Vec<CompiledGroup>,
    pub action: CompiledAction,
}

#[derive(Debug)]
pub(crate) struct CompiledGroup {
    pub any: bool,
    pub conditions: Vec<CompiledCondition>,
}

#[derive(Debug)]
pub(crate) struct CompiledCondition {
    pub target: Target,
    pub matcher: Matcher,
    pub negate: bool,
}

#[derive(Debug)]
pub(crate) enum Target {
    Host,
    Path,
    /// An endpoint template, with its method when the value named one.
    Endpoint {
        method: Option<String>,
        template: Template,
    },
    Method,
    /// A header, by its lower-case name.
    Header(String),
    Query(String),
    Body,
    Ip,
    Actor,
}

#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // one matcher per condition; boxing buys nothing
pub(crate) enum Matcher {
    Equals(Vec<u8>),
    EqualsIgnoreCase(Vec<u8>),
    Contains(memmem::Finder<'static>),
    /// The automaton, and the literal it searches for.
    ContainsIgnoreCase(AhoCorasick, Vec<u8>),
    StartsWith(Vec<u8>, bool),
    EndsWith(Vec<u8>, bool),
    Regex(Regex),
    Cidr(IpNet),
    /// Endpoint conditions test the template in [`Target::Endpoint`].
    Template,
}

#[derive(Debug)]
pub(crate) enum CompiledAction {
    Block,
    RateLimit { params: RateParams, key: RateKey },
}

impl RuleSet {
    /// Returns an empty rule set, which allows every request.
    pub fn empty() -> Self {
        Self { rules: Vec::new(), index: RuleIndex::default(), needs: Needs::default() }
    }

    /// Compiles `rules`. Fails on the first invalid rule, so a rule set is used whole or
    /// not at all.
    pub fn compile(rules: &[BlockRule], limits: &RuleLimits) -> Result<Self, RuleError> {
        if rules.len() > limits.max_rules {
            return Err(RuleError::TooManyRules { count: rules.len(), max: limits.max_rules });
        }
        let mut seen = rustc_hash::FxHashSet::default();
        let mut compiled = Vec::with_capacity(rules.len());
        let mut needs = Needs::default();
        for rule in rules {
            if !seen.insert(rule.id.as_str()) {
                return Err(RuleError::DuplicateId(rule.id.clone()));
            }
            let rule = compile_rule(rule, limits)?;
            needs.add(&rule);
            compiled.push(rule);
        }
        let index = RuleIndex::build(&compiled);
        Ok(Self { rules: compiled, index, needs })
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub fn needs(&self) -> Needs {
        self.needs
    }

    /// Ids of the rules, in rule set order.
    pub fn rule_ids(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().map(|rule| rule.id.as_ref())
    }
}

impl Needs {
    fn add(&mut self, rule: &CompiledRule) {
        for condition in rule.groups.iter().flat_map(|group| &group.conditions) {
            match condition.target {
                Target::Header(_) => self.headers = true,
                Target::Query(_) => self.query = true,
                Target::Body => self.body = true,
                Target::Actor => self.actor = true,
                _ => {}
            }
        }
        if let CompiledAction::RateLimit { key, .. } = rule.action {
            match key {
                RateKey::Actor => self.actor = true,
                RateKey::Session => self.session = true,
                RateKey::Ip => {}
            }
        }
    }
}

fn compile_rule(rule: &BlockRule, limits: &RuleLimits) -> Result<CompiledRule, RuleError> {
    let invalid = |location: &str, problem: String| RuleError::Invalid {
        rule_id: rule.id.clone(),
        location: location.to_string(),
        problem,
    };
    if rule.id.is_empty() || rule.id.len() > 128 || rule.id.chars().any(char::is_control) {
        return Err(invalid("id", "expected 1 to 128 characters without control characters".into()));
    }

    let total: usize = rule.conditions.iter().map(|group| group.conditions().len()).sum();
    if total > limits.max_conditions_per_rule {
        return Err(invalid(
            "conditions",
            format!(
                "{total} conditions, more than the limit of {} (max_conditions_per_rule)",
                limits.max_conditions_per_rule
            ),
        ));
    }

    let mut groups = Vec::with_capacity(rule.conditions.len());
    for (g, group) in rule.conditions.iter().enumerate() {
        if group.conditions().is_empty() {
            return Err(invalid(&format!("conditions[{g}]"), "empty group: give at least one condition".into()));
        }
        let mut conditions = Vec::with_capacity(group.conditions().len());
        for (c, condition) in group.conditions().iter().enumerate() {
            let location = format!("conditions[{g}].{}[{c}]", group.kind());
            conditions.push(compile_condition(rule, condition, &location, limits)?);
        }
        groups.push(CompiledGroup { any: matches!(group, ConditionGroup::Any(_)), conditions });
    }

    let mut ends_ms = rule.expires_at.map(|t| t.ms());
    let action = match &rule.action {
        Action::Block(block) => {
            if let Some(until) = block.until {
                ends_ms = Some(ends_ms.map_or(until.ms(), |end| end.min(until.ms())));
            }
            CompiledAction::Block
        }
        Action::RateLimit(limit) => {
            let positive =
                [("threshold", limit.threshold), ("window_secs", limit.window_secs), ("block_secs", limit.block_secs)];
            for (name, value) in positive {
                if value == 0 {
                    return Err(invalid(&format!("action.rate_limit.{name}"), "expected at least 1".into()));
                }
            }
            let params =
                RateParams { threshold: limit.threshold, window_secs: limit.window_secs, block_secs: limit.block_secs };
            CompiledAction::RateLimit { params, key: limit.key }
        }
    };

    Ok(CompiledRule {
        id: Arc::from(rule.id.as_str()),
        id_hash: xxhash_rust::xxh3::xxh3_64(rule.id.as_bytes()),
        mode: rule.mode,
        ends_ms,
        groups,
        action,
    })
}

fn compile_condition(
    rule: &BlockRule,
    condition: &Condition,
    location: &str,
    limits: &RuleLimits,
) -> Result<CompiledCondition, RuleError> {
    let invalid =
        |problem: String| RuleError::Invalid { rule_id: rule.id.clone(), location: location.to_string(), problem };
    let field = condition.field;
    let op = condition.op;
    let value = condition.value.as_str();
    if value.len() > limits.max_value_bytes {
        return Err(invalid(format!(
            "value of {} bytes is longer than the limit of {} (max_value_bytes)",
            value.len(),
            limits.max_value_bytes
        )));
    }

    // Names belong to header and query conditions only.
    let name = match (field, &condition.name) {
        (Field::Header | Field::Query, Some(name)) if !name.is_empty() => Some(name.as_str()),
        (Field::Header | Field::Query, _) => {
            return Err(invalid(format!(
                "missing name: a {} condition needs the {} name",
                field.as_str(),
                field.as_str()
            )));
        }
        (_, Some(_)) => return Err(invalid("unexpected name: only header and query conditions take one".to_string())),
        (_, None) => None,
    };

    let allowed = match field {
        Field::Ip => matches!(op, Operator::Equals | Operator::InCidr),
        Field::Endpoint => op == Operator::Equals,
        _ => op != Operator::InCidr,
    };
    if !allowed {
        let expected = match field {
            Field::Ip => "equals or in_cidr",
            Field::Endpoint => "equals",
            _ => "equals, contains, starts_with, ends_with or regex",
        };
        return Err(invalid(format!(
            "operator {} does not apply to {}: expected {expected}",
            op.as_str(),
            field.as_str()
        )));
    }
    if value.is_empty()
        && matches!(op, Operator::Contains | Operator::StartsWith | Operator::EndsWith | Operator::Regex)
    {
        return Err(invalid(format!("empty value: {} with an empty value matches every request", op.as_str())));
    }

    let target = match field {
        Field::Host => Target::Host,
        Field::Path => Target::Path,
        Field::Method => Target::Method,
        Field::Header => Target::Header(name.unwrap_or_default().to_ascii_lowercase()),
        Field::Query => Target::Query(name.unwrap_or_default().to_string()),
        Field::Body => Target::Body,
        Field::Ip => Target::Ip,
        Field::Actor => Target::Actor,
        Field::Endpoint => {
            let (method, template_text) = match value.split_once(' ') {
                Some((method, template)) => (Some(method.trim().to_ascii_uppercase()), template.trim()),
                None => (None, value.trim()),
            };
            let template = Template::parse(template_text).ok_or_else(|| {
                invalid(format!("invalid endpoint {value:?}: expected a path template such as GET /users/{{id}}"))
            })?;
            Target::Endpoint { method, template }
        }
    };

    // Hosts are compared in lower case and methods in upper case, whatever case the rule uses.
    let normalized: String = match field {
        Field::Host => value.to_ascii_lowercase(),
        Field::Method if op != Operator::Regex => value.to_ascii_uppercase(),
        _ => value.to_string(),
    };
    let matcher = match (field, op) {
        (Field::Endpoint, _) => Matcher::Template,
        (Field::Ip, Operator::Equals) => {
            let address: IpAddr = value
                .trim()
                .parse()
                .map_err(|_| invalid(format!("invalid IP address {value:?}: expected such as 203.0.113.9")))?;
            Matcher::Cidr(IpNet::from(address))
        }
        (Field::Ip, _) => Matcher::Cidr(parse_cidr(value).ok_or_else(|| {
            invalid(format!("invalid CIDR range {value:?}: expected such as 10.0.0.0/8 or 2001:db8::/32"))
        })?),
        (_, Operator::Regex) => Matcher::Regex(compile_regex(rule, location, value, limits)?),
        (_, Operator::Equals) if condition.ignore_case => Matcher::EqualsIgnoreCase(normalized.into_bytes()),
        (_, Operator::Equals) => Matcher::Equals(normalized.into_bytes()),
        (_, Operator::Contains) if condition.ignore_case => Matcher::ContainsIgnoreCase(
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build([normalized.as_bytes()])
                .map_err(|error| invalid(format!("cannot build the matcher: {error}")))?,
            normalized.into_bytes(),
        ),
        (_, Operator::Contains) => Matcher::Contains(memmem::Finder::new(normalized.as_bytes()).into_owned()),
        (_, Operator::StartsWith) => Matcher::StartsWith(normalized.into_bytes(), condition.ignore_case),
        (_, Operator::EndsWith) => Matcher::EndsWith(normalized.into_bytes(), condition.ignore_case),
        (_, Operator::InCidr) => unreachable!("in_cidr was rejected above for every field but ip"),
    };
    Ok(CompiledCondition { target, matcher, negate: condition.negate })
}

/// Parses `10.0.0.0/8`, or a bare address as a range of one. Host bits are cleared, so
/// `10.1.2.3/8` means `10.0.0.0/8`.
fn parse_cidr(text: &str) -> Option<IpNet> {
    let text = text.trim();
    if let Ok(net) = text.parse::<IpNet>() {
        return Some(net.trunc());
    }
    text.parse::<IpAddr>().ok().map(IpNet::from)
}

/// Builds a regex within the size limit, reporting syntax errors with their column.
fn compile_regex(rule: &BlockRule, location: &str, pattern: &str, limits: &RuleLimits) -> Result<Regex, RuleError> {
    // The bytes regex engine accepts patterns that match invalid UTF-8, so the check does too.
    if let Err(error) = regex_syntax::ParserBuilder::new().utf8(false).build().parse(pattern) {
        let (column, problem) = match &error {
            regex_syntax::Error::Parse(e) => (e.span().start.column, e.kind().to_string()),
            regex_syntax::Error::Translate(e) => (e.span().start.column, e.kind().to_string()),
            other => (1, other.to_string()),
        };
        return Err(RuleError::RegexSyntax {
            rule_id: rule.id.clone(),
            location: location.to_string(),
            column,
            problem,
        });
    }
    RegexBuilder::new(pattern)
        .size_limit(limits.max_regex_bytes)
        .dfa_size_limit(limits.max_regex_bytes)
        .build()
        .map_err(|error| match error {
            regex::Error::CompiledTooBig(_) => RuleError::RegexTooBig {
                rule_id: rule.id.clone(),
                location: location.to_string(),
                max: limits.max_regex_bytes,
            },
            other => RuleError::RegexSyntax {
                rule_id: rule.id.clone(),
                location: location.to_string(),
                column: 1,
                problem: other.to_string(),
            },
        })
}
