//! Runtime behaviour against small servers on 127.0.0.1: failures that must be reported
//! as failed steps with the reason (unreachable targets, timeouts, endless bodies,
//! endless scripts, invalid rendered URLs, limits), and the cookie jar, redirects and
//! redaction.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use palisade_testing::http::HttpSettings;
use palisade_testing::js::JsLimits;
use palisade_testing::result::{FailureKind, StepStatus, TestResult, TestStatus};
use palisade_testing::{RunSettings, Runner, parse_str};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the raw test server does with a request.
#[derive(Clone)]
enum Behaviour {
    /// Respond with this status, extra header lines and body.
    Answer(u16, Vec<String>, String),
    /// Respond with 200 and send zeros until the client closes the connection.
    Endless,
    /// Read the request and never respond.
    Stall,
}

type Handler = Arc<dyn Fn(&str) -> Behaviour + Send + Sync>;

/// Starts a raw HTTP/1.1 server on 127.0.0.1 that records each request head.
async fn server(handler: Handler) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else { return };
            let handler = handler.clone();
            let log = log.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buffer = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    let Ok(n) = stream.read(&mut buffer).await else { return };
                    if n == 0 {
                        return;
                    }
                    head.extend_from_slice(&buffer[..n]);
                }
                let text = String::from_utf8_lossy(&head).into_owned();
                log.lock().unwrap().push(text.clone());
                match handler(&text) {
                    Behaviour::Answer(status, headers, body) => {
                        let mut response =
                            format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n", body.len());
                        for header in headers {
                            response.push_str(&header);
                            response.push_str("\r\n");
                        }
                        response.push_str("\r\n");
                        response.push_str(&body);
                        let _ = stream.write_all(response.as_bytes()).await;
                    }
                    Behaviour::Endless => {
                        let _ = stream
                            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n")
                            .await;
                        let chunk = vec![b'0'; 64 * 1024];
                        while stream.write_all(&chunk).await.is_ok() {}
                    }
                    Behaviour::Stall => tokio::time::sleep(Duration::from_secs(60)).await,
                }
            });
        }
    });
    (format!("http://{address}"), seen)
}

async fn run(yaml: &str, settings: RunSettings, globals: &[(&str, &str)]) -> TestResult {
    let parsed = parse_str(yaml, "t.yaml").unwrap_or_else(|e| panic!("{e}"));
    let globals: BTreeMap<String, String> = globals.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let runner = Arc::new(Runner::new(settings, globals, Vec::new()).unwrap());
    runner.run_test(&parsed).await
}

fn messages(result: &TestResult) -> Vec<String> {
    result
        .step_failures()
        .map(|(_, _, f)| f.message.clone())
        .chain(result.errors.iter().map(|f| f.message.clone()))
        .collect()
}

#[tokio::test]
async fn unreachable_target_fails_step() {
    // Port 1 on 127.0.0.1 has no listener on test machines.
    let yaml = "id: t\ntest:\n  - request: {method: GET, url: 'http://127.0.0.1:1/'}\n    assert: [{key: resp.status, value: 200}]\n";
    let result = run(yaml, RunSettings::default(), &[]).await;
    assert_eq!(result.status, TestStatus::Failed);
    let failure = result.step_failures().next().unwrap().2;
    assert_eq!(failure.kind, FailureKind::Runtime);
    assert!(failure.message.starts_with("cannot connect to http://127.0.0.1:1/"), "{}", failure.message);
    assert_eq!((failure.position.line, failure.position.column), (3, 5));
}

#[tokio::test]
async fn stalled_server_times_out() {
    let (url, _) = server(Arc::new(|_| Behaviour::Stall)).await;
    let yaml = format!("id: t\ntest:\n  - request: {{method: GET, url: '{url}/'}}\n");
    let settings = RunSettings {
        http: HttpSettings { request_timeout: Duration::from_millis(500), ..HttpSettings::default() },
        ..RunSettings::default()
    };
    let start = Instant::now();
    let result = run(&yaml, settings, &[]).await;
    assert!(start.elapsed() < Duration::from_secs(10));
    assert!(messages(&result)[0].contains("timed out"), "{:?}", messages(&result));
}

#[tokio::test]
async fn endless_body_is_cut_at_limit() {
    let (url, _) = server(Arc::new(|_| Behaviour::Endless)).await;
    let yaml = format!(
        "id: t\ntest:\n  - request: {{method: GET, url: '{url}/'}}\n    assert:\n      - key: resp.truncated\n        value: true\n      - resp.text.length == 1048576\n"
    );
    let settings = RunSettings {
        http: HttpSettings { max_body_bytes: 1024 * 1024, ..HttpSettings::default() },
        ..RunSettings::default()
    };
    let start = Instant::now();
    let result = run(&yaml, settings, &[]).await;
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(result.status, TestStatus::Passed, "{:?}", messages(&result));
    assert!(result.steps[0].runs[0].response.as_ref().unwrap().truncated);
}

#[tokio::test]
async fn endless_script_is_stopped() {
    let (url, _) = server(Arc::new(|_| Behaviour::Answer(200, vec![], "ok".into()))).await;
    let yaml = format!(
        "id: t\ntest:\n  - request: {{method: GET, url: '{url}/'}}\n    assert:\n      - 'while (true) {{}}'\n      - resp.status == 200\n"
    );
    let settings = RunSettings {
        js: JsLimits { time_limit: Duration::from_millis(200), ..JsLimits::default() },
        ..RunSettings::default()
    };
    let start = Instant::now();
    let result = run(&yaml, settings, &[]).await;
    assert!(start.elapsed() < Duration::from_secs(5));
    let failures: Vec<_> = result.step_failures().map(|(_, _, f)| f.clone()).collect();
    assert_eq!(failures.len(), 1, "the second assertion still runs and passes");
    assert_eq!(failures[0].kind, FailureKind::Runtime);
    assert!(failures[0].message.contains("longer than the limit of 200 ms"), "{}", failures[0].message);
    assert_eq!(failures[0].assertion, Some(1));
}

#[tokio::test]
async fn invalid_rendered_url_and_undefined_variable() {
    let yaml = "id: t\nenv:\n  - {name: PORT, value: '99999'}\ntest:\n  - request:\n      method: GET\n      url: 'http://127.0.0.1:{{PORT}}/'\n  - request:\n      method: GET\n      url: 'http://{{NOT_DEFINED}}/'\n";
    let result = run(yaml, RunSettings::default(), &[]).await;
    let messages = messages(&result);
    assert!(messages[0].starts_with("invalid URL `http://127.0.0.1:99999/`"), "{messages:?}");
    assert!(messages[1].contains("undefined variable `NOT_DEFINED`"), "{messages:?}");
    let first = result.step_failures().next().unwrap().2;
    assert_eq!((first.position.line, first.position.column), (7, 12));
}

#[tokio::test]
async fn stop_on_failure_skips_the_rest() {
    let (url, _) = server(Arc::new(|_| Behaviour::Answer(500, vec![], "no".into()))).await;
    let yaml = format!(
        "id: t\noptions: {{stopOnFailure: true}}\ntest:\n  - request: {{method: GET, url: '{url}/a'}}\n    assert: [{{key: resp.status, value: 200}}]\n  - request: {{method: GET, url: '{url}/b'}}\n"
    );
    let result = run(&yaml, RunSettings::default(), &[]).await;
    let statuses: Vec<StepStatus> = result.steps.iter().map(|s| s.status).collect();
    assert_eq!(statuses, vec![StepStatus::Failed, StepStatus::Skipped]);
    assert_eq!(result.requests, 1);
}

#[tokio::test]
async fn max_requests_stops_the_run() {
    let (url, _) = server(Arc::new(|_| Behaviour::Answer(200, vec![], "ok".into()))).await;
    let yaml = format!("id: t\ntest:\n  - request: {{method: GET, url: '{url}/'}}\n    repeat: 5\n");
    let settings = RunSettings { max_requests: Some(3), ..RunSettings::default() };
    let result = run(&yaml, settings, &[]).await;
    assert_eq!(result.requests, 3);
    assert!(messages(&result).iter().any(|m| m.starts_with("request limit of 3 reached")), "{:?}", messages(&result));
}

#[tokio::test]
async fn fan_out_over_limit_sends_nothing() {
    let (url, seen) = server(Arc::new(|_| Behaviour::Answer(200, vec![], "ok".into()))).await;
    let yaml = format!(
        "id: t\ntest:\n  - request: {{method: GET, url: '{url}/?q={{{{A}}}}{{{{B}}}}'}}\n    payload:\n      - {{key: A, value: XSS}}\n      - {{key: B, value: SQLI}}\n"
    );
    let settings = RunSettings { max_step_requests: 50, ..RunSettings::default() };
    let result = run(&yaml, settings, &[]).await;
    assert!(messages(&result)[0].contains("more than the limit of 50 (max_step_requests)"), "{:?}", messages(&result));
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn payload_fan_out_sends_every_combination() {
    let (url, seen) = server(Arc::new(|_| Behaviour::Answer(200, vec![], "ok".into()))).await;
    let yaml = format!(
        "id: t\ntest:\n  - request:\n      method: GET\n      url: '{url}/'\n      query:\n        - {{name: a, value: '{{{{A}}}}'}}\n        - {{name: b, value: '{{{{B}}}}'}}\n    payload:\n      - {{key: A, value: ['1', '2']}}\n      - {{key: B, value: ['x', 'y', 'z']}}\n"
    );
    let result = run(&yaml, RunSettings::default(), &[]).await;
    assert_eq!(result.requests, 6);
    let mut targets: Vec<String> =
        seen.lock().unwrap().iter().map(|h| h.split_whitespace().nth(1).unwrap().to_string()).collect();
    targets.sort();
    assert_eq!(targets, vec!["/?a=1&b=x", "/?a=1&b=y", "/?a=1&b=z", "/?a=2&b=x", "/?a=2&b=y", "/?a=2&b=z"]);
}

#[tokio::test]
async fn cookies_flow_between_steps() {
    let handler: Handler = Arc::new(|head| {
        if head.starts_with("GET /login") {
            let cookie = "set-cookie: sid=abc123; Path=/; HttpOnly; Expires=Wed, 21 Oct 2037 07:28:00 GMT".to_string();
            return Behaviour::Answer(200, vec![cookie], "{}".into());
        }
        let cookie =
            head.lines().find(|l| l.to_ascii_lowercase().starts_with("cookie:")).unwrap_or("cookie: none").to_string();
        Behaviour::Answer(200, vec![], cookie)
    });
    let (url, _) = server(handler).await;
    let yaml = format!(
        "id: t\ntest:\n  - request: {{method: GET, url: '{url}/login'}}\n  - request: {{method: GET, url: '{url}/me'}}\n    assert:\n      - {{key: resp.data, value: 'cookie: sid=abc123'}}\n"
    );
    let result = run(&yaml, RunSettings::default(), &[]).await;
    assert_eq!(result.status, TestStatus::Passed, "{:?}", messages(&result));
}

#[tokio::test]
async fn redirect_to_other_origin_drops_credentials() {
    let (target, target_seen) = server(Arc::new(|_| Behaviour::Answer(200, vec![], "landed".into()))).await;
    let location = format!("location: {target}/landing");
    let (start, _) = server(Arc::new(move |_| Behaviour::Answer(302, vec![location.clone()], String::new()))).await;
    let yaml = format!(
        "id: t\ntest:\n  - request:\n      method: GET\n      url: '{start}/go'\n      headers:\n        - {{name: Authorization, value: 'Bearer secret-token'}}\n        - {{name: X-API-Key, value: k-1}}\n        - {{name: Accept, value: text/plain}}\n    assert:\n      - {{key: resp.data, value: landed}}\n"
    );
    let result = run(&yaml, RunSettings::default(), &[]).await;
    assert_eq!(result.status, TestStatus::Passed, "{:?}", messages(&result));
    let head = target_seen.lock().unwrap()[0].to_ascii_lowercase();
    assert!(head.contains("accept: text/plain"), "{head}");
    assert!(!head.contains("authorization"), "{head}");
    assert!(!head.contains("x-api-key"), "{head}");
}

#[tokio::test]
async fn resp_duration_is_visible_to_assertions() {
    let (url, _) = server(Arc::new(|_| Behaviour::Answer(200, vec![], "ok".into()))).await;
    let yaml = format!(
        "id: t\ntest:\n  - request: {{method: GET, url: '{url}/'}}\n    assert:\n      - typeof resp.duration === 'number' && resp.duration >= 0 && resp.duration < 5000\n"
    );
    let result = run(&yaml, RunSettings::default(), &[]).await;
    assert_eq!(result.status, TestStatus::Passed, "{:?}", messages(&result));
}

#[tokio::test]
async fn global_secrets_never_reach_reports() {
    let (url, seen) = server(Arc::new(|_| Behaviour::Answer(403, vec![], "echo s3cr3t-value-42".into()))).await;
    let yaml = format!(
        "id: t\ntest:\n  - request:\n      method: GET\n      url: '{url}/?key={{{{global.API_SECRET}}}}'\n      headers:\n        - {{name: X-Trace, value: 'v={{{{global.API_SECRET}}}}'}}\n    assert:\n      - {{key: resp.status, value: 200}}\n      - {{key: resp.data, value: 'x'}}\n"
    );
    let result = run(&yaml, RunSettings::default(), &[("API_SECRET", "s3cr3t-value-42")]).await;
    assert!(seen.lock().unwrap()[0].contains("s3cr3t-value-42"), "the secret is sent");
    let report = palisade_testing::RunReport { tests: vec![result], duration_ms: 0.0, requests: 1 };
    for format in [
        palisade_testing::report::Format::Pretty,
        palisade_testing::report::Format::Json,
        palisade_testing::report::Format::Junit,
        palisade_testing::report::Format::Sarif,
    ] {
        let text = palisade_testing::report::render(&report, format);
        assert!(!text.contains("s3cr3t-value-42"), "{format:?} shows the secret:\n{text}");
    }
}
