//! Generating tests from the inventory: a stored sample of an endpoint becomes the base
//! request, and a template turns it into a test for one kind of flaw.
//!
//! Values that Palisade redacted in the sample (`[redacted]`) become `{{NAME}}`
//! placeholders listed in the test's `env`, to be given with `--env NAME=VALUE` when the
//! test runs.

pub mod authz;
pub mod config;

use palisade_core::Trace;
use serde_json::Value;

use crate::model::{KeyValue, Method, TestFile};
pub use config::{AuthType, HostAuth, TestingConfig};

/// The value that Palisade writes in place of a removed credential in stored samples.
pub const REDACTED: &str = "[redacted]";

/// The variable holding the endpoint's own credential (the whole header value, such as
/// `Bearer eyJ...`, or the session cookie's value).
pub const AUTH_VAR: &str = "AUTH";

/// An endpoint with a concrete request to build tests from.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub method: Method,
    /// `scheme://host[:port]`, where test requests go; the `BASE_URL` variable.
    pub base_url: String,
    /// The host as seen in traffic.
    pub host: String,
    /// The path template, such as `/orders/{orderId}`.
    pub template: String,
    /// The concrete path of the sample, such as `/orders/17`.
    pub path: String,
    pub query: Vec<KeyValue>,
    /// Request headers other than the credential, with redacted values as placeholders.
    pub headers: Vec<KeyValue>,
    pub body: Option<String>,
    pub content_type: Option<String>,
    /// Authentication of the endpoint's host, when it has a credential.
    pub auth: Option<HostAuth>,
    /// Placeholders the request uses, listed in the test's `env` with empty values.
    pub placeholders: Vec<String>,
}

/// An error generating a test.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenerateError {
    #[error("unknown template `{name}`{hint}; `palisade test templates` lists them")]
    UnknownTemplate { name: String, hint: String },
    #[error("template {template} does not apply to {method} {path}: {reason}")]
    NotApplicable { template: &'static str, method: String, path: String, reason: String },
    #[error("unsupported method {0} for generated tests")]
    Method(String),
}

/// Headers that describe the connection or the message rather than the request, so a
/// generated test leaves them to the HTTP client.
const SKIPPED_HEADERS: [&str; 9] = [
    "host",
    "content-length",
    "connection",
    "transfer-encoding",
    "accept-encoding",
    "keep-alive",
    "te",
    "upgrade",
    "user-agent",
];

impl Endpoint {
    /// Builds an endpoint from a stored (redacted) sample. `auth` is the host's
    /// authentication. Without it, an `Authorization` header or a `Cookie` header in the
    /// sample is taken as the credential. `testing_host` replaces the traffic's host.
    pub fn from_trace(
        trace: &Trace,
        template: &str,
        auth: Option<&HostAuth>,
        testing_host: Option<&str>,
    ) -> Result<Self, GenerateError> {
        let request = &trace.request;
        let method = Method::from_name(&request.method).ok_or_else(|| GenerateError::Method(request.method.clone()))?;
        let host = testing_host.unwrap_or(&request.host);
        let base_url = format!("{}://{}", request.scheme, host);

        let auth = auth.cloned().or_else(|| infer_auth(trace));
        let credential_header = auth.as_ref().map(|a| a.header_name().to_ascii_lowercase());

        let mut placeholders = Vec::new();
        let mut headers = Vec::new();
        for header in &request.headers {
            let lower = header.name.to_ascii_lowercase();
            if SKIPPED_HEADERS.contains(&lower.as_str()) || Some(&lower) == credential_header.as_ref() {
                continue;
            }
            let value = placeholder_for(&header.value, &header.name, &mut placeholders);
            headers.push(KeyValue::new(header.name.clone(), value));
        }

        let query = request
            .query
            .iter()
            .map(|q| KeyValue::new(q.name.clone(), placeholder_for(&q.value, &q.name, &mut placeholders)))
            .collect();

        let body = if request.body.is_empty() {
            None
        } else {
            let text = String::from_utf8_lossy(&request.body.bytes).into_owned();
            Some(body_with_placeholders(&text, &mut placeholders))
        };
        let content_type = request.content_type.clone();

        if auth.is_some() && !placeholders.iter().any(|p| p == AUTH_VAR) {
            placeholders.insert(0, AUTH_VAR.to_string());
        }
        Ok(Self {
            method,
            base_url,
            host: request.host.clone(),
            template: template.to_string(),
            path: request.path.clone(),
            query,
            headers,
            body,
            content_type,
            auth,
            placeholders,
        })
    }

    /// Returns the path parameter names of the template, in order.
    pub fn path_params(&self) -> Vec<String> {
        self.template
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(str::to_string)
            .collect()
    }

    /// Returns the concrete value of each path parameter in the sample.
    pub fn path_values(&self) -> Vec<(String, String)> {
        let template: Vec<&str> = self.template.split('/').collect();
        let concrete: Vec<&str> = self.path.split('/').collect();
        template
            .iter()
            .zip(concrete.iter())
            .filter_map(|(t, c)| {
                t.strip_prefix('{').and_then(|t| t.strip_suffix('}')).map(|name| (name.to_string(), c.to_string()))
            })
            .collect()
    }
}

/// Infers the credential from a sample without configuration: a redacted or present
/// `Authorization` header (JWT when it looks like one), else a `Cookie` header.
fn infer_auth(trace: &Trace) -> Option<HostAuth> {
    let find = |name: &str| trace.request.headers.iter().find(|h| h.name.eq_ignore_ascii_case(name));
    if let Some(header) = find("authorization") {
        let jwt = header.value.starts_with("Bearer ey") || header.value == REDACTED;
        let auth_type = if header.value.starts_with("Basic ") {
            AuthType::Basic
        } else if jwt {
            AuthType::Jwt
        } else {
            AuthType::Header
        };
        return Some(HostAuth {
            host: trace.request.host.clone(),
            auth_type,
            header_key: None,
            jwt_user_path: None,
            cookie_name: None,
        });
    }
    if find("cookie").is_some() {
        return Some(HostAuth {
            host: trace.request.host.clone(),
            auth_type: AuthType::SessionCookie,
            header_key: None,
            jwt_user_path: None,
            cookie_name: None,
        });
    }
    None
}

/// Returns `value`, or a `{{NAME}}` placeholder when it was redacted.
fn placeholder_for(value: &str, name: &str, placeholders: &mut Vec<String>) -> String {
    if value != REDACTED {
        return value.to_string();
    }
    let variable = variable_name(name);
    if !placeholders.contains(&variable) {
        placeholders.push(variable.clone());
    }
    format!("{{{{{variable}}}}}")
}

/// Derives a variable name from a header, parameter or field name: upper case, other
/// characters as `_`.
pub fn variable_name(name: &str) -> String {
    let mut out: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// Replaces redacted string values in a JSON body with placeholders; other bodies are
/// kept as they are.
fn body_with_placeholders(text: &str, placeholders: &mut Vec<String>) -> String {
    let Ok(mut value) = serde_json::from_str::<Value>(text) else { return text.to_string() };
    replace_redacted(&mut value, "", placeholders);
    serde_json::to_string(&value).unwrap_or_else(|_| text.to_string())
}

fn replace_redacted(value: &mut Value, key: &str, placeholders: &mut Vec<String>) {
    match value {
        Value::String(s) if s == REDACTED => *s = placeholder_for(s, key, placeholders),
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                replace_redacted(v, k, placeholders);
            }
        }
        Value::Array(items) => {
            for item in items {
                replace_redacted(item, key, placeholders);
            }
        }
        _ => {}
    }
}

/// Input of a template: the endpoint and the testing-config rules.
#[derive(Debug, Clone)]
pub struct GenContext {
    pub endpoint: Endpoint,
    pub authz: Option<authz::AuthzConfig>,
}

/// Adds the endpoint's placeholders to the test's `env` and a comment naming them.
pub fn finish<N: AsRef<str>>(mut test: TestFile, endpoint: &Endpoint, extra: &[(N, String)]) -> TestFile {
    let mut env = vec![KeyValue::new("BASE_URL", endpoint.base_url.clone())];
    for (name, value) in extra {
        env.push(KeyValue::new(name.as_ref(), value.clone()));
    }
    // Placeholders of the sample that the test's steps do not use (such as the
    // endpoint's own credential in a two-user test) are left out.
    let steps = crate::model::to_yaml(&test);
    for name in &endpoint.placeholders {
        if !env.iter().any(|e| e.name == *name) && uses_variable(&steps, name) {
            env.push(KeyValue::new(name.clone(), ""));
        }
    }
    for entry in std::mem::take(&mut test.env) {
        if let Some(existing) = env.iter_mut().find(|e| e.name == entry.name) {
            *existing = entry;
        } else {
            env.push(entry);
        }
    }
    test.env = env;
    test
}

/// True when a `{{...}}` expression in `text` names `variable` as a whole word.
pub fn uses_variable(text: &str, variable: &str) -> bool {
    text.split("{{").skip(1).filter_map(|rest| rest.split("}}").next()).any(|expression| {
        expression.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).any(|word| word == variable)
    })
}

/// Writes a generated test as YAML with a comment listing the variables left empty,
/// which must be given with `--env` when it runs.
pub fn to_yaml_with_notes(test: &TestFile, template: &str, endpoint: &Endpoint) -> String {
    let mut out = format!(
        "# Generated by `palisade test generate --template {template}` for {} {}{}.\n",
        endpoint.method.as_str(),
        endpoint.host,
        endpoint.template
    );
    let empty: Vec<&str> = test.env.iter().filter(|e| e.value.is_empty()).map(|e| e.name.as_str()).collect();
    if !empty.is_empty() {
        out.push_str("# Redacted or unknown values; give them when running:\n");
        let flags: Vec<String> = empty.iter().map(|name| format!("--env {name}=...")).collect();
        out.push_str(&format!("#   palisade test run FILE {}\n", flags.join(" ")));
    }
    out.push_str(&crate::model::to_yaml(test));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::{Body, Header, QueryParam, Request, TraceMeta, TraceSource};

    pub(crate) fn sample(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Trace {
        Trace {
            request: Request {
                method: method.into(),
                scheme: "http".into(),
                host: "127.0.0.1:8088".into(),
                path: path.into(),
                query: vec![QueryParam { name: "api_key".into(), value: REDACTED.into() }],
                headers: headers.iter().map(|(n, v)| Header::new(*n, *v)).collect(),
                content_type: Some("application/json".into()),
                body: Body::capped(body.as_bytes().to_vec(), 1 << 20),
            },
            response: None,
            meta: TraceMeta {
                start_ms: 0,
                duration_us: None,
                client: None,
                server: None,
                source: TraceSource::Native,
                environment: None,
                route: None,
            },
            agent: None,
        }
    }

    #[test]
    fn redacted_values_become_placeholders() {
        let trace = sample(
            "POST",
            "/users/7/keys",
            &[("Authorization", REDACTED), ("X-Request-Id", "r1"), ("X-Csrf-Token", REDACTED), ("Host", "x")],
            r#"{"name":"k","password":"[redacted]","nested":{"secret":"[redacted]"}}"#,
        );
        let endpoint = Endpoint::from_trace(&trace, "/users/{userId}/keys", None, None).unwrap();
        assert_eq!(endpoint.auth.as_ref().unwrap().auth_type, AuthType::Jwt);
        assert_eq!(
            endpoint.headers,
            vec![KeyValue::new("X-Request-Id", "r1"), KeyValue::new("X-Csrf-Token", "{{X_CSRF_TOKEN}}")]
        );
        assert_eq!(endpoint.query, vec![KeyValue::new("api_key", "{{API_KEY}}")]);
        assert_eq!(
            endpoint.body.as_deref(),
            Some(r#"{"name":"k","nested":{"secret":"{{SECRET}}"},"password":"{{PASSWORD}}"}"#)
        );
        assert_eq!(endpoint.placeholders, vec!["AUTH", "X_CSRF_TOKEN", "API_KEY", "SECRET", "PASSWORD"]);
        assert_eq!(endpoint.path_values(), vec![("userId".to_string(), "7".to_string())]);
    }

    #[test]
    fn uses_variable_matches_whole_words() {
        assert!(uses_variable("a {{jwt_none AUTH}} b", "AUTH"));
        assert!(uses_variable("{{AUTH}}", "AUTH"));
        assert!(!uses_variable("{{AUTH_A}}", "AUTH"));
        assert!(!uses_variable("AUTH {{X}}", "AUTH"));
    }

    #[test]
    fn testing_host_replaces_host() {
        let trace = sample("GET", "/x", &[], "");
        let endpoint = Endpoint::from_trace(&trace, "/x", None, Some("127.0.0.1:9")).unwrap();
        assert_eq!(endpoint.base_url, "http://127.0.0.1:9");
        assert!(endpoint.auth.is_none());
    }
}
