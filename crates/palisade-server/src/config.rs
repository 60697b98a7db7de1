//! The configuration file: YAML with a `version` key. Every section is optional; flags
//! and `PALISADE_*` environment variables override what the file sets.
//!
//! Metlo's `hostMap`, `hostBlockList`, `pathBlockList` and `ignoredDetections` keys are
//! accepted at the top level as Metlo wrote them.

use std::net::SocketAddr;
use std::path::Path;

use std::sync::Arc;

use palisade_analyze::actors::{ActorConfig, ActorResolver};
use palisade_analyze::behaviour::BehaviourConfig;
use palisade_analyze::classify::{AlertConfig, DataClassifier};
use palisade_analyze::config::{HostMapEntry, PathBlockEntry};
use palisade_analyze::detect::AttackAlertConfig;
use palisade_analyze::ignore::{IgnoredDetectionEntry, IgnoredDetections};
use palisade_analyze::redact::{Privacy, PrivacyConfig};
use palisade_analyze::{DiscoveryConfig, HostRules, HostRulesConfig, PipelineConfig};
use palisade_classify::{Classifier, ClassifyConfig, MetloSensitiveDataMap};
use palisade_core::Limits;
use palisade_detect::{DetectConfig, Detector};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::classification::BuiltinClassifier;
use crate::detection::SignatureDetector;
use crate::webhooks::WebhookConfig;
use crate::yaml_position;

/// The configuration file format version this build reads.
pub const CONFIG_VERSION: u32 = 1;

/// The whole configuration file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub version: u32,
    #[serde(default)]
    pub server: ServerSettings,
    #[serde(default)]
    pub limits: Limits,
    #[serde(default)]
    pub discovery: DiscoveryConfig,
    #[serde(rename = "hostMap", default)]
    pub host_map: Vec<HostMapEntry>,
    #[serde(rename = "hostBlockList", default)]
    pub host_block_list: Vec<String>,
    #[serde(rename = "pathBlockList", default)]
    pub path_block_list: Vec<PathBlockEntry>,
    /// Metlo's detections to ignore per endpoint: class to field paths.
    #[serde(rename = "ignoredDetections", default, skip_serializing_if = "Vec::is_empty")]
    pub ignored_detections: Vec<IgnoredDetectionEntry>,
    /// Data classes: limits, disabled classes and custom classes.
    #[serde(default)]
    pub classification: ClassifyConfig,
    /// Metlo's custom data classes, as Metlo wrote them.
    #[serde(rename = "sensitiveData", default)]
    pub sensitive_data: MetloSensitiveDataMap,
    /// Metlo's list of data classes to turn off.
    #[serde(rename = "disabledDataClass", default)]
    pub disabled_data_class: Vec<String>,
    #[serde(default)]
    pub alerts: AlertConfig,
    #[serde(default)]
    pub privacy: PrivacyConfig,
    /// Metlo's `blockFields`: host, then path, then (optionally) method, then
    /// `disable_paths`.
    #[serde(rename = "blockFields", default)]
    pub block_fields: Option<serde_json::Value>,
    /// Signature detection: classes, rules and work limits.
    #[serde(default)]
    pub detection: DetectConfig,
    /// When detections raise alerts.
    #[serde(default)]
    pub attacks: AttackAlertConfig,
    #[serde(default)]
    pub actors: ActorConfig,
    #[serde(default)]
    pub behaviour: BehaviourConfig,
    /// Where new and reopened alerts are sent.
    #[serde(default)]
    pub webhooks: Vec<WebhookConfig>,
    /// Settings of `palisade test` (hosts, actors, authentication); `palisade serve`
    /// accepts the section so one file serves both, and leaves it to the test commands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub testing: Option<serde_json::Value>,
    /// Block rules: limits, reload interval and automatic policies.
    #[serde(default)]
    pub blocking: crate::rules::BlockingConfig,
    /// Settings of the proxy that `palisade serve --proxy-listen` runs in-process; the
    /// same `proxy:` section that `palisade proxy --config` reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<palisade_proxy::ProxyConfig>,
    /// Imported OpenAPI descriptions: drift checks and reconciliation.
    #[serde(default)]
    pub openapi: OpenApiSettings,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            version: CONFIG_VERSION,
            server: ServerSettings::default(),
            limits: Limits::default(),
            discovery: DiscoveryConfig::default(),
            host_map: Vec::new(),
            host_block_list: Vec::new(),
            path_block_list: Vec::new(),
            ignored_detections: Vec::new(),
            classification: ClassifyConfig::default(),
            sensitive_data: MetloSensitiveDataMap::default(),
            disabled_data_class: Vec::new(),
            alerts: AlertConfig::default(),
            privacy: PrivacyConfig::default(),
            block_fields: None,
            detection: DetectConfig::default(),
            attacks: AttackAlertConfig::default(),
            actors: ActorConfig::default(),
            behaviour: BehaviourConfig::default(),
            webhooks: Vec::new(),
            testing: None,
            blocking: crate::rules::BlockingConfig::default(),
            proxy: None,
            openapi: OpenApiSettings::default(),
        }
    }
}

/// Settings of `palisade serve`, the `server:` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// Address the collector, API and dashboard listen on.
    pub listen: SocketAddr,
    /// Maximum traces accepted but not yet applied to the inventory. When a request would
    /// pass this, the collector responds with 429 and `Retry-After`.
    pub max_queued_traces: u64,
    /// Largest request body accepted by any route, in bytes.
    pub max_request_bytes: usize,
    /// Most traces the pipeline applies in one store transaction.
    pub max_traces_per_commit: usize,
    /// Longest time, in milliseconds, that processed traces wait before the pipeline
    /// commits them; more traces per commit cost less each.
    pub commit_interval_ms: u64,
    /// Seconds a request may take before the server responds with 408.
    pub request_timeout_secs: u64,
    /// Days a data class may go without matching on a field location that keeps being
    /// seen before it stops counting for risk.
    pub class_decay_days: u32,
    /// Findings kept in the store; the oldest are deleted beyond this many.
    pub max_findings: u64,
    /// Alerts waiting for delivery to one webhook. Further alerts for that webhook are
    /// dropped and counted.
    pub max_queued_webhooks: usize,
    /// Hours a dashboard session lasts after sign-in.
    pub session_ttl_hours: u32,
    /// Failed sign-ins per minute, per client address and per user name, after which
    /// sign-in is refused with 429 until the minute has passed.
    pub max_login_failures_per_minute: usize,
    /// Shortest password accepted for a user.
    pub min_password_length: usize,
    /// Security test runs kept; the oldest are deleted beyond this many.
    pub max_test_runs: u64,
}

impl ServerSettings {
    /// Checks the settings that make the server reject every request or sign-in when 0.
    pub fn check(&self) -> Result<(), String> {
        let at_least_one = [
            ("max_queued_traces", self.max_queued_traces),
            ("max_request_bytes", self.max_request_bytes as u64),
            ("max_traces_per_commit", self.max_traces_per_commit as u64),
            ("request_timeout_secs", self.request_timeout_secs),
            ("session_ttl_hours", u64::from(self.session_ttl_hours)),
        ];
        match at_least_one.iter().find(|(_, value)| *value == 0) {
            Some((name, _)) => Err(format!("invalid server.{name} of 0: expected at least 1")),
            None => Ok(()),
        }
    }
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 7480)),
            max_queued_traces: 200_000,
            max_request_bytes: 32 * 1024 * 1024,
            max_traces_per_commit: 20_000,
            commit_interval_ms: 1000,
            request_timeout_secs: 30,
            class_decay_days: palisade_store::sqlite::DEFAULT_CLASS_DECAY_DAYS,
            max_findings: palisade_store::sqlite::DEFAULT_MAX_FINDINGS,
            max_queued_webhooks: 1000,
            session_ttl_hours: 12,
            max_login_failures_per_minute: 5,
            min_password_length: 10,
            max_test_runs: 1000,
        }
    }
}

/// Settings of imported OpenAPI descriptions, the `openapi:` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OpenApiSettings {
    /// Drift checks: each trace that an operation of a stored description documents is
    /// checked against it, and every difference raises a `spec_drift` alert.
    pub drift: bool,
    /// Most violations one trace reports; the rest of that trace's drift is not reported.
    pub max_violations_per_trace: usize,
    /// Days without traffic after which an operation that traffic reached before is listed
    /// as a zombie candidate by reconciliation.
    pub zombie_after_days: u32,
    /// Seconds between checks for descriptions added or removed by another process, such
    /// as `palisade spec import` while the server runs. 0 turns the check off.
    pub reload_interval_secs: u64,
}

impl Default for OpenApiSettings {
    fn default() -> Self {
        Self { drift: true, max_violations_per_trace: 10, zombie_after_days: 30, reload_interval_secs: 10 }
    }
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {cause}")]
    Read { path: String, cause: std::io::Error },
    #[error("invalid configuration file {path}: {message}")]
    Parse { path: String, message: String },
    #[error(
        "invalid configuration file {path}: version {found} is not supported; this build reads version {CONFIG_VERSION}"
    )]
    Version { path: String, found: u32 },
    #[error("invalid configuration file {path}: {cause}")]
    Rules { path: String, cause: palisade_analyze::ConfigError },
    #[error("invalid configuration file {path}: {cause}")]
    Classes { path: String, cause: palisade_classify::ConfigError },
    #[error("invalid configuration file {path}: {cause}")]
    Detection { path: String, cause: palisade_detect::ConfigError },
    #[error("invalid configuration file {path}: {message}")]
    Webhook { path: String, message: String },
    #[error("invalid configuration file {path}: blocking: {cause}")]
    Policies { path: String, cause: palisade_proxy::policy::PolicyError },
}

/// Problems found while building the pipeline from a configuration.
#[derive(Debug, Error)]
pub enum PipelineError {
    #[error(transparent)]
    Rules(#[from] palisade_analyze::ConfigError),
    #[error(transparent)]
    Classes(#[from] palisade_classify::ConfigError),
    #[error(transparent)]
    Detection(#[from] palisade_detect::ConfigError),
}

impl Config {
    /// Reads and checks a configuration file. Errors name the file, and YAML errors
    /// carry the line and column.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|cause| ConfigError::Read { path: display.clone(), cause })?;
        Self::parse(&text, &display)
    }

    /// Parses configuration text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, ConfigError> {
        let config: Config = serde_saphyr::from_str(text).map_err(|e| parse_error(text, origin, &e.to_string()))?;
        if config.version != CONFIG_VERSION {
            return Err(ConfigError::Version { path: origin.to_string(), found: config.version });
        }
        // Settings are checked after parsing, so their errors get the position of the
        // setting or value that they name, found by reading the text again.
        let at = |message: &str| match yaml_position::locate(text, message) {
            Some(position) => format!("{origin}:{}:{}", position.line, position.column),
            None => origin.to_string(),
        };
        if let Err(message) = config.server.check() {
            return Err(ConfigError::Parse { path: at(&message), message });
        }
        if let Err(message) = config.behaviour.check() {
            return Err(ConfigError::Parse { path: at(&message), message });
        }
        for (i, webhook) in config.webhooks.iter().enumerate() {
            if let Err(message) = webhook.check() {
                let message = format!("webhooks[{i}]: {message}");
                return Err(ConfigError::Webhook { path: at(&message), message });
            }
        }
        if let Err(source) = config.blocking.validate() {
            return Err(ConfigError::Policies { path: at(&format!("blocking: {source}")), cause: source });
        }
        match config.pipeline(&[]) {
            Ok(_) => Ok(config),
            Err(PipelineError::Rules(source)) => {
                Err(ConfigError::Rules { path: at(&source.to_string()), cause: source })
            }
            Err(PipelineError::Classes(source)) => {
                Err(ConfigError::Classes { path: at(&source.to_string()), cause: source })
            }
            Err(PipelineError::Detection(source)) => {
                Err(ConfigError::Detection { path: at(&source.to_string()), cause: source })
            }
        }
    }

    /// The classifier configuration: `classification:` with Metlo's `sensitiveData` and
    /// `disabledDataClass` added.
    pub fn classify_config(&self) -> Result<ClassifyConfig, palisade_classify::ConfigError> {
        let mut config = self.classification.clone();
        let metlo = ClassifyConfig::from_metlo(&self.sensitive_data.0, &self.disabled_data_class)?;
        config.custom_classes.extend(metlo.custom_classes);
        config.disabled_classes.extend(metlo.disabled_classes);
        Ok(config)
    }

    /// Builds the pipeline configuration, compiling host rules, data classes, privacy
    /// settings and detection rules. `actor_key` keys the hashes that stand for API keys
    /// and session ids in actor ids; it must stay the same across restarts.
    pub fn pipeline(&self, actor_key: &[u8]) -> Result<PipelineConfig, PipelineError> {
        let rules = HostRulesConfig {
            host_map: self.host_map.clone(),
            host_block_list: self.host_block_list.clone(),
            path_block_list: self.path_block_list.clone(),
        };
        let classifier = Classifier::new(&self.classify_config()?)?;
        let classifier: Arc<dyn DataClassifier> = Arc::new(BuiltinClassifier::new(classifier));
        let known_classes = crate::detection::finding_classes();
        let ignored = IgnoredDetections::compile(&self.ignored_detections, &known_classes, Some(&*classifier))?;
        Ok(PipelineConfig {
            limits: self.limits.clone(),
            discovery: self.discovery.clone(),
            host_rules: HostRules::compile(&rules)?,
            classifier: Some(classifier),
            alerts: self.alerts.clone(),
            privacy: Privacy::compile(&self.privacy, self.block_fields.as_ref())?,
            detector: Some(Arc::new(SignatureDetector::new(Detector::new(&self.detection)?))),
            attacks: self.attacks.clone(),
            actors: ActorResolver::new(&self.actors, actor_key.to_vec())?,
            behaviour: self.behaviour.clone(),
            ignored,
        })
    }
}

/// Rewrites a YAML parser message for a configuration error: without the parser's own
/// `error: ` prefix, and with the file name where the snippet names `<input>`.
/// Turns a YAML or type error into `FILE:LINE:COLUMN: SETTING: problem`, the form of the
/// errors found after parsing, followed by the parser's excerpt of the file.
fn parse_error(text: &str, origin: &str, error: &str) -> ConfigError {
    if text.trim().is_empty() {
        let message = format!("the file is empty: expected at least `version: {CONFIG_VERSION}`");
        return ConfigError::Parse { path: origin.to_string(), message };
    }
    let message = yaml_message(error, origin);
    let (first, excerpt) = message.split_once('\n').unwrap_or((&message, ""));
    let Some((line, column, parser_problem)) = parse_position(first) else {
        return ConfigError::Parse { path: origin.to_string(), message };
    };
    let problem = plain_problem(parser_problem);
    let excerpt = excerpt.replace(parser_problem, &problem);
    let problem = problem.as_str();
    // A missing field is reported at the mapping that lacks it, which is not a setting.
    let setting =
        if problem.starts_with("missing field") { None } else { yaml_position::setting_at(text, line, column) };
    let hint = if problem == "invalid socket address syntax" {
        ": expected IP:PORT, such as 127.0.0.1:7480, with a port up to 65535 (host names are not accepted)"
    } else {
        ""
    };
    let mut message = match setting {
        Some(setting) => format!("{setting}: {problem}{hint}"),
        None => format!("{problem}{hint}"),
    };
    if !excerpt.is_empty() {
        message.push('\n');
        message.push_str(&excerpt);
    }
    ConfigError::Parse { path: format!("{origin}:{line}:{column}"), message }
}

/// Splits `line L column C: problem`, the first line of a YAML error.
fn parse_position(first_line: &str) -> Option<(u32, u32, &str)> {
    let rest = first_line.strip_prefix("line ")?;
    let (line, rest) = rest.split_once(" column ")?;
    let (column, problem) = rest.split_once(": ")?;
    Some((line.parse().ok()?, column.parse().ok()?, problem))
}

/// Rewrites the parser's wording of a problem in the words of a configuration file: the
/// range a number must be in, and what a repeated key means.
fn plain_problem(problem: &str) -> String {
    let range = match problem {
        "invalid u8" => Some("a whole number from 0 to 255"),
        "invalid u16" => Some("a whole number from 0 to 65535"),
        "invalid u32" => Some("a whole number from 0 to 4294967295"),
        "invalid u64" | "invalid usize" => Some("a whole number from 0 to 18446744073709551615"),
        "invalid i32" | "invalid i64" => Some("a whole number"),
        "invalid f32" | "invalid f64" | "invalid floating point" => Some("a number"),
        _ => None,
    };
    if let Some(range) = range {
        return format!("invalid value: expected {range}");
    }
    if let Some(rest) = problem.strip_prefix("duplicate mapping key: ") {
        let key = rest.split(", set DuplicateKeyPolicy").next().unwrap_or(rest);
        return format!("duplicate key `{key}`: each key may appear once in a mapping");
    }
    problem.to_string()
}

fn yaml_message(message: &str, origin: &str) -> String {
    let message = message.strip_prefix("error: ").unwrap_or(message);
    message.replace("--> <input>:", &format!("--> {origin}:"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_full_file() {
        let text = "version: 1
server:
  listen: 127.0.0.1:9000
  max_queued_traces: 10
limits:
  max_body_bytes: 2048
discovery:
  min_distinct_values: 5
hostMap:
  - host: api.example.com
    pattern: '^api-[0-9]+$'
hostBlockList: ['^health']
pathBlockList:
  - host: '.*'
    paths: ['^/metrics']
";
        let config = Config::parse(text, "palisade.yaml").unwrap();
        assert_eq!(config.server.listen, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(config.server.max_queued_traces, 10);
        assert_eq!(config.server.max_request_bytes, ServerSettings::default().max_request_bytes);
        assert_eq!(config.limits.max_body_bytes, 2048);
        assert_eq!(config.discovery.min_distinct_values, 5);
        assert_eq!(config.host_map.len(), 1);
        let pipeline = config.pipeline(&[]).unwrap();
        assert_eq!(pipeline.host_rules.map_host("api-3"), "api.example.com");
    }

    #[test]
    fn unknown_key_names_position() {
        let error = Config::parse("version: 1\nserver:\n  lisen: 1\n", "c.yaml").unwrap_err().to_string();
        assert!(error.contains("c.yaml"), "{error}");
        assert!(error.contains("lisen"), "{error}");
        assert!(error.contains('3'), "line number expected: {error}");
    }

    #[test]
    fn value_errors_start_with_position_and_setting() {
        let cases = [
            ("version: 1\nserver:\n  listen: 127.0.0.1:99999\n", "c.yaml:3:11: server.listen: invalid socket address"),
            (
                "version: 1\nserver:\n  max_queued_traces: lots\n",
                "c.yaml:3:22: server.max_queued_traces: invalid value: expected a whole number from 0 to",
            ),
            (
                "version: 1\ndetection:\n  min_confidence: huge\n",
                "c.yaml:3:19: detection.min_confidence: unknown variant",
            ),
            ("version: 1\nserver:\n  lisen: 1\n", "c.yaml:3:3: server.lisen: unknown field `lisen`"),
            ("server:\n  listen: 127.0.0.1:1\n", "c.yaml:1:1: missing field `version`"),
            ("\n", "c.yaml: the file is empty: expected at least `version: 1`"),
        ];
        for (text, expected) in cases {
            let error = Config::parse(text, "c.yaml").unwrap_err().to_string();
            assert!(error.starts_with(&format!("invalid configuration file {expected}")), "{text:?}: {error}");
        }
        let error = Config::parse("version: 1\nserver:\n  listen: localhost:7480\n", "c.yaml").unwrap_err();
        assert!(error.to_string().contains("expected IP:PORT"), "{error}");
    }

    #[test]
    fn testing_section_is_accepted() {
        let text = "version: 1\ntesting:\n  global_env:\n    - name: TOKEN\n      value: abc\n";
        let config = Config::parse(text, "c.yaml").unwrap();
        assert_eq!(config.testing.unwrap()["global_env"][0]["name"], "TOKEN");
    }

    #[test]
    fn wrong_version_is_rejected() {
        let error = Config::parse("version: 7\n", "c.yaml").unwrap_err().to_string();
        assert!(error.contains("version 7 is not supported"), "{error}");
    }

    #[test]
    fn metlo_data_classes_are_accepted() {
        let text = "version: 1
sensitiveData:
  Employee ID:
    severity: HIGH
    patterns: ['EMP-[0-9]{6}']
disabledDataClass: [IP_ADDRESS]
classification:
  custom_classes:
    - id: ticket_number
      value_regex: 'TCK-[0-9]{4}'
blockFields:
  api.example.com:
    /users/{id}:
      disable_paths: [res.body.ssn]
";
        let config = Config::parse(text, "c.yaml").unwrap();
        let classify = config.classify_config().unwrap();
        let ids: Vec<&str> = classify.custom_classes.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, vec!["ticket_number", "employee_id"]);
        assert_eq!(classify.disabled_classes, vec!["IP_ADDRESS".to_string()]);
    }

    #[test]
    fn bad_custom_class_regex_names_class() {
        let text = "version: 1\nclassification:\n  custom_classes:\n    - id: broken\n      value_regex: 'a(b'\n";
        let error = Config::parse(text, "c.yaml").unwrap_err().to_string();
        assert!(error.contains("c.yaml"), "{error}");
        assert!(error.contains("broken"), "{error}");
    }

    #[test]
    fn bad_regex_is_reported() {
        let error = Config::parse("version: 1\nhostBlockList: ['(']\n", "c.yaml").unwrap_err().to_string();
        assert!(error.contains("hostBlockList[0]"), "{error}");
        assert!(error.contains("c.yaml:2:17:"), "position of the item expected: {error}");
    }

    #[test]
    fn invalid_setting_names_line_and_column() {
        let text = "version: 1\ndetection:\n  limits:\n    max_decode_rounds: 0\n";
        let error = Config::parse(text, "c.yaml").unwrap_err().to_string();
        assert!(error.starts_with("invalid configuration file c.yaml:4:24: "), "{error}");
        assert!(error.contains("max_decode_rounds"), "{error}");
    }

    #[test]
    fn zero_queue_is_rejected() {
        let text = "version: 1\nserver:\n  max_queued_traces: 0\n";
        let error = Config::parse(text, "c.yaml").unwrap_err().to_string();
        assert!(error.contains("c.yaml:3:22: invalid server.max_queued_traces of 0"), "{error}");
    }

    #[test]
    fn parser_problems_read_as_configuration_errors() {
        let cases = [
            (
                "behaviour:\n  auth_failures: ten\n",
                "behaviour.auth_failures: invalid value: expected a whole number from 0 to 4294967295",
            ),
            (
                "behaviour:\n  auth_failures: -3\n",
                "behaviour.auth_failures: invalid value: expected a whole number from 0 to 4294967295",
            ),
            ("behaviour:\n  rate_factor: fast\n", "behaviour.rate_factor: invalid value: expected a number"),
            (
                "behaviour:\n  sequential_run: 4\n  sequential_run: 5\n",
                "duplicate key `sequential_run`: each key may appear once in a mapping",
            ),
        ];
        for (body, expected) in cases {
            let text = format!("version: 1\n{body}");
            let error = Config::parse(&text, "c.yaml").unwrap_err().to_string();
            assert!(error.contains(expected), "{error}");
            assert!(!error.contains("invalid u32"), "{error}");
            assert!(!error.contains("DuplicateKeyPolicy"), "{error}");
        }
    }

    #[test]
    fn zero_behaviour_threshold_is_rejected() {
        let text = "version: 1\nbehaviour:\n  window_secs: 60\n  auth_failures: 0\n";
        let error = Config::parse(text, "c.yaml").unwrap_err().to_string();
        assert!(error.contains("c.yaml:4:18: invalid behaviour.auth_failures of 0: expected at least 1"), "{error}");

        let text = "version: 1\nbehaviour:\n  rate_factor: 0.0\n";
        let error = Config::parse(text, "c.yaml").unwrap_err().to_string();
        assert!(error.contains("invalid behaviour.rate_factor of 0: expected a number above 0"), "{error}");
    }

    #[test]
    fn invalid_list_value_names_its_line() {
        let text = "version: 1\nactors:\n  trusted_proxies:\n    - 10.0.0.0/8\n    - 10.0.0.300\n";
        let error = Config::parse(text, "c.yaml").unwrap_err().to_string();
        assert!(error.contains("c.yaml:5:7:"), "{error}");
    }
}
