//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::path::PathBuf;

use palisade_core::Trace;
use palisade_ingest::TraceDecodeError;

pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = fixture_path(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

/// Unwraps a result that the test expects to be a trace, showing the error otherwise.
pub fn ok(result: &Result<Trace, TraceDecodeError>) -> &Trace {
    match result {
        Ok(trace) => trace,
        Err(error) => panic!("expected a trace, got error: {error}"),
    }
}

/// Unwraps a result that the test expects to be an error, as its message.
pub fn err(result: &Result<Trace, TraceDecodeError>) -> String {
    match result {
        Ok(trace) => panic!("expected an error, got a trace for {}", trace.request.path),
        Err(error) => error.to_string(),
    }
}

pub fn header<'a>(headers: &'a [palisade_core::Header], name: &str) -> Option<&'a str> {
    palisade_core::trace::header_value(headers, name)
}
