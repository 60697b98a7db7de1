//! Pieces that templates share: the base request, credentials, where to put a payload,
//! and the test's id and metadata.

use serde_json::Value;

use crate::generate::{AUTH_VAR, AuthType, Endpoint, GenerateError};
use crate::model::{KeyValue, Meta, Method, Request, Severity, Step, TestFile};

/// Statuses that count as a refusal: unauthenticated, forbidden, or hidden as missing.
pub const DENIED: [u16; 3] = [401, 403, 404];

/// Starts a test for `endpoint` with an id made of the template name and the endpoint.
pub fn test(template: &str, endpoint: &Endpoint, severity: Severity, tags: &[&str]) -> TestFile {
    let slug: String = format!("{}-{}{}", endpoint.method.as_str(), endpoint.host, endpoint.template)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect();
    let slug = slug.split('-').filter(|s| !s.is_empty()).collect::<Vec<_>>().join("-");
    TestFile {
        id: format!("{}-{slug}", template.to_ascii_lowercase().replace('_', "-")),
        meta: Meta {
            name: Some(format!("{} {} {}", endpoint.method.as_str(), endpoint.template, template)),
            severity: Some(severity),
            tags: tags.iter().map(|t| t.to_string()).collect(),
        },
        env: Vec::new(),
        options: Default::default(),
        test: Vec::new(),
    }
}

/// Builds the sample request with `{{BASE_URL}}`, without any credential.
pub fn request(endpoint: &Endpoint) -> Request {
    request_to(endpoint, &format!("{{{{BASE_URL}}}}{}", endpoint.path))
}

/// Builds the sample request sent to `url`.
pub fn request_to(endpoint: &Endpoint, url: &str) -> Request {
    let mut request = Request::new(endpoint.method, url);
    request.headers = endpoint.headers.clone();
    request.query = endpoint.query.clone();
    request.data = endpoint.body.clone();
    if let Some(content_type) = &endpoint.content_type
        && request.data.is_some()
        && request.header("content-type").is_none()
    {
        request.headers.push(KeyValue::new("Content-Type", content_type.clone()));
    }
    request
}

/// Adds the credential held by `variable` the way the endpoint sends it.
pub fn with_credential(mut request: Request, endpoint: &Endpoint, variable: &str) -> Request {
    request.headers.push(credential_header(endpoint, &format!("{{{{{variable}}}}}")));
    request
}

/// Adds `value` (a template) as the credential.
pub fn with_credential_value(mut request: Request, endpoint: &Endpoint, value: &str) -> Request {
    request.headers.push(credential_header(endpoint, value));
    request
}

fn credential_header(endpoint: &Endpoint, value: &str) -> KeyValue {
    match &endpoint.auth {
        Some(auth) if auth.auth_type == AuthType::SessionCookie => match &auth.cookie_name {
            Some(name) => KeyValue::new("Cookie", format!("{name}={value}")),
            None => KeyValue::new("Cookie", value),
        },
        Some(auth) => KeyValue::new(auth.header_name(), value),
        None => KeyValue::new("Authorization", value),
    }
}

/// Builds the sample request with the endpoint's own credential, when it has one.
pub fn authenticated(endpoint: &Endpoint) -> Request {
    let request = request(endpoint);
    if endpoint.auth.is_some() { with_credential(request, endpoint, AUTH_VAR) } else { request }
}

/// Fails unless the endpoint takes a credential.
pub fn require_auth(endpoint: &Endpoint, template: &'static str) -> Result<(), GenerateError> {
    if endpoint.auth.is_some() {
        return Ok(());
    }
    Err(not_applicable(
        template,
        endpoint,
        "the sample carries no credential; add an `authentication` entry for the host under `testing:` in the config",
    ))
}

/// Fails unless the endpoint's credential is a JWT.
pub fn require_jwt(endpoint: &Endpoint, template: &'static str) -> Result<(), GenerateError> {
    match &endpoint.auth {
        Some(auth) if auth.auth_type == AuthType::Jwt => Ok(()),
        _ => Err(not_applicable(template, endpoint, "the host's credential is not a JWT (authType: jwt)")),
    }
}

pub fn not_applicable(template: &'static str, endpoint: &Endpoint, reason: &str) -> GenerateError {
    GenerateError::NotApplicable {
        template,
        method: endpoint.method.as_str().to_string(),
        path: endpoint.template.clone(),
        reason: reason.to_string(),
    }
}

/// Puts a payload into the first query parameter, else the first form field, else the
/// first string field of a JSON object body, as Metlo's templates choose. Names in
/// `preferred` are chosen first when present.
pub fn inject(mut request: Request, value: &str, preferred: &[&str]) -> Option<Request> {
    let is_preferred = |name: &str| preferred.iter().any(|p| name.to_ascii_lowercase().contains(p));
    if !request.query.is_empty() {
        let index = request.query.iter().position(|q| is_preferred(&q.name)).unwrap_or(0);
        request.query[index].value = value.to_string();
        return Some(request);
    }
    if !request.form.is_empty() {
        let index = request.form.iter().position(|f| is_preferred(&f.name)).unwrap_or(0);
        request.form[index].value = value.to_string();
        return Some(request);
    }
    let data = request.data.as_deref()?;
    let Ok(Value::Object(mut object)) = serde_json::from_str::<Value>(data) else { return None };
    let keys: Vec<String> = object.iter().filter(|(_, v)| v.is_string()).map(|(k, _)| k.clone()).collect();
    let key = keys.iter().find(|k| is_preferred(k)).or_else(|| keys.first())?.clone();
    object.insert(key, Value::String(value.to_string()));
    request.data = Some(Value::Object(object).to_string());
    Some(request)
}

/// Builds a step that sends `request` and asserts the JavaScript `expression`.
pub fn step(request: Request, expression: &str) -> Step {
    let mut step = Step::new(request);
    step.assertions.push(crate::model::Assertion::js(expression));
    step
}

/// A step whose status must be one of the refusals.
pub fn denied_step(request: Request) -> Step {
    let mut step = Step::new(request);
    step.assertions.push(crate::model::Assertion::eq("resp.status", &DENIED[..]));
    step
}

/// True for methods whose requests carry a body.
pub fn has_body(method: Method) -> bool {
    matches!(method, Method::Post | Method::Put | Method::Patch | Method::Delete)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inject_prefers_query_then_form_then_json() {
        let mut request = Request::new(Method::Get, "u");
        request.query = vec![KeyValue::new("page", "1"), KeyValue::new("url", "x")];
        let injected = inject(request.clone(), "P", &["url"]).unwrap();
        assert_eq!(injected.query[1].value, "P");
        let injected = inject(request, "P", &[]).unwrap();
        assert_eq!(injected.query[0].value, "P");

        let mut request = Request::new(Method::Post, "u");
        request.data = Some(r#"{"count":1,"name":"a"}"#.into());
        let injected = inject(request, "P", &[]).unwrap();
        assert_eq!(injected.data.as_deref(), Some(r#"{"count":1,"name":"P"}"#));

        assert!(inject(Request::new(Method::Get, "u"), "P", &[]).is_none());
    }
}
