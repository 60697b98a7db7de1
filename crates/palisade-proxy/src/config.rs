//! Proxy configuration: the `proxy:` section of a YAML file with a `version` key. Flags of
//! `palisade proxy` override what the file sets.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use palisade_analyze::actors::ActorConfig;
use palisade_core::finding::Confidence;
use palisade_detect::DetectConfig;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::feed::FeedSettings;
use crate::mirror::MirrorSettings;
use crate::rules::{DEFAULT_MAX_RATE_KEYS, Mode, RuleLimits};

/// The configuration file format version this build reads.
pub const CONFIG_VERSION: u32 = 1;

/// Maximum of `proxy.workers`: each worker is a thread with a socket and a connection pool.
pub const MAX_WORKERS: usize = 256;

/// A proxy configuration file: `version: 1` and a `proxy:` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyFile {
    pub version: u32,
    #[serde(default)]
    pub proxy: ProxyConfig,
}

/// Settings of the proxy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProxyConfig {
    /// Address the proxy listens on.
    pub listen: Option<SocketAddr>,
    /// URL of the upstream, `http://HOST:PORT` with an optional path prefix that is put
    /// before every request path.
    pub upstream: Option<String>,
    /// Address of the separate metrics listener (`GET /metrics`); none when absent.
    pub metrics_listen: Option<SocketAddr>,
    /// Number of event loops serving clients, at most [`MAX_WORKERS`], where 0 means one per
    /// CPU core. Each has its own thread, upstream pool and socket on `listen`
    /// (`SO_REUSEPORT`, so the kernel spreads connections over them).
    pub workers: usize,
    /// TLS termination; plain HTTP when absent.
    pub tls: Option<TlsConfig>,
    /// Send the client's `Host` header to the upstream (true), or the upstream's own
    /// host and port (false).
    pub preserve_host: bool,
    pub limits: ProxyLimits,
    /// Trusted proxies in front of this one, whose `X-Forwarded-For` is believed when
    /// finding the client IP.
    pub actors: ActorConfig,
    pub inline_detection: InlineDetection,
    /// Signature detection settings for inline detection.
    pub detection: DetectConfig,
    pub feed: FeedSettings,
    pub mirror: MirrorSettings,
    pub rules: RuleLimits,
    /// Maximum rate limit counters (rule and key pairs) kept at once.
    pub max_rate_keys: usize,
    /// Maximum log lines per second about individual requests (blocks, monitor matches,
    /// rejected requests); the rest are counted in `palisade_proxy_logs_suppressed_total`.
    pub max_request_logs_per_sec: u32,
}

impl Default for ProxyConfig {
    fn default() -> Self {
        Self {
            listen: None,
            upstream: None,
            metrics_listen: None,
            workers: 0,
            tls: None,
            preserve_host: true,
            limits: ProxyLimits::default(),
            actors: ActorConfig::default(),
            inline_detection: InlineDetection::default(),
            detection: DetectConfig::default(),
            feed: FeedSettings::default(),
            mirror: MirrorSettings::default(),
            rules: RuleLimits::default(),
            max_rate_keys: DEFAULT_MAX_RATE_KEYS,
            max_request_logs_per_sec: 20,
        }
    }
}

/// Certificate and key for TLS termination, both PEM files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// Certificate chain, leaf first.
    pub cert_path: PathBuf,
    /// Private key (PKCS#8, PKCS#1 or SEC1).
    pub key_path: PathBuf,
}

/// Limits and timeouts of the proxy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProxyLimits {
    /// Maximum client connections open at once; further connections are closed at once.
    pub max_connections: usize,
    /// Maximum size of a request head (request line and headers) of HTTP/1.1, and header list of
    /// HTTP/2, in bytes. A larger HTTP/1.1 head gets 431.
    pub max_header_bytes: usize,
    /// Maximum headers in one HTTP/1.1 request; more get 431.
    pub max_headers: usize,
    /// Maximum concurrent streams on one HTTP/2 connection.
    pub max_concurrent_streams: u32,
    /// Maximum request body bytes read before forwarding, for body rules and inline
    /// detection. Longer bodies are inspected at their start and streamed on.
    pub max_inspect_body_bytes: usize,
    /// Seconds a client has to send a complete request head; the connection is closed
    /// after that. Also bounds how long an idle keep-alive connection stays open.
    pub client_header_timeout_secs: u64,
    /// Maximum pause between two pieces of a request body, in seconds; after that the
    /// request gets 408, or is cut when it is already being forwarded.
    pub client_body_timeout_secs: u64,
    /// Seconds a TLS handshake may take.
    pub tls_handshake_timeout_secs: u64,
    pub upstream_connect_timeout_secs: u64,
    /// Seconds from sending a request to the upstream until its response head arrives;
    /// the client gets 504 after that.
    pub upstream_response_timeout_secs: u64,
    /// Maximum pause between two pieces of a response body, in seconds; the response is
    /// cut after that.
    pub upstream_body_timeout_secs: u64,
    /// Seconds an idle pooled upstream connection is kept.
    pub upstream_idle_timeout_secs: u64,
    /// Maximum idle pooled connections to the upstream, per worker.
    pub max_idle_upstream_connections: usize,
    /// Seconds that running requests get to finish at shutdown.
    pub shutdown_grace_secs: u64,
}

impl Default for ProxyLimits {
    fn default() -> Self {
        Self {
            max_connections: 10_000,
            max_header_bytes: 64 * 1024,
            max_headers: 100,
            max_concurrent_streams: 200,
            max_inspect_body_bytes: 64 * 1024,
            client_header_timeout_secs: 10,
            client_body_timeout_secs: 30,
            tls_handshake_timeout_secs: 10,
            upstream_connect_timeout_secs: 5,
            upstream_response_timeout_secs: 60,
            upstream_body_timeout_secs: 60,
            upstream_idle_timeout_secs: 90,
            max_idle_upstream_connections: 256,
            shutdown_grace_secs: 30,
        }
    }
}

/// Signature detection on each request before it is forwarded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InlineDetection {
    pub enabled: bool,
    /// `block` rejects requests with a finding at or above `min_confidence` with 403;
    /// `monitor` only logs and counts them.
    pub mode: Mode,
    pub min_confidence: Confidence,
}

impl Default for InlineDetection {
    fn default() -> Self {
        Self { enabled: false, mode: Mode::Monitor, min_confidence: Confidence::High }
    }
}

/// A configuration that cannot be used.
#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("invalid configuration in {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("unsupported configuration version {0} (this build reads version 1)")]
    Version(u32),
    #[error("invalid {field}: {problem}")]
    Invalid { field: &'static str, problem: String },
}

impl ProxyFile {
    /// Reads a YAML configuration file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        Self::parse(&text).map_err(|error| match error {
            ConfigError::Parse { message, .. } => ConfigError::Parse { path: path.to_path_buf(), message },
            other => other,
        })
    }

    /// Parses YAML text.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let file: ProxyFile = serde_saphyr::from_str(text)
            .map_err(|error| ConfigError::Parse { path: PathBuf::from("<text>"), message: error.to_string() })?;
        if file.version != CONFIG_VERSION {
            return Err(ConfigError::Version(file.version));
        }
        Ok(file)
    }
}

impl ProxyConfig {
    /// Checks the settings that serde cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let limits = &self.limits;
        let positive = [
            ("proxy.limits.max_connections", limits.max_connections as u64),
            ("proxy.limits.max_headers", limits.max_headers as u64),
            ("proxy.limits.max_concurrent_streams", u64::from(limits.max_concurrent_streams)),
            ("proxy.limits.client_header_timeout_secs", limits.client_header_timeout_secs),
            ("proxy.limits.client_body_timeout_secs", limits.client_body_timeout_secs),
            ("proxy.limits.tls_handshake_timeout_secs", limits.tls_handshake_timeout_secs),
            ("proxy.limits.upstream_connect_timeout_secs", limits.upstream_connect_timeout_secs),
            ("proxy.limits.upstream_response_timeout_secs", limits.upstream_response_timeout_secs),
            ("proxy.limits.upstream_body_timeout_secs", limits.upstream_body_timeout_secs),
            ("proxy.max_rate_keys", self.max_rate_keys as u64),
            ("proxy.mirror.max_queued_traces", self.mirror.max_queued_traces as u64),
            ("proxy.mirror.batch_size", self.mirror.batch_size as u64),
        ];
        if self.workers > MAX_WORKERS {
            return Err(ConfigError::Invalid {
                field: "proxy.workers",
                problem: format!("{}: expected at most {MAX_WORKERS}", self.workers),
            });
        }
        for (field, value) in positive {
            if value == 0 {
                return Err(ConfigError::Invalid { field, problem: "0: expected at least 1".into() });
            }
        }
        // The limit is hyper's read buffer size, which must hold one whole request head
        // and which hyper refuses below 8 KiB.
        if limits.max_header_bytes < 8192 {
            return Err(ConfigError::Invalid {
                field: "proxy.limits.max_header_bytes",
                problem: format!("{}: expected at least 8192", limits.max_header_bytes),
            });
        }
        if self.feed.wait_secs > crate::feed::MAX_WAIT_SECS {
            return Err(ConfigError::Invalid {
                field: "proxy.feed.wait_secs",
                problem: format!("{}: expected at most {}", self.feed.wait_secs, crate::feed::MAX_WAIT_SECS),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_full_file() {
        let text = "
version: 1
proxy:
  listen: 127.0.0.1:8080
  upstream: http://127.0.0.1:3000
  metrics_listen: 127.0.0.1:9100
  limits: {max_inspect_body_bytes: 1024, client_body_timeout_secs: 5}
  actors: {trusted_proxies: [10.0.0.0/8]}
  inline_detection: {enabled: true, mode: block, min_confidence: medium}
  feed: {on_failure: fail_closed, stale_after_secs: 30}
  mirror: {batch_size: 50}
";
        let file = ProxyFile::parse(text).unwrap();
        let proxy = &file.proxy;
        assert_eq!(proxy.listen, Some("127.0.0.1:8080".parse().unwrap()));
        assert_eq!(proxy.limits.max_inspect_body_bytes, 1024);
        assert_eq!(proxy.limits.max_headers, 100);
        assert_eq!(proxy.inline_detection.mode, Mode::Block);
        assert_eq!(proxy.inline_detection.min_confidence, Confidence::Medium);
        assert_eq!(proxy.feed.on_failure, crate::feed::FailureMode::FailClosed);
        assert_eq!(proxy.mirror.batch_size, 50);
        assert_eq!(proxy.actors.trusted_proxies, vec!["10.0.0.0/8".to_string()]);
        proxy.validate().unwrap();
    }

    #[test]
    fn parse_rejects_unknown_keys_and_versions() {
        let error = ProxyFile::parse("version: 1\nproxy: {listn: 127.0.0.1:80}").unwrap_err().to_string();
        assert!(error.contains("listn"), "{error}");
        let error = ProxyFile::parse("version: 2").unwrap_err().to_string();
        assert!(error.contains("version 2"), "{error}");
    }

    #[test]
    fn validate_rejects_zero_and_small_limits() {
        let mut config = ProxyConfig::default();
        config.limits.client_body_timeout_secs = 0;
        assert!(config.validate().unwrap_err().to_string().contains("client_body_timeout_secs"));
        let mut config = ProxyConfig::default();
        config.limits.max_header_bytes = 100;
        assert!(config.validate().unwrap_err().to_string().contains("max_header_bytes"));
        let mut config = ProxyConfig { workers: MAX_WORKERS + 1, ..ProxyConfig::default() };
        assert!(config.validate().unwrap_err().to_string().contains("proxy.workers"));
        config.workers = MAX_WORKERS;
        assert!(config.validate().is_ok());
    }
}
