//! Every template against the demo API: the generated test must fail (find the flaw)
//! in vulnerable mode and pass in safe mode, which fixes the flaw.

use std::collections::BTreeMap;
use std::sync::Arc;

use palisade_core::{Body, Header, QueryParam, Request, Trace, TraceMeta, TraceSource};
use palisade_testing::callback::CallbackListener;
use palisade_testing::generate::{AuthType, Endpoint, GenContext, HostAuth, REDACTED, to_yaml_with_notes};
use palisade_testing::result::{FailureKind, TestResult, TestStatus};
use palisade_testing::{RunSettings, Runner, parse_str, templates};
use vulnerable_api::Mode;

/// The signing secret of the safe server in these tests: long and random-looking, so no
/// guessing list has it.
const SAFE_SECRET: &[u8] = b"9f2c7e1b5a8d4c3e6f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6";

struct Case {
    template: &'static str,
    method: &'static str,
    path: &'static str,
    route: &'static str,
    query: &'static [(&'static str, &'static str)],
    body: Option<&'static str>,
    authenticated: bool,
    /// Variables given with `--env`: `(name, value)`, where a value `@alice`, `@bob` or
    /// `@admin` is that user's bearer token and `@secret` the server's signing secret.
    env: &'static [(&'static str, &'static str)],
}

const fn case(template: &'static str, method: &'static str, path: &'static str, route: &'static str) -> Case {
    Case { template, method, path, route, query: &[], body: None, authenticated: false, env: &[] }
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            authenticated: true,
            env: &[("AUTH_A", "@alice"), ("AUTH_B", "@bob"), ("B_ID", "2")],
            ..case("BOLA", "GET", "/orders/1", "/orders/{id}")
        },
        Case {
            authenticated: true,
            env: &[("AUTH_ADMIN", "@admin"), ("AUTH_B", "@bob")],
            ..case("BOLA_ADMIN", "GET", "/orders/1", "/orders/{id}")
        },
        Case {
            authenticated: true,
            env: &[("AUTH_A", "@alice"), ("AUTH_B", "@bob"), ("B_TENANT", "tenant-b"), ("B_ID", "2")],
            ..case("BOLA_MULTI_TENANT", "GET", "/tenants/tenant-a/projects/1", "/tenants/{tenant}/projects/{id}")
        },
        Case {
            authenticated: true,
            env: &[("AUTH_ADMIN", "@admin"), ("AUTH_USER", "@alice")],
            ..case("BFLA", "GET", "/admin/users", "/admin/users")
        },
        Case {
            authenticated: true,
            env: &[("AUTH", "@alice")],
            ..case("BROKEN_AUTH_NO_CREDENTIAL", "GET", "/reports/1", "/reports/{id}")
        },
        Case {
            authenticated: true,
            env: &[("AUTH", "@alice")],
            ..case("BROKEN_AUTH_INVALID_TOKEN", "GET", "/reports/1", "/reports/{id}")
        },
        Case { authenticated: true, env: &[("AUTH", "@alice")], ..case("BROKEN_AUTH_JWT_NONE", "GET", "/me", "/me") },
        Case {
            authenticated: true,
            env: &[("AUTH", "@alice"), ("JWT_SECRET", "@secret")],
            ..case("BROKEN_AUTH_JWT_EXPIRED", "GET", "/me", "/me")
        },
        Case { authenticated: true, env: &[("AUTH", "@alice")], ..case("WEAK_JWT_SECRET", "GET", "/me", "/me") },
        Case { query: &[("search", "key")], ..case("SQLI_ERROR", "GET", "/products", "/products") },
        Case { query: &[("search", "key")], ..case("SQLI_TIME", "GET", "/products", "/products") },
        Case {
            body: Some(r#"{"username":"alice","password":"guess"}"#),
            ..case("SQLI_AUTH_BYPASS", "POST", "/login", "/login")
        },
        Case { query: &[("q", "hello")], ..case("XSS_REFLECTED", "GET", "/search", "/search") },
        Case { query: &[("url", "http://127.0.0.1:9/feed")], ..case("SSRF", "GET", "/preview", "/preview") },
        Case { query: &[("name", "readme.txt")], ..case("PATH_TRAVERSAL", "GET", "/files", "/files") },
        Case { query: &[("host", "127.0.0.1")], ..case("COMMAND_INJECTION", "GET", "/tools/ping", "/tools/ping") },
        Case { query: &[("next", "/home")], ..case("OPEN_REDIRECT", "GET", "/redirect", "/redirect") },
        Case {
            authenticated: true,
            body: Some(r#"{"name":"Alice A."}"#),
            env: &[("AUTH", "@alice")],
            ..case("MASS_ASSIGNMENT", "PATCH", "/users/1", "/users/{id}")
        },
        Case {
            body: Some(r#"{"username":"alice","password":"wrong"}"#),
            ..case("RATE_LIMIT", "POST", "/login", "/login")
        },
        Case {
            authenticated: true,
            env: &[("AUTH", "@alice")],
            ..case("EXCESSIVE_DATA_EXPOSURE", "GET", "/users/1", "/users/{id}")
        },
        case("HSTS", "GET", "/products", "/products"),
        case("CSP", "GET", "/products", "/products"),
        case("X_CONTENT_TYPE_OPTIONS", "GET", "/products", "/products"),
        case("CORS_CREDENTIALS", "GET", "/products", "/products"),
        Case {
            authenticated: true,
            body: Some(r#"{"item":"pen"}"#),
            env: &[("AUTH", "@alice")],
            ..case("VERBOSE_ERRORS", "POST", "/orders", "/orders")
        },
        Case {
            authenticated: true,
            env: &[("AUTH", "@alice")],
            ..case("METHOD_OVERRIDE", "DELETE", "/items/1", "/items/{id}")
        },
        Case {
            body: Some(r#"{"query":"{ hello }"}"#),
            ..case("GRAPHQL_INTROSPECTION", "POST", "/graphql", "/graphql")
        },
    ]
}

fn trace(case: &Case, host: &str) -> Trace {
    let mut headers = vec![Header::new("Accept", "application/json")];
    if case.authenticated {
        headers.push(Header::new("Authorization", REDACTED));
    }
    if case.body.is_some() {
        headers.push(Header::new("Content-Type", "application/json"));
    }
    Trace {
        request: Request {
            method: case.method.into(),
            scheme: "http".into(),
            host: host.into(),
            path: case.path.into(),
            query: case.query.iter().map(|(n, v)| QueryParam { name: n.to_string(), value: v.to_string() }).collect(),
            headers,
            content_type: case.body.map(|_| "application/json".to_string()),
            body: Body::capped(case.body.unwrap_or("").as_bytes().to_vec(), 1 << 20),
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

async fn run_case(case: &Case, mode: Mode) -> TestResult {
    let secret: &[u8] = if mode == Mode::Safe { SAFE_SECRET } else { vulnerable_api::WEAK_SECRET.as_bytes() };
    let (address, server) = vulnerable_api::spawn_with_secret(mode, secret).await.expect("demo API starts");
    let host = address.to_string();

    let auth = case.authenticated.then(|| HostAuth {
        host: host.clone(),
        auth_type: AuthType::Jwt,
        header_key: None,
        jwt_user_path: None,
        cookie_name: None,
    });
    let endpoint = Endpoint::from_trace(&trace(case, &host), case.route, auth.as_ref(), None).expect("endpoint builds");
    let template = templates::find(case.template).expect("template exists");
    let generated =
        template.generate(&GenContext { endpoint: endpoint.clone(), authz: None }).expect("template applies");

    // Write and read back, as `palisade test generate` and `palisade test run` would.
    let yaml = to_yaml_with_notes(&generated, case.template, &endpoint);
    let parsed = parse_str(&yaml, &format!("{}.yaml", case.template))
        .unwrap_or_else(|e| panic!("{}: {e}\n{yaml}", case.template));

    let overrides: Vec<(String, String)> = case
        .env
        .iter()
        .map(|(name, value)| {
            let value = match *value {
                "@secret" => String::from_utf8_lossy(secret).into_owned(),
                user if user.starts_with('@') => {
                    format!("Bearer {}", vulnerable_api::token_for(&user[1..], secret).expect("known user"))
                }
                other => other.to_string(),
            };
            (name.to_string(), value)
        })
        .collect();
    let callback = CallbackListener::start().await.expect("callback listener starts");
    let runner = Runner::new(RunSettings::default(), BTreeMap::new(), overrides)
        .expect("runner builds")
        .with_builtin("CALLBACK_URL", &callback.url());
    let runner = Arc::new(runner);
    let result = runner.run_test(&parsed).await;
    server.abort();
    result
}

fn describe(result: &TestResult) -> String {
    let report =
        palisade_testing::RunReport { tests: vec![result.clone()], duration_ms: 0.0, requests: result.requests };
    palisade_testing::report::pretty(&report)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_against_demo_api() {
    let cases = cases();
    let covered: Vec<&str> = cases.iter().map(|c| c.template).collect();
    for template in templates::TEMPLATES {
        assert!(covered.contains(&template.name), "template {} has no case against the demo API", template.name);
    }

    // Every case runs before the verdict, so one run shows every template that is wrong.
    let mut problems = Vec::new();
    for case in &cases {
        let vulnerable = run_case(case, Mode::Vulnerable).await;
        let assertion_failures =
            vulnerable.step_failures().filter(|(_, _, f)| f.kind == FailureKind::Assertion).count();
        if vulnerable.status != TestStatus::Failed {
            problems.push(format!("{} did not find its flaw:\n{}", case.template, describe(&vulnerable)));
        } else if assertion_failures == 0 {
            problems.push(format!("{} failed only with runtime errors:\n{}", case.template, describe(&vulnerable)));
        }

        let safe = run_case(case, Mode::Safe).await;
        if safe.status != TestStatus::Passed {
            problems.push(format!("{} failed against the safe API:\n{}", case.template, describe(&safe)));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
