//! Derives a host's endpoints from its raw endpoints.
//!
//! The derivation walks the raw paths position by position. At each position, values with
//! an identifier shape already form one parameter. Word-like literal values join that
//! parameter when they are many and rarely repeat: at least `min_distinct_values`
//! distinct values, and a share of requests carrying a once-seen value of at least
//! `min_singleton_share`. A value called far more often than its siblings (`me` among
//! user names) stays literal. Route templates that applications report are kept as they
//! are. The result is a function of the set of raw endpoints and their counts only.

use std::collections::{BTreeMap, BTreeSet};

use palisade_core::inventory::{Endpoint, PositionStats, RawEndpoint, RawId, RawSegment, endpoint_id};
use palisade_core::{ParamEvidence, ParamRule, ValueKind};

use super::naming::{param_name, unique_name};
use super::shape::classify_segment;
use crate::config::DiscoveryConfig;

/// A literal called at least this many times as often as the median of its siblings stays
/// literal when the siblings become a parameter.
const SURVIVOR_FACTOR: u64 = 10;
/// ... and at least this many times in all.
const SURVIVOR_MIN_HITS: u64 = 10;

/// An endpoint and the raw endpoints it covers.
#[derive(Debug, Clone, PartialEq)]
pub struct DerivedEndpoint {
    pub endpoint: Endpoint,
    pub raw_ids: Vec<RawId>,
}

#[derive(Debug, Clone, PartialEq)]
enum Slot {
    Literal(String),
    Param { rule: ParamRule, route_name: Option<String>, singleton_share: f64 },
}

/// Derives the endpoints of `host` from all of its raw endpoints, sorted by template and
/// method.
pub fn derive_endpoints(host: &str, raws: &[&RawEndpoint], config: &DiscoveryConfig) -> Vec<DerivedEndpoint> {
    let mut assignments: Vec<(usize, Vec<Slot>)> = Vec::with_capacity(raws.len());
    let all: Vec<usize> = (0..raws.len()).collect();
    partition(raws, config, all, 0, &mut Vec::new(), &mut assignments);

    let mut groups: BTreeMap<(String, String), (Vec<Slot>, Vec<usize>)> = BTreeMap::new();
    for (index, slots) in assignments {
        let template = render_template(&slots);
        let key = (template, raws[index].method.clone());
        groups.entry(key).or_insert_with(|| (slots, Vec::new())).1.push(index);
    }

    groups
        .into_iter()
        .map(|((template, method), (slots, members))| build_endpoint(host, &method, &template, &slots, &members, raws))
        .collect()
}

fn partition(
    raws: &[&RawEndpoint],
    config: &DiscoveryConfig,
    group: Vec<usize>,
    depth: usize,
    prefix: &mut Vec<Slot>,
    out: &mut Vec<(usize, Vec<Slot>)>,
) {
    // Sort the group's raw endpoints by what they hold at this depth.
    let mut literals: BTreeMap<&str, LiteralGroup> = BTreeMap::new();
    let mut params: Vec<usize> = Vec::new();
    let mut has_overflow = false;
    let mut route_names: BTreeSet<&str> = BTreeSet::new();
    for index in group {
        let raw = raws[index];
        let Some(segment) = raw.segments.get(depth) else {
            out.push((index, prefix.clone()));
            continue;
        };
        match segment {
            RawSegment::Literal(text) => {
                let entry = literals.entry(text.as_str()).or_default();
                entry.members.push(index);
                entry.hits += raw.hits;
                entry.protected |= raw.route;
            }
            RawSegment::Ident(_) => params.push(index),
            RawSegment::Overflow(_) => {
                has_overflow = true;
                params.push(index);
            }
            RawSegment::Route(name) => {
                route_names.insert(name);
                params.push(index);
            }
        }
    }

    // Decide which word-like literals join the parameter.
    let decision = decide_collapse(&literals, has_overflow, config);
    let mut collapsed_any = false;
    for value in &decision.collapsed {
        if let Some(entry) = literals.remove(value) {
            params.extend(entry.members);
            collapsed_any = true;
        }
    }

    for (value, entry) in literals {
        prefix.push(Slot::Literal(value.to_string()));
        partition(raws, config, entry.members, depth + 1, prefix, out);
        prefix.pop();
    }

    if !params.is_empty() {
        let rule = if !route_names.is_empty() {
            ParamRule::Route
        } else if has_overflow {
            ParamRule::Overflow
        } else if collapsed_any {
            ParamRule::Cardinality
        } else {
            ParamRule::Shape
        };
        let route_name = route_names.first().map(|name| name.to_string());
        prefix.push(Slot::Param { rule, route_name, singleton_share: decision.singleton_share });
        params.sort_unstable();
        partition(raws, config, params, depth + 1, prefix, out);
        prefix.pop();
    }
}

#[derive(Default)]
struct LiteralGroup {
    members: Vec<usize>,
    hits: u64,
    /// True when a route template names this literal, so it is never merged.
    protected: bool,
}

struct CollapseDecision<'a> {
    collapsed: Vec<&'a str>,
    singleton_share: f64,
}

fn decide_collapse<'a>(
    literals: &BTreeMap<&'a str, LiteralGroup>,
    has_overflow: bool,
    config: &DiscoveryConfig,
) -> CollapseDecision<'a> {
    let candidates: Vec<(&'a str, u64)> =
        literals.iter().filter(|(_, group)| !group.protected).map(|(value, group)| (*value, group.hits)).collect();

    if has_overflow {
        // Which values arrived before the position overflowed depends on arrival order, so
        // none of them may stay literal.
        return CollapseDecision { collapsed: candidates.iter().map(|(v, _)| *v).collect(), singleton_share: 1.0 };
    }
    if (candidates.len() as u64) < config.min_distinct_values {
        return CollapseDecision { collapsed: Vec::new(), singleton_share: 0.0 };
    }

    // Values called far more often than the median stay literal and do not count towards
    // the share of once-seen values.
    let mut hits: Vec<u64> = candidates.iter().map(|(_, hits)| *hits).collect();
    hits.sort_unstable();
    let median = hits[hits.len() / 2];
    let survivor_floor = (median * SURVIVOR_FACTOR).max(SURVIVOR_MIN_HITS);
    let rest: Vec<(&'a str, u64)> = candidates.into_iter().filter(|(_, hits)| *hits < survivor_floor).collect();

    let total: u64 = rest.iter().map(|(_, hits)| hits).sum();
    let singletons = rest.iter().filter(|(_, hits)| *hits <= 1).count() as u64;
    let singleton_share = if total == 0 { 0.0 } else { singletons as f64 / total as f64 };
    if (rest.len() as u64) < config.min_distinct_values || singleton_share < config.min_singleton_share {
        return CollapseDecision { collapsed: Vec::new(), singleton_share };
    }
    CollapseDecision { collapsed: rest.into_iter().map(|(v, _)| v).collect(), singleton_share }
}

fn render_template(slots: &[Slot]) -> String {
    let mut template = String::new();
    let mut previous_literal: Option<&str> = None;
    let mut taken: Vec<String> = Vec::new();
    for slot in slots {
        template.push('/');
        match slot {
            Slot::Literal(text) => {
                template.push_str(text);
                previous_literal = Some(text);
            }
            Slot::Param { route_name, .. } => {
                let base = route_name.clone().unwrap_or_else(|| param_name(previous_literal));
                let name = unique_name(base, &taken);
                template.push('{');
                template.push_str(&name);
                template.push('}');
                taken.push(name);
            }
        }
    }
    if template.is_empty() {
        template.push('/');
    }
    template
}

fn build_endpoint(
    host: &str,
    method: &str,
    template: &str,
    slots: &[Slot],
    members: &[usize],
    raws: &[&RawEndpoint],
) -> DerivedEndpoint {
    let names: Vec<&str> = template
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_start_matches('{').trim_end_matches('}'))
        .collect();

    let mut params = Vec::new();
    for (position, slot) in slots.iter().enumerate() {
        let Slot::Param { rule, singleton_share, .. } = slot else {
            continue;
        };
        let stats = position_stats(position, members, raws);
        let samples: u64 = stats.kinds.iter().map(|(_, count)| count).sum();
        let confidence = match rule {
            ParamRule::Route | ParamRule::Overflow => 1.0,
            ParamRule::Cardinality => *singleton_share,
            ParamRule::Shape => {
                let identifiers: u64 =
                    stats.kinds.iter().filter(|(kind, _)| kind.is_identifier()).map(|(_, count)| count).sum();
                if samples == 0 { 1.0 } else { identifiers as f64 / samples as f64 }
            }
        };
        params.push(ParamEvidence {
            position,
            name: names.get(position).unwrap_or(&"id").to_string(),
            rule: *rule,
            kinds: stats.kinds,
            distinct_values: stats.distinct.estimate(),
            samples,
            confidence: (confidence * 1000.0).round() / 1000.0,
        });
    }

    let mut raw_ids: Vec<RawId> = members.iter().map(|&i| raws[i].id).collect();
    raw_ids.sort_unstable();
    let endpoint = Endpoint {
        id: endpoint_id(method, host, template),
        host: host.to_string(),
        method: method.to_string(),
        template: template.to_string(),
        params,
        hits: members.iter().map(|&i| raws[i].hits).sum(),
        first_seen_ms: members.iter().map(|&i| raws[i].first_seen_ms).min().unwrap_or(0),
        last_seen_ms: members.iter().map(|&i| raws[i].last_seen_ms).max().unwrap_or(0),
        raw_count: members.len() as u64,
    };
    DerivedEndpoint { endpoint, raw_ids }
}

/// Merges what the member raw endpoints saw at `position`: literal segments count as one
/// value each, parameter positions bring their recorded statistics.
fn position_stats(position: usize, members: &[usize], raws: &[&RawEndpoint]) -> PositionStats {
    let mut merged = PositionStats::default();
    for &index in members {
        let raw = raws[index];
        match raw.segments.get(position) {
            Some(RawSegment::Literal(text)) => {
                let kind = classify_segment(text);
                let mut literal = PositionStats { kinds: vec![(kind, raw.hits)], ..PositionStats::default() };
                literal.distinct.insert_value(text);
                merged.merge(&literal);
            }
            Some(_) => {
                if let Some(stats) = raw.positions.get(position) {
                    merged.merge(stats);
                }
            }
            None => {}
        }
    }
    if merged.kinds.is_empty() {
        merged.kinds.push((ValueKind::Other, 0));
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::tree::{HostTree, Lookup, Step};
    use palisade_core::path::split_path;

    /// Builds raw endpoints from `(method, path, hits)` the way the pipeline does.
    fn raws_from(requests: &[(&str, &str, u64)]) -> Vec<RawEndpoint> {
        let mut tree = HostTree::new(64);
        let mut raws: Vec<RawEndpoint> = Vec::new();
        for &(method, path, hits) in requests {
            let segments = split_path(path);
            let steps = Step::from_path(&segments);
            let index = match tree.lookup(method, &steps) {
                Lookup::Found(id) => id as usize,
                Lookup::Missing => {
                    let id = raws.len() as RawId;
                    let raw_segments = tree.insert(method, &steps, id);
                    raws.push(RawEndpoint {
                        id,
                        host: "h".into(),
                        method: method.into(),
                        positions: vec![PositionStats::default(); raw_segments.len()],
                        segments: raw_segments,
                        hits: 0,
                        first_seen_ms: 0,
                        last_seen_ms: 0,
                        route: false,
                        endpoint_id: String::new(),
                    });
                    id as usize
                }
            };
            let raw = &mut raws[index];
            raw.hits += hits;
            for (position, segment) in segments.iter().enumerate() {
                if !raw.segments[position].is_literal() {
                    for _ in 0..hits {
                        raw.positions[position].record(classify_segment(segment), segment);
                    }
                }
            }
        }
        raws
    }

    fn templates(requests: &[(&str, &str, u64)]) -> Vec<String> {
        let raws = raws_from(requests);
        let refs: Vec<&RawEndpoint> = raws.iter().collect();
        derive_endpoints("h", &refs, &DiscoveryConfig::default())
            .into_iter()
            .map(|d| format!("{} {}", d.endpoint.method, d.endpoint.template))
            .collect()
    }

    #[test]
    fn identifiers_become_named_params() {
        let got =
            templates(&[("GET", "/users/1/orders/9", 1), ("GET", "/users/2/orders/10", 1), ("GET", "/users/me", 3)]);
        assert_eq!(got, vec!["GET /users/me", "GET /users/{userId}/orders/{orderId}"]);
    }

    #[test]
    fn word_literal_next_to_numeric_ids_stays() {
        let got = templates(&[("GET", "/api/42/org/onboardingStatus", 1), ("GET", "/api/43/org/onboardingStatus", 1)]);
        assert_eq!(got, vec!["GET /api/{apiId}/org/onboardingStatus"]);
    }

    #[test]
    fn many_rare_words_become_param() {
        let names = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory"];
        let mut requests: Vec<(String, u64)> = names.iter().map(|n| (format!("/members/{n}"), 1)).collect();
        requests.push(("/members/search".to_string(), 40));
        let requests: Vec<(&str, &str, u64)> = requests.iter().map(|(p, h)| ("GET", p.as_str(), *h)).collect();
        assert_eq!(templates(&requests), vec!["GET /members/search", "GET /members/{memberId}"]);
    }

    #[test]
    fn repeated_resource_names_stay_literal() {
        let resources = [
            "pods",
            "services",
            "nodes",
            "secrets",
            "events",
            "configmaps",
            "endpoints",
            "namespaces",
            "limitranges",
            "podtemplates",
            "resourcequotas",
        ];
        let requests: Vec<String> = resources.iter().map(|r| format!("/api/v1/{r}")).collect();
        let requests: Vec<(&str, &str, u64)> = requests.iter().map(|p| ("GET", p.as_str(), 5)).collect();
        assert_eq!(templates(&requests).len(), resources.len());
    }

    #[test]
    fn few_words_stay_literal() {
        let got = templates(&[("GET", "/api/users", 1), ("GET", "/api/orders", 1), ("GET", "/api/products", 1)]);
        assert_eq!(got, vec!["GET /api/orders", "GET /api/products", "GET /api/users"]);
    }

    #[test]
    fn evidence_records_kinds_and_distinct_values() {
        let raws = raws_from(&[("GET", "/users/1", 1), ("GET", "/users/2", 1), ("GET", "/users/2", 1)]);
        let refs: Vec<&RawEndpoint> = raws.iter().collect();
        let derived = derive_endpoints("h", &refs, &DiscoveryConfig::default());
        let param = &derived[0].endpoint.params[0];
        assert_eq!(param.name, "userId");
        assert_eq!(param.rule, ParamRule::Shape);
        assert_eq!(param.kinds, vec![(ValueKind::Integer, 3)]);
        assert_eq!(param.distinct_values, 2);
        assert_eq!(param.samples, 3);
        assert_eq!(param.confidence, 1.0);
    }

    #[test]
    fn uuid_and_integer_share_a_position() {
        let got = templates(&[("GET", "/items/7", 1), ("GET", "/items/3f0c1f9e-6b1d-4c4e-9a59-0c3f3a1e2b7d", 1)]);
        assert_eq!(got, vec!["GET /items/{itemId}"]);
    }

    #[test]
    fn consecutive_params_get_unique_names() {
        let got = templates(&[("GET", "/repos/1/2", 1)]);
        assert_eq!(got, vec!["GET /repos/{repoId}/{repoId2}"]);
    }
}
