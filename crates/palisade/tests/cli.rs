//! The `palisade` binary on real files and a real data directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
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

fn json(data_dir: &Path, args: &[&str]) -> Value {
    let output = palisade(data_dir, args);
    assert!(output.status.success(), "palisade {args:?}: {}", stderr(&output));
    serde_json::from_slice(&output.stdout).expect("JSON output")
}

fn templates(data_dir: &Path) -> Vec<String> {
    let page = json(data_dir, &["endpoints", "list", "--format", "json"]);
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {} {}",
                e["method"].as_str().unwrap(),
                e["host"].as_str().unwrap(),
                e["template"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn chromium_har_builds_the_expected_inventory() {
    let dir = tempfile::tempdir().unwrap();
    let har = fixtures().join("har/shop-chromium.har");
    let output = palisade(dir.path(), &["ingest", "--quiet", har.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("Imported 14 traces from 1 file"), "{}", stdout(&output));

    let host = "127.0.0.1:5080";
    let expected: Vec<String> = [
        "GET /",
        "POST /api/cart/items",
        "GET /api/orders/{orderId}",
        "GET /api/products",
        "GET /api/products/{productId}",
        "GET /api/search",
        "POST /api/session",
        "GET /api/users/me",
        "GET /static/app.js",
    ]
    .iter()
    .map(|e| {
        let (method, path) = e.split_once(' ').unwrap();
        format!("{method} {host} {path}")
    })
    .collect();
    assert_eq!(templates(dir.path()), expected);

    let product = json(dir.path(), &["endpoints", "show", "GET 127.0.0.1:5080 /api/products/203", "--format", "json"]);
    assert_eq!(product["template"], "/api/products/{productId}");
    assert_eq!(product["hits"], 3);
    assert_eq!(product["parameters"][0]["value_kinds"]["integer"], 3);
    assert_eq!(product["parameters"][0]["distinct_values"], 3);
    let fields: Vec<String> = product["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["section"] == "response.body")
        .map(|f| format!("{} {}", f["path"].as_str().unwrap(), f["type"].as_str().unwrap()))
        .collect();
    assert_eq!(
        fields,
        vec![" object", "category string", "id integer", "name string", "price number", "tags array", "tags[] string"]
    );

    let cart = json(dir.path(), &["endpoints", "show", "POST 127.0.0.1:5080 /api/cart/items", "--format", "json"]);
    let note = cart["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "note" && f["section"] == "request.body")
        .unwrap();
    assert_eq!(note["type"], "null");
    let search = json(dir.path(), &["endpoints", "show", "GET 127.0.0.1:5080 /api/search", "--format", "json"]);
    assert!(search["fields"].as_array().unwrap().iter().any(|f| f["section"] == "request.query" && f["path"] == "q"));

    let hosts = json(dir.path(), &["hosts", "--format", "json"]);
    assert_eq!(hosts[0]["host"], host);
    assert_eq!(hosts[0]["endpoints"], 9);
}

#[test]
fn stored_samples_hold_no_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let har = fixtures().join("har/shop-chromium.har");
    assert!(palisade(dir.path(), &["ingest", "--quiet", har.to_str().unwrap()]).status.success());

    let database = std::fs::read(dir.path().join("palisade.db")).unwrap();
    let wal = std::fs::read(dir.path().join("palisade.db-wal")).unwrap_or_default();
    for bytes in [&database, &wal] {
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains("correct horse"), "the login password reached the database");
        assert!(!text.contains("correct+horse"), "the form-encoded login password reached the database");
    }
}

#[test]
fn keploy_recordings_import() {
    let dir = tempfile::tempdir().unwrap();
    let recordings = fixtures().join("keploy");
    let output = palisade(dir.path(), &["ingest", "--quiet", recordings.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("Imported 3 traces from 4 files"), "{}", stdout(&output));
    assert!(stdout(&output).contains("1 file skipped as not HTTP"), "{}", stdout(&output));
    assert_eq!(templates(dir.path()), vec!["POST localhost:8090 /notes", "GET localhost:8090 /notes/{noteId}"]);

    let note = json(dir.path(), &["endpoints", "show", "GET localhost:8090 /notes/41", "--format", "json"]);
    let statuses: Vec<u64> = note["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["section"] == "response.body" && f["path"] == "")
        .map(|f| f["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, vec![200, 404]);
    let created = note["fields"].as_array().unwrap().iter().find(|f| f["path"] == "created_at").unwrap();
    assert_eq!(created["format"], "date-time");
}

#[test]
fn truncated_har_keeps_earlier_entries_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let full = std::fs::read(fixtures().join("har/shop-chromium.har")).unwrap();
    let cut = dir.path().join("cut.har");
    std::fs::write(&cut, &full[..full.len() * 2 / 3]).unwrap();

    let data = dir.path().join("data");
    let output = palisade(&data, &["ingest", "--quiet", cut.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let error = stderr(&output);
    assert!(error.contains("cut.har"), "{error}");
    assert!(error.contains("truncated"), "{error}");
    assert!(!templates(&data).is_empty(), "entries before the cut are imported");
}

#[test]
fn unknown_and_missing_files_are_input_errors() {
    let dir = tempfile::tempdir().unwrap();
    let noise = dir.path().join("noise.bin");
    std::fs::write(&noise, [0u8, 159, 146, 150, 255, 1, 2]).unwrap();
    let output = palisade(&dir.path().join("data"), &["ingest", "--quiet", noise.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("unknown format"), "{}", stderr(&output));

    let output = palisade(&dir.path().join("data"), &["ingest", "/nonexistent/traffic.har"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("/nonexistent/traffic.har"), "{}", stderr(&output));

    let output = palisade(&dir.path().join("empty"), &["endpoints", "list"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no Palisade data"), "{}", stderr(&output));
}

#[test]
fn keys_create_list_revoke() {
    let dir = tempfile::tempdir().unwrap();
    let created = json(dir.path(), &["keys", "create", "ci", "--role", "viewer", "--format", "json"]);
    assert_eq!(created["role"], "viewer");
    let secret = created["key"].as_str().unwrap();
    assert!(secret.starts_with("pal_token_"));

    let listed = json(dir.path(), &["keys", "list", "--format", "json"]);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(!listed.to_string().contains(secret), "listings never show secrets");

    let id = created["id"].as_i64().unwrap().to_string();
    assert!(palisade(dir.path(), &["keys", "revoke", &id]).status.success());
    let again = palisade(dir.path(), &["keys", "revoke", &id]);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("no active key"), "{}", stderr(&again));
}

#[test]
fn users_add_passwd_role_remove() {
    let dir = tempfile::tempdir().unwrap();
    let added = palisade(dir.path(), &["users", "add", "ada", "--role", "analyst"]);
    assert!(added.status.success(), "{}", stderr(&added));
    let password = stdout(&added).lines().last().unwrap().trim().to_string();
    assert_eq!(password.len(), 20, "{}", stdout(&added));

    let users = json(dir.path(), &["users", "list", "--format", "json"]);
    assert_eq!(users[0]["name"], "ada");
    assert_eq!(users[0]["role"], "analyst");
    assert!(users[0].get("password_hash").is_none());

    let mut child = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["users", "passwd", "ada", "--password-stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"short\n").unwrap();
    let short = child.wait_with_output().unwrap();
    assert!(!short.status.success());
    assert!(stderr(&short).contains("min_password_length"), "{}", stderr(&short));

    let role = palisade(dir.path(), &["users", "role", "ada", "--role", "admin"]);
    assert!(role.status.success(), "{}", stderr(&role));
    let last = palisade(dir.path(), &["users", "remove", "ada"]);
    assert!(!last.status.success(), "the only admin stays");
    assert!(stderr(&last).contains("only admin"), "{}", stderr(&last));
    let missing = palisade(dir.path(), &["users", "remove", "nobody"]);
    assert!(stderr(&missing).contains("no user named"), "{}", stderr(&missing));
}

#[test]
fn bad_config_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("palisade.yaml");
    std::fs::write(&config, "version: 1\ndiscovery:\n  min_distinct_value: 3\n").unwrap();
    let har = fixtures().join("har/shop-chromium.har");
    let output = palisade(dir.path(), &["--config", config.to_str().unwrap(), "ingest", har.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let error = stderr(&output);
    assert!(error.contains("palisade.yaml"), "{error}");
    assert!(error.contains("min_distinct_value"), "{error}");
    assert!(error.contains("palisade.yaml:3:3: discovery.min_distinct_value"), "{error}");
}

#[test]
fn unauthenticated_card_endpoint_tops_risk_list_with_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let traffic = fixtures().join("jsonl/shop-sensitive.jsonl");
    let output = palisade(dir.path(), &["ingest", "--quiet", traffic.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));

    let page = json(dir.path(), &["endpoints", "list", "--sort", "risk", "--format", "json"]);
    let top = &page["items"][0];
    assert_eq!(top["template"], "/api/customers/{customerId}");
    assert_eq!(top["authentication"], serde_json::json!(["none"]));

    // The API's filters, as flags: risk, data class and authentication scheme.
    let templates = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["endpoints", "list", "--format", "json"];
        all.extend_from_slice(args);
        let page = json(dir.path(), &all);
        page["items"].as_array().unwrap().iter().map(|e| e["template"].as_str().unwrap().to_string()).collect()
    };
    let filtered = templates(&["--auth", "none", "--data-class", "email", "--min-risk", "50"]);
    assert_eq!(filtered, vec!["/api/customers/{customerId}"]);
    let bearer = templates(&["--auth", "bearer"]);
    assert!(!bearer.is_empty(), "endpoints called with a bearer token");
    assert!(!bearer.contains(&"/api/customers/{customerId}".to_string()), "{bearer:?}");
    let bad = palisade(dir.path(), &["endpoints", "list", "--auth", "nope"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("expected one of none, basic"), "{}", stderr(&bad));

    let detail = json(dir.path(), &["endpoints", "show", top["id"].as_str().unwrap(), "--format", "json"]);
    let factors: Vec<&str> =
        detail["risk"]["factors"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(
        factors,
        vec!["sensitive_data_returned", "unauthenticated_access", "sensitive_data_without_auth", "open_alerts"]
    );
    let classes: Vec<String> = detail["data_classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{} {}", c["path"].as_str().unwrap(), c["class"].as_str().unwrap()))
        .collect();
    assert!(classes.contains(&"email email".to_string()), "{classes:?}");
    assert!(classes.iter().any(|c| c.starts_with("payment.card_number credit_card_")), "{classes:?}");

    let alerts = json(dir.path(), &["alerts", "list", "--format", "json"]);
    let kinds: Vec<String> = alerts["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| format!("{} {}", a["type"].as_str().unwrap(), a["location"].as_str().unwrap()))
        .collect();
    for expected in [
        "sensitive_data_in_response response.body payment.card_number",
        "unauthenticated_sensitive_data response.body payment.card_number",
        "unauthenticated_sensitive_data response.body email",
        "sensitive_data_in_url request.query email",
        "secret_in_response response.body aws_access_key_id",
    ] {
        assert!(kinds.iter().any(|k| k == expected), "missing alert {expected}: {kinds:?}");
    }

    // The authenticated endpoint that returns only the caller's email ranks lower.
    let me = page["items"].as_array().unwrap().iter().find(|e| e["template"] == "/api/users/me").unwrap();
    assert!(me["risk_score"].as_u64() < top["risk_score"].as_u64());
}

#[test]
fn false_positive_mark_and_alert_resolution_from_cli() {
    let dir = tempfile::tempdir().unwrap();
    let traffic = fixtures().join("jsonl/shop-sensitive.jsonl");
    assert!(palisade(dir.path(), &["ingest", "--quiet", traffic.to_str().unwrap()]).status.success());

    let endpoint = "GET shop.example.com /api/users/me";
    let output = palisade(
        dir.path(),
        &["endpoints", "false-positive", endpoint, "--section", "response.body", "--path", "email", "--class", "email"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let detail = json(dir.path(), &["endpoints", "show", endpoint, "--format", "json"]);
    let email = detail["data_classes"].as_array().unwrap().iter().find(|c| c["path"] == "email").unwrap();
    assert_eq!(email["false_positive"], true);

    let wrong = palisade(
        dir.path(),
        &["endpoints", "false-positive", endpoint, "--section", "response.body", "--path", "nope", "--class", "email"],
    );
    assert_eq!(wrong.status.code(), Some(2));

    let alerts = json(dir.path(), &["alerts", "list", "--status", "open", "--format", "json"]);
    let id = alerts["items"][0]["id"].as_i64().unwrap().to_string();
    assert!(palisade(dir.path(), &["alerts", "resolve", &id]).status.success());
    let shown = json(dir.path(), &["alerts", "show", &id, "--format", "json"]);
    assert_eq!(shown["status"], "resolved");
}

#[test]
fn attack_session_flags_only_the_attacker() {
    let dir = tempfile::tempdir().unwrap();
    let session = fixtures().join("jsonl/attack-session.jsonl");
    let output = palisade(dir.path(), &["ingest", "--quiet", session.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));

    let actors = json(dir.path(), &["actors", "list", "--format", "json"]);
    let mut flagged = Vec::new();
    for actor in actors["items"].as_array().unwrap() {
        let findings = actor["findings"].as_object().unwrap();
        if !findings.is_empty() {
            flagged.push(actor["id"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(flagged, vec!["user:mallory"], "only the attacker has findings");

    let mallory = json(dir.path(), &["actors", "show", "user:mallory", "--format", "json"]);
    let classes: std::collections::BTreeSet<&str> =
        mallory["timeline"].as_array().unwrap().iter().map(|f| f["class"].as_str().unwrap()).collect();
    for expected in ["sqli", "xss", "path_traversal", "jndi", "scanner", "not_found_scanning", "object_enumeration"] {
        assert!(classes.contains(expected), "missing {expected} in {classes:?}");
    }
    let times: Vec<&str> =
        mallory["timeline"].as_array().unwrap().iter().map(|f| f["time"].as_str().unwrap()).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "the timeline is in time order");

    let alerts = json(dir.path(), &["alerts", "list", "--format", "json", "--limit", "1000"]);
    let items = alerts["items"].as_array().unwrap();
    let by_actor: Vec<(&str, &str)> = items
        .iter()
        .filter(|a| !a["actor"].is_null())
        .map(|a| (a["type"].as_str().unwrap(), a["actor"].as_str().unwrap()))
        .collect();
    assert!(by_actor.iter().all(|(_, actor)| *actor == "user:mallory"), "{by_actor:?}");
    for expected in ["attack_sqli", "attack_jndi", "object_enumeration", "not_found_scanning", "attack_scanner"] {
        assert!(by_actor.iter().any(|(kind, _)| *kind == expected), "missing alert {expected}: {by_actor:?}");
    }
    let scanner_alerts = by_actor.iter().filter(|(kind, _)| *kind == "attack_scanner").count();
    assert_eq!(scanner_alerts, 1, "scanner alerts are one per actor and host");
}

#[test]
fn findings_table_shows_confidence() {
    let dir = tempfile::tempdir().unwrap();
    let session = fixtures().join("jsonl/attack-session.jsonl");
    assert!(palisade(dir.path(), &["ingest", "--quiet", session.to_str().unwrap()]).status.success());

    let output = palisade(dir.path(), &["findings", "--limit", "1000"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let table = stdout(&output);
    assert!(table.contains("CONFIDENCE"), "{table}");
    assert!(table.contains(" high "), "{table}");
}

#[test]
fn alerts_table_and_detail_name_the_actor() {
    let dir = tempfile::tempdir().unwrap();
    let session = fixtures().join("jsonl/attack-session.jsonl");
    assert!(palisade(dir.path(), &["ingest", "--quiet", session.to_str().unwrap()]).status.success());

    let output = palisade(dir.path(), &["alerts", "list", "--type", "attack_sqli"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let table = stdout(&output);
    assert!(table.contains("ACTOR"), "{table}");
    let row = table.lines().find(|line| line.contains("attack_sqli")).expect("an attack_sqli row");
    assert!(row.contains("user:mallory"), "{table}");

    let alerts = json(dir.path(), &["alerts", "list", "--type", "attack_sqli", "--format", "json"]);
    let id = alerts["items"][0]["id"].as_i64().unwrap().to_string();
    let output = palisade(dir.path(), &["alerts", "show", &id]);
    assert!(output.status.success(), "{}", stderr(&output));
    let detail = stdout(&output);
    assert!(detail.contains("actor user:mallory"), "{detail}");
    assert!(detail.contains("data class -"), "{detail}");
    assert!(detail.contains("Latest findings"), "{detail}");
    assert!(detail.contains("sqli.union"), "{detail}");
    assert!(detail.contains("sqli.tautology"), "{detail}");
}

#[test]
fn actors_show_takes_an_id_without_its_kind() {
    let dir = tempfile::tempdir().unwrap();
    let session = fixtures().join("jsonl/attack-session.jsonl");
    assert!(palisade(dir.path(), &["ingest", "--quiet", session.to_str().unwrap()]).status.success());

    let output = palisade(dir.path(), &["actors", "show", "mallory"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).starts_with("user:mallory (user)"), "{}", stdout(&output));

    let output = palisade(dir.path(), &["actors", "show", "user:nobody"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("actor ids start with their kind"), "{}", stderr(&output));
}

#[test]
fn default_configuration_reads_back_and_bad_file_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let output = palisade(dir.path(), &["config", "defaults"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let defaults = stdout(&output);
    assert!(defaults.contains("max_queued_traces: 200000"), "{defaults}");
    let file = dir.path().join("defaults.yaml");
    std::fs::write(&file, &defaults).unwrap();
    let output = palisade(dir.path(), &["config", "check", file.to_str().unwrap()]);
    assert!(output.status.success(), "the printed defaults must load again: {}", stderr(&output));

    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "version: 1\nserver:\n  listen: 127.0.0.1:7480\n  max_queued_tracs: 5\n").unwrap();
    let output = palisade(dir.path(), &["config", "check", bad.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("bad.yaml:4:3: server.max_queued_tracs: unknown field"), "{message}");
}

#[test]
fn config_rules_lists_detection_rules() {
    let dir = tempfile::tempdir().unwrap();
    let output = palisade(dir.path(), &["config", "rules", "--format", "json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let rules: Vec<serde_json::Value> = serde_json::from_str(&stdout(&output)).unwrap();
    let introspection = rules.iter().find(|rule| rule["id"] == "graphql.introspection");
    assert_eq!(introspection.map(|rule| &rule["class"]), Some(&serde_json::json!("graphql_introspection")));
    assert!(rules.iter().any(|rule| rule["id"] == "sqli.union" && rule["class"] == "sqli"));

    let bad = dir.path().join("bad-rule.yaml");
    std::fs::write(&bad, "version: 1\ndetection:\n  disabled_rules: [no.such_rule]\n").unwrap();
    let output = palisade(dir.path(), &["config", "check", bad.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("no.such_rule"), "{message}");
    assert!(message.contains("palisade config rules"), "{message}");
}

#[test]
fn rules_add_list_remove() {
    let dir = tempfile::tempdir().unwrap();
    let added = palisade(
        dir.path(),
        &["rules", "add", "--id", "no-admin", "--path-prefix", "/admin", "--ip", "203.0.113.0/24", "--mode", "block"],
    );
    assert!(added.status.success(), "{}", stderr(&added));
    assert!(stdout(&added).contains("Added rule no-admin (block mode)"), "{}", stdout(&added));

    let rule_file = dir.path().join("rule.json");
    let document =
        r#"{"id": "slow-down", "action": {"rate_limit": {"threshold": 5, "window_secs": 60, "block_secs": 60}}}"#;
    std::fs::write(&rule_file, document).unwrap();
    let from_file = palisade(dir.path(), &["rules", "add", "--file", rule_file.to_str().unwrap()]);
    assert!(from_file.status.success(), "{}", stderr(&from_file));
    let limited = palisade(
        dir.path(),
        &["rules", "add", "--id", "per-actor", "--actor", "user:mallory", "--rate-limit", "10/1m", "--expires", "1h"],
    );
    assert!(limited.status.success(), "{}", stderr(&limited));

    let rules = json(dir.path(), &["rules", "list", "--format", "json"]);
    let ids: Vec<&str> = rules.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 3, "{rules}");
    for id in ["no-admin", "slow-down", "per-actor"] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    let no_admin = rules.as_array().unwrap().iter().find(|r| r["id"] == "no-admin").unwrap();
    assert_eq!(no_admin["mode"], "block");
    assert_eq!(no_admin["origin"], "user");
    assert_eq!(no_admin["conditions"][0]["all"][0]["op"], "in_cidr");
    assert_eq!(no_admin["conditions"][0]["all"][1]["value"], "/admin");
    let per_actor = rules.as_array().unwrap().iter().find(|r| r["id"] == "per-actor").unwrap();
    assert_eq!(per_actor["action"]["rate_limit"]["key"], "actor");
    assert!(per_actor["expires_at"].is_string());
    let table = palisade(dir.path(), &["rules", "list"]);
    assert!(stdout(&table).contains("no-admin"), "{}", stdout(&table));

    // Bad input is an input error that names the problem.
    let duplicate = palisade(dir.path(), &["rules", "add", "--id", "no-admin", "--ip", "10.0.0.1"]);
    assert_eq!(duplicate.status.code(), Some(2));
    assert!(stderr(&duplicate).contains("already exists"), "{}", stderr(&duplicate));
    let bad_cidr = palisade(dir.path(), &["rules", "add", "--ip", "10.0.0.0/99"]);
    assert_eq!(bad_cidr.status.code(), Some(2));
    assert!(stderr(&bad_cidr).contains("conditions[0].all[0]"), "{}", stderr(&bad_cidr));
    let nothing = palisade(dir.path(), &["rules", "add", "--mode", "block"]);
    assert_eq!(nothing.status.code(), Some(2));
    assert!(stderr(&nothing).contains("missing condition"), "{}", stderr(&nothing));

    let removed = palisade(dir.path(), &["rules", "remove", "no-admin"]);
    assert!(removed.status.success(), "{}", stderr(&removed));
    let again = palisade(dir.path(), &["rules", "remove", "no-admin"]);
    assert_eq!(again.status.code(), Some(2));
    assert_eq!(json(dir.path(), &["rules", "list", "--format", "json"]).as_array().unwrap().len(), 2);
}

// Wording of reports and errors on inputs a new user runs into: a skipped file, an empty
// inventory, a description file that does not exist.

#[test]
fn ingest_names_skipped_file() {
    let dir = tempfile::tempdir().unwrap();
    let recordings = fixtures().join("keploy");
    let output = palisade(dir.path(), &["ingest", "--quiet", recordings.to_str().unwrap()]);

    assert!(output.status.success(), "{}", stderr(&output));
    let skipped: Vec<String> =
        stderr(&output).lines().filter(|l| l.starts_with("skipped: ")).map(String::from).collect();
    assert_eq!(skipped.len(), 1, "{}", stderr(&output));
    assert!(skipped[0].contains("test-4.yaml"), "{}", skipped[0]);
}

#[test]
fn ingest_without_endpoints_suggests_traffic() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("settings.json");
    std::fs::write(&file, r#"{"theme": "dark"}"#).unwrap();
    let output = palisade(&dir.path().join("data"), &["ingest", "--quiet", file.to_str().unwrap()]);

    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let report = stdout(&output);
    assert!(report.contains("no endpoints were found"), "{report}");
    assert!(report.contains("palisade ingest FILE"), "{report}");
    assert!(!report.contains("endpoints list"), "{report}");
}

#[test]
fn spec_missing_file_is_not_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("openapi.yaml");
    let missing = missing.to_str().unwrap();
    let cases: &[(&str, &[&str])] = &[
        ("spec import", &["spec", "import", missing]),
        ("spec import --check", &["spec", "import", "--check", missing]),
        ("spec diff", &["spec", "diff", missing, missing]),
    ];
    for (name, args) in cases {
        let output = palisade(&dir.path().join("data"), args);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{name}: {message}");
        assert!(message.starts_with(&format!("error: cannot read {missing}: ")), "{name}: {message}");
        assert!(!message.contains("invalid description"), "{name}: {message}");
    }
}

#[test]
fn spec_unparsable_file_is_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.yaml");
    std::fs::write(&file, "openapi: [\n").unwrap();
    let output = palisade(&dir.path().join("data"), &["spec", "import", "--check", file.to_str().unwrap()]);

    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).starts_with("error: invalid description "), "{}", stderr(&output));
}

#[test]
fn ingest_to_closed_port_fails_without_retrying() {
    let dir = tempfile::tempdir().unwrap();
    // A port this test held and released, so nothing listens on it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = format!("http://127.0.0.1:{port}");
    let har = fixtures().join("har/shop-chromium.har");
    let output = palisade(dir.path(), &["ingest", "--server", &server, "--key", "k", har.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let error = stderr(&output);
    assert!(error.contains("no server answered there"), "{error}");
    assert!(error.contains("Connection refused"), "the cause is named: {error}");
    assert!(!error.contains("trying again"), "a server that never answered is not retried: {error}");
}

#[test]
fn bench_pipeline_targets_only_for_inventory() {
    let dir = tempfile::tempdir().unwrap();
    let run = |stages: &str| {
        let output =
            palisade(dir.path(), &["bench", "pipeline", "--traces", "300", "--rounds", "1", "--stages", stages]);
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output)
    };

    let inventory = run("inventory");
    let line = inventory.lines().find(|l| l.starts_with("Pipeline (inventory stages)")).expect("pipeline line");
    assert!(line.contains("(target >= 100000)"), "{inventory}");

    let all = run("all");
    let line = all.lines().find(|l| l.starts_with("Pipeline (all stages)")).expect("pipeline line");
    assert!(!line.contains("target"), "{all}");
    assert!(all.contains("(the targets apply to --stages inventory)"), "{all}");
}

#[test]
fn unknown_filters_and_listen_addresses_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let session = fixtures().join("jsonl/attack-session.jsonl");
    assert!(palisade(dir.path(), &["ingest", "--quiet", session.to_str().unwrap()]).status.success());

    let output = palisade(dir.path(), &["alerts", "list", "--type", "attack_sqlx"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("no alert has type \"attack_sqlx\". Alert types: attack_sqli,"),
        "{}",
        stderr(&output)
    );

    let output = palisade(dir.path(), &["findings", "--class", "sqlx"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("no finding has class \"sqlx\". Finding classes: sqli,"), "{}", stderr(&output));

    let output = palisade(dir.path(), &["alerts", "list", "--type", "attack_sqli"]);
    assert_eq!(stderr(&output), "");

    let output = palisade(dir.path(), &["serve", "--listen", "localhost:7480"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("expected IP:PORT, such as 127.0.0.1:7480"), "{}", stderr(&output));
}
