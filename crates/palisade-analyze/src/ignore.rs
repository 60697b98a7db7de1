//! Metlo's `ignoredDetections`: detections that an operator has judged to be expected on
//! one endpoint, such as an email address that a contact form is meant to carry, or a
//! query parameter that contains SQL on purpose.
//!
//! Each entry names an endpoint by `host`, `path` and `method` (each optional) and maps a
//! class to the field paths where that class is ignored:
//!
//! ```yaml
//! ignoredDetections:
//!   - host: shop.example.com
//!     path: /api/reports/{reportId}
//!     method: POST
//!     ignoredPaths:
//!       sqli: [req.body.query]
//!       Email: [res.body.owner.email]
//!       ALL: [req.headers.x-debug]
//! ```
//!
//! Class keys are attack classes (`sqli`, `xss`, ...), behaviour classes
//! (`object_enumeration`, ...), data classes by id or by Metlo name (`email`, `Email`,
//! `Credit Card Number`), or `ALL`. Field paths are `req.path`, `req.query.NAME`,
//! `req.headers.NAME`, `req.cookies.NAME`, `req.body`, `req.body.JSON.PATH`,
//! `res.headers.NAME`, `res.body`, `res.body.JSON.PATH`, or `*` for every location,
//! which is also the only path that covers behaviour detections. A path covers the fields
//! below it: `req.body.user` covers `req.body.user.email` and `req.body.user.tags[]`.
//!
//! An ignored detection records no finding and raises no alert; it is counted in
//! [`crate::pipeline::PipelineCounters::detections_ignored`]. Sample redaction is not
//! affected: a value of a sensitive class is still blanked in stored samples.

use std::collections::BTreeMap;

use palisade_core::Section;
use palisade_core::path::split_path;
use serde::{Deserialize, Serialize};

use crate::classify::DataClassifier;
use crate::config::ConfigError;

/// One entry of `ignoredDetections`, with Metlo's key names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoredDetectionEntry {
    /// Metlo's endpoint id. Palisade's endpoint ids differ, so an entry needs `host` or
    /// `path` besides; the id itself is not compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Host, compared without case after normalisation (`api.example.com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Path template; a `{...}` segment matches any one segment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// HTTP method; absent for every method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Class to the field paths where it is ignored.
    #[serde(rename = "ignoredPaths")]
    pub ignored_paths: BTreeMap<String, Vec<String>>,
}

/// Request or response part of a detection's location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Path,
    Query,
    RequestHeader,
    Cookie,
    RequestBody,
    ResponseHeader,
    ResponseBody,
}

impl Part {
    /// Returns the part of a data field's section.
    pub fn of_section(section: Section) -> Part {
        match section {
            Section::Path => Part::Path,
            Section::Query => Part::Query,
            Section::RequestHeader => Part::RequestHeader,
            Section::RequestBody => Part::RequestBody,
            Section::ResponseHeader => Part::ResponseHeader,
            Section::ResponseBody => Part::ResponseBody,
        }
    }

    /// Parses a signature finding's location, written as `SECTION NAME` (`query id`,
    /// `header user-agent`, `body user.name`, `path`), into its part and field name.
    pub fn of_location(location: &str) -> Option<(Part, &str)> {
        let (section, name) = location.split_once(' ').unwrap_or((location, ""));
        let part = match section {
            "path" => Part::Path,
            "query" | "query_key" => Part::Query,
            "header" => Part::RequestHeader,
            "cookie" | "cookie_key" => Part::Cookie,
            "body" | "body_key" | "graphql" => Part::RequestBody,
            _ => return None,
        };
        Some((part, name))
    }
}

/// Class selector of an entry's field list.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ClassKey {
    All,
    /// An attack or behaviour class, or a data class id.
    Named(String),
}

/// A compiled field path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum FieldPattern {
    /// `*`: every location, behaviour detections included.
    Anywhere,
    /// A part, and a field name prefix that ends at a field boundary (empty for the whole
    /// part).
    Field(Part, String),
}

impl FieldPattern {
    fn parse(text: &str, setting: &str) -> Result<FieldPattern, ConfigError> {
        const PREFIXES: [(&str, Part); 7] = [
            ("req.path", Part::Path),
            ("req.query", Part::Query),
            ("req.headers", Part::RequestHeader),
            ("req.cookies", Part::Cookie),
            ("req.body", Part::RequestBody),
            ("res.headers", Part::ResponseHeader),
            ("res.body", Part::ResponseBody),
        ];
        if text == "*" {
            return Ok(FieldPattern::Anywhere);
        }
        for (prefix, part) in PREFIXES {
            let Some(rest) = text.strip_prefix(prefix) else { continue };
            let name = match rest.strip_prefix('.') {
                Some(name) if !name.is_empty() => name,
                None if rest.is_empty() => "",
                _ => continue,
            };
            let name = match part {
                Part::RequestHeader | Part::ResponseHeader => name.to_ascii_lowercase(),
                _ => name.to_string(),
            };
            return Ok(FieldPattern::Field(part, name));
        }
        Err(ConfigError::Invalid(format!(
            "{setting}: invalid field path {text:?}: expected *, req.path, or a field under req.query., \
             req.headers., req.cookies., req.body, res.headers. or res.body"
        )))
    }

    fn matches(&self, part: Part, name: &str) -> bool {
        match self {
            FieldPattern::Anywhere => true,
            FieldPattern::Field(want, prefix) => {
                if *want != part && !(*want == Part::RequestHeader && part == Part::Cookie && prefix == "cookie") {
                    return false;
                }
                if prefix.is_empty() || (*want == Part::RequestHeader && part == Part::Cookie) {
                    return true;
                }
                let name_matches = |name: &str| match name.strip_prefix(prefix.as_str()) {
                    Some(rest) => rest.is_empty() || rest.starts_with('.') || rest.starts_with('['),
                    None => false,
                };
                match part {
                    Part::RequestHeader | Part::ResponseHeader => name_matches(&name.to_ascii_lowercase()),
                    _ => name_matches(name),
                }
            }
        }
    }
}

#[derive(Debug, Clone)]
struct IgnoreRule {
    host: Option<String>,
    /// Template segments; `{...}` matches any segment.
    path: Option<Vec<String>>,
    method: Option<String>,
    classes: Vec<(ClassKey, Vec<FieldPattern>)>,
}

impl IgnoreRule {
    fn applies_to(&self, host: &str, method: &str, path: &str) -> bool {
        if self.host.as_deref().is_some_and(|want| !want.eq_ignore_ascii_case(host)) {
            return false;
        }
        if self.method.as_deref().is_some_and(|want| !want.eq_ignore_ascii_case(method)) {
            return false;
        }
        match &self.path {
            None => true,
            Some(template) => {
                let segments = split_path(path);
                template.len() == segments.len()
                    && template.iter().zip(&segments).all(|(want, got)| want.starts_with('{') || want == got)
            }
        }
    }
}

/// Compiled `ignoredDetections`.
#[derive(Debug, Clone, Default)]
pub struct IgnoredDetections {
    rules: Vec<IgnoreRule>,
}

impl IgnoredDetections {
    /// Compiles the entries. `known_classes` are the attack and behaviour class names;
    /// other keys must be data classes that `classifier` finds, by id or Metlo name, or
    /// `ALL`.
    pub fn compile(
        entries: &[IgnoredDetectionEntry],
        known_classes: &[&str],
        classifier: Option<&dyn DataClassifier>,
    ) -> Result<Self, ConfigError> {
        let mut rules = Vec::with_capacity(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            let setting = format!("ignoredDetections[{i}]");
            if entry.host.is_none() && entry.path.is_none() {
                let hint = if entry.id.is_some() {
                    "Palisade cannot match Metlo's endpoint id; give host and path instead"
                } else {
                    "give host, path or both"
                };
                return Err(ConfigError::Invalid(format!("{setting}: no endpoint: {hint}")));
            }
            if entry.ignored_paths.is_empty() {
                return Err(ConfigError::Invalid(format!("{setting}.ignoredPaths: expected at least one class")));
            }
            let mut classes = Vec::with_capacity(entry.ignored_paths.len());
            for (key, paths) in &entry.ignored_paths {
                let setting = format!("{setting}.ignoredPaths.{key}");
                let class = class_key(key, known_classes, classifier).ok_or_else(|| {
                    ConfigError::Invalid(format!(
                        "{setting}: unknown class {key:?}: expected ALL, an attack or behaviour class such as sqli, \
                         or a data class such as email"
                    ))
                })?;
                if paths.is_empty() {
                    return Err(ConfigError::Invalid(format!("{setting}: expected at least one field path, or *")));
                }
                let patterns = paths
                    .iter()
                    .enumerate()
                    .map(|(j, path)| FieldPattern::parse(path, &format!("{setting}[{j}]")))
                    .collect::<Result<Vec<_>, _>>()?;
                classes.push((class, patterns));
            }
            rules.push(IgnoreRule {
                host: entry.host.as_ref().map(|host| host.to_ascii_lowercase()),
                path: entry.path.as_ref().map(|path| split_path(path).into_iter().map(str::to_string).collect()),
                method: entry.method.clone(),
                classes,
            });
        }
        Ok(Self { rules })
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Selects the entries that apply to one request, for [`IgnoredDetections::ignores`].
    /// It allocates nothing when no entries are configured.
    pub fn for_request(&self, host: &str, method: &str, path: &str) -> RequestIgnores {
        if self.rules.is_empty() {
            return RequestIgnores::default();
        }
        let rules = (0..self.rules.len()).filter(|&i| self.rules[i].applies_to(host, method, path)).collect();
        RequestIgnores { rules }
    }

    /// Returns true when `class` is ignored at the field `name` of `part` in the request
    /// that `request` was selected for. `location` is `None` for a detection without a
    /// field, such as a behaviour detection.
    pub fn ignores(&self, request: &RequestIgnores, class: &str, location: Option<(Part, &str)>) -> bool {
        request.rules.iter().flat_map(|&i| &self.rules[i].classes).any(|(key, patterns)| {
            let class_matches = match key {
                ClassKey::All => true,
                ClassKey::Named(name) => name == class,
            };
            class_matches
                && patterns.iter().any(|pattern| match location {
                    Some((part, name)) => pattern.matches(part, name),
                    None => *pattern == FieldPattern::Anywhere,
                })
        })
    }
}

/// The `ignoredDetections` entries that apply to one request, by index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestIgnores {
    rules: Vec<usize>,
}

impl RequestIgnores {
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

fn class_key(key: &str, known_classes: &[&str], classifier: Option<&dyn DataClassifier>) -> Option<ClassKey> {
    if key.eq_ignore_ascii_case("ALL") {
        return Some(ClassKey::All);
    }
    if let Some(known) = known_classes.iter().find(|known| known.eq_ignore_ascii_case(key)) {
        return Some(ClassKey::Named(known.to_string()));
    }
    let classifier = classifier?;
    let index = classifier.lookup(key)?;
    Some(ClassKey::Named(classifier.class(index).id.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(json: &str) -> Result<IgnoredDetections, ConfigError> {
        let entries: Vec<IgnoredDetectionEntry> = serde_json::from_str(json).expect("valid JSON");
        IgnoredDetections::compile(&entries, &["sqli", "xss", "object_enumeration"], None)
    }

    const SHOP: &str = r#"[{
        "host": "Shop.Example.com",
        "path": "/api/reports/{reportId}",
        "method": "post",
        "ignoredPaths": {
            "sqli": ["req.body.query", "req.query.filter"],
            "xss": ["req.headers.X-Preview"],
            "object_enumeration": ["*"]
        }
    }]"#;

    #[test]
    fn ignores_listed_class_at_listed_field_only() {
        let ignored = compile(SHOP).unwrap();
        let request = ignored.for_request("shop.example.com", "POST", "/api/reports/42");
        type Case<'a> = (&'a str, Option<(Part, &'a str)>, bool);
        let cases: [Case; 10] = [
            ("sqli", Some((Part::RequestBody, "query")), true),
            ("sqli", Some((Part::RequestBody, "query.where")), true),
            ("sqli", Some((Part::RequestBody, "query[]")), true),
            ("sqli", Some((Part::Query, "filter")), true),
            ("sqli", Some((Part::RequestBody, "queryText")), false),
            ("sqli", Some((Part::RequestBody, "name")), false),
            ("xss", Some((Part::RequestBody, "query")), false),
            ("xss", Some((Part::RequestHeader, "x-preview")), true),
            ("object_enumeration", None, true),
            ("sqli", None, false),
        ];
        for (class, location, want) in cases {
            assert_eq!(ignored.ignores(&request, class, location), want, "{class} at {location:?}");
        }
    }

    #[test]
    fn entry_applies_to_its_endpoint_only() {
        let ignored = compile(SHOP).unwrap();
        let at = Some((Part::RequestBody, "query"));
        let request = ignored.for_request("shop.example.com", "POST", "/api/reports/7");
        assert!(ignored.ignores(&request, "sqli", at));
        for (host, method, path) in [
            ("other.example.com", "POST", "/api/reports/7"),
            ("shop.example.com", "GET", "/api/reports/7"),
            ("shop.example.com", "POST", "/api/reports"),
            ("shop.example.com", "POST", "/api/reports/7/pdf"),
            ("shop.example.com", "POST", "/api/users/7"),
        ] {
            let request = ignored.for_request(host, method, path);
            assert!(!ignored.ignores(&request, "sqli", at), "{method} {host}{path}");
        }
    }

    #[test]
    fn all_key_and_anywhere_path() {
        let ignored = compile(r#"[{"host": "a.test", "ignoredPaths": {"ALL": ["*"]}}]"#).unwrap();
        let request = ignored.for_request("a.test", "GET", "/anything/at/all");
        assert!(ignored.ignores(&request, "sqli", Some((Part::Cookie, "session"))));
        assert!(ignored.ignores(&request, "object_enumeration", None));
        assert!(!ignored.ignores(&ignored.for_request("b.test", "GET", "/"), "sqli", None));
    }

    #[test]
    fn cookie_header_path_covers_cookies() {
        let ignored = compile(r#"[{"path": "/login", "ignoredPaths": {"sqli": ["req.headers.cookie"]}}]"#).unwrap();
        let request = ignored.for_request("any.test", "POST", "/login");
        assert!(ignored.ignores(&request, "sqli", Some((Part::Cookie, "sid"))));
        assert!(!ignored.ignores(&request, "sqli", Some((Part::RequestHeader, "referer"))));
        let ignored = compile(r#"[{"path": "/login", "ignoredPaths": {"sqli": ["req.cookies.sid"]}}]"#).unwrap();
        let request = ignored.for_request("any.test", "POST", "/login");
        assert!(ignored.ignores(&request, "sqli", Some((Part::Cookie, "sid"))));
        assert!(!ignored.ignores(&request, "sqli", Some((Part::Cookie, "sid2"))));
    }

    #[test]
    fn locations_of_signature_findings() {
        assert_eq!(Part::of_location("query id"), Some((Part::Query, "id")));
        assert_eq!(Part::of_location("header user-agent"), Some((Part::RequestHeader, "user-agent")));
        assert_eq!(Part::of_location("body items[].name"), Some((Part::RequestBody, "items[].name")));
        assert_eq!(Part::of_location("graphql query"), Some((Part::RequestBody, "query")));
        assert_eq!(Part::of_location("path"), Some((Part::Path, "")));
        assert_eq!(Part::of_location("behaviour"), None);
    }

    #[test]
    fn bad_entries_name_the_setting() {
        let cases = [
            (
                r#"[{"id": "5f1c", "ignoredPaths": {"sqli": ["*"]}}]"#,
                "ignoredDetections[0]: no endpoint: Palisade cannot match",
            ),
            (
                r#"[{"host": "a.test", "ignoredPaths": {}}]"#,
                "ignoredDetections[0].ignoredPaths: expected at least one class",
            ),
            (
                r#"[{"host": "a.test", "ignoredPaths": {"sqlx": ["*"]}}]"#,
                "ignoredDetections[0].ignoredPaths.sqlx: unknown class",
            ),
            (
                r#"[{"host": "a.test", "ignoredPaths": {"sqli": []}}]"#,
                "ignoredDetections[0].ignoredPaths.sqli: expected at least",
            ),
            (
                r#"[{"host": "a.test", "ignoredPaths": {"sqli": ["*"]}}, {"host": "b.test", "ignoredPaths": {"xss": ["body.x"]}}]"#,
                "ignoredDetections[1].ignoredPaths.xss[0]: invalid field path \"body.x\"",
            ),
            (r#"[{"host": "a.test", "ignoredPaths": {"xss": ["req.bodyx"]}}]"#, "invalid field path \"req.bodyx\""),
        ];
        for (json, want) in cases {
            let error = compile(json).unwrap_err().to_string();
            assert!(error.contains(want), "{json}: {error}");
        }
    }

    #[test]
    fn no_entries_cost_nothing() {
        let ignored = IgnoredDetections::default();
        assert!(ignored.is_empty());
        assert!(ignored.for_request("a.test", "GET", "/").is_empty());
    }
}
