//! Checks a YAML tree against the test format and builds the model, collecting every
//! problem with its position instead of stopping at the first.

use regex::Regex;

use super::node::{Node, NodeValue};
use super::{ParseError, ParsedTest, StepPositions, TestPositions};
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::model::*;
use crate::payloads;

/// Most times one step may repeat its request with `repeat`.
pub const MAX_REPEAT: u64 = 10_000;

const TOP_KEYS: [&str; 6] = ["id", "meta", "env", "options", "test", "config"];
const META_KEYS: [&str; 3] = ["name", "severity", "tags"];
const OPTION_KEYS: [&str; 2] = ["stopOnFailure", "followRedirects"];
const LEGACY_CONFIG_KEYS: [&str; 1] = ["stopOnFailedAssertion"];
const STEP_KEYS: [&str; 5] = ["request", "extract", "assert", "payload", "repeat"];
const REQUEST_KEYS: [&str; 7] = ["method", "url", "headers", "query", "form", "data", "graphql"];
const KEY_VALUE_KEYS: [&str; 2] = ["name", "value"];
const EXTRACTOR_KEYS: [&str; 3] = ["name", "type", "value"];
const ASSERTION_KEYS: [&str; 3] = ["type", "key", "value"];
const PAYLOAD_KEYS: [&str; 2] = ["key", "value"];

pub(super) fn convert(root: Node, source: &str, file: &str) -> Result<ParsedTest, ParseError> {
    let mut converter = Converter { file, source, errors: Vec::new() };
    let result = converter.test_file(&root);
    match result {
        Some((test, positions)) if converter.errors.is_empty() => {
            Ok(ParsedTest { file: file.to_string(), test, positions })
        }
        _ => {
            let mut errors = converter.errors;
            errors.sort_by_key(|d| d.position);
            Err(ParseError::Invalid(errors))
        }
    }
}

struct Converter<'a> {
    file: &'a str,
    source: &'a str,
    errors: Vec<Diagnostic>,
}

/// The entries of a mapping, looked up by key.
struct Fields<'n> {
    entries: Vec<(&'n str, &'n Node, &'n Node)>,
}

impl<'n> Fields<'n> {
    fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries.iter().find(|(k, _, _)| *k == key).map(|(_, _, value)| *value)
    }

    fn key_node(&self, key: &str) -> Option<&'n Node> {
        self.entries.iter().find(|(k, _, _)| *k == key).map(|(_, key, _)| *key)
    }
}

impl<'a> Converter<'a> {
    fn error(&mut self, node: &Node, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(self.file, self.source, node.position, message).with_width(self.width(node))
    }

    fn push(&mut self, diagnostic: Diagnostic) {
        self.errors.push(diagnostic);
    }

    /// Characters to underline for a node: the scalar's text when it is on one line.
    fn width(&self, node: &Node) -> usize {
        let text = match &node.value {
            NodeValue::String(s) => s.clone(),
            NodeValue::Number(n) => n.to_string(),
            NodeValue::Bool(b) => b.to_string(),
            _ => return 1,
        };
        let line = self.source.lines().nth(node.position.line.saturating_sub(1) as usize).unwrap_or("");
        let rest: String = line.chars().skip(node.position.column.saturating_sub(1) as usize).collect();
        if rest.starts_with(&text) && !text.contains('\n') {
            return text.chars().count().max(1);
        }
        // Quoted scalars start with the quote; underline the quoted text.
        if let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'')
            && let Some(end) = rest[1..].find(quote)
        {
            return end + 2;
        }
        1
    }

    /// Reads a mapping and reports keys that are not in `allowed`.
    fn fields<'n>(&mut self, node: &'n Node, what: &str, allowed: &[&str]) -> Option<Fields<'n>> {
        let NodeValue::Mapping(entries) = &node.value else {
            let message = format!("invalid {what}: expected a mapping, found {}", node.kind());
            let diagnostic = self.error(node, message);
            self.push(diagnostic);
            return None;
        };
        let mut fields = Fields { entries: Vec::new() };
        for (key, value) in entries {
            let Some(name) = key.as_str() else {
                let diagnostic =
                    self.error(key, format!("invalid key in {what}: expected a string, found {}", key.kind()));
                self.push(diagnostic);
                continue;
            };
            if !allowed.contains(&name) {
                let mut diagnostic = self.error(key, format!("unknown key `{name}` in {what}"));
                diagnostic = match did_you_mean(name, allowed.iter().copied()) {
                    Some(suggestion) => diagnostic.with_hint(format!("did you mean `{suggestion}`?")),
                    None => diagnostic.with_hint(format!("expected one of {}", quote_list(allowed))),
                };
                self.push(diagnostic);
                continue;
            }
            fields.entries.push((name, key, value));
        }
        Some(fields)
    }

    fn missing(&mut self, parent: &Node, key: &str, what: &str) {
        let diagnostic = Diagnostic::new(self.file, self.source, parent.position, format!("missing `{key}` in {what}"));
        self.push(diagnostic);
    }

    fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.value {
            NodeValue::String(s) => Some(s.clone()),
            _ => {
                let diagnostic = self.error(node, format!("invalid {what}: expected a string, found {}", node.kind()));
                self.push(diagnostic);
                None
            }
        }
    }

    /// Reads a string, number or boolean as text, as Metlo reads variable and header values.
    fn primitive_text(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.value {
            NodeValue::String(s) => Some(s.clone()),
            NodeValue::Number(n) => Some(n.to_string()),
            NodeValue::Bool(b) => Some(b.to_string()),
            _ => {
                let message = format!("invalid {what}: expected a string, number or boolean, found {}", node.kind());
                let diagnostic = self.error(node, message);
                self.push(diagnostic);
                None
            }
        }
    }

    fn boolean(&mut self, node: &Node, what: &str) -> Option<bool> {
        match &node.value {
            NodeValue::Bool(b) => Some(*b),
            _ => {
                let diagnostic =
                    self.error(node, format!("invalid {what}: expected true or false, found {}", node.kind()));
                self.push(diagnostic);
                None
            }
        }
    }

    fn list<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [Node]> {
        match &node.value {
            NodeValue::Sequence(items) => Some(items),
            NodeValue::Null => Some(&[]),
            _ => {
                let diagnostic = self.error(node, format!("invalid {what}: expected a list, found {}", node.kind()));
                self.push(diagnostic);
                None
            }
        }
    }

    /// Checks that a template string has valid Handlebars syntax, pointing at an unclosed
    /// `{{` when there is one on the node's line.
    fn check_template(&mut self, node: &Node, text: &str, what: &str) {
        let Err(message) = crate::template::check_syntax(text) else { return };
        let unclosed = unclosed_braces(text);
        let mut diagnostic = match unclosed {
            Some(_) => self.error(node, format!("invalid template in {what}: unclosed `{{{{`")),
            None => self.error(node, format!("invalid template in {what}: {message}")),
        };
        if let Some(offset) = unclosed {
            let line = self.source.lines().nth(node.position.line.saturating_sub(1) as usize).unwrap_or("");
            let start = node.position.column.saturating_sub(1) as usize;
            let rest: String = line.chars().skip(start).collect();
            let prefix: String = text.chars().take(offset).collect();
            if let Some(found) = rest.find(&format!("{prefix}{{{{")) {
                let column = start + rest[..found].chars().count() + offset.min(prefix.chars().count()) + 1;
                diagnostic.position.column = column as u32;
                diagnostic = diagnostic.with_width(2).with_hint("close it with `}}`");
            }
        }
        self.push(diagnostic);
    }

    fn test_file(&mut self, root: &Node) -> Option<(TestFile, TestPositions)> {
        let fields = self.fields(root, "test file", &TOP_KEYS)?;
        let mut positions = TestPositions::default();

        let id = match fields.get("id") {
            Some(node) => {
                positions.id = node.position;
                let id = self.primitive_text(node, "id");
                if let Some(id) = &id
                    && !is_valid_id(id)
                {
                    let diagnostic = self
                        .error(node, format!("invalid id `{id}`"))
                        .with_hint("an id may contain only letters, digits, `-`, `_` and `.`");
                    self.push(diagnostic);
                }
                id
            }
            None => {
                self.missing(root, "id", "test file");
                None
            }
        };

        let meta = fields.get("meta").map(|node| self.meta(node)).unwrap_or_default();
        let env = fields.get("env").map(|node| self.key_values(node, "env")).unwrap_or_default();

        let mut options = Options::default();
        if let Some(node) = fields.get("options") {
            self.options(node, &mut options);
        }
        if let Some(node) = fields.get("config") {
            self.legacy_config(node, &mut options);
        }

        let mut steps = Vec::new();
        match fields.get("test") {
            Some(node) => {
                if let Some(items) = self.list(node, "test") {
                    if items.is_empty() {
                        let diagnostic = self.error(node, "empty `test`: a test needs at least one step");
                        self.push(diagnostic);
                    }
                    for item in items {
                        if let Some((step, step_positions)) = self.step(item) {
                            steps.push(step);
                            positions.steps.push(step_positions);
                        }
                    }
                }
            }
            None => self.missing(root, "test", "test file"),
        }

        let test = TestFile { id: id?, meta, env, options, test: steps };
        Some((test, positions))
    }

    fn meta(&mut self, node: &Node) -> Meta {
        let mut meta = Meta::default();
        let Some(fields) = self.fields(node, "meta", &META_KEYS) else { return meta };
        if let Some(name) = fields.get("name") {
            meta.name = self.primitive_text(name, "meta.name");
        }
        if let Some(severity) = fields.get("severity") {
            meta.severity = self.severity(severity);
        }
        if let Some(tags) = fields.get("tags")
            && let Some(items) = self.list(tags, "meta.tags")
        {
            meta.tags = items.iter().filter_map(|tag| self.primitive_text(tag, "tag")).collect();
        }
        meta
    }

    fn severity(&mut self, node: &Node) -> Option<Severity> {
        let text = self.string(node, "severity")?;
        if let Some(severity) = Severity::ALL.into_iter().find(|s| s.as_str().eq_ignore_ascii_case(&text)) {
            return Some(severity);
        }
        let names: Vec<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
        let diagnostic = self.error(node, format!("unknown severity `{text}`"));
        let diagnostic = match did_you_mean(&text, names.iter().copied()) {
            Some(suggestion) => diagnostic.with_hint(format!("did you mean `{suggestion}`?")),
            None => diagnostic.with_hint(format!("expected one of {}", quote_list(&names))),
        };
        self.push(diagnostic);
        None
    }

    fn options(&mut self, node: &Node, options: &mut Options) {
        let Some(fields) = self.fields(node, "options", &OPTION_KEYS) else { return };
        if let Some(value) = fields.get("stopOnFailure").and_then(|n| self.boolean(n, "stopOnFailure")) {
            options.stop_on_failure = value;
        }
        if let Some(value) = fields.get("followRedirects").and_then(|n| self.boolean(n, "followRedirects")) {
            options.follow_redirects = value;
        }
    }

    /// Older Metlo files write `config: {stopOnFailedAssertion: true}`.
    fn legacy_config(&mut self, node: &Node, options: &mut Options) {
        let Some(fields) = self.fields(node, "config", &LEGACY_CONFIG_KEYS) else { return };
        if let Some(value) = fields.get("stopOnFailedAssertion").and_then(|n| self.boolean(n, "stopOnFailedAssertion"))
        {
            options.stop_on_failure = value;
        }
    }

    fn key_values(&mut self, node: &Node, what: &str) -> Vec<KeyValue> {
        let mut out = Vec::new();
        let Some(items) = self.list(node, what) else { return out };
        for item in items {
            let entry_what = format!("{what} entry");
            let Some(fields) = self.fields(item, &entry_what, &KEY_VALUE_KEYS) else { continue };
            let name = match fields.get("name") {
                Some(n) => self.primitive_text(n, &format!("{what} name")),
                None => {
                    self.missing(item, "name", &entry_what);
                    None
                }
            };
            let value = match fields.get("value") {
                Some(v) => {
                    let value = self.primitive_text(v, &format!("{what} value"));
                    if let Some(text) = &value {
                        self.check_template(v, text, what);
                    }
                    value
                }
                None => {
                    self.missing(item, "value", &entry_what);
                    None
                }
            };
            if let (Some(name), Some(value)) = (name, value) {
                out.push(KeyValue { name, value });
            }
        }
        out
    }

    fn step(&mut self, node: &Node) -> Option<(Step, StepPositions)> {
        let fields = self.fields(node, "step", &STEP_KEYS)?;
        let mut positions = StepPositions { step: node.position, ..StepPositions::default() };

        let request = match fields.get("request") {
            Some(request) => self.request(request, &mut positions),
            None => {
                self.missing(node, "request", "step");
                None
            }
        };

        let mut extract = Vec::new();
        if let Some(list) = fields.get("extract")
            && let Some(items) = self.list(list, "extract")
        {
            for item in items {
                if let Some(extractor) = self.extractor(item) {
                    positions.extractors.push(item.position);
                    extract.push(extractor);
                }
            }
        }

        let mut assertions = Vec::new();
        if let Some(list) = fields.get("assert")
            && let Some(items) = self.list(list, "assert")
        {
            for item in items {
                if let Some(assertion) = self.assertion(item) {
                    positions.assertions.push(item.position);
                    assertions.push(assertion);
                }
            }
        }

        let mut payload = Vec::new();
        if let Some(list) = fields.get("payload")
            && let Some(items) = self.list(list, "payload")
        {
            payload = items.iter().filter_map(|item| self.payload(item)).collect();
        }

        let repeat = fields.get("repeat").and_then(|node| self.repeat(node));
        Some((Step { request: request?, extract, assertions, payload, repeat }, positions))
    }

    fn repeat(&mut self, node: &Node) -> Option<u32> {
        let count = match &node.value {
            NodeValue::Number(n) => n.as_u64(),
            _ => None,
        };
        match count {
            Some(count) if (1..=MAX_REPEAT).contains(&count) => Some(count as u32),
            _ => {
                let message = format!("invalid repeat: expected a whole number from 1 to {MAX_REPEAT} (MAX_REPEAT)");
                let diagnostic = self.error(node, message);
                self.push(diagnostic);
                None
            }
        }
    }

    fn request(&mut self, node: &Node, positions: &mut StepPositions) -> Option<Request> {
        let fields = self.fields(node, "request", &REQUEST_KEYS)?;

        let method = match fields.get("method") {
            Some(method) => self.method(method),
            None => {
                self.missing(node, "method", "request");
                None
            }
        };
        let url = match fields.get("url") {
            Some(url_node) => {
                positions.url = url_node.position;
                let url = self.string(url_node, "url");
                if let Some(url) = &url {
                    self.check_template(url_node, url, "url");
                }
                url
            }
            None => {
                self.missing(node, "url", "request");
                None
            }
        };

        let headers = fields.get("headers").map(|n| self.key_values(n, "headers")).unwrap_or_default();
        let query = fields.get("query").map(|n| self.key_values(n, "query")).unwrap_or_default();
        let form = fields.get("form").map(|n| self.key_values(n, "form")).unwrap_or_default();
        let data = fields.get("data").and_then(|n| self.template_string(n, "data"));
        let graphql = fields.get("graphql").and_then(|n| self.template_string(n, "graphql"));

        let bodies = [("data", data.is_some()), ("form", !form.is_empty()), ("graphql", graphql.is_some())];
        let given: Vec<&str> = bodies.iter().filter(|(_, set)| *set).map(|(name, _)| *name).collect();
        if given.len() > 1 {
            let second = fields.key_node(given[1]).unwrap_or(node);
            let diagnostic = self
                .error(second, format!("request has both `{}` and `{}`", given[0], given[1]))
                .with_hint("a request has one body: give only one of `data`, `form` and `graphql`");
            self.push(diagnostic);
        }

        Some(Request { method: method?, url: url?, headers, query, form, data, graphql })
    }

    fn template_string(&mut self, node: &Node, what: &str) -> Option<String> {
        let text = self.string(node, what)?;
        self.check_template(node, &text, what);
        Some(text)
    }

    fn method(&mut self, node: &Node) -> Option<Method> {
        let text = self.string(node, "method")?;
        if let Some(method) = Method::from_name(&text.to_ascii_uppercase()) {
            return Some(method);
        }
        let names: Vec<&str> = Method::ALL.iter().map(|m| m.as_str()).collect();
        let diagnostic = self.error(node, format!("unknown method `{text}`"));
        let diagnostic = match did_you_mean(&text, names.iter().copied()) {
            Some(suggestion) => diagnostic.with_hint(format!("did you mean `{suggestion}`?")),
            None => diagnostic.with_hint(format!("expected one of {}", quote_list(&names))),
        };
        self.push(diagnostic);
        None
    }

    fn extractor(&mut self, node: &Node) -> Option<Extractor> {
        let fields = self.fields(node, "extractor", &EXTRACTOR_KEYS)?;
        let name = match fields.get("name") {
            Some(n) => self.string(n, "extractor name"),
            None => {
                self.missing(node, "name", "extractor");
                None
            }
        };
        let kind = match fields.get("type") {
            Some(n) => self.operator(n, "extractor type", &ExtractorType::NAMES).map(|i| match i {
                0 => ExtractorType::Value,
                1 => ExtractorType::Js,
                2 => ExtractorType::Regexp,
                _ => ExtractorType::Html,
            }),
            None => Some(ExtractorType::Value),
        };
        let value = match fields.get("value") {
            Some(n) => self.template_string(n, "extractor value"),
            None => {
                self.missing(node, "value", "extractor");
                None
            }
        };

        if let (Some(ExtractorType::Regexp), Some(pattern), Some(value_node)) = (kind, &value, fields.get("value")) {
            self.check_regex(value_node, pattern);
        }
        if let (Some(ExtractorType::Html), Some(selector), Some(value_node)) = (kind, &value, fields.get("value"))
            && !selector.contains("{{")
            && let Err(message) = crate::extract::check_selector(selector)
        {
            let diagnostic = self.error(value_node, format!("invalid CSS selector: {message}"));
            self.push(diagnostic);
        }
        Some(Extractor { name: name?, kind: kind?, value: value? })
    }

    /// Reads an upper-case operator name and returns its index in `names`.
    fn operator(&mut self, node: &Node, what: &str, names: &[&str]) -> Option<usize> {
        let text = self.string(node, what)?;
        if let Some(index) = names.iter().position(|n| n.eq_ignore_ascii_case(&text)) {
            return Some(index);
        }
        let diagnostic = self.error(node, format!("unknown {what} `{text}`"));
        let diagnostic = match did_you_mean(&text, names.iter().copied()) {
            Some(suggestion) => diagnostic.with_hint(format!("did you mean `{suggestion}`?")),
            None => diagnostic.with_hint(format!("expected one of {}", quote_list(names))),
        };
        self.push(diagnostic);
        None
    }

    fn check_regex(&mut self, node: &Node, pattern: &str) {
        if pattern.contains("{{") {
            return;
        }
        if let Err(error) = crate::assertion::compile_regex(pattern) {
            // The regex crate's message draws its own caret over several lines, and its last
            // line names the problem.
            let text = error.to_string();
            let reason =
                text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or(&text).trim_start_matches("error: ");
            let diagnostic = self.error(node, format!("invalid regular expression: {reason}"));
            self.push(diagnostic);
        }
    }

    fn assertion(&mut self, node: &Node) -> Option<Assertion> {
        if let NodeValue::String(script) = &node.value {
            return Some(Assertion::Script(script.clone()));
        }
        if !matches!(node.value, NodeValue::Mapping(_)) {
            let message = format!(
                "invalid assertion: expected a JavaScript expression or a mapping with `key` and `value`, found {}",
                node.kind()
            );
            let diagnostic = self.error(node, message);
            self.push(diagnostic);
            return None;
        }
        let fields = self.fields(node, "assertion", &ASSERTION_KEYS)?;

        let kind = match fields.get("type") {
            Some(n) => self.operator(n, "assertion type", &AssertionType::NAMES).map(|i| match i {
                0 => AssertionType::Eq,
                1 => AssertionType::Regexp,
                _ => AssertionType::Js,
            }),
            None => Some(AssertionType::Eq),
        };
        let key = match fields.get("key") {
            Some(n) => self.string(n, "assertion key"),
            None => None,
        };
        if key.is_none()
            && fields.get("key").is_none()
            && matches!(kind, Some(AssertionType::Eq | AssertionType::Regexp))
        {
            let kind_name = kind.map(|k| k.as_str()).unwrap_or("EQ");
            let diagnostic = Diagnostic::new(
                self.file,
                self.source,
                node.position,
                format!("missing `key` in {kind_name} assertion"),
            )
            .with_hint("name what to compare, such as `key: resp.status`");
            self.push(diagnostic);
        }

        let value = match fields.get("value") {
            Some(n) => self.expected(n),
            None => {
                self.missing(node, "value", "assertion");
                None
            }
        };

        if let (Some(kind), Some(value), Some(value_node)) = (kind, &value, fields.get("value")) {
            match kind {
                AssertionType::Regexp => {
                    for item in value.items() {
                        match item {
                            Primitive::String(pattern) => self.check_regex(value_node, pattern),
                            _ => {
                                let diagnostic = self.error(value_node, "invalid REGEXP value: expected a string");
                                self.push(diagnostic);
                            }
                        }
                    }
                }
                AssertionType::Js => {
                    if !matches!(value, Expected::One(Primitive::String(_))) {
                        let diagnostic =
                            self.error(value_node, "invalid JS value: expected one expression as a string");
                        self.push(diagnostic);
                    }
                }
                AssertionType::Eq => {}
            }
        }
        Some(Assertion::Compare(Comparison { kind: kind?, key, value: value? }))
    }

    fn expected(&mut self, node: &Node) -> Option<Expected> {
        match &node.value {
            NodeValue::Sequence(items) => {
                if items.is_empty() {
                    let diagnostic = self.error(node, "empty list of expected values");
                    self.push(diagnostic);
                    return None;
                }
                let values: Vec<Primitive> = items.iter().filter_map(|item| self.primitive(item)).collect();
                (values.len() == items.len()).then_some(Expected::AnyOf(values))
            }
            _ => self.primitive(node).map(Expected::One),
        }
    }

    fn primitive(&mut self, node: &Node) -> Option<Primitive> {
        match &node.value {
            NodeValue::String(s) => Some(Primitive::String(s.clone())),
            NodeValue::Number(n) => Some(Primitive::Number(n.clone())),
            NodeValue::Bool(b) => Some(Primitive::Bool(*b)),
            _ => {
                let message =
                    format!("invalid expected value: expected a string, number or boolean, found {}", node.kind());
                let diagnostic = self.error(node, message);
                self.push(diagnostic);
                None
            }
        }
    }

    fn payload(&mut self, node: &Node) -> Option<Payload> {
        let fields = self.fields(node, "payload", &PAYLOAD_KEYS)?;
        let key = match fields.get("key") {
            Some(n) => self.string(n, "payload key"),
            None => {
                self.missing(node, "key", "payload");
                None
            }
        };
        let value = match fields.get("value") {
            Some(n) => self.payload_source(n),
            None => {
                self.missing(node, "value", "payload");
                None
            }
        };
        Some(Payload { key: key?, value: value? })
    }

    fn payload_source(&mut self, node: &Node) -> Option<PayloadSource> {
        match &node.value {
            NodeValue::String(name) => {
                if payloads::builtin(name).is_some() {
                    return Some(PayloadSource::Builtin(name.clone()));
                }
                let diagnostic = self.error(node, format!("unknown payload list `{name}`"));
                let diagnostic = match did_you_mean(name, payloads::NAMES.iter().copied()) {
                    Some(suggestion) => diagnostic.with_hint(format!("did you mean `{suggestion}`?")),
                    None => diagnostic.with_hint(format!(
                        "built-in lists are {}; or give the values as a list",
                        quote_list(&payloads::NAMES)
                    )),
                };
                self.push(diagnostic);
                None
            }
            NodeValue::Sequence(items) => {
                if items.is_empty() {
                    let diagnostic = self.error(node, "empty payload list");
                    self.push(diagnostic);
                    return None;
                }
                let values: Vec<String> =
                    items.iter().filter_map(|item| self.primitive_text(item, "payload")).collect();
                (values.len() == items.len()).then_some(PayloadSource::Values(values))
            }
            _ => {
                let message = format!(
                    "invalid payload value: expected a list name such as `XSS` or a list, found {}",
                    node.kind()
                );
                let diagnostic = self.error(node, message);
                self.push(diagnostic);
                None
            }
        }
    }
}

/// Character offset of the last `{{` that has no `}}` after it.
fn unclosed_braces(text: &str) -> Option<usize> {
    let open = text.rfind("{{")?;
    if text[open..].contains("}}") {
        return None;
    }
    Some(text[..open].chars().count())
}

fn is_valid_id(id: &str) -> bool {
    // Metlo documents ids as `[A-Za-z0-9-_]+` but its own examples contain dots (it checks
    // the pattern unanchored), so dots are allowed too.
    static PATTERN: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let pattern = PATTERN.get_or_init(|| Regex::new(r"^[A-Za-z0-9._-]+$").expect("constant pattern"));
    pattern.is_match(id)
}

fn quote_list(names: &[&str]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::super::parse_str;
    use crate::model::*;

    #[test]
    fn parses_metlo_example() {
        let text = r#"
id: test-payment-processor-metlo.com-user-billing
meta:
  name: test-payment-processor.metlo.com/user/billing Test Auth
  severity: CRITICAL
  tags:
    - BROKEN_AUTHENTICATION
env:
  - name: PORT
    value: 8080
test:
  - request:
      method: POST
      url: https://example.com/user/billing
      headers:
        - name: Content-Type
          value: application/json
      data: |-
        { "ccn": "..." }
    assert:
      - key: resp.status
        value: 200
      - key: resp.status
        value: [401, 403]
      - resp.status < 300
      - type: REGEXP
        key: resp.data
        value: "ok"
options:
  stopOnFailure: true
"#;
        let parsed = parse_str(text, "t.yaml").unwrap_or_else(|e| panic!("{e}"));
        let test = parsed.test;
        assert_eq!(test.id, "test-payment-processor-metlo.com-user-billing");
        assert_eq!(test.meta.severity, Some(Severity::Critical));
        assert_eq!(test.env, vec![KeyValue::new("PORT", "8080")]);
        assert!(test.options.stop_on_failure);
        let step = &test.test[0];
        assert_eq!(step.request.method, Method::Post);
        assert_eq!(step.request.data.as_deref(), Some("{ \"ccn\": \"...\" }"));
        assert_eq!(step.assertions.len(), 4);
        assert_eq!(step.assertions[2], Assertion::Script("resp.status < 300".into()));
        assert_eq!(step.assertions[1], Assertion::eq("resp.status", &[401u16, 403][..]));
        assert_eq!(parsed.positions.steps[0].assertions[0].line, 21);
    }

    #[test]
    fn accepts_legacy_config() {
        let text = "id: a\nconfig:\n  stopOnFailedAssertion: true\ntest:\n  - request: {method: GET, url: http://x}\n";
        let parsed = parse_str(text, "t.yaml").unwrap();
        assert!(parsed.test.options.stop_on_failure);
    }

    #[test]
    fn reports_every_problem() {
        let text = "id: a\ntest:\n  - request:\n      metod: GET\n      url: http://x\n      header: []\n";
        let error = parse_str(text, "t.yaml").unwrap_err();
        let messages: Vec<String> = error.diagnostics().iter().map(|d| d.to_string()).collect();
        assert_eq!(
            messages,
            vec![
                "t.yaml:4:7: unknown key `metod` in request (did you mean `method`?)",
                "t.yaml:4:7: missing `method` in request",
                "t.yaml:6:7: unknown key `header` in request (did you mean `headers`?)",
            ]
        );
    }
}
