//! Detection settings: which classes and rules run, and the work limits per request.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::finding::{AttackClass, ClassSet, Confidence};
use crate::rules::RULES;

/// Settings of a [`crate::Detector`], read from the `detection:` section of the
/// configuration file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectConfig {
    /// Classes to check; every class when empty.
    pub enabled_classes: Vec<AttackClass>,
    /// Classes never checked, applied after `enabled_classes`.
    pub disabled_classes: Vec<AttackClass>,
    /// Rule ids (such as `sqli.comment_truncation`) whose findings are dropped.
    pub disabled_rules: Vec<String>,
    /// Findings below this confidence are dropped.
    pub min_confidence: Confidence,
    pub limits: DetectLimits,
}

impl Default for DetectConfig {
    fn default() -> Self {
        Self {
            enabled_classes: Vec::new(),
            disabled_classes: Vec::new(),
            disabled_rules: Vec::new(),
            min_confidence: Confidence::Low,
            limits: DetectLimits::default(),
        }
    }
}

/// Work limits for one request. When one is reached the rest of the request is skipped
/// or cut, [`crate::Inspection::truncated`] is set and the cut is counted in
/// [`crate::Inspection::skipped`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectLimits {
    /// Most locations (parameter names and values, headers, cookies, body leaves) checked
    /// in one request.
    pub max_locations: usize,
    /// Most bytes of decoded values examined in one request, summed over locations.
    pub max_request_bytes: usize,
    /// Most bytes examined in one value. A longer value is examined at its first and last
    /// `max_value_bytes / 2` bytes, because padding attacks put the payload at one end.
    pub max_value_bytes: usize,
    /// Most rounds of percent-decoding and HTML entity decoding of one value, against
    /// double and triple encoding.
    pub max_decode_rounds: usize,
    /// Deepest JSON or XML nesting walked in a body; deeper values are skipped.
    pub max_body_depth: usize,
    /// Most findings kept per request; later ones are dropped.
    pub max_findings: usize,
}

impl Default for DetectLimits {
    fn default() -> Self {
        Self {
            max_locations: 1024,
            max_request_bytes: 1024 * 1024,
            max_value_bytes: 64 * 1024,
            max_decode_rounds: 4,
            max_body_depth: 32,
            max_findings: 64,
        }
    }
}

/// An invalid detection setting.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    #[error("unknown rule id {0:?} in detection.disabled_rules: `palisade config rules` lists the rule ids")]
    UnknownRule(String),
    #[error("invalid detection.limits.{name} of 0: expected at least 1")]
    ZeroLimit { name: &'static str },
    #[error("invalid detection.limits.max_value_bytes of {0}: expected at least 64")]
    ValueLimitTooSmall(usize),
}

impl DetectConfig {
    /// Checks every setting and returns the classes to run.
    pub(crate) fn validate(&self) -> Result<ClassSet, ConfigError> {
        for rule in &self.disabled_rules {
            if !RULES.iter().any(|known| known.id == rule) {
                return Err(ConfigError::UnknownRule(rule.clone()));
            }
        }

        let limits = &self.limits;
        let named = [
            ("max_locations", limits.max_locations),
            ("max_request_bytes", limits.max_request_bytes),
            ("max_decode_rounds", limits.max_decode_rounds),
            ("max_body_depth", limits.max_body_depth),
            ("max_findings", limits.max_findings),
        ];
        for (name, value) in named {
            if value == 0 {
                return Err(ConfigError::ZeroLimit { name });
            }
        }
        if limits.max_value_bytes < 64 {
            return Err(ConfigError::ValueLimitTooSmall(limits.max_value_bytes));
        }

        let mut classes =
            if self.enabled_classes.is_empty() { ClassSet::ALL } else { ClassSet::of(&self.enabled_classes) };
        for class in &self.disabled_classes {
            classes.remove(*class);
        }
        Ok(classes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_rejects_unknown_fields() {
        let error = serde_json::from_str::<DetectConfig>(r#"{"limits":{"max_locatoins":3}}"#).unwrap_err();
        assert!(error.to_string().contains("max_locatoins"), "{error}");
    }

    #[test]
    fn config_reads_class_names() {
        let config: DetectConfig =
            serde_json::from_str(r#"{"enabled_classes":["sqli","xss"],"disabled_classes":["xss"]}"#).unwrap();
        let classes = config.validate().unwrap();
        assert!(classes.contains(AttackClass::Sqli));
        assert!(!classes.contains(AttackClass::Xss));
        assert!(!classes.contains(AttackClass::Ssrf));
    }

    #[test]
    fn config_rejects_unknown_rule() {
        let config = DetectConfig { disabled_rules: vec!["sqli.nope".into()], ..DetectConfig::default() };
        assert_eq!(config.validate(), Err(ConfigError::UnknownRule("sqli.nope".into())));
    }

    #[test]
    fn config_rejects_zero_limit() {
        let mut config = DetectConfig::default();
        config.limits.max_locations = 0;
        assert_eq!(config.validate(), Err(ConfigError::ZeroLimit { name: "max_locations" }));
    }
}
