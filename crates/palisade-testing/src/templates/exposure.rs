//! Templates for what responses expose or allow: privileged fields written from a
//! request, sensitive fields and internals in responses, missing security headers, CORS,
//! rate limits, method overrides and GraphQL introspection.

use serde_json::Value;

use super::build::{self, has_body, not_applicable, step};
use crate::generate::{GenContext, GenerateError, finish};
use crate::model::{Assertion, KeyValue, Method, Request, Severity, Step, TestFile};

/// Requests sent in a row by the rate limit template before the one that must be refused.
pub const RATE_LIMIT_REQUESTS: u32 = 30;

const NO_ELEVATION: &str = r#"!/"(role|user_?role)"\s*:\s*"admin"|"(is_?admin|isAdmin)"\s*:\s*true/i.test(resp.text)"#;

pub fn mass_assignment(context: &GenContext) -> Result<TestFile, GenerateError> {
    let endpoint = &context.endpoint;
    if !matches!(endpoint.method, Method::Post | Method::Put | Method::Patch) {
        return Err(not_applicable("MASS_ASSIGNMENT", endpoint, "only POST, PUT and PATCH requests write objects"));
    }
    let body = endpoint.body.as_deref().and_then(|b| serde_json::from_str::<Value>(b).ok());
    let Some(Value::Object(mut object)) = body else {
        return Err(not_applicable("MASS_ASSIGNMENT", endpoint, "the sample body is not a JSON object"));
    };
    object.insert("role".into(), Value::String("admin".into()));
    object.insert("is_admin".into(), Value::Bool(true));
    object.insert("isAdmin".into(), Value::Bool(true));

    let mut request = build::authenticated(endpoint);
    request.data = Some(Value::Object(object).to_string());
    let mut test = build::test("MASS_ASSIGNMENT", endpoint, Severity::High, &["MASS_ASSIGNMENT"]);
    test.test.push(step(request, NO_ELEVATION));

    // An update may respond without the object, so reading it back shows what was stored.
    if matches!(endpoint.method, Method::Put | Method::Patch) {
        let mut read = build::authenticated(endpoint);
        read.method = Method::Get;
        read.data = None;
        read.headers.retain(|h| !h.name.eq_ignore_ascii_case("content-type"));
        test.test.push(step(read, NO_ELEVATION));
    }
    Ok(finish(test, endpoint, &[] as &[(&str, String)]))
}

pub fn rate_limit(context: &GenContext) -> Result<TestFile, GenerateError> {
    let endpoint = &context.endpoint;
    let mut test = build::test("RATE_LIMIT", endpoint, Severity::Medium, &["RATE_LIMITING"]);
    let mut burst = Step::new(build::authenticated(endpoint));
    burst.repeat = Some(RATE_LIMIT_REQUESTS);
    test.test.push(burst);
    let mut last = Step::new(build::authenticated(endpoint));
    last.assertions.push(Assertion::eq("resp.status", 429));
    test.test.push(last);
    Ok(finish(test, endpoint, &[] as &[(&str, String)]))
}

pub fn excessive_data(context: &GenContext) -> Result<TestFile, GenerateError> {
    let endpoint = &context.endpoint;
    let mut test = build::test("EXCESSIVE_DATA_EXPOSURE", endpoint, Severity::High, &["EXCESSIVE_DATA_EXPOSURE"]);
    let check = r#"!/"(password|passwd|password_?hash|ssn|social_?security_?number|secret|api_?key|private_?key|credit_?card|card_?number|cvv)"\s*:/i.test(resp.text)"#;
    test.test.push(step(build::authenticated(endpoint), check));
    Ok(finish(test, endpoint, &[] as &[(&str, String)]))
}

fn header_test(
    context: &GenContext,
    name: &'static str,
    severity: Severity,
    check: &str,
) -> Result<TestFile, GenerateError> {
    let endpoint = &context.endpoint;
    let mut test = build::test(name, endpoint, severity, &["SECURITY_HEADERS"]);
    test.test.push(step(build::authenticated(endpoint), check));
    Ok(finish(test, endpoint, &[] as &[(&str, String)]))
}

pub fn hsts(context: &GenContext) -> Result<TestFile, GenerateError> {
    header_test(context, "HSTS", Severity::Low, r"/max-age=\d+/i.test(resp.headers['strict-transport-security'] || '')")
}

pub fn csp(context: &GenContext) -> Result<TestFile, GenerateError> {
    header_test(context, "CSP", Severity::Low, "(resp.headers['content-security-policy'] || '').trim().length > 0")
}

pub fn nosniff(context: &GenContext) -> Result<TestFile, GenerateError> {
    let check = "(resp.headers['x-content-type-options'] || '').trim().toLowerCase() === 'nosniff'";
    header_test(context, "X_CONTENT_TYPE_OPTIONS", Severity::Low, check)
}

/// The origin the CORS test claims; `.invalid` names no real site.
const PROBE_ORIGIN: &str = "https://palisade-cors.invalid";

pub fn cors(context: &GenContext) -> Result<TestFile, GenerateError> {
    let endpoint = &context.endpoint;
    let mut request = build::authenticated(endpoint);
    request.headers.push(KeyValue::new("Origin", PROBE_ORIGIN));
    let check = format!(
        "!((resp.headers['access-control-allow-credentials'] || '').toLowerCase() === 'true' && ['*', '{PROBE_ORIGIN}'].includes(resp.headers['access-control-allow-origin'] || ''))"
    );
    let mut test = build::test("CORS_CREDENTIALS", endpoint, Severity::Medium, &["SECURITY_HEADERS", "CORS"]);
    test.test.push(step(request, &check));
    Ok(finish(test, endpoint, &[] as &[(&str, String)]))
}

/// Stack traces and internals of Rust, Python, Java, JavaScript, .NET and PHP, and
/// database errors.
const INTERNALS: &str = r#"!/panicked at|stack backtrace|Traceback \(most recent call last\)|\bat [\w$.<>]+ \([^)]*:\d+:\d+\)|Exception in thread|\.java:\d+\)|SQLITE_ERROR|SQLSTATE|ORA-\d{5}|\/usr\/src\/|node_modules\/|System\.\w+Exception|on line \d+ in \//.test(resp.text)"#;

pub fn verbose_errors(context: &GenContext) -> Result<TestFile, GenerateError> {
    let endpoint = &context.endpoint;
    let mut request = build::authenticated(endpoint);
    if has_body(endpoint.method) {
        // Malformed JSON: an unclosed array.
        request.data = Some(String::from("{\"palisade\": [1, "));
        request.headers.retain(|h| !h.name.eq_ignore_ascii_case("content-type"));
        request.headers.push(KeyValue::new("Content-Type", "application/json"));
    } else {
        request.query.push(KeyValue::new("palisade_probe", "%ff'\"<>"));
    }
    let mut test = build::test("VERBOSE_ERRORS", endpoint, Severity::Medium, &["VERBOSE_ERRORS"]);
    test.test.push(step(request, INTERNALS));
    Ok(finish(test, endpoint, &[] as &[(&str, String)]))
}

pub fn method_override(context: &GenContext) -> Result<TestFile, GenerateError> {
    let endpoint = &context.endpoint;
    if !matches!(endpoint.method, Method::Delete | Method::Put | Method::Patch) {
        return Err(not_applicable(
            "METHOD_OVERRIDE",
            endpoint,
            "an override matters for DELETE, PUT and PATCH endpoints",
        ));
    }
    let mut request = build::authenticated(endpoint);
    request.method = Method::Post;
    let method = endpoint.method.as_str();
    for name in ["X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"] {
        request.headers.push(KeyValue::new(name, method));
    }
    let mut test = build::test("METHOD_OVERRIDE", endpoint, Severity::High, &["METHOD_OVERRIDE", "AUTHORIZATION"]);
    test.test.push(step(request, "resp.status >= 400"));
    Ok(finish(test, endpoint, &[] as &[(&str, String)]))
}

const INTROSPECTION_QUERY: &str = "query IntrospectionQuery { __schema { queryType { name } types { name kind } } }";

pub fn graphql_introspection(context: &GenContext) -> Result<TestFile, GenerateError> {
    let endpoint = &context.endpoint;
    let authenticated = build::authenticated(endpoint);
    let mut request = Request::new(Method::Post, authenticated.url.clone());
    request.headers =
        authenticated.headers.into_iter().filter(|h| !h.name.eq_ignore_ascii_case("content-type")).collect();
    request.graphql = Some(INTROSPECTION_QUERY.to_string());
    let mut test = build::test("GRAPHQL_INTROSPECTION", endpoint, Severity::Medium, &["GRAPHQL"]);
    test.test.push(step(request, r#"!(resp.status < 300 && /"__schema"\s*:\s*\{/.test(resp.text))"#));
    Ok(finish(test, endpoint, &[] as &[(&str, String)]))
}
