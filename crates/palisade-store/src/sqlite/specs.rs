//! Imported OpenAPI descriptions, stored as compact JSON with a few columns for listing.

use palisade_core::timestamp::now_ms;
use rusqlite::{Connection, OptionalExtension, params};

use crate::{Result, StoreError, StoredSpec};

const COLUMNS: &str = "id, title, version, spec_version, hosts, operations, imported_ms";

fn spec_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(StoredSpec, String)> {
    let spec = StoredSpec {
        id: row.get(0)?,
        title: row.get(1)?,
        version: row.get(2)?,
        spec_version: row.get(3)?,
        hosts: Vec::new(),
        operations: row.get::<_, i64>(5)? as u64,
        imported_ms: row.get(6)?,
    };
    Ok((spec, row.get(4)?))
}

/// Decodes the `hosts` column, a JSON array of strings.
fn with_hosts((mut spec, hosts): (StoredSpec, String)) -> Result<StoredSpec> {
    spec.hosts = serde_json::from_str(&hosts)
        .map_err(|e| StoreError::Corrupt(format!("hosts of description {}: {e}", spec.id)))?;
    Ok(spec)
}

pub fn insert(conn: &Connection, spec: &StoredSpec, raw: &[u8]) -> Result<StoredSpec> {
    let hosts = serde_json::to_string(&spec.hosts).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let imported_ms = now_ms();
    conn.execute(
        "INSERT INTO specs (title, version, spec_version, hosts, operations, imported_ms, raw)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![spec.title, spec.version, spec.spec_version, hosts, spec.operations as i64, imported_ms, raw],
    )?;
    Ok(StoredSpec { id: conn.last_insert_rowid(), imported_ms, ..spec.clone() })
}

pub fn list(conn: &Connection) -> Result<Vec<StoredSpec>> {
    let mut select = conn.prepare(&format!("SELECT {COLUMNS} FROM specs ORDER BY id"))?;
    let rows = select.query_map([], spec_from_row)?.collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().map(with_hosts).collect()
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<(StoredSpec, Vec<u8>)>> {
    let row = conn
        .query_row(&format!("SELECT {COLUMNS}, raw FROM specs WHERE id = ?1"), params![id], |row| {
            Ok((spec_from_row(row)?, row.get::<_, Vec<u8>>(7)?))
        })
        .optional()?;
    match row {
        Some((spec, raw)) => Ok(Some((with_hosts(spec)?, raw))),
        None => Ok(None),
    }
}

pub fn delete(conn: &Connection, id: i64) -> Result<bool> {
    Ok(conn.execute("DELETE FROM specs WHERE id = ?1", params![id])? == 1)
}

#[cfg(test)]
mod tests {
    use crate::{SqliteStore, Store, StoredSpec};

    fn spec(title: &str, hosts: &[&str]) -> StoredSpec {
        StoredSpec {
            id: 0,
            title: title.to_string(),
            version: "1.0".to_string(),
            spec_version: "3.1.0".to_string(),
            hosts: hosts.iter().map(|h| h.to_string()).collect(),
            operations: 3,
            imported_ms: 0,
        }
    }

    #[test]
    fn specs_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("palisade.db");
        let (first, second) = {
            let store = SqliteStore::open(&path, b"secret".to_vec()).unwrap();
            let first = store.insert_spec(&spec("Shop", &["shop.example.com"]), b"{\"openapi\":\"3.1.0\"}").unwrap();
            let second = store.insert_spec(&spec("Any host", &[]), b"{}").unwrap();
            (first, second)
        };
        assert!(second.id > first.id);
        assert!(first.imported_ms > 0);

        let store = SqliteStore::open(&path, b"secret".to_vec()).unwrap();
        assert_eq!(store.specs().unwrap(), vec![first.clone(), second.clone()]);
        let (stored, raw) = store.spec(first.id).unwrap().unwrap();
        assert_eq!(stored.hosts, vec!["shop.example.com".to_string()]);
        assert_eq!(raw, b"{\"openapi\":\"3.1.0\"}".to_vec());
    }

    #[test]
    fn delete_spec_removes_only_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("palisade.db"), b"secret".to_vec()).unwrap();
        let first = store.insert_spec(&spec("A", &[]), b"{}").unwrap();
        let second = store.insert_spec(&spec("B", &[]), b"{}").unwrap();
        assert!(store.delete_spec(first.id).unwrap());
        assert!(!store.delete_spec(first.id).unwrap(), "a second delete finds nothing");
        assert!(store.spec(first.id).unwrap().is_none());
        assert_eq!(store.specs().unwrap(), vec![second]);
    }
}
