//! The pipeline: host rules, endpoint discovery, field learning and sampling, one trace
//! at a time, accumulating the inventory changes a store applies in one transaction.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use palisade_core::actor::ActorDelta;
use palisade_core::alert::AlertEvent;
use palisade_core::auth::{AuthScheme, AuthStats};
use palisade_core::finding::{Finding, FindingSource};
use palisade_core::host::normalize_host;
use palisade_core::inventory::{
    Endpoint, FieldClassDelta, FieldDelta, FieldKey, FormatState, HostStats, InventoryDelta, InventoryState,
    PositionStats, RawEndpoint, RawId, Sample,
};
use palisade_core::path::{percent_decode_lossy, split_path};
use palisade_core::timestamp::hour_start;
use palisade_core::{AgentAnalysis, FieldType, PathTemplate, Section, Trace};
use xxhash_rust::xxh3::{Xxh3, xxh3_64_with_seed};

use crate::actors::ActorMemo;
use crate::auth::detect_auth;
use crate::behaviour::{Behaviour, Observation};
use crate::classify::{DataClassifier, DataMatch, alert_description, alert_kinds};
use crate::config::PipelineConfig;
use crate::discovery::shape::classify_segment;
use crate::discovery::templates::derive_endpoints;
use crate::discovery::tree::{HostTree, Lookup, Step};
use crate::fields::{FieldLearner, FieldObservation, media_type, string_format};
use crate::ignore::{IgnoredDetections, Part, RequestIgnores};
use crate::redact::{CredentialNames, RedactContext, encode_redacted_trace, json_path_may_end_in_credential};

/// Result of processing one trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Recorded { raw_id: RawId },
    Skipped(SkipReason),
}

/// Reason a trace was not inventoried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SkipReason {
    /// The host matched `hostBlockList`.
    HostBlocked,
    /// The path matched `pathBlockList`.
    PathBlocked,
    /// `max_hosts` hosts are already inventoried.
    HostLimit,
    /// The host already has `max_endpoints_per_host` raw endpoints.
    EndpointLimit,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::HostBlocked => "host_blocked",
            SkipReason::PathBlocked => "path_blocked",
            SkipReason::HostLimit => "host_limit",
            SkipReason::EndpointLimit => "endpoint_limit",
        }
    }
}

/// Counters of the pipeline's work since it started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PipelineCounters {
    pub traces_recorded: u64,
    pub skipped_host_blocked: u64,
    pub skipped_path_blocked: u64,
    pub skipped_host_limit: u64,
    pub skipped_endpoint_limit: u64,
    /// Fields not learned because an endpoint reached `max_fields_per_endpoint`.
    pub fields_over_limit: u64,
    /// Fields skipped inside a body for depth, count or name length.
    pub fields_skipped: u64,
    pub bodies_unparsed: u64,
    pub bodies_truncated: u64,
    /// Findings of all kinds.
    pub findings: u64,
    /// Signature findings beyond `max_findings_per_trace`, not stored.
    pub findings_over_limit: u64,
    /// Attack, behaviour and data-class detections that `ignoredDetections` dropped.
    pub detections_ignored: u64,
    /// Actors forgotten by behavioural detection because `max_actors` was reached.
    pub actors_evicted: u64,
}

struct HostState {
    stats: HostStats,
    stats_dirty: bool,
    tree: HostTree,
    raw_ids: Vec<RawId>,
    /// Endpoints as last derived, by id.
    endpoints: HashMap<String, Endpoint>,
    derive_dirty: bool,
}

struct RawState {
    raw: RawEndpoint,
    dirty: bool,
    /// Every field of this raw endpoint, stored or about to be, by [`field_hash`]. Keys
    /// are kept so that a field seen again costs a hash and no allocation.
    fields: hashbrown::HashMap<u64, FieldEntry, BuildHasherDefault<IdentityHasher>>,
    /// Fields with observations since the last [`Pipeline::take_delta`].
    dirty_fields: Vec<u64>,
    /// Hashes of the kept samples, ascending.
    samples: Vec<u64>,
    /// Data classes seen per section, as `(section, class index)`, to notice new ones.
    class_pairs: Vec<(Section, u32)>,
    /// True when something that risk depends on changed since the last commit.
    risk_dirty: bool,
}

impl RawState {
    fn new(raw: RawEndpoint, dirty: bool) -> Self {
        Self {
            raw,
            dirty,
            fields: Default::default(),
            dirty_fields: Vec::new(),
            samples: Vec::new(),
            class_pairs: Vec::new(),
            risk_dirty: dirty,
        }
    }
}

/// A field and its observations since the last commit.
struct FieldEntry {
    key: FieldKey,
    count: u64,
    format: FormatState,
    first_seen_ms: i64,
    last_seen_ms: i64,
    /// Sequence number of the last trace counted, so a field repeated inside one trace
    /// (array items) counts once.
    last_trace: u64,
    /// True when the field is in a body and may sit under a credential-named key, which
    /// redaction replaces.
    credential: bool,
}

/// Hasher for keys that already are hashes.
#[derive(Default)]
struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

/// Runs the pipeline stages and accumulates their results until [`Pipeline::take_delta`].
pub struct Pipeline {
    config: PipelineConfig,
    hosts: HashMap<String, HostState>,
    raws: HashMap<RawId, RawState>,
    next_raw_id: RawId,
    trace_seq: u64,
    counters: PipelineCounters,
    pending_hourly: HashMap<(RawId, i64), u64>,
    /// Samples chosen since the last commit, already redacted and encoded. Most of them
    /// are still chosen at the commit, so redacting when choosing costs less than keeping
    /// the unredacted trace until then.
    pending_samples: HashMap<(RawId, u64), Sample>,
    pending_samples_removed: Vec<(RawId, u64)>,
    pending_classes: HashMap<ClassKey, ClassAcc>,
    pending_alerts: HashMap<AlertKey, AlertAcc>,
    pending_findings: Vec<(RawId, Finding)>,
    /// Sections of the current trace where classification found something.
    classified_sections: u8,
    /// Body sections of the current trace with a field that may sit under a
    /// credential-named key, as bits `1 << section as u8`.
    credential_sections: u8,
    /// Body sections of the current trace whose JSON body field learning walked in full.
    json_walked: u8,
    /// Names known to be credentials or not, for redacting samples.
    credential_names: CredentialNames,
    /// Actor ids derived from credentials, for `config.actors`.
    actor_memo: ActorMemo,
    field_hasher: FieldHasher,
    pending_actors: HashMap<String, ActorDelta>,
    behaviour: Behaviour,
    /// Reused buffer for classifier matches.
    matches: Vec<DataMatch>,
    /// The `ignoredDetections` entries that apply to the current trace.
    request_ignores: RequestIgnores,
    learner: FieldLearner,
}

/// Bytes reserved for a sample's encoding beyond its bodies: headers, path and metadata.
const SAMPLE_ENCODING_OVERHEAD: usize = 2048;

/// A data class on a field location of a raw endpoint: section, path, status, content
/// type and class index.
type ClassKey = (RawId, Section, String, Option<u16>, String, u32);

struct ClassAcc {
    hits: u64,
    first_hit_ms: i64,
    last_hit_ms: i64,
    last_trace: u64,
}

/// An alert of a raw endpoint: kind, location, data class id and actor id.
type AlertKey = (RawId, String, String, Option<String>, Option<String>);

struct AlertAcc {
    count: u64,
    first_seen_ms: i64,
    last_seen_ms: i64,
    last_trace: u64,
    severity: palisade_core::Severity,
    description: String,
}

/// Adds one occurrence of an alert to `pending`, counting each trace once.
fn record_alert(
    pending: &mut HashMap<AlertKey, AlertAcc>,
    key: AlertKey,
    at: i64,
    seq: u64,
    severity: palisade_core::Severity,
    description: impl FnOnce() -> String,
) {
    let acc = pending.entry(key).or_insert_with(|| AlertAcc {
        count: 0,
        first_seen_ms: at,
        last_seen_ms: at,
        last_trace: 0,
        severity,
        description: description(),
    });
    if acc.last_trace != seq {
        acc.count += 1;
        acc.last_trace = seq;
    }
    acc.first_seen_ms = acc.first_seen_ms.min(at);
    acc.last_seen_ms = acc.last_seen_ms.max(at);
}

impl Pipeline {
    pub fn new(config: PipelineConfig) -> Self {
        Self {
            hosts: HashMap::new(),
            raws: HashMap::new(),
            next_raw_id: 1,
            trace_seq: 0,
            counters: PipelineCounters::default(),
            pending_hourly: HashMap::new(),
            pending_samples: HashMap::new(),
            pending_samples_removed: Vec::new(),
            pending_classes: HashMap::new(),
            pending_alerts: HashMap::new(),
            pending_findings: Vec::new(),
            classified_sections: 0,
            credential_sections: 0,
            json_walked: 0,
            credential_names: CredentialNames::default(),
            actor_memo: ActorMemo::default(),
            field_hasher: FieldHasher::default(),
            pending_actors: HashMap::new(),
            behaviour: Behaviour::new(config.behaviour.clone()),
            matches: Vec::new(),
            request_ignores: RequestIgnores::default(),
            learner: FieldLearner::default(),
            config,
        }
    }

    /// Creates a pipeline that continues from a stored inventory.
    pub fn restore(config: PipelineConfig, state: InventoryState) -> Self {
        let mut pipeline = Pipeline::new(config);
        for stats in state.hosts {
            let host = stats.host.clone();
            pipeline.hosts.insert(host, pipeline.new_host_state(stats));
        }
        for raw in state.raw_endpoints {
            pipeline.next_raw_id = pipeline.next_raw_id.max(raw.id + 1);
            let host = match pipeline.hosts.get_mut(&raw.host) {
                Some(host) => host,
                None => {
                    let stats = HostStats {
                        host: raw.host.clone(),
                        hits: 0,
                        first_seen_ms: raw.first_seen_ms,
                        last_seen_ms: raw.last_seen_ms,
                    };
                    let state = pipeline.new_host_state(stats);
                    pipeline.hosts.entry(raw.host.clone()).or_insert(state)
                }
            };
            host.tree.restore(&raw.method, &raw.segments, raw.id);
            host.raw_ids.push(raw.id);
            pipeline.raws.insert(raw.id, RawState::new(raw, false));
        }
        for endpoint in state.endpoints {
            if let Some(host) = pipeline.hosts.get_mut(&endpoint.host) {
                host.endpoints.insert(endpoint.id.clone(), endpoint);
            }
        }
        for (raw_id, key) in state.field_keys {
            if let Some(raw) = pipeline.raws.get_mut(&raw_id) {
                let hash = field_hash(key.section, &key.path, key.status, &key.content_type, key.field_type);
                raw.fields.insert(hash, FieldEntry::idle(key));
            }
        }
        for (raw_id, hash) in state.sample_hashes {
            if let Some(raw) = pipeline.raws.get_mut(&raw_id) {
                raw.samples.push(hash);
            }
        }
        for raw in pipeline.raws.values_mut() {
            raw.samples.sort_unstable();
        }
        pipeline
    }

    fn new_host_state(&self, stats: HostStats) -> HostState {
        HostState {
            stats,
            stats_dirty: false,
            tree: HostTree::new(self.config.discovery.max_distinct_literals),
            raw_ids: Vec::new(),
            endpoints: HashMap::new(),
            derive_dirty: false,
        }
    }

    pub fn config(&self) -> &PipelineConfig {
        &self.config
    }

    pub fn counters(&self) -> &PipelineCounters {
        &self.counters
    }

    /// Runs every stage on one trace. The trace must have passed
    /// [`Trace::validate`](palisade_core::Trace::validate).
    pub fn process(&mut self, trace: &Trace) -> Outcome {
        self.trace_seq += 1;
        self.classified_sections = 0;
        self.credential_sections = 0;
        self.json_walked = 0;
        let request = &trace.request;
        let at = trace.meta.start_ms;

        // Host rules.
        let normalized = normalize_host(&request.host, &request.scheme);
        let host = self.config.host_rules.map_host(&normalized).to_string();
        if self.config.host_rules.is_host_blocked(&host) {
            self.counters.skipped_host_blocked += 1;
            return Outcome::Skipped(SkipReason::HostBlocked);
        }
        if self.config.host_rules.is_path_blocked(&host, &request.path) {
            self.counters.skipped_path_blocked += 1;
            return Outcome::Skipped(SkipReason::PathBlocked);
        }

        self.request_ignores = self.config.ignored.for_request(&host, &request.method, &request.path);

        // Discovery: find or create the raw endpoint.
        let segments = split_path(&request.path);
        let raw_id = match self.resolve_raw(&host, trace, &segments) {
            Ok(raw_id) => raw_id,
            Err(reason) => {
                match reason {
                    SkipReason::HostLimit => self.counters.skipped_host_limit += 1,
                    SkipReason::EndpointLimit => self.counters.skipped_endpoint_limit += 1,
                    SkipReason::HostBlocked | SkipReason::PathBlocked => {}
                }
                return Outcome::Skipped(reason);
            }
        };
        // Metlo agents strip headers; their session metadata is not in the trace model, so
        // their traces are left out of authentication statistics.
        let redacted = trace.agent.as_ref().is_some_and(|agent| agent.redacted);
        let schemes = if redacted { Vec::new() } else { detect_auth(&trace.request) };
        let status = trace.response.as_ref().map(|r| r.status);
        let unauthenticated_success = schemes == [AuthScheme::None] && status.is_some_and(|s| (200..300).contains(&s));
        self.record_hit(&host, raw_id, trace, &segments, &schemes);
        *self.pending_hourly.entry((raw_id, hour_start(at))).or_insert(0) += 1;

        // Field learning and classification.
        self.learn(raw_id, trace, unauthenticated_success);
        self.classify_path(raw_id, trace, &segments);

        // Attack detection: signatures, then the actor's behaviour.
        self.detect(&host, raw_id, trace, &segments);

        // Sampling.
        self.consider_sample(&host, raw_id, trace);

        self.counters.traces_recorded += 1;
        Outcome::Recorded { raw_id }
    }

    fn resolve_raw(&mut self, host: &str, trace: &Trace, segments: &[&str]) -> Result<RawId, SkipReason> {
        let route = trace.meta.route.as_deref().map(PathTemplate::parse);
        let steps = match &route {
            Some(template) => Step::from_route(&template.segments),
            None => Step::from_path(segments),
        };
        let method = trace.request.method.as_str();

        if !self.hosts.contains_key(host) {
            if self.hosts.len() >= self.config.discovery.max_hosts {
                return Err(SkipReason::HostLimit);
            }
            let stats = HostStats {
                host: host.to_string(),
                hits: 0,
                first_seen_ms: trace.meta.start_ms,
                last_seen_ms: trace.meta.start_ms,
            };
            let state = self.new_host_state(stats);
            self.hosts.insert(host.to_string(), state);
        }
        let host_state = self.hosts.get_mut(host).expect("host state was inserted above");

        if let Lookup::Found(id) = host_state.tree.lookup(method, &steps) {
            return Ok(id);
        }
        if host_state.raw_ids.len() >= self.config.discovery.max_endpoints_per_host {
            return Err(SkipReason::EndpointLimit);
        }

        let id = self.next_raw_id;
        self.next_raw_id += 1;
        let raw_segments = host_state.tree.insert(method, &steps, id);
        host_state.raw_ids.push(id);
        let raw = RawEndpoint {
            id,
            host: host.to_string(),
            method: method.to_string(),
            positions: vec![PositionStats::default(); raw_segments.len()],
            segments: raw_segments,
            hits: 0,
            first_seen_ms: trace.meta.start_ms,
            last_seen_ms: trace.meta.start_ms,
            route: route.is_some(),
            auth: AuthStats::default(),
            endpoint_id: String::new(),
        };
        self.raws.insert(id, RawState::new(raw, true));
        Ok(id)
    }

    fn record_hit(&mut self, host: &str, raw_id: RawId, trace: &Trace, segments: &[&str], schemes: &[AuthScheme]) {
        let at = trace.meta.start_ms;
        if let Some(host_state) = self.hosts.get_mut(host) {
            let stats = &mut host_state.stats;
            stats.hits += 1;
            stats.first_seen_ms = stats.first_seen_ms.min(at);
            stats.last_seen_ms = stats.last_seen_ms.max(at);
            host_state.stats_dirty = true;
            host_state.derive_dirty = true;
        }

        let Some(state) = self.raws.get_mut(&raw_id) else {
            return;
        };
        let raw = &mut state.raw;
        raw.hits += 1;
        raw.first_seen_ms = raw.first_seen_ms.min(at);
        raw.last_seen_ms = raw.last_seen_ms.max(at);
        state.dirty = true;

        // Risk names the number of successful requests without credentials, so each one
        // changes it.
        let mut unauthenticated_counted = false;
        if !schemes.is_empty() {
            let before = raw.auth.unauthenticated_success;
            raw.auth.record(schemes, trace.response.as_ref().map(|r| r.status));
            unauthenticated_counted = raw.auth.unauthenticated_success != before;
        }

        // Values at parameter positions, for evidence. Route templates align with the
        // request path only when both have the same number of segments.
        if segments.len() != raw.segments.len() {
            state.risk_dirty |= unauthenticated_counted;
            return;
        }
        for (position, value) in segments.iter().enumerate() {
            if !raw.segments[position].is_literal() {
                raw.positions[position].record(classify_segment(value), value);
            }
        }
        state.risk_dirty |= unauthenticated_counted;
    }

    fn learn(&mut self, raw_id: RawId, trace: &Trace, unauthenticated_success: bool) {
        let seq = self.trace_seq;
        let at = trace.meta.start_ms;
        let Pipeline {
            config,
            raws,
            pending_classes,
            pending_alerts,
            counters,
            matches,
            classified_sections,
            request_ignores,
            learner,
            credential_sections,
            json_walked,
            field_hasher,
            ..
        } = self;
        let max_fields = config.discovery.max_fields_per_endpoint;
        let Some(raw_state) = raws.get_mut(&raw_id) else {
            return;
        };
        let RawState { fields, dirty_fields, class_pairs, risk_dirty, .. } = raw_state;
        let mut classes = ClassRecorder {
            classifier: config.classifier.as_deref(),
            min_alert_severity: config.alerts.min_class_severity,
            pending_classes,
            pending_alerts,
            matches,
            classified_sections,
            class_pairs,
            risk_dirty,
            raw_id,
            at,
            seq,
            unauthenticated_success,
            ignored: &config.ignored,
            request_ignores,
            ignored_count: 0,
        };

        let mut sink = |observation: FieldObservation<'_>| {
            let hash = field_hasher.hash(&observation);
            if record_field(fields, dirty_fields, counters, max_fields, &observation, hash, at, seq) {
                *credential_sections |= 1 << observation.section as u8;
            }
            if classes.classifier.is_some()
                && let Some(text) = observation.text.filter(|t| !t.is_empty())
            {
                classes.classify(
                    observation.section,
                    observation.path,
                    observation.status,
                    observation.content_type,
                    text,
                );
            }
        };

        let agent_fields = trace.agent.as_ref().filter(|agent| agent.redacted || bodies_empty(trace));
        match agent_fields {
            Some(agent) => {
                learn_agent_fields(agent, trace, &mut sink);
                classes.record_agent_classes(agent, trace);
            }
            None => {
                let summary = learner.learn(trace, &config.limits, &mut sink);
                *json_walked = learner.json_walked();
                counters.bodies_unparsed += summary.bodies_unparsed;
                counters.bodies_truncated += summary.bodies_truncated;
                counters.fields_skipped += summary.fields_skipped;
            }
        }
        counters.detections_ignored += classes.ignored_count;
    }

    /// Classifies the values at parameter positions of the request path. Their location
    /// is the segment index, written `{2}`.
    fn classify_path(&mut self, raw_id: RawId, trace: &Trace, segments: &[&str]) {
        if self.config.classifier.is_none() {
            return;
        }
        let Some(state) = self.raws.get(&raw_id) else {
            return;
        };
        if segments.len() != state.raw.segments.len() {
            return;
        }
        let positions: Vec<usize> =
            state.raw.segments.iter().enumerate().filter(|(_, s)| !s.is_literal()).map(|(i, _)| i).collect();
        let seq = self.trace_seq;
        let Pipeline {
            config,
            raws,
            pending_classes,
            pending_alerts,
            matches,
            classified_sections,
            request_ignores,
            counters,
            ..
        } = self;
        let Some(state) = raws.get_mut(&raw_id) else {
            return;
        };
        let mut classes = ClassRecorder {
            classifier: config.classifier.as_deref(),
            min_alert_severity: config.alerts.min_class_severity,
            pending_classes,
            pending_alerts,
            matches,
            classified_sections,
            class_pairs: &mut state.class_pairs,
            risk_dirty: &mut state.risk_dirty,
            raw_id,
            at: trace.meta.start_ms,
            seq,
            unauthenticated_success: false,
            ignored: &config.ignored,
            request_ignores,
            ignored_count: 0,
        };
        for position in positions {
            let value = percent_decode_lossy(segments[position]);
            classes.classify(Section::Path, &format!("{{{position}}}"), None, "", &value);
        }
        counters.detections_ignored += classes.ignored_count;
    }

    fn detect(&mut self, host: &str, raw_id: RawId, trace: &Trace, segments: &[&str]) {
        let at = trace.meta.start_ms;
        let seq = self.trace_seq;
        let actor = self.config.actors.resolve_with(trace, &mut self.actor_memo);
        if !self.pending_actors.contains_key(&actor.id) {
            let fresh = ActorDelta {
                id: actor.id.clone(),
                kind: actor.kind,
                requests: 0,
                first_seen_ms: at,
                last_seen_ms: at,
                last_ip: None,
                findings: Vec::new(),
            };
            self.pending_actors.insert(actor.id.clone(), fresh);
        }
        let entry = self.pending_actors.get_mut(&actor.id).expect("inserted above");
        entry.requests += 1;
        entry.first_seen_ms = entry.first_seen_ms.min(at);
        if at >= entry.last_seen_ms {
            entry.last_seen_ms = at;
            if actor.ip.is_some() && entry.last_ip != actor.ip {
                entry.last_ip = actor.ip.clone();
            }
        }

        // Metlo agents strip values, so their traces have nothing for signatures.
        let redacted = trace.agent.as_ref().is_some_and(|agent| agent.redacted);
        let mut hits = match (&self.config.detector, redacted) {
            (Some(detector), false) => detector.inspect(trace),
            _ => Vec::new(),
        };
        if !self.request_ignores.is_empty() {
            let before = hits.len();
            let (ignored, request) = (&self.config.ignored, &self.request_ignores);
            hits.retain(|hit| !ignored.ignores(request, &hit.class, Part::of_location(&hit.location)));
            self.counters.detections_ignored += (before - hits.len()) as u64;
        }
        let injection = hits.iter().any(|hit| hit.injection);
        let max_findings = self.config.attacks.max_findings_per_trace;
        if hits.len() > max_findings {
            self.counters.findings_over_limit += (hits.len() - max_findings) as u64;
        }
        for hit in hits.into_iter().take(max_findings) {
            if hit.confidence >= self.config.attacks.min_alert_confidence {
                let key = (raw_id, format!("attack_{}", hit.class), hit.location.clone(), None, Some(actor.id.clone()));
                let description = || format!("{} attempt in {} ({})", hit.class, hit.location, hit.rule_id);
                record_alert(&mut self.pending_alerts, key, at, seq, hit.severity, description);
            }
            self.add_finding(
                raw_id,
                &actor.id,
                Finding {
                    at_ms: at,
                    class: hit.class,
                    rule_id: hit.rule_id,
                    source: FindingSource::Signature,
                    severity: hit.severity,
                    confidence: hit.confidence,
                    actor: Some(actor.id.clone()),
                    endpoint_id: None,
                    host: host.to_string(),
                    method: trace.request.method.clone(),
                    path: cut(&trace.request.path, MAX_FINDING_PATH_BYTES),
                    location: hit.location,
                    evidence: hit.evidence,
                },
            );
        }

        // Behaviour.
        let ids = self.param_values(raw_id, segments);
        let login = crate::behaviour::is_login_path(&trace.request.path);
        let observation = Observation {
            actor: &actor.id,
            at_ms: at,
            raw_id,
            ids,
            path: &trace.request.path,
            status: trace.response.as_ref().map(|r| r.status),
            login,
            username: if login { login_username(trace) } else { None },
            injection,
        };
        let mut events = self.behaviour.observe(&observation);
        self.counters.actors_evicted = self.behaviour.evicted_actors;
        if !self.request_ignores.is_empty() {
            let before = events.len();
            events.retain(|event| !self.config.ignored.ignores(&self.request_ignores, event.class, None));
            self.counters.detections_ignored += (before - events.len()) as u64;
        }
        for event in events {
            let key = (raw_id, event.class.to_string(), "behaviour".to_string(), None, Some(actor.id.clone()));
            let description = || format!("{}: {}", event.class.replace('_', " "), event.detail);
            record_alert(&mut self.pending_alerts, key, at, seq, event.severity, description);
            self.add_finding(
                raw_id,
                &actor.id,
                Finding {
                    at_ms: at,
                    class: event.class.to_string(),
                    rule_id: event.rule_id.to_string(),
                    source: FindingSource::Behaviour,
                    severity: event.severity,
                    confidence: event.confidence,
                    actor: Some(actor.id.clone()),
                    endpoint_id: None,
                    host: host.to_string(),
                    method: trace.request.method.clone(),
                    path: cut(&trace.request.path, MAX_FINDING_PATH_BYTES),
                    location: "behaviour".to_string(),
                    evidence: event.detail,
                },
            );
        }
    }

    fn add_finding(&mut self, raw_id: RawId, actor: &str, finding: Finding) {
        if let Some(entry) = self.pending_actors.get_mut(actor) {
            match entry.findings.iter_mut().find(|(class, _)| *class == finding.class) {
                Some((_, count)) => *count += 1,
                None => entry.findings.push((finding.class.clone(), 1)),
            }
        }
        self.counters.findings += 1;
        self.pending_findings.push((raw_id, finding));
    }

    /// Values at the parameter positions of the trace's raw endpoint.
    fn param_values<'t>(&self, raw_id: RawId, segments: &[&'t str]) -> Vec<&'t str> {
        let Some(state) = self.raws.get(&raw_id) else {
            return Vec::new();
        };
        if segments.len() != state.raw.segments.len() {
            return Vec::new();
        }
        segments.iter().zip(&state.raw.segments).filter(|(_, raw)| !raw.is_literal()).map(|(value, _)| *value).collect()
    }

    fn consider_sample(&mut self, host: &str, raw_id: RawId, trace: &Trace) {
        let max = self.config.discovery.max_samples_per_endpoint;
        if max == 0 {
            return;
        }
        let Some(state) = self.raws.get_mut(&raw_id) else {
            return;
        };
        let hash = trace_hash(trace);
        if state.samples.binary_search(&hash).is_ok() {
            return;
        }
        if state.samples.len() >= max {
            let largest = *state.samples.last().expect("samples is full, so not empty");
            if hash > largest {
                return;
            }
            state.samples.pop();
            if self.pending_samples.remove(&(raw_id, largest)).is_none() {
                self.pending_samples_removed.push((raw_id, largest));
            }
        }
        let at = state.samples.partition_point(|h| *h < hash);
        state.samples.insert(at, hash);

        let context = RedactContext {
            classifier: self.config.classifier.as_deref(),
            privacy: Some(&self.config.privacy),
            host,
            classified_sections: self.classified_sections,
            credential_free_json: self.json_walked & !self.credential_sections,
        };
        // Redaction changes few bytes, so the trace's own body sizes give the capacity.
        let capacity = trace.request.body.bytes.len()
            + trace.response.as_ref().map_or(0, |r| r.body.bytes.len())
            + SAMPLE_ENCODING_OVERHEAD;
        let encoded = encode_redacted_trace(trace, &context, &mut self.credential_names, Vec::with_capacity(capacity));
        let Ok(encoded) = encoded else {
            return;
        };
        let sample = Sample { raw_id, hash, start_ms: trace.meta.start_ms, trace: encoded };
        self.pending_samples.insert((raw_id, hash), sample);
    }

    /// Derives endpoints for hosts that received traffic and returns every change since
    /// the last call.
    pub fn take_delta(&mut self) -> InventoryDelta {
        let mut delta = InventoryDelta::default();

        let dirty_hosts: Vec<String> =
            self.hosts.iter().filter(|(_, h)| h.derive_dirty).map(|(name, _)| name.clone()).collect();
        for host in dirty_hosts {
            self.derive_host(&host, &mut delta);
        }

        for host in self.hosts.values_mut() {
            if host.stats_dirty {
                delta.hosts.push(host.stats.clone());
                host.stats_dirty = false;
            }
        }
        for state in self.raws.values_mut() {
            if state.dirty {
                delta.raw_endpoints.push(state.raw.clone());
                state.dirty = false;
            }
            if state.risk_dirty {
                delta.risk_dirty.push(state.raw.endpoint_id.clone());
                state.risk_dirty = false;
            }
        }
        delta.risk_dirty.extend(delta.endpoint_moves.iter().map(|(_, new)| new.clone()));
        delta.risk_dirty.sort();
        delta.risk_dirty.dedup();
        delta.raw_endpoints.sort_by_key(|raw| raw.id);
        delta.hosts.sort_by(|a, b| a.host.cmp(&b.host));

        delta.hourly = self.pending_hourly.drain().map(|((raw_id, hour), count)| (raw_id, hour, count)).collect();
        delta.hourly.sort_unstable();
        for state in self.raws.values_mut() {
            for hash in state.dirty_fields.drain(..) {
                let Some(entry) = state.fields.get_mut(&hash) else {
                    continue;
                };
                delta.fields.push(FieldDelta {
                    raw_id: state.raw.id,
                    key: entry.key.clone(),
                    count: entry.count,
                    format: entry.format,
                    first_seen_ms: entry.first_seen_ms,
                    last_seen_ms: entry.last_seen_ms,
                });
                entry.reset();
            }
        }
        delta.samples_added = self.pending_samples.drain().map(|(_, sample)| sample).collect();
        delta.samples_added.sort_by_key(|s| (s.raw_id, s.hash));
        delta.samples_removed = std::mem::take(&mut self.pending_samples_removed);
        self.drain_classes(&mut delta);
        delta
    }

    /// Moves pending data classes, alerts, findings and actors into `delta`. Alerts and
    /// findings name the endpoint that their raw endpoint belongs to after this commit's
    /// derivation.
    fn drain_classes(&mut self, delta: &mut InventoryDelta) {
        if let Some(classifier) = self.config.classifier.clone() {
            for ((raw_id, section, path, status, content_type, class), acc) in self.pending_classes.drain() {
                let meta = classifier.class(class);
                delta.field_classes.push(FieldClassDelta {
                    raw_id,
                    section,
                    path,
                    status,
                    content_type,
                    class_id: meta.id.clone(),
                    severity: meta.severity,
                    hits: acc.hits,
                    first_hit_ms: acc.first_hit_ms,
                    last_hit_ms: acc.last_hit_ms,
                });
            }
        }
        self.pending_classes.clear();
        delta.field_classes.sort_by(|a, b| (a.raw_id, &a.path, &a.class_id).cmp(&(b.raw_id, &b.path, &b.class_id)));

        for ((raw_id, kind, location, data_class, actor), acc) in self.pending_alerts.drain() {
            let Some(state) = self.raws.get(&raw_id) else {
                continue;
            };
            // Scanners touch many paths, most of which do not exist; one alert per actor
            // and host says more than one per probed path.
            let host_wide = HOST_WIDE_ALERTS.contains(&kind.as_str());
            delta.alerts.push(AlertEvent {
                kind,
                severity: acc.severity,
                endpoint_id: if host_wide { None } else { Some(state.raw.endpoint_id.clone()) },
                host: Some(state.raw.host.clone()),
                description: acc.description,
                location: Some(location),
                data_class,
                actor,
                count: acc.count,
                first_seen_ms: acc.first_seen_ms,
                last_seen_ms: acc.last_seen_ms,
            });
        }
        delta.alerts.sort_by(|a, b| {
            (&a.endpoint_id, &a.kind, &a.location, &a.actor).cmp(&(&b.endpoint_id, &b.kind, &b.location, &b.actor))
        });

        for (raw_id, mut finding) in self.pending_findings.drain(..) {
            finding.endpoint_id = self.raws.get(&raw_id).map(|state| state.raw.endpoint_id.clone());
            delta.findings.push(finding);
        }
        let mut actors: Vec<ActorDelta> = self.pending_actors.drain().map(|(_, actor)| actor).collect();
        actors.sort_by(|a, b| a.id.cmp(&b.id));
        delta.actors = actors;
    }

    fn derive_host(&mut self, host: &str, delta: &mut InventoryDelta) {
        let Some(host_state) = self.hosts.get_mut(host) else {
            return;
        };
        host_state.derive_dirty = false;
        let raws: Vec<&RawEndpoint> =
            host_state.raw_ids.iter().filter_map(|id| self.raws.get(id)).map(|s| &s.raw).collect();
        let derived = derive_endpoints(host, &raws, &self.config.discovery);

        let mut current: HashMap<String, Endpoint> = HashMap::with_capacity(derived.len());
        let mut moves: Vec<(RawId, String)> = Vec::new();
        for item in derived {
            for raw_id in &item.raw_ids {
                moves.push((*raw_id, item.endpoint.id.clone()));
            }
            if host_state.endpoints.get(&item.endpoint.id) != Some(&item.endpoint) {
                delta.endpoints.push(item.endpoint.clone());
            }
            current.insert(item.endpoint.id.clone(), item.endpoint);
        }
        for old_id in host_state.endpoints.keys() {
            if !current.contains_key(old_id) {
                delta.endpoints_removed.push(old_id.clone());
            }
        }
        host_state.endpoints = current;

        for (raw_id, endpoint_id) in moves {
            if let Some(state) = self.raws.get_mut(&raw_id)
                && state.raw.endpoint_id != endpoint_id
            {
                let old = std::mem::replace(&mut state.raw.endpoint_id, endpoint_id.clone());
                if !old.is_empty() && !delta.endpoint_moves.contains(&(old.clone(), endpoint_id.clone())) {
                    delta.endpoint_moves.push((old, endpoint_id));
                }
                state.dirty = true;
            }
        }
    }

    /// Returns the inventory host of a raw endpoint: the request's host after
    /// normalisation and `hostMap`.
    pub fn raw_host(&self, raw_id: RawId) -> Option<&str> {
        self.raws.get(&raw_id).map(|state| state.raw.host.as_str())
    }

    /// Records an alert that a check outside the pipeline's stages raised for the trace
    /// last processed, on its raw endpoint, such as drift from an imported description.
    /// It is deduplicated and counted like the pipeline's own alerts: one per kind and
    /// location on the endpoint, counting each trace once.
    pub fn raise_alert(
        &mut self,
        raw_id: RawId,
        kind: &str,
        location: &str,
        at_ms: i64,
        severity: palisade_core::Severity,
        description: impl FnOnce() -> String,
    ) {
        let key = (raw_id, kind.to_string(), location.to_string(), None, None);
        record_alert(&mut self.pending_alerts, key, at_ms, self.trace_seq, severity, description);
    }

    /// Raw endpoints that an endpoint covers, as last derived.
    pub fn raw_ids_of(&self, endpoint_id: &str) -> Vec<RawId> {
        let mut ids: Vec<RawId> =
            self.raws.values().filter(|state| state.raw.endpoint_id == endpoint_id).map(|state| state.raw.id).collect();
        ids.sort_unstable();
        ids
    }

    /// Endpoints as last derived, for callers that hold no store (evaluations, tests).
    pub fn endpoints(&self) -> Vec<&Endpoint> {
        let mut endpoints: Vec<&Endpoint> = self.hosts.values().flat_map(|h| h.endpoints.values()).collect();
        endpoints.sort_by(|a, b| (&a.host, &a.template, &a.method).cmp(&(&b.host, &b.template, &b.method)));
        endpoints
    }
}

fn bodies_empty(trace: &Trace) -> bool {
    trace.request.body.is_empty() && trace.response.as_ref().is_none_or(|r| r.body.is_empty())
}

impl FieldEntry {
    /// An entry with no observations since the last commit.
    fn idle(key: FieldKey) -> Self {
        let in_body = matches!(key.section, Section::RequestBody | Section::ResponseBody);
        Self {
            credential: in_body && json_path_may_end_in_credential(&key.path),
            key,
            count: 0,
            format: FormatState::Unset,
            first_seen_ms: i64::MAX,
            last_seen_ms: i64::MIN,
            last_trace: 0,
        }
    }

    fn reset(&mut self) {
        self.count = 0;
        self.format = FormatState::Unset;
        self.first_seen_ms = i64::MAX;
        self.last_seen_ms = i64::MIN;
    }
}

/// Hash identifying a field of a raw endpoint. 64 bits make two fields of one endpoint
/// sharing a hash unlikely enough (about 1 in 10^15 for 10,000 fields) to ignore.
///
/// Two one-shot hashes: section, type, status and content type make the seed of the
/// path's hash. For the short strings of field keys this costs a fraction of a streaming
/// hasher, which learning pays once per field of every trace.
fn field_hash(section: Section, path: &str, status: Option<u16>, content_type: &str, field_type: FieldType) -> u64 {
    xxh3_64_with_seed(path.as_bytes(), field_seed(section, status, content_type, field_type))
}

/// Hashes everything in a field key but the path, for the seed of [`field_hash`].
fn field_seed(section: Section, status: Option<u16>, content_type: &str, field_type: FieldType) -> u64 {
    let kind = u64::from(section as u8) | u64::from(field_type as u8) << 8 | u64::from(status.unwrap_or(0)) << 16;
    xxh3_64_with_seed(content_type.as_bytes(), kind)
}

/// Computes [`field_hash`] of observations, keeping the seeds of the current section,
/// status and content type, which every field of a body shares.
#[derive(Default)]
struct FieldHasher {
    section: Option<Section>,
    status: Option<u16>,
    content_type: String,
    /// Seeds by [`FieldType`] discriminant.
    seeds: [Option<u64>; 8],
}

impl FieldHasher {
    fn hash(&mut self, observation: &FieldObservation<'_>) -> u64 {
        let FieldObservation { section, status, content_type, path, field_type, .. } = *observation;
        if self.section != Some(section) || self.status != status || self.content_type != content_type {
            self.section = Some(section);
            self.status = status;
            self.content_type.clear();
            self.content_type.push_str(content_type);
            self.seeds = [None; 8];
        }
        let seed = match self.seeds.get_mut(field_type as usize) {
            Some(slot) => *slot.get_or_insert_with(|| field_seed(section, status, content_type, field_type)),
            None => field_seed(section, status, content_type, field_type),
        };
        xxh3_64_with_seed(path.as_bytes(), seed)
    }
}

/// Returns the format one observed value contributes: its string format, mixed for
/// strings without one, and unset for other types.
fn value_format(field_type: FieldType, text: Option<&str>) -> FormatState {
    match (field_type, text) {
        (FieldType::String, Some(text)) => string_format(text).map(FormatState::One).unwrap_or(FormatState::Mixed),
        (FieldType::String, None) => FormatState::Mixed,
        _ => FormatState::Unset,
    }
}

/// Counts one observation of a field. Returns true when the field may sit under a
/// credential-named key, and for fields not kept because the endpoint has too many.
// The per-trace state is borrowed piecewise so the caller's closure can also classify.
#[allow(clippy::too_many_arguments)]
fn record_field(
    fields: &mut hashbrown::HashMap<u64, FieldEntry, BuildHasherDefault<IdentityHasher>>,
    dirty_fields: &mut Vec<u64>,
    counters: &mut PipelineCounters,
    max_fields: usize,
    observation: &FieldObservation<'_>,
    hash: u64,
    at: i64,
    seq: u64,
) -> bool {
    let fields_full = fields.len() >= max_fields;
    let entry = match fields.entry(hash) {
        hashbrown::hash_map::Entry::Occupied(entry) => entry.into_mut(),
        hashbrown::hash_map::Entry::Vacant(_) if fields_full => {
            counters.fields_over_limit += 1;
            return true;
        }
        hashbrown::hash_map::Entry::Vacant(entry) => entry.insert(FieldEntry::idle(FieldKey {
            section: observation.section,
            path: observation.path.to_string(),
            status: observation.status,
            content_type: observation.content_type.to_string(),
            field_type: observation.field_type,
        })),
    };
    if entry.count == 0 {
        dirty_fields.push(hash);
    }
    if entry.last_trace != seq {
        entry.count += 1;
        entry.last_trace = seq;
    }
    // A mixed format stays mixed whatever the value, so the value's format is only
    // inferred while the field's values still agree.
    if entry.format != FormatState::Mixed {
        entry.format = entry.format.merge(value_format(observation.field_type, observation.text));
    }
    entry.first_seen_ms = entry.first_seen_ms.min(at);
    entry.last_seen_ms = entry.last_seen_ms.max(at);
    entry.credential
}

/// Learns fields from an agent's field types, for traces whose bodies it stripped. Agent
/// paths look like `resBody.items.[].email` or `reqHeaders.User-Agent`; array items are
/// written `items[]` here, as for fields learned from bodies.
fn learn_agent_fields(agent: &AgentAnalysis, trace: &Trace, sink: &mut dyn FnMut(FieldObservation<'_>)) {
    let status = trace.response.as_ref().map(|r| r.status);
    let request_type = media_type(trace.request.content_type.as_deref().unwrap_or(""));
    let response_type = media_type(trace.response.as_ref().and_then(|r| r.content_type.as_deref()).unwrap_or(""));
    let mut field_path_buffer = String::new();

    for (path, types) in &agent.field_types {
        let Some((prefix, rest)) = path.split_once('.') else {
            continue;
        };
        let (section, status, content_type) = match prefix {
            "reqBody" => (Section::RequestBody, None, request_type.as_ref()),
            "resBody" => (Section::ResponseBody, status, response_type.as_ref()),
            "reqHeaders" => (Section::RequestHeader, None, ""),
            "resHeaders" => (Section::ResponseHeader, status, ""),
            "reqQuery" => (Section::Query, None, ""),
            _ => continue,
        };
        field_path_buffer.clear();
        if matches!(section, Section::RequestHeader | Section::ResponseHeader) {
            field_path_buffer.push_str(rest);
            field_path_buffer.make_ascii_lowercase();
        } else {
            field_path_buffer.push_str(&rest.replace(".[]", "[]"));
        }
        let field_path = field_path_buffer.as_str();
        for type_name in types {
            let field_type = match type_name.as_str() {
                "number" | "float" | "double" => FieldType::Number,
                "integer" | "int" => FieldType::Integer,
                "boolean" | "bool" => FieldType::Boolean,
                "object" => FieldType::Object,
                "array" => FieldType::Array,
                "null" | "undefined" => FieldType::Null,
                _ => FieldType::String,
            };
            sink(FieldObservation { section, status, content_type, path: field_path, field_type, text: None });
        }
    }
}

/// Records the data classes of values and the alerts they raise, for one trace.
struct ClassRecorder<'a> {
    classifier: Option<&'a dyn DataClassifier>,
    min_alert_severity: palisade_core::Severity,
    pending_classes: &'a mut HashMap<ClassKey, ClassAcc>,
    pending_alerts: &'a mut HashMap<AlertKey, AlertAcc>,
    matches: &'a mut Vec<DataMatch>,
    classified_sections: &'a mut u8,
    /// The raw endpoint's `(section, class)` pairs and risk flag, to notice new classes.
    class_pairs: &'a mut Vec<(Section, u32)>,
    risk_dirty: &'a mut bool,
    raw_id: RawId,
    at: i64,
    seq: u64,
    unauthenticated_success: bool,
    ignored: &'a IgnoredDetections,
    request_ignores: &'a RequestIgnores,
    /// Classes dropped here by `ignoredDetections`.
    ignored_count: u64,
}

impl ClassRecorder<'_> {
    fn classify(&mut self, section: Section, path: &str, status: Option<u16>, content_type: &str, text: &str) {
        let Some(classifier) = self.classifier else {
            return;
        };
        self.matches.clear();
        classifier.classify(section, path, text, self.matches);
        if self.matches.is_empty() {
            return;
        }
        *self.classified_sections |= 1 << section as u8;
        let mut found: Vec<u32> = self.matches.iter().map(|m| m.class).collect();
        found.sort_unstable();
        found.dedup();
        for class in found {
            self.record(section, path, status, content_type, class);
        }
    }

    fn record(&mut self, section: Section, path: &str, status: Option<u16>, content_type: &str, class: u32) {
        let Some(classifier) = self.classifier else {
            return;
        };
        if !self.request_ignores.is_empty()
            && self.ignored.ignores(
                self.request_ignores,
                &classifier.class(class).id,
                Some((Part::of_section(section), path)),
            )
        {
            self.ignored_count += 1;
            return;
        }
        if !self.class_pairs.contains(&(section, class)) {
            self.class_pairs.push((section, class));
            *self.risk_dirty = true;
        }
        let key = (self.raw_id, section, path.to_string(), status, content_type.to_string(), class);
        let acc = self.pending_classes.entry(key).or_insert(ClassAcc {
            hits: 0,
            first_hit_ms: self.at,
            last_hit_ms: self.at,
            last_trace: 0,
        });
        if acc.last_trace != self.seq {
            acc.hits += 1;
            acc.last_trace = self.seq;
        }
        acc.first_hit_ms = acc.first_hit_ms.min(self.at);
        acc.last_hit_ms = acc.last_hit_ms.max(self.at);

        let meta = classifier.class(class);
        if meta.severity < self.min_alert_severity {
            return;
        }
        let location =
            if path.is_empty() { section.as_str().to_string() } else { format!("{} {path}", section.as_str()) };
        for kind in alert_kinds(section, meta, self.unauthenticated_success) {
            let key = (self.raw_id, kind.to_string(), location.clone(), Some(meta.id.clone()), None);
            record_alert(self.pending_alerts, key, self.at, self.seq, meta.severity, || {
                alert_description(kind, meta, &location)
            });
        }
    }

    /// Records the classes an agent detected itself (Metlo's `sensitiveDataDetected`),
    /// for traces whose values it stripped. Agent names are looked up in the classifier;
    /// names it does not know are skipped.
    fn record_agent_classes(&mut self, agent: &AgentAnalysis, trace: &Trace) {
        let Some(classifier) = self.classifier else {
            return;
        };
        let status = trace.response.as_ref().map(|r| r.status);
        for (path, names) in &agent.data_classes {
            let Some((section, status, rest)) = agent_location(path, status) else {
                continue;
            };
            let field_path = rest.replace(".[]", "[]");
            for name in names {
                if let Some(class) = classifier.lookup(name) {
                    self.record(section, &field_path, status, "", class);
                }
            }
        }
    }
}

/// Splits an agent's field path (`resBody.email`) into section, status and field path.
fn agent_location(path: &str, status: Option<u16>) -> Option<(Section, Option<u16>, &str)> {
    let (prefix, rest) = path.split_once('.')?;
    let (section, status) = match prefix {
        "reqBody" => (Section::RequestBody, None),
        "resBody" => (Section::ResponseBody, status),
        "reqHeaders" => (Section::RequestHeader, None),
        "resHeaders" => (Section::ResponseHeader, status),
        "reqQuery" => (Section::Query, None),
        _ => return None,
    };
    Some((section, status, rest))
}

/// Alert types raised once per actor and host rather than per endpoint.
const HOST_WIDE_ALERTS: [&str; 2] = ["attack_scanner", "not_found_scanning"];

/// Longest request path kept in a finding, in bytes.
const MAX_FINDING_PATH_BYTES: usize = 512;

fn cut(text: &str, max_bytes: usize) -> String {
    if text.len() <= max_bytes {
        return text.to_string();
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// The user name a login request carried in a JSON or URL-encoded body field named
/// `username`, `user`, `email` or `login`.
fn login_username(trace: &Trace) -> Option<String> {
    const KEYS: [&str; 5] = ["username", "user", "email", "login", "user_name"];
    let body = &trace.request.body.bytes;
    if body.is_empty() {
        return None;
    }
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body) {
        return KEYS.iter().find_map(|key| map.get(*key).and_then(|v| v.as_str()).map(|v| cut(v, 256)));
    }
    form_urlencoded::parse(body).find(|(name, _)| KEYS.contains(&name.as_ref())).map(|(_, value)| cut(&value, 256))
}

/// Content hash of a trace, for choosing samples independently of arrival order.
fn trace_hash(trace: &Trace) -> u64 {
    let mut hasher = Xxh3::new();
    let request = &trace.request;
    hasher.update(request.method.as_bytes());
    hasher.update(request.host.as_bytes());
    hasher.update(request.path.as_bytes());
    for param in &request.query {
        hasher.update(param.name.as_bytes());
        hasher.update(param.value.as_bytes());
    }
    hasher.update(&request.body.bytes);
    hasher.update(&trace.meta.start_ms.to_le_bytes());
    if let Some(response) = &trace.response {
        hasher.update(&response.status.to_le_bytes());
        hasher.update(&response.body.bytes);
    }
    hasher.digest()
}

#[cfg(test)]
mod tests;
