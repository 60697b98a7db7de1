//! The block rule model: the JSON that the REST API, the rule feed and the proxy speak.
//!
//! A rule is a list of condition groups and an action. Every group must match; inside a
//! group, `all` needs every condition and `any` needs one. A condition compares one part
//! of the request with a value, and `negate: true` inverts the comparison.
//!
//! ```json
//! {
//!   "id": "r-17",
//!   "mode": "block",
//!   "reason": "credential stuffing from one network",
//!   "origin": "user",
//!   "created_at": "2026-03-01T10:00:00.000Z",
//!   "expires_at": "2026-03-02T10:00:00.000Z",
//!   "conditions": [
//!     {"all": [{"field": "endpoint", "op": "equals", "value": "POST /login"}]},
//!     {"any": [
//!       {"field": "ip", "op": "in_cidr", "value": "203.0.113.0/24"},
//!       {"field": "header", "name": "User-Agent", "op": "contains", "value": "python-requests"}
//!     ]}
//!   ],
//!   "action": {"rate_limit": {"threshold": 10, "window_secs": 60, "block_secs": 600, "key": "ip"}}
//! }
//! ```

use std::fmt;

use palisade_core::timestamp::{format_rfc3339, parse_rfc3339};
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

/// One block rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockRule {
    /// Identifier, unique within a rule set. Logs and metrics name rules by it.
    pub id: String,
    /// `monitor` logs and counts matches; `block` also rejects the request.
    #[serde(default)]
    pub mode: Mode,
    /// Reason for the rule, for the people who read the rule list.
    #[serde(default)]
    pub reason: String,
    /// Maker of the rule: a person (`user`) or an automatic policy (`policy:NAME`).
    #[serde(default)]
    pub origin: Origin,
    pub created_at: Timestamp,
    /// The rule stops applying at this time; it applies forever when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    /// Condition groups, all of which must match. An empty list matches every request.
    #[serde(default)]
    pub conditions: Vec<ConditionGroup>,
    pub action: Action,
}

/// Enforcement mode of a rule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Log and count matches, let the request through.
    #[default]
    Monitor,
    /// Reject matching requests.
    Block,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Monitor => "monitor",
            Mode::Block => "block",
        }
    }
}

/// Maker of a rule, written as `user` or `policy:NAME` in JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum Origin {
    #[default]
    User,
    /// An automatic policy, by its name.
    Policy(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::User => f.write_str("user"),
            Origin::Policy(name) => write!(f, "policy:{name}"),
        }
    }
}

impl Origin {
    /// Parses `user` or `policy:NAME`, where NAME is not empty.
    pub fn parse(text: &str) -> Option<Self> {
        if text == "user" {
            return Some(Origin::User);
        }
        let name = text.strip_prefix("policy:")?;
        (!name.is_empty()).then(|| Origin::Policy(name.to_string()))
    }
}

impl Serialize for Origin {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Origin {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Origin::parse(&text)
            .ok_or_else(|| de::Error::custom(format!("invalid origin {text:?}: expected \"user\" or \"policy:NAME\"")))
    }
}

/// A point in time, in milliseconds since the Unix epoch, written as an RFC 3339 string
/// such as `2026-03-01T10:00:00.000Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn ms(self) -> i64 {
        self.0
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format_rfc3339(self.0))
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_rfc3339(&text).map(Timestamp).ok_or_else(|| {
            de::Error::custom(format!("invalid timestamp {text:?}: expected RFC 3339 such as 2026-03-01T10:00:00Z"))
        })
    }
}

/// A group of conditions: `{"all": [...]}` needs every condition, `{"any": [...]}` one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConditionGroup {
    All(Vec<Condition>),
    Any(Vec<Condition>),
}

impl ConditionGroup {
    pub fn conditions(&self) -> &[Condition] {
        match self {
            ConditionGroup::All(conditions) | ConditionGroup::Any(conditions) => conditions,
        }
    }

    pub(crate) fn kind(&self) -> &'static str {
        match self {
            ConditionGroup::All(_) => "all",
            ConditionGroup::Any(_) => "any",
        }
    }
}

/// One comparison of a part of the request with a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub field: Field,
    /// Header or query parameter name; required for those fields and rejected for others.
    /// Header names compare without ASCII case, query parameter names exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub op: Operator,
    pub value: String,
    /// Inverts the result: the condition matches when the comparison does not.
    #[serde(default, skip_serializing_if = "is_false")]
    pub negate: bool,
    /// Compares without ASCII case (`equals`, `contains`, `starts_with`, `ends_with`).
    /// For `regex`, write `(?i)` in the pattern instead.
    #[serde(default, skip_serializing_if = "is_false")]
    pub ignore_case: bool,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// The part of a request a condition reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// Host name without the port, in lower case.
    Host,
    /// Path, percent-decoded once, with `.` and `..` segments resolved and repeated
    /// slashes merged; without the query string.
    Path,
    /// Method and path template such as `GET /users/{id}`, or a template alone; a
    /// `{name}` segment matches any one non-empty path segment. Only `equals`.
    Endpoint,
    /// Upper-case method such as `POST`.
    Method,
    /// Values of the header called `name`; a condition matches when any value does.
    Header,
    /// Percent-decoded values of the query parameter called `name`; a condition matches
    /// when any value does.
    Query,
    /// The start of the request body, up to the proxy's inspection limit.
    Body,
    /// Client IP address, after trusted proxies. Only `equals` and `in_cidr`.
    Ip,
    /// Actor id such as `user:alice`, `ip:203.0.113.9` or `api_key:3f9a...`.
    Actor,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Host => "host",
            Field::Path => "path",
            Field::Endpoint => "endpoint",
            Field::Method => "method",
            Field::Header => "header",
            Field::Query => "query",
            Field::Body => "body",
            Field::Ip => "ip",
            Field::Actor => "actor",
        }
    }
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    Equals,
    Contains,
    StartsWith,
    EndsWith,
    /// A regular expression of the `regex` crate's syntax, unanchored: write `^` and `$`
    /// to anchor it. Its run time is linear in the input.
    Regex,
    /// The client IP is inside a CIDR range such as `10.0.0.0/8` (a bare address is a
    /// range of one). Only for `ip`.
    InCidr,
}

impl Operator {
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Equals => "equals",
            Operator::Contains => "contains",
            Operator::StartsWith => "starts_with",
            Operator::EndsWith => "ends_with",
            Operator::Regex => "regex",
            Operator::InCidr => "in_cidr",
        }
    }
}

/// Action of a matching rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Reject every matching request, until `until` when set.
    Block(BlockAction),
    /// Count matching requests per key; a key that passes `threshold` requests within
    /// `window_secs` is rejected for `block_secs`.
    RateLimit(RateLimit),
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BlockAction {
    /// End of the block; the block lasts until the rule is removed when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// Requests allowed per window; the next one trips the limit.
    pub threshold: u32,
    pub window_secs: u32,
    /// How long a key that tripped the limit stays rejected.
    pub block_secs: u32,
    /// Key that requests are counted by.
    #[serde(default)]
    pub key: RateKey,
}

/// Key that a rate limit counts requests by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateKey {
    /// The client IP address.
    #[default]
    Ip,
    /// The actor id (API key, JWT subject, session, else client IP).
    Actor,
    /// The session cookie; requests without one count by client IP.
    Session,
}

impl RateKey {
    pub fn as_str(self) -> &'static str {
        match self {
            RateKey::Ip => "ip",
            RateKey::Actor => "actor",
            RateKey::Session => "session",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_json_round_trip() {
        let text = r#"{
            "id": "r-17",
            "mode": "block",
            "reason": "stuffing",
            "origin": "policy:login-burst",
            "created_at": "2026-03-01T10:00:00.000Z",
            "conditions": [
                {"all": [{"field": "endpoint", "op": "equals", "value": "POST /login"}]},
                {"any": [{"field": "header", "name": "User-Agent", "op": "contains", "value": "curl", "negate": true}]}
            ],
            "action": {"rate_limit": {"threshold": 10, "window_secs": 60, "block_secs": 600, "key": "ip"}}
        }"#;
        let rule: BlockRule = serde_json::from_str(text).unwrap();
        assert_eq!(rule.origin, Origin::Policy("login-burst".into()));
        assert_eq!(rule.mode, Mode::Block);
        assert_eq!(rule.created_at, Timestamp(1_772_359_200_000));
        assert!(rule.conditions[1].conditions()[0].negate);

        let again: BlockRule = serde_json::from_value(serde_json::to_value(&rule).unwrap()).unwrap();
        assert_eq!(again, rule);
    }

    #[test]
    fn rule_json_rejects_unknown_and_bad_values() {
        let cases = [
            (r#"{"id":"a","created_at":"2026-03-01T10:00:00Z","action":{"block":{}},"colour":"red"}"#, "unknown field"),
            (r#"{"id":"a","created_at":"yesterday","action":{"block":{}}}"#, "invalid timestamp"),
            (r#"{"id":"a","created_at":"2026-03-01T10:00:00Z","origin":"policy:","action":{"block":{}}}"#, "origin"),
            (r#"{"id":"a","created_at":"2026-03-01T10:00:00Z","action":{"drop":{}}}"#, "unknown variant"),
            (
                r#"{"id":"a","created_at":"2026-03-01T10:00:00Z","action":{"block":{}},
                   "conditions":[{"all":[{"field":"path","op":"like","value":"/"}]}]}"#,
                "unknown variant",
            ),
        ];
        for (text, expected) in cases {
            let error = serde_json::from_str::<BlockRule>(text).unwrap_err().to_string();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }

    #[test]
    fn defaults_are_monitor_and_user() {
        let rule: BlockRule =
            serde_json::from_str(r#"{"id":"a","created_at":"2026-03-01T10:00:00Z","action":{"block":{}}}"#).unwrap();
        assert_eq!(rule.mode, Mode::Monitor);
        assert_eq!(rule.origin, Origin::User);
        assert!(rule.conditions.is_empty());
        assert_eq!(rule.action, Action::Block(BlockAction { until: None }));
    }
}
