//! Counters shown at `GET /metrics` in the Prometheus text exposition format (version
//! 0.0.4). The values are plain atomics updated where the work happens; rendering reads
//! a snapshot. Label values are fixed strings from this file, never from traffic.

use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use palisade_analyze::PipelineCounters;

/// Metrics of one server process.
#[derive(Default)]
pub struct Metrics {
    pub traces_accepted_metlo: AtomicU64,
    pub traces_accepted_native: AtomicU64,
    pub traces_invalid: AtomicU64,
    pub requests_invalid: AtomicU64,
    pub requests_queue_full: AtomicU64,
    pub traces_refused_queue_full: AtomicU64,
    pub journal_append_errors: AtomicU64,
    pub commits: AtomicU64,
    pub commit_errors: AtomicU64,
    pub queued_traces: AtomicU64,
    pub auth_failures: AtomicU64,
    pub login_failures: AtomicU64,
    pub webhook_delivered: AtomicU64,
    pub webhook_failed: AtomicU64,
    pub webhook_dropped: AtomicU64,
    /// Latest counters of the pipeline thread.
    pub pipeline: Mutex<PipelineCounters>,
}

impl Metrics {
    pub fn add(counter: &AtomicU64, value: u64) {
        counter.fetch_add(value, Ordering::Relaxed);
    }

    /// Renders every metric as Prometheus text.
    pub fn render(&self) -> String {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let mut out = String::new();

        family(&mut out, "palisade_traces_accepted_total", "counter", "Traces accepted into the journal.");
        sample(&mut out, "palisade_traces_accepted_total", &[("source", "metlo")], get(&self.traces_accepted_metlo));
        sample(&mut out, "palisade_traces_accepted_total", &[("source", "native")], get(&self.traces_accepted_native));

        family(&mut out, "palisade_traces_rejected_total", "counter", "Traces not accepted, by reason.");
        sample(&mut out, "palisade_traces_rejected_total", &[("reason", "invalid")], get(&self.traces_invalid));
        sample(
            &mut out,
            "palisade_traces_rejected_total",
            &[("reason", "queue_full")],
            get(&self.traces_refused_queue_full),
        );

        family(&mut out, "palisade_requests_rejected_total", "counter", "Collector requests answered with an error.");
        sample(&mut out, "palisade_requests_rejected_total", &[("reason", "invalid")], get(&self.requests_invalid));
        sample(
            &mut out,
            "palisade_requests_rejected_total",
            &[("reason", "queue_full")],
            get(&self.requests_queue_full),
        );
        sample(&mut out, "palisade_requests_rejected_total", &[("reason", "unauthorized")], get(&self.auth_failures));

        family(&mut out, "palisade_login_failures_total", "counter", "Failed or refused dashboard sign-ins.");
        sample(&mut out, "palisade_login_failures_total", &[], get(&self.login_failures));

        family(&mut out, "palisade_queued_traces", "gauge", "Traces accepted but not yet applied to the inventory.");
        sample(&mut out, "palisade_queued_traces", &[], get(&self.queued_traces));

        family(&mut out, "palisade_journal_append_errors_total", "counter", "Failed writes to the trace journal.");
        sample(&mut out, "palisade_journal_append_errors_total", &[], get(&self.journal_append_errors));
        family(&mut out, "palisade_pipeline_commits_total", "counter", "Inventory transactions committed.");
        sample(&mut out, "palisade_pipeline_commits_total", &[], get(&self.commits));
        family(&mut out, "palisade_pipeline_commit_errors_total", "counter", "Inventory transactions that failed.");
        sample(&mut out, "palisade_pipeline_commit_errors_total", &[], get(&self.commit_errors));

        family(&mut out, "palisade_webhook_deliveries_total", "counter", "Alerts posted to webhooks, by result.");
        sample(&mut out, "palisade_webhook_deliveries_total", &[("result", "delivered")], get(&self.webhook_delivered));
        sample(&mut out, "palisade_webhook_deliveries_total", &[("result", "failed")], get(&self.webhook_failed));
        sample(&mut out, "palisade_webhook_deliveries_total", &[("result", "dropped")], get(&self.webhook_dropped));

        let pipeline = self.pipeline.lock().unwrap_or_else(|p| p.into_inner()).clone();
        family(&mut out, "palisade_traces_processed_total", "counter", "Traces recorded in the inventory.");
        sample(&mut out, "palisade_traces_processed_total", &[], pipeline.traces_recorded);
        family(
            &mut out,
            "palisade_traces_skipped_total",
            "counter",
            "Traces the pipeline did not inventory, by reason.",
        );
        let skipped = [
            ("host_blocked", pipeline.skipped_host_blocked),
            ("path_blocked", pipeline.skipped_path_blocked),
            ("host_limit", pipeline.skipped_host_limit),
            ("endpoint_limit", pipeline.skipped_endpoint_limit),
        ];
        for (reason, value) in skipped {
            sample(&mut out, "palisade_traces_skipped_total", &[("reason", reason)], value);
        }
        family(&mut out, "palisade_fields_dropped_total", "counter", "Fields not learned, by reason.");
        sample(&mut out, "palisade_fields_dropped_total", &[("reason", "endpoint_limit")], pipeline.fields_over_limit);
        sample(&mut out, "palisade_fields_dropped_total", &[("reason", "body_limit")], pipeline.fields_skipped);
        family(&mut out, "palisade_bodies_not_walked_total", "counter", "Bodies whose fields were not learned.");
        sample(&mut out, "palisade_bodies_not_walked_total", &[("reason", "unparsed")], pipeline.bodies_unparsed);
        sample(&mut out, "palisade_bodies_not_walked_total", &[("reason", "truncated")], pipeline.bodies_truncated);
        family(&mut out, "palisade_findings_total", "counter", "Findings of attacks and suspicious behaviour.");
        sample(&mut out, "palisade_findings_total", &[], pipeline.findings);
        family(&mut out, "palisade_findings_dropped_total", "counter", "Findings beyond max_findings_per_trace.");
        sample(&mut out, "palisade_findings_dropped_total", &[], pipeline.findings_over_limit);
        let help = "Attack, behaviour and data-class detections dropped by ignoredDetections.";
        family(&mut out, "palisade_detections_ignored_total", "counter", help);
        sample(&mut out, "palisade_detections_ignored_total", &[], pipeline.detections_ignored);
        family(&mut out, "palisade_actors_evicted_total", "counter", "Actors forgotten by behavioural detection.");
        sample(&mut out, "palisade_actors_evicted_total", &[], pipeline.actors_evicted);
        out
    }
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: u64) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (label, value)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{label}=\"{value}\"");
        }
        out.push('}');
    }
    let _ = writeln!(out, " {value}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_has_help_type_and_values() {
        let metrics = Metrics::default();
        Metrics::add(&metrics.traces_accepted_metlo, 3);
        let text = metrics.render();
        assert!(text.contains("# TYPE palisade_traces_accepted_total counter\n"));
        assert!(text.contains("palisade_traces_accepted_total{source=\"metlo\"} 3\n"));
        assert!(text.contains("palisade_queued_traces 0\n"));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let value = line.rsplit(' ').next().unwrap();
            assert!(value.parse::<u64>().is_ok(), "{line}");
        }
    }
}
