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
use crate::rules::RuleBook;
use crate::specs::drift::DriftCheck;
use crate::webhooks::Webhooks;

/// Time the worker sleeps when the journal is empty and no new batch is signalled.
const IDLE_POLL: Duration = Duration::from_millis(500);
/// Maximum wait between two attempts to commit after a store error.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(5);
/// Applied batches are deleted from the journal at least this often.
const JOURNAL_CLEANUP_INTERVAL: Duration = Duration::from_secs(2);
/// Risk scores are recomputed for every endpoint this often, so data classes that stopped
/// appearing stop counting even on endpoints without new traffic.
const RISK_REFRESH_INTERVAL: Duration = Duration::from_secs(3600);

/// Where the worker reads traces and when it commits them.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub journal_path: PathBuf,
    /// Last journal position already applied to the store.
    pub position: i64,
    /// Commit after this many processed traces...
    pub max_traces_per_commit: usize,
    /// ...or after the first of them has waited this long.
    pub commit_interval: Duration,
    /// Block rules whose automatic policies see every committed finding.
    pub rules: Option<RuleBook>,
    /// Drift checks against the stored OpenAPI descriptions.
    pub drift: Option<DriftCheck>,
}

/// Handle to the running worker thread.
pub struct Worker {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<()>,
}

impl Worker {
    /// Starts the worker on the journal, after the settings' position.
    pub fn start(
        settings: WorkerSettings,
        store: Arc<dyn Store>,
        pipeline: Pipeline,
        metrics: Arc<Metrics>,
        webhooks: Webhooks,
        wake: Receiver<()>,
    ) -> anyhow::Result<Worker> {
        let WorkerSettings { journal_path, position, max_traces_per_commit, commit_interval, rules, drift } = settings;
        let journal =
            Journal::open(&journal_path).with_context(|| format!("cannot open journal {}", journal_path.display()))?;
        let stop = Arc::new(AtomicBool::new(false));
        let loop_state = WorkerLoop {
            journal,
            store,
            pipeline,
            position,
            max_traces_per_commit,
            commit_interval,
            metrics,
            webhooks,
            rules,
            drift,
            finding_ips: Vec::new(),
            stop: stop.clone(),
        };
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
    /// Longest time processed traces wait for their commit.
    commit_interval: Duration,
    metrics: Arc<Metrics>,
    webhooks: Webhooks,
    rules: Option<RuleBook>,
    drift: Option<DriftCheck>,
    /// Client IP of the trace of each finding not yet committed, in finding order.
    finding_ips: Vec<Option<String>>,
    stop: Arc<AtomicBool>,
}

impl WorkerLoop {
    fn run(mut self, wake: Receiver<()>) {
        tracing::info!(journal_position = self.position, "pipeline worker started");
        let mut last_cleanup = Instant::now();
        let mut last_risk_refresh = Instant::now();
        let mut cleaned_through = self.position;
        // Batches read and processed but not yet committed.
        let mut read_through = self.position;
        let mut uncommitted = 0u64;
        let mut first_uncommitted: Option<Instant> = None;

        loop {
            let room = self.max_traces_per_commit.saturating_sub(uncommitted as usize).max(1);
            let batches = match self.journal.read_after(read_through, room) {
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

            for batch in &batches {
                for trace in &batch.traces {
                    uncommitted += 1;
                    let findings_before = self.pipeline.counters().findings;
                    let outcome = self.pipeline.process(trace);
                    if let Outcome::Skipped(reason) = outcome {
                        tracing::debug!(reason = reason.as_str(), "trace not inventoried");
                    }
                    if let Some(drift) = &self.drift {
                        drift.check(&mut self.pipeline, trace, outcome);
                    }
                    let added = self.pipeline.counters().findings.saturating_sub(findings_before) as usize;
                    if added > 0 && self.rules.is_some() {
                        // The client behind trusted proxies, as actor ids resolve it.
                        let ip = self.pipeline.config().actors.client_ip(trace);
                        self.finding_ips.extend(std::iter::repeat_n(ip, added));
                    }
                }
                read_through = batch.id;
            }
            if !batches.is_empty() && first_uncommitted.is_none() {
                first_uncommitted = Some(Instant::now());
            }

            // Commit when the transaction is full, when it has waited long enough, or when
            // the journal has nothing more right now.
            let full = uncommitted as usize >= self.max_traces_per_commit;
            let waited = first_uncommitted.is_some_and(|t| t.elapsed() >= self.commit_interval);
            if uncommitted > 0 && (full || waited || batches.is_empty()) {
                let delta = self.pipeline.take_delta();
                if !self.commit(&delta, read_through) {
                    break;
                }
                // Policies see findings once they are stored, so a rule never names a
                // finding that a failed commit lost.
                let ips = std::mem::take(&mut self.finding_ips);
                if let Some(rules) = &self.rules
                    && !delta.findings.is_empty()
                {
                    rules.observe_findings(&delta.findings, &ips);
                }
                self.position = read_through;
                self.metrics.queued_traces.fetch_sub(uncommitted, Ordering::AcqRel);
                *self.metrics.pipeline.lock().unwrap_or_else(|p| p.into_inner()) = self.pipeline.counters().clone();
                uncommitted = 0;
                first_uncommitted = None;
            }

            if last_cleanup.elapsed() >= JOURNAL_CLEANUP_INTERVAL && cleaned_through < self.position {
                cleaned_through = self.clean_journal(cleaned_through);
                last_cleanup = Instant::now();
            }
            if let Some(drift) = &mut self.drift {
                drift.reload_if_due(self.store.as_ref());
            }
            if last_risk_refresh.elapsed() >= RISK_REFRESH_INTERVAL {
                if let Err(error) = self.store.refresh_risk() {
                    tracing::warn!(%error, "cannot refresh risk scores; will retry");
                }
                last_risk_refresh = Instant::now();
            }

            if !batches.is_empty() {
                continue;
            }
            if self.stopping() {
                break;
            }
            match wake.recv_timeout(IDLE_POLL) {
                Ok(()) | Err(RecvTimeoutError::Timeout) => {}
                // Every sender is gone: the collector stopped; drain and leave.
                Err(RecvTimeoutError::Disconnected) => self.stop.store(true, Ordering::Release),
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
                Ok(opened) => {
                    Metrics::add(&self.metrics.commits, 1);
                    for alert in opened {
                        tracing::info!(alert_id = alert.id, kind = %alert.kind, severity = alert.severity.as_str(), "alert opened");
                        self.webhooks.send(alert);
                    }
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
