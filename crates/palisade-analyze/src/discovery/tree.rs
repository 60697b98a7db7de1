//! The per-host tree of raw endpoint paths, used to map each request to its raw endpoint
//! without allocating a key.

use std::collections::HashMap;

use palisade_core::inventory::{RawId, RawSegment};
use palisade_core::{TemplateSegment, ValueKind};

use super::shape::classify_segment;

type NodeId = u32;

/// One step of a request path, classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'a> {
    /// A concrete segment of a request path, with its shape.
    Value(&'a str, ValueKind),
    /// A literal segment of a route template the application reported.
    RouteLiteral(&'a str),
    /// A parameter of a route template the application reported.
    RouteParam(&'a str),
}

impl<'a> Step<'a> {
    /// Classifies the concrete segments of a request path.
    pub fn from_path(segments: &[&'a str]) -> Vec<Step<'a>> {
        segments.iter().map(|s| Step::Value(s, classify_segment(s))).collect()
    }

    /// Steps for a route template.
    pub fn from_route(template: &'a [TemplateSegment]) -> Vec<Step<'a>> {
        template
            .iter()
            .map(|segment| match segment {
                TemplateSegment::Literal(text) => Step::RouteLiteral(text),
                TemplateSegment::Param(name) => Step::RouteParam(name),
            })
            .collect()
    }
}

#[derive(Debug, Default)]
struct Node {
    segment: Option<RawSegment>,
    /// Word-like literal children.
    literals: HashMap<Box<str>, NodeId>,
    /// Identifier, overflow and route-parameter children.
    others: Vec<(RawSegment, NodeId)>,
    /// Raw endpoints whose path ends at this node, by method.
    methods: Vec<(Box<str>, RawId)>,
}

/// Result of looking a request path up in a host's tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// A raw endpoint already exists for this method and path.
    Found(RawId),
    /// No raw endpoint exists yet; [`HostTree::insert`] creates the path.
    Missing,
}

/// All raw endpoint paths of one host, as a tree of segments.
#[derive(Debug)]
pub struct HostTree {
    nodes: Vec<Node>,
    max_distinct_literals: usize,
}

impl HostTree {
    pub fn new(max_distinct_literals: usize) -> Self {
        Self { nodes: vec![Node::default()], max_distinct_literals }
    }

    /// Finds the raw endpoint for `method` and `steps` without changing the tree.
    pub fn lookup(&self, method: &str, steps: &[Step<'_>]) -> Lookup {
        let mut node: NodeId = 0;
        for step in steps {
            match self.child(node, step) {
                Some(child) => node = child,
                None => return Lookup::Missing,
            }
        }
        match self.nodes[node as usize].methods.iter().find(|(m, _)| &**m == method) {
            Some(&(_, id)) => Lookup::Found(id),
            None => Lookup::Missing,
        }
    }

    /// Creates the path for `steps` and attaches raw endpoint `id` for `method`. Returns
    /// the raw segments of the path, which record where a value overflowed.
    pub fn insert(&mut self, method: &str, steps: &[Step<'_>], id: RawId) -> Vec<RawSegment> {
        let mut node: NodeId = 0;
        let mut segments = Vec::with_capacity(steps.len());
        for step in steps {
            let (child, segment) = match self.child(node, step) {
                Some(child) => {
                    (child, self.nodes[child as usize].segment.clone().unwrap_or(RawSegment::Literal(String::new())))
                }
                None => {
                    let segment = self.segment_for_new_child(node, step);
                    (self.add_child(node, segment.clone()), segment)
                }
            };
            segments.push(segment);
            node = child;
        }
        let methods = &mut self.nodes[node as usize].methods;
        if !methods.iter().any(|(m, _)| &**m == method) {
            methods.push((method.into(), id));
        }
        segments
    }

    /// Adds a stored raw endpoint back into the tree, as it was saved.
    pub fn restore(&mut self, method: &str, segments: &[RawSegment], id: RawId) {
        let mut node: NodeId = 0;
        for segment in segments {
            let existing = match segment {
                RawSegment::Literal(text) => self.nodes[node as usize].literals.get(text.as_str()).copied(),
                other => self.nodes[node as usize].others.iter().find(|(s, _)| s == other).map(|(_, id)| *id),
            };
            node = match existing {
                Some(child) => child,
                None => self.add_child(node, segment.clone()),
            };
        }
        self.nodes[node as usize].methods.push((method.into(), id));
    }

    fn child(&self, node: NodeId, step: &Step<'_>) -> Option<NodeId> {
        let node = &self.nodes[node as usize];
        let find_other = |wanted: &RawSegment| node.others.iter().find(|(s, _)| s == wanted).map(|(_, id)| *id);
        match *step {
            Step::Value(_, kind) if kind.is_identifier() => find_other(&RawSegment::Ident(kind)),
            Step::Value(text, kind) => match node.literals.get(text) {
                Some(&child) => Some(child),
                None if node.literals.len() >= self.max_distinct_literals => find_other(&RawSegment::Overflow(kind)),
                None => None,
            },
            Step::RouteLiteral(text) => node.literals.get(text).copied(),
            Step::RouteParam(name) => {
                node.others.iter().find(|(s, _)| matches!(s, RawSegment::Route(n) if n == name)).map(|(_, id)| *id)
            }
        }
    }

    fn segment_for_new_child(&self, node: NodeId, step: &Step<'_>) -> RawSegment {
        let node = &self.nodes[node as usize];
        match *step {
            Step::Value(_, kind) if kind.is_identifier() => RawSegment::Ident(kind),
            Step::Value(_, kind) if node.literals.len() >= self.max_distinct_literals => RawSegment::Overflow(kind),
            Step::Value(text, _) | Step::RouteLiteral(text) => RawSegment::Literal(text.to_string()),
            Step::RouteParam(name) => RawSegment::Route(name.to_string()),
        }
    }

    fn add_child(&mut self, parent: NodeId, segment: RawSegment) -> NodeId {
        let id = self.nodes.len() as NodeId;
        match &segment {
            RawSegment::Literal(text) => {
                self.nodes[parent as usize].literals.insert(text.as_str().into(), id);
            }
            other => self.nodes[parent as usize].others.push((other.clone(), id)),
        }
        self.nodes.push(Node { segment: Some(segment), ..Node::default() });
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps<'a>(path: &'a [&'a str]) -> Vec<Step<'a>> {
        Step::from_path(path)
    }

    #[test]
    fn identifiers_share_one_raw_endpoint() {
        let mut tree = HostTree::new(64);
        assert_eq!(tree.lookup("GET", &steps(&["users", "42"])), Lookup::Missing);
        let segments = tree.insert("GET", &steps(&["users", "42"]), 1);
        assert_eq!(segments, vec![RawSegment::Literal("users".into()), RawSegment::Ident(ValueKind::Integer)]);
        assert_eq!(tree.lookup("GET", &steps(&["users", "43"])), Lookup::Found(1));
        assert_eq!(tree.lookup("POST", &steps(&["users", "43"])), Lookup::Missing);
        assert_eq!(tree.lookup("GET", &steps(&["users", "me"])), Lookup::Missing);
    }

    #[test]
    fn literals_overflow_past_limit() {
        let mut tree = HostTree::new(2);
        tree.insert("GET", &steps(&["tags", "red"]), 1);
        tree.insert("GET", &steps(&["tags", "green"]), 2);
        let segments = tree.insert("GET", &steps(&["tags", "blue"]), 3);
        assert_eq!(segments[1], RawSegment::Overflow(ValueKind::Word));
        assert_eq!(tree.lookup("GET", &steps(&["tags", "yellow"])), Lookup::Found(3));
        assert_eq!(tree.lookup("GET", &steps(&["tags", "red"])), Lookup::Found(1));
    }

    #[test]
    fn restore_rebuilds_lookup() {
        let mut tree = HostTree::new(64);
        tree.restore("GET", &[RawSegment::Literal("a".into()), RawSegment::Ident(ValueKind::Uuid)], 7);
        let path = ["a", "3f0c1f9e-6b1d-4c4e-9a59-0c3f3a1e2b7d"];
        assert_eq!(tree.lookup("GET", &steps(&path)), Lookup::Found(7));
    }

    #[test]
    fn route_params_are_distinct_from_values() {
        let mut tree = HostTree::new(64);
        let template = palisade_core::PathTemplate::parse("/users/{id}");
        tree.insert("GET", &Step::from_route(&template.segments), 1);
        assert_eq!(tree.lookup("GET", &Step::from_route(&template.segments)), Lookup::Found(1));
        assert_eq!(tree.lookup("GET", &steps(&["users", "42"])), Lookup::Missing);
    }
}
