//! Palisade's storage: one [`Store`] interface for the inventory and credentials, its
//! SQLite implementation, and the [`journal`] that makes accepted traces durable before
//! the pipeline has processed them.
//!
//! Every method blocks; async callers run them on a blocking thread.

pub mod journal;
pub mod keys;
pub mod sqlite;

use palisade_core::access::{ApiKey, Role, Session, User};
use palisade_core::actor::Actor;
use palisade_core::alert::{Alert, AlertStatus};
use palisade_core::auth::AuthScheme;
use palisade_core::finding::Finding;
use palisade_core::inventory::{Endpoint, HostStats, InventoryDelta, InventoryState, Sample};
use palisade_core::{DataField, Section, Severity};
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
    /// Highest risk score first.
    Risk,
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
    /// Only endpoints whose risk score is at least this.
    #[serde(default)]
    pub min_risk: Option<u32>,
    /// Only endpoints with this data class on a field location that is not marked as a
    /// false positive.
    #[serde(default)]
    pub data_class: Option<String>,
    /// Only endpoints that received requests with this authentication scheme; `none`
    /// selects endpoints called without any credential.
    #[serde(default)]
    pub auth: Option<AuthScheme>,
}

/// One page of results with the total number that matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
}

/// A stored security test run, without its document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestRunSummary {
    /// Assigned by the store.
    pub id: i64,
    /// Assigned by the store.
    pub received_ms: i64,
    pub runner: String,
    pub version: String,
    pub passed: u64,
    pub failed: u64,
    pub requests: u64,
    pub duration_ms: f64,
    /// Name of the key or user that sent the run.
    pub submitted_by: String,
}

/// A block rule as stored: its JSON document and the times the store tracks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRule {
    pub id: String,
    /// The rule as JSON, in the format the rule feed serves.
    pub document: String,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub expires_ms: Option<i64>,
}

/// An imported OpenAPI description as stored, without its document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSpec {
    /// Assigned by the store.
    pub id: i64,
    /// `info.title`.
    pub title: String,
    /// `info.version`: the API's own version.
    pub version: String,
    /// `openapi` or `swagger` as written, such as `3.0.3`.
    pub spec_version: String,
    /// Hosts named in the description. Empty when the description applies to any host.
    pub hosts: Vec<String>,
    pub operations: u64,
    /// Assigned by the store.
    pub imported_ms: i64,
}

/// Requests per hour, oldest first: `(hour start in epoch milliseconds, count)`.
pub type HourlyCounts = Vec<(i64, u64)>;

/// Counts over the whole inventory, for the dashboard's overview.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventorySummary {
    pub hosts: u64,
    pub endpoints: u64,
    /// Endpoints first seen at or after the `since_ms` given to [`Store::summary`].
    pub new_endpoints: u64,
    /// Endpoints per risk score band of 20 points: 0-19, 20-39, 40-59, 60-79 and 80-100.
    pub risk_bands: [u64; 5],
    /// Open alerts per type, highest count first.
    pub open_alerts: Vec<AlertCount>,
    /// Stored findings per class, highest count first.
    pub findings_by_class: Vec<(String, u64)>,
}

/// Alerts of one type and the worst severity among them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertCount {
    pub kind: String,
    pub severity: Severity,
    pub count: u64,
}

/// A data class across the inventory. Locations marked as false positives count only in
/// `false_positives`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataClassSummary {
    pub class_id: String,
    pub severity: Severity,
    pub endpoints: u64,
    /// Field locations (endpoint, section, path) where the class matched.
    pub locations: u64,
    pub hits: u64,
    pub last_hit_ms: i64,
    pub false_positives: u64,
}

/// One field location of an endpoint where a data class matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassLocation {
    pub endpoint_id: String,
    pub host: String,
    pub method: String,
    pub template: String,
    pub section: Section,
    pub path: String,
    pub severity: Severity,
    pub hits: u64,
    pub last_hit_ms: i64,
    pub false_positive: bool,
}

/// A host with its endpoint count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostSummary {
    #[serde(flatten)]
    pub stats: HostStats,
    pub endpoints: u64,
}

/// A data class seen on one field location of an endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldClass {
    pub section: Section,
    pub path: String,
    pub status: Option<u16>,
    pub content_type: String,
    pub class_id: String,
    pub severity: Severity,
    /// Traces in which a value at the location matched the class.
    pub hits: u64,
    /// Traces in which the location held a value.
    pub observations: u64,
    /// `hits / observations`.
    pub confidence: f64,
    pub first_hit_ms: i64,
    pub last_hit_ms: i64,
    /// False once the location was seen for the decay period without the class.
    pub active: bool,
    /// True when a user marked the class on this location as a false positive.
    pub false_positive: bool,
}

/// Filters and paging for alert listings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertFilter {
    pub status: Option<AlertStatus>,
    pub kind: Option<String>,
    pub endpoint_id: Option<String>,
    pub host: Option<String>,
    pub actor: Option<String>,
    pub limit: u32,
    pub offset: u32,
}

/// Filters and paging for finding listings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingFilter {
    pub actor: Option<String>,
    pub endpoint_id: Option<String>,
    pub class: Option<String>,
    pub since_ms: Option<i64>,
    /// Oldest first instead of newest first, for timelines.
    pub oldest_first: bool,
    pub limit: u32,
    pub offset: u32,
}

/// Filters and paging for actor listings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActorFilter {
    /// Only actors with at least one finding.
    pub with_findings_only: bool,
    pub limit: u32,
    pub offset: u32,
}

/// An actor with its timeline: its findings, oldest first, and the alerts that name it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActorDetail {
    pub actor: Actor,
    pub findings: Vec<Finding>,
    pub alerts: Vec<Alert>,
}

/// An endpoint with its fields, data classes, open alerts and hourly request counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointDetail {
    pub endpoint: Endpoint,
    pub fields: Vec<DataField>,
    pub classes: Vec<FieldClass>,
    pub alerts: Vec<Alert>,
    pub hourly: HourlyCounts,
}

/// The store interface that the SQLite and PostgreSQL implementations share.
pub trait Store: Send + Sync {
    /// Loads what the pipeline needs to continue, and the journal position it reached.
    fn load_inventory(&self) -> Result<(InventoryState, i64)>;
    /// Applies one pipeline commit atomically, recording that the journal was processed up
    /// to `journal_position` in the same transaction. Returns the alerts this commit
    /// created or opened again, for notifications.
    fn apply(&self, delta: &InventoryDelta, journal_position: Option<i64>) -> Result<Vec<Alert>>;

    /// Scores every endpoint again, so data classes that stopped appearing stop counting.
    fn refresh_risk(&self) -> Result<()>;

    fn hosts(&self) -> Result<Vec<HostSummary>>;
    fn endpoints(&self, filter: &EndpointFilter) -> Result<Page<Endpoint>>;
    fn endpoint(&self, id: &str) -> Result<Option<EndpointDetail>>;
    /// Finds the endpoint whose template matches a concrete `path`, or equals it.
    fn find_endpoint(&self, method: &str, host: &str, path: &str) -> Result<Option<Endpoint>>;
    /// Counts the inventory for the dashboard's overview. Endpoints first seen at or after
    /// `since_ms` count as new.
    fn summary(&self, since_ms: i64) -> Result<InventorySummary>;
    /// Counts requests per hour over all endpoints, for the `hours` hours that end with the
    /// latest hour that had traffic. Hours without requests are left out.
    fn traffic(&self, hours: u32) -> Result<HourlyCounts>;
    /// Lists every data class matched on some field location, highest endpoint count first.
    fn data_classes(&self) -> Result<Vec<DataClassSummary>>;
    /// Lists the field locations where `class_id` matched, highest hit count first.
    fn class_locations(&self, class_id: &str, limit: u32, offset: u32) -> Result<Page<ClassLocation>>;
    /// Samples of an endpoint, newest first.
    fn samples(&self, endpoint_id: &str, limit: u32) -> Result<Vec<Sample>>;

    fn alerts(&self, filter: &AlertFilter) -> Result<Page<Alert>>;
    fn alert(&self, id: i64) -> Result<Option<Alert>>;
    /// Sets an alert's status; `None` when no alert has `id`.
    fn set_alert_status(&self, id: i64, status: AlertStatus) -> Result<Option<Alert>>;
    /// Marks (or unmarks) a data class on a field location of an endpoint as a false
    /// positive. False when the endpoint has no such class there.
    fn mark_false_positive(
        &self,
        endpoint_id: &str,
        section: Section,
        path: &str,
        class_id: &str,
        false_positive: bool,
        marked_by: &str,
    ) -> Result<bool>;

    fn findings(&self, filter: &FindingFilter) -> Result<Page<Finding>>;
    fn actors(&self, filter: &ActorFilter) -> Result<Page<Actor>>;
    /// An actor with up to `timeline_limit` of its findings, oldest first.
    fn actor(&self, id: &str, timeline_limit: u32) -> Result<Option<ActorDetail>>;

    /// Creates a dashboard user; `password_hash` is an Argon2id PHC string.
    fn create_user(&self, name: &str, role: Role, password_hash: &str) -> Result<User>;
    fn list_users(&self) -> Result<Vec<User>>;
    /// A user with their password hash, for signing in.
    fn find_user(&self, name: &str) -> Result<Option<(User, String)>>;
    fn set_user_password(&self, name: &str, password_hash: &str) -> Result<bool>;
    fn set_user_role(&self, name: &str, role: Role) -> Result<bool>;
    /// Deletes a user and their sessions; false when there is no such user.
    fn delete_user(&self, name: &str) -> Result<bool>;
    /// Starts a session; returns the token for the browser's cookie and the session.
    fn create_session(&self, user_id: i64, ttl_ms: i64) -> Result<(String, Session)>;
    /// The unexpired session of a token.
    fn session(&self, token: &str) -> Result<Option<Session>>;
    fn delete_session(&self, token: &str) -> Result<bool>;

    /// Stores a new credential and returns it with its secret, which is not kept.
    fn create_key(&self, name: &str, role: Role) -> Result<(ApiKey, String)>;
    fn list_keys(&self) -> Result<Vec<ApiKey>>;
    /// Revokes a key by id; false when there is no such active key.
    fn revoke_key(&self, id: i64) -> Result<bool>;
    /// Finds the active key matching `secret`, and records its use.
    fn authenticate(&self, secret: &str) -> Result<Option<ApiKey>>;

    /// Stores a test run's summary and document; keeps the newest `max_runs` runs.
    fn insert_test_run(&self, run: &TestRunSummary, document: &str, max_runs: u64) -> Result<TestRunSummary>;
    /// Test runs, newest first.
    fn test_runs(&self, limit: u32, offset: u32) -> Result<Page<TestRunSummary>>;
    /// A test run with its document.
    fn test_run(&self, id: i64) -> Result<Option<(TestRunSummary, String)>>;

    /// Every block rule, oldest first, expired ones included.
    fn rules(&self) -> Result<Vec<StoredRule>>;
    /// Inserts or replaces a rule by id; true when it is new.
    fn put_rule(&self, rule: &StoredRule) -> Result<bool>;
    fn delete_rule(&self, id: &str) -> Result<bool>;

    /// Stores an imported description, with `raw` as its JSON text. Returns it with its id
    /// and import time.
    fn insert_spec(&self, spec: &StoredSpec, raw: &[u8]) -> Result<StoredSpec>;
    /// Lists every stored description, oldest first.
    fn specs(&self) -> Result<Vec<StoredSpec>>;
    /// Loads a stored description with its JSON text.
    fn spec(&self, id: i64) -> Result<Option<(StoredSpec, Vec<u8>)>>;
    /// Deletes a description. Returns false when there is no such id.
    fn delete_spec(&self, id: i64) -> Result<bool>;
}
