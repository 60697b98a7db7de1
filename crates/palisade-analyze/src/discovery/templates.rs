//! Derives a host's endpoints from its raw endpoints.
//!
//! The derivation walks the raw paths level by level. At each position, values with an
//! identifier shape already form one parameter. Word-like literal values join that
//! parameter when they are many and rarely repeat: at least `min_distinct_values`
//! distinct values, and a share of requests carrying a once-seen value of at least
//! `min_singleton_share`. A value called far more often than its siblings (`me` among
//! user names) stays literal. Route templates that applications report are kept as they
//! are.
//!
//! The distinct values needed may add up over every path with the same shape above the
//! position, where a position holding several literals counts as one shape, as long as
//! each of those paths' values look like parameter values on their own (rarely repeated).
//! So under `/zones/{us-east1-a, europe-west1-b, ...}/pools/`, the pool names of all
//! zones count together, not zone by zone with a handful each. The result is a function
//! of the set of raw endpoints and their counts only.

use std::collections::{BTreeMap, BTreeSet};

use palisade_core::auth::AuthStats;
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

/// One segment of a pooling key: a literal, or any value (a parameter, or a position that
/// holds several literals).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Shape {
    Literal(String),
    Any,
}

/// Raw endpoints that share a prefix of slots.
struct Node {
    members: Vec<usize>,
    prefix: Vec<Slot>,
    shape: Vec<Shape>,
}

/// A node's raw endpoints sorted by their segment at the current depth.
#[derive(Default)]
struct Split<'a> {
    literals: BTreeMap<&'a str, LiteralGroup>,
    params: Vec<usize>,
    has_overflow: bool,
    route_names: BTreeSet<&'a str>,
}

/// Derives the endpoints of `host` from all of its raw endpoints, sorted by template and
/// method.
pub fn derive_endpoints(host: &str, raws: &[&RawEndpoint], config: &DiscoveryConfig) -> Vec<DerivedEndpoint> {
    let mut assignments: Vec<(usize, Vec<Slot>)> = Vec::with_capacity(raws.len());
    let root = Node { members: (0..raws.len()).collect(), prefix: Vec::new(), shape: Vec::new() };
    let mut level = vec![root];
    let mut depth = 0;
    while !level.is_empty() {
        level = derive_level(raws, config, level, depth, &mut assignments);
        depth += 1;
    }

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

/// Decides the position at `depth` for every node of one level and returns the next level.
fn derive_level<'a>(
    raws: &[&'a RawEndpoint],
    config: &DiscoveryConfig,
    level: Vec<Node>,
    depth: usize,
    out: &mut Vec<(usize, Vec<Slot>)>,
) -> Vec<Node> {
    // Sort each node's raw endpoints by their segment at this depth.
    let mut splits: Vec<Split<'a>> = Vec::with_capacity(level.len());
    for node in &level {
        let mut split = Split::default();
        for &index in &node.members {
            let raw = raws[index];
            let Some(segment) = raw.segments.get(depth) else {
                out.push((index, node.prefix.clone()));
                continue;
            };
            match segment {
                RawSegment::Literal(text) => {
                    let entry = split.literals.entry(text.as_str()).or_default();
                    entry.members.push(index);
                    entry.hits += raw.hits;
                    entry.protected |= raw.route;
                }
                RawSegment::Ident(_) => split.params.push(index),
                RawSegment::Overflow(_) => {
                    split.has_overflow = true;
                    split.params.push(index);
                }
                RawSegment::Route(name) => {
                    split.route_names.insert(name);
                    split.params.push(index);
                }
            }
        }
        splits.push(split);
    }

    // Judge each node's word-like values on their own, then let nodes with the same shape
    // that all look like parameter values add up their distinct values.
    let local: Vec<LocalStats<'_>> = splits.iter().map(|split| local_stats(&split.literals)).collect();
    let mut pooled_distinct: BTreeMap<&[Shape], u64> = BTreeMap::new();
    for (node, stats) in level.iter().zip(&local) {
        if stats.looks_like_values(config) {
            *pooled_distinct.entry(node.shape.as_slice()).or_insert(0) += stats.candidates.len() as u64;
        }
    }

    let mut next = Vec::new();
    for ((node, mut split), stats) in level.iter().zip(splits).zip(local) {
        let pooled = pooled_distinct.get(node.shape.as_slice()).copied().unwrap_or(0);
        let collapsed: Vec<&str> = if split.has_overflow {
            // Which values arrived before the position overflowed depends on arrival
            // order, so none of this node's values may stay literal.
            split.literals.iter().filter(|(_, g)| !g.protected).map(|(v, _)| *v).collect()
        } else if stats.looks_like_values(config) && pooled >= config.min_distinct_values {
            stats.candidates.clone()
        } else {
            Vec::new()
        };
        let singleton_share = if split.has_overflow { 1.0 } else { stats.singleton_share };
        let mut collapsed_any = false;
        for value in collapsed {
            if let Some(group) = split.literals.remove(value) {
                split.params.extend(group.members);
                collapsed_any = true;
            }
        }

        let plural = split.literals.len() > 1;
        for (value, group) in split.literals {
            let mut prefix = node.prefix.clone();
            prefix.push(Slot::Literal(value.to_string()));
            let mut shape = node.shape.clone();
            shape.push(if plural { Shape::Any } else { Shape::Literal(value.to_string()) });
            next.push(Node { members: group.members, prefix, shape });
        }

        if !split.params.is_empty() {
            let rule = if !split.route_names.is_empty() {
                ParamRule::Route
            } else if split.has_overflow {
                ParamRule::Overflow
            } else if collapsed_any {
                ParamRule::Cardinality
            } else {
                ParamRule::Shape
            };
            let route_name = split.route_names.first().map(|name| name.to_string());
            let mut prefix = node.prefix.clone();
            prefix.push(Slot::Param { rule, route_name, singleton_share });
            let mut shape = node.shape.clone();
            shape.push(Shape::Any);
            split.params.sort_unstable();
            next.push(Node { members: split.params, prefix, shape });
        }
    }
    next
}

#[derive(Default)]
struct LiteralGroup {
    members: Vec<usize>,
    hits: u64,
    /// True when a route template names this literal, so it is never merged.
    protected: bool,
}

/// A node's word-like values without the ones called far more often than the rest.
struct LocalStats<'a> {
    candidates: Vec<&'a str>,
    /// Share of the candidates' requests whose value was seen only once.
    singleton_share: f64,
}

impl LocalStats<'_> {
    fn looks_like_values(&self, config: &DiscoveryConfig) -> bool {
        !self.candidates.is_empty() && self.singleton_share >= config.min_singleton_share
    }
}

fn local_stats<'a>(literals: &BTreeMap<&'a str, LiteralGroup>) -> LocalStats<'a> {
    let values: Vec<(&'a str, u64)> =
        literals.iter().filter(|(_, group)| !group.protected).map(|(value, group)| (*value, group.hits)).collect();
    if values.is_empty() {
        return LocalStats { candidates: Vec::new(), singleton_share: 0.0 };
    }

    // Values called far more often than the median stay literal and do not count towards
    // the share of once-seen values.
    let mut hits: Vec<u64> = values.iter().map(|(_, hits)| *hits).collect();
    hits.sort_unstable();
    let median = hits[hits.len() / 2];
    let survivor_floor = (median * SURVIVOR_FACTOR).max(SURVIVOR_MIN_HITS);
    let rest: Vec<(&'a str, u64)> = values.into_iter().filter(|(_, hits)| *hits < survivor_floor).collect();

    let total: u64 = rest.iter().map(|(_, hits)| hits).sum();
    let singletons = rest.iter().filter(|(_, hits)| *hits <= 1).count() as u64;
    let singleton_share = if total == 0 { 0.0 } else { singletons as f64 / total as f64 };
    LocalStats { candidates: rest.into_iter().map(|(value, _)| value).collect(), singleton_share }
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
        auth: members.iter().fold(AuthStats::default(), |mut total, &i| {
            total.merge(&raws[i].auth);
            total
        }),
        risk: Default::default(),
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
                        auth: AuthStats::default(),
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
    fn pooled_positions_collapse_across_closed_sets() {
        let zones = ["us-east1-a", "us-east1-b", "europe-west1-b", "asia-east1-c"];
        let mut requests = Vec::new();
        for (i, zone) in zones.iter().cycle().take(16).enumerate() {
            requests.push(format!(
                "/zones/{zone}/pools/pool-{}",
                ["red", "blue", "green", "gray"][i % 4].to_string() + &"x".repeat(i)
            ));
        }
        let requests: Vec<(&str, &str, u64)> = requests.iter().map(|p| ("GET", p.as_str(), 1)).collect();
        let got = templates(&requests);
        assert_eq!(got.len(), zones.len(), "{got:?}");
        assert!(got.iter().all(|t| t.ends_with("/pools/{poolId}")), "{got:?}");
    }

    #[test]
    fn unrelated_siblings_do_not_pool() {
        let mut requests: Vec<(String, u64)> = Vec::new();
        for name in ["ada", "bob", "cy", "di", "ed", "flo", "gus", "hal", "ivy", "jo", "kim"] {
            requests.push((format!("/api/profiles/{name}"), 1));
        }
        for resource in ["pods", "nodes", "jobs"] {
            requests.push((format!("/api/v1/{resource}"), 4));
        }
        let requests: Vec<(&str, &str, u64)> = requests.iter().map(|(p, h)| ("GET", p.as_str(), *h)).collect();
        let got = templates(&requests);
        assert!(got.contains(&"GET /api/profiles/{profileId}".to_string()), "{got:?}");
        assert!(got.contains(&"GET /api/v1/pods".to_string()), "{got:?}");
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
