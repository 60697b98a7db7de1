//! Proxy metrics in the Prometheus text exposition format (version 0.0.4), served on
//! `--metrics-listen`. Counters are plain atomics updated where the work happens. Label
//! values are fixed strings from this file, except rule ids, which come from the rule
//! set (never from traffic) and are capped at [`MAX_RULE_LABELS`] distinct values.

use std::fmt::Write;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::Duration;

use rustc_hash::FxHashMap;

use crate::feed::FeedState;
use crate::mirror::MirrorStats;

/// Maximum distinct rule ids counted under their own label; later ones count as `_other`.
pub const MAX_RULE_LABELS: usize = 1000;

/// Upper bounds of the latency histogram buckets, in microseconds.
const LATENCY_BUCKETS_US: [u64; 16] = [
    100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000,
    5_000_000, 10_000_000,
];

/// Reason a rule feed request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedError {
    /// No response, or an error status.
    Unreachable,
    /// 401 or 403: the key is wrong or lacks the role.
    Rejected,
    /// A body that is not a valid feed response, or rules that do not compile.
    Invalid,
}

/// Outcome of a request, for `palisade_proxy_requests_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Forwarded, no rule matched.
    Allowed,
    /// Forwarded, a monitor-mode rule or detection matched.
    Monitored,
    /// Rejected by a block rule (403).
    Blocked,
    /// Rejected by a rate limit (429).
    RateLimited,
    /// Rejected by inline detection (403).
    Detected,
    /// Rejected as malformed or ambiguous, such as both Content-Length and
    /// Transfer-Encoding (400).
    Invalid,
    /// Rejected because the rule feed failed under `fail_closed` (503).
    Unavailable,
    /// The upstream failed (502) or timed out (504).
    UpstreamError,
    /// The client sent its body too slowly (408) or broke off.
    ClientError,
}

const OUTCOMES: [(Outcome, &str); 9] = [
    (Outcome::Allowed, "allowed"),
    (Outcome::Monitored, "monitored"),
    (Outcome::Blocked, "blocked"),
    (Outcome::RateLimited, "rate_limited"),
    (Outcome::Detected, "detected"),
    (Outcome::Invalid, "invalid"),
    (Outcome::Unavailable, "unavailable"),
    (Outcome::UpstreamError, "upstream_error"),
    (Outcome::ClientError, "client_error"),
];

/// Kinds of upstream failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamError {
    Connect,
    Timeout,
    Other,
}

/// Metrics of one proxy.
#[derive(Default)]
pub struct ProxyMetrics {
    outcomes: [AtomicU64; OUTCOMES.len()],
    upstream_errors: [AtomicU64; 3],
    blocks_by_rule: Mutex<FxHashMap<Arc<str>, u64>>,
    monitored_by_rule: Mutex<FxHashMap<Arc<str>, u64>>,
    latency_buckets: [AtomicU64; LATENCY_BUCKETS_US.len()],
    latency_count: AtomicU64,
    latency_sum_us: AtomicU64,
    connections_open: AtomicU64,
    connections_rejected: AtomicU64,
    tls_handshake_failures: AtomicU64,
    feed_updates: AtomicU64,
    feed_errors: [AtomicU64; 3],
    rules_loaded: AtomicU64,
    feed_state: AtomicU8,
    detection_findings: AtomicU64,
    logs_suppressed: AtomicU64,
}

impl ProxyMetrics {
    pub fn request(&self, outcome: Outcome, elapsed: Duration) {
        let index = OUTCOMES.iter().position(|(o, _)| *o == outcome).unwrap_or(0);
        self.outcomes[index].fetch_add(1, Ordering::Relaxed);

        let micros = elapsed.as_micros().min(u128::from(u64::MAX)) as u64;
        if let Some(bucket) = LATENCY_BUCKETS_US.iter().position(|&bound| micros <= bound) {
            self.latency_buckets[bucket].fetch_add(1, Ordering::Relaxed);
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_us.fetch_add(micros, Ordering::Relaxed);
    }

    pub fn requests(&self, outcome: Outcome) -> u64 {
        let index = OUTCOMES.iter().position(|(o, _)| *o == outcome).unwrap_or(0);
        self.outcomes[index].load(Ordering::Relaxed)
    }

    pub fn upstream_error(&self, kind: UpstreamError) {
        self.upstream_errors[kind as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn blocked_by(&self, rule: &Arc<str>) {
        count_rule(&self.blocks_by_rule, rule);
    }

    pub fn monitored_by(&self, rule: &Arc<str>) {
        count_rule(&self.monitored_by_rule, rule);
    }

    /// Blocks counted for `rule` so far.
    pub fn blocks_of(&self, rule: &str) -> u64 {
        let map = self.blocks_by_rule.lock().unwrap_or_else(|p| p.into_inner());
        map.get(rule).copied().unwrap_or(0)
    }

    pub fn connection_opened(&self) {
        self.connections_open.fetch_add(1, Ordering::Relaxed);
    }

    pub fn connection_closed(&self) {
        self.connections_open.fetch_sub(1, Ordering::Relaxed);
    }

    pub fn connection_rejected(&self) {
        self.connections_rejected.fetch_add(1, Ordering::Relaxed);
    }

    pub fn tls_handshake_failed(&self) {
        self.tls_handshake_failures.fetch_add(1, Ordering::Relaxed);
    }

    pub fn feed_updated(&self, rules: usize) {
        self.feed_updates.fetch_add(1, Ordering::Relaxed);
        self.rules_loaded.store(rules as u64, Ordering::Relaxed);
    }

    pub fn feed_updates(&self) -> u64 {
        self.feed_updates.load(Ordering::Relaxed)
    }

    pub fn feed_error(&self, kind: FeedError) {
        self.feed_errors[kind as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn feed_errors(&self, kind: FeedError) -> u64 {
        self.feed_errors[kind as usize].load(Ordering::Relaxed)
    }

    pub fn set_rules_loaded(&self, rules: usize) {
        self.rules_loaded.store(rules as u64, Ordering::Relaxed);
    }

    pub fn set_feed_state(&self, state: FeedState) {
        self.feed_state.store(state as u8, Ordering::Relaxed);
    }

    pub fn detection_findings(&self, count: usize) {
        self.detection_findings.fetch_add(count as u64, Ordering::Relaxed);
    }

    pub fn log_suppressed(&self) {
        self.logs_suppressed.fetch_add(1, Ordering::Relaxed);
    }

    /// Renders every metric, with the mirror's counters.
    pub fn render(&self, mirror: &MirrorStats) -> String {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let mut out = String::new();

        family(&mut out, "palisade_proxy_requests_total", "counter", "Requests handled, by outcome.");
        for (i, (_, label)) in OUTCOMES.iter().enumerate() {
            sample(&mut out, "palisade_proxy_requests_total", &[("outcome", label)], get(&self.outcomes[i]));
        }

        family(&mut out, "palisade_proxy_blocks_total", "counter", "Requests rejected by block rules, by rule id.");
        for (rule, count) in sorted(&self.blocks_by_rule) {
            sample(&mut out, "palisade_proxy_blocks_total", &[("rule", &rule)], count);
        }
        family(
            &mut out,
            "palisade_proxy_monitor_matches_total",
            "counter",
            "Matches of monitor-mode rules, by rule id.",
        );
        for (rule, count) in sorted(&self.monitored_by_rule) {
            sample(&mut out, "palisade_proxy_monitor_matches_total", &[("rule", &rule)], count);
        }

        family(&mut out, "palisade_proxy_upstream_errors_total", "counter", "Failed upstream requests, by kind.");
        for (i, kind) in ["connect", "timeout", "other"].iter().enumerate() {
            sample(&mut out, "palisade_proxy_upstream_errors_total", &[("kind", kind)], get(&self.upstream_errors[i]));
        }

        family(&mut out, "palisade_proxy_mirror_traces_total", "counter", "Traces mirrored to the server, by result.");
        let mirrored = [
            ("sent", mirror.sent),
            ("dropped_queue_full", mirror.dropped_queue_full),
            ("dropped_send_failed", mirror.dropped_send_failed),
        ];
        for (result, value) in mirrored {
            sample(&mut out, "palisade_proxy_mirror_traces_total", &[("result", result)], value);
        }

        let name = "palisade_proxy_request_duration_seconds";
        family(&mut out, name, "histogram", "Time from request headers to response headers.");
        let mut cumulative = 0;
        for (i, bound) in LATENCY_BUCKETS_US.iter().enumerate() {
            cumulative += get(&self.latency_buckets[i]);
            let le = format!("{}", *bound as f64 / 1e6);
            sample(&mut out, &format!("{name}_bucket"), &[("le", &le)], cumulative);
        }
        let count = get(&self.latency_count);
        sample(&mut out, &format!("{name}_bucket"), &[("le", "+Inf")], count);
        let _ = writeln!(out, "{name}_sum {}", get(&self.latency_sum_us) as f64 / 1e6);
        let _ = writeln!(out, "{name}_count {count}");

        family(&mut out, "palisade_proxy_connections_open", "gauge", "Client connections open.");
        sample(&mut out, "palisade_proxy_connections_open", &[], get(&self.connections_open));
        family(
            &mut out,
            "palisade_proxy_connections_rejected_total",
            "counter",
            "Connections closed at max_connections.",
        );
        sample(&mut out, "palisade_proxy_connections_rejected_total", &[], get(&self.connections_rejected));
        family(
            &mut out,
            "palisade_proxy_tls_handshake_failures_total",
            "counter",
            "Failed or timed-out TLS handshakes.",
        );
        sample(&mut out, "palisade_proxy_tls_handshake_failures_total", &[], get(&self.tls_handshake_failures));

        family(&mut out, "palisade_proxy_rules", "gauge", "Rules in the rule set in force.");
        sample(&mut out, "palisade_proxy_rules", &[], get(&self.rules_loaded));
        family(
            &mut out,
            "palisade_proxy_feed_updates_total",
            "counter",
            "Rule sets received from the feed and put in force.",
        );
        sample(&mut out, "palisade_proxy_feed_updates_total", &[], get(&self.feed_updates));
        family(&mut out, "palisade_proxy_feed_errors_total", "counter", "Failed rule feed requests, by reason.");
        for (i, reason) in ["unreachable", "rejected", "invalid"].iter().enumerate() {
            sample(&mut out, "palisade_proxy_feed_errors_total", &[("reason", reason)], get(&self.feed_errors[i]));
        }
        family(&mut out, "palisade_proxy_feed_state", "gauge", "1 for the state of the rules in force.");
        let state = self.feed_state.load(Ordering::Relaxed);
        let states = [FeedState::Current, FeedState::Stale, FeedState::FailOpen, FeedState::FailClosed];
        for candidate in states {
            let value = u64::from(candidate as u8 == state);
            sample(&mut out, "palisade_proxy_feed_state", &[("state", candidate.as_str())], value);
        }

        family(&mut out, "palisade_proxy_detection_findings_total", "counter", "Findings of inline detection.");
        sample(&mut out, "palisade_proxy_detection_findings_total", &[], get(&self.detection_findings));
        family(
            &mut out,
            "palisade_proxy_logs_suppressed_total",
            "counter",
            "Log lines about traffic dropped by the log rate limit.",
        );
        sample(&mut out, "palisade_proxy_logs_suppressed_total", &[], get(&self.logs_suppressed));
        out
    }
}

fn count_rule(map: &Mutex<FxHashMap<Arc<str>, u64>>, rule: &Arc<str>) {
    let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(count) = map.get_mut(rule) {
        *count += 1;
        return;
    }
    let label: Arc<str> = if map.len() < MAX_RULE_LABELS { rule.clone() } else { Arc::from("_other") };
    *map.entry(label).or_default() += 1;
}

fn sorted(map: &Mutex<FxHashMap<Arc<str>, u64>>) -> Vec<(String, u64)> {
    let map = map.lock().unwrap_or_else(|p| p.into_inner());
    let mut entries: Vec<(String, u64)> = map.iter().map(|(rule, count)| (rule.to_string(), *count)).collect();
    entries.sort();
    entries
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: u64) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (key, label)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{key}=\"{}\"", escape_label(label));
        }
        out.push('}');
    }
    let _ = writeln!(out, " {value}");
}

/// Escapes a label value as the exposition format requires.
fn escape_label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_counts_outcomes_rules_and_latency() {
        let metrics = ProxyMetrics::default();
        metrics.request(Outcome::Blocked, Duration::from_micros(80));
        metrics.request(Outcome::Allowed, Duration::from_micros(2_000));
        metrics.blocked_by(&Arc::from("rule \"x\""));
        let text = metrics.render(&MirrorStats { sent: 3, dropped_queue_full: 1, dropped_send_failed: 0 });

        let expected = [
            "palisade_proxy_requests_total{outcome=\"blocked\"} 1",
            "palisade_proxy_requests_total{outcome=\"allowed\"} 1",
            "palisade_proxy_blocks_total{rule=\"rule \\\"x\\\"\"} 1",
            "palisade_proxy_request_duration_seconds_bucket{le=\"0.0001\"} 1",
            "palisade_proxy_request_duration_seconds_bucket{le=\"0.001\"} 1",
            "palisade_proxy_request_duration_seconds_bucket{le=\"0.0025\"} 2",
            "palisade_proxy_request_duration_seconds_bucket{le=\"+Inf\"} 2",
            "palisade_proxy_request_duration_seconds_count 2",
            "palisade_proxy_mirror_traces_total{result=\"dropped_queue_full\"} 1",
            "palisade_proxy_feed_state{state=\"current\"} 1",
        ];
        for line in expected {
            assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
        }
    }

    #[test]
    fn rule_labels_are_capped() {
        let metrics = ProxyMetrics::default();
        for i in 0..MAX_RULE_LABELS + 5 {
            metrics.blocked_by(&Arc::from(format!("r{i}").as_str()));
        }
        assert_eq!(metrics.blocks_of("_other"), 5);
        assert_eq!(metrics.blocks_of("r0"), 1);
    }
}
