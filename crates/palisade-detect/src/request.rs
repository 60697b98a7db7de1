//! Walks the request of a trace location by location and checks each value with the
//! classes that apply there, within the per-request limits.

use palisade_core::Trace;
use palisade_core::trace::header_value;

use crate::body::{self, BodyItem, BodyKind, form, graphql, json, multipart, xml};
use crate::finding::{AttackClass, ClassSet, LocationSection};
use crate::{Detector, Inspection};

/// Request headers whose values have a fixed syntax that carries no user input. They are
/// checked only for Log4j lookups and line breaks, which attacks put in every header.
const STRUCTURAL_HEADERS: &[&str] = &[
    "accept",
    "accept-encoding",
    "accept-language",
    "accept-charset",
    "connection",
    "content-length",
    "content-type",
    "host",
    "cache-control",
    "pragma",
    "if-match",
    "if-none-match",
    "if-modified-since",
    "if-unmodified-since",
    "if-range",
    "upgrade-insecure-requests",
    "te",
    "dnt",
    "sec-fetch-site",
    "sec-fetch-mode",
    "sec-fetch-dest",
    "sec-fetch-user",
    "sec-ch-ua",
    "sec-ch-ua-mobile",
    "sec-ch-ua-platform",
    "priority",
    "authorization",
    "proxy-authorization",
    "content-encoding",
    "transfer-encoding",
    "range",
    "keep-alive",
    "expect",
    "date",
    "traceparent",
    "tracestate",
];

/// Headers that carry a host or URL the server may connect to.
const HOST_HEADERS: &[&str] =
    &["x-forwarded-host", "x-original-url", "x-rewrite-url", "x-host", "forwarded", "x-forwarded-server"];

/// Returns the classes checked at a location.
pub fn classes_for(section: LocationSection, name: &str) -> ClassSet {
    use AttackClass::*;
    let not_values = ClassSet::of(&[Scanner]);
    let url_classes = ClassSet::of(&[Ssrf, Rfi]);
    match section {
        LocationSection::Query | LocationSection::Body | LocationSection::Graphql => ClassSet::ALL.without(not_values),
        LocationSection::Path => ClassSet::ALL.without(not_values).without(url_classes),
        LocationSection::QueryKey | LocationSection::BodyKey | LocationSection::CookieKey | LocationSection::Cookie => {
            ClassSet::ALL.without(not_values).without(url_classes)
        }
        LocationSection::Header => {
            let structural = STRUCTURAL_HEADERS.contains(&name);
            if structural {
                return ClassSet::of(&[Jndi, CrlfInjection, Scanner]);
            }
            let mut classes =
                ClassSet::ALL.without(url_classes).without(ClassSet::of(&[NosqlInjection, PrototypePollution]));
            if HOST_HEADERS.contains(&name) {
                classes = classes.union(ClassSet::of(&[Ssrf]));
            }
            classes
        }
    }
}

/// Per-request state: the inspection being built and the budget left.
struct Walk<'d> {
    detector: &'d Detector,
    inspection: Inspection,
}

impl Walk<'_> {
    /// Checks one value unless a limit has been reached; returns false once the location
    /// limit stops the walk.
    fn visit(&mut self, section: LocationSection, name: &str, value: &str) -> bool {
        self.visit_with(section, name, value, classes_for(section, name))
    }

    fn visit_with(&mut self, section: LocationSection, name: &str, value: &str, classes: ClassSet) -> bool {
        let limits = &self.detector.config.limits;
        let inspection = &mut self.inspection;
        if inspection.locations_checked >= limits.max_locations {
            inspection.skipped.locations += 1;
            inspection.truncated = true;
            return false;
        }
        if value.is_empty() {
            return true;
        }
        let examined = value.len().min(limits.max_value_bytes);
        if inspection.bytes_examined + examined > limits.max_request_bytes {
            inspection.skipped.bytes += value.len();
            inspection.truncated = true;
            return true;
        }

        inspection.locations_checked += 1;
        let mut findings = std::mem::take(&mut inspection.findings);
        inspection.bytes_examined +=
            self.detector.check_value(section, name, value, classes, &mut findings, &mut inspection.skipped);
        if findings.len() > limits.max_findings {
            inspection.skipped.findings += findings.len() - limits.max_findings;
            inspection.truncated = true;
            findings.truncate(limits.max_findings);
        }
        inspection.findings = findings;
        true
    }
}

pub fn inspect(detector: &Detector, trace: &Trace) -> Inspection {
    let mut walk = Walk { detector, inspection: Inspection::default() };
    let request = &trace.request;

    inspect_path(&mut walk, &request.path);

    let is_graphql_path = request.path.to_ascii_lowercase().contains("graphql");
    for param in &request.query {
        if !walk.visit(LocationSection::QueryKey, &param.name, &param.name) {
            break;
        }
        if is_graphql_path && param.name == "query" && graphql::looks_like_document(&param.value) {
            inspect_graphql_document(&mut walk, &param.value);
            continue;
        }
        if is_graphql_path && param.name == "variables" {
            inspect_json(&mut walk, param.value.as_bytes(), LocationSection::Graphql, "variables");
            continue;
        }
        if !walk.visit(LocationSection::Query, &param.name, &param.value) {
            break;
        }
    }

    for header in &request.headers {
        if header.name.starts_with(':') {
            continue;
        }
        let name = header.name.to_ascii_lowercase();
        if name == "cookie" {
            inspect_cookies(&mut walk, &header.value);
            continue;
        }
        if !walk.visit(LocationSection::Header, &name, &header.value) {
            break;
        }
    }

    let content_type =
        request.content_type.as_deref().or_else(|| header_value(&request.headers, "content-type")).unwrap_or("");
    if !request.body.is_empty() {
        inspect_body(&mut walk, content_type, &request.body.bytes);
    }

    let mut inspection = walk.inspection;
    if inspection.skipped.decode_rounds > 0 || inspection.skipped.values_cut > 0 || inspection.skipped.too_deep > 0 {
        inspection.truncated = true;
    }
    inspection
}

/// Checks the path: each decoded segment with every path class, and the whole path for
/// traversal, whose `..` segments span several segments.
fn inspect_path(walk: &mut Walk<'_>, path: &str) {
    use AttackClass::*;
    let whole = ClassSet::of(&[PathTraversal, Lfi, CrlfInjection]);
    if !walk.visit_with(LocationSection::Path, "", path, whole) {
        return;
    }
    let segment_classes = classes_for(LocationSection::Path, "").without(whole);
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        if !walk.visit_with(LocationSection::Path, segment_name(segment), segment, segment_classes) {
            return;
        }
    }
}

/// Returns the name of a path segment location: the segment itself, cut to 64 bytes, so a
/// finding shows which segment matched.
fn segment_name(segment: &str) -> &str {
    let end = crate::finding::floor_char_boundary(segment, 64);
    &segment[..end]
}

fn inspect_cookies(walk: &mut Walk<'_>, header: &str) {
    for pair in header.split(';') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = name.trim();
        if !walk.visit(LocationSection::CookieKey, name, name) {
            return;
        }
        if !walk.visit(LocationSection::Cookie, name, value.trim()) {
            return;
        }
    }
}

fn inspect_body(walk: &mut Walk<'_>, content_type: &str, bytes: &[u8]) {
    let limits = walk.detector.config.limits.clone();
    let kind = body::body_kind(content_type, bytes);
    match kind {
        BodyKind::Json => {
            // A JSON body with a GraphQL `query` is a GraphQL request.
            if let Some((document, variables)) = graphql_request(bytes) {
                inspect_graphql_document(walk, &document);
                if let Some(variables) = variables {
                    inspect_json(walk, variables.as_bytes(), LocationSection::Graphql, "variables");
                }
                return;
            }
            inspect_json(walk, bytes, LocationSection::Body, "");
        }
        BodyKind::Form => {
            let text = String::from_utf8_lossy(bytes);
            let (pairs, cut) = form::parse_pairs(&text, limits.max_locations);
            if cut {
                walk.inspection.skipped.locations += 1;
                walk.inspection.truncated = true;
            }
            for (name, value) in &pairs {
                if !walk.visit(LocationSection::BodyKey, name, name) || !walk.visit(LocationSection::Body, name, value)
                {
                    return;
                }
            }
        }
        BodyKind::Multipart => inspect_multipart(walk, content_type, bytes),
        BodyKind::Xml => {
            let text = String::from_utf8_lossy(bytes);
            // External entities and serialized objects are checked on the whole document.
            let document_classes = ClassSet::of(&[AttackClass::Xxe, AttackClass::Deserialization]);
            if !walk.visit_with(LocationSection::Body, "", &text, document_classes) {
                return;
            }
            let summary = xml::walk(&text, limits.max_body_depth, &mut |item| match item {
                BodyItem::Key { path, key } => walk.visit(LocationSection::BodyKey, path, key),
                // XStream and XMLDecoder name classes in element names and attribute values;
                // a class name as an attribute name instantiates nothing.
                BodyItem::Attribute { path, key } => {
                    let classes = classes_for(LocationSection::BodyKey, path)
                        .without(ClassSet::of(&[AttackClass::Deserialization]));
                    walk.visit_with(LocationSection::BodyKey, path, key, classes)
                }
                BodyItem::Value { path, value } => walk.visit(LocationSection::Body, path, value),
            });
            walk.inspection.skipped.too_deep += summary.too_deep;
            if summary.malformed {
                walk.inspection.skipped.bodies_malformed += 1;
            }
        }
        BodyKind::GraphQl => {
            let text = String::from_utf8_lossy(bytes);
            inspect_graphql_document(walk, &text);
        }
        BodyKind::Text => {
            let text = String::from_utf8_lossy(bytes);
            walk.visit(LocationSection::Body, "", &text);
        }
    }
}

fn inspect_json(walk: &mut Walk<'_>, bytes: &[u8], section: LocationSection, prefix: &str) {
    let max_depth = walk.detector.config.limits.max_body_depth;
    let key_section =
        if section == LocationSection::Graphql { LocationSection::Graphql } else { LocationSection::BodyKey };
    let mut name = String::new();
    let summary = json::walk(bytes, max_depth, &mut |item| {
        let (path, text, item_section) = match item {
            BodyItem::Key { path, key } | BodyItem::Attribute { path, key } => (path, key, key_section),
            BodyItem::Value { path, value } => (path, value, section),
        };
        name.clear();
        name.push_str(prefix);
        if !prefix.is_empty() && !path.is_empty() {
            name.push('.');
        }
        name.push_str(path);
        if item_section.is_key() || matches!(item, BodyItem::Key { .. } | BodyItem::Attribute { .. }) {
            // A key is checked as itself, and the path it completes is checked for
            // prototype pollution (`constructor.prototype`).
            let mut classes = classes_for(LocationSection::BodyKey, &name);
            if !walk.visit_with(LocationSection::BodyKey, &name, text, classes) {
                return false;
            }
            classes = ClassSet::of(&[AttackClass::PrototypePollution]);
            if name.contains('.') {
                return walk.visit_with(LocationSection::BodyKey, &name, &name, classes);
            }
            return true;
        }
        walk.visit(item_section, &name, text)
    });
    walk.inspection.skipped.too_deep += summary.too_deep;
    if summary.malformed {
        walk.inspection.skipped.bodies_malformed += 1;
        // A body that is not JSON after all is checked as text.
        let text = String::from_utf8_lossy(bytes);
        walk.visit(section, prefix, &text);
    }
}

fn inspect_multipart(walk: &mut Walk<'_>, content_type: &str, bytes: &[u8]) {
    let Some(boundary) = multipart::boundary(content_type) else {
        walk.inspection.skipped.bodies_malformed += 1;
        walk.visit(LocationSection::Body, "", &String::from_utf8_lossy(bytes));
        return;
    };
    let max_parts = walk.detector.config.limits.max_locations;
    let (parts, cut) = multipart::parts(bytes, &boundary, max_parts);
    if cut {
        walk.inspection.skipped.locations += 1;
        walk.inspection.truncated = true;
    }
    for part in &parts {
        if !walk.visit(LocationSection::BodyKey, &part.name, &part.name) {
            return;
        }
        match &part.filename {
            Some(filename) => {
                let filename_name = format!("{}.filename", part.name);
                if !walk.visit(LocationSection::Body, &filename_name, filename) {
                    return;
                }
                // File contents are checked only for what an upload itself can carry:
                // web shells, serialized objects and XML entities.
                if let Ok(text) = std::str::from_utf8(part.content) {
                    let classes =
                        ClassSet::of(&[AttackClass::CodeInjection, AttackClass::Deserialization, AttackClass::Xxe]);
                    if !walk.visit_with(LocationSection::Body, &part.name, text, classes) {
                        return;
                    }
                }
            }
            None => {
                let text = String::from_utf8_lossy(part.content);
                if part.content_type.to_ascii_lowercase().contains("json") {
                    inspect_json(walk, part.content, LocationSection::Body, &part.name);
                } else if !walk.visit(LocationSection::Body, &part.name, &text) {
                    return;
                }
            }
        }
    }
}

/// Returns the `query` document and the `variables` JSON text of a GraphQL-over-JSON
/// body.
fn graphql_request(bytes: &[u8]) -> Option<(String, Option<String>)> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace())?;
    if *first != b'{' || !bytes.windows(7).any(|w| w == b"\"query\"") {
        return None;
    }
    #[derive(serde::Deserialize)]
    struct GraphQlBody {
        query: String,
        #[serde(default)]
        variables: Option<serde_json::Value>,
    }
    let parsed: GraphQlBody = serde_json::from_slice(bytes).ok()?;
    if !graphql::looks_like_document(&parsed.query) {
        return None;
    }
    let variables = parsed.variables.filter(|v| !v.is_null()).map(|v| v.to_string());
    Some((parsed.query, variables))
}

fn inspect_graphql_document(walk: &mut Walk<'_>, document: &str) {
    // The document itself is read for introspection only, because its string literals are
    // the values that carry payloads. It is named `query`, the field clients send it in.
    if !walk.visit_with(LocationSection::Graphql, "query", document, ClassSet::of(&[AttackClass::GraphqlIntrospection]))
    {
        return;
    }
    let max_literals = walk.detector.config.limits.max_locations;
    let (literals, cut) = graphql::string_literals(document, max_literals);
    if cut {
        walk.inspection.skipped.locations += 1;
        walk.inspection.truncated = true;
    }
    for literal in &literals {
        if !walk.visit(LocationSection::Graphql, &literal.argument, &literal.value) {
            return;
        }
    }
}
