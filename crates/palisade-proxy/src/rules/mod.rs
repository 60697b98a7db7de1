//! Block rules: the model ([`BlockRule`]), its compiled form ([`RuleSet`]) and the
//! evaluation of a request ([`RuleSet::evaluate`]).
//!
//! ```
//! use palisade_proxy::rules::{BlockRule, DecisionAction, RateState, RequestView, RuleLimits, RuleSet};
//!
//! let rule: BlockRule = serde_json::from_str(
//!     r#"{"id": "no-admin", "mode": "block", "created_at": "2026-03-01T10:00:00Z",
//!         "conditions": [{"all": [{"field": "path", "op": "starts_with", "value": "/admin"}]}],
//!         "action": {"block": {}}}"#,
//! )
//! .unwrap();
//! let rules = RuleSet::compile(&[rule], &RuleLimits::default()).unwrap();
//! let mut rate = RateState::default();
//!
//! let request = RequestView { method: "GET", host: "api.example.com", path: "/admin/users", ..Default::default() };
//! let decision = rules.evaluate(&request, 0, &mut rate);
//! assert_eq!(decision.action, DecisionAction::Block("no-admin".into()));
//! ```

mod compile;
mod eval;
mod index;
mod model;
mod path;
mod rate;

pub use compile::{Needs, RuleError, RuleLimits, RuleSet};
pub use eval::{Decision, DecisionAction, RequestView};
pub use model::{
    Action, BlockAction, BlockRule, Condition, ConditionGroup, Field, Mode, Operator, Origin, RateKey, RateLimit,
    Timestamp,
};
pub use path::{Template, normalize_path};
pub use rate::{Clock, DEFAULT_MAX_RATE_KEYS, ManualClock, RateOutcome, RateState, SystemClock};

#[cfg(test)]
mod tests;
