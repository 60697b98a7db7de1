//! Block rules on the server. This module keeps the rule set in the store, gives it feed
//! versions, runs the automatic policies that add rules from findings, and publishes
//! each new rule set to long-polling feed requests ([`feed`]) and to an in-process proxy.
//!
//! The store is the source of truth. Every change, whether made through the API, by a
//! policy, or by `palisade rules` while the server runs, ends in [`RuleBook::refresh`],
//! which reads every stored rule. When the set differs from the one in force, it drops
//! rules that ended more than [`EXPIRED_RULE_RETENTION_MS`] ago, takes a new version and
//! wakes the feed's waiting requests.

pub mod feed;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use palisade_core::finding::Finding;
use palisade_core::timestamp::now_ms;
use palisade_proxy::feed::RuleHandle;
use palisade_proxy::policy::{FindingEvent, PolicyConfig, PolicyError, PolicySet, PolicySpec};
use palisade_proxy::rules::{Action, BlockRule, RuleError, RuleLimits, RuleSet};
use palisade_store::{Store, StoreError, StoredRule};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

/// Rules whose expiry (or block end) lies further back than this are deleted from the
/// store at the next change of the rule set: 24 hours, so a rule that just expired can
/// still be seen and extended.
pub const EXPIRED_RULE_RETENTION_MS: i64 = 24 * 3600 * 1000;

/// Default of [`BlockingConfig::reload_interval_secs`].
pub const DEFAULT_RELOAD_INTERVAL_SECS: u64 = 2;

/// The `blocking:` section of the server configuration: limits on stored rules, how often
/// the store is checked for rules changed by other processes, and automatic policies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BlockingConfig {
    /// Seconds between two checks of the store for rules that another process (such as
    /// `palisade rules add`) changed. 0 turns the check off, so such changes apply at the
    /// next restart or API change.
    pub reload_interval_secs: u64,
    /// Limits that every stored rule and the whole rule set must meet, with the same
    /// settings as the proxy's `rules:` section.
    pub rules: RuleLimits,
    /// Automatic policies that turn findings into block rules.
    pub policies: Vec<PolicySpec>,
    /// Maximum number of keys (actors or IPs) one policy tracks at once.
    pub max_keys_per_policy: usize,
}

impl Default for BlockingConfig {
    fn default() -> Self {
        let policies = PolicyConfig::default();
        Self {
            reload_interval_secs: DEFAULT_RELOAD_INTERVAL_SECS,
            rules: RuleLimits::default(),
            policies: policies.policies,
            max_keys_per_policy: policies.max_keys_per_policy,
        }
    }
}

impl BlockingConfig {
    /// Returns the policies in the form `palisade_proxy::policy` reads.
    pub fn policy_config(&self) -> PolicyConfig {
        PolicyConfig { policies: self.policies.clone(), max_keys_per_policy: self.max_keys_per_policy }
    }

    /// Checks the policies.
    pub fn validate(&self) -> Result<(), PolicyError> {
        PolicySet::new(&self.policy_config()).map(|_| ())
    }
}

/// A failed rule operation.
#[derive(Debug, thiserror::Error)]
pub enum RuleBookError {
    #[error("{0}")]
    Invalid(String),
    #[error("rule {0:?} already exists: change it with PUT /api/v1/rules/{{id}} or pick another id")]
    Conflict(String),
    #[error("rule {0:?} not found")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<RuleError> for RuleBookError {
    fn from(error: RuleError) -> Self {
        RuleBookError::Invalid(error.to_string())
    }
}

/// One version of the rule set, as the feed serves it.
#[derive(Debug)]
pub struct RuleSnapshot {
    /// `PREFIX-COUNTER`: the prefix is random per process, so versions never repeat
    /// across restarts.
    pub version: String,
    /// Every stored rule that parsed and compiled, oldest first, recently expired ones
    /// included.
    pub rules: Vec<BlockRule>,
}

/// The server's block rules. Cloning shares them.
#[derive(Clone)]
pub struct RuleBook {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RuleBook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleBook").field("version", &self.current().version).finish_non_exhaustive()
    }
}

struct Inner {
    store: Arc<dyn Store>,
    limits: RuleLimits,
    /// Hex key of the keyed hashes in `api_key:` and `session:` actor ids.
    actor_key: String,
    /// Random per-process prefix of versions.
    prefix: String,
    /// Serialises refreshes and writes, so a check-then-write (such as the 409 on an
    /// existing id) is not interleaved with another change from this process.
    state: Mutex<RefreshState>,
    published: watch::Sender<Arc<RuleSnapshot>>,
    /// Set when the server stops, ending long polls of the feed.
    closing: watch::Sender<bool>,
    /// In-process proxies that get every new rule set compiled.
    handles: Mutex<Vec<RuleHandle>>,
    policies: Mutex<PolicySet>,
}

struct RefreshState {
    counter: u64,
    /// Hash of the stored rows behind the published snapshot.
    fingerprint: Option<u64>,
}

impl RuleBook {
    /// Loads the stored rules and puts them in force as the first version.
    pub fn open(store: Arc<dyn Store>, config: &BlockingConfig, actor_key: &[u8]) -> anyhow::Result<Self> {
        let policies = PolicySet::new(&config.policy_config())?;
        let prefix = random_hex(4)?;
        let first = Arc::new(RuleSnapshot { version: format!("{prefix}-0"), rules: Vec::new() });
        let (published, _) = watch::channel(first);
        let book = RuleBook {
            inner: Arc::new(Inner {
                store,
                limits: config.rules.clone(),
                actor_key: hex::encode(actor_key),
                prefix,
                state: Mutex::new(RefreshState { counter: 0, fingerprint: None }),
                published,
                closing: watch::channel(false).0,
                handles: Mutex::new(Vec::new()),
                policies: Mutex::new(policies),
            }),
        };
        book.refresh()?;
        Ok(book)
    }

    /// Returns the rule set in force.
    pub fn current(&self) -> Arc<RuleSnapshot> {
        self.inner.published.borrow().clone()
    }

    /// Returns a receiver of every new rule set.
    pub fn subscribe(&self) -> watch::Receiver<Arc<RuleSnapshot>> {
        self.inner.published.subscribe()
    }

    /// Returns a receiver whose value changes when the server stops.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.inner.closing.subscribe()
    }

    /// Ends every waiting feed request, for shutdown.
    pub fn close(&self) {
        self.inner.closing.send_replace(true);
    }

    /// Hex of the actor id key, for the feed's `actor_key`.
    pub fn actor_key(&self) -> &str {
        &self.inner.actor_key
    }

    pub fn limits(&self) -> &RuleLimits {
        &self.inner.limits
    }

    /// Puts every rule set from now on in force in `handle`, starting with the current one.
    pub fn attach(&self, handle: RuleHandle) {
        let snapshot = self.current();
        self.publish_to(&handle, &snapshot);
        lock(&self.inner.handles).push(handle);
    }

    /// Compiles one rule alone with the rule limits, as a proxy will compile it.
    pub fn validate(&self, rule: &BlockRule) -> Result<(), RuleBookError> {
        RuleSet::compile(std::slice::from_ref(rule), &self.inner.limits)?;
        Ok(())
    }

    /// Stores a new rule. Fails with `Conflict` when its id exists.
    pub fn create(&self, rule: &BlockRule) -> Result<(), RuleBookError> {
        self.validate(rule)?;
        let mut state = lock(&self.inner.state);
        let stored = self.inner.store.rules()?;
        if stored.iter().any(|existing| existing.id == rule.id) {
            return Err(RuleBookError::Conflict(rule.id.clone()));
        }
        let max = self.inner.limits.max_rules;
        if stored.len() >= max {
            return Err(RuleBookError::Invalid(format!(
                "the rule set already has {} rules, the limit (blocking.rules.max_rules is {max}): delete rules first",
                stored.len()
            )));
        }
        self.inner.store.put_rule(&stored_rule(rule)?)?;
        self.refresh_locked(&mut state)?;
        Ok(())
    }

    /// Replaces the rule with the same id. Fails with `NotFound` when there is none.
    pub fn replace(&self, rule: &BlockRule) -> Result<(), RuleBookError> {
        self.validate(rule)?;
        let mut state = lock(&self.inner.state);
        if self.stored(&rule.id)?.is_none() {
            return Err(RuleBookError::NotFound(rule.id.clone()));
        }
        self.inner.store.put_rule(&stored_rule(rule)?)?;
        self.refresh_locked(&mut state)?;
        Ok(())
    }

    /// Deletes a rule. Returns false when there was none.
    pub fn delete(&self, id: &str) -> Result<bool, RuleBookError> {
        let mut state = lock(&self.inner.state);
        let deleted = self.inner.store.delete_rule(id)?;
        if deleted {
            self.refresh_locked(&mut state)?;
        }
        Ok(deleted)
    }

    /// Reads the stored rule with `id`, with its stored times.
    pub fn stored(&self, id: &str) -> Result<Option<StoredRule>, RuleBookError> {
        Ok(self.inner.store.rules()?.into_iter().find(|rule| rule.id == id))
    }

    /// Feeds findings to the automatic policies and stores the rules they make. `ips`
    /// contains the client IP of each finding's trace, in the same order. Returns the ids of
    /// the new rules.
    pub fn observe_findings(&self, findings: &[Finding], ips: &[Option<String>]) -> Vec<String> {
        let made: Vec<BlockRule> = {
            let mut policies = lock(&self.inner.policies);
            if policies.is_empty() {
                return Vec::new();
            }
            let mut made = Vec::new();
            for (i, finding) in findings.iter().enumerate() {
                let ip = ips.get(i).and_then(Option::as_deref);
                made.extend(policies.observe(&FindingEvent::from_finding(finding, ip)));
            }
            made
        };
        if made.is_empty() {
            return Vec::new();
        }

        let mut ids = Vec::with_capacity(made.len());
        let mut state = lock(&self.inner.state);
        for rule in &made {
            let stored = match stored_rule(rule) {
                Ok(stored) => stored,
                Err(error) => {
                    tracing::error!(rule_id = %rule.id, %error, "cannot store a rule made by a policy");
                    continue;
                }
            };
            match self.inner.store.put_rule(&stored) {
                Ok(_) => {
                    tracing::info!(rule_id = %rule.id, origin = %rule.origin, mode = rule.mode.as_str(), "policy made a block rule");
                    ids.push(rule.id.clone());
                }
                Err(error) => tracing::error!(rule_id = %rule.id, %error, "cannot store a rule made by a policy"),
            }
        }
        if let Err(error) = self.refresh_locked(&mut state) {
            tracing::error!(%error, "cannot reload block rules after a policy added rules; will retry");
        }
        ids
    }

    /// Reads the stored rules and publishes a new version when they changed. Returns
    /// true when it published one.
    pub fn refresh(&self) -> Result<bool, StoreError> {
        let mut state = lock(&self.inner.state);
        self.refresh_locked(&mut state)
    }

    fn refresh_locked(&self, state: &mut RefreshState) -> Result<bool, StoreError> {
        let stored = self.inner.store.rules()?;
        if state.fingerprint == Some(fingerprint(&stored)) {
            return Ok(false);
        }

        let now = now_ms();
        let mut rules = Vec::with_capacity(stored.len());
        let mut kept = Vec::with_capacity(stored.len());
        for row in stored {
            let rule = match serde_json::from_str::<BlockRule>(&row.document) {
                Ok(rule) => rule,
                Err(error) => {
                    tracing::warn!(rule_id = %row.id, %error, "stored block rule is not valid JSON for a rule; leaving it out of the feed");
                    kept.push(row);
                    continue;
                }
            };
            if end_ms(&rule).is_some_and(|end| end < now - EXPIRED_RULE_RETENTION_MS) {
                match self.inner.store.delete_rule(&row.id) {
                    Ok(_) => tracing::info!(rule_id = %row.id, "deleted a block rule that expired more than a day ago"),
                    Err(error) => {
                        tracing::warn!(rule_id = %row.id, %error, "cannot delete an expired block rule; will retry");
                        kept.push(row);
                    }
                }
                continue;
            }
            if let Err(error) = RuleSet::compile(std::slice::from_ref(&rule), &self.inner.limits) {
                tracing::warn!(rule_id = %row.id, %error, "stored block rule is invalid; leaving it out of the feed");
                kept.push(row);
                continue;
            }
            rules.push(rule);
            kept.push(row);
        }
        let max = self.inner.limits.max_rules;
        if rules.len() > max {
            tracing::warn!(
                rules = rules.len(),
                max_rules = max,
                "more stored block rules than blocking.rules.max_rules; the newest are left out of the feed"
            );
            rules.truncate(max);
        }

        state.counter += 1;
        state.fingerprint = Some(fingerprint(&kept));
        let snapshot = Arc::new(RuleSnapshot { version: format!("{}-{}", self.inner.prefix, state.counter), rules });
        for handle in lock(&self.inner.handles).iter() {
            self.publish_to(handle, &snapshot);
        }
        tracing::info!(version = %snapshot.version, rules = snapshot.rules.len(), "block rules changed");
        self.inner.published.send_replace(snapshot);
        Ok(true)
    }

    fn publish_to(&self, handle: &RuleHandle, snapshot: &RuleSnapshot) {
        match RuleSet::compile(&snapshot.rules, &self.inner.limits) {
            Ok(compiled) => handle.set_rules(compiled, Some(snapshot.version.clone())),
            // Each rule compiled alone and the set is within max_rules, so only a
            // duplicate id can get here, which the store's primary key rules out.
            Err(error) => {
                tracing::error!(%error, version = %snapshot.version, "cannot compile the rule set for the in-process proxy; the previous rules stay in force")
            }
        }
    }

    /// Checks the store every `interval` for rules changed by other processes, until the
    /// returned task is aborted.
    ///
    /// NOTE: each check reads every stored rule and hashes it, because the store has no
    /// cheaper change marker. With `max_rules` rules that is an estimated few milliseconds.
    pub fn spawn_reload(&self, interval: Duration) -> tokio::task::JoinHandle<()> {
        let book = self.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticker.tick().await;
            loop {
                ticker.tick().await;
                let worker = book.clone();
                match tokio::task::spawn_blocking(move || worker.refresh()).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(error)) => tracing::warn!(%error, "cannot reload block rules from the store; will retry"),
                    Err(error) => tracing::error!(%error, "block rule reload task failed"),
                }
            }
        })
    }
}

/// Returns the time after which a rule no longer applies: the earlier of its expiry and
/// its block's end.
pub fn end_ms(rule: &BlockRule) -> Option<i64> {
    let until = match &rule.action {
        Action::Block(block) => block.until.map(|t| t.ms()),
        Action::RateLimit(_) => None,
    };
    match (rule.expires_at.map(|t| t.ms()), until) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Builds the store row of a rule, with `updated_ms` set to now.
pub fn stored_rule(rule: &BlockRule) -> Result<StoredRule, RuleBookError> {
    let document = serde_json::to_string(rule)
        .map_err(|error| RuleBookError::Invalid(format!("cannot encode the rule: {error}")))?;
    Ok(StoredRule {
        id: rule.id.clone(),
        document,
        created_ms: rule.created_at.ms(),
        updated_ms: now_ms(),
        expires_ms: end_ms(rule),
    })
}

/// Generates `bytes` random bytes as lower-case hex.
pub fn random_hex(bytes: usize) -> anyhow::Result<String> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).map_err(|e| anyhow::anyhow!("no random numbers from the system: {e}"))?;
    Ok(hex::encode(buffer))
}

fn fingerprint(rows: &[StoredRule]) -> u64 {
    let mut hasher = DefaultHasher::new();
    rows.len().hash(&mut hasher);
    for row in rows {
        (&row.id, &row.document, row.updated_ms).hash(&mut hasher);
    }
    hasher.finish()
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use crate::Config;

    #[test]
    fn blocking_section_parses_and_checks_policies() {
        let text = "version: 1\nblocking:\n  reload_interval_secs: 5\n  policies:\n    - name: burst\n      when: {classes: [sqli], count: 3, within_secs: 60}\n";
        let config = Config::parse(text, "c.yaml").unwrap();
        assert_eq!(config.blocking.reload_interval_secs, 5);
        assert_eq!(config.blocking.policy_config().policies[0].name, "burst");

        let bad = text.replace("count: 3", "count: 0");
        let error = Config::parse(&bad, "c.yaml").unwrap_err().to_string();
        assert!(error.contains("blocking"), "{error}");
        assert!(error.contains("when.count"), "{error}");
        let unknown = Config::parse("version: 1\nblocking:\n  reload_secs: 5\n", "c.yaml").unwrap_err().to_string();
        assert!(unknown.contains("reload_secs"), "{unknown}");
    }
}
