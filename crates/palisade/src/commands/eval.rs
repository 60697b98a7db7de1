//! `palisade eval discovery`: measures path template discovery against OpenAPI
//! descriptions, with synthetic traffic.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use palisade_analyze::DiscoveryConfig;
use palisade_eval::discovery::{self, EvalOptions, Report, SpecResult};

use crate::EXIT_OK;
use crate::cli::OutputFormat;
use crate::output::{print_json, table};

/// Misses listed per description with `--verbose`.
const MAX_LISTED_MISSES: usize = 10;

#[derive(Debug, Args)]
pub struct EvalArgs {
    #[command(subcommand)]
    pub command: EvalCommand,
}

#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Compare discovered path templates with the paths of OpenAPI descriptions, using
    /// synthetic requests for every operation.
    Discovery(DiscoveryEvalArgs),
    /// Measure attack detection (true- and false-positive rates per class and source) on
    /// public attack corpora replayed as requests.
    Detection(crate::commands::eval_detection::DetectionEvalArgs),
    /// Measure sensitive-data classification (precision, recall and F1 per data class) on
    /// generated, labelled JSON payloads.
    Classification(crate::commands::eval_classification::ClassificationEvalArgs),
    /// Reconstruct OpenAPI descriptions from synthetic traffic and compare them with the
    /// originals: path F1, parameter recall, response field recall and type accuracy.
    Spec(crate::commands::eval_spec::SpecEvalArgs),
}

#[derive(Debug, Args)]
pub struct DiscoveryEvalArgs {
    /// Directory searched recursively for OpenAPI 3.x and Swagger 2.0 descriptions
    /// (.json, .yaml, .yml).
    #[arg(long, default_value = "../shared/corpora/specs")]
    pub specs: PathBuf,

    /// Requests generated per operation, each with fresh path parameter values.
    #[arg(long, default_value_t = discovery::DEFAULT_REQUESTS_PER_OPERATION)]
    pub requests_per_operation: usize,

    /// Seed of the value generator and of the request order.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,

    /// List up to 10 missed and 10 extra templates per description (table format).
    #[arg(long)]
    pub verbose: bool,

    /// Override `discovery.min_distinct_values` for this run.
    #[arg(long, hide = true)]
    pub min_distinct_values: Option<u64>,

    /// Override `discovery.min_singleton_share` for this run.
    #[arg(long, hide = true)]
    pub min_singleton_share: Option<f64>,

    /// Override `discovery.max_distinct_literals` for this run.
    #[arg(long, hide = true)]
    pub max_distinct_literals: Option<usize>,
}

pub fn run(args: &EvalArgs) -> Result<u8> {
    match &args.command {
        EvalCommand::Discovery(args) => run_discovery(args),
        EvalCommand::Detection(args) => crate::commands::eval_detection::run(args),
        EvalCommand::Classification(args) => crate::commands::eval_classification::run(args),
        EvalCommand::Spec(args) => crate::commands::eval_spec::run(args),
    }
}

fn run_discovery(args: &DiscoveryEvalArgs) -> Result<u8> {
    if args.requests_per_operation == 0 {
        bail!("invalid --requests-per-operation 0: expected at least 1");
    }
    if !args.specs.is_dir() {
        bail!("specs directory {} not found: pass --specs DIR with OpenAPI descriptions", args.specs.display());
    }

    let mut config = DiscoveryConfig::default();
    if let Some(value) = args.min_distinct_values {
        config.min_distinct_values = value;
    }
    if let Some(value) = args.min_singleton_share {
        config.min_singleton_share = value;
    }
    if let Some(value) = args.max_distinct_literals {
        config.max_distinct_literals = value;
    }
    let options =
        EvalOptions { requests_per_operation: args.requests_per_operation, seed: args.seed, discovery: config };

    let report = discovery::evaluate_dir(&args.specs, &options)
        .with_context(|| format!("cannot read specs directory {}", args.specs.display()))?;
    if report.specs.is_empty() {
        bail!("no OpenAPI descriptions found in {}", args.specs.display());
    }

    match args.format {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Table => print_table(&report, args.verbose),
    }
    Ok(EXIT_OK)
}

fn print_table(report: &Report, verbose: bool) {
    let mut out = table(&[
        "SPEC",
        "OPS",
        "SPEC PATHS",
        "FOUND",
        "MATCHED",
        "PRECISION",
        "RECALL",
        "F1",
        "IN-SEGMENT",
        "F1 WITHOUT",
    ]);
    for spec in &report.specs {
        out.add_row(vec![
            spec.name.clone(),
            spec.operations.to_string(),
            spec.counts.spec.to_string(),
            spec.counts.discovered.to_string(),
            spec.counts.matched.to_string(),
            format!("{:.3}", spec.scores.precision),
            format!("{:.3}", spec.scores.recall),
            format!("{:.3}", spec.scores.f1),
            spec.inside_segment.to_string(),
            format!("{:.3}", spec.scores_without_inside_segment.f1),
        ]);
    }
    for (label, summary) in [
        ("overall (micro)", &report.overall),
        ("overall without in-segment (micro)", &report.overall_without_inside_segment),
    ] {
        out.add_row(vec![
            label.to_string(),
            String::new(),
            summary.counts.spec.to_string(),
            summary.counts.discovered.to_string(),
            summary.counts.matched.to_string(),
            format!("{:.3}", summary.micro.precision),
            format!("{:.3}", summary.micro.recall),
            format!("{:.3}", summary.micro.f1),
            String::new(),
            String::new(),
        ]);
    }
    println!("{out}");

    let overall = &report.overall;
    let without = &report.overall_without_inside_segment;
    println!(
        "Overall F1: {:.3} micro, {:.3} macro over {} descriptions (target: 0.95). Without paths that have a \
         parameter inside a segment: {:.3} micro, {:.3} macro.",
        overall.micro.f1,
        overall.macro_average.f1,
        report.specs.len(),
        without.micro.f1,
        without.macro_average.f1,
    );
    println!(
        "{} requests per operation, seed {}; min_distinct_values {}, min_singleton_share {}, max_distinct_literals {}.",
        report.options.requests_per_operation,
        report.options.seed,
        report.options.discovery.min_distinct_values,
        report.options.discovery.min_singleton_share,
        report.options.discovery.max_distinct_literals,
    );
    let not_recorded: usize = report.specs.iter().map(|s| s.not_recorded + s.invalid).sum();
    if not_recorded > 0 {
        println!("{not_recorded} synthetic requests were not recorded by the pipeline (limits or invalid paths).");
    }
    for skipped in &report.skipped {
        println!("skipped {}: {}", skipped.file, skipped.reason);
    }

    if verbose {
        for spec in &report.specs {
            print_misses(spec);
        }
    }
}

fn print_misses(spec: &SpecResult) {
    if spec.false_negatives.is_empty() && spec.false_positives.is_empty() {
        return;
    }
    println!("\n{} ({}, base path {:?})", spec.name, spec.host, spec.base_path);
    for miss in spec.false_negatives.iter().take(MAX_LISTED_MISSES) {
        println!("  missed     {}  <- recorded as {}", miss.template, miss.related.join(", "));
    }
    if spec.false_negatives.len() > MAX_LISTED_MISSES {
        println!("  ... and {} more missed", spec.false_negatives.len() - MAX_LISTED_MISSES);
    }
    for miss in spec.false_positives.iter().take(MAX_LISTED_MISSES) {
        println!("  extra      {}  <- from {}", miss.template, miss.related.join(", "));
    }
    if spec.false_positives.len() > MAX_LISTED_MISSES {
        println!("  ... and {} more extra", spec.false_positives.len() - MAX_LISTED_MISSES);
    }
}
