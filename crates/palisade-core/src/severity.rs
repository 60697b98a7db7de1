//! Severity of data classes, findings and alerts.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How bad something is, from informational to critical. Ordered, so `max` picks the
/// worst.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    #[default]
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] =
        [Severity::Info, Severity::Low, Severity::Medium, Severity::High, Severity::Critical];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    /// Parses Palisade's names and Metlo's upper-case ones (`LOW`, `MEDIUM`, `HIGH`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let lower = text.trim().to_ascii_lowercase();
        Severity::ALL
            .into_iter()
            .find(|s| s.as_str() == lower)
            .ok_or_else(|| format!("invalid severity {text:?}: expected info, low, medium, high or critical"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_parses_metlo_names() {
        assert_eq!("HIGH".parse::<Severity>(), Ok(Severity::High));
        assert_eq!("medium".parse::<Severity>(), Ok(Severity::Medium));
        assert!("urgent".parse::<Severity>().is_err());
        assert!(Severity::Critical > Severity::High);
    }
}
