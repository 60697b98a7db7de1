//! `palisade bench pipeline` and `palisade bench ingest`: throughput over a synthetic,
//! deterministic traffic corpus, with targets and in-run baselines printed next to the
//! measurements.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use palisade_analyze::PipelineConfig;
use palisade_core::access::Role;
use palisade_eval::bench::run_pipeline_bench;
use palisade_eval::corpus;
use palisade_server::{Config, DataDir};

use crate::EXIT_OK;

/// Pipeline traces per second per core that the product aims for.
const TARGET_PIPELINE_PER_CORE: f64 = 100_000.0;
/// Maximum accepted ratio of pipeline time to JSON-parsing floor time.
const TARGET_RATIO: f64 = 1.5;
/// Traces per second through the HTTP collector that the product aims for on a 2-core
/// machine.
const TARGET_INGEST: f64 = 50_000.0;
/// Interval between two reads of `/metrics` while waiting for the pipeline.
const METRICS_POLL: Duration = Duration::from_millis(20);
/// Maximum wait for the pipeline to apply accepted traces.
const APPLY_TIMEOUT: Duration = Duration::from_secs(600);
/// Maximum attempts to send one batch while the server responds with 429.
const MAX_SEND_ATTEMPTS: u32 = 100;

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub command: BenchCommand,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Time the pipeline on one thread against parsing every JSON body of the corpus.
    Pipeline(PipelineBenchArgs),
    /// Time ingest through an in-process server: HTTP accept rate and pipeline apply rate.
    Ingest(IngestBenchArgs),
    /// Time signature detection on one thread over the corpora's parameter values.
    Detection(crate::commands::bench_detection::DetectionBenchArgs),
    /// Time `palisade test run` on a 1,000-step suite against a plain loop of the same
    /// requests with the same HTTP client.
    Tests(crate::commands::bench_tests::TestsBenchArgs),
    /// Time sensitive-data classification on one thread over generated JSON payloads
    /// against parsing and walking the same payloads.
    Classification(crate::commands::bench_classification::ClassificationBenchArgs),
    /// Time drift validation on one thread: synthetic traces that conform to the GitHub
    /// and Stripe descriptions, validated against their operations.
    Drift(crate::commands::bench_drift::DriftBenchArgs),
}

#[derive(Debug, Args)]
pub struct PipelineBenchArgs {
    /// Traces in the generated corpus.
    #[arg(long, default_value_t = 100_000)]
    pub traces: usize,
    /// Seed of the corpus generator.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Measured rounds after one warm-up round. The median is reported.
    #[arg(long, default_value_t = 5)]
    pub rounds: usize,
    /// Pipeline stages to run: `inventory` (host rules, discovery, field learning and
    /// sampling, the slice the targets are defined on) or `all` (also sensitive-data
    /// classification, signature and behaviour detection and alerts, with the default
    /// configuration, as `serve` runs them).
    #[arg(long, value_enum, default_value_t = Stages::Inventory)]
    pub stages: Stages,
}

/// Set of stages that `bench pipeline` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Stages {
    Inventory,
    All,
}

#[derive(Debug, Args)]
pub struct IngestBenchArgs {
    /// Traces in the generated corpus.
    #[arg(long, default_value_t = 100_000)]
    pub traces: usize,
    /// Seed of the corpus generator.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Traces per HTTP request.
    #[arg(long, default_value_t = 100)]
    pub batch_size: usize,
    /// Concurrent HTTP connections sending batches.
    #[arg(long, default_value_t = 4)]
    pub connections: usize,
}

pub fn run(args: &BenchArgs) -> Result<u8> {
    match &args.command {
        BenchCommand::Pipeline(args) => bench_pipeline(args),
        BenchCommand::Ingest(args) => bench_ingest(args),
        BenchCommand::Detection(args) => crate::commands::bench_detection::run(args),
        BenchCommand::Tests(args) => crate::commands::bench_tests::run(args),
        BenchCommand::Classification(args) => crate::commands::bench_classification::run(args),
        BenchCommand::Drift(args) => crate::commands::bench_drift::run(args),
    }
}

fn check_build() {
    if cfg!(debug_assertions) {
        eprintln!("warning: this is a debug build; measure with `cargo run --release -p palisade -- bench ...`");
    }
}

fn bench_pipeline(args: &PipelineBenchArgs) -> Result<u8> {
    if args.traces == 0 {
        bail!("invalid --traces 0: expected at least 1");
    }
    check_build();
    let traces = corpus::generate(args.traces, args.seed);
    println!(
        "Corpus: {} traces, seed {}, median trace size {} bytes (request line, headers and bodies of both sides).",
        traces.len(),
        args.seed,
        corpus::median_size(&traces)
    );

    let config = match args.stages {
        Stages::Inventory => PipelineConfig::default(),
        // A fixed key: actor ids only need to be stable within the run.
        Stages::All => Config::default().pipeline(&[7; 32]).context("cannot build the default pipeline")?,
    };
    let result = run_pipeline_bench(&traces, args.rounds, &config);
    let floor_rate = result.floor.per_second(result.traces);
    let pipeline_rate = result.pipeline.per_second(result.traces);
    println!(
        "Floor: serde_json::from_slice::<Value> over {} JSON bodies ({:.1} MB): median {:.3} s, best {:.3} s, \
         {:.0} traces/s",
        result.json_bodies,
        result.json_bytes as f64 / 1e6,
        result.floor.median_secs,
        result.floor.best_secs,
        floor_rate
    );
    // The targets are defined on the inventory stages. With every stage on, the run shows
    // what the other stages add.
    let (stages, rate_target, ratio_target) = match args.stages {
        Stages::Inventory => {
            ("inventory", format!(" (target >= {TARGET_PIPELINE_PER_CORE:.0})"), format!(" (target <= {TARGET_RATIO})"))
        }
        Stages::All => ("all", String::new(), " (the targets apply to --stages inventory)".to_string()),
    };
    println!(
        "Pipeline ({stages} stages): process() on one thread, take_delta() every {} traces: median {:.3} s, \
         best {:.3} s, {:.0} traces/s per core{rate_target}; {} endpoints",
        palisade_eval::bench::DELTA_EVERY,
        result.pipeline.median_secs,
        result.pipeline.best_secs,
        pipeline_rate,
        result.endpoints
    );
    println!(
        "Ratio pipeline/floor: {:.2}{ratio_target}; {} measured rounds after one warm-up.",
        result.ratio(),
        result.floor.rounds_secs.len()
    );
    Ok(EXIT_OK)
}

fn bench_ingest(args: &IngestBenchArgs) -> Result<u8> {
    if args.traces == 0 || args.batch_size == 0 || args.connections == 0 {
        bail!("invalid arguments: --traces, --batch-size and --connections must be at least 1");
    }
    check_build();

    // Generate and encode everything before the clock starts, so the rates measure the
    // server and the HTTP client only.
    let traces = corpus::generate(args.traces, args.seed);
    let median = corpus::median_size(&traces);
    let batches: Vec<(usize, Vec<u8>)> = traces
        .chunks(args.batch_size)
        .map(|chunk| {
            let encoded: Vec<serde_json::Value> = chunk.iter().map(palisade_ingest::native::encode).collect();
            let body = serde_json::to_vec(&encoded).expect("a serde_json::Value always serialises");
            (chunk.len(), body)
        })
        .collect();
    let payload_bytes: usize = batches.iter().map(|(_, body)| body.len()).sum();
    drop(traces);
    let baseline_hwm = peak_memory_kib();
    println!(
        "Corpus: {} traces, seed {}, median trace size {median} bytes; {} requests of up to {} traces, {:.1} MB of JSON.",
        args.traces,
        args.seed,
        batches.len(),
        args.batch_size,
        payload_bytes as f64 / 1e6
    );

    let data = tempfile::tempdir().context("cannot create a temporary data directory")?;
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the runtime")?;
    let outcome = runtime.block_on(run_ingest(data.path(), batches, args.connections))?;

    let accepted_rate = outcome.accepted as f64 / outcome.accept_secs;
    let applied_rate = outcome.applied as f64 / outcome.apply_secs;
    println!(
        "Accepted: {} traces in {:.2} s with --connections {}: {:.0} traces/s at the HTTP level \
         ({} answers 429 retried).",
        outcome.accepted, outcome.accept_secs, args.connections, accepted_rate, outcome.retries
    );
    println!(
        "Applied: {} traces recorded by the pipeline {:.2} s after the first request: {:.0} traces/s \
         end to end (target >= {TARGET_INGEST:.0}).",
        outcome.applied, outcome.apply_secs, applied_rate
    );
    println!(
        "Peak memory (VmHWM): {} MiB for the whole process; the peak was {} MiB before the server started, \
         while the corpus was generated and encoded.",
        peak_memory_kib().unwrap_or(0) / 1024,
        baseline_hwm.unwrap_or(0) / 1024
    );
    println!(
        "NOTE: client, server, journal writer and pipeline share this process and its {} cores, so these rates \
         are lower bounds for a server with its own machine.",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    Ok(EXIT_OK)
}

struct IngestOutcome {
    accepted: u64,
    applied: u64,
    accept_secs: f64,
    apply_secs: f64,
    retries: u64,
}

async fn run_ingest(
    data_path: &std::path::Path,
    batches: Vec<(usize, Vec<u8>)>,
    connections: usize,
) -> Result<IngestOutcome> {
    let mut config = Config::default();
    config.server.listen = ([127, 0, 0, 1], 0).into();
    let data_dir = DataDir::open(data_path, true)?;
    let server = palisade_server::start(config, data_dir).await?;
    let key_for =
        |role: Role| server.first_run_keys.iter().find(|(key, _)| key.role == role).map(|(_, secret)| secret.clone());
    let ingest_key = key_for(Role::Ingest).context("the new data directory has no ingest key")?;
    let admin_key = key_for(Role::Admin).context("the new data directory has no admin token")?;
    let base = format!("http://{}", server.local_addr);
    let client = reqwest::Client::builder().timeout(Duration::from_secs(120)).build()?;

    let started = Instant::now();
    let batches = Arc::new(batches);
    let next = Arc::new(AtomicUsize::new(0));
    let mut senders = Vec::with_capacity(connections);
    for _ in 0..connections {
        let sender = Sender {
            client: client.clone(),
            url: format!("{base}/api/v1/traces"),
            key: ingest_key.clone(),
            batches: batches.clone(),
            next: next.clone(),
        };
        senders.push(tokio::spawn(sender.run()));
    }
    let mut accepted = 0u64;
    let mut retries = 0u64;
    for sender in senders {
        let (sent, retried) = sender.await.context("sender task failed")??;
        accepted += sent;
        retries += retried;
    }
    let accept_secs = started.elapsed().as_secs_f64();

    let applied = wait_until_applied(&client, &base, &admin_key, accepted).await?;
    let apply_secs = started.elapsed().as_secs_f64();

    server.shutdown().await?;
    Ok(IngestOutcome { accepted, applied, accept_secs, apply_secs, retries })
}

/// Runs one connection's loop, which takes the next batch until none is left.
struct Sender {
    client: reqwest::Client,
    url: String,
    key: String,
    batches: Arc<Vec<(usize, Vec<u8>)>>,
    next: Arc<AtomicUsize>,
}

impl Sender {
    /// Returns the traces the server accepted and the number of 429 responses retried.
    async fn run(self) -> Result<(u64, u64)> {
        let mut accepted = 0u64;
        let mut retries = 0u64;
        loop {
            let index = self.next.fetch_add(1, Ordering::Relaxed);
            let Some((count, body)) = self.batches.get(index) else {
                return Ok((accepted, retries));
            };
            let mut attempt = 0;
            loop {
                attempt += 1;
                let response = self
                    .client
                    .post(&self.url)
                    .header("authorization", format!("Bearer {}", self.key))
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .with_context(|| format!("cannot send a batch to {}", self.url))?;
                let status = response.status();
                if status.is_success() {
                    let text = response.text().await.unwrap_or_default();
                    accepted += accepted_count(&text).unwrap_or(*count as u64);
                    break;
                }
                if status.as_u16() == 429 && attempt < MAX_SEND_ATTEMPTS {
                    retries += 1;
                    let seconds = response
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<u64>().ok())
                        .unwrap_or(1);
                    tokio::time::sleep(Duration::from_secs(seconds)).await;
                    continue;
                }
                let text = response.text().await.unwrap_or_default();
                bail!("server at {} responded with {status}: {}", self.url, text.trim());
            }
        }
    }
}

/// Reads the `accepted` count from a collector response body.
fn accepted_count(answer: &str) -> Option<u64> {
    let value: serde_json::Value = serde_json::from_str(answer).ok()?;
    value.get("accepted")?.as_u64()
}

/// Polls `/metrics` until the pipeline has recorded `expected` traces and nothing is
/// queued. Returns the traces recorded.
async fn wait_until_applied(client: &reqwest::Client, base: &str, admin_key: &str, expected: u64) -> Result<u64> {
    let deadline = Instant::now() + APPLY_TIMEOUT;
    loop {
        let text = client
            .get(format!("{base}/metrics"))
            .header("authorization", format!("Bearer {admin_key}"))
            .send()
            .await
            .context("cannot read /metrics")?
            .text()
            .await
            .context("cannot read /metrics")?;
        let queued = metric(&text, "palisade_queued_traces").unwrap_or(u64::MAX);
        let processed = metric(&text, "palisade_traces_processed_total").unwrap_or(0);
        let skipped: u64 = text
            .lines()
            .filter(|line| line.starts_with("palisade_traces_skipped_total"))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
            .sum();
        if queued == 0 && processed + skipped >= expected {
            return Ok(processed);
        }
        if Instant::now() > deadline {
            bail!("timed out after {APPLY_TIMEOUT:?}: {processed} of {expected} traces applied, {queued} queued");
        }
        tokio::time::sleep(METRICS_POLL).await;
    }
}

/// Reads the value of an unlabelled metric from Prometheus text.
fn metric(text: &str, name: &str) -> Option<u64> {
    text.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

/// Reads the peak resident memory of this process (`VmHWM` in /proc/self/status), in KiB.
/// Returns `None` where /proc is not available.
fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_reads_unlabelled_values() {
        let text =
            "# TYPE palisade_queued_traces gauge\npalisade_queued_traces 0\npalisade_traces_processed_total 42\n";
        assert_eq!(metric(text, "palisade_queued_traces"), Some(0));
        assert_eq!(metric(text, "palisade_traces_processed_total"), Some(42));
        assert_eq!(metric(text, "palisade_missing"), None);
    }

    #[test]
    fn accepted_count_reads_answer() {
        assert_eq!(accepted_count(r#"{"accepted": 100, "rejected": 0, "errors": []}"#), Some(100));
        assert_eq!(accepted_count("not json"), None);
    }
}
