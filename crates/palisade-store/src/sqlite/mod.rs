//! The SQLite store: one database file in WAL mode inside the data directory.
//!
//! One connection writes (pipeline commits, key changes); readers take connections from a
//! small pool, so API reads never wait for a pipeline commit.

mod access;
mod inventory;
mod migrations;
mod queries;

pub use queries::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use palisade_core::access::{ApiKey, Role};
use palisade_core::inventory::{Endpoint, InventoryDelta, InventoryState, Sample};
use rusqlite::Connection;

use crate::{EndpointDetail, EndpointFilter, HostSummary, Page, Result, Store, StoreError};

/// Readers kept open for reuse.
const MAX_IDLE_READERS: usize = 8;

/// The SQLite implementation of [`Store`].
pub struct SqliteStore {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    /// Secret for keyed hashes of API keys.
    secret: Vec<u8>,
}

impl SqliteStore {
    /// Opens (creating when missing) the database at `path` and brings its schema up to
    /// date. `secret` keys the hashes of API keys.
    pub fn open(path: &Path, secret: Vec<u8>) -> Result<Self> {
        let mut writer = open_connection(path)?;
        migrations::migrate(&mut writer, path)?;
        Ok(Self { path: path.to_path_buf(), writer: Mutex::new(writer), readers: Mutex::new(Vec::new()), secret })
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

    fn apply(&self, delta: &InventoryDelta, journal_position: Option<i64>) -> Result<()> {
        self.write(|conn| inventory::apply(conn, delta, journal_position))
    }

    fn hosts(&self) -> Result<Vec<HostSummary>> {
        self.read(queries::hosts)
    }

    fn endpoints(&self, filter: &EndpointFilter) -> Result<Page<Endpoint>> {
        self.read(|conn| queries::endpoints(conn, filter))
    }

    fn endpoint(&self, id: &str) -> Result<Option<EndpointDetail>> {
        self.read(|conn| queries::endpoint(conn, id))
    }

    fn find_endpoint(&self, method: &str, host: &str, path: &str) -> Result<Option<Endpoint>> {
        self.read(|conn| queries::find_endpoint(conn, method, host, path))
    }

    fn samples(&self, endpoint_id: &str, limit: u32) -> Result<Vec<Sample>> {
        self.read(|conn| queries::samples(conn, endpoint_id, limit))
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
}

#[cfg(test)]
mod tests;
