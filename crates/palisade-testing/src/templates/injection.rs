//! Injection templates: a payload list goes into one parameter of the sample request and
//! every response is checked for the sign that the payload was interpreted.

use super::build::{self, inject, not_applicable};
use crate::generate::{Endpoint, GenContext, GenerateError, finish};
use crate::model::{Assertion, Method, Payload, PayloadSource, Request, Severity, Step, TestFile};

/// Database error messages of SQLite, MySQL, PostgreSQL, SQL Server and Oracle, and of
/// common drivers.
const SQL_ERRORS: &str = r#"!/SQLITE_ERROR|sqlite3?[._]|SQL syntax|syntax error at or near|unterminated quoted string|near "[^"]*": syntax error|unrecognized token|ORA-\d{5}|SQLSTATE|ODBC|mysql_fetch|pg_query|Microsoft OLE DB|Incorrect syntax near/i.test(resp.text)"#;

fn payload_step(request: Request, key: &str, list: &str, assertions: &[&str]) -> Step {
    let mut step = Step::new(request);
    step.payload.push(Payload { key: key.into(), value: PayloadSource::Builtin(list.into()) });
    step.assertions.extend(assertions.iter().map(|a| Assertion::js(a)));
    step
}

/// Builds the request with the payload variable in the parameter chosen by `preferred`,
/// sent with the endpoint's credential.
fn injected(
    endpoint: &Endpoint,
    template: &'static str,
    key: &str,
    preferred: &[&str],
) -> Result<Request, GenerateError> {
    inject(build::authenticated(endpoint), &format!("{{{{{key}}}}}"), preferred).ok_or_else(|| {
        not_applicable(
            template,
            endpoint,
            "the sample has no query parameter, form field or JSON string field to put a payload in",
        )
    })
}

pub fn sqli_error(context: &GenContext) -> Result<TestFile, GenerateError> {
    let endpoint = &context.endpoint;
    let request = injected(endpoint, "SQLI_ERROR", "SQLI_PAYLOAD", &[])?;
    let mut test = build::test("SQLI_ERROR", endpoint, Severity::Critical, &["SQLI"]);
    test.test.push(payload_step(request, "SQLI_PAYLOAD", "SQLI", &["resp.status < 500", SQL_ERRORS]));
    Ok(finish(test, endpoint, &[] as &[(&str, String)]))
}

pub fn sqli_time(context: &GenContext) -> Result<TestFile, GenerateError> {
    let endpoint = &context.endpoint;
    let request = injected(endpoint, "SQLI_TIME", "SQLI_PAYLOAD", &[])?;
    let mut test = build::test("SQLI_TIME", endpoint, Severity::Critical, &["SQLI", "SQLI_TIME_BASED"]);
    test.options.stop_on_failure = true;
    // The payloads sleep 2 s; a response under 1.5 s shows no payload reached a query.
    test.test.push(payload_step(request, "SQLI_PAYLOAD", "SQLI_TIME", &["resp.duration < 1500"]));
    Ok(finish(test, endpoint, &[] as &[(&str, String)]))
}

pub fn sqli_auth_bypass(context: &GenContext) -> Result<TestFile, GenerateError> {
    let endpoint = &context.endpoint;
    let preferred = ["user", "login", "email", "name"];
    let request = inject(build::request(endpoint), "{{SQLI_PAYLOAD}}", &preferred)
        .ok_or_else(|| not_applicable("SQLI_AUTH_BYPASS", endpoint, "the sample has no field for a user name"))?;
    let mut test = build::test("SQLI_AUTH_BYPASS", endpoint, Severity::Critical, &["SQLI", "BROKEN_AUTHENTICATION"]);
    test.options.stop_on_failure = true;
    test.test.push(payload_step(request, "SQLI_PAYLOAD", "SQLI_AUTH_BYPASS", &["resp.status >= 400"]));
    Ok(finish(test, endpoint, &[] as &[(&str, String)]))
}

pub fn xss_reflected(context: &GenContext) -> Result<TestFile, GenerateError> {
    let endpoint = &context.endpoint;
    let request = injected(endpoint, "XSS_REFLECTED", "XSS_PAYLOAD", &["q", "search", "query", "name", "message"])?;
    let mut test = build::test("XSS_REFLECTED", endpoint, Severity::High, &["XSS"]);
    let check = "!((resp.headers['content-type'] || '').includes('html') && resp.text.includes(XSS_PAYLOAD))";
    test.test.push(payload_step(request, "XSS_PAYLOAD", "XSS", &[check]));
    Ok(finish(test, endpoint, &[] as &[(&str, String)]))
}

pub fn ssrf(context: &GenContext) -> Result<TestFile, GenerateError> {
    let endpoint = &context.endpoint;
    let preferred = [
        "url", "uri", "link", "src", "source", "target", "dest", "callback", "webhook", "feed", "image", "fetch",
        "proxy",
    ];
    let target = "{{CALLBACK_URL}}/ssrf/{{RUN_ID}}";
    let request = inject(build::authenticated(endpoint), target, &preferred)
        .ok_or_else(|| not_applicable("SSRF", endpoint, "the sample has no parameter to put a URL in"))?;
    let mut test = build::test("SSRF", endpoint, Severity::Critical, &["SSRF"]);
    // The first step only delivers the URL. The second requests the hit count from the
    // runner's callback listener, which is 0 unless the API fetched the URL.
    test.test.push(Step::new(request));
    let mut check = Step::new(Request::new(Method::Get, "{{CALLBACK_URL}}/__palisade/hits/{{RUN_ID}}"));
    check.assertions.push(Assertion::eq("resp.data.hits", 0));
    test.test.push(check);
    Ok(finish(test, endpoint, &[] as &[(&str, String)]))
}

pub fn path_traversal(context: &GenContext) -> Result<TestFile, GenerateError> {
    let endpoint = &context.endpoint;
    let preferred = ["file", "path", "name", "doc", "template", "page", "dir", "folder", "include"];
    let request = injected(endpoint, "PATH_TRAVERSAL", "TRAVERSAL_PAYLOAD", &preferred)?;
    let mut test = build::test("PATH_TRAVERSAL", endpoint, Severity::Critical, &["PATH_TRAVERSAL"]);
    let check = r"!/root:[^:\n]*:0:0:|\[(boot loader|fonts|extensions)\]/.test(resp.text)";
    test.test.push(payload_step(request, "TRAVERSAL_PAYLOAD", "PATH_TRAVERSAL", &[check]));
    Ok(finish(test, endpoint, &[] as &[(&str, String)]))
}

pub fn command_injection(context: &GenContext) -> Result<TestFile, GenerateError> {
    let endpoint = &context.endpoint;
    let preferred = ["host", "ip", "cmd", "command", "exec", "addr", "domain", "target"];
    let request = injected(endpoint, "COMMAND_INJECTION", "COMMAND_PAYLOAD", &preferred)?;
    let mut test = build::test("COMMAND_INJECTION", endpoint, Severity::Critical, &["COMMAND_INJECTION"]);
    let check = r"!/uid=\d+\([^)]*\)/.test(resp.text)";
    test.test.push(payload_step(request, "COMMAND_PAYLOAD", "COMMAND_INJECTION", &[check]));
    Ok(finish(test, endpoint, &[] as &[(&str, String)]))
}

pub fn open_redirect(context: &GenContext) -> Result<TestFile, GenerateError> {
    let endpoint = &context.endpoint;
    let preferred = ["next", "url", "redirect", "return", "continue", "dest", "goto", "target", "redir"];
    let request = injected(endpoint, "OPEN_REDIRECT", "REDIRECT_PAYLOAD", &preferred)?;
    let mut test = build::test("OPEN_REDIRECT", endpoint, Severity::Medium, &["OPEN_REDIRECT"]);
    test.options.follow_redirects = false;
    let check = r"!(resp.status >= 300 && resp.status < 400 && /palisade-redirect\.invalid/i.test(resp.headers['location'] || ''))";
    test.test.push(payload_step(request, "REDIRECT_PAYLOAD", "OPEN_REDIRECT", &[check]));
    Ok(finish(test, endpoint, &[] as &[(&str, String)]))
}
