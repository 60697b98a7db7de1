//! The `testing:` section of Palisade's configuration file, read on its own so that the
//! rest of the file may hold any other keys.
//!
//! ```yaml
//! version: 1
//! testing:
//!   authentication:            # Metlo's per-host authentication entries
//!     - host: api.example.com
//!       authType: jwt          # header | jwt | basic | session_cookie
//!       headerKey: Authorization
//!   global_env:                # the global environment, {{global.NAME}}; all secret
//!     - name: API_TOKEN
//!       value: "..."
//!   rules: |                   # Metlo's testing-config language, for authorization templates
//!     actor User { items = [{"id": "1", "auth": "Bearer ..."}] }
//! ```

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::authz::{self, AuthzConfig};
use crate::model::KeyValue;

/// Kind of credential a host's requests carry, as in Metlo's `authentication` entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthType {
    Header,
    Jwt,
    Basic,
    SessionCookie,
}

/// One `authentication` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HostAuth {
    pub host: String,
    pub auth_type: AuthType,
    /// The header holding the credential; `Authorization` when not given.
    #[serde(default)]
    pub header_key: Option<String>,
    /// Path of the user id in the JWT's claims, such as `sub`.
    #[serde(default)]
    pub jwt_user_path: Option<String>,
    /// The session cookie's name, for `session_cookie`.
    #[serde(default)]
    pub cookie_name: Option<String>,
}

impl HostAuth {
    pub fn header_name(&self) -> &str {
        match self.auth_type {
            AuthType::SessionCookie => "Cookie",
            _ => self.header_key.as_deref().unwrap_or("Authorization"),
        }
    }
}

/// The `testing:` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestingConfig {
    #[serde(default)]
    pub authentication: Vec<HostAuth>,
    #[serde(default)]
    pub global_env: Vec<KeyValue>,
    /// Metlo's testing-config language: hosts, actors, resources and `has_permission`
    /// rules.
    #[serde(default)]
    pub rules: Option<String>,
}

/// The configuration file with only the `testing:` section read.
#[derive(Debug, Default, Deserialize)]
struct FileWithTesting {
    #[serde(default)]
    testing: Option<TestingConfig>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid `testing` section in {path}: {message}")]
    Parse { path: String, message: String },
    #[error("invalid `testing.rules` in {path}: {source}")]
    Rules {
        path: String,
        #[source]
        source: authz::RulesError,
    },
}

impl TestingConfig {
    /// Reads the `testing:` section of a configuration file; other keys are ignored.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let display = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: display.clone(), source })?;
        Self::parse(&text, &display)
    }

    pub fn parse(text: &str, origin: &str) -> Result<Self, ConfigError> {
        // Other sections are read by their owners; unknown keys at the top level are
        // ignored here, while the `testing` section itself rejects unknown keys.
        let file: FileWithTesting = serde_saphyr::from_str(text)
            .map_err(|e| ConfigError::Parse { path: origin.to_string(), message: e.to_string() })?;
        let config = file.testing.unwrap_or_default();
        if let Some(rules) = &config.rules {
            authz::parse(rules).map_err(|source| ConfigError::Rules { path: origin.to_string(), source })?;
        }
        Ok(config)
    }

    /// Finds the authentication entry for `host` (compared without case, with the port
    /// when the entry has one).
    pub fn auth_for(&self, host: &str) -> Option<&HostAuth> {
        let bare = host.split(':').next().unwrap_or(host);
        self.authentication
            .iter()
            .find(|a| a.host.eq_ignore_ascii_case(host))
            .or_else(|| self.authentication.iter().find(|a| a.host.eq_ignore_ascii_case(bare)))
    }

    /// Returns the parsed rules, if any.
    pub fn authz(&self) -> Option<AuthzConfig> {
        self.rules.as_deref().and_then(|text| authz::parse(text).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_testing_section_and_ignores_others() {
        let text = r#"
version: 1
server:
  listen: 127.0.0.1:7480
somethingElse: [1, 2]
testing:
  authentication:
    - host: api.example.com
      authType: session_cookie
      cookieName: sid
    - host: 127.0.0.1:8088
      authType: jwt
  global_env:
    - name: TOKEN
      value: abc
"#;
        let config = TestingConfig::parse(text, "palisade.yaml").unwrap();
        assert_eq!(config.authentication.len(), 2);
        assert_eq!(config.auth_for("API.example.com:443").unwrap().auth_type, AuthType::SessionCookie);
        assert_eq!(config.auth_for("127.0.0.1:8088").unwrap().header_name(), "Authorization");
        assert_eq!(config.global_env, vec![KeyValue::new("TOKEN", "abc")]);
    }

    #[test]
    fn missing_section_is_default() {
        let config = TestingConfig::parse("version: 1\n", "x").unwrap();
        assert_eq!(config, TestingConfig::default());
    }

    #[test]
    fn unknown_key_in_section_is_error() {
        let error = TestingConfig::parse("testing:\n  authentcation: []\n", "p.yaml").unwrap_err();
        assert!(error.to_string().contains("p.yaml"), "{error}");
    }
}
