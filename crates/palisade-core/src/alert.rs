//! Alerts: deduplicated problems raised to people, with a status they change.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::severity::Severity;

/// Where an alert stands in triage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    #[default]
    Open,
    Resolved,
    Ignored,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Open => "open",
            AlertStatus::Resolved => "resolved",
            AlertStatus::Ignored => "ignored",
        }
    }
}

impl fmt::Display for AlertStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AlertStatus {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "open" => Ok(AlertStatus::Open),
            "resolved" => Ok(AlertStatus::Resolved),
            "ignored" => Ok(AlertStatus::Ignored),
            other => Err(format!("invalid alert status {other:?}: expected open, resolved or ignored")),
        }
    }
}

/// A stored alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub id: i64,
    /// Alert type, such as `sensitive_data_in_response`.
    pub kind: String,
    pub severity: Severity,
    pub status: AlertStatus,
    pub endpoint_id: Option<String>,
    pub host: Option<String>,
    /// Data field location such as `response.body items[].email`.
    pub location: Option<String>,
    pub data_class: Option<String>,
    pub actor: Option<String>,
    pub description: String,
    /// Traces that raised it since it was first seen.
    pub count: u64,
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
    pub updated_ms: i64,
}

/// An occurrence of an alert, raised by the pipeline. Occurrences with the same kind,
/// endpoint, location, data class and actor are one alert: the store adds their counts
/// and widens their time range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertEvent {
    pub kind: String,
    pub severity: Severity,
    pub endpoint_id: Option<String>,
    pub host: Option<String>,
    pub location: Option<String>,
    pub data_class: Option<String>,
    pub actor: Option<String>,
    pub description: String,
    pub count: u64,
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
}
