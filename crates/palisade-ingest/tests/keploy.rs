mod common;

use std::path::{Path, PathBuf};

use common::fixture;
use palisade_core::{Limits, TraceSource};
use palisade_ingest::keploy::decode;

fn decode_fixture(name: &str) -> Option<palisade_core::Trace> {
    let text = String::from_utf8(fixture(name)).unwrap();
    decode(&text, &Limits::default()).unwrap_or_else(|error| panic!("{name}: {error}"))
}

#[test]
fn http_fixture_decodes() {
    let trace = decode_fixture("keploy-http.yaml").unwrap();
    assert_eq!(trace.request.method, "PUT");
    assert_eq!(trace.request.host, "localhost:9090");
    assert_eq!(trace.request.path, "/api/notes/12");
    assert_eq!(trace.request.query.len(), 1);
    assert_eq!(trace.request.headers.len(), 5);
    assert_eq!(trace.request.body.bytes, br#"{"title":"tea","body":"oolong"}"#);
    let response = trace.response.unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.body.bytes, b"{\"id\":12,\"title\":\"tea\",\"body\":\"oolong\",\"draft\":true}\n");
    assert_eq!(trace.meta.start_ms, 1_740_910_530_250);
    assert_eq!(trace.meta.duration_us, Some(12_500));
    assert_eq!(trace.meta.source, TraceSource::Keploy);
}

#[test]
fn grpc_fixture_is_skipped() {
    assert_eq!(decode_fixture("keploy-grpc.yaml"), None);
}

/// Directory of recorded Keploy test cases: `KEPLOY_CORPUS_DIR`, else the corpora folder
/// that sits next to the repository checkout.
fn corpus_dir() -> PathBuf {
    match std::env::var_os("KEPLOY_CORPUS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora/keploy"),
    }
}

fn yaml_files(dir: &Path, files: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|entry| entry.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            yaml_files(&path, files);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            files.push(path);
        }
    }
}

#[test]
fn recorded_corpus_decodes() {
    let dir = corpus_dir();
    if !dir.is_dir() {
        eprintln!("skipping: no Keploy corpus directory; set KEPLOY_CORPUS_DIR to run this test");
        return;
    }
    let mut files = Vec::new();
    yaml_files(&dir, &mut files);

    let mut http = 0;
    let mut grpc = 0;
    let mut failures = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        match decode(&text, &Limits::default()) {
            Ok(Some(trace)) => {
                assert_eq!(trace.meta.source, TraceSource::Keploy);
                http += 1;
            }
            Ok(None) => {
                assert!(text.contains("kind: gRPC"), "{} skipped but not gRPC", path.display());
                grpc += 1;
            }
            Err(error) => failures.push(format!("{}: {error}", path.display())),
        }
    }

    assert!(failures.is_empty(), "{} files failed:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(http, 1052);
    assert_eq!(grpc, 19);
}
