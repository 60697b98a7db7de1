//! The inventory as the pipeline maintains it and the store persists it.
//!
//! Discovery records traffic per *raw endpoint*: a method and a path in which identifier
//! shaped segments (integers, UUIDs, tokens, ...) are already replaced by their shape, so
//! `/users/42` and `/users/43` share the raw endpoint `GET /users/{#integer}`. Raw
//! endpoints only ever gain counts, and their statistics merge by addition, minimum and
//! maximum. The *endpoints* people see are derived from the raw endpoints of a host: a
//! position whose word-like values are many and rarely repeated becomes a parameter, and
//! the raw endpoints it covers are summed. Because the derivation reads the whole set, the
//! inventory does not depend on the order traces arrived in.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::actor::ActorDelta;
use crate::alert::AlertEvent;
use crate::auth::AuthStats;
use crate::field::{FieldType, Section, StringFormat};
use crate::finding::Finding;
use crate::severity::Severity;
use crate::sketch::DistinctSketch;
use crate::template::{ParamEvidence, ValueKind};

/// Row id of a raw endpoint in the store.
pub type RawId = i64;

/// One segment of a raw endpoint's path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RawSegment {
    /// A segment kept as written, such as `users` or `me`.
    Literal(String),
    /// A segment whose value had an identifier shape.
    Ident(ValueKind),
    /// A word-like value that arrived after its position already held
    /// `max_distinct_literals` distinct values.
    Overflow(ValueKind),
    /// A parameter of a route template that the application reported.
    Route(String),
}

impl RawSegment {
    /// Text form used as the store's key: literals as written (a leading `{` or `\` is
    /// escaped with `\`), `{#integer}` for identifiers, `{*word}` for overflow and
    /// `{=name}` for route parameters.
    pub fn encode(&self) -> String {
        match self {
            RawSegment::Literal(text) if text.starts_with('{') || text.starts_with('\\') => format!("\\{text}"),
            RawSegment::Literal(text) => text.clone(),
            RawSegment::Ident(kind) => format!("{{#{}}}", kind.as_str()),
            RawSegment::Overflow(kind) => format!("{{*{}}}", kind.as_str()),
            RawSegment::Route(name) => format!("{{={name}}}"),
        }
    }

    pub fn decode(text: &str) -> Self {
        if let Some(escaped) = text.strip_prefix('\\') {
            return RawSegment::Literal(escaped.to_string());
        }
        let Some(inner) = text.strip_prefix('{').and_then(|t| t.strip_suffix('}')) else {
            return RawSegment::Literal(text.to_string());
        };
        let kind = |name: &str| ValueKind::parse(name).unwrap_or(ValueKind::Other);
        if let Some(name) = inner.strip_prefix('#') {
            RawSegment::Ident(kind(name))
        } else if let Some(name) = inner.strip_prefix('*') {
            RawSegment::Overflow(kind(name))
        } else if let Some(name) = inner.strip_prefix('=') {
            RawSegment::Route(name.to_string())
        } else {
            RawSegment::Literal(text.to_string())
        }
    }

    pub fn is_literal(&self) -> bool {
        matches!(self, RawSegment::Literal(_))
    }
}

/// Encodes raw segments as a `/`-separated key.
pub fn encode_raw_path(segments: &[RawSegment]) -> String {
    let mut key = String::new();
    for segment in segments {
        key.push('/');
        key.push_str(&segment.encode());
    }
    if key.is_empty() {
        key.push('/');
    }
    key
}

pub fn decode_raw_path(key: &str) -> Vec<RawSegment> {
    key.split('/').filter(|s| !s.is_empty()).map(RawSegment::decode).collect()
}

/// Values seen at one non-literal position of a raw endpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PositionStats {
    /// Requests per value shape.
    pub kinds: Vec<(ValueKind, u64)>,
    pub distinct: DistinctSketch,
}

impl PositionStats {
    pub fn record(&mut self, kind: ValueKind, value: &str) {
        match self.kinds.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, count)) => *count += 1,
            None => {
                self.kinds.push((kind, 1));
                self.kinds.sort();
            }
        }
        self.distinct.insert_value(value);
    }

    pub fn merge(&mut self, other: &PositionStats) {
        for &(kind, count) in &other.kinds {
            match self.kinds.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, total)) => *total += count,
                None => self.kinds.push((kind, count)),
            }
        }
        self.kinds.sort();
        self.distinct.merge(&other.distinct);
    }
}

/// A method and a path with identifier-shaped segments replaced by their shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawEndpoint {
    pub id: RawId,
    pub host: String,
    pub method: String,
    pub segments: Vec<RawSegment>,
    pub hits: u64,
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
    /// Statistics for each segment that is not a literal, indexed like `segments`
    /// (literal positions hold an empty entry).
    pub positions: Vec<PositionStats>,
    /// True when the path came from a route template that the application reported;
    /// its literal segments are then never merged into a parameter.
    pub route: bool,
    pub auth: AuthStats,
    /// Id of the endpoint this raw endpoint currently belongs to.
    pub endpoint_id: String,
}

/// An endpoint as people see it: method, host and path template, with evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Endpoint {
    /// Stable id derived from method, host and template.
    pub id: String,
    pub host: String,
    pub method: String,
    pub template: String,
    pub params: Vec<ParamEvidence>,
    pub hits: u64,
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
    /// Raw endpoints merged into this endpoint.
    pub raw_count: u64,
    /// Authentication seen on the endpoint's requests.
    pub auth: AuthStats,
    /// Risk score computed by the store from classes, authentication and alerts; the
    /// pipeline leaves it empty.
    pub risk: RiskScore,
}

/// An endpoint's risk: a score from 0 to 100 and the named factors that add up to it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskScore {
    pub score: u32,
    pub factors: Vec<RiskFactor>,
}

/// One reason for an endpoint's risk score and the points it contributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskFactor {
    /// Stable factor name such as `sensitive_data_returned`.
    pub name: String,
    pub contribution: u32,
    /// What was observed, such as `returns credit_card_visa (critical), email (medium)`.
    pub detail: String,
}

/// Derives the stable id of an endpoint: 16 hex digits of a hash of method, host and
/// template.
pub fn endpoint_id(method: &str, host: &str, template: &str) -> String {
    let key = format!("{method} {host} {template}");
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(key.as_bytes()))
}

/// How the values of one field agreed on a string format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FormatState {
    /// No string value has been seen.
    #[default]
    Unset,
    /// Every string value seen had this format.
    One(StringFormat),
    /// String values had different formats, or none.
    Mixed,
}

impl FormatState {
    pub fn merge(self, other: FormatState) -> FormatState {
        match (self, other) {
            (FormatState::Unset, x) | (x, FormatState::Unset) => x,
            (FormatState::One(a), FormatState::One(b)) if a == b => FormatState::One(a),
            _ => FormatState::Mixed,
        }
    }

    /// Store text: `NULL` for unset, the format name, or `mixed`.
    pub fn to_db(self) -> Option<&'static str> {
        match self {
            FormatState::Unset => None,
            FormatState::One(format) => Some(format.as_str()),
            FormatState::Mixed => Some("mixed"),
        }
    }

    pub fn from_db(text: Option<&str>) -> FormatState {
        match text {
            None => FormatState::Unset,
            Some(text) => StringFormat::parse(text).map(FormatState::One).unwrap_or(FormatState::Mixed),
        }
    }

    pub fn format(self) -> Option<StringFormat> {
        match self {
            FormatState::One(format) => Some(format),
            _ => None,
        }
    }
}

/// Identifies one data field of a raw endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FieldKey {
    pub section: Section,
    pub path: String,
    pub status: Option<u16>,
    pub content_type: String,
    pub field_type: FieldType,
}

/// Observations of one field, to be added to what the store holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDelta {
    pub raw_id: RawId,
    pub key: FieldKey,
    pub count: u64,
    pub format: FormatState,
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
}

/// A redacted trace kept as an example of a raw endpoint's traffic. Samples with the
/// smallest `hash` are kept, so the kept set does not depend on arrival order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    pub raw_id: RawId,
    pub hash: u64,
    pub start_ms: i64,
    /// The redacted trace, encoded with [`crate::trace::Trace`]'s serde derives in
    /// postcard.
    pub trace: Vec<u8>,
}

/// Values of one field location that matched a data class, to be added to what the store
/// holds. A location is a field without its type: section, path, status, content type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldClassDelta {
    pub raw_id: RawId,
    pub section: Section,
    pub path: String,
    pub status: Option<u16>,
    pub content_type: String,
    /// Stable class id such as `email`.
    pub class_id: String,
    pub severity: Severity,
    /// Traces in which a value at the location matched the class.
    pub hits: u64,
    pub first_hit_ms: i64,
    pub last_hit_ms: i64,
}

/// Traffic totals of one host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostStats {
    pub host: String,
    pub hits: u64,
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
}

/// Everything one pipeline commit changes in the inventory.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InventoryDelta {
    /// Full current state of each host that received traffic.
    pub hosts: Vec<HostStats>,
    /// Full current state of each raw endpoint that changed.
    pub raw_endpoints: Vec<RawEndpoint>,
    /// Request counts to add, per raw endpoint and hour start (epoch milliseconds).
    pub hourly: Vec<(RawId, i64, u64)>,
    pub fields: Vec<FieldDelta>,
    pub samples_added: Vec<Sample>,
    pub samples_removed: Vec<(RawId, u64)>,
    /// Full current state of each endpoint that changed.
    pub endpoints: Vec<Endpoint>,
    /// Endpoints that no longer exist because their raw endpoints moved elsewhere.
    pub endpoints_removed: Vec<String>,
    /// `(old, new)` endpoint ids for raw endpoints that moved, so what refers to the old
    /// endpoint (alerts, false-positive marks) can follow.
    pub endpoint_moves: Vec<(String, String)>,
    pub field_classes: Vec<FieldClassDelta>,
    pub alerts: Vec<AlertEvent>,
    pub findings: Vec<Finding>,
    pub actors: Vec<ActorDelta>,
    /// Endpoints whose risk may have changed: new endpoints, new data classes, first
    /// successful unauthenticated request. Request counts alone never change risk.
    pub risk_dirty: Vec<String>,
}

impl InventoryDelta {
    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty()
            && self.raw_endpoints.is_empty()
            && self.hourly.is_empty()
            && self.fields.is_empty()
            && self.samples_added.is_empty()
            && self.samples_removed.is_empty()
            && self.endpoints.is_empty()
            && self.endpoints_removed.is_empty()
            && self.endpoint_moves.is_empty()
            && self.field_classes.is_empty()
            && self.alerts.is_empty()
            && self.findings.is_empty()
            && self.actors.is_empty()
            && self.risk_dirty.is_empty()
    }
}

/// What the pipeline needs from the store to continue where it stopped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InventoryState {
    pub hosts: Vec<HostStats>,
    pub raw_endpoints: Vec<RawEndpoint>,
    pub endpoints: Vec<Endpoint>,
    pub field_keys: Vec<(RawId, FieldKey)>,
    pub sample_hashes: Vec<(RawId, u64)>,
}

impl fmt::Display for RawSegment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_segment_round_trip() {
        let segments = vec![
            RawSegment::Literal("users".into()),
            RawSegment::Ident(ValueKind::Integer),
            RawSegment::Overflow(ValueKind::Slug),
            RawSegment::Route("orderId".into()),
            RawSegment::Literal("{weird}".into()),
            RawSegment::Literal("\\x".into()),
        ];
        let key = encode_raw_path(&segments);
        assert_eq!(key, "/users/{#integer}/{*slug}/{=orderId}/\\{weird}/\\\\x");
        assert_eq!(decode_raw_path(&key), segments);
        assert_eq!(encode_raw_path(&[]), "/");
        assert!(decode_raw_path("/").is_empty());
    }

    #[test]
    fn format_state_merge_is_commutative() {
        use FormatState::*;
        let email = One(StringFormat::Email);
        let uuid = One(StringFormat::Uuid);
        assert_eq!(Unset.merge(email), email);
        assert_eq!(email.merge(Unset), email);
        assert_eq!(email.merge(email), email);
        assert_eq!(email.merge(uuid), Mixed);
        assert_eq!(uuid.merge(email), Mixed);
        assert_eq!(Mixed.merge(Unset), Mixed);
    }

    #[test]
    fn endpoint_id_is_stable() {
        assert_eq!(endpoint_id("GET", "h", "/a"), endpoint_id("GET", "h", "/a"));
        assert_ne!(endpoint_id("GET", "h", "/a"), endpoint_id("POST", "h", "/a"));
        assert_eq!(endpoint_id("GET", "h", "/a").len(), 16);
    }
}
