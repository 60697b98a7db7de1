//! Configuration of the pipeline stages.

use std::sync::Arc;

use palisade_core::Limits;
use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::actors::ActorResolver;
use crate::behaviour::BehaviourConfig;
use crate::classify::{AlertConfig, DataClassifier};
use crate::detect::{AttackAlertConfig, AttackDetector};
use crate::ignore::IgnoredDetections;
use crate::redact::Privacy;

/// Compiled size limit for every regex that comes from configuration, so a hostile pattern
/// cannot make the program allocate without bound.
const REGEX_SIZE_LIMIT_BYTES: usize = 1 << 20;

/// Everything the pipeline needs to run.
#[derive(Clone, Default)]
pub struct PipelineConfig {
    pub limits: Limits,
    pub discovery: DiscoveryConfig,
    pub host_rules: HostRules,
    /// Data classifier for the classification stage; without one no classes are found.
    pub classifier: Option<Arc<dyn DataClassifier>>,
    pub alerts: AlertConfig,
    pub privacy: Privacy,
    /// Signature detector for the attack stage; without one only behaviour is detected.
    pub detector: Option<Arc<dyn AttackDetector>>,
    pub attacks: AttackAlertConfig,
    pub actors: ActorResolver,
    pub behaviour: BehaviourConfig,
    /// Detections that Metlo's `ignoredDetections` marks as expected.
    pub ignored: IgnoredDetections,
}

impl std::fmt::Debug for PipelineConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipelineConfig")
            .field("limits", &self.limits)
            .field("discovery", &self.discovery)
            .field("host_rules", &self.host_rules)
            .field("classifier", &self.classifier.as_ref().map(|_| "configured"))
            .field("alerts", &self.alerts)
            .field("privacy", &self.privacy)
            .field("detector", &self.detector.as_ref().map(|_| "configured"))
            .field("attacks", &self.attacks)
            .field("actors", &self.actors)
            .field("behaviour", &self.behaviour)
            .field("ignored", &self.ignored)
            .finish()
    }
}

/// Settings of endpoint discovery and of the per-endpoint bounds. They are the
/// `discovery:` section of the configuration file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DiscoveryConfig {
    /// Distinct word-like values a path position needs before it can become a parameter
    /// by cardinality.
    pub min_distinct_values: u64,
    /// Share of a position's requests whose value was seen only once (the Good-Turing
    /// estimate of the chance that the next value is new) above which its word-like
    /// values become a parameter. Closed sets of literals such as resource names repeat,
    /// so their share stays near 0.
    pub min_singleton_share: f64,
    /// Distinct word-like values kept apart at one path position. Beyond this many the
    /// position is a parameter whatever the counts say.
    pub max_distinct_literals: usize,
    /// Raw endpoints (method and path shape) kept per host; traces beyond are counted and
    /// not inventoried.
    pub max_endpoints_per_host: usize,
    /// Hosts kept; traces to further hosts are counted and not inventoried.
    pub max_hosts: usize,
    /// Data fields kept per raw endpoint; further fields are counted and dropped.
    pub max_fields_per_endpoint: usize,
    /// Redacted sample traces kept per raw endpoint.
    pub max_samples_per_endpoint: usize,
}

impl Default for DiscoveryConfig {
    fn default() -> Self {
        Self {
            min_distinct_values: 10,
            min_singleton_share: 0.5,
            max_distinct_literals: 256,
            max_endpoints_per_host: 10_000,
            max_hosts: 10_000,
            max_fields_per_endpoint: 2_000,
            max_samples_per_endpoint: 10,
        }
    }
}

/// One entry of Metlo's `hostMap`: hosts matching `pattern` are recorded as `host`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostMapEntry {
    pub host: String,
    pub pattern: String,
}

/// One entry of Metlo's `pathBlockList`: paths matching any of `paths` on hosts matching
/// `host` are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathBlockEntry {
    pub host: String,
    pub paths: Vec<String>,
}

/// Host rules as written in configuration, with Metlo's key names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostRulesConfig {
    #[serde(rename = "hostMap", default)]
    pub host_map: Vec<HostMapEntry>,
    #[serde(rename = "hostBlockList", default)]
    pub host_block_list: Vec<String>,
    #[serde(rename = "pathBlockList", default)]
    pub path_block_list: Vec<PathBlockEntry>,
}

/// Compiled host rules. Patterns are regular expressions matched anywhere in the value
/// unless anchored, as Metlo matched them.
#[derive(Debug, Clone, Default)]
pub struct HostRules {
    host_map: Vec<(Regex, String)>,
    host_block: Vec<Regex>,
    path_block: Vec<(Regex, Vec<Regex>)>,
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("invalid regex in {setting}: {source}")]
    InvalidRegex {
        setting: String,
        #[source]
        source: regex::Error,
    },
    #[error("{0}")]
    Invalid(String),
}

impl HostRules {
    pub fn compile(config: &HostRulesConfig) -> Result<Self, ConfigError> {
        let mut rules = HostRules::default();
        for (i, entry) in config.host_map.iter().enumerate() {
            let pattern = compile_regex(&entry.pattern, &format!("hostMap[{i}].pattern"))?;
            rules.host_map.push((pattern, entry.host.to_ascii_lowercase()));
        }
        for (i, pattern) in config.host_block_list.iter().enumerate() {
            rules.host_block.push(compile_regex(pattern, &format!("hostBlockList[{i}]"))?);
        }
        for (i, entry) in config.path_block_list.iter().enumerate() {
            let host = compile_regex(&entry.host, &format!("pathBlockList[{i}].host"))?;
            let mut paths = Vec::new();
            for (j, path) in entry.paths.iter().enumerate() {
                paths.push(compile_regex(path, &format!("pathBlockList[{i}].paths[{j}]"))?);
            }
            rules.path_block.push((host, paths));
        }
        Ok(rules)
    }

    /// Applies `hostMap`: the first entry whose pattern matches decides the host.
    pub fn map_host<'a>(&'a self, host: &'a str) -> &'a str {
        for (pattern, mapped) in &self.host_map {
            if pattern.is_match(host) {
                return mapped;
            }
        }
        host
    }

    pub fn is_host_blocked(&self, host: &str) -> bool {
        self.host_block.iter().any(|pattern| pattern.is_match(host))
    }

    pub fn is_path_blocked(&self, host: &str, path: &str) -> bool {
        self.path_block
            .iter()
            .any(|(host_pattern, paths)| host_pattern.is_match(host) && paths.iter().any(|p| p.is_match(path)))
    }
}

/// Compiles a regex from configuration with a size limit; the error names the setting.
pub fn compile_regex(pattern: &str, setting: &str) -> Result<Regex, ConfigError> {
    RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT_BYTES)
        .dfa_size_limit(REGEX_SIZE_LIMIT_BYTES)
        .build()
        .map_err(|source| ConfigError::InvalidRegex { setting: setting.to_string(), source })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> HostRules {
        HostRules::compile(&HostRulesConfig {
            host_map: vec![HostMapEntry { host: "api.example.com".into(), pattern: r"^api-\d+\.internal$".into() }],
            host_block_list: vec![r"^health\.".into()],
            path_block_list: vec![PathBlockEntry { host: "api.example.com".into(), paths: vec!["^/metrics".into()] }],
        })
        .unwrap()
    }

    #[test]
    fn host_map_renames_matching_hosts() {
        let rules = rules();
        assert_eq!(rules.map_host("api-7.internal"), "api.example.com");
        assert_eq!(rules.map_host("other.internal"), "other.internal");
    }

    #[test]
    fn block_lists_match() {
        let rules = rules();
        assert!(rules.is_host_blocked("health.example.com"));
        assert!(!rules.is_host_blocked("api.example.com"));
        assert!(rules.is_path_blocked("api.example.com", "/metrics/x"));
        assert!(!rules.is_path_blocked("api.example.com", "/users"));
        assert!(!rules.is_path_blocked("other.com", "/metrics"));
    }

    #[test]
    fn bad_regex_names_setting() {
        let config = HostRulesConfig { host_block_list: vec!["ok".into(), "(".into()], ..Default::default() };
        let error = HostRules::compile(&config).unwrap_err().to_string();
        assert!(error.starts_with("invalid regex in hostBlockList[1]"), "{error}");
    }

    #[test]
    fn huge_repetition_is_rejected() {
        let config = HostRulesConfig { host_block_list: vec!["(a{1000}){1000}".into()], ..Default::default() };
        assert!(HostRules::compile(&config).is_err());
    }
}
