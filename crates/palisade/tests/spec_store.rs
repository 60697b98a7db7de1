//! `palisade spec import|list|remove|reconcile|export` on a data directory, next to a real
//! server on 127.0.0.1 that serves the same data.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use palisade_server::{Config, DataDir};
use serde_json::{Value, json};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn shop_spec() -> PathBuf {
    repository().join("crates/palisade-server/tests/fixtures/shop-spec.yaml")
}

fn palisade(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_palisade"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("PALISADE_CONFIG")
        .output()
        .expect("palisade runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn list_json(data_dir: &Path) -> Value {
    let output = palisade(data_dir, &["spec", "list", "--format", "json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn import_stores_unless_check() {
    let dir = tempfile::tempdir().unwrap();
    let spec = shop_spec();

    let checked = palisade(dir.path(), &["spec", "import", "--check", spec.to_str().unwrap()]);
    assert!(checked.status.success(), "{}", stderr(&checked));
    assert!(stdout(&checked).contains("3 (0 deprecated)"), "{}", stdout(&checked));
    assert!(!stdout(&checked).contains("│ id"), "--check stores nothing: {}", stdout(&checked));
    assert!(!dir.path().join("palisade.db").exists(), "--check creates no data directory");

    let imported = palisade(dir.path(), &["spec", "import", spec.to_str().unwrap()]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    assert!(stdout(&imported).contains("3 (0 deprecated)"), "{}", stdout(&imported));

    // Each command is a new process, so the list reads what the import stored.
    let list = list_json(dir.path());
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["title"], "Shop");
    assert_eq!(list[0]["hosts"], json!(["shop.example.com"]));
    let id = list[0]["id"].as_i64().unwrap().to_string();
    let table = palisade(dir.path(), &["spec", "list"]);
    assert!(stdout(&table).contains("shop.example.com"), "{}", stdout(&table));

    let removed = palisade(dir.path(), &["spec", "remove", &id]);
    assert!(removed.status.success(), "{}", stderr(&removed));
    assert_eq!(list_json(dir.path()), json!([]));
    let again = palisade(dir.path(), &["spec", "remove", &id]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains(&format!("no description with id {id}")), "{}", stderr(&again));
}

/// Waits until the server has applied every accepted trace.
async fn settle(client: &reqwest::Client, base: &str, key: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let metrics = client
            .get(format!("{base}/metrics"))
            .header("authorization", format!("Bearer {key}"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if metrics.lines().any(|line| line == "palisade_queued_traces 0") {
            return;
        }
        assert!(Instant::now() < deadline, "pipeline did not catch up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_and_cli_share_specs_and_exports() {
    palisade_server::webhooks::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.server.listen = "127.0.0.1:0".parse().unwrap();
    config.openapi.reload_interval_secs = 1;
    let server = palisade_server::start(config, DataDir::open(dir.path(), true).unwrap()).await.unwrap();
    let admin = server.first_run_keys.iter().find(|(k, _)| k.role.as_str() == "admin").unwrap().1.clone();
    let ingest = server.first_run_keys.iter().find(|(k, _)| k.role.as_str() == "ingest").unwrap().1.clone();
    let base = format!("http://{}", server.local_addr);
    let client = reqwest::Client::new();

    let traces: Vec<Value> = ["/v1/items/1", "/v1/items/2", "/v1/internal/debug"]
        .iter()
        .map(|path| {
            json!({
                "request": {"method": "GET", "url": format!("https://shop.example.com{path}")},
                "response": {"status": 200, "headers": [{"name": "Content-Type", "value": "application/json"}],
                             "body": "{\"id\":1}"}
            })
        })
        .collect();
    let response = client
        .post(format!("{base}/api/v1/traces"))
        .header("authorization", &ingest)
        .body(Value::Array(traces).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    settle(&client, &base, &admin).await;

    // The export route and the CLI give the same bytes.
    let route = client
        .get(format!("{base}/api/v1/specs/shop.example.com"))
        .header("authorization", format!("Bearer {admin}"))
        .send()
        .await
        .unwrap();
    assert_eq!(route.status(), 200);
    let route_bytes = route.bytes().await.unwrap().to_vec();
    let out = dir.path().join("export.json");
    let exported =
        palisade(dir.path(), &["spec", "export", "--host", "shop.example.com", "--out", out.to_str().unwrap()]);
    assert!(exported.status.success(), "{}", stderr(&exported));
    assert_eq!(route_bytes, std::fs::read(&out).unwrap(), "GET /api/v1/specs/{{host}} differs from spec export");

    // A description imported by the CLI while the server runs reaches the server.
    let imported = palisade(dir.path(), &["spec", "import", shop_spec().to_str().unwrap()]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    let id = list_json(dir.path())[0]["id"].as_i64().unwrap();
    let listed = client
        .get(format!("{base}/api/v1/specs"))
        .header("authorization", format!("Bearer {admin}"))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(listed["items"][0]["id"], id);

    let reconciled = palisade(dir.path(), &["spec", "reconcile", &id.to_string(), "--format", "json"]);
    assert!(reconciled.status.success(), "{}", stderr(&reconciled));
    let report: Value = serde_json::from_slice(&reconciled.stdout).unwrap();
    assert_eq!(report["shadow"][0]["template"], "/v1/internal/debug");
    let unused: Vec<&str> =
        report["unused"].as_array().unwrap().iter().map(|u| u["operation"].as_str().unwrap()).collect();
    assert_eq!(unused, vec!["GET /items", "POST /orders"]);

    // The server's reconcile route finds the CLI's import once it has reloaded.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let response = client
            .get(format!("{base}/api/v1/specs/{id}/reconcile"))
            .header("authorization", format!("Bearer {admin}"))
            .send()
            .await
            .unwrap();
        if response.status() == 200 {
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["shadow"], report["shadow"]);
            break;
        }
        assert!(Instant::now() < deadline, "the server did not reload the descriptions");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The merge shows in `endpoints show` too.
    let endpoints = palisade(dir.path(), &["endpoints", "list", "--format", "json"]);
    let endpoints: Value = serde_json::from_slice(&endpoints.stdout).unwrap();
    let item = endpoints["items"].as_array().unwrap().iter().find(|e| e["template"] == "/v1/items/{itemId}").unwrap();
    let shown = palisade(dir.path(), &["endpoints", "show", item["id"].as_str().unwrap(), "--format", "json"]);
    assert!(shown.status.success(), "{}", stderr(&shown));
    let detail: Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(detail["spec"]["operation_id"], "getItem");

    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_sends_a_har_to_a_running_server() {
    palisade_server::webhooks::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.server.listen = "127.0.0.1:0".parse().unwrap();
    let server = palisade_server::start(config, DataDir::open(dir.path(), true).unwrap()).await.unwrap();
    let admin = server.first_run_keys.iter().find(|(k, _)| k.role.as_str() == "admin").unwrap().1.clone();
    let ingest = server.first_run_keys.iter().find(|(k, _)| k.role.as_str() == "ingest").unwrap().1.clone();
    let base = format!("http://{}", server.local_addr);

    let har = repository().join("tests/fixtures/har/shop-chromium.har");
    let client_dir = tempfile::tempdir().unwrap();
    let args = ["ingest", "--quiet", "--server", &base, "--key", &ingest, har.to_str().unwrap()];
    let output = tokio::task::spawn_blocking({
        let dir = client_dir.path().to_path_buf();
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            palisade(&dir, &args)
        }
    })
    .await
    .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("14 traces"), "{}", stdout(&output));

    let client = reqwest::Client::new();
    settle(&client, &base, &admin).await;
    let hosts: Value = client
        .get(format!("{base}/api/v1/hosts"))
        .header("authorization", format!("Bearer {admin}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(hosts["items"][0]["host"], "127.0.0.1:5080", "{hosts}");
    server.shutdown().await.unwrap();
}
