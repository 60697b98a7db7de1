//! Behavioural detection: what one actor does over time, compared with thresholds and
//! with other actors. State is per actor, in bounded memory, and windows are measured in
//! trace time, so replaying recorded traffic gives the same results as live traffic.

use std::collections::{HashMap, HashSet, VecDeque};

use palisade_core::Severity;
use palisade_core::finding::Confidence;
use palisade_core::inventory::RawId;
use serde::{Deserialize, Serialize};

/// The `behaviour:` section of the configuration file. Counts are per actor within
/// `window_secs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BehaviourConfig {
    /// Length of the sliding window the counts below cover, in seconds.
    pub window_secs: u64,
    /// Actors tracked at once; the least recently seen are forgotten beyond this, and
    /// counted.
    pub max_actors: usize,
    /// Distinct ids one actor must read on one endpoint to be enumerating objects...
    pub enumeration_min_ids: u32,
    /// ... and how many times the median of other actors on that endpoint.
    pub enumeration_factor: f64,
    /// Consecutive integer ids (each one more or one less than the last) that count as
    /// walking ids.
    pub sequential_run: u32,
    /// 401 and 403 responses on login-like endpoints that count as brute force.
    pub auth_failures: u32,
    /// Distinct user names tried on login-like endpoints that count as credential
    /// stuffing.
    pub login_usernames: u32,
    /// 404 responses that count as scanning...
    pub not_found: u32,
    /// ... spread over at least this many distinct paths.
    pub not_found_paths: u32,
    /// Requests per minute to one endpoint below which the rate is never unusual...
    pub rate_min_per_minute: u32,
    /// ... and how many times the endpoint's usual per-actor rate is unusual.
    pub rate_factor: f64,
    /// 5xx responses after an injection attempt by the same actor that count as an error
    /// burst.
    pub error_burst: u32,
}

impl Default for BehaviourConfig {
    fn default() -> Self {
        Self {
            window_secs: 300,
            max_actors: 100_000,
            enumeration_min_ids: 20,
            enumeration_factor: 5.0,
            sequential_run: 10,
            auth_failures: 10,
            login_usernames: 5,
            not_found: 20,
            not_found_paths: 10,
            rate_min_per_minute: 120,
            rate_factor: 10.0,
            error_burst: 3,
        }
    }
}

impl BehaviourConfig {
    /// Checks the thresholds: at 0 a count threshold would fire on every request and a
    /// factor would call every rate unusual.
    pub fn check(&self) -> Result<(), String> {
        let counts = [
            ("window_secs", self.window_secs),
            ("max_actors", self.max_actors as u64),
            ("enumeration_min_ids", u64::from(self.enumeration_min_ids)),
            ("sequential_run", u64::from(self.sequential_run)),
            ("auth_failures", u64::from(self.auth_failures)),
            ("login_usernames", u64::from(self.login_usernames)),
            ("not_found", u64::from(self.not_found)),
            ("not_found_paths", u64::from(self.not_found_paths)),
            ("error_burst", u64::from(self.error_burst)),
        ];
        if let Some((name, _)) = counts.iter().find(|(_, value)| *value == 0) {
            return Err(format!("invalid behaviour.{name} of 0: expected at least 1"));
        }
        let factors = [("enumeration_factor", self.enumeration_factor), ("rate_factor", self.rate_factor)];
        if let Some((name, value)) = factors.iter().find(|(_, value)| !(value.is_finite() && *value > 0.0)) {
            return Err(format!("invalid behaviour.{name} of {value}: expected a number above 0"));
        }
        Ok(())
    }
}

/// Behaviour classes, which are also the alert types they raise.
pub mod classes {
    pub const OBJECT_ENUMERATION: &str = "object_enumeration";
    pub const CREDENTIAL_STUFFING: &str = "credential_stuffing";
    pub const BRUTE_FORCE: &str = "brute_force";
    pub const NOT_FOUND_SCANNING: &str = "not_found_scanning";
    pub const RATE_ANOMALY: &str = "rate_anomaly";
    pub const ERROR_BURST: &str = "error_burst";

    pub const ALL: [&str; 6] =
        [OBJECT_ENUMERATION, CREDENTIAL_STUFFING, BRUTE_FORCE, NOT_FOUND_SCANNING, RATE_ANOMALY, ERROR_BURST];
}

/// What the behaviour stage needs to know about one request.
#[derive(Debug, Clone)]
pub struct Observation<'a> {
    pub actor: &'a str,
    pub at_ms: i64,
    pub raw_id: RawId,
    /// Values at the endpoint's parameter positions.
    pub ids: Vec<&'a str>,
    pub path: &'a str,
    pub status: Option<u16>,
    /// True for endpoints whose path names a login (`login`, `signin`, `token`, ...).
    pub login: bool,
    /// The user name a login request carried.
    pub username: Option<String>,
    /// True when signatures found an injection attempt in this request.
    pub injection: bool,
}

/// A behaviour threshold crossed.
#[derive(Debug, Clone, PartialEq)]
pub struct BehaviourEvent {
    pub class: &'static str,
    pub rule_id: &'static str,
    pub severity: Severity,
    pub confidence: Confidence,
    pub detail: String,
}

/// Maximum endpoints tracked per actor for enumeration and rates.
const MAX_ENDPOINTS_PER_ACTOR: usize = 64;
/// Maximum actors compared per endpoint for enumeration.
const MAX_PEERS_PER_ENDPOINT: usize = 64;

#[derive(Default)]
struct ActorState {
    last_ms: i64,
    not_found: VecDeque<(i64, u64)>,
    auth_failures: VecDeque<i64>,
    usernames: VecDeque<(i64, u64)>,
    endpoints: HashMap<RawId, EndpointActivity>,
    injection_ms: Option<i64>,
    errors_after_injection: VecDeque<i64>,
    /// Last time each class fired, so one pattern raises one finding per window.
    fired: HashMap<(&'static str, RawId), i64>,
}

#[derive(Default)]
struct EndpointActivity {
    ids: VecDeque<(i64, u64)>,
    /// Occurrences of each id hash in `ids`, so the distinct count needs no scan.
    distinct: HashMap<u64, u32>,
    last_integer: Option<i64>,
    run: u32,
    minute: i64,
    minute_count: u32,
}

#[derive(Default)]
struct EndpointPeers {
    /// Distinct ids per recent actor (by actor hash).
    ids: VecDeque<(u64, u32)>,
    /// Average per-actor requests per minute, updated as minutes end.
    usual_rate: f64,
    minutes_seen: u64,
}

/// Per-actor state of all behavioural detectors.
pub struct Behaviour {
    config: BehaviourConfig,
    actors: HashMap<String, ActorState>,
    peers: HashMap<RawId, EndpointPeers>,
    /// Actors forgotten because `max_actors` was reached.
    pub evicted_actors: u64,
}

impl Behaviour {
    pub fn new(config: BehaviourConfig) -> Self {
        Self { config, actors: HashMap::new(), peers: HashMap::new(), evicted_actors: 0 }
    }

    pub fn config(&self) -> &BehaviourConfig {
        &self.config
    }

    /// Updates the actor's state with one request and returns the thresholds it crossed.
    pub fn observe(&mut self, observation: &Observation<'_>) -> Vec<BehaviourEvent> {
        self.make_room(observation.actor);
        let window_ms = self.config.window_secs as i64 * 1000;
        let at = observation.at_ms;
        let config = &self.config;
        let actor_hash = xxhash_rust::xxh3::xxh3_64(observation.actor.as_bytes());
        if !self.actors.contains_key(observation.actor) {
            self.actors.insert(observation.actor.to_string(), ActorState::default());
        }
        let state = self.actors.get_mut(observation.actor).expect("inserted above");
        state.last_ms = state.last_ms.max(at);
        let mut events = Vec::new();

        // 404 scanning.
        if observation.status == Some(404) {
            state.not_found.push_back((at, xxhash_rust::xxh3::xxh3_64(observation.path.as_bytes())));
        }
        prune(&mut state.not_found, at, window_ms, |(t, _)| *t);
        if state.not_found.len() as u32 >= config.not_found {
            let paths: HashSet<u64> = state.not_found.iter().map(|(_, p)| *p).collect();
            if paths.len() as u32 >= config.not_found_paths
                && fire(state, classes::NOT_FOUND_SCANNING, 0, at, window_ms)
            {
                events.push(BehaviourEvent {
                    class: classes::NOT_FOUND_SCANNING,
                    rule_id: "behaviour.not_found_scanning",
                    severity: Severity::Medium,
                    confidence: Confidence::High,
                    detail: format!("{} not-found responses on {} paths", state.not_found.len(), paths.len()),
                });
            }
        }

        // Brute force and credential stuffing on login endpoints.
        if observation.login {
            if matches!(observation.status, Some(401) | Some(403)) {
                state.auth_failures.push_back(at);
            }
            if let Some(user) = &observation.username {
                state.usernames.push_back((at, xxhash_rust::xxh3::xxh3_64(user.as_bytes())));
            }
        }
        prune(&mut state.auth_failures, at, window_ms, |t| *t);
        prune(&mut state.usernames, at, window_ms, |(t, _)| *t);
        let users: HashSet<u64> = if state.usernames.len() as u32 >= config.login_usernames {
            state.usernames.iter().map(|(_, u)| *u).collect()
        } else {
            HashSet::new()
        };
        if users.len() as u32 >= config.login_usernames && fire(state, classes::CREDENTIAL_STUFFING, 0, at, window_ms) {
            events.push(BehaviourEvent {
                class: classes::CREDENTIAL_STUFFING,
                rule_id: "behaviour.credential_stuffing",
                severity: Severity::High,
                confidence: Confidence::High,
                detail: format!("{} user names tried on login endpoints", users.len()),
            });
        } else if state.auth_failures.len() as u32 >= config.auth_failures
            && fire(state, classes::BRUTE_FORCE, 0, at, window_ms)
        {
            events.push(BehaviourEvent {
                class: classes::BRUTE_FORCE,
                rule_id: "behaviour.brute_force",
                severity: Severity::High,
                confidence: Confidence::High,
                detail: format!("{} failed logins", state.auth_failures.len()),
            });
        }

        // Error bursts after injection attempts.
        if observation.injection {
            state.injection_ms = Some(at);
        }
        let after_injection = state.injection_ms.is_some_and(|t| at - t <= window_ms);
        if after_injection && observation.status.is_some_and(|s| s >= 500) {
            state.errors_after_injection.push_back(at);
        }
        prune(&mut state.errors_after_injection, at, window_ms, |t| *t);
        if state.errors_after_injection.len() as u32 >= config.error_burst
            && fire(state, classes::ERROR_BURST, 0, at, window_ms)
        {
            events.push(BehaviourEvent {
                class: classes::ERROR_BURST,
                rule_id: "behaviour.error_burst",
                severity: Severity::High,
                confidence: Confidence::Medium,
                detail: format!("{} server errors after an injection attempt", state.errors_after_injection.len()),
            });
        }

        // Object enumeration and request rate, per endpoint.
        if state.endpoints.len() >= MAX_ENDPOINTS_PER_ACTOR && !state.endpoints.contains_key(&observation.raw_id) {
            // Forget the endpoint this actor used least recently.
            if let Some(oldest) = state.endpoints.iter().min_by_key(|(_, a)| a.minute).map(|(id, _)| *id) {
                state.endpoints.remove(&oldest);
            }
        }
        let activity = state.endpoints.entry(observation.raw_id).or_default();
        let peers = self.peers.entry(observation.raw_id).or_default();

        let minute = at.div_euclid(60_000);
        if activity.minute != minute {
            if activity.minute_count > 0 {
                peers.minutes_seen += 1;
                let weight = 1.0 / (peers.minutes_seen.min(100) as f64);
                peers.usual_rate += (f64::from(activity.minute_count) - peers.usual_rate) * weight;
            }
            activity.minute = minute;
            activity.minute_count = 0;
        }
        activity.minute_count += 1;
        let rate_limit = (config.rate_factor * peers.usual_rate).max(f64::from(config.rate_min_per_minute));
        let fast = f64::from(activity.minute_count) >= rate_limit;

        let mut walked = false;
        for value in &observation.ids {
            let hash = xxhash_rust::xxh3::xxh3_64(value.as_bytes());
            activity.ids.push_back((at, hash));
            *activity.distinct.entry(hash).or_insert(0) += 1;
            if let Ok(number) = value.parse::<i64>() {
                let next = activity.last_integer.is_some_and(|last| (number - last).abs() == 1);
                activity.run = if next { activity.run + 1 } else { 1 };
                activity.last_integer = Some(number);
                walked |= activity.run >= config.sequential_run;
            }
        }
        while activity.ids.front().is_some_and(|(t, _)| at - *t > window_ms) {
            if let Some((_, hash)) = activity.ids.pop_front()
                && let Some(count) = activity.distinct.get_mut(&hash)
            {
                *count -= 1;
                if *count == 0 {
                    activity.distinct.remove(&hash);
                }
            }
        }
        let distinct = activity.distinct.len() as u32;

        match peers.ids.iter_mut().find(|(actor, _)| *actor == actor_hash) {
            Some(entry) => entry.1 = distinct,
            None => {
                if peers.ids.len() >= MAX_PEERS_PER_ENDPOINT {
                    peers.ids.pop_front();
                }
                peers.ids.push_back((actor_hash, distinct));
            }
        }
        let mut median_others = 0;
        let mut many = false;
        if distinct >= config.enumeration_min_ids {
            let mut others: Vec<u32> = peers.ids.iter().filter(|(a, _)| *a != actor_hash).map(|(_, n)| *n).collect();
            others.sort_unstable();
            median_others = others.get(others.len() / 2).copied().unwrap_or(0);
            many = f64::from(distinct) >= config.enumeration_factor * f64::from(median_others);
        }

        let raw = observation.raw_id;
        if (many || walked) && fire(state, classes::OBJECT_ENUMERATION, raw, at, window_ms) {
            let detail = if walked {
                format!("walked at least {} consecutive ids", config.sequential_run)
            } else {
                format!("read {distinct} distinct ids where other actors read {median_others}")
            };
            events.push(BehaviourEvent {
                class: classes::OBJECT_ENUMERATION,
                rule_id: if walked { "behaviour.sequential_ids" } else { "behaviour.many_ids" },
                severity: Severity::High,
                confidence: Confidence::Medium,
                detail,
            });
        }
        let state = self.actors.get_mut(observation.actor).expect("inserted above");
        let count = state.endpoints.get(&raw).map(|a| a.minute_count).unwrap_or(0);
        if fast && fire(state, classes::RATE_ANOMALY, raw, at, window_ms) {
            events.push(BehaviourEvent {
                class: classes::RATE_ANOMALY,
                rule_id: "behaviour.rate",
                severity: Severity::Medium,
                confidence: Confidence::Medium,
                detail: format!("{count} requests in one minute, at or above the limit of {rate_limit:.0}"),
            });
        }
        events
    }

    /// Forgets the least recently seen tenth of the actors when `max_actors` is reached
    /// and a new actor arrives.
    fn make_room(&mut self, actor: &str) {
        if self.actors.len() < self.config.max_actors || self.actors.contains_key(actor) {
            return;
        }
        let mut last_seen: Vec<i64> = self.actors.values().map(|s| s.last_ms).collect();
        last_seen.sort_unstable();
        let cutoff = last_seen[(last_seen.len() / 10).min(last_seen.len() - 1)];
        let before = self.actors.len();
        self.actors.retain(|_, state| state.last_ms > cutoff);
        self.evicted_actors += (before - self.actors.len()) as u64;
    }
}

/// Records that `class` fired for the actor (on `scope`, an endpoint or 0) unless it
/// already fired within the window; true when it fires now.
fn fire(state: &mut ActorState, class: &'static str, scope: RawId, at: i64, window_ms: i64) -> bool {
    if let Some(last) = state.fired.get(&(class, scope))
        && at - *last < window_ms
    {
        return false;
    }
    state.fired.insert((class, scope), at);
    true
}

fn prune<T>(queue: &mut VecDeque<T>, now: i64, window_ms: i64, time: impl Fn(&T) -> i64) {
    while queue.front().is_some_and(|item| now - time(item) > window_ms) {
        queue.pop_front();
    }
}

/// True for paths that name a login: a segment such as `login`, `signin`, `token` or
/// `session`.
pub fn is_login_path(path: &str) -> bool {
    const LOGIN_SEGMENTS: [&str; 11] = [
        "login",
        "signin",
        "sign-in",
        "sign_in",
        "logon",
        "auth",
        "authenticate",
        "token",
        "oauth",
        "session",
        "sessions",
    ];
    path.split('/').any(|segment| LOGIN_SEGMENTS.iter().any(|word| segment.eq_ignore_ascii_case(word)))
}

#[cfg(test)]
mod tests;
