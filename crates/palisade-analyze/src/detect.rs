//! The attack-detection stage's view of a signature detector.

use palisade_core::Severity;
use palisade_core::Trace;
use palisade_core::finding::Confidence;
use serde::{Deserialize, Serialize};

/// One signature match in a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttackHit {
    /// Attack class such as `sqli`.
    pub class: String,
    pub rule_id: String,
    /// Where the value was, such as `query id` or `header user-agent`.
    pub location: String,
    /// Cut excerpt of the matching value, with control characters escaped.
    pub evidence: String,
    pub confidence: Confidence,
    pub severity: Severity,
    /// True for injection classes (SQL, command, template, LDAP, NoSQL, ...), whose
    /// attempts followed by server errors form an error burst.
    pub injection: bool,
}

/// A signature detector as the pipeline uses it.
pub trait AttackDetector: Send + Sync {
    /// Returns the signature matches in `trace`, bounded in work per request.
    fn inspect(&self, trace: &Trace) -> Vec<AttackHit>;
}

/// When detections raise alerts: the `attacks:` section of the configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AttackAlertConfig {
    /// Signature findings below this confidence are recorded but raise no alert.
    pub min_alert_confidence: Confidence,
    /// Findings stored for one trace at most; further ones are counted only.
    pub max_findings_per_trace: usize,
}

impl Default for AttackAlertConfig {
    fn default() -> Self {
        Self { min_alert_confidence: Confidence::Medium, max_findings_per_trace: 16 }
    }
}
