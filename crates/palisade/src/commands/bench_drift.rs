//! `palisade bench drift`: drift validation throughput on one thread, in traces per
//! second, against large real descriptions.
//!
//! For each description: synthetic traces that conform to it (request and response
//! bodies generated from the schemas, one trace per operation in turn), then in each
//! round every trace is matched to its operation and validated. A floor measured in the
//! same run parses the same request and response bodies with serde_json, which
//! validation must do anyway, so the ratio shows what matching and schema checks add.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use palisade_core::Trace;
use palisade_openapi::synth::{SynthOptions, Synthesizer};
use palisade_openapi::{ApiSpec, ImportSettings, import_file, validate};
use serde_json::Value;

use crate::EXIT_OK;

/// Start time of the first synthetic trace (2024-01-01T00:00:00Z).
const FIRST_TRACE_MS: i64 = 1_704_067_200_000;

#[derive(Debug, Args)]
pub struct DriftBenchArgs {
    /// Descriptions to validate against.
    #[arg(
        long,
        num_args = 1..,
        default_values = ["../shared/corpora/specs/github-api.json", "../shared/corpora/specs/stripe-spec3-2023-08-16.yaml"]
    )]
    pub specs: Vec<PathBuf>,

    /// Synthetic traces per description.
    #[arg(long, default_value_t = 20_000)]
    pub traces: usize,

    /// Seed of the trace generator.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Measured rounds after one warm-up round; the median is reported.
    #[arg(long, default_value_t = 5)]
    pub rounds: usize,
}

pub fn run(args: &DriftBenchArgs) -> Result<u8> {
    if args.traces == 0 || args.rounds == 0 {
        bail!("invalid --traces or --rounds 0: expected at least 1");
    }
    if cfg!(debug_assertions) {
        eprintln!("warning: this is a debug build; measure with `cargo run --release -p palisade -- bench drift`");
    }
    for path in &args.specs {
        bench_one(path, args)?;
    }
    Ok(EXIT_OK)
}

fn bench_one(path: &Path, args: &DriftBenchArgs) -> Result<()> {
    let started = Instant::now();
    let spec = import_file(path, &ImportSettings::default())
        .with_context(|| format!("invalid description {}", path.display()))?;
    let import_secs = started.elapsed().as_secs_f64();
    if spec.operations.is_empty() {
        bail!("description {} has no operations", path.display());
    }
    let traces = generate(&spec, args.traces, args.seed);
    let body_bytes: usize = traces.iter().map(body_len).sum();
    println!(
        "{}: {} operations, imported in {import_secs:.2} s; {} traces, {:.1} MB of bodies",
        path.display(),
        spec.operations.len(),
        traces.len(),
        body_bytes as f64 / 1e6
    );

    // Conformance of the synthetic traffic, from one untimed pass.
    let mut unmatched = 0;
    let mut conforming = 0;
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for trace in &traces {
        let request = &trace.request;
        let Some(operation) = spec.match_operation(&request.method, &request.host, &request.path) else {
            unmatched += 1;
            continue;
        };
        let violations = validate(operation, trace);
        if violations.is_empty() {
            conforming += 1;
        }
        for violation in violations {
            *kinds.entry(violation.kind.as_str()).or_default() += 1;
        }
    }
    println!(
        "  synthetic traffic: {:.1}% of traces conform, {unmatched} not matched to an operation; violations by kind: {kinds:?}",
        100.0 * conforming as f64 / traces.len() as f64
    );

    let floor = median_secs(args.rounds, || {
        let mut values = 0usize;
        for trace in &traces {
            values += parse_bodies(trace);
        }
        values
    });
    let validation = median_secs(args.rounds, || {
        let mut found = 0usize;
        for trace in &traces {
            let request = &trace.request;
            if let Some(operation) = spec.match_operation(&request.method, &request.host, &request.path) {
                found += validate(operation, trace).len();
            }
        }
        found
    });

    let rate = traces.len() as f64 / validation;
    let floor_rate = traces.len() as f64 / floor;
    println!("  floor (serde_json::from_slice::<Value> of both bodies): median {floor:.3} s, {floor_rate:.0} traces/s");
    println!("  match + validate: median {validation:.3} s, {rate:.0} traces/s per core");
    println!("  ratio: validation takes {:.2}x the floor's time", validation / floor);
    Ok(())
}

/// Synthetic traces cycling through the operations, with path values generated from
/// parameter schemas.
fn generate(spec: &ApiSpec, count: usize, seed: u64) -> Vec<Trace> {
    let options = SynthOptions::default();
    let mut synthesizer = Synthesizer::new(spec.document(), seed, options);
    let host = spec.hosts.first().cloned().unwrap_or_else(|| "api.example.com".to_string());
    let base = spec.base_paths.first().cloned().unwrap_or_default();
    let empty = BTreeMap::new();
    (0..count)
        .map(|index| {
            let operation = &spec.operations[index % spec.operations.len()];
            synthesizer.trace(operation, &host, &base, &empty, FIRST_TRACE_MS + index as i64)
        })
        .collect()
}

fn body_len(trace: &Trace) -> usize {
    trace.request.body.bytes.len() + trace.response.as_ref().map_or(0, |r| r.body.bytes.len())
}

fn parse_bodies(trace: &Trace) -> usize {
    let mut parsed = 0;
    let response = trace.response.as_ref().map(|r| &r.body.bytes);
    for bytes in [Some(&trace.request.body.bytes), response].into_iter().flatten() {
        if !bytes.is_empty() && serde_json::from_slice::<Value>(bytes).is_ok() {
            parsed += 1;
        }
    }
    parsed
}

/// Runs `work` once to warm up, then `rounds` times, and returns the median seconds.
fn median_secs(rounds: usize, mut work: impl FnMut() -> usize) -> f64 {
    std::hint::black_box(work());
    let mut times: Vec<f64> = (0..rounds)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(work());
            started.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}
