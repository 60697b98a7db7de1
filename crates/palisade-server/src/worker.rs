//! The pipeline worker: reads the journal in order, runs the pipeline and commits
//! inventory changes together with the journal position they cover.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::Context;
use palisade_analyze::{Outcome, Pipeline, PipelineCounters};
use palisade_core::Trace;
use palisade_core::inventory::InventoryDelta;
use palisade_store::{Journal, Store};

use crate::metrics::Metrics;

/// Time the worker sleeps when the journal is empty and no new batch is signalled.
const IDLE_POLL: Duration = Duration::from_millis(500);
/// Maximum wait between two attempts to commit after a store error.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(5);
/// Applied batches are deleted from the journal at least this often.
const JOURNAL_CLEANUP_INTERVAL: Duration = Duration::from_secs(2);

/// Handle to the running worker thread.
pub struct Worker {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<()>,
}

impl Worker {
    /// Starts the worker on the journal at `journal_path`, from `position`.
    pub fn start(
        journal_path: PathBuf,
        store: Arc<dyn Store>,
        pipeline: Pipeline,
        position: i64,
        max_traces_per_commit: usize,
        metrics: Arc<Metrics>,
        wake: Receiver<()>,
    ) -> anyhow::Result<Worker> {
        let journal =
            Journal::open(&journal_path).with_context(|| format!("cannot open journal {}", journal_path.display()))?;
        let stop = Arc::new(AtomicBool::new(false));
        let loop_state =
            WorkerLoop { journal, store, pipeline, position, max_traces_per_commit, metrics, stop: stop.clone() };
        let handle = std::thread::Builder::new()
            .name("pipeline".into())
            .spawn(move || loop_state.run(wake))
            .context("cannot start the pipeline thread")?;
        Ok(Worker { stop, handle })
    }

    /// Asks the worker to apply what is already in the journal and stop, and waits.
    pub fn stop(self) {
        self.stop.store(true, Ordering::Release);
        if self.handle.join().is_err() {
            tracing::error!("pipeline thread panicked");
        }
    }
}

struct WorkerLoop {
    journal: Journal,
    store: Arc<dyn Store>,
    pipeline: Pipeline,
    position: i64,
    max_traces_per_commit: usize,
    metrics: Arc<Metrics>,
    stop: Arc<AtomicBool>,
}

impl WorkerLoop {
    fn run(mut self, wake: Receiver<()>) {
        tracing::info!(journal_position = self.position, "pipeline worker started");
        let mut last_cleanup = Instant::now();
        let mut cleaned_through = self.position;

        loop {
            let batches = match self.journal.read_after(self.position, self.max_traces_per_commit) {
                Ok(batches) => batches,
                Err(error) => {
                    tracing::error!(%error, "cannot read the trace journal");
                    if self.stopping() {
                        break;
                    }
                    std::thread::sleep(Duration::from_secs(1));
                    continue;
                }
            };

            if batches.is_empty() {
                if cleaned_through < self.position {
                    cleaned_through = self.clean_journal(cleaned_through);
                }
                if self.stopping() {
                    break;
                }
                match wake.recv_timeout(IDLE_POLL) {
                    Ok(()) | Err(RecvTimeoutError::Timeout) => continue,
                    // Every sender is gone: the collector stopped; drain and leave.
                    Err(RecvTimeoutError::Disconnected) => {
                        self.stop.store(true, Ordering::Release);
                        continue;
                    }
                }
            }

            let last_id = batches.last().map(|b| b.id).unwrap_or(self.position);
            let mut traces = 0u64;
            for batch in &batches {
                for trace in &batch.traces {
                    traces += 1;
                    if let Outcome::Skipped(reason) = self.pipeline.process(trace) {
                        tracing::debug!(reason = reason.as_str(), "trace not inventoried");
                    }
                }
            }
            let delta = self.pipeline.take_delta();
            if !self.commit(&delta, last_id) {
                break;
            }
            self.position = last_id;
            self.metrics.queued_traces.fetch_sub(traces, Ordering::AcqRel);
            *self.metrics.pipeline.lock().unwrap_or_else(|p| p.into_inner()) = self.pipeline.counters().clone();

            if last_cleanup.elapsed() >= JOURNAL_CLEANUP_INTERVAL {
                cleaned_through = self.clean_journal(cleaned_through);
                last_cleanup = Instant::now();
            }
        }
        tracing::info!(journal_position = self.position, "pipeline worker stopped");
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    /// Commits `delta`, retrying with backoff while the store fails. Returns false when
    /// the server stops before a commit succeeded; the batches then stay in the journal
    /// and are applied at the next start.
    fn commit(&self, delta: &InventoryDelta, last_id: i64) -> bool {
        let mut delay = Duration::from_millis(100);
        loop {
            match self.store.apply(delta, Some(last_id)) {
                Ok(()) => {
                    Metrics::add(&self.metrics.commits, 1);
                    return true;
                }
                Err(error) => {
                    Metrics::add(&self.metrics.commit_errors, 1);
                    tracing::error!(%error, journal_position = last_id, retry_in_ms = delay.as_millis() as u64, "cannot commit inventory changes");
                    if self.stopping() {
                        return false;
                    }
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(MAX_RETRY_DELAY);
                }
            }
        }
    }

    fn clean_journal(&self, cleaned_through: i64) -> i64 {
        match self.journal.delete_through(self.position) {
            Ok(_) => self.position,
            Err(error) => {
                tracing::warn!(%error, "cannot delete applied batches from the journal; will retry");
                cleaned_through
            }
        }
    }
}

/// Runs the pipeline over traces from a file straight into the store, for `palisade
/// ingest` without a server. Commits every `commit_every` traces.
pub struct LocalIngest<'a> {
    pipeline: Pipeline,
    store: &'a dyn Store,
    uncommitted: usize,
    commit_every: usize,
}

impl<'a> LocalIngest<'a> {
    /// Starts from what `store` already holds.
    pub fn open(
        store: &'a dyn Store,
        config: palisade_analyze::PipelineConfig,
        commit_every: usize,
    ) -> anyhow::Result<Self> {
        let (state, _) = store.load_inventory().context("cannot load the inventory")?;
        Ok(Self {
            pipeline: Pipeline::restore(config, state),
            store,
            uncommitted: 0,
            commit_every: commit_every.max(1),
        })
    }

    pub fn push(&mut self, trace: &Trace) -> anyhow::Result<Outcome> {
        let outcome = self.pipeline.process(trace);
        self.uncommitted += 1;
        if self.uncommitted >= self.commit_every {
            self.commit()?;
        }
        Ok(outcome)
    }

    fn commit(&mut self) -> anyhow::Result<()> {
        let delta = self.pipeline.take_delta();
        self.store.apply(&delta, None).context("cannot commit inventory changes")?;
        self.uncommitted = 0;
        Ok(())
    }

    /// Commits what is left and returns the pipeline's counters.
    pub fn finish(mut self) -> anyhow::Result<PipelineCounters> {
        self.commit()?;
        Ok(self.pipeline.counters().clone())
    }
}
