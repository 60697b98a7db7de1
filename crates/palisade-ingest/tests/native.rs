mod common;

use std::io::BufReader;
use std::path::Path;

use common::{err, fixture, fixture_path, ok};
use palisade_core::{Limits, Peer, TraceSource};
use palisade_ingest::native::{decode, encode, read_jsonl};
use palisade_ingest::{Format, ImportSummary, detect, har};

#[test]
fn jsonl_fixture_reads_with_line_numbers() {
    let file = std::fs::File::open(fixture_path("traces.jsonl")).unwrap();
    let mut results = Vec::new();
    let summary = read_jsonl(BufReader::new(file), &Limits::default(), |result| results.push(result)).unwrap();

    assert_eq!(summary, ImportSummary { decoded: 3, rejected: 2 });
    let first = ok(&results[0]);
    assert_eq!(first.request.path, "/users");
    assert_eq!(first.meta.duration_us, Some(3_500));
    assert_eq!(first.response.as_ref().unwrap().body.bytes, br#"[{"id":1},{"id":2}]"#);

    let second = ok(&results[1]);
    assert_eq!(second.request.scheme, "https");
    assert_eq!(second.request.body.bytes, br#"{"name":"Ada"}"#);
    assert_eq!(second.response.as_ref().unwrap().body.bytes, br#"{"id":3}"#);

    // Line 3 is blank, so the next errors are on lines 4 and 5.
    assert_eq!(
        err(&results[2]),
        "line 4: invalid field \"response.status\": expected an integer status code, found string \"200\""
    );
    assert_eq!(err(&results[3]), "line 5: invalid JSON at column 70: EOF while parsing an object");

    let last = ok(&results[4]);
    assert_eq!(last.request.method, "DELETE");
    assert_eq!(last.meta.client, Some(Peer { address: "10.0.0.7".into(), port: Some(51514) }));
}

#[test]
fn har_traces_survive_export_and_import() {
    // Exporting traces from any source and importing them again keeps everything but the
    // source.
    let bytes = fixture("chromium.har");
    let mut traces = Vec::new();
    har::read_har(bytes.as_slice(), &Limits::default(), |result| traces.push(result.unwrap())).unwrap();

    for trace in traces {
        let exported = serde_json::to_vec(&encode(&trace)).unwrap();
        let mut imported = decode(&exported, &Limits::default(), 0).unwrap().remove(0).unwrap();
        assert_eq!(imported.meta.source, TraceSource::Native);
        imported.meta.source = trace.meta.source;
        assert_eq!(imported, trace);
    }
}

#[test]
fn binary_body_is_exported_as_base64() {
    let bytes = fixture("chromium.har");
    let mut traces = Vec::new();
    har::read_har(bytes.as_slice(), &Limits::default(), |result| traces.push(result.unwrap())).unwrap();

    let image = encode(&traces[2]);
    let response = &image["response"];
    assert!(response.get("body").is_none());
    assert!(response["body_base64"].as_str().unwrap().starts_with("iVBORw0KGgo"));
}

#[test]
fn fixtures_are_detected() {
    let cases = [
        ("chromium.har", Format::Har),
        ("firefox.har", Format::Har),
        ("metlo-v1-batch.json", Format::MetloJson),
        ("metlo-v2-batch.json", Format::MetloJson),
        ("traces.jsonl", Format::Jsonl),
        ("keploy-http.yaml", Format::Keploy),
    ];
    for (name, expected) in cases {
        let bytes = fixture(name);
        let first_bytes = &bytes[..bytes.len().min(4096)];
        assert_eq!(detect(&fixture_path(name), first_bytes), Some(expected), "{name} by name");
        // Without a telling extension, the content decides.
        assert_eq!(detect(Path::new("upload"), first_bytes), Some(expected), "{name} by content");
    }
}
