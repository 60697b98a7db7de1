//! Palisade's HTTP service, `palisade serve`: the collector that accepts traces, the REST
//! API over the inventory, health and metrics.
//!
//! Accepted traces go to the durable [`journal`](palisade_store::journal) before the
//! collector answers; a [`worker`] thread runs the pipeline over the journal and commits
//! inventory changes to the store.

pub mod api;
pub mod auth;
pub mod classification;
pub mod collector;
pub mod config;
pub mod dashboard;
pub mod data_dir;
pub mod detection;
pub mod error;
pub mod inline_proxy;
pub mod metrics;
pub mod rules;
pub mod server;
pub mod specs;
pub mod webhooks;
pub mod worker;
mod yaml_position;

pub use config::{Config, ConfigError, ServerSettings};
pub use data_dir::DataDir;
pub use server::{RunningServer, start};
