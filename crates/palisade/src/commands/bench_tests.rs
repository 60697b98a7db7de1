//! `palisade bench tests`: the test runner's overhead. A suite of 1,000 steps runs
//! against an in-process HTTP server on 127.0.0.1, next to a plain loop that sends the
//! same requests with the same HTTP client and only checks the status.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use axum::Router;
use axum::extract::Path;
use axum::routing::get;
use clap::Args;
use palisade_testing::{ParsedTest, RunSettings, Runner, TestStatus};

use crate::EXIT_OK;

/// Runner requests per second over plain-loop requests per second that the product aims
/// for.
const TARGET_RATIO: f64 = 0.80;

#[derive(Debug, Args)]
pub struct TestsBenchArgs {
    /// Steps in the suite, spread over tests of 100 steps.
    #[arg(long, default_value_t = 1000)]
    pub steps: usize,
    /// Measured rounds after one warm-up round; the median is reported.
    #[arg(long, default_value_t = 9)]
    pub rounds: usize,
    /// Tests (and plain-loop workers) run at the same time.
    #[arg(long, default_value_t = 1)]
    pub parallel: usize,
}

const STEPS_PER_TEST: usize = 100;

pub fn run(args: &TestsBenchArgs) -> Result<u8> {
    if args.steps == 0 || args.rounds == 0 || args.parallel == 0 {
        bail!("--steps, --rounds and --parallel must be at least 1");
    }
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    runtime.block_on(bench(args))
}

async fn bench(args: &TestsBenchArgs) -> Result<u8> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.context("cannot listen on 127.0.0.1")?;
    let address = listener.local_addr()?;
    let app = Router::new().route("/items/{id}", get(item));
    let server = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            eprintln!("benchmark server stopped: {error}");
        }
    });
    let base_url = format!("http://{address}");

    let suite = suite(args.steps, &base_url)?;
    let settings = RunSettings { parallel: args.parallel, ..RunSettings::default() };
    let runner = Arc::new(Runner::new(settings, BTreeMap::new(), Vec::new()).context("cannot build the HTTP client")?);
    let urls: Vec<String> = (0..args.steps).map(|i| format!("{base_url}/items/{}", i % STEPS_PER_TEST)).collect();

    println!(
        "palisade bench tests: {} steps in {} tests, {} rounds after a warm-up, {} at a time, server on {address}",
        args.steps,
        suite.len(),
        args.rounds,
        args.parallel
    );

    // Warm-up: connections, JavaScript engine and allocator caches.
    plain_loop(&runner, &urls, args.parallel).await?;
    run_suite(&runner, &suite).await?;

    // Rounds alternate the two, and the ratio is taken per round and then the median, so
    // that load from other processes affects both sides of each ratio alike.
    let mut plain = Vec::with_capacity(args.rounds);
    let mut suite_rates = Vec::with_capacity(args.rounds);
    let mut ratios = Vec::with_capacity(args.rounds);
    for _ in 0..args.rounds {
        let plain_rate = urls.len() as f64 / plain_loop(&runner, &urls, args.parallel).await?.as_secs_f64();
        let suite_rate = args.steps as f64 / run_suite(&runner, &suite).await?.as_secs_f64();
        plain.push(plain_rate);
        suite_rates.push(suite_rate);
        ratios.push(suite_rate / plain_rate);
    }
    server.abort();

    let plain = median(&mut plain);
    let runner_rate = median(&mut suite_rates);
    let ratio = median(&mut ratios);
    println!("plain loop (same client, status check):  {plain:>10.0} requests/s (median)");
    println!("palisade test run (2 assertions a step): {runner_rate:>10.0} requests/s (median)");
    println!(
        "ratio runner / plain, median of per-round ratios: {ratio:.2} (target at least {TARGET_RATIO:.2}): {}",
        if ratio >= TARGET_RATIO { "met" } else { "NOT MET" }
    );
    Ok(EXIT_OK)
}

async fn item(Path(id): Path<u64>) -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({ "id": id, "name": format!("item {id}"), "tags": ["a", "b"] }))
}

/// Tests of 100 steps, each step a GET with an EQ assertion on the status and one on a
/// body field, as a typical test has.
fn suite(steps: usize, base_url: &str) -> Result<Vec<ParsedTest>> {
    let mut tests = Vec::new();
    let mut remaining = steps;
    let mut index = 0;
    while remaining > 0 {
        let count = remaining.min(STEPS_PER_TEST);
        let mut yaml = format!("id: bench-{index}\nenv:\n  - name: BASE_URL\n    value: {base_url}\ntest:\n");
        for step in 0..count {
            yaml.push_str(&format!(
                "  - request:\n      method: GET\n      url: \"{{{{BASE_URL}}}}/items/{step}\"\n    assert:\n      - key: resp.status\n        value: 200\n      - key: resp.data.id\n        value: {step}\n"
            ));
        }
        let parsed =
            palisade_testing::parse_str(&yaml, &format!("bench-{index}.yaml")).map_err(|e| anyhow::anyhow!("{e}"))?;
        tests.push(parsed);
        remaining -= count;
        index += 1;
    }
    Ok(tests)
}

async fn run_suite(runner: &Arc<Runner>, suite: &[ParsedTest]) -> Result<Duration> {
    let start = Instant::now();
    let report = runner.run_all(suite.to_vec()).await;
    let elapsed = start.elapsed();
    if report.tests.iter().any(|t| t.status != TestStatus::Passed) {
        bail!("a benchmark test failed:\n{}", palisade_testing::report::pretty(&report));
    }
    Ok(elapsed)
}

/// Sends every URL with the runner's own client, `parallel` workers at a time, reading
/// each body and checking the status.
async fn plain_loop(runner: &Arc<Runner>, urls: &[String], parallel: usize) -> Result<Duration> {
    let client = runner.client().inner().clone();
    let chunks: Vec<Vec<String>> = urls.chunks(urls.len().div_ceil(parallel)).map(|c| c.to_vec()).collect();
    let start = Instant::now();
    let mut workers = Vec::new();
    for chunk in chunks {
        let client = client.clone();
        workers.push(tokio::spawn(async move {
            for url in chunk {
                let response = client.get(&url).send().await?;
                if response.status() != reqwest::StatusCode::OK {
                    return Err(anyhow::anyhow!("{url} answered {}", response.status()));
                }
                response.bytes().await?;
            }
            Ok::<(), anyhow::Error>(())
        }));
    }
    for worker in workers {
        worker.await.context("a benchmark worker stopped")??;
    }
    Ok(start.elapsed())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}
