//! `palisade test` as a user runs it: exit codes, reports written to a directory, and a
//! test generated from ingested traffic, against the demo API on 127.0.0.1.

use std::path::Path;
use std::process::{Command, Output};

fn palisade(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_palisade")).args(args).current_dir(dir).output().expect("palisade runs")
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

const PROFILE_TEST: &str = r#"id: profile
env:
  - name: BASE_URL
    value: http://127.0.0.1:1
test:
  - request:
      method: GET
      url: "{{BASE_URL}}/me"
    assert:
      - key: resp.status
        value: [401, 403]
"#;

const ORDERS_TEST: &str = r#"id: orders
test:
  - request:
      method: POST
      url: "{{BASE_URL}}/login"
      data: '{"username": "bob", "password": "bob-password"}'
    extract:
      - name: TOKEN
        value: resp.data.token
  - request:
      method: GET
      url: "{{BASE_URL}}/orders/1"
      headers:
        - name: Authorization
          value: "Bearer {{TOKEN}}"
    assert:
      - key: resp.status
        value: [401, 403]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes_and_reports() {
    let (address, server) = vulnerable_api::spawn(vulnerable_api::Mode::Vulnerable).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("profile.yaml"), PROFILE_TEST).unwrap();
    std::fs::write(dir.path().join("orders.yaml"), ORDERS_TEST).unwrap();
    std::fs::write(dir.path().join("broken.yaml"), "id: broken\ntest:\n  - request: {method: GTE, url: x}\n").unwrap();
    let base = format!("BASE_URL=http://{address}");

    let passed = tokio::task::spawn_blocking({
        let dir = dir.path().to_path_buf();
        let base = base.clone();
        move || palisade(&["test", "run", "profile.yaml", "--env", &base], &dir)
    })
    .await
    .unwrap();
    assert_eq!(passed.status.code(), Some(0), "{}", text(&passed));

    let failed = tokio::task::spawn_blocking({
        let dir = dir.path().to_path_buf();
        let base = base.clone();
        move || {
            palisade(
                &[
                    "test",
                    "run",
                    "profile.yaml",
                    "orders.yaml",
                    "--env",
                    &base,
                    "--report-dir",
                    "reports",
                    "--format",
                    "junit",
                ],
                &dir,
            )
        }
    })
    .await
    .unwrap();
    assert_eq!(failed.status.code(), Some(1), "{}", text(&failed));
    assert!(String::from_utf8_lossy(&failed.stdout).starts_with("<?xml"));
    for name in ["report.json", "junit.xml", "results.sarif"] {
        assert!(dir.path().join("reports").join(name).exists(), "{name} missing");
    }

    let invalid = tokio::task::spawn_blocking({
        let dir = dir.path().to_path_buf();
        move || palisade(&["test", "run", "."], &dir)
    })
    .await
    .unwrap();
    assert_eq!(invalid.status.code(), Some(2), "{}", text(&invalid));

    // The demo API has no `/api/v1/test-runs`, like a server that does not store results yet.
    let server_url = format!("http://{address}");
    let unsupported = tokio::task::spawn_blocking({
        let dir = dir.path().to_path_buf();
        let base = base.clone();
        move || palisade(&["test", "run", "profile.yaml", "--env", &base, "--server", &server_url, "--key", "k"], &dir)
    })
    .await
    .unwrap();
    assert_eq!(unsupported.status.code(), Some(2), "{}", text(&unsupported));
    assert!(text(&unsupported).contains("not supported by this server yet"), "{}", text(&unsupported));
    assert!(text(&invalid).contains("./broken.yaml:3:23"), "{}", text(&invalid));
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_from_ingested_traffic() {
    let (address, server) = vulnerable_api::spawn(vulnerable_api::Mode::Vulnerable).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let trace = format!(
        "{{\"request\": {{\"method\": \"GET\", \"url\": \"http://{address}/products?search=key\"}}, \"response\": {{\"status\": 200, \"body\": \"{{}}\"}}}}\n"
    );
    std::fs::write(dir.path().join("traffic.jsonl"), trace).unwrap();

    let output = tokio::task::spawn_blocking({
        let dir = dir.path().to_path_buf();
        let address = address.to_string();
        move || {
            let ingest = palisade(&["--data-dir", "data", "ingest", "traffic.jsonl", "--quiet"], &dir);
            assert_eq!(ingest.status.code(), Some(0), "{}", text(&ingest));
            let endpoint = format!("GET {address} /products");
            let generate = palisade(
                &[
                    "--data-dir",
                    "data",
                    "test",
                    "generate",
                    "--endpoint",
                    &endpoint,
                    "--template",
                    "sqli-error",
                    "--out",
                    "sqli.yaml",
                ],
                &dir,
            );
            assert_eq!(generate.status.code(), Some(0), "{}", text(&generate));
            let unknown = palisade(
                &["--data-dir", "data", "test", "generate", "--endpoint", &endpoint, "--template", "SQLI_EROR"],
                &dir,
            );
            assert_eq!(unknown.status.code(), Some(2));
            assert!(text(&unknown).contains("did you mean SQLI_ERROR"), "{}", text(&unknown));
            palisade(&["test", "run", "sqli.yaml"], &dir)
        }
    })
    .await
    .unwrap();
    assert_eq!(output.status.code(), Some(1), "the generated test finds the injection:\n{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("SQLITE_ERROR") || text(&output).contains("resp.status < 500")
    );
    server.abort();
}

const EMPTY_AUTH_TEST: &str = r#"id: empty-auth
env:
  - name: AUTH
    value: ""
  - name: UNUSED
    value: ""
test:
  - request:
      method: GET
      url: "{{BASE_URL}}/me"
      headers:
        - name: Authorization
          value: "{{AUTH}}"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_variable_warns_until_set() {
    let (address, server) = vulnerable_api::spawn(vulnerable_api::Mode::Vulnerable).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("auth.yaml"), EMPTY_AUTH_TEST).unwrap();
    let base = format!("BASE_URL=http://{address}");
    let run = |extra: &'static [&'static str]| {
        let dir = dir.path().to_path_buf();
        let base = base.clone();
        tokio::task::spawn_blocking(move || {
            let mut args = vec!["test", "run", "auth.yaml", "--env", &base];
            args.extend_from_slice(extra);
            palisade(&args, &dir)
        })
    };

    let unset = run(&[]).await.unwrap();
    let stderr = String::from_utf8_lossy(&unset.stderr);
    assert!(stderr.contains("warning: auth.yaml: variable AUTH is empty"), "{stderr}");
    assert!(stderr.contains("--env AUTH=VALUE"), "{stderr}");
    assert!(!stderr.contains("UNUSED"), "a variable no request uses is not named: {stderr}");

    let set = run(&["--env", "AUTH=Bearer x"]).await.unwrap();
    let stderr = String::from_utf8_lossy(&set.stderr);
    assert!(!stderr.contains("is empty"), "{stderr}");
    server.abort();
}
