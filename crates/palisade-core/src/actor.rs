//! Actors: who traffic is attributed to.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What identifies an actor, from strongest to weakest evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// An API key, by a keyed hash of it.
    ApiKey,
    /// The subject of a JSON Web Token.
    User,
    /// A session cookie, by a keyed hash of it.
    Session,
    /// The client IP address.
    Ip,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::ApiKey => "api_key",
            ActorKind::User => "user",
            ActorKind::Session => "session",
            ActorKind::Ip => "ip",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [ActorKind::ApiKey, ActorKind::User, ActorKind::Session, ActorKind::Ip].into_iter().find(|k| k.as_str() == text)
    }
}

impl fmt::Display for ActorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An actor as the pipeline attributes a trace to it. `id` is `kind:value`, such as
/// `user:alice` or `ip:10.0.0.7`; key and session values are keyed hashes, never the
/// credential.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ActorRef {
    pub kind: ActorKind,
    pub id: String,
    /// The client IP address of the trace, when known.
    pub ip: Option<String>,
}

/// Activity of one actor, to be added to what the store holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActorDelta {
    pub id: String,
    pub kind: ActorKind,
    pub requests: u64,
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
    pub last_ip: Option<String>,
    /// Findings to add, per attack or behaviour class.
    pub findings: Vec<(String, u64)>,
}

/// A stored actor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub id: String,
    pub kind: ActorKind,
    pub requests: u64,
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
    pub last_ip: Option<String>,
    pub findings: Vec<(String, u64)>,
}
