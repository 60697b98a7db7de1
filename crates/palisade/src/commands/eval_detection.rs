//! `palisade eval detection`: true- and false-positive rates of the signature detector
//! per attack class and per source, over public attack corpora replayed as requests.
//!
//! Every corpus entry becomes one raw HTTP request ([`http::RawRequest`]), which is
//! turned into a trace and inspected with [`Detector::inspect`]. An attack counts as
//! detected when the request gets any finding, the way a blocking WAF is scored. A benign
//! request counts as a false positive when it gets any finding. The same requests can be
//! written out with `--export-requests` for the ModSecurity replay of
//! `scripts/modsecurity-eval.sh`, so both are measured on identical bytes.

mod corpus;
mod http;

pub use corpus::parameter_values;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use palisade_detect::{AttackClass, Confidence, DetectConfig, Detector};
use serde::Serialize;

use crate::EXIT_OK;
use crate::cli::OutputFormat;
use crate::output::{count, print_json, table};

use corpus::{SOURCES, Sample, Skipped};

/// Characters of a request shown per line with `--show-errors`.
const MAX_LISTED_PREVIEW_CHARS: usize = 160;

#[derive(Debug, Args)]
pub struct DetectionEvalArgs {
    /// Directory of the public corpora (crs/, libinjection/, gotestwaf/, httpparams/,
    /// fuzzdb/, patt/).
    #[arg(long, default_value = "../shared/corpora")]
    pub corpus: PathBuf,

    /// Only these sources (repeatable): crs, libinjection, gotestwaf, httpparams, fuzzdb,
    /// patt.
    #[arg(long = "source")]
    pub sources: Vec<String>,

    /// Lowest confidence of a finding that counts as a detection.
    #[arg(long, value_enum, default_value_t = MinConfidence::Low)]
    pub min_confidence: MinConfidence,

    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,

    /// Write every request with its labels as JSON Lines to FILE, for replaying against
    /// another WAF.
    #[arg(long, value_name = "FILE")]
    pub export_requests: Option<PathBuf>,

    /// List up to N missed attacks and N false positives per class (table format).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub show_errors: usize,

    /// Only list errors of this class with --show-errors.
    #[arg(long)]
    pub class: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MinConfidence {
    Low,
    Medium,
    High,
}

impl From<MinConfidence> for Confidence {
    fn from(value: MinConfidence) -> Self {
        match value {
            MinConfidence::Low => Confidence::Low,
            MinConfidence::Medium => Confidence::Medium,
            MinConfidence::High => Confidence::High,
        }
    }
}

/// Counts for one source and class.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Tally {
    pub attacks: usize,
    /// Attacks with any finding.
    pub detected: usize,
    /// Attacks with a finding of the labelled class.
    pub detected_same_class: usize,
    pub benign: usize,
    /// Benign requests with any finding.
    pub false_positives: usize,
}

impl Tally {
    fn true_positive_rate(&self) -> Option<f64> {
        (self.attacks > 0).then(|| self.detected as f64 / self.attacks as f64)
    }

    fn false_positive_rate(&self) -> Option<f64> {
        (self.benign > 0).then(|| self.false_positives as f64 / self.benign as f64)
    }

    fn add(&mut self, other: &Tally) {
        self.attacks += other.attacks;
        self.detected += other.detected;
        self.detected_same_class += other.detected_same_class;
        self.benign += other.benign;
        self.false_positives += other.false_positives;
    }
}

#[derive(Debug, Serialize)]
struct Report {
    note: &'static str,
    min_confidence: &'static str,
    /// Source, then class.
    by_source: BTreeMap<String, BTreeMap<String, Tally>>,
    /// Class, summed over sources.
    by_class: BTreeMap<String, Tally>,
    /// Benign requests with a finding, by the class of the finding.
    false_positives_by_finding_class: BTreeMap<String, usize>,
    skipped: BTreeMap<String, usize>,
    requests: usize,
    truncated_inspections: usize,
}

const NOTE: &str = "False-positive rates on these sets are optimistic: the benign requests are short test \
                    strings and near-misses, not a large sample of real production API traffic.";

pub fn run(args: &DetectionEvalArgs) -> Result<u8> {
    if !args.corpus.is_dir() {
        bail!("corpus directory {} not found: pass --corpus DIR with the public corpora", args.corpus.display());
    }
    for source in &args.sources {
        if !SOURCES.contains(&source.as_str()) {
            bail!("unknown source {source:?}: expected one of {}", SOURCES.join(", "));
        }
    }

    let mut samples = Vec::new();
    let mut skipped = Skipped::default();
    corpus::load(&args.corpus, &args.sources, &mut samples, &mut skipped)
        .with_context(|| format!("cannot read the corpora in {}", args.corpus.display()))?;
    if samples.is_empty() {
        bail!("no requests found in {}", args.corpus.display());
    }

    if let Some(path) = &args.export_requests {
        export(path, &samples).with_context(|| format!("cannot write {}", path.display()))?;
    }

    let config = DetectConfig { min_confidence: args.min_confidence.into(), ..DetectConfig::default() };
    let detector = Detector::new(&config).context("invalid detection settings")?;
    let report = evaluate(&detector, &samples, &skipped, args)?;

    match args.format {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Table => print_table(&report),
    }
    Ok(EXIT_OK)
}

fn evaluate(detector: &Detector, samples: &[Sample], skipped: &Skipped, args: &DetectionEvalArgs) -> Result<Report> {
    let mut by_source: BTreeMap<String, BTreeMap<String, Tally>> = BTreeMap::new();
    let mut false_positives_by_finding_class: BTreeMap<String, usize> = BTreeMap::new();
    let mut truncated_inspections = 0;
    let mut misses: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut false_alarms: BTreeMap<String, Vec<String>> = BTreeMap::new();

    for sample in samples {
        let trace = sample.request.to_trace();
        let inspection = detector.inspect(&trace);
        if inspection.truncated {
            truncated_inspections += 1;
        }
        let flagged = !inspection.findings.is_empty();
        let tally = by_source.entry(sample.source.to_string()).or_default().entry(sample.class.clone()).or_default();
        if sample.attack {
            tally.attacks += 1;
            if flagged {
                tally.detected += 1;
            }
            let same_class = AttackClass::parse(&sample.class)
                .is_some_and(|class| inspection.findings.iter().any(|finding| finding.class == class));
            if same_class {
                tally.detected_same_class += 1;
            }
            if !flagged && args.show_errors > 0 {
                let list = misses.entry(sample.class.clone()).or_default();
                if list.len() < args.show_errors {
                    list.push(format!("{} {} {}", sample.source, sample.id, preview(&sample.request)));
                }
            }
        } else {
            tally.benign += 1;
            if flagged {
                tally.false_positives += 1;
                for finding in &inspection.findings {
                    *false_positives_by_finding_class.entry(finding.class.as_str().to_string()).or_default() += 1;
                }
                if args.show_errors > 0 {
                    let list = false_alarms.entry(sample.class.clone()).or_default();
                    if list.len() < args.show_errors {
                        let finding = &inspection.findings[0];
                        list.push(format!(
                            "{} {} {} [{} at {}: {}]",
                            sample.source,
                            sample.id,
                            preview(&sample.request),
                            finding.rule_id,
                            finding.location,
                            finding.evidence
                        ));
                    }
                }
            }
        }
    }

    if args.show_errors > 0 {
        let selected = |class: &str| args.class.as_deref().is_none_or(|only| only == class);
        for (class, list) in misses.iter().filter(|(class, _)| selected(class)) {
            println!("missed {class}:");
            for line in list {
                println!("  {line}");
            }
        }
        for (class, list) in false_alarms.iter().filter(|(class, _)| selected(class)) {
            println!("false positives ({class}):");
            for line in list {
                println!("  {line}");
            }
        }
    }

    let mut by_class: BTreeMap<String, Tally> = BTreeMap::new();
    for classes in by_source.values() {
        for (class, tally) in classes {
            by_class.entry(class.clone()).or_default().add(tally);
        }
    }
    Ok(Report {
        note: NOTE,
        min_confidence: Confidence::from(args.min_confidence).as_str(),
        by_source,
        by_class,
        false_positives_by_finding_class,
        skipped: skipped.counts.clone(),
        requests: samples.len(),
        truncated_inspections,
    })
}

/// A one-line view of a request for error listings.
fn preview(request: &http::RawRequest) -> String {
    let mut text = format!("{} {}", request.method, request.target);
    if !request.body.is_empty() {
        text.push_str(" body=");
        text.push_str(&String::from_utf8_lossy(&request.body));
    }
    let text: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    match text.char_indices().nth(MAX_LISTED_PREVIEW_CHARS) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    }
}

fn percent(rate: Option<f64>) -> String {
    rate.map(|r| format!("{:.1}%", r * 100.0)).unwrap_or_else(|| "-".into())
}

fn print_table(report: &Report) {
    let mut out = table(&["SOURCE", "CLASS", "ATTACKS", "TPR", "TPR SAME CLASS", "BENIGN", "FPR"]);
    for (source, classes) in &report.by_source {
        for (class, tally) in classes {
            out.add_row(vec![
                source.clone(),
                class.clone(),
                tally.attacks.to_string(),
                percent(tally.true_positive_rate()),
                percent((tally.attacks > 0).then(|| tally.detected_same_class as f64 / tally.attacks as f64)),
                tally.benign.to_string(),
                percent(tally.false_positive_rate()),
            ]);
        }
    }
    println!("{out}");

    let mut by_class = table(&["CLASS (ALL SOURCES)", "ATTACKS", "TPR", "BENIGN", "FPR"]);
    for (class, tally) in &report.by_class {
        by_class.add_row(vec![
            class.clone(),
            tally.attacks.to_string(),
            percent(tally.true_positive_rate()),
            tally.benign.to_string(),
            percent(tally.false_positive_rate()),
        ]);
    }
    println!("{by_class}");

    println!(
        "{} requests; an attack counts as detected, and a benign request as a false positive, when it gets any \
         finding of confidence {} or higher.",
        report.requests, report.min_confidence
    );
    if !report.false_positives_by_finding_class.is_empty() {
        let listed: Vec<String> =
            report.false_positives_by_finding_class.iter().map(|(class, count)| format!("{class} {count}")).collect();
        println!("Findings on benign requests by class: {}.", listed.join(", "));
    }
    if report.truncated_inspections > 0 {
        println!("{} reached a work limit.", count(report.truncated_inspections as u64, "inspection"));
    }
    for (reason, count) in &report.skipped {
        println!("skipped {count}: {reason}");
    }
    println!("{}", report.note);
}

fn export(path: &PathBuf, samples: &[Sample]) -> Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    for sample in samples {
        let line = http::ExportedRequest {
            source: sample.source,
            class: &sample.class,
            attack: sample.attack,
            id: &sample.id,
            method: &sample.request.method,
            target: &sample.request.target,
            headers: &sample.request.headers,
            body_hex: http::to_hex(&sample.request.body),
        };
        serde_json::to_writer(&mut out, &line)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}
