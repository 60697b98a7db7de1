//! Schema migrations, applied in order on open and tracked in `PRAGMA user_version`.

use std::path::Path;

use rusqlite::Connection;

use crate::{Result, StoreError};

/// Each entry moves the schema from version `index` to `index + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: inventory, samples, keys and the pipeline's journal position.
    "CREATE TABLE hosts (
         host TEXT PRIMARY KEY,
         hits INTEGER NOT NULL,
         first_seen_ms INTEGER NOT NULL,
         last_seen_ms INTEGER NOT NULL
     );
     CREATE TABLE raw_endpoints (
         id INTEGER PRIMARY KEY,
         host TEXT NOT NULL,
         method TEXT NOT NULL,
         raw_path TEXT NOT NULL,
         route INTEGER NOT NULL,
         hits INTEGER NOT NULL,
         first_seen_ms INTEGER NOT NULL,
         last_seen_ms INTEGER NOT NULL,
         positions BLOB NOT NULL,
         endpoint_id TEXT NOT NULL
     );
     CREATE INDEX raw_endpoints_by_endpoint ON raw_endpoints (endpoint_id);
     CREATE TABLE endpoints (
         id TEXT PRIMARY KEY,
         host TEXT NOT NULL,
         method TEXT NOT NULL,
         template TEXT NOT NULL,
         params TEXT NOT NULL,
         hits INTEGER NOT NULL,
         first_seen_ms INTEGER NOT NULL,
         last_seen_ms INTEGER NOT NULL,
         raw_count INTEGER NOT NULL
     );
     CREATE INDEX endpoints_by_path ON endpoints (host, template, method);
     CREATE TABLE fields (
         raw_id INTEGER NOT NULL,
         section TEXT NOT NULL,
         path TEXT NOT NULL,
         status INTEGER NOT NULL,
         content_type TEXT NOT NULL,
         field_type TEXT NOT NULL,
         count INTEGER NOT NULL,
         format TEXT,
         first_seen_ms INTEGER NOT NULL,
         last_seen_ms INTEGER NOT NULL,
         PRIMARY KEY (raw_id, section, path, status, content_type, field_type)
     ) WITHOUT ROWID;
     CREATE TABLE hourly_counts (
         raw_id INTEGER NOT NULL,
         hour_ms INTEGER NOT NULL,
         count INTEGER NOT NULL,
         PRIMARY KEY (raw_id, hour_ms)
     ) WITHOUT ROWID;
     CREATE TABLE samples (
         raw_id INTEGER NOT NULL,
         hash INTEGER NOT NULL,
         start_ms INTEGER NOT NULL,
         trace BLOB NOT NULL,
         PRIMARY KEY (raw_id, hash)
     ) WITHOUT ROWID;
     CREATE TABLE api_keys (
         id INTEGER PRIMARY KEY,
         name TEXT NOT NULL,
         role TEXT NOT NULL,
         prefix TEXT NOT NULL,
         hash BLOB NOT NULL UNIQUE,
         created_ms INTEGER NOT NULL,
         last_used_ms INTEGER,
         revoked_ms INTEGER
     );
     CREATE TABLE pipeline_state (
         id INTEGER PRIMARY KEY CHECK (id = 1),
         journal_position INTEGER NOT NULL
     );
     INSERT INTO pipeline_state (id, journal_position) VALUES (1, 0);",
];

/// Brings the schema up to the newest version, one transaction per migration.
pub fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let supported = MIGRATIONS.len() as i64;
    if version > supported {
        return Err(StoreError::SchemaTooNew { path: path.display().to_string(), found: version, supported });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
        tracing::info!(database = %path.display(), version = index + 1, "migrated database schema");
    }
    Ok(())
}
