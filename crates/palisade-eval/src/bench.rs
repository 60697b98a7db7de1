//! Pipeline throughput against a JSON parsing floor, measured in the same process.
//!
//! The floor is `serde_json::from_slice::<serde_json::Value>` over every JSON body of the
//! corpus, the minimum work for any analysis that looks inside bodies. The pipeline
//! run is [`Pipeline::process`] over every trace, with [`Pipeline::take_delta`] every
//! [`DELTA_EVERY`] traces as the server's worker does, on one thread. Each is run once to
//! warm caches and then `rounds` times; the median round is reported.

use std::hint::black_box;
use std::time::{Duration, Instant};

use palisade_analyze::{Pipeline, PipelineConfig};
use palisade_core::Trace;
use serde::Serialize;

use crate::corpus::json_bodies;

/// Traces between two calls of [`Pipeline::take_delta`], the server's default for
/// `max_traces_per_commit`.
pub const DELTA_EVERY: usize = 5_000;

/// Timings of one benchmark.
#[derive(Debug, Clone, Serialize)]
pub struct Timing {
    /// Every measured round, in seconds.
    pub rounds_secs: Vec<f64>,
    pub median_secs: f64,
    pub best_secs: f64,
}

impl Timing {
    fn from_rounds(mut rounds: Vec<Duration>) -> Self {
        rounds.sort_unstable();
        let median = rounds.get(rounds.len() / 2).copied().unwrap_or_default();
        let best = rounds.first().copied().unwrap_or_default();
        Self {
            rounds_secs: rounds.iter().map(Duration::as_secs_f64).collect(),
            median_secs: median.as_secs_f64(),
            best_secs: best.as_secs_f64(),
        }
    }

    /// `items` per second at the median round.
    pub fn per_second(&self, items: usize) -> f64 {
        if self.median_secs == 0.0 { 0.0 } else { items as f64 / self.median_secs }
    }
}

/// Results of [`run_pipeline_bench`].
#[derive(Debug, Clone, Serialize)]
pub struct PipelineBench {
    pub traces: usize,
    pub json_bodies: usize,
    pub json_bytes: usize,
    pub floor: Timing,
    pub pipeline: Timing,
    /// Traces recorded by the last pipeline round; equal to `traces` unless a limit cut in.
    pub recorded: u64,
    /// Endpoints derived by the last pipeline round.
    pub endpoints: usize,
}

impl PipelineBench {
    /// Pipeline time over floor time, both at the median round.
    pub fn ratio(&self) -> f64 {
        if self.floor.median_secs == 0.0 { 0.0 } else { self.pipeline.median_secs / self.floor.median_secs }
    }
}

/// Times the floor and the pipeline over `traces`, each with one warm-up round and
/// `rounds` measured rounds (at least one). Every pipeline round starts from an empty
/// pipeline built from `config`.
pub fn run_pipeline_bench(traces: &[Trace], rounds: usize, config: &PipelineConfig) -> PipelineBench {
    let rounds = rounds.max(1);
    let bodies = json_bodies(traces);
    let json_bytes = bodies.iter().map(|b| b.len()).sum();

    parse_all(&bodies);
    let floor = Timing::from_rounds((0..rounds).map(|_| time(|| parse_all(&bodies))).collect());

    run_pipeline(traces, config);
    let mut last = (0, 0);
    let mut pipeline_rounds = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        last = run_pipeline(traces, config);
        pipeline_rounds.push(started.elapsed());
    }

    PipelineBench {
        traces: traces.len(),
        json_bodies: bodies.len(),
        json_bytes,
        floor,
        pipeline: Timing::from_rounds(pipeline_rounds),
        recorded: last.0,
        endpoints: last.1,
    }
}

fn time(work: impl FnOnce()) -> Duration {
    let started = Instant::now();
    work();
    started.elapsed()
}

fn parse_all(bodies: &[&[u8]]) {
    for body in bodies {
        let value: Result<serde_json::Value, _> = serde_json::from_slice(body);
        black_box(value.ok());
    }
}

/// Runs one pipeline pass from empty state. Returns traces recorded and endpoints derived.
fn run_pipeline(traces: &[Trace], config: &PipelineConfig) -> (u64, usize) {
    let mut pipeline = Pipeline::new(config.clone());
    for (index, trace) in traces.iter().enumerate() {
        black_box(pipeline.process(trace));
        if (index + 1) % DELTA_EVERY == 0 {
            black_box(pipeline.take_delta());
        }
    }
    black_box(pipeline.take_delta());
    (pipeline.counters().traces_recorded, pipeline.endpoints().len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::generate;

    #[test]
    fn bench_counts_and_times_every_trace() {
        let traces = generate(200, 1);
        let result = run_pipeline_bench(&traces, 2, &PipelineConfig::default());
        assert_eq!(result.traces, 200);
        assert_eq!(result.recorded, 200);
        assert!(result.endpoints > 0);
        assert_eq!(result.floor.rounds_secs.len(), 2);
        assert!(result.ratio() > 0.0);
    }
}
