//! Rate limit counters: a sliding window per rule and key, in bounded memory.
//!
//! Each counter keeps the count of the current fixed window and of the one before it.
//! The rate is estimated as the current count plus the previous count weighted by the
//! share of the previous window that still lies inside the sliding window, so a burst
//! at a window boundary cannot pass twice the threshold.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use rustc_hash::FxHashMap;

/// Source of the current time in milliseconds since the Unix epoch, injectable so tests
/// can move time by hand.
pub trait Clock: Send + Sync + 'static {
    fn now_ms(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        palisade_core::timestamp::now_ms()
    }
}

/// A clock that moves only when a test sets or advances it.
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn new(start_ms: i64) -> Self {
        Self(Arc::new(AtomicI64::new(start_ms)))
    }

    pub fn set(&self, ms: i64) {
        self.0.store(ms, Ordering::SeqCst);
    }

    pub fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Default of [`RateState::new`]'s `max_keys`: about 48 bytes each, so 5 MB at most.
pub const DEFAULT_MAX_RATE_KEYS: usize = 100_000;

/// Counters of every rate-limited key, shared by rule set versions: a counter belongs to
/// a rule id and a key, so it survives rule feed updates.
#[derive(Debug)]
pub struct RateState {
    counters: FxHashMap<(u64, u64), Counter>,
    max_keys: usize,
    evicted: u64,
}

#[derive(Debug, Clone, Copy)]
struct Counter {
    window_ms: i64,
    /// Start of the current fixed window.
    window_start_ms: i64,
    current: u32,
    previous: u32,
    /// The key is rejected until this time; 0 when it is not.
    blocked_until_ms: i64,
}

/// The outcome of counting one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateOutcome {
    /// Under the threshold.
    Counted,
    /// The key is over the threshold and rejected until this time.
    Limited { until_ms: i64 },
}

impl Default for RateState {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_RATE_KEYS)
    }
}

impl RateState {
    /// Creates counters for at most `max_keys` rule and key pairs.
    pub fn new(max_keys: usize) -> Self {
        Self { counters: FxHashMap::default(), max_keys: max_keys.max(1), evicted: 0 }
    }

    /// Rule and key pairs tracked now.
    pub fn len(&self) -> usize {
        self.counters.len()
    }

    pub fn is_empty(&self) -> bool {
        self.counters.is_empty()
    }

    /// Counters dropped to stay within `max_keys` while they still held a count.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Counts one request of `key` under the rule whose id hashes to `rule`, and returns
    /// whether the key is now limited. A request that trips the limit is itself limited;
    /// requests while a key is limited are not counted.
    pub(crate) fn hit(&mut self, rule: u64, key: u64, limit: &RateParams, now_ms: i64) -> RateOutcome {
        let window_ms = i64::from(limit.window_secs.max(1)) * 1000;
        if !self.counters.contains_key(&(rule, key)) && self.counters.len() >= self.max_keys {
            self.make_room(now_ms);
        }
        let counter = self.counters.entry((rule, key)).or_insert(Counter {
            window_ms,
            window_start_ms: now_ms - now_ms.rem_euclid(window_ms),
            current: 0,
            previous: 0,
            blocked_until_ms: 0,
        });

        if counter.blocked_until_ms > now_ms {
            return RateOutcome::Limited { until_ms: counter.blocked_until_ms };
        }
        if counter.blocked_until_ms != 0 || counter.window_ms != window_ms {
            // A block that ended, or a rule whose window changed, starts counting afresh.
            *counter = Counter {
                window_ms,
                window_start_ms: now_ms - now_ms.rem_euclid(window_ms),
                current: 0,
                previous: 0,
                blocked_until_ms: 0,
            };
        }

        counter.roll(now_ms);
        counter.current = counter.current.saturating_add(1);
        let elapsed = now_ms - counter.window_start_ms;
        let previous_weight = (window_ms - elapsed) as f64 / window_ms as f64;
        let estimate = f64::from(counter.current) + f64::from(counter.previous) * previous_weight;
        if estimate > f64::from(limit.threshold) {
            counter.blocked_until_ms = now_ms + i64::from(limit.block_secs) * 1000;
            return RateOutcome::Limited { until_ms: counter.blocked_until_ms };
        }
        RateOutcome::Counted
    }

    /// Drops counters whose windows and blocks have passed. If that frees less than an
    /// eighth of the table, it drops further unblocked counters in no particular order.
    fn make_room(&mut self, now_ms: i64) {
        self.counters.retain(|_, counter| !counter.is_stale(now_ms));
        let target = self.max_keys - self.max_keys / 8;
        if self.counters.len() < target.max(1) {
            return;
        }

        let excess = self.counters.len() + 1 - target.max(1);
        let victims: Vec<(u64, u64)> = self
            .counters
            .iter()
            .filter(|(_, counter)| counter.blocked_until_ms <= now_ms)
            .map(|(key, _)| *key)
            .take(excess)
            .collect();
        self.evicted += victims.len() as u64;
        for key in victims {
            self.counters.remove(&key);
        }
        // NOTE: when every counter is blocked, the table grows past max_keys by the
        // blocked keys alone, which the block time bounds.
    }
}

impl Counter {
    /// Moves the fixed windows forward to the one that contains `now_ms`.
    fn roll(&mut self, now_ms: i64) {
        let start = now_ms - now_ms.rem_euclid(self.window_ms);
        if start == self.window_start_ms {
            return;
        }
        self.previous = if start - self.window_start_ms == self.window_ms { self.current } else { 0 };
        self.current = 0;
        self.window_start_ms = start;
    }

    /// True when neither window nor block can affect a later request.
    fn is_stale(&self, now_ms: i64) -> bool {
        self.blocked_until_ms <= now_ms && now_ms - self.window_start_ms >= 2 * self.window_ms
    }
}

/// The parameters of a rate limit as the counters need them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateParams {
    pub threshold: u32,
    pub window_secs: u32,
    pub block_secs: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: RateParams = RateParams { threshold: 3, window_secs: 10, block_secs: 30 };

    /// Feeds requests at the given times (ms) and returns the outcome of each.
    fn run(times: &[i64]) -> Vec<RateOutcome> {
        let mut state = RateState::new(100);
        times.iter().map(|&t| state.hit(1, 7, &LIMIT, t)).collect()
    }

    #[test]
    fn trips_after_threshold_within_window() {
        let outcomes = run(&[0, 1_000, 2_000, 3_000]);
        assert_eq!(outcomes[..3], [RateOutcome::Counted; 3]);
        assert_eq!(outcomes[3], RateOutcome::Limited { until_ms: 33_000 });
    }

    #[test]
    fn stays_limited_until_block_ends_then_resets() {
        let outcomes = run(&[0, 1, 2, 3, 32_999, 33_000, 33_001, 33_002, 33_003]);
        assert_eq!(outcomes[3], RateOutcome::Limited { until_ms: 30_003 });
        // 30_003 has passed at 32_999: counting starts afresh.
        assert_eq!(outcomes[4], RateOutcome::Counted);
        assert_eq!(outcomes[5], RateOutcome::Counted);
        assert_eq!(outcomes[6], RateOutcome::Counted);
        assert_eq!(outcomes[7], RateOutcome::Limited { until_ms: 63_002 });
        assert_eq!(outcomes[8], RateOutcome::Limited { until_ms: 63_002 });
    }

    #[test]
    fn previous_window_counts_by_overlap() {
        // Three requests late in window [0, 10s). At 12s the sliding window still covers
        // 80% of the previous window: 1 + 3 * 0.8 = 3.4 > 3, so the first request trips.
        assert_eq!(run(&[9_000, 9_100, 9_200, 12_000])[3], RateOutcome::Limited { until_ms: 42_000 });
        // At 19s the weight is 0.1: 1 + 0.3 = 1.3, then 2.3, then 3.3 on the third.
        let outcomes = run(&[9_000, 9_100, 9_200, 19_000, 19_001, 19_002]);
        assert_eq!(outcomes[3..5], [RateOutcome::Counted; 2]);
        assert_eq!(outcomes[5], RateOutcome::Limited { until_ms: 49_002 });
    }

    #[test]
    fn windows_two_apart_forget_counts() {
        let outcomes = run(&[9_000, 9_100, 9_200, 20_000, 20_001, 20_002]);
        assert_eq!(outcomes, vec![RateOutcome::Counted; 6]);
    }

    #[test]
    fn keys_and_rules_count_apart() {
        let mut state = RateState::new(100);
        for t in 0..3 {
            assert_eq!(state.hit(1, 7, &LIMIT, t), RateOutcome::Counted);
            assert_eq!(state.hit(1, 8, &LIMIT, t), RateOutcome::Counted);
            assert_eq!(state.hit(2, 7, &LIMIT, t), RateOutcome::Counted);
        }
        assert!(matches!(state.hit(1, 7, &LIMIT, 4), RateOutcome::Limited { .. }));
        assert_eq!(state.len(), 3);
    }

    #[test]
    fn table_stays_bounded() {
        let mut state = RateState::new(64);
        for key in 0..10_000 {
            state.hit(1, key, &LIMIT, 0);
            assert!(state.len() <= 64, "{} counters after key {key}", state.len());
        }
        assert!(state.evicted() > 0);
    }

    #[test]
    fn stale_counters_go_first() {
        let mut state = RateState::new(4);
        for key in 0..4 {
            state.hit(1, key, &LIMIT, 0);
        }
        // Two windows later all four are stale, so nothing with a count is evicted.
        state.hit(1, 100, &LIMIT, 20_000);
        assert_eq!(state.len(), 1);
        assert_eq!(state.evicted(), 0);
    }

    #[test]
    fn manual_clock_moves_by_hand() {
        let clock = ManualClock::new(1_000);
        clock.advance(500);
        assert_eq!(clock.now_ms(), 1_500);
        clock.set(10);
        assert_eq!(clock.now_ms(), 10);
    }
}
