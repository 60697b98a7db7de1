//! The pipeline: host rules, endpoint discovery, field learning and sampling, one trace
//! at a time, accumulating the inventory changes a store applies in one transaction.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use hashbrown::Equivalent;
use palisade_core::host::normalize_host;
use palisade_core::inventory::{
    Endpoint, FieldDelta, FieldKey, FormatState, HostStats, InventoryDelta, InventoryState, PositionStats, RawEndpoint,
    RawId, Sample,
};
use palisade_core::path::split_path;
use palisade_core::timestamp::hour_start;
use palisade_core::{AgentAnalysis, FieldType, PathTemplate, Section, Trace};
use xxhash_rust::xxh3::Xxh3;

use crate::config::PipelineConfig;
use crate::discovery::shape::classify_segment;
use crate::discovery::templates::derive_endpoints;
use crate::discovery::tree::{HostTree, Lookup, Step};
use crate::fields::{FieldObservation, learn_fields, media_type, string_format};
use crate::redact::redact_trace;

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
    /// Hashes of the field keys stored, or about to be stored, for this raw endpoint.
    known_fields: HashSet<u64>,
    /// Hashes of the kept samples, ascending.
    samples: Vec<u64>,
}

struct FieldAcc {
    count: u64,
    format: FormatState,
    first_seen_ms: i64,
    last_seen_ms: i64,
    /// Sequence number of the last trace counted, so a field repeated inside one trace
    /// (array items) counts once.
    last_trace: u64,
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
    pending_fields: hashbrown::HashMap<(RawId, FieldKey), FieldAcc>,
    pending_samples: HashMap<(RawId, u64), Sample>,
    pending_samples_removed: Vec<(RawId, u64)>,
}

impl Pipeline {
    pub fn new(config: PipelineConfig) -> Self {
        Self {
            config,
            hosts: HashMap::new(),
            raws: HashMap::new(),
            next_raw_id: 1,
            trace_seq: 0,
            counters: PipelineCounters::default(),
            pending_hourly: HashMap::new(),
            pending_fields: hashbrown::HashMap::new(),
            pending_samples: HashMap::new(),
            pending_samples_removed: Vec::new(),
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
            pipeline
                .raws
                .insert(raw.id, RawState { raw, dirty: false, known_fields: HashSet::new(), samples: Vec::new() });
        }
        for endpoint in state.endpoints {
            if let Some(host) = pipeline.hosts.get_mut(&endpoint.host) {
                host.endpoints.insert(endpoint.id.clone(), endpoint);
            }
        }
        for (raw_id, key) in state.field_keys {
            if let Some(raw) = pipeline.raws.get_mut(&raw_id) {
                raw.known_fields.insert(field_key_hash(raw_id, &key));
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

        // Discovery: find or create the raw endpoint.
        let raw_id = match self.resolve_raw(&host, trace) {
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
        self.record_hit(&host, raw_id, trace);
        *self.pending_hourly.entry((raw_id, hour_start(at))).or_insert(0) += 1;

        // Field learning.
        self.learn(raw_id, trace);

        // Sampling.
        self.consider_sample(raw_id, trace);

        self.counters.traces_recorded += 1;
        Outcome::Recorded { raw_id }
    }

    fn resolve_raw(&mut self, host: &str, trace: &Trace) -> Result<RawId, SkipReason> {
        let route = trace.meta.route.as_deref().map(PathTemplate::parse);
        let segments = split_path(&trace.request.path);
        let steps = match &route {
            Some(template) => Step::from_route(&template.segments),
            None => Step::from_path(&segments),
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
            endpoint_id: String::new(),
        };
        self.raws.insert(id, RawState { raw, dirty: true, known_fields: HashSet::new(), samples: Vec::new() });
        Ok(id)
    }

    fn record_hit(&mut self, host: &str, raw_id: RawId, trace: &Trace) {
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

        // Values at parameter positions, for evidence. Route templates align with the
        // request path only when both have the same number of segments.
        let segments = split_path(&trace.request.path);
        if segments.len() != raw.segments.len() {
            return;
        }
        for (position, value) in segments.iter().enumerate() {
            if !raw.segments[position].is_literal() {
                raw.positions[position].record(classify_segment(value), value);
            }
        }
    }

    fn learn(&mut self, raw_id: RawId, trace: &Trace) {
        let seq = self.trace_seq;
        let at = trace.meta.start_ms;
        let max_fields = self.config.discovery.max_fields_per_endpoint;
        let Some(raw_state) = self.raws.get_mut(&raw_id) else {
            return;
        };
        let pending = &mut self.pending_fields;
        let counters = &mut self.counters;

        let mut sink = |observation: FieldObservation<'_>| {
            let format = match (observation.field_type, observation.text) {
                (FieldType::String, Some(text)) => {
                    string_format(text).map(FormatState::One).unwrap_or(FormatState::Mixed)
                }
                (FieldType::String, None) => FormatState::Mixed,
                _ => FormatState::Unset,
            };
            let lookup = FieldKeyRef {
                raw_id,
                section: observation.section,
                path: observation.path,
                status: observation.status,
                content_type: observation.content_type,
                field_type: observation.field_type,
            };
            record_field(pending, &mut raw_state.known_fields, counters, max_fields, lookup, format, at, seq);
        };

        let agent_fields = trace.agent.as_ref().filter(|agent| agent.redacted || bodies_empty(trace));
        match agent_fields {
            Some(agent) => learn_agent_fields(agent, trace, &mut sink),
            None => {
                let summary = learn_fields(trace, &self.config.limits, &mut sink);
                counters.bodies_unparsed += summary.bodies_unparsed;
                counters.bodies_truncated += summary.bodies_truncated;
                counters.fields_skipped += summary.fields_skipped;
            }
        }
    }

    fn consider_sample(&mut self, raw_id: RawId, trace: &Trace) {
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

        let redacted = redact_trace(trace);
        let encoded = postcard::to_stdvec(&redacted).unwrap_or_default();
        self.pending_samples
            .insert((raw_id, hash), Sample { raw_id, hash, start_ms: trace.meta.start_ms, trace: encoded });
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
        }
        delta.raw_endpoints.sort_by_key(|raw| raw.id);
        delta.hosts.sort_by(|a, b| a.host.cmp(&b.host));

        delta.hourly = self.pending_hourly.drain().map(|((raw_id, hour), count)| (raw_id, hour, count)).collect();
        delta.hourly.sort_unstable();
        delta.fields = self
            .pending_fields
            .drain()
            .map(|((raw_id, key), acc)| FieldDelta {
                raw_id,
                key,
                count: acc.count,
                format: acc.format,
                first_seen_ms: acc.first_seen_ms,
                last_seen_ms: acc.last_seen_ms,
            })
            .collect();
        delta.fields.sort_by(|a, b| (a.raw_id, &a.key).cmp(&(b.raw_id, &b.key)));
        delta.samples_added = self.pending_samples.drain().map(|(_, sample)| sample).collect();
        delta.samples_added.sort_by_key(|s| (s.raw_id, s.hash));
        delta.samples_removed = std::mem::take(&mut self.pending_samples_removed);
        delta
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
                state.raw.endpoint_id = endpoint_id;
                state.dirty = true;
            }
        }
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

/// Field key borrowed from a trace, for lookups that allocate only for new fields. Its
/// `Hash` matches `(RawId, FieldKey)`'s derived one field by field.
struct FieldKeyRef<'a> {
    raw_id: RawId,
    section: Section,
    path: &'a str,
    status: Option<u16>,
    content_type: &'a str,
    field_type: FieldType,
}

impl Hash for FieldKeyRef<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.raw_id.hash(state);
        self.section.hash(state);
        self.path.hash(state);
        self.status.hash(state);
        self.content_type.hash(state);
        self.field_type.hash(state);
    }
}

impl Equivalent<(RawId, FieldKey)> for FieldKeyRef<'_> {
    fn equivalent(&self, key: &(RawId, FieldKey)) -> bool {
        let (raw_id, field) = key;
        self.raw_id == *raw_id
            && self.section == field.section
            && self.path == field.path
            && self.status == field.status
            && self.content_type == field.content_type
            && self.field_type == field.field_type
    }
}

impl FieldKeyRef<'_> {
    fn to_owned_key(&self) -> (RawId, FieldKey) {
        let key = FieldKey {
            section: self.section,
            path: self.path.to_string(),
            status: self.status,
            content_type: self.content_type.to_string(),
            field_type: self.field_type,
        };
        (self.raw_id, key)
    }
}

/// Stable hash of a field key, used to remember which fields a raw endpoint has.
fn field_key_hash(raw_id: RawId, key: &FieldKey) -> u64 {
    let lookup = FieldKeyRef {
        raw_id,
        section: key.section,
        path: &key.path,
        status: key.status,
        content_type: &key.content_type,
        field_type: key.field_type,
    };
    key_ref_hash(&lookup)
}

fn key_ref_hash(key: &FieldKeyRef<'_>) -> u64 {
    let mut hasher = Xxh3::new();
    key.hash(&mut hasher);
    hasher.finish()
}

#[allow(clippy::too_many_arguments)]
fn record_field(
    pending: &mut hashbrown::HashMap<(RawId, FieldKey), FieldAcc>,
    known: &mut HashSet<u64>,
    counters: &mut PipelineCounters,
    max_fields: usize,
    key: FieldKeyRef<'_>,
    format: FormatState,
    at: i64,
    seq: u64,
) {
    if let Some(acc) = pending.get_mut(&key) {
        if acc.last_trace != seq {
            acc.count += 1;
            acc.last_trace = seq;
        }
        acc.format = acc.format.merge(format);
        acc.first_seen_ms = acc.first_seen_ms.min(at);
        acc.last_seen_ms = acc.last_seen_ms.max(at);
        return;
    }

    let key_hash = key_ref_hash(&key);
    if !known.contains(&key_hash) {
        if known.len() >= max_fields {
            counters.fields_over_limit += 1;
            return;
        }
        known.insert(key_hash);
    }
    let acc = FieldAcc { count: 1, format, first_seen_ms: at, last_seen_ms: at, last_trace: seq };
    pending.insert(key.to_owned_key(), acc);
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
            "reqBody" => (Section::RequestBody, None, request_type.as_str()),
            "resBody" => (Section::ResponseBody, status, response_type.as_str()),
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
