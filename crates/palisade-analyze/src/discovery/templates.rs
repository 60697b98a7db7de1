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
use super::vocabulary::{Vocabulary, common_vocabulary};
use crate::config::DiscoveryConfig;

/// A literal called at least this many times as often as the median of its siblings stays
/// literal when the siblings become a parameter.
const SURVIVOR_FACTOR: u64 = 10;
/// ... and at least this many times in all.
const SURVIVOR_MIN_HITS: u64 = 10;

/// Confidence of a parameter made by a closed vocabulary: an API could also have a fixed
/// route per HTTP method or language.
const VOCABULARY_CONFIDENCE: f64 = 0.9;
/// Confidence of a parameter made by alike routes below literal values.
const STRUCTURE_CONFIDENCE: f64 = 0.7;
/// Literal values needed after a collection name before they can merge by their routes.
const SIBLING_MIN_VALUES: usize = 3;
/// Share of all the values' routes that a value's routes must cover on average to merge.
const SIBLING_MIN_OVERLAP: f64 = 0.5;
/// Largest share of the values' routes that may be found below one value only.
const SIBLING_MAX_UNIQUE_SHARE: f64 = 0.2;

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
    merge_uniform_siblings(raws, &mut assignments);

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
        let mut by_vocabulary = false;
        let collapsed: Vec<&str> = if split.has_overflow {
            // Which values arrived before the position overflowed depends on arrival
            // order, so none of this node's values may stay literal.
            split.literals.iter().filter(|(_, g)| !g.protected).map(|(v, _)| *v).collect()
        } else if stats.looks_like_values(config) && pooled >= config.min_distinct_values {
            stats.candidates.clone()
        } else if split_vocabulary(&split).is_some() {
            by_vocabulary = true;
            split.literals.keys().copied().collect()
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
            } else if collapsed_any && by_vocabulary {
                ParamRule::Vocabulary
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

/// The literal values after one collection name, and the routes below each of them.
#[derive(Default)]
struct Siblings {
    /// Value -> (method, rest of the template) of every endpoint below it.
    values: BTreeMap<String, BTreeSet<(String, String)>>,
    /// A route template or a parameter at the same position rules the position out: a
    /// literal beside a parameter is a special route, as `latest` in
    /// `/syncs/{latest, list, {syncId}}/status`.
    blocked: bool,
}

/// Turns literal values that follow a collection name into a parameter when at least
/// [`SIBLING_MIN_VALUES`] of them have the same routes below them, as package types do in
/// `/packages/{npm, maven, docker}/{name}/versions` (see [`routes_alike`]).
///
/// A collection name is a literal ending in `s`. Values after a parameter
/// (`/namespaces/{ns}/{pods, secrets}`) or after other literals (`/api/v1/{users,
/// orders}`) stay literal. So do values with nothing below them, because lists of
/// resources look alike too.
fn merge_uniform_siblings(raws: &[&RawEndpoint], assignments: &mut [(usize, Vec<Slot>)]) {
    let max_len = assignments.iter().map(|(_, slots)| slots.len()).max().unwrap_or(0);
    for position in 1..max_len {
        let mut positions: BTreeMap<String, Siblings> = BTreeMap::new();
        for (index, slots) in assignments.iter() {
            let Some(prefix) = collection_prefix(slots, position) else {
                continue;
            };
            let siblings = positions.entry(prefix).or_default();
            match &slots[position] {
                Slot::Literal(value) => {
                    siblings.blocked |= raws[*index].route;
                    let below = (raws[*index].method.clone(), slots_key(&slots[position + 1..]));
                    siblings.values.entry(value.clone()).or_default().insert(below);
                }
                Slot::Param { .. } => siblings.blocked = true,
            }
        }

        positions.retain(|_, siblings| !siblings.blocked && routes_alike(&siblings.values));
        if positions.is_empty() {
            continue;
        }
        for (_, slots) in assignments.iter_mut() {
            if collection_prefix(slots, position).is_some_and(|prefix| positions.contains_key(&prefix)) {
                slots[position] = Slot::Param { rule: ParamRule::Structure, route_name: None, singleton_share: 0.0 };
            }
        }
    }
}

/// Returns the key of the slots before `position` when the slot just before it is a
/// collection name and the path goes on past it.
fn collection_prefix(slots: &[Slot], position: usize) -> Option<String> {
    let Some(Slot::Literal(parent)) = slots.get(position.checked_sub(1)?) else {
        return None;
    };
    (slots.len() > position && parent.ends_with('s')).then(|| slots_key(&slots[..position]))
}

/// Checks that there are [`SIBLING_MIN_VALUES`] values, each with a route below it, that
/// each value's routes cover [`SIBLING_MIN_OVERLAP`] of all the routes on average, and
/// that at most [`SIBLING_MAX_UNIQUE_SHARE`] of the routes are found below one value only.
fn routes_alike(values: &BTreeMap<String, BTreeSet<(String, String)>>) -> bool {
    if values.len() < SIBLING_MIN_VALUES {
        return false;
    }
    if !values.values().all(|routes| routes.iter().any(|(_, rest)| !rest.is_empty())) {
        return false;
    }
    let mut holders: BTreeMap<&(String, String), usize> = BTreeMap::new();
    for route in values.values().flatten() {
        *holders.entry(route).or_insert(0) += 1;
    }
    let union = holders.len() as f64;
    let unique = holders.values().filter(|&&count| count == 1).count() as f64;
    let mean_coverage = values.values().map(|routes| routes.len() as f64 / union).sum::<f64>() / values.len() as f64;
    unique <= SIBLING_MAX_UNIQUE_SHARE * union && mean_coverage >= SIBLING_MIN_OVERLAP
}

/// Renders a path of slots as text, with every parameter as `{}`.
fn slots_key(slots: &[Slot]) -> String {
    let mut key = String::new();
    for slot in slots {
        key.push('/');
        match slot {
            Slot::Literal(text) => key.push_str(text),
            Slot::Param { .. } => key.push_str("{}"),
        }
    }
    key
}

/// Returns the closed vocabulary that all of a node's literal values come from, when no
/// route template names any of them.
fn split_vocabulary(split: &Split<'_>) -> Option<Vocabulary> {
    if split.literals.values().any(|group| group.protected) {
        return None;
    }
    common_vocabulary(split.literals.keys().copied())
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
            ParamRule::Vocabulary => VOCABULARY_CONFIDENCE,
            ParamRule::Structure => STRUCTURE_CONFIDENCE,
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
        // Site names outside every vocabulary, after a segment that is not a collection
        // name, so only pooling can collapse the pool names below them.
        let zones = ["alpha-site", "bravo-site", "charlie-site", "delta-site"];
        let mut requests = Vec::new();
        for (i, zone) in zones.iter().cycle().take(16).enumerate() {
            requests.push(format!(
                "/zone/{zone}/pools/pool-{}",
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

    fn get_all(paths: &[String], hits: u64) -> Vec<String> {
        let requests: Vec<(&str, &str, u64)> = paths.iter().map(|p| ("GET", p.as_str(), hits)).collect();
        templates(&requests)
    }

    #[test]
    fn closed_vocabularies_become_params() {
        let cases: [(&[&str], &str); 3] = [
            (&["GET", "PUT", "DELETE"], "GET /restapis/{restapisId}/methods/{methodId}/integration"),
            (&["us-east1-a", "europe-west1-b"], "GET /zones/{zoneId}/pools"),
            (&["en", "fr", "de"], "GET /databases/{databaseId}/schema"),
        ];
        for (values, expected) in cases {
            let prefix = expected.split('{').next().unwrap().trim_start_matches("GET ");
            let rest = expected.rsplit('}').next().unwrap();
            let paths: Vec<String> = values
                .iter()
                .map(|v| {
                    let head = if prefix.contains("restapis") {
                        "/restapis/7/methods/".to_string()
                    } else {
                        prefix.to_string()
                    };
                    format!("{head}{v}{rest}")
                })
                .collect();
            assert_eq!(get_all(&paths, 20), vec![expected.to_string()], "{values:?}");
        }
    }

    #[test]
    fn vocabulary_near_misses_stay_literal() {
        // One language code alone, and a code among resource names.
        let got = get_all(&["/docs/en".to_string()], 20);
        assert_eq!(got, vec!["GET /docs/en"]);
        let paths: Vec<String> = ["en", "users", "orders"].iter().map(|v| format!("/api/{v}")).collect();
        assert_eq!(get_all(&paths, 20).len(), 3);
    }

    #[test]
    fn values_with_alike_routes_after_a_collection_merge() {
        let mut paths = Vec::new();
        for kind in ["npm", "maven", "docker", "nuget"] {
            for route in ["/7", "/7/versions", "/7/versions/9", "/7/restore"] {
                paths.push(format!("/orgs/42/packages/{kind}{route}"));
            }
        }
        let got = get_all(&paths, 20);
        assert_eq!(
            got,
            vec![
                "GET /orgs/{orgId}/packages/{packageId}/{packageId2}",
                "GET /orgs/{orgId}/packages/{packageId}/{packageId2}/restore",
                "GET /orgs/{orgId}/packages/{packageId}/{packageId2}/versions",
                "GET /orgs/{orgId}/packages/{packageId}/{packageId2}/versions/{versionId}",
            ]
        );
    }

    #[test]
    fn alike_routes_near_misses_stay_literal() {
        let routes = ["", "/7", "/7/status"];
        let expand = |prefix: &str, values: &[&str]| -> Vec<String> {
            values.iter().flat_map(|v| routes.iter().map(move |r| format!("{prefix}{v}{r}"))).collect()
        };
        // Not after a collection name.
        let got = get_all(&expand("/api/v1/", &["users", "orders", "products"]), 20);
        assert_eq!(got.len(), 9, "{got:?}");

        // After a parameter.
        let got = get_all(&expand("/namespaces/42/", &["pods", "secrets", "configmaps"]), 20);
        assert_eq!(got.len(), 9, "{got:?}");

        // Only two values.
        let got = get_all(&expand("/packages/", &["npm", "maven"]), 20);
        assert_eq!(got.len(), 6, "{got:?}");

        // Beside a parameter: special routes such as `latest`.
        let mut paths: Vec<String> = ["latest", "list", "lastSuccessful"]
            .iter()
            .flat_map(|v| [format!("/syncs/{v}"), format!("/syncs/{v}/status")])
            .collect();
        paths.push("/syncs/1234/status".to_string());
        let got = get_all(&paths, 20);
        assert!(got.contains(&"GET /syncs/latest/status".to_string()), "{got:?}");

        // Different routes below each value.
        let paths: Vec<String> =
            ["/pods/7/log", "/pods/7/exec", "/nodes/7/proxy", "/nodes/7/stats", "/jobs/7/status", "/jobs/7/scale"]
                .iter()
                .map(|p| format!("/resources{p}"))
                .collect();
        let got = get_all(&paths, 20);
        assert_eq!(got.len(), 6, "{got:?}");

        // Values with nothing below them.
        let paths: Vec<String> = ["red", "green", "blue"].iter().map(|v| format!("/lists/{v}")).collect();
        let got = get_all(&paths, 20);
        assert_eq!(got.len(), 3, "{got:?}");
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
