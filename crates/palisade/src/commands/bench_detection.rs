//! `palisade bench detection`: signature checks per second on one thread, over the
//! parameter values of the public attack corpora, with every attack class enabled.
//!
//! Each check is one [`Detector::inspect_value`] call on a query parameter location. A
//! floor measured in the same run, percent-decoding and scanning every value once, shows
//! how much of the time the rules themselves take. `scripts/bench-detection.sh` runs this
//! command and libinjection's SQL-injection check on the same values, and prints the
//! ratio.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use palisade_detect::{DetectConfig, Detector, Location};
use serde::Serialize;

use crate::EXIT_OK;
use crate::cli::OutputFormat;
use crate::output::print_json;

/// Checks per second per core that the detector aims for with all classes enabled: the
/// rate of libinjection's SQL-injection check alone measured on this machine, about
/// 0.9 million (see `docs/benchmarks.md`).
const TARGET_CHECKS_PER_SECOND: f64 = 900_000.0;

#[derive(Debug, Args)]
pub struct DetectionBenchArgs {
    /// Directory of the public corpora whose parameter values are checked.
    #[arg(long, default_value = "../shared/corpora")]
    pub corpus: PathBuf,

    /// Measured rounds over all values after one warm-up round; the median is reported.
    #[arg(long, default_value_t = 5)]
    pub rounds: usize,

    /// Write the values, one JSON string per line, to FILE (for the libinjection
    /// baseline) and exit.
    #[arg(long, value_name = "FILE")]
    pub export_values: Option<PathBuf>,

    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

#[derive(Debug, Serialize)]
struct BenchReport {
    values: usize,
    value_bytes: usize,
    rounds: usize,
    /// Median checks per second over the measured rounds, one thread.
    checks_per_second: f64,
    /// Median rate of the floor: percent-decoding and one byte scan of each value.
    floor_per_second: f64,
    /// Values with at least one finding.
    flagged_values: usize,
    target_checks_per_second: f64,
}

pub fn run(args: &DetectionBenchArgs) -> Result<u8> {
    if args.rounds == 0 {
        bail!("invalid --rounds 0: expected at least 1");
    }
    if !args.corpus.is_dir() {
        bail!("corpus directory {} not found: pass --corpus DIR with the public corpora", args.corpus.display());
    }
    let values = crate::commands::eval_detection::parameter_values(&args.corpus)
        .with_context(|| format!("cannot read the corpora in {}", args.corpus.display()))?;
    if values.is_empty() {
        bail!("no parameter values found in {}", args.corpus.display());
    }

    if let Some(path) = &args.export_values {
        let mut out = BufWriter::new(File::create(path).with_context(|| format!("cannot create {}", path.display()))?);
        for value in &values {
            serde_json::to_writer(&mut out, value)?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
        println!("wrote {} values to {}", values.len(), path.display());
        return Ok(EXIT_OK);
    }

    let detector = Detector::new(&DetectConfig::default()).context("invalid detection settings")?;
    let location = Location::query("q");

    // Warm-up round, which also counts the values with findings.
    let flagged_values = values.iter().filter(|value| !detector.inspect_value(&location, value).is_empty()).count();

    let mut check_rates = Vec::with_capacity(args.rounds);
    let mut floor_rates = Vec::with_capacity(args.rounds);
    for _ in 0..args.rounds {
        let start = Instant::now();
        let mut findings = 0usize;
        for value in &values {
            findings += detector.inspect_value(&location, value).len();
        }
        std::hint::black_box(findings);
        check_rates.push(values.len() as f64 / start.elapsed().as_secs_f64());

        let start = Instant::now();
        let mut checksum = 0usize;
        for value in &values {
            let decoded = palisade_detect::normalize::decode(value, DetectConfig::default().limits.max_decode_rounds);
            checksum += decoded.text.bytes().filter(|b| b.is_ascii_punctuation()).count();
        }
        std::hint::black_box(checksum);
        floor_rates.push(values.len() as f64 / start.elapsed().as_secs_f64());
    }

    let report = BenchReport {
        values: values.len(),
        value_bytes: values.iter().map(String::len).sum(),
        rounds: args.rounds,
        checks_per_second: median(&mut check_rates),
        floor_per_second: median(&mut floor_rates),
        flagged_values,
        target_checks_per_second: TARGET_CHECKS_PER_SECOND,
    };
    match args.format {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Table => {
            println!(
                "{} values ({} bytes), {} rounds, one thread, every attack class enabled",
                report.values, report.value_bytes, report.rounds
            );
            println!("detector:             {:>12.0} checks/s", report.checks_per_second);
            println!(
                "floor (decode+scan): {:>12.0} values/s  (detector at {:.2}x of the floor's time)",
                report.floor_per_second,
                report.floor_per_second / report.checks_per_second
            );
            println!(
                "target:               {:>12.0} checks/s  (libinjection SQLi-only on this machine; ratio {:.2})",
                TARGET_CHECKS_PER_SECOND,
                report.checks_per_second / TARGET_CHECKS_PER_SECOND
            );
            println!("{} of {} values got a finding.", report.flagged_values, report.values);
        }
    }
    Ok(EXIT_OK)
}

fn median(rates: &mut [f64]) -> f64 {
    rates.sort_by(|a, b| a.total_cmp(b));
    rates[rates.len() / 2]
}
