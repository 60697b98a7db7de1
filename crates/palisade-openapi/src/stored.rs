//! OpenAPI over the store: descriptions kept in the data directory, the export of one
//! host from the inventory, reconciliation of a stored description with the inventory,
//! and the operation that covers an inventory endpoint.
//!
//! A description's paths are authoritative templates for the endpoints it covers. That
//! merge is a view, computed from the stored descriptions and the endpoints each time it
//! is read ([`SpecSet::merge_for`]). Inventory rows are never rewritten, so deleting a
//! description undoes the merge.

use std::collections::HashMap;

use palisade_core::Trace;
use palisade_core::inventory::Endpoint;
use palisade_store::{EndpointFilter, Store, StoreError, StoredSpec};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::export::{EndpointExport, ExportSettings, export_with};
use crate::import::{SourceFormat, import};
use crate::model::{ApiSpec, Operation};
use crate::reconcile::{ShadowEndpoint, ZombieEndpoint, reconcile};
use crate::{ImportError, ImportSettings};

/// Endpoints read from the store per page.
const PAGE_SIZE: u32 = 1000;
/// Redacted samples read per endpoint by [`export_host`] unless a caller asks for another
/// number; `palisade spec export --samples` and `GET /api/v1/specs/{host}?samples=` share it.
pub const DEFAULT_EXPORT_SAMPLES: u32 = 10;
const DAY_MS: i64 = 86_400_000;

/// A stored description, imported again from its stored JSON.
#[derive(Debug, Clone)]
pub struct LoadedSpec {
    pub stored: StoredSpec,
    pub spec: ApiSpec,
}

/// Every stored description, oldest first. The first description with a matching
/// operation wins when several cover one request or endpoint.
#[derive(Debug, Clone, Default)]
pub struct SpecSet {
    specs: Vec<LoadedSpec>,
}

/// The operation of a stored description that covers an inventory endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecMerge {
    pub spec_id: i64,
    /// JSON pointer of the operation object, such as `/paths/~1users~1{id}/get`.
    pub operation_pointer: String,
    /// The `paths` key as the description writes it, without the base path.
    pub path_template: String,
    pub operation_id: Option<String>,
    pub deprecated: bool,
}

/// A stored description that no longer imports, for example after a limit was lowered.
#[derive(Debug, Clone)]
pub struct SkippedSpec {
    pub id: i64,
    pub error: ImportError,
}

impl SpecSet {
    /// Loads and imports every stored description with `settings`. Descriptions that fail
    /// to import are returned apart, so one bad row does not hide the others.
    pub fn load(store: &dyn Store, settings: &ImportSettings) -> Result<(SpecSet, Vec<SkippedSpec>), StoreError> {
        let mut specs = Vec::new();
        let mut skipped = Vec::new();
        for stored in store.specs()? {
            let Some((stored, raw)) = store.spec(stored.id)? else {
                // Deleted between the two reads.
                continue;
            };
            match import(&raw, SourceFormat::Json, settings) {
                Ok(spec) => specs.push(LoadedSpec { stored, spec }),
                Err(error) => skipped.push(SkippedSpec { id: stored.id, error }),
            }
        }
        Ok((SpecSet { specs }, skipped))
    }

    pub fn specs(&self) -> &[LoadedSpec] {
        &self.specs
    }

    pub fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }

    pub fn get(&self, id: i64) -> Option<&LoadedSpec> {
        self.specs.iter().find(|loaded| loaded.stored.id == id)
    }

    /// Finds the first operation, over descriptions oldest first, that documents a request.
    pub fn operation_for(&self, method: &str, host: &str, path: &str) -> Option<(&LoadedSpec, &Operation)> {
        self.specs
            .iter()
            .find_map(|loaded| loaded.spec.match_operation(method, host, path).map(|operation| (loaded, operation)))
    }

    /// Finds the operation that covers `endpoint`. The template is matched like a request
    /// path, so `/users/{userId}` reaches `/users/{id}` and never a literal such as
    /// `/users/me`.
    // NOTE: endpoint discovery in the pipeline does not use description paths: new traces
    // still get templates from value shapes, and only this view maps them to operations.
    // Feeding spec paths to discovery as route templates would split endpoints seen before
    // and after an import, and would outlive the description's removal.
    pub fn merge_for(&self, endpoint: &Endpoint) -> Option<SpecMerge> {
        let (loaded, operation) = self.operation_for(&endpoint.method, &endpoint.host, &endpoint.template)?;
        Some(SpecMerge {
            spec_id: loaded.stored.id,
            operation_pointer: operation.pointer.clone(),
            path_template: operation.path_template.clone(),
            operation_id: operation.operation_id.clone(),
            deprecated: operation.deprecated,
        })
    }
}

/// Builds the listing columns of an imported description.
pub fn stored_spec(spec: &ApiSpec) -> StoredSpec {
    StoredSpec {
        id: 0,
        title: spec.title.clone(),
        version: spec.version.clone(),
        spec_version: spec.spec_version.clone(),
        hosts: spec.hosts.clone(),
        operations: spec.operations.len() as u64,
        imported_ms: 0,
    }
}

/// Stores an imported description as compact JSON; returns it with its id.
pub fn save_spec(store: &dyn Store, spec: &ApiSpec) -> Result<StoredSpec, StoreError> {
    store.insert_spec(&stored_spec(spec), &spec.to_json_bytes())
}

/// Reads every endpoint in the inventory, or of one host, page by page.
pub fn all_endpoints(store: &dyn Store, host: Option<&str>) -> Result<Vec<Endpoint>, StoreError> {
    let mut endpoints = Vec::new();
    let mut offset = 0;
    loop {
        let filter =
            EndpointFilter { host: host.map(str::to_string), limit: PAGE_SIZE, offset, ..EndpointFilter::default() };
        let page = store.endpoints(&filter)?;
        let count = page.items.len() as u32;
        endpoints.extend(page.items);
        offset += count;
        if count < PAGE_SIZE {
            return Ok(endpoints);
        }
    }
}

/// Reconstructs the OpenAPI 3.1 description of `host` from the inventory, as pretty JSON
/// text with a final newline; `None` when the host has no endpoints. The same inventory
/// gives the same bytes, which `palisade spec export` writes and
/// `GET /api/v1/specs/{host}` returns.
pub fn export_host(store: &dyn Store, host: &str, samples: u32) -> Result<Option<String>, StoreError> {
    let mut endpoints = Vec::new();
    for endpoint in all_endpoints(store, Some(host))? {
        let Some(detail) = store.endpoint(&endpoint.id)? else {
            continue;
        };
        let samples: Vec<Trace> = store
            .samples(&endpoint.id, samples)?
            .iter()
            .filter_map(|sample| postcard::from_bytes(&sample.trace).ok())
            .collect();
        endpoints.push(EndpointExport::from_detail(detail, samples));
    }
    if endpoints.is_empty() {
        return Ok(None);
    }

    let settings = ExportSettings { max_samples_per_operation: samples as usize, ..ExportSettings::default() };
    let document = export_with(host, &endpoints, &settings);
    let mut text = serde_json::to_string_pretty(&document).map_err(|e| StoreError::Invalid(e.to_string()))?;
    text.push('\n');
    Ok(Some(text))
}

/// Reconstructs an OpenAPI 3.1 description holding only the endpoint `endpoint_id`, for
/// the endpoint's page; `None` when there is no such endpoint.
pub fn export_endpoint(store: &dyn Store, endpoint_id: &str, samples: u32) -> Result<Option<Value>, StoreError> {
    let Some(detail) = store.endpoint(endpoint_id)? else {
        return Ok(None);
    };
    let traces: Vec<Trace> = store
        .samples(endpoint_id, samples)?
        .iter()
        .filter_map(|sample| postcard::from_bytes(&sample.trace).ok())
        .collect();
    let host = detail.endpoint.host.clone();
    let endpoints = [EndpointExport::from_detail(detail, traces)];
    let settings = ExportSettings { max_samples_per_operation: samples as usize, ..ExportSettings::default() };
    Ok(Some(export_with(&host, &endpoints, &settings)))
}

/// A documented operation without recent traffic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnusedEntry {
    /// `GET /v1/users/{id}`, as the description writes it.
    pub operation: String,
    pub pointer: String,
    pub deprecated: bool,
    /// Newest request to an endpoint the operation covers; `None` when none was seen.
    pub last_seen_ms: Option<i64>,
    /// True when traffic reached the operation once but not within `zombie_after_days`:
    /// a candidate for removal from the API, or a zombie if it is called again.
    pub zombie_candidate: bool,
}

/// A stored description against the inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReconcileReport {
    pub spec: StoredSpec,
    pub zombie_after_days: u32,
    /// Endpoints of the description's hosts that no operation documents.
    pub shadow: Vec<ShadowEndpoint>,
    /// Deprecated operations that traffic reaches.
    pub zombie: Vec<ZombieEndpoint>,
    /// Operations never reached, then those last reached more than `zombie_after_days`
    /// days before `now_ms`.
    pub unused: Vec<UnusedEntry>,
    /// Endpoints that an operation documents.
    pub documented: u64,
}

/// Sorts the inventory's endpoints against one stored description.
pub fn reconcile_report(
    loaded: &LoadedSpec,
    endpoints: &[Endpoint],
    zombie_after_days: u32,
    now_ms: i64,
) -> ReconcileReport {
    let result = reconcile(&loaded.spec, endpoints);
    let mut unused: Vec<UnusedEntry> = result
        .unused
        .iter()
        .map(|operation| UnusedEntry {
            operation: operation.operation.clone(),
            pointer: operation.pointer.clone(),
            deprecated: operation.deprecated,
            last_seen_ms: None,
            zombie_candidate: false,
        })
        .collect();

    // Newest traffic per reached operation.
    let last_seen_by_id: HashMap<&str, i64> = endpoints.iter().map(|e| (e.id.as_str(), e.last_seen_ms)).collect();
    let mut last_seen: HashMap<&str, i64> = HashMap::new();
    for (endpoint_id, pointer) in &result.documented {
        let seen = last_seen_by_id.get(endpoint_id.as_str()).copied().unwrap_or(i64::MIN);
        let entry = last_seen.entry(pointer.as_str()).or_insert(seen);
        *entry = (*entry).max(seen);
    }
    let cutoff = now_ms.saturating_sub(i64::from(zombie_after_days) * DAY_MS);
    let mut stale: Vec<UnusedEntry> = loaded
        .spec
        .operations
        .iter()
        .filter_map(|operation| {
            let seen = *last_seen.get(operation.pointer.as_str())?;
            (seen < cutoff).then(|| UnusedEntry {
                operation: operation.label(),
                pointer: operation.pointer.clone(),
                deprecated: operation.deprecated,
                last_seen_ms: Some(seen),
                zombie_candidate: true,
            })
        })
        .collect();
    stale.sort_by(|a, b| a.operation.cmp(&b.operation));
    unused.extend(stale);

    ReconcileReport {
        spec: loaded.stored.clone(),
        zombie_after_days,
        shadow: result.shadow,
        zombie: result.zombie,
        unused,
        documented: result.documented.len() as u64,
    }
}

#[cfg(test)]
mod tests;
