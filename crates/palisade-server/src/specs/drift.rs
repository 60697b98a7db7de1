//! Drift alerts: each trace that an operation of a stored description documents is
//! checked against that operation, before redaction, because masked values such as
//! `[email]` would break formats on purpose. Every violation raises a `spec_drift` alert
//! through the pipeline, one alert per endpoint, violation kind and description pointer.
//!
//! NOTE: only the worker of `palisade serve` runs this check; `palisade ingest` into a
//! data directory without a server raises no drift alerts.

use std::sync::Arc;
use std::time::{Duration, Instant};

use palisade_analyze::{Outcome, Pipeline};
use palisade_core::{Severity, Trace};
use palisade_openapi::validate;
use palisade_store::Store;

use super::SpecRegistry;
use crate::config::OpenApiSettings;

/// Alert type of a difference between traffic and a stored description.
pub const SPEC_DRIFT_ALERT: &str = "spec_drift";

/// Runs the drift check for the pipeline worker and keeps its descriptions current.
#[derive(Debug, Clone)]
pub struct DriftCheck {
    registry: Arc<SpecRegistry>,
    enabled: bool,
    reload_interval: Option<Duration>,
    last_reload_check: Instant,
}

impl DriftCheck {
    pub fn new(registry: Arc<SpecRegistry>, settings: &OpenApiSettings) -> Self {
        let reload_interval = match settings.reload_interval_secs {
            0 => None,
            secs => Some(Duration::from_secs(secs)),
        };
        Self { registry, enabled: settings.drift, reload_interval, last_reload_check: Instant::now() }
    }

    /// Checks one trace that the pipeline just processed, and raises an alert per
    /// violation on its raw endpoint. The first description, oldest first, with an
    /// operation for the trace's method, inventory host and path is the one checked.
    pub fn check(&self, pipeline: &mut Pipeline, trace: &Trace, outcome: Outcome) {
        if !self.enabled {
            return;
        }
        let Outcome::Recorded { raw_id } = outcome else {
            return;
        };
        let specs = self.registry.current();
        if specs.is_empty() {
            return;
        }
        let Some(host) = pipeline.raw_host(raw_id) else {
            return;
        };
        let request = &trace.request;
        let Some((loaded, operation)) = specs.operation_for(&request.method, host, &request.path) else {
            return;
        };

        let spec_id = loaded.stored.id;
        for violation in validate(operation, trace) {
            let kind = violation.kind.as_str();
            let location = format!("{kind} {}", violation.spec_pointer);
            pipeline.raise_alert(raw_id, SPEC_DRIFT_ALERT, &location, trace.meta.start_ms, Severity::Low, || {
                format!(
                    "traffic differs from description {spec_id} ({}): {}; field {}; description pointer {}",
                    operation.label(),
                    violation.message,
                    violation.field,
                    violation.spec_pointer
                )
            });
        }
    }

    /// Reloads the descriptions when another process changed them, at most once per
    /// `openapi.reload_interval_secs`.
    pub fn reload_if_due(&mut self, store: &dyn Store) {
        let Some(interval) = self.reload_interval else {
            return;
        };
        if self.last_reload_check.elapsed() < interval {
            return;
        }
        self.last_reload_check = Instant::now();
        match self.registry.reload_if_changed(store) {
            Ok(true) => tracing::info!("OpenAPI descriptions changed in the store; reloaded them"),
            Ok(false) => {}
            Err(error) => tracing::warn!(%error, "cannot check the stored OpenAPI descriptions; will retry"),
        }
    }
}
