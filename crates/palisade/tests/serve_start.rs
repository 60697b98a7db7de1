//! `palisade serve` start-up on 127.0.0.1: a busy port or a missing proxy setting fails
//! the start before it creates the first-start credentials, whose secrets are printed
//! only once.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// Time a start gets to fail or to print its listening line. Either takes well under a
/// second on a fresh data directory, so this only bounds a hung test.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Builds a `palisade serve` command on `data_dir` that ignores the serve settings of the
/// environment, so only `args` configure it.
fn serve(data_dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_palisade"));
    command
        .arg("--data-dir")
        .arg(data_dir)
        .arg("serve")
        .args(args)
        .env_remove("PALISADE_CONFIG")
        .env_remove("PALISADE_LISTEN")
        .env_remove("PALISADE_PROXY_LISTEN")
        .env_remove("PALISADE_UPSTREAM");
    command
}

/// Runs a start that is expected to fail. Kills it and fails the test when it still
/// runs after `START_TIMEOUT`.
fn run_failing_start(data_dir: &Path, args: &[&str]) -> Output {
    let mut child = serve(data_dir, args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let deadline = Instant::now() + START_TIMEOUT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            let output = child.wait_with_output().unwrap();
            panic!("palisade serve {args:?} still runs after {START_TIMEOUT:?}; output:\n{}", stdout(&output));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// Starts `palisade serve` on a free port, kills it once it has printed its listening
/// line, and returns the lines it printed up to that one.
fn start_and_read_output(data_dir: &Path) -> Vec<String> {
    let mut child =
        serve(data_dir, &["--listen", "127.0.0.1:0"]).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let (sender, receiver) = mpsc::channel();
    let output = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(output).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });

    let deadline = Instant::now() + START_TIMEOUT;
    let mut lines = Vec::new();
    loop {
        let Ok(line) = receiver.recv_timeout(deadline.saturating_duration_since(Instant::now())) else {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("palisade serve printed no listening line within {START_TIMEOUT:?}; it printed {lines:?}");
        };
        let listening = line.starts_with("Palisade is listening on http://127.0.0.1:");
        lines.push(line);
        if listening {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    lines
}

/// Returns the line after the one that starts with `heading`, trimmed.
fn value_after<'a>(lines: &'a [String], heading: &str) -> Option<&'a str> {
    let index = lines.iter().position(|line| line.starts_with(heading))?;
    lines.get(index + 1).map(|line| line.trim())
}

/// Returns the JSON array that `palisade KIND list --format json` prints for `data_dir`,
/// where KIND is `keys` or `users`.
fn stored(data_dir: &Path, kind: &str) -> Vec<Value> {
    let output = Command::new(env!("CARGO_BIN_EXE_palisade"))
        .arg("--data-dir")
        .arg(data_dir)
        .args([kind, "list", "--format", "json"])
        .env_remove("PALISADE_CONFIG")
        .output()
        .unwrap();
    assert!(output.status.success(), "palisade {kind} list: {}", stderr(&output));
    let list: Value = serde_json::from_slice(&output.stdout).unwrap();
    list.as_array().unwrap().clone()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Checks that a failed start printed no secret and no listening line, and stored no key
/// and no user.
fn assert_no_credentials(data_dir: &Path, output: &Output) {
    assert!(!stdout(output).contains("shown once"), "no secret is printed: {}", stdout(output));
    assert!(!stdout(output).contains("listening"), "nothing is announced: {}", stdout(output));
    assert!(stored(data_dir, "keys").is_empty(), "no key is stored");
    assert!(stored(data_dir, "users").is_empty(), "no user is stored");
}

#[test]
fn busy_api_port_stores_no_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = busy.local_addr().unwrap().to_string();

    let failed = run_failing_start(dir.path(), &["--listen", &listen]);
    assert_eq!(failed.status.code(), Some(2), "{}", stderr(&failed));
    assert!(stderr(&failed).contains(&format!("error: cannot listen on {listen}")), "{}", stderr(&failed));
    assert_no_credentials(dir.path(), &failed);
    drop(busy);

    // The next start is the first one that completes, so it creates and prints them.
    let lines = start_and_read_output(dir.path());
    let admin = value_after(&lines, "Admin API token (shown once").unwrap_or_default();
    assert!(admin.starts_with("pal_token_"), "{lines:?}");
    let ingest = value_after(&lines, "Ingest key for agents").unwrap_or_default();
    assert!(ingest.starts_with("pal_ingest_"), "{lines:?}");
    let password = value_after(&lines, "Dashboard user `admin`, password").unwrap_or_default();
    assert!(!password.is_empty(), "{lines:?}");
    assert_eq!(stored(dir.path(), "keys").len(), 2);
    assert_eq!(stored(dir.path(), "users").len(), 1);
}

#[test]
fn missing_upstream_fails_before_credentials() {
    let dir = tempfile::tempdir().unwrap();

    let failed = run_failing_start(dir.path(), &["--listen", "127.0.0.1:0", "--proxy-listen", "127.0.0.1:0"]);
    assert_eq!(failed.status.code(), Some(2), "{}", stderr(&failed));
    assert!(
        stderr(&failed).contains("error: cannot start the in-process proxy: missing upstream"),
        "{}",
        stderr(&failed)
    );
    assert_no_credentials(dir.path(), &failed);
}

#[test]
fn busy_proxy_port_stores_no_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy_listen = busy.local_addr().unwrap().to_string();

    // The proxy does not connect to its upstream at start-up, so any address will do.
    let args = ["--listen", "127.0.0.1:0", "--proxy-listen", &proxy_listen, "--upstream", "http://127.0.0.1:9"];
    let failed = run_failing_start(dir.path(), &args);
    assert_eq!(failed.status.code(), Some(2), "{}", stderr(&failed));
    let expected = format!("error: cannot start the in-process proxy: cannot listen on {proxy_listen}");
    assert!(stderr(&failed).contains(&expected), "{}", stderr(&failed));
    assert_no_credentials(dir.path(), &failed);
    drop(busy);
}
