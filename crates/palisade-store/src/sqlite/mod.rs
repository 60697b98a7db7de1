//! The SQLite store: one database file in WAL mode inside the data directory.
//!
//! One connection writes (pipeline commits, key changes); readers take connections from a
//! small pool, so API reads never wait for a pipeline commit.

mod access;
mod actors;
mod alerts;
mod classes;
mod inventory;
mod migrations;
mod queries;
mod records;
mod risk;
mod specs;
mod summary;
mod users;

pub use users::check_user_name;

pub use queries::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use palisade_core::Section;
use palisade_core::access::{ApiKey, Role, Session, User};
use palisade_core::actor::Actor;
use palisade_core::alert::{Alert, AlertStatus};
use palisade_core::finding::Finding;
use palisade_core::inventory::{Endpoint, InventoryDelta, InventoryState, Sample};
use rusqlite::Connection;

use crate::{
    ActorDetail, ActorFilter, AlertFilter, EndpointDetail, EndpointFilter, FindingFilter, HostSummary, Page, Result,
    Store, StoreError, StoredRule, StoredSpec, TestRunSummary,
};
use crate::{ClassLocation, DataClassSummary, HourlyCounts, InventorySummary};

/// Readers kept open for reuse.
const MAX_IDLE_READERS: usize = 8;

/// The SQLite implementation of [`Store`].
pub struct SqliteStore {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    /// Secret for keyed hashes of API keys.
    secret: Vec<u8>,
    /// Time after which a data class that stopped matching on a still-seen field location
    /// stops counting, in milliseconds.
    class_decay_ms: i64,
    /// Findings kept; the oldest are deleted beyond this many.
    max_findings: u64,
}

/// Default of [`SqliteStore::set_max_findings`].
pub const DEFAULT_MAX_FINDINGS: u64 = 1_000_000;

/// Default of [`SqliteStore::set_class_decay_days`]: 7 days.
pub const DEFAULT_CLASS_DECAY_DAYS: u32 = 7;

impl SqliteStore {
    /// Opens (creating when missing) the database at `path` and brings its schema up to
    /// date. `secret` keys the hashes of API keys.
    pub fn open(path: &Path, secret: Vec<u8>) -> Result<Self> {
        let mut writer = open_connection(path)?;
        migrations::migrate(&mut writer, path)?;
        Ok(Self {
            path: path.to_path_buf(),
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
            secret,
            class_decay_ms: days_to_ms(DEFAULT_CLASS_DECAY_DAYS),
            max_findings: DEFAULT_MAX_FINDINGS,
        })
    }

    /// Sets how many findings are kept before the oldest are deleted.
    pub fn set_max_findings(&mut self, max_findings: u64) {
        self.max_findings = max_findings;
    }

    /// Sets how long a data class may go without matching on a field location that is
    /// still seen before it stops counting.
    pub fn set_class_decay_days(&mut self, days: u32) {
        self.class_decay_ms = days_to_ms(days);
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn write<T>(&self, work: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        // A poisoned lock means a panic happened while writing; the connection itself is
        // still usable because SQLite rolled back the open transaction.
        let mut conn = self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        work(&mut conn)
    }

    fn read<T>(&self, work: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let pooled = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => open_connection(&self.path)?,
        };
        let result = work(&conn);
        let mut readers = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        if readers.len() < MAX_IDLE_READERS {
            readers.push(conn);
        }
        result
    }
}

fn days_to_ms(days: u32) -> i64 {
    i64::from(days) * 86_400_000
}

fn open_connection(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)
        .map_err(|e| StoreError::Invalid(format!("cannot open database {}: {e}", path.display())))?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // Durability of accepted traces comes from the journal; the inventory can be rebuilt
    // from it, so losing the last commits on power loss is acceptable here.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

impl Store for SqliteStore {
    fn load_inventory(&self) -> Result<(InventoryState, i64)> {
        self.read(inventory::load)
    }

    fn apply(&self, delta: &InventoryDelta, journal_position: Option<i64>) -> Result<Vec<Alert>> {
        let settings =
            inventory::ApplySettings { class_decay_ms: self.class_decay_ms, max_findings: self.max_findings };
        self.write(|conn| inventory::apply(conn, delta, journal_position, &settings))
    }

    fn refresh_risk(&self) -> Result<()> {
        let ids: Vec<String> = self.read(|conn| {
            let mut select = conn.prepare("SELECT id FROM endpoints")?;
            let rows = select.query_map([], |row| row.get(0))?;
            Ok(rows.collect::<Result<Vec<String>, _>>()?)
        })?;
        for chunk in ids.chunks(500) {
            self.write(|conn| {
                let tx = conn.transaction()?;
                risk::recompute(&tx, chunk, self.class_decay_ms)?;
                tx.commit()?;
                Ok(())
            })?;
        }
        Ok(())
    }

    fn hosts(&self) -> Result<Vec<HostSummary>> {
        self.read(queries::hosts)
    }

    fn endpoints(&self, filter: &EndpointFilter) -> Result<Page<Endpoint>> {
        self.read(|conn| queries::endpoints(conn, filter))
    }

    fn endpoint(&self, id: &str) -> Result<Option<EndpointDetail>> {
        self.read(|conn| queries::endpoint(conn, id, self.class_decay_ms))
    }

    fn find_endpoint(&self, method: &str, host: &str, path: &str) -> Result<Option<Endpoint>> {
        self.read(|conn| queries::find_endpoint(conn, method, host, path))
    }

    fn summary(&self, since_ms: i64) -> Result<InventorySummary> {
        self.read(|conn| summary::summary(conn, since_ms))
    }

    fn traffic(&self, hours: u32) -> Result<HourlyCounts> {
        self.read(|conn| summary::traffic(conn, hours))
    }

    fn data_classes(&self) -> Result<Vec<DataClassSummary>> {
        self.read(summary::data_classes)
    }

    fn class_locations(&self, class_id: &str, limit: u32, offset: u32) -> Result<Page<ClassLocation>> {
        self.read(|conn| summary::class_locations(conn, class_id, limit, offset))
    }

    fn samples(&self, endpoint_id: &str, limit: u32) -> Result<Vec<Sample>> {
        self.read(|conn| queries::samples(conn, endpoint_id, limit))
    }

    fn alerts(&self, filter: &AlertFilter) -> Result<Page<Alert>> {
        self.read(|conn| alerts::list(conn, filter))
    }

    fn alert(&self, id: i64) -> Result<Option<Alert>> {
        self.read(|conn| alerts::get(conn, id))
    }

    fn set_alert_status(&self, id: i64, status: AlertStatus) -> Result<Option<Alert>> {
        self.write(|conn| {
            let tx = conn.transaction()?;
            let alert = alerts::set_status(&tx, id, status)?;
            if let Some(endpoint) = alert.as_ref().and_then(|a| a.endpoint_id.clone()) {
                risk::recompute(&tx, &[endpoint], self.class_decay_ms)?;
            }
            tx.commit()?;
            Ok(alert)
        })
    }

    fn mark_false_positive(
        &self,
        endpoint_id: &str,
        section: Section,
        path: &str,
        class_id: &str,
        false_positive: bool,
        marked_by: &str,
    ) -> Result<bool> {
        self.write(|conn| {
            let tx = conn.transaction()?;
            let found = classes::mark(&tx, endpoint_id, section, path, class_id, false_positive, marked_by)?;
            if found {
                risk::recompute(&tx, &[endpoint_id.to_string()], self.class_decay_ms)?;
            }
            tx.commit()?;
            Ok(found)
        })
    }

    fn findings(&self, filter: &FindingFilter) -> Result<Page<Finding>> {
        self.read(|conn| actors::list_findings(conn, filter))
    }

    fn actors(&self, filter: &ActorFilter) -> Result<Page<Actor>> {
        self.read(|conn| actors::list_actors(conn, filter))
    }

    fn actor(&self, id: &str, timeline_limit: u32) -> Result<Option<ActorDetail>> {
        self.read(|conn| {
            let Some(actor) = actors::get_actor(conn, id)? else {
                return Ok(None);
            };
            let filter = FindingFilter {
                actor: Some(id.to_string()),
                oldest_first: true,
                limit: timeline_limit,
                ..Default::default()
            };
            let findings = actors::list_findings(conn, &filter)?.items;
            let alerts = actors::actor_alerts(conn, id)?;
            Ok(Some(ActorDetail { actor, findings, alerts }))
        })
    }

    fn create_user(&self, name: &str, role: Role, password_hash: &str) -> Result<User> {
        self.write(|conn| users::create_user(conn, name, role, password_hash))
    }

    fn list_users(&self) -> Result<Vec<User>> {
        self.read(users::list_users)
    }

    fn find_user(&self, name: &str) -> Result<Option<(User, String)>> {
        self.read(|conn| users::find_user(conn, name))
    }

    fn set_user_password(&self, name: &str, password_hash: &str) -> Result<bool> {
        self.write(|conn| users::set_password(conn, name, password_hash))
    }

    fn set_user_role(&self, name: &str, role: Role) -> Result<bool> {
        self.write(|conn| users::set_role(conn, name, role))
    }

    fn delete_user(&self, name: &str) -> Result<bool> {
        self.write(|conn| users::delete_user(conn, name))
    }

    fn create_session(&self, user_id: i64, ttl_ms: i64) -> Result<(String, Session)> {
        self.write(|conn| users::create_session(conn, &self.secret, user_id, ttl_ms))
    }

    fn session(&self, token: &str) -> Result<Option<Session>> {
        self.read(|conn| users::find_session(conn, &self.secret, token))
    }

    fn delete_session(&self, token: &str) -> Result<bool> {
        self.write(|conn| users::delete_session(conn, &self.secret, token))
    }

    fn create_key(&self, name: &str, role: Role) -> Result<(ApiKey, String)> {
        self.write(|conn| access::create_key(conn, &self.secret, name, role))
    }

    fn list_keys(&self) -> Result<Vec<ApiKey>> {
        self.read(access::list_keys)
    }

    fn revoke_key(&self, id: i64) -> Result<bool> {
        self.write(|conn| access::revoke_key(conn, id))
    }

    fn authenticate(&self, secret: &str) -> Result<Option<ApiKey>> {
        let key = self.read(|conn| access::find_key(conn, &self.secret, secret))?;
        if let Some(key) = &key
            && access::needs_touch(key)
        {
            // Recording the last use is best effort: a busy writer must not fail a request.
            let _ = self.write(|conn| access::touch_key(conn, key.id));
        }
        Ok(key)
    }

    fn insert_test_run(&self, run: &TestRunSummary, document: &str, max_runs: u64) -> Result<TestRunSummary> {
        self.write(|conn| records::insert_test_run(conn, run, document, max_runs))
    }

    fn test_runs(&self, limit: u32, offset: u32) -> Result<Page<TestRunSummary>> {
        self.read(|conn| records::test_runs(conn, limit, offset))
    }

    fn test_run(&self, id: i64) -> Result<Option<(TestRunSummary, String)>> {
        self.read(|conn| records::test_run(conn, id))
    }

    fn rules(&self) -> Result<Vec<StoredRule>> {
        self.read(records::rules)
    }

    fn put_rule(&self, rule: &StoredRule) -> Result<bool> {
        self.write(|conn| records::put_rule(conn, rule))
    }

    fn delete_rule(&self, id: &str) -> Result<bool> {
        self.write(|conn| records::delete_rule(conn, id))
    }

    fn insert_spec(&self, spec: &StoredSpec, raw: &[u8]) -> Result<StoredSpec> {
        self.write(|conn| specs::insert(conn, spec, raw))
    }

    fn specs(&self) -> Result<Vec<StoredSpec>> {
        self.read(specs::list)
    }

    fn spec(&self, id: i64) -> Result<Option<(StoredSpec, Vec<u8>)>> {
        self.read(|conn| specs::get(conn, id))
    }

    fn delete_spec(&self, id: i64) -> Result<bool> {
        self.write(|conn| specs::delete(conn, id))
    }
}

#[cfg(test)]
mod summary_tests;
#[cfg(test)]
mod tests;
