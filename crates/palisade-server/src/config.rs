//! The configuration file: YAML with a `version` key. Every section is optional; flags
//! and `PALISADE_*` environment variables override what the file sets.
//!
//! Metlo's `hostMap`, `hostBlockList` and `pathBlockList` keys are accepted at the top
//! level as Metlo wrote them.

use std::net::SocketAddr;
use std::path::Path;

use palisade_analyze::config::{HostMapEntry, PathBlockEntry};
use palisade_analyze::{DiscoveryConfig, HostRules, HostRulesConfig, PipelineConfig};
use palisade_core::Limits;
use serde::{Deserialize, Serialize};
use thiserror::Error;

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
    /// Seconds a request may take before the server responds with 408.
    pub request_timeout_secs: u64,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 7480)),
            max_queued_traces: 200_000,
            max_request_bytes: 32 * 1024 * 1024,
            max_traces_per_commit: 5_000,
            request_timeout_secs: 30,
        }
    }
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid configuration file {path}: {message}")]
    Parse { path: String, message: String },
    #[error(
        "invalid configuration file {path}: version {found} is not supported; this build reads version {CONFIG_VERSION}"
    )]
    Version { path: String, found: u32 },
    #[error("invalid configuration file {path}: {source}")]
    Rules {
        path: String,
        #[source]
        source: palisade_analyze::ConfigError,
    },
}

impl Config {
    /// Reads and checks a configuration file. Errors name the file, and YAML errors
    /// carry the line and column.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let display = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: display.clone(), source })?;
        Self::parse(&text, &display)
    }

    /// Parses configuration text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, ConfigError> {
        let config: Config = serde_saphyr::from_str(text)
            .map_err(|e| ConfigError::Parse { path: origin.to_string(), message: e.to_string() })?;
        if config.version != CONFIG_VERSION {
            return Err(ConfigError::Version { path: origin.to_string(), found: config.version });
        }
        config.pipeline().map_err(|source| ConfigError::Rules { path: origin.to_string(), source })?;
        Ok(config)
    }

    /// Builds the pipeline configuration, compiling the host rules.
    pub fn pipeline(&self) -> Result<PipelineConfig, palisade_analyze::ConfigError> {
        let rules = HostRulesConfig {
            host_map: self.host_map.clone(),
            host_block_list: self.host_block_list.clone(),
            path_block_list: self.path_block_list.clone(),
        };
        Ok(PipelineConfig {
            limits: self.limits.clone(),
            discovery: self.discovery.clone(),
            host_rules: HostRules::compile(&rules)?,
        })
    }
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
        let pipeline = config.pipeline().unwrap();
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
    fn wrong_version_is_rejected() {
        let error = Config::parse("version: 7\n", "c.yaml").unwrap_err().to_string();
        assert!(error.contains("version 7 is not supported"), "{error}");
    }

    #[test]
    fn bad_regex_is_reported() {
        let error = Config::parse("version: 1\nhostBlockList: ['(']\n", "c.yaml").unwrap_err().to_string();
        assert!(error.contains("hostBlockList[0]"), "{error}");
    }
}
