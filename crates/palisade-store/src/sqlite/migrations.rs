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
    // 2: authentication per endpoint, data classes per field location, false-positive
    // marks, alerts and risk scores.
    "ALTER TABLE raw_endpoints ADD COLUMN auth TEXT NOT NULL DEFAULT '{}';
     ALTER TABLE endpoints ADD COLUMN auth TEXT NOT NULL DEFAULT '{}';
     ALTER TABLE endpoints ADD COLUMN risk_score INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE endpoints ADD COLUMN risk_factors TEXT NOT NULL DEFAULT '[]';
     CREATE INDEX endpoints_by_risk ON endpoints (risk_score DESC);
     CREATE TABLE field_classes (
         raw_id INTEGER NOT NULL,
         section TEXT NOT NULL,
         path TEXT NOT NULL,
         status INTEGER NOT NULL,
         content_type TEXT NOT NULL,
         class_id TEXT NOT NULL,
         severity TEXT NOT NULL,
         hits INTEGER NOT NULL,
         first_hit_ms INTEGER NOT NULL,
         last_hit_ms INTEGER NOT NULL,
         PRIMARY KEY (raw_id, section, path, status, content_type, class_id)
     ) WITHOUT ROWID;
     CREATE TABLE class_marks (
         endpoint_id TEXT NOT NULL,
         section TEXT NOT NULL,
         path TEXT NOT NULL,
         class_id TEXT NOT NULL,
         marked_by TEXT NOT NULL,
         marked_ms INTEGER NOT NULL,
         PRIMARY KEY (endpoint_id, section, path, class_id)
     ) WITHOUT ROWID;
     CREATE TABLE alerts (
         id INTEGER PRIMARY KEY,
         kind TEXT NOT NULL,
         severity TEXT NOT NULL,
         status TEXT NOT NULL,
         endpoint_id TEXT NOT NULL DEFAULT '',
         host TEXT NOT NULL DEFAULT '',
         location TEXT NOT NULL DEFAULT '',
         data_class TEXT NOT NULL DEFAULT '',
         actor TEXT NOT NULL DEFAULT '',
         description TEXT NOT NULL,
         count INTEGER NOT NULL,
         first_seen_ms INTEGER NOT NULL,
         last_seen_ms INTEGER NOT NULL,
         updated_ms INTEGER NOT NULL
     );
     CREATE UNIQUE INDEX alerts_dedup ON alerts (kind, endpoint_id, location, data_class, actor);
     CREATE INDEX alerts_by_endpoint ON alerts (endpoint_id);
     CREATE INDEX alerts_by_time ON alerts (last_seen_ms DESC);",
    // 3: findings and actors.
    "CREATE TABLE findings (
         id INTEGER PRIMARY KEY,
         at_ms INTEGER NOT NULL,
         class TEXT NOT NULL,
         rule_id TEXT NOT NULL,
         source TEXT NOT NULL,
         severity TEXT NOT NULL,
         confidence TEXT NOT NULL,
         actor TEXT NOT NULL DEFAULT '',
         endpoint_id TEXT NOT NULL DEFAULT '',
         host TEXT NOT NULL,
         method TEXT NOT NULL,
         path TEXT NOT NULL,
         location TEXT NOT NULL,
         evidence TEXT NOT NULL
     );
     CREATE INDEX findings_by_actor ON findings (actor, at_ms);
     CREATE INDEX findings_by_endpoint ON findings (endpoint_id, at_ms);
     CREATE INDEX findings_by_time ON findings (at_ms);
     CREATE TABLE actors (
         id TEXT PRIMARY KEY,
         kind TEXT NOT NULL,
         requests INTEGER NOT NULL,
         first_seen_ms INTEGER NOT NULL,
         last_seen_ms INTEGER NOT NULL,
         last_ip TEXT,
         findings TEXT NOT NULL DEFAULT '{}'
     ) WITHOUT ROWID;
     CREATE INDEX actors_by_time ON actors (last_seen_ms DESC);",
    // 4: dashboard users and sessions.
    "CREATE TABLE users (
         id INTEGER PRIMARY KEY,
         name TEXT NOT NULL UNIQUE,
         role TEXT NOT NULL,
         password_hash TEXT NOT NULL,
         created_ms INTEGER NOT NULL,
         last_login_ms INTEGER
     );
     CREATE TABLE sessions (
         token_hash BLOB PRIMARY KEY,
         user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
         csrf_token TEXT NOT NULL,
         created_ms INTEGER NOT NULL,
         expires_ms INTEGER NOT NULL
     ) WITHOUT ROWID;
     CREATE INDEX sessions_by_expiry ON sessions (expires_ms);",
    // 5: security test results and block rules.
    "CREATE TABLE test_runs (
         id INTEGER PRIMARY KEY,
         received_ms INTEGER NOT NULL,
         runner TEXT NOT NULL,
         version TEXT NOT NULL,
         passed INTEGER NOT NULL,
         failed INTEGER NOT NULL,
         requests INTEGER NOT NULL,
         duration_ms REAL NOT NULL,
         submitted_by TEXT NOT NULL,
         document TEXT NOT NULL
     );
     CREATE TABLE block_rules (
         id TEXT PRIMARY KEY,
         document TEXT NOT NULL,
         created_ms INTEGER NOT NULL,
         updated_ms INTEGER NOT NULL,
         expires_ms INTEGER
     ) WITHOUT ROWID;",
    // 6: imported OpenAPI descriptions. `hosts` is a JSON array of host names; `raw` is
    // the whole description as compact JSON.
    "CREATE TABLE specs (
         id INTEGER PRIMARY KEY,
         title TEXT NOT NULL,
         version TEXT NOT NULL,
         spec_version TEXT NOT NULL,
         hosts TEXT NOT NULL,
         operations INTEGER NOT NULL,
         imported_ms INTEGER NOT NULL,
         raw BLOB NOT NULL
     );",
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
