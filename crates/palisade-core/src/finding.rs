//! Findings: one detection on one trace.

use serde::{Deserialize, Serialize};

use crate::severity::Severity;

/// How a finding was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingSource {
    /// A signature matched a value of the request.
    Signature,
    /// An actor's behaviour over time crossed a threshold.
    Behaviour,
}

impl FindingSource {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingSource::Signature => "signature",
            FindingSource::Behaviour => "behaviour",
        }
    }
}

/// How sure a detector is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "low" => Some(Confidence::Low),
            "medium" => Some(Confidence::Medium),
            "high" => Some(Confidence::High),
            _ => None,
        }
    }
}

/// One detection on one trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub at_ms: i64,
    /// Class such as `sqli`, `xss` or, for behaviour, `object_enumeration`.
    pub class: String,
    /// Stable rule id such as `sqli.tokens`.
    pub rule_id: String,
    pub source: FindingSource,
    pub severity: Severity,
    pub confidence: Confidence,
    pub actor: Option<String>,
    pub endpoint_id: Option<String>,
    pub host: String,
    pub method: String,
    /// Path of the request, cut to 512 bytes.
    pub path: String,
    /// Where the evidence was: `query id`, `header user-agent`, `body items[].q`.
    pub location: String,
    /// The matching part of the value, cut and with control characters escaped.
    pub evidence: String,
}
