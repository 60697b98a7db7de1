//! The rule feed: how rules reach the proxy.
//!
//! The server serves `GET /api/v1/agent/rules` (see `docs/proxy.md` for the contract):
//! the response is a [`FeedResponse`] with an `ETag` header; a request with
//! `If-None-Match` and `?wait=SECS` is held until the rules change or the wait ends, and
//! then gets 304. [`client`] polls it in a background task and publishes each
//! compiled rule set through a [`RuleHandle`]; [`MemoryFeed`] serves it from memory.

pub(crate) mod client;
mod memory;

use std::sync::{Arc, RwLock};

use palisade_analyze::actors::ActorResolver;
use serde::{Deserialize, Serialize};

use crate::rules::{BlockRule, RuleSet};

pub use client::{FailureMode, FeedClient, FeedConfigError, FeedSettings};
pub use memory::MemoryFeed;

/// Path of the rule feed on the server.
pub const FEED_PATH: &str = "/api/v1/agent/rules";
/// Maximum long-poll wait a feed honours, in seconds.
pub const MAX_WAIT_SECS: u64 = 60;

/// The body of a `200` response of the rule feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedResponse {
    /// Opaque version of the rule set; the `ETag` header carries it in quotes.
    pub version: String,
    pub rules: Vec<BlockRule>,
    /// Hex key of the keyed hashes in `api_key:` and `session:` actor ids, so the proxy
    /// computes the same ids as the server. Without it, rules on such actors never match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_key: Option<String>,
}

/// Freshness of the rules in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedState {
    /// The rules came from the feed's latest response, or from a fixed source.
    Current,
    /// The feed is failing; the last good rules stay in force (`keep_last`). Before the
    /// first good response that is the empty rule set.
    Stale,
    /// The feed has failed for longer than `stale_after_secs` under `fail_open`: no rule
    /// applies.
    FailOpen,
    /// The feed has failed for longer than `stale_after_secs` under `fail_closed`: every
    /// request is rejected with 503.
    FailClosed,
}

impl FeedState {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedState::Current => "current",
            FeedState::Stale => "stale",
            FeedState::FailOpen => "fail_open",
            FeedState::FailClosed => "fail_closed",
        }
    }
}

/// The rules in force, as one request reads them.
#[derive(Debug, Clone)]
pub struct ActiveRules {
    pub rules: Arc<RuleSet>,
    /// Feed version of `rules`; `None` for fixed rules and before the first answer.
    pub version: Option<String>,
    pub state: FeedState,
    /// Resolves actor ids with the trusted proxies of the configuration and the feed's
    /// actor key.
    pub actors: Arc<ActorResolver>,
}

/// Shared, swappable rules in force. Cloning shares the same rules.
#[derive(Debug, Clone)]
pub struct RuleHandle(Arc<RwLock<Arc<ActiveRules>>>);

impl RuleHandle {
    pub fn new(active: ActiveRules) -> Self {
        Self(Arc::new(RwLock::new(Arc::new(active))))
    }

    /// Returns the rules in force now.
    pub fn current(&self) -> Arc<ActiveRules> {
        self.0.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// Puts `active` in force for every later request.
    pub fn replace(&self, active: ActiveRules) {
        *self.0.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(active);
    }

    /// Puts a compiled rule set in force, keeping the actor resolver, with state
    /// `Current`. For processes that compile rules themselves, such as `palisade serve`.
    pub fn set_rules(&self, rules: RuleSet, version: Option<String>) {
        let actors = self.current().actors.clone();
        self.replace(ActiveRules { rules: Arc::new(rules), version, state: FeedState::Current, actors });
    }
}

/// Source of the proxy's rules.
pub enum RuleSource {
    /// A fixed list, compiled once.
    Static(Vec<BlockRule>),
    /// A server's rule feed, polled by a background task.
    Feed(FeedClient),
    /// Rules that the embedding process puts in force through the handle.
    Handle(RuleHandle),
}
