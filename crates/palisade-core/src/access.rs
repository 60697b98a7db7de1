//! Credentials and roles for Palisade's own API.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Permission level of a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Sends traces to the collector and reads agent configuration; nothing else.
    Ingest,
    /// Reads everything.
    Viewer,
    /// Reads everything and triages: alerts, false positives, block rules.
    Analyst,
    /// Everything, including keys, users and configuration.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Ingest => "ingest",
            Role::Viewer => "viewer",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }

    /// True when this role may read inventory and results.
    pub fn can_read(self) -> bool {
        self >= Role::Viewer
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "ingest" => Ok(Role::Ingest),
            "viewer" => Ok(Role::Viewer),
            "analyst" => Ok(Role::Analyst),
            "admin" => Ok(Role::Admin),
            other => Err(format!("invalid role {other:?}: expected ingest, viewer, analyst or admin")),
        }
    }
}

/// A stored credential, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: i64,
    pub name: String,
    pub role: Role,
    /// The first characters of the key, to tell keys apart in listings.
    pub prefix: String,
    pub created_ms: i64,
    pub last_used_ms: Option<i64>,
    pub revoked_ms: Option<i64>,
}

/// A dashboard user. The password is stored only as an Argon2id hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub created_ms: i64,
    pub last_login_ms: Option<i64>,
}

/// A signed-in dashboard session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub user: User,
    /// Token that state-changing requests must echo, against cross-site request forgery.
    pub csrf_token: String,
    pub created_ms: i64,
    pub expires_ms: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_order_by_power() {
        assert!(Role::Admin > Role::Analyst);
        assert!(Role::Analyst > Role::Viewer);
        assert!(Role::Viewer > Role::Ingest);
        assert!(!Role::Ingest.can_read());
        assert!(Role::Viewer.can_read());
    }

    #[test]
    fn role_parse_round_trip() {
        for role in [Role::Ingest, Role::Viewer, Role::Analyst, Role::Admin] {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("root".parse::<Role>().is_err());
    }
}
