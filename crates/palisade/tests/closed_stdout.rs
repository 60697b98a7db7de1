//! Commands whose standard output is a pipe that the reader already closed, as with
//! `palisade alerts list | head -8`: they end without a panic and without a message.
#![cfg(unix)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

/// Runs palisade with standard output connected to a pipe whose read end is closed before
/// the process starts, so every write to it fails.
fn run_with_closed_stdout(data_dir: &Path, args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    Command::new(env!("CARGO_BIN_EXE_palisade"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("PALISADE_CONFIG")
        .stdout(writer)
        .output()
        .expect("palisade runs")
}

/// Responds 200 to every `POST /api/v1/traces`, like a server that accepted the batch.
fn start_trace_collector() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            answer_one_request(stream);
        }
    });
    address
}

fn answer_one_request(stream: TcpStream) {
    let mut reader = BufReader::new(stream);
    let mut content_length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        if line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            content_length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; content_length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let response =
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}";
    let _ = reader.get_mut().write_all(response.as_bytes());
}

fn assert_ended_quietly(name: &str, output: &Output) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{name}: panicked: {stderr}");
    assert!(stderr.is_empty(), "{name}: printed to standard error: {stderr}");
    let ended_by_sigpipe = output.status.signal() == Some(libc::SIGPIPE);
    assert!(output.status.success() || ended_by_sigpipe, "{name}: ended with {:?}", output.status);
}

#[test]
fn commands_end_quietly_on_closed_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &[&str])] = &[
        ("println! of the default configuration", &["config", "defaults"]),
        ("println! of the rule table", &["config", "rules"]),
        ("write_stdout of the test templates", &["test", "templates"]),
        ("clap's help text", &["--help"]),
    ];
    for (name, args) in cases {
        let output = run_with_closed_stdout(&dir.path().join("data"), args);
        assert_ended_quietly(name, &output);
    }
}

#[test]
fn ingest_to_server_ends_quietly_on_closed_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let server = format!("http://{}", start_trace_collector());
    let har = fixtures().join("har/shop-chromium.har");
    let args = ["ingest", "--quiet", "--server", &server, "--key", "test-key", har.to_str().unwrap()];
    let output = run_with_closed_stdout(&dir.path().join("data"), &args);

    assert_ended_quietly("ingest --server", &output);
    // With --server, SIGPIPE stays ignored, so the command runs to its own exit code.
    assert_eq!(output.status.code(), Some(0), "{:?}", output.status);
}
