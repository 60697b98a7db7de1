//! `palisade bench classification`: sensitive-data classification throughput on one
//! thread, in MB of JSON payload per CPU-second.
//!
//! Each round parses every generated payload with serde_json, walks it, and classifies
//! every string and number with its field path, as the pipeline does. A floor measured in
//! the same run, parsing and walking without classifying, shows how much of the time the
//! classifier takes. Time is the thread's CPU time, so other processes on a shared
//! machine slow the wall clock but not the figure. `scripts/bench-classification.sh`
//! runs this command and Microsoft Presidio on the same payload texts, and prints the
//! ratio.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use palisade_classify::{ClassMatch, Classifier, ClassifyConfig, synth};
use serde::Serialize;

use crate::EXIT_OK;
use crate::cli::OutputFormat;
use crate::output::print_json;

/// How many times Presidio's throughput (pattern recognizers only) the classifier aims
/// for.
const TARGET_RATIO_TO_PRESIDIO: f64 = 200.0;

#[derive(Debug, Args)]
pub struct ClassificationBenchArgs {
    /// Seed of the payload generator.
    #[arg(long, default_value_t = 2)]
    pub seed: u64,

    /// Payloads generated.
    #[arg(long, default_value_t = 20_000)]
    pub payloads: usize,

    /// Measured rounds over all payloads after one warm-up round; the median is reported.
    #[arg(long, default_value_t = 5)]
    pub rounds: usize,

    /// Write the payload texts, one JSON string per line, to FILE (for the Presidio
    /// baseline) and exit.
    #[arg(long, value_name = "FILE")]
    pub export_texts: Option<PathBuf>,

    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

#[derive(Debug, Serialize)]
struct BenchReport {
    payloads: usize,
    payload_bytes: usize,
    values_per_round: usize,
    rounds: usize,
    /// Median MB (10^6 bytes) of payload per CPU-second: parse, walk and classify.
    mb_per_cpu_second: f64,
    /// Median MB per wall-clock second, for comparison.
    mb_per_wall_second: f64,
    /// Median MB per CPU-second of the floor: parse and walk only.
    floor_mb_per_cpu_second: f64,
    /// Values with at least one class, per round.
    classified_values: usize,
    target_ratio_to_presidio: f64,
    /// Clock behind the CPU-time figures: `thread` (per-thread scheduler statistics) or
    /// `wall`.
    clock: &'static str,
}

pub fn run(args: &ClassificationBenchArgs) -> Result<u8> {
    if args.payloads == 0 || args.rounds == 0 {
        bail!("invalid --payloads or --rounds 0: expected at least 1");
    }
    let dataset = synth::generate(args.seed, args.payloads);

    if let Some(path) = &args.export_texts {
        let mut out = BufWriter::new(File::create(path).with_context(|| format!("cannot create {}", path.display()))?);
        for payload in &dataset.payloads {
            serde_json::to_writer(&mut out, &payload.text)?;
            out.write_all(b"\n")?;
        }
        out.flush().with_context(|| format!("cannot write {}", path.display()))?;
        return Ok(EXIT_OK);
    }

    let classifier = Classifier::new(&ClassifyConfig::default()).context("cannot compile the built-in data classes")?;
    let bytes = dataset.bytes();
    let mut matches: Vec<ClassMatch> = Vec::new();

    // One warm-up round fills the regex caches and the phone metadata.
    let (values, classified) = classify_round(&classifier, &dataset, &mut matches);

    let mut cpu_rates = Vec::with_capacity(args.rounds);
    let mut wall_rates = Vec::with_capacity(args.rounds);
    let mut floor_rates = Vec::with_capacity(args.rounds);
    for _ in 0..args.rounds {
        let (cpu, wall) = timed(|| {
            classify_round(&classifier, &dataset, &mut matches);
        });
        cpu_rates.push(bytes as f64 / cpu / 1e6);
        wall_rates.push(bytes as f64 / wall / 1e6);
        let (floor_cpu, _) = timed(|| walk_round(&dataset));
        floor_rates.push(bytes as f64 / floor_cpu / 1e6);
    }

    let report = BenchReport {
        payloads: dataset.payloads.len(),
        payload_bytes: bytes,
        values_per_round: values,
        rounds: args.rounds,
        mb_per_cpu_second: median(&mut cpu_rates),
        mb_per_wall_second: median(&mut wall_rates),
        floor_mb_per_cpu_second: median(&mut floor_rates),
        classified_values: classified,
        target_ratio_to_presidio: TARGET_RATIO_TO_PRESIDIO,
        clock: if thread_cpu_ns().is_some() { "thread" } else { "wall" },
    };
    match args.format {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Table => {
            println!(
                "classification: {:.1} MB/s per core (CPU time; {:.1} MB/s wall), floor parse+walk {:.1} MB/s per core",
                report.mb_per_cpu_second, report.mb_per_wall_second, report.floor_mb_per_cpu_second
            );
            println!(
                "{} payloads, {} bytes, {} values per round ({} classified), median of {} rounds, seed {}; \
                 target: {}x Presidio (scripts/bench-classification.sh)",
                report.payloads,
                report.payload_bytes,
                report.values_per_round,
                report.classified_values,
                report.rounds,
                args.seed,
                TARGET_RATIO_TO_PRESIDIO,
            );
        }
    }
    Ok(EXIT_OK)
}

/// Parses, walks and classifies every payload; returns the values seen and the values
/// with at least one class.
fn classify_round(classifier: &Classifier, dataset: &synth::Dataset, matches: &mut Vec<ClassMatch>) -> (usize, usize) {
    let mut values = 0;
    let mut classified = 0;
    for payload in &dataset.payloads {
        let Ok(json) = serde_json::from_str::<serde_json::Value>(&payload.text) else {
            continue;
        };
        synth::walk_values(&json, &mut |path, text, _| {
            matches.clear();
            classifier.classify(payload.section, path, text, matches);
            values += 1;
            classified += usize::from(!matches.is_empty());
        });
    }
    (values, classified)
}

fn walk_round(dataset: &synth::Dataset) {
    let mut values = 0usize;
    for payload in &dataset.payloads {
        if let Ok(json) = serde_json::from_str::<serde_json::Value>(&payload.text) {
            synth::walk_values(&json, &mut |_, text, _| values += text.len());
        }
    }
    std::hint::black_box(values);
}

/// Runs `f` and returns its CPU time (the thread's, or wall time where the kernel does
/// not report it) and its wall time, in seconds.
fn timed(f: impl FnOnce()) -> (f64, f64) {
    let cpu_start = thread_cpu_ns();
    let wall_start = Instant::now();
    f();
    let wall = wall_start.elapsed().as_secs_f64();
    let cpu = match (cpu_start, thread_cpu_ns()) {
        (Some(start), Some(end)) if end > start => (end - start) as f64 / 1e9,
        _ => wall,
    };
    (cpu, wall)
}

/// Nanoseconds the current thread has run on a CPU, from Linux's
/// `/proc/thread-self/schedstat` (first field).
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
