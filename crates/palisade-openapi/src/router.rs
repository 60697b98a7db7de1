//! Matching requests to operations, the way HTTP routers do: at each segment a literal
//! beats a segment with a parameter inside it (`{name}.json`), which beats a whole
//! parameter. The search backtracks, so `/users/me` with only `POST` documented still
//! lets `GET /users/me` reach `GET /users/{id}`.

use std::collections::HashMap;

use palisade_core::path::{percent_decode_lossy, split_path};

use crate::model::{ApiSpec, Operation};

/// A trie of path segments; each node lists the operations that end there by method.
#[derive(Debug, Default)]
pub(crate) struct Router {
    root: Node,
}

#[derive(Debug, Default)]
struct Node {
    literals: HashMap<String, Node>,
    /// Segments with a parameter inside, most literal characters first.
    patterns: Vec<(SegmentPattern, Node)>,
    param: Option<Box<Node>>,
    /// `(method, operation index)`.
    methods: Vec<(String, usize)>,
}

/// A segment such as `{name}.json` or `v1:{action}`: literal parts and parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SegmentPattern {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Param,
}

/// One segment of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum TemplateSegment {
    Literal(String),
    Param,
    Pattern(SegmentPattern),
}

/// Splits a `paths` key into segments. A `#...` or `?...` suffix, which some converted
/// descriptions use to tell apart operations on one path, is not part of the path.
fn template_segments(template: &str) -> Vec<TemplateSegment> {
    let end = template.find(['#', '?']).unwrap_or(template.len());
    template[..end]
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|segment| {
            if !segment.contains('{') {
                return TemplateSegment::Literal(segment.to_string());
            }
            let pattern = parse_pattern(segment);
            if pattern.parts == [Part::Param] { TemplateSegment::Param } else { TemplateSegment::Pattern(pattern) }
        })
        .collect()
}

fn parse_pattern(segment: &str) -> SegmentPattern {
    let mut parts = Vec::new();
    let mut rest = segment;
    while let Some(start) = rest.find('{') {
        let Some(length) = rest[start..].find('}') else {
            break;
        };
        if start > 0 {
            parts.push(Part::Literal(rest[..start].to_string()));
        }
        if parts.last() != Some(&Part::Param) {
            parts.push(Part::Param);
        }
        rest = &rest[start + length + 1..];
    }
    if !rest.is_empty() {
        parts.push(Part::Literal(rest.to_string()));
    }
    SegmentPattern { parts }
}

impl SegmentPattern {
    fn literal_len(&self) -> usize {
        self.parts.iter().map(|p| if let Part::Literal(text) = p { text.len() } else { 0 }).sum()
    }

    /// True when `segment` fits: literal parts appear in order, and each parameter takes
    /// at least one character.
    fn matches(&self, segment: &str) -> bool {
        let mut position = 0;
        let mut after_param = false;
        for part in &self.parts {
            match part {
                Part::Param => after_param = true,
                Part::Literal(text) => {
                    if after_param {
                        let search_from = position + 1;
                        if search_from > segment.len() || !segment.is_char_boundary(search_from) {
                            return false;
                        }
                        match segment[search_from..].find(text.as_str()) {
                            Some(offset) => position = search_from + offset + text.len(),
                            None => return false,
                        }
                        after_param = false;
                    } else if segment[position..].starts_with(text.as_str()) {
                        position += text.len();
                    } else {
                        return false;
                    }
                }
            }
        }
        if after_param { position < segment.len() } else { position == segment.len() }
    }
}

impl Router {
    pub(crate) fn new(operations: &[Operation]) -> Self {
        let mut router = Router::default();
        for (index, operation) in operations.iter().enumerate() {
            let mut node = &mut router.root;
            for segment in template_segments(&operation.path_template) {
                node = match segment {
                    TemplateSegment::Literal(text) => node.literals.entry(text).or_default(),
                    TemplateSegment::Param => node.param.get_or_insert_with(Box::default),
                    TemplateSegment::Pattern(pattern) => {
                        if !node.patterns.iter().any(|(p, _)| *p == pattern) {
                            node.patterns.push((pattern.clone(), Node::default()));
                            node.patterns.sort_by_key(|(p, _)| std::cmp::Reverse(p.literal_len()));
                        }
                        let position = node.patterns.iter().position(|(p, _)| *p == pattern).unwrap_or(0);
                        &mut node.patterns[position].1
                    }
                };
            }
            let method = operation.method.clone();
            if !node.methods.iter().any(|(m, _)| *m == method) {
                node.methods.push((method, index));
            }
        }
        router
    }

    /// Index of the operation for `method` and decoded path `segments`.
    pub(crate) fn find(&self, method: &str, segments: &[String]) -> Option<usize> {
        find_in(&self.root, method, segments)
    }
}

fn find_in(node: &Node, method: &str, segments: &[String]) -> Option<usize> {
    let Some((first, rest)) = segments.split_first() else {
        return node.methods.iter().find(|(m, _)| m.eq_ignore_ascii_case(method)).map(|(_, index)| *index);
    };
    if let Some(child) = node.literals.get(first.as_str())
        && let Some(found) = find_in(child, method, rest)
    {
        return Some(found);
    }
    for (pattern, child) in &node.patterns {
        if pattern.matches(first)
            && let Some(found) = find_in(child, method, rest)
        {
            return Some(found);
        }
    }
    match &node.param {
        Some(child) if !first.is_empty() => find_in(child, method, rest),
        _ => None,
    }
}

impl ApiSpec {
    /// Finds the operation a request belongs to. `host` may carry a port; `path` is the
    /// request path as sent (percent-encoded, without the query string). The host must
    /// be one of [`ApiSpec::hosts`] unless the description names no host, and the path
    /// must start with one of [`ApiSpec::base_paths`].
    pub fn match_operation(&self, method: &str, host: &str, path: &str) -> Option<&Operation> {
        if !self.host_matches(host) {
            return None;
        }
        let segments: Vec<String> = split_path(path).into_iter().map(percent_decode_lossy).collect();

        let mut bases: Vec<&String> = self.base_paths.iter().collect();
        bases.sort_by_key(|b| std::cmp::Reverse(b.len()));
        for base in bases {
            let base_segments: Vec<&str> = base.split('/').filter(|s| !s.is_empty()).collect();
            if segments.len() < base_segments.len() || !base_segments.iter().zip(&segments).all(|(b, s)| b == s) {
                continue;
            }
            if let Some(index) = self.router.find(method, &segments[base_segments.len()..]) {
                return self.operations.get(index);
            }
        }
        None
    }

    /// True when `host` (with or without a port) is one of the description's hosts, or
    /// the description names none.
    pub fn host_matches(&self, host: &str) -> bool {
        if self.hosts.is_empty() {
            return true;
        }
        let host = host.to_ascii_lowercase();
        let without_port = strip_port(&host);
        self.hosts.iter().any(|known| *known == host || (strip_port(known) == known && known == without_port))
    }
}

/// `example.com:8080` gives `example.com`; `[::1]:80` gives `[::1]`.
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map_or(host, |end| &host[..=end]);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}
