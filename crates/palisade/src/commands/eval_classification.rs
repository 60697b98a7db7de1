//! `palisade eval classification`: precision, recall and F1 of every data class on a
//! generated, labelled set of JSON API payloads.
//!
//! The set contains valid values of every built-in class under realistic keys (and, where
//! the value identifies itself, under neutral keys), look-alikes that must not match,
//! and filler. `--export FILE` writes it as JSON Lines with labels and Palisade's
//! classes, which `scripts/eval-classification-presidio.sh` scores Microsoft Presidio on.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use palisade_classify::{Classifier, ClassifyConfig, check, synth};
use serde::{Deserialize, Serialize};

use crate::EXIT_OK;
use crate::cli::OutputFormat;
use crate::output::{print_json, table};

/// F1 each class aims for.
const TARGET_F1: f64 = 0.95;
/// Misses listed with `--verbose`.
const MAX_LISTED_MISSES: usize = 40;

#[derive(Debug, Args)]
pub struct ClassificationEvalArgs {
    /// Seed of the payload generator.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Payloads generated; each has 4 to 9 fields.
    #[arg(long, default_value_t = 20_000)]
    pub payloads: usize,

    /// ISO 13616 IBAN registry as JSON (country code to `bban_spec` and `iban_length`).
    /// When the file exists, half of the IBANs follow its formats for every country, and
    /// countries whose length differs from Palisade's table are reported.
    #[arg(long, default_value = "../shared/corpora/pii/iban-registry.json")]
    pub iban_registry: PathBuf,

    /// Write the labelled payloads as JSON Lines to FILE: `text`, and per field `path`,
    /// character `start` and `end`, `labels` and Palisade's classes (`palisade`).
    #[arg(long, value_name = "FILE")]
    pub export: Option<PathBuf>,

    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,

    /// List up to 40 misclassified fields (table format).
    #[arg(long)]
    pub verbose: bool,
}

/// A country code and its BBAN format, such as `("DE", "8!n10!n")`.
type IbanSpec = (String, String);

/// One country of the IBAN registry file.
#[derive(Debug, Deserialize)]
struct RegistryCountry {
    bban_spec: String,
    iban_length: usize,
}

/// A country whose IBAN length in the registry differs from Palisade's table.
#[derive(Debug, Serialize)]
struct LengthMismatch {
    country: String,
    registry: usize,
    palisade: Option<usize>,
}

#[derive(Debug, Serialize)]
struct Report<'a> {
    #[serde(flatten)]
    evaluation: &'a synth::Evaluation,
    target_f1: f64,
    /// Classes whose F1 is below the target.
    below_target: Vec<&'a str>,
    iban_registry_countries: usize,
    iban_length_mismatches: Vec<LengthMismatch>,
}

pub fn run(args: &ClassificationEvalArgs) -> Result<u8> {
    if args.payloads == 0 {
        bail!("invalid --payloads 0: expected at least 1");
    }
    let classifier = Classifier::new(&ClassifyConfig::default()).context("cannot compile the built-in data classes")?;

    let (iban_specs, mismatches) = read_iban_registry(&args.iban_registry)?;
    let dataset = synth::generate_with_ibans(args.seed, args.payloads, &iban_specs);
    let evaluation = synth::evaluate(&classifier, &dataset);

    if let Some(path) = &args.export {
        export(path, &dataset, &evaluation).with_context(|| format!("cannot write {}", path.display()))?;
    }

    let below_target: Vec<&str> =
        evaluation.classes.iter().filter(|c| c.scores.f1 < TARGET_F1).map(|c| c.class.as_str()).collect();
    let report = Report {
        evaluation: &evaluation,
        target_f1: TARGET_F1,
        below_target,
        iban_registry_countries: iban_specs.len(),
        iban_length_mismatches: mismatches,
    };
    match args.format {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Table => print_table(&report, &dataset, args),
    }
    Ok(EXIT_OK)
}

/// Reads the registry when the file exists: BBAN formats for the generator, and the
/// countries whose length disagrees with [`check::iban_length`].
fn read_iban_registry(path: &Path) -> Result<(Vec<IbanSpec>, Vec<LengthMismatch>)> {
    if !path.exists() {
        return Ok((Vec::new(), Vec::new()));
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let registry: BTreeMap<String, RegistryCountry> =
        serde_json::from_str(&text).with_context(|| format!("invalid IBAN registry {}", path.display()))?;

    let mut specs = Vec::new();
    let mut mismatches = Vec::new();
    for (country, entry) in registry {
        let palisade = check::iban_length(&country);
        if palisade != Some(entry.iban_length) {
            mismatches.push(LengthMismatch { country: country.clone(), registry: entry.iban_length, palisade });
        }
        specs.push((country, entry.bban_spec));
    }
    Ok((specs, mismatches))
}

fn export(path: &Path, dataset: &synth::Dataset, evaluation: &synth::Evaluation) -> Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    for line in synth::export_lines(dataset, evaluation) {
        serde_json::to_writer(&mut out, &line)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

fn print_table(report: &Report<'_>, dataset: &synth::Dataset, args: &ClassificationEvalArgs) {
    let evaluation = report.evaluation;
    let mut out = table(&["CLASS", "SUPPORT", "NEUTRAL KEY", "TP", "FP", "FN", "PRECISION", "RECALL", "F1"]);
    for class in &evaluation.classes {
        out.add_row(vec![
            class.class.clone(),
            class.support.to_string(),
            class.neutral_key_support.to_string(),
            class.true_positives.to_string(),
            class.false_positives.to_string(),
            class.false_negatives.to_string(),
            format!("{:.3}", class.scores.precision),
            format!("{:.3}", class.scores.recall),
            format!("{:.3}", class.scores.f1),
        ]);
    }
    println!("{out}");

    println!(
        "{} payloads ({} bytes), {} fields: {} labelled, {} look-alikes, {} under neutral keys; seed {}.",
        evaluation.payloads,
        dataset.bytes(),
        evaluation.fields,
        evaluation.positive_fields,
        evaluation.look_alike_fields,
        evaluation.neutral_key_fields,
        evaluation.seed,
    );
    println!(
        "Micro precision {:.4}, recall {:.4}, F1 {:.4}; macro F1 {:.4}; lowest class F1 {:.4} (target {TARGET_F1} per class).",
        evaluation.micro.precision,
        evaluation.micro.recall,
        evaluation.micro.f1,
        evaluation.macro_f1,
        evaluation.min_f1,
    );
    println!(
        "Look-alikes reported as any class: {} of {}.",
        evaluation.look_alike_false_positives, evaluation.look_alike_fields
    );
    if report.below_target.is_empty() {
        println!("Every class meets the target.");
    } else {
        println!("Below target: {}.", report.below_target.join(", "));
    }
    if report.iban_registry_countries > 0 {
        println!(
            "IBAN registry: {} countries, {} length mismatches with Palisade's table{}",
            report.iban_registry_countries,
            report.iban_length_mismatches.len(),
            if report.iban_length_mismatches.is_empty() { "." } else { ":" },
        );
        for mismatch in &report.iban_length_mismatches {
            println!("  {} registry {} palisade {:?}", mismatch.country, mismatch.registry, mismatch.palisade);
        }
    } else {
        println!("IBAN registry {} not found: IBANs use the built-in formats only.", args.iban_registry.display());
    }
    if args.verbose {
        for miss in evaluation.misses.iter().take(MAX_LISTED_MISSES) {
            println!("  {:15} {:24} {} = {:?} found {:?}", miss.kind, miss.class, miss.path, miss.value, miss.found);
        }
    }
}
