//! Damaged and hostile inputs. Every decoder must return errors for them and never panic,
//! and every trace it does return must be valid.

mod common;

use std::path::Path;

use common::fixture;
use palisade_core::{Limits, Trace};
use palisade_ingest::metlo::MetloVersion;
use palisade_ingest::{TraceDecodeError, detect, har, keploy, metlo, native};

const FIXTURES: [&str; 8] = [
    "chromium.har",
    "firefox.har",
    "truncated.har",
    "metlo-v1-batch.json",
    "metlo-v2-batch.json",
    "traces.jsonl",
    "keploy-http.yaml",
    "keploy-grpc.yaml",
];

/// A small xorshift generator, so that the damage is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn check_result(limits: &Limits, result: &Result<Trace, TraceDecodeError>) {
    if let Ok(trace) = result {
        assert_eq!(trace.validate(limits), Ok(()));
        assert!(trace.request.body.bytes.len() <= limits.max_body_bytes);
    }
}

/// Runs every decoder over `input`.
fn decode_everything(input: &[u8]) {
    let limits = Limits { max_body_bytes: 256, ..Limits::default() };

    for version in [MetloVersion::V1, MetloVersion::V2] {
        for batch in [false, true] {
            if let Ok(results) = metlo::decode(input, version, batch, &limits, 0) {
                results.iter().for_each(|result| check_result(&limits, result));
            }
        }
    }
    if let Ok(results) = native::decode(input, &limits, 0) {
        results.iter().for_each(|result| check_result(&limits, result));
    }
    let _ = native::read_jsonl(input, &limits, |result| check_result(&limits, &result));
    let _ = har::read_har(input, &limits, |result| check_result(&limits, &result));
    if let Ok(text) = std::str::from_utf8(input)
        && let Ok(Some(trace)) = keploy::decode(text, &limits)
    {
        assert_eq!(trace.validate(&limits), Ok(()));
    }
    let _ = detect(Path::new("input"), input);
}

#[test]
fn damaged_fixtures_never_panic() {
    let mut rng = Rng(0x853c_49e6_748f_ea9b);
    for name in FIXTURES {
        let original = fixture(name);
        for _ in 0..150 {
            let mut damaged = original.clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(damaged.len());
                match rng.below(3) {
                    0 => damaged[at] = rng.next() as u8,
                    1 => {
                        damaged.remove(at);
                    }
                    _ => {
                        let tokens = b"{}[]\",:\\\n\x00\xff";
                        damaged.insert(at, tokens[rng.below(tokens.len())]);
                    }
                }
            }
            decode_everything(&damaged);
        }
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for _ in 0..300 {
        let length = rng.below(512);
        let bytes: Vec<u8> = (0..length).map(|_| rng.next() as u8).collect();
        decode_everything(&bytes);
    }
}

#[test]
fn deep_nesting_never_overflows_the_stack() {
    for open in ["[", "{\"a\":"] {
        let deep = open.repeat(10_000);
        decode_everything(deep.as_bytes());
        let wrapped = format!("{{\"log\": {{\"entries\": [{deep}");
        decode_everything(wrapped.as_bytes());
        let line = format!("{{\"request\": {deep}\n");
        decode_everything(line.as_bytes());
    }
}

#[test]
fn deep_yaml_is_an_error() {
    let deep = format!("kind: Http\nspec: {}\n", "[".repeat(10_000));
    assert!(keploy::decode(&deep, &Limits::default()).is_err());

    let mut nested = String::from("kind: Http\nspec:\n");
    for depth in 1..5_000 {
        nested.push_str(&" ".repeat(depth));
        nested.push_str("a:\n");
    }
    assert!(keploy::decode(&nested, &Limits::default()).is_err());
}

#[test]
fn yaml_alias_expansion_is_bounded() {
    // Each level refers to the one before it ten times, so a full expansion would hold
    // 10^9 strings.
    let mut text =
        String::from("kind: Http\nl0: &l0 [\"x\", \"x\", \"x\", \"x\", \"x\", \"x\", \"x\", \"x\", \"x\", \"x\"]\n");
    for level in 1..10 {
        let previous = format!("*l{}", level - 1);
        let items = [previous.as_str(); 10].join(", ");
        text.push_str(&format!("l{level}: &l{level} [{items}]\n"));
    }
    // The expansion sits in a field the decoder ignores, so only the budget can stop it.
    text.push_str("extra: *l9\nspec:\n  req:\n    method: GET\n    url: http://a.example/\n");

    let started = std::time::Instant::now();
    let result = keploy::decode(&text, &Limits::default());
    assert!(result.is_err(), "{result:?}");
    assert!(started.elapsed().as_secs() < 10, "took {:?}", started.elapsed());
}
