//! Palisade's storage: one [`Store`] interface for the inventory and credentials, its
//! SQLite implementation, and the [`journal`] that makes accepted traces durable before
//! the pipeline has processed them.
//!
//! Every method blocks; async callers run them on a blocking thread.

pub mod journal;
pub mod keys;
pub mod sqlite;

use palisade_core::DataField;
use palisade_core::access::{ApiKey, Role};
use palisade_core::inventory::{Endpoint, HostStats, InventoryDelta, InventoryState, Sample};
use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use journal::Journal;
pub use sqlite::SqliteStore;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("data directory {path}: {source}")]
    DataDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the database at {path} has schema version {found}, newer than this build supports ({supported}); upgrade palisade"
    )]
    SchemaTooNew { path: String, found: i64, supported: i64 },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Sort orders for endpoint listings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndpointSort {
    /// Host, then template, then method.
    #[default]
    Path,
    /// Most requests first.
    Hits,
    /// Most recently seen first.
    LastSeen,
    /// Most recently discovered first.
    FirstSeen,
}

/// Filters and paging for endpoint listings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointFilter {
    pub host: Option<String>,
    pub method: Option<String>,
    /// Case-insensitive text that the template or host must contain.
    pub search: Option<String>,
    pub sort: EndpointSort,
    pub limit: u32,
    pub offset: u32,
}

/// One page of results with the total number that matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
}

/// Requests per hour, oldest first: `(hour start in epoch milliseconds, count)`.
pub type HourlyCounts = Vec<(i64, u64)>;

/// A host with its endpoint count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostSummary {
    #[serde(flatten)]
    pub stats: HostStats,
    pub endpoints: u64,
}

/// An endpoint with its fields and hourly request counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointDetail {
    pub endpoint: Endpoint,
    pub fields: Vec<DataField>,
    pub hourly: HourlyCounts,
}

/// The store interface that the SQLite and PostgreSQL implementations share.
pub trait Store: Send + Sync {
    /// Loads what the pipeline needs to continue, and the journal position it reached.
    fn load_inventory(&self) -> Result<(InventoryState, i64)>;
    /// Applies one pipeline commit atomically, recording that the journal was processed up
    /// to `journal_position` in the same transaction.
    fn apply(&self, delta: &InventoryDelta, journal_position: Option<i64>) -> Result<()>;

    fn hosts(&self) -> Result<Vec<HostSummary>>;
    fn endpoints(&self, filter: &EndpointFilter) -> Result<Page<Endpoint>>;
    fn endpoint(&self, id: &str) -> Result<Option<EndpointDetail>>;
    /// Finds the endpoint whose template matches a concrete `path`, or equals it.
    fn find_endpoint(&self, method: &str, host: &str, path: &str) -> Result<Option<Endpoint>>;
    /// Samples of an endpoint, newest first.
    fn samples(&self, endpoint_id: &str, limit: u32) -> Result<Vec<Sample>>;

    /// Stores a new credential and returns it with its secret, which is not kept.
    fn create_key(&self, name: &str, role: Role) -> Result<(ApiKey, String)>;
    fn list_keys(&self) -> Result<Vec<ApiKey>>;
    /// Revokes a key by id; false when there is no such active key.
    fn revoke_key(&self, id: i64) -> Result<bool>;
    /// Finds the active key matching `secret`, and records its use.
    fn authenticate(&self, secret: &str) -> Result<Option<ApiKey>>;
}
