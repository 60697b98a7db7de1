//! The test file format: Metlo's YAML security tests, with a few additions marked
//! "Palisade extension" below.
//!
//! Files are read by [`crate::parse`], which checks them against these types with
//! positions. Serde here only writes files (generated tests) and derives the JSON Schema
//! that editors use.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One test file: an id, metadata, variables and the steps to run in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Palisade security test", description = "A YAML security test in Metlo's format")]
pub struct TestFile {
    /// Unique id of the test: letters, digits, `-`, `_` and `.`.
    #[schemars(regex(pattern = r"^[A-Za-z0-9._-]+$"))]
    pub id: String,
    #[serde(default, skip_serializing_if = "Meta::is_empty")]
    pub meta: Meta,
    /// Variables available to every step as `{{NAME}}`. Values given with `--env` or
    /// `--envfile` take precedence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<KeyValue>,
    #[serde(default, skip_serializing_if = "Options::is_default")]
    pub options: Options,
    /// Steps, run in order.
    pub test: Vec<Step>,
}

/// Descriptive metadata, copied into reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

impl Meta {
    fn is_empty(&self) -> bool {
        self.name.is_none() && self.severity.is_none() && self.tags.is_empty()
    }
}

/// Seriousness of a failure of the test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [Severity::Low, Severity::Medium, Severity::High, Severity::Critical];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }
}

/// A name and a value, used for variables, headers, query parameters and form fields.
/// Numbers and booleans are accepted as values and read as their text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyValue {
    pub name: String,
    #[schemars(with = "Primitive")]
    pub value: String,
}

impl KeyValue {
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self { name: name.into(), value: value.into() }
    }
}

/// Options for the whole test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Options {
    /// Skip the remaining steps after the first failed one.
    #[serde(default)]
    pub stop_on_failure: bool,
    /// Follow redirects (the default). Palisade extension: set it to false to assert on
    /// the redirect response itself, as open redirect tests do.
    #[serde(default = "default_true")]
    pub follow_redirects: bool,
}

fn default_true() -> bool {
    true
}

impl Default for Options {
    fn default() -> Self {
        Self { stop_on_failure: false, follow_redirects: true }
    }
}

impl Options {
    fn is_default(&self) -> bool {
        *self == Options::default()
    }
}

/// One request with what to extract from its response and what to assert about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub request: Request,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extract: Vec<Extractor>,
    #[serde(default, rename = "assert", skip_serializing_if = "Vec::is_empty")]
    pub assertions: Vec<Assertion>,
    /// Runs the step once for every combination of values of the payload lists, with
    /// each `key` set as a variable.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub payload: Vec<Payload>,
    /// Palisade extension: sends the request this many times (at least 1); assertions
    /// and extractors apply to every response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat: Option<u32>,
}

impl Step {
    pub fn new(request: Request) -> Self {
        Self { request, extract: Vec::new(), assertions: Vec::new(), payload: Vec::new(), repeat: None }
    }
}

/// HTTP methods that a step may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Delete,
    Connect,
    Options,
    Trace,
    Patch,
}

impl Method {
    pub const ALL: [Method; 9] = [
        Method::Get,
        Method::Head,
        Method::Post,
        Method::Put,
        Method::Delete,
        Method::Connect,
        Method::Options,
        Method::Trace,
        Method::Patch,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Connect => "CONNECT",
            Method::Options => "OPTIONS",
            Method::Trace => "TRACE",
            Method::Patch => "PATCH",
        }
    }

    /// Parses an upper-case method name.
    pub fn from_name(name: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.as_str() == name)
    }
}

/// The request of a step. Every string is a template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Request {
    pub method: Method,
    pub url: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<KeyValue>,
    /// Query parameters, URL-encoded and appended to the URL.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub query: Vec<KeyValue>,
    /// Form fields, sent URL-encoded as `application/x-www-form-urlencoded`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub form: Vec<KeyValue>,
    /// The request body as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// A GraphQL document, sent as the JSON body `{"query": ...}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub graphql: Option<String>,
}

impl Request {
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Self {
            method,
            url: url.into(),
            headers: Vec::new(),
            query: Vec::new(),
            form: Vec::new(),
            data: None,
            graphql: None,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value.as_str())
    }
}

/// Kind of extractor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum ExtractorType {
    /// A path such as `resp.data.token` or `resp.headers['x-id']`.
    #[default]
    Value,
    /// A JavaScript expression.
    Js,
    /// A regular expression matched against the response body; the value is the whole
    /// match, or the group named `value` when the expression has one.
    Regexp,
    /// A CSS selector; the value is the text of the first matching element.
    Html,
}

impl ExtractorType {
    pub const NAMES: [&'static str; 4] = ["VALUE", "JS", "REGEXP", "HTML"];

    pub fn as_str(self) -> &'static str {
        match self {
            ExtractorType::Value => "VALUE",
            ExtractorType::Js => "JS",
            ExtractorType::Regexp => "REGEXP",
            ExtractorType::Html => "HTML",
        }
    }
}

/// Sets the variable `name` from the response, for the steps that follow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Extractor {
    pub name: String,
    #[serde(default, rename = "type")]
    pub kind: ExtractorType,
    pub value: String,
}

/// Kind of comparison of an assertion.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum AssertionType {
    /// The value at `key` equals `value`, or any item of a `value` list.
    #[default]
    Eq,
    /// The value at `key`, as text, matches the regular expression `value` (or any of a
    /// list).
    Regexp,
    /// The JavaScript expression `value` is truthy or, with `key`, equals the value at
    /// `key`.
    Js,
}

impl AssertionType {
    pub const NAMES: [&'static str; 3] = ["EQ", "REGEXP", "JS"];

    pub fn as_str(self) -> &'static str {
        match self {
            AssertionType::Eq => "EQ",
            AssertionType::Regexp => "REGEXP",
            AssertionType::Js => "JS",
        }
    }
}

/// A string, number or boolean.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Primitive {
    Bool(bool),
    Number(serde_json::Number),
    String(String),
}

impl Primitive {
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Primitive::Bool(b) => serde_json::Value::Bool(*b),
            Primitive::Number(n) => serde_json::Value::Number(n.clone()),
            Primitive::String(s) => serde_json::Value::String(s.clone()),
        }
    }
}

/// One expected value, or a list meaning "any of these".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Expected {
    One(Primitive),
    AnyOf(Vec<Primitive>),
}

impl Expected {
    pub fn items(&self) -> Vec<&Primitive> {
        match self {
            Expected::One(one) => vec![one],
            Expected::AnyOf(list) => list.iter().collect(),
        }
    }
}

/// An assertion: a bare string is a JavaScript expression that must be truthy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Assertion {
    Script(String),
    Compare(Comparison),
}

/// The object form of an assertion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Comparison {
    #[serde(default, rename = "type")]
    pub kind: AssertionType,
    /// A path such as `resp.status`; required for EQ and REGEXP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub value: Expected,
}

impl Assertion {
    /// Builds an EQ assertion on `key`.
    pub fn eq(key: &str, value: impl Into<Expected>) -> Self {
        Assertion::Compare(Comparison { kind: AssertionType::Eq, key: Some(key.into()), value: value.into() })
    }

    /// Builds a REGEXP assertion on `key`.
    pub fn regexp(key: &str, pattern: &str) -> Self {
        Assertion::Compare(Comparison {
            kind: AssertionType::Regexp,
            key: Some(key.into()),
            value: Expected::One(Primitive::String(pattern.into())),
        })
    }

    /// Builds a JavaScript assertion that must be truthy.
    pub fn js(expression: &str) -> Self {
        Assertion::Script(expression.into())
    }
}

impl From<u16> for Expected {
    fn from(value: u16) -> Self {
        Expected::One(Primitive::Number(value.into()))
    }
}

impl From<&[u16]> for Expected {
    fn from(values: &[u16]) -> Self {
        Expected::AnyOf(values.iter().map(|v| Primitive::Number((*v).into())).collect())
    }
}

impl From<&str> for Expected {
    fn from(value: &str) -> Self {
        Expected::One(Primitive::String(value.into()))
    }
}

/// A variable whose values come from a payload list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Payload {
    /// The variable name the payload is bound to.
    pub key: String,
    pub value: PayloadSource,
}

/// A built-in payload list by name, or (Palisade extension) the values themselves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum PayloadSource {
    Builtin(#[schemars(with = "BuiltinListName")] String),
    Values(Vec<String>),
}

/// Names of the built-in payload lists.
#[derive(JsonSchema)]
#[allow(dead_code, clippy::upper_case_acronyms)]
enum BuiltinListName {
    XSS,
    SQLI,
    #[allow(non_camel_case_types)]
    SQLI_AUTH_BYPASS,
    #[allow(non_camel_case_types)]
    SQLI_TIME,
    #[allow(non_camel_case_types)]
    PATH_TRAVERSAL,
    #[allow(non_camel_case_types)]
    COMMAND_INJECTION,
    #[allow(non_camel_case_types)]
    JWT_SECRETS,
    #[allow(non_camel_case_types)]
    OPEN_REDIRECT,
}

/// Writes a test as YAML.
pub fn to_yaml(test: &TestFile) -> String {
    // Serialising plain structs of strings, numbers and lists cannot fail.
    serde_saphyr::to_string(test).unwrap_or_default()
}
