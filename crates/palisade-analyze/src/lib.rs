//! Palisade's pipeline stages. Each stage is plain synchronous Rust over one trace at a
//! time plus per-host state; none of them knows about HTTP servers or databases.
//!
//! [`Pipeline`] runs the stages in order: host rules, endpoint discovery, field learning,
//! sampling with redaction. It accumulates an [`palisade_core::inventory::InventoryDelta`]
//! that a store applies in one transaction.

pub mod actors;
pub mod auth;
pub mod behaviour;
pub mod classify;
pub mod config;
pub mod detect;
pub mod discovery;
pub mod fields;
pub mod ignore;
pub mod pipeline;
pub mod redact;

pub use config::{ConfigError, DiscoveryConfig, HostRules, HostRulesConfig, PipelineConfig};
pub use pipeline::{Outcome, Pipeline, PipelineCounters, SkipReason};
