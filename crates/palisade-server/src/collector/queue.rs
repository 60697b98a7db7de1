//! The queue between the collector and the pipeline: a thread that appends accepted
//! traces to the journal, committing many requests' traces in one transaction.
//!
//! Admission is bounded by `max_queued_traces`: traces count from the moment a request
//! is admitted until the pipeline has applied them. A request that would exceed the bound
//! is rejected before anything is written, so a rejection never loses accepted data.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, Sender, SyncSender, TryRecvError, TrySendError, sync_channel};
use std::thread::JoinHandle;

use anyhow::Context;
use palisade_core::Trace;
use palisade_core::timestamp::now_ms;
use palisade_store::Journal;
use palisade_store::journal::encode_traces;
use tokio::sync::oneshot;

use crate::error::ApiError;
use crate::metrics::Metrics;

/// Append requests waiting for the writer thread. Admission by trace count happens
/// first, so this bound is only a backstop against very many tiny requests.
const CHANNEL_CAPACITY: usize = 4096;
/// Requests committed together at most, to keep each transaction short.
const MAX_JOBS_PER_COMMIT: usize = 512;

struct AppendJob {
    received_ms: i64,
    count: usize,
    payload: Vec<u8>,
    reply: oneshot::Sender<Result<i64, String>>,
}

/// Hands accepted traces to the journal writer.
#[derive(Clone)]
pub struct TraceQueue {
    sender: SyncSender<AppendJob>,
    metrics: Arc<Metrics>,
    max_queued: u64,
}

impl TraceQueue {
    /// Starts the writer thread on the journal at `journal_path`. `wake` is signalled after
    /// each commit so the pipeline worker reads new batches at once.
    pub fn start(
        journal_path: &Path,
        metrics: Arc<Metrics>,
        max_queued: u64,
        wake: Sender<()>,
    ) -> anyhow::Result<(TraceQueue, JoinHandle<()>)> {
        let journal =
            Journal::open(journal_path).with_context(|| format!("cannot open journal {}", journal_path.display()))?;
        let (sender, receiver) = sync_channel(CHANNEL_CAPACITY);
        let writer_metrics = metrics.clone();
        let handle = std::thread::Builder::new()
            .name("journal-writer".into())
            .spawn(move || write_loop(journal, receiver, writer_metrics, wake))
            .context("cannot start the journal writer thread")?;
        Ok((TraceQueue { sender, metrics, max_queued }, handle))
    }

    /// Makes `traces` durable. Returns once they are committed to the journal, or an
    /// error without having written anything.
    pub async fn submit(&self, traces: &[Trace]) -> Result<i64, ApiError> {
        let count = traces.len() as u64;
        self.reserve(count)?;

        let payload = encode_traces(traces);
        let (reply, answer) = oneshot::channel();
        let job = AppendJob { received_ms: now_ms(), count: traces.len(), payload, reply };
        if let Err(error) = self.sender.try_send(job) {
            self.release(count);
            return Err(match error {
                TrySendError::Full(_) => {
                    Metrics::add(&self.metrics.requests_queue_full, 1);
                    ApiError::QueueFull { queued: self.queued(), max: self.max_queued }
                }
                TrySendError::Disconnected(_) => ApiError::Unavailable,
            });
        }

        match answer.await {
            Ok(Ok(id)) => Ok(id),
            Ok(Err(message)) => {
                self.release(count);
                Err(ApiError::Internal(format!("cannot write the trace journal: {message}")))
            }
            Err(_) => {
                self.release(count);
                Err(ApiError::Unavailable)
            }
        }
    }

    fn queued(&self) -> u64 {
        self.metrics.queued_traces.load(Ordering::Relaxed)
    }

    fn reserve(&self, count: u64) -> Result<(), ApiError> {
        let queued = &self.metrics.queued_traces;
        let mut current = queued.load(Ordering::Relaxed);
        loop {
            if current + count > self.max_queued {
                Metrics::add(&self.metrics.requests_queue_full, 1);
                Metrics::add(&self.metrics.traces_refused_queue_full, count);
                return Err(ApiError::QueueFull { queued: current, max: self.max_queued });
            }
            match queued.compare_exchange_weak(current, current + count, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => return Ok(()),
                Err(actual) => current = actual,
            }
        }
    }

    fn release(&self, count: u64) {
        self.metrics.queued_traces.fetch_sub(count, Ordering::AcqRel);
    }
}

fn write_loop(mut journal: Journal, receiver: Receiver<AppendJob>, metrics: Arc<Metrics>, wake: Sender<()>) {
    tracing::info!("journal writer started");
    // `recv` fails once every sender is dropped: the server is shutting down.
    while let Ok(first) = receiver.recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_JOBS_PER_COMMIT {
            match receiver.try_recv() {
                Ok(job) => jobs.push(job),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }

        let batches: Vec<(i64, usize, &[u8])> =
            jobs.iter().map(|job| (job.received_ms, job.count, job.payload.as_slice())).collect();
        match journal.append(&batches) {
            Ok(ids) => {
                for (job, id) in jobs.into_iter().zip(ids) {
                    let _ = job.reply.send(Ok(id));
                }
                let _ = wake.send(());
            }
            Err(error) => {
                tracing::error!(%error, requests = jobs.len(), "cannot append to the trace journal");
                Metrics::add(&metrics.journal_append_errors, 1);
                for job in jobs {
                    let _ = job.reply.send(Err(error.to_string()));
                }
            }
        }
    }
    tracing::info!("journal writer stopped");
}
