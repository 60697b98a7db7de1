//! The pipeline worker: reads the journal in order, runs the pipeline and commits
//! inventory changes together with the journal position they cover.
//!
//! Three threads share the work. One reads and decodes journal batches ahead of the
//! pipeline, the pipeline thread processes them, and one writes each commit to the store
//! while the pipeline processes the next traces. Commits stay in order, and at most one
//! waits while another is written.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::Context;
use palisade_analyze::{Outcome, Pipeline, PipelineCounters};
use palisade_core::Trace;
use palisade_core::inventory::InventoryDelta;
use palisade_store::journal::JournalBatch;
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
/// Traces the reader decodes per read. It reads whole batches, so a read can hold more.
const READ_AHEAD_TRACES: usize = 1000;
/// Maximum number of decoded reads waiting for the pipeline.
const READ_AHEAD_READS: usize = 2;

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
        let open =
            || Journal::open(&journal_path).with_context(|| format!("cannot open journal {}", journal_path.display()));
        let journal = open()?;
        let reader_journal = open()?;
        let stop = Arc::new(AtomicBool::new(false));
        let committed = Arc::new(AtomicI64::new(position));
        let collect_ips = rules.is_some();

        let reader = Reader { journal: reader_journal, position, stop: stop.clone() };
        let (reads, read_receiver) = std::sync::mpsc::sync_channel(READ_AHEAD_READS);
        let read_thread = std::thread::Builder::new()
            .name("pipeline-read".into())
            .spawn(move || reader.run(wake, reads))
            .context("cannot start the journal reader thread")?;

        let committer = Committer {
            store: store.clone(),
            metrics,
            webhooks,
            rules,
            committed: committed.clone(),
            stop: stop.clone(),
        };
        // A rendezvous channel: the pipeline hands over a commit only when the previous
        // one is written, so at most two deltas are held at a time.
        let (commits, jobs) = std::sync::mpsc::sync_channel(0);
        let commit_thread = std::thread::Builder::new()
            .name("pipeline-commit".into())
            .spawn(move || committer.run(jobs))
            .context("cannot start the commit thread")?;

        let loop_state = WorkerLoop {
            journal,
            store,
            pipeline,
            position,
            max_traces_per_commit,
            commit_interval,
            collect_ips,
            drift,
            finding_ips: Vec::new(),
            commits: Some(commits),
            committed,
        };
        let handle = std::thread::Builder::new()
            .name("pipeline".into())
            .spawn(move || loop_state.run(read_receiver, read_thread, commit_thread))
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

/// The reader thread: decodes journal batches in order and hands them to the pipeline.
struct Reader {
    journal: Journal,
    /// Last journal position read.
    position: i64,
    stop: Arc<AtomicBool>,
}

impl Reader {
    /// Sends each read's batches, and an empty read whenever the journal has nothing more
    /// right now. Returns once stopping with the journal drained, or when the pipeline
    /// thread is gone.
    fn run(mut self, wake: Receiver<()>, reads: SyncSender<Vec<JournalBatch>>) {
        loop {
            let batches = match self.journal.read_after(self.position, READ_AHEAD_TRACES) {
                Ok(batches) => batches,
                Err(error) => {
                    tracing::error!(%error, journal_position = self.position, "cannot read the trace journal; will retry");
                    if self.stop.load(Ordering::Acquire) {
                        return;
                    }
                    std::thread::sleep(Duration::from_secs(1));
                    continue;
                }
            };
            let drained = batches.is_empty();
            if let Some(last) = batches.last() {
                self.position = last.id;
            }
            if reads.send(batches).is_err() {
                return;
            }
            if !drained {
                continue;
            }
            if self.stop.load(Ordering::Acquire) {
                return;
            }
            match wake.recv_timeout(IDLE_POLL) {
                Ok(()) | Err(RecvTimeoutError::Timeout) => {}
                // Every sender is gone because the collector stopped, so drain and leave.
                Err(RecvTimeoutError::Disconnected) => self.stop.store(true, Ordering::Release),
            }
        }
    }
}

struct WorkerLoop {
    journal: Journal,
    store: Arc<dyn Store>,
    pipeline: Pipeline,
    /// Last journal position handed to the commit thread.
    position: i64,
    max_traces_per_commit: usize,
    /// Longest time processed traces wait for their commit.
    commit_interval: Duration,
    /// True when block rules need the client IP of each finding.
    collect_ips: bool,
    drift: Option<DriftCheck>,
    /// Client IP of the trace of each finding not yet committed, in finding order.
    finding_ips: Vec<Option<String>>,
    /// Hands deltas to the commit thread. Set to `None` when the pipeline thread finishes,
    /// which lets the commit thread stop.
    commits: Option<SyncSender<CommitJob>>,
    /// Last journal position the commit thread has stored.
    committed: Arc<AtomicI64>,
}

/// One delta on its way to the store, with what the commit thread reports once it is
/// stored.
struct CommitJob {
    delta: InventoryDelta,
    /// Last journal batch the delta covers.
    last_id: i64,
    /// Traces the delta covers.
    traces: u64,
    /// The pipeline's counters after the delta's traces.
    counters: PipelineCounters,
    /// Client IP of the trace of each finding in the delta, in finding order.
    finding_ips: Vec<Option<String>>,
}

impl WorkerLoop {
    fn run(mut self, reads: Receiver<Vec<JournalBatch>>, read_thread: JoinHandle<()>, commit_thread: JoinHandle<()>) {
        tracing::info!(journal_position = self.position, "pipeline worker started");
        self.process_journal(&reads);
        // The reader stops when its channel closes, the commit thread once it has written
        // what it was handed.
        drop(reads);
        self.commits = None;
        if read_thread.join().is_err() {
            tracing::error!("journal reader thread panicked");
        }
        if commit_thread.join().is_err() {
            tracing::error!("commit thread panicked");
        }
        let position = self.committed.load(Ordering::Acquire);
        tracing::info!(journal_position = position, "pipeline worker stopped");
    }

    /// Processes reads until the reader stops or a commit cannot be handed over.
    fn process_journal(&mut self, reads: &Receiver<Vec<JournalBatch>>) {
        let mut last_cleanup = Instant::now();
        let mut last_risk_refresh = Instant::now();
        let mut cleaned_through = self.position;
        // Batches processed but not yet handed to the commit thread.
        let mut uncommitted = Pending { through: self.position, traces: 0, since: None };

        // The reader closes the channel once stopping with the journal drained.
        for batches in reads {
            for batch in &batches {
                self.process(&batch.traces);
                uncommitted.through = batch.id;
                uncommitted.traces += batch.traces.len() as u64;
                uncommitted.since.get_or_insert_with(Instant::now);
                if uncommitted.traces as usize >= self.max_traces_per_commit && !self.commit(&mut uncommitted) {
                    return;
                }
            }

            // Commit when the transaction has waited long enough, or when the journal has
            // nothing more right now.
            let waited = uncommitted.since.is_some_and(|t| t.elapsed() >= self.commit_interval);
            if uncommitted.traces > 0 && (waited || batches.is_empty()) && !self.commit(&mut uncommitted) {
                return;
            }

            let committed = self.committed.load(Ordering::Acquire);
            if last_cleanup.elapsed() >= JOURNAL_CLEANUP_INTERVAL && cleaned_through < committed {
                cleaned_through = self.clean_journal(cleaned_through, committed);
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
        }
    }

    fn process(&mut self, traces: &[Trace]) {
        for trace in traces {
            let findings_before = self.pipeline.counters().findings;
            let outcome = self.pipeline.process(trace);
            if let Outcome::Skipped(reason) = outcome {
                tracing::debug!(reason = reason.as_str(), "trace not inventoried");
            }
            if let Some(drift) = &self.drift {
                drift.check(&mut self.pipeline, trace, outcome);
            }
            let added = self.pipeline.counters().findings.saturating_sub(findings_before) as usize;
            if added > 0 && self.collect_ips {
                // The client behind trusted proxies, as actor ids resolve it.
                let ip = self.pipeline.config().actors.client_ip(trace);
                self.finding_ips.extend(std::iter::repeat_n(ip, added));
            }
        }
    }

    /// Hands the pipeline's changes to the commit thread. Returns false when that thread
    /// gave up on a commit while the server stops. The batches then stay in the journal.
    fn commit(&mut self, uncommitted: &mut Pending) -> bool {
        let job = CommitJob {
            delta: self.pipeline.take_delta(),
            last_id: uncommitted.through,
            traces: uncommitted.traces,
            counters: self.pipeline.counters().clone(),
            finding_ips: std::mem::take(&mut self.finding_ips),
        };
        if self.commits.as_ref().is_none_or(|commits| commits.send(job).is_err()) {
            return false;
        }
        self.position = uncommitted.through;
        uncommitted.traces = 0;
        uncommitted.since = None;
        true
    }

    /// Deletes batches through `committed` from the journal and returns the position
    /// cleaned through.
    fn clean_journal(&self, cleaned_through: i64, committed: i64) -> i64 {
        match self.journal.delete_through(committed) {
            Ok(_) => committed,
            Err(error) => {
                tracing::warn!(%error, "cannot delete applied batches from the journal; will retry");
                cleaned_through
            }
        }
    }
}

/// Processed traces not yet handed to the commit thread.
struct Pending {
    /// Last journal batch processed.
    through: i64,
    traces: u64,
    /// When the first of them was processed.
    since: Option<Instant>,
}

/// The commit thread: writes deltas to the store in the order received, then reports
/// them.
struct Committer {
    store: Arc<dyn Store>,
    metrics: Arc<Metrics>,
    webhooks: Webhooks,
    rules: Option<RuleBook>,
    /// Last journal position stored, read by the pipeline thread to clean the journal.
    committed: Arc<AtomicI64>,
    stop: Arc<AtomicBool>,
}

impl Committer {
    fn run(self, jobs: Receiver<CommitJob>) {
        for job in jobs {
            if !self.commit(&job.delta, job.last_id) {
                break;
            }
            // Policies see findings once they are stored, so a rule never names a finding
            // that a failed commit lost.
            if let Some(rules) = &self.rules
                && !job.delta.findings.is_empty()
            {
                rules.observe_findings(&job.delta.findings, &job.finding_ips);
            }
            self.committed.store(job.last_id, Ordering::Release);
            self.metrics.queued_traces.fetch_sub(job.traces, Ordering::AcqRel);
            *self.metrics.pipeline.lock().unwrap_or_else(|p| p.into_inner()) = job.counters;
        }
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
