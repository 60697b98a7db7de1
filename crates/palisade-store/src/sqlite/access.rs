//! Storage of API keys.

use palisade_core::access::{ApiKey, Role};
use palisade_core::timestamp::now_ms;
use rusqlite::{Connection, OptionalExtension, params};

use crate::keys::{DISPLAY_PREFIX_CHARS, generate_key, hash_key};
use crate::{Result, StoreError};

const KEY_COLUMNS: &str = "id, name, role, prefix, created_ms, last_used_ms, revoked_ms";

fn key_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ApiKey> {
    let role: String = row.get(2)?;
    Ok(ApiKey {
        id: row.get(0)?,
        name: row.get(1)?,
        role: role.parse().unwrap_or(Role::Viewer),
        prefix: row.get(3)?,
        created_ms: row.get(4)?,
        last_used_ms: row.get(5)?,
        revoked_ms: row.get(6)?,
    })
}

pub fn create_key(conn: &mut Connection, secret: &[u8], name: &str, role: Role) -> Result<(ApiKey, String)> {
    if name.trim().is_empty() || name.len() > 200 {
        return Err(StoreError::Invalid("invalid key name: expected 1 to 200 characters".to_string()));
    }
    let key = generate_key(role)?;
    let prefix: String = key.chars().take(DISPLAY_PREFIX_CHARS).collect();
    let created_ms = now_ms();
    conn.execute(
        "INSERT INTO api_keys (name, role, prefix, hash, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![name, role.as_str(), prefix, hash_key(secret, &key), created_ms],
    )?;
    let id = conn.last_insert_rowid();
    let record = ApiKey { id, name: name.to_string(), role, prefix, created_ms, last_used_ms: None, revoked_ms: None };
    Ok((record, key))
}

pub fn list_keys(conn: &Connection) -> Result<Vec<ApiKey>> {
    let mut select = conn.prepare(&format!("SELECT {KEY_COLUMNS} FROM api_keys ORDER BY id"))?;
    let rows = select.query_map([], key_from_row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

pub fn revoke_key(conn: &mut Connection, id: i64) -> Result<bool> {
    let changed = conn
        .execute("UPDATE api_keys SET revoked_ms = ?1 WHERE id = ?2 AND revoked_ms IS NULL", params![now_ms(), id])?;
    Ok(changed == 1)
}

pub fn find_key(conn: &Connection, secret: &[u8], key: &str) -> Result<Option<ApiKey>> {
    let hash = hash_key(secret, key);
    let found = conn
        .query_row(
            &format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE hash = ?1 AND revoked_ms IS NULL"),
            params![hash],
            key_from_row,
        )
        .optional()?;
    Ok(found)
}

/// Minimum time between two recordings of a key's last use, in milliseconds, so busy
/// agents do not turn every request into a write.
const TOUCH_INTERVAL_MS: i64 = 60_000;

/// True when the key's last recorded use is older than the recording interval.
pub fn needs_touch(key: &ApiKey) -> bool {
    key.last_used_ms.is_none_or(|last| last < now_ms() - TOUCH_INTERVAL_MS)
}

/// Records that a key was used now.
pub fn touch_key(conn: &mut Connection, id: i64) -> Result<()> {
    conn.execute("UPDATE api_keys SET last_used_ms = ?1 WHERE id = ?2", params![now_ms(), id])?;
    Ok(())
}
