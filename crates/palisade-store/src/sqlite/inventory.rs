//! Writing pipeline commits and loading the state the pipeline restarts from.

use palisade_core::alert::Alert;
use palisade_core::inventory::{
    Endpoint, FieldKey, HostStats, InventoryDelta, InventoryState, PositionStats, RawEndpoint, RiskScore,
    decode_raw_path, encode_raw_path,
};
use palisade_core::{FieldType, ParamEvidence, Section};
use rusqlite::{Connection, params};

use crate::{Result, StoreError};

/// Store settings that applying a commit needs.
pub struct ApplySettings {
    pub class_decay_ms: i64,
    pub max_findings: u64,
}

/// Applies one pipeline commit in a single transaction.
pub fn apply(
    conn: &mut Connection,
    delta: &InventoryDelta,
    journal_position: Option<i64>,
    settings: &ApplySettings,
) -> Result<Vec<Alert>> {
    let tx = conn.transaction()?;

    {
        let mut upsert_host = tx.prepare_cached(
            "INSERT INTO hosts (host, hits, first_seen_ms, last_seen_ms) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (host) DO UPDATE SET
                 hits = excluded.hits, first_seen_ms = excluded.first_seen_ms, last_seen_ms = excluded.last_seen_ms",
        )?;
        for host in &delta.hosts {
            upsert_host.execute(params![host.host, host.hits as i64, host.first_seen_ms, host.last_seen_ms])?;
        }
    }

    {
        let mut upsert_raw = tx.prepare_cached(
            "INSERT OR REPLACE INTO raw_endpoints
                 (id, host, method, raw_path, route, hits, first_seen_ms, last_seen_ms, positions, endpoint_id, auth)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?;
        for raw in &delta.raw_endpoints {
            let positions = postcard::to_stdvec(&raw.positions).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            upsert_raw.execute(params![
                raw.id,
                raw.host,
                raw.method,
                encode_raw_path(&raw.segments),
                raw.route,
                raw.hits as i64,
                raw.first_seen_ms,
                raw.last_seen_ms,
                positions,
                raw.endpoint_id,
                to_json(&raw.auth)?,
            ])?;
        }
    }

    {
        let mut add_hourly = tx.prepare_cached(
            "INSERT INTO hourly_counts (raw_id, hour_ms, count) VALUES (?1, ?2, ?3)
             ON CONFLICT (raw_id, hour_ms) DO UPDATE SET count = count + excluded.count",
        )?;
        for (raw_id, hour, count) in &delta.hourly {
            add_hourly.execute(params![raw_id, hour, *count as i64])?;
        }
    }

    {
        // The format merge mirrors `FormatState::merge`: NULL is unset, equal formats stay,
        // anything else becomes 'mixed'.
        let mut add_field = tx.prepare_cached(
            "INSERT INTO fields
                 (raw_id, section, path, status, content_type, field_type, count, format, first_seen_ms, last_seen_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (raw_id, section, path, status, content_type, field_type) DO UPDATE SET
                 count = count + excluded.count,
                 format = CASE
                     WHEN format IS NULL THEN excluded.format
                     WHEN excluded.format IS NULL OR excluded.format = format THEN format
                     ELSE 'mixed' END,
                 first_seen_ms = MIN(first_seen_ms, excluded.first_seen_ms),
                 last_seen_ms = MAX(last_seen_ms, excluded.last_seen_ms)",
        )?;
        for field in &delta.fields {
            add_field.execute(params![
                field.raw_id,
                field.key.section.as_str(),
                field.key.path,
                field.key.status.unwrap_or(0),
                field.key.content_type,
                field.key.field_type.as_str(),
                field.count as i64,
                field.format.to_db(),
                field.first_seen_ms,
                field.last_seen_ms,
            ])?;
        }
    }

    {
        let mut remove_sample = tx.prepare_cached("DELETE FROM samples WHERE raw_id = ?1 AND hash = ?2")?;
        for (raw_id, hash) in &delta.samples_removed {
            remove_sample.execute(params![raw_id, hash_to_db(*hash)])?;
        }
        let mut add_sample = tx
            .prepare_cached("INSERT OR REPLACE INTO samples (raw_id, hash, start_ms, trace) VALUES (?1, ?2, ?3, ?4)")?;
        for sample in &delta.samples_added {
            add_sample.execute(params![sample.raw_id, hash_to_db(sample.hash), sample.start_ms, sample.trace])?;
        }
    }

    {
        let mut remove_endpoint = tx.prepare_cached("DELETE FROM endpoints WHERE id = ?1")?;
        for id in &delta.endpoints_removed {
            remove_endpoint.execute(params![id])?;
        }
        // Risk columns are the store's own and survive the upsert.
        let mut upsert_endpoint = tx.prepare_cached(
            "INSERT INTO endpoints
                 (id, host, method, template, params, hits, first_seen_ms, last_seen_ms, raw_count, auth)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (id) DO UPDATE SET
                 host = excluded.host, method = excluded.method, template = excluded.template,
                 params = excluded.params, hits = excluded.hits, first_seen_ms = excluded.first_seen_ms,
                 last_seen_ms = excluded.last_seen_ms, raw_count = excluded.raw_count, auth = excluded.auth",
        )?;
        for endpoint in &delta.endpoints {
            upsert_endpoint.execute(params![
                endpoint.id,
                endpoint.host,
                endpoint.method,
                endpoint.template,
                to_json(&endpoint.params)?,
                endpoint.hits as i64,
                endpoint.first_seen_ms,
                endpoint.last_seen_ms,
                endpoint.raw_count as i64,
                to_json(&endpoint.auth)?,
            ])?;
        }
    }

    {
        let mut add_class = tx.prepare_cached(
            "INSERT INTO field_classes
                 (raw_id, section, path, status, content_type, class_id, severity, hits, first_hit_ms, last_hit_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (raw_id, section, path, status, content_type, class_id) DO UPDATE SET
                 severity = excluded.severity,
                 hits = hits + excluded.hits,
                 first_hit_ms = MIN(first_hit_ms, excluded.first_hit_ms),
                 last_hit_ms = MAX(last_hit_ms, excluded.last_hit_ms)",
        )?;
        for class in &delta.field_classes {
            add_class.execute(params![
                class.raw_id,
                class.section.as_str(),
                class.path,
                class.status.unwrap_or(0),
                class.content_type,
                class.class_id,
                class.severity.as_str(),
                class.hits as i64,
                class.first_hit_ms,
                class.last_hit_ms,
            ])?;
        }
    }

    for (old, new) in &delta.endpoint_moves {
        super::alerts::move_endpoint(&tx, old, new)?;
    }
    let mut opened = Vec::new();
    for alert in &delta.alerts {
        if let Some(id) = super::alerts::record(&tx, alert)? {
            opened.push(id);
        }
    }

    super::actors::add_findings(&tx, &delta.findings, settings.max_findings)?;
    super::actors::add_actors(&tx, &delta.actors)?;

    if let Some(position) = journal_position {
        tx.execute("UPDATE pipeline_state SET journal_position = ?1 WHERE id = 1", params![position])?;
    }
    let mut opened_alerts = Vec::with_capacity(opened.len());
    for id in opened {
        if let Some(alert) = super::alerts::get(&tx, id)? {
            opened_alerts.push(alert);
        }
    }

    // Risk changes only with classes, authentication, new endpoints and open alerts, so
    // only those endpoints are scored again.
    let mut touched = delta.risk_dirty.clone();
    touched.extend(opened_alerts.iter().filter_map(|a| a.endpoint_id.clone()));
    touched.sort();
    touched.dedup();
    super::risk::recompute(&tx, &touched, settings.class_decay_ms)?;
    tx.commit()?;
    Ok(opened_alerts)
}

/// Loads the pipeline's state and the journal position it reached.
pub fn load(conn: &Connection) -> Result<(InventoryState, i64)> {
    let mut state = InventoryState::default();

    let mut hosts = conn.prepare("SELECT host, hits, first_seen_ms, last_seen_ms FROM hosts")?;
    for row in hosts.query_map([], |row| {
        Ok(HostStats {
            host: row.get(0)?,
            hits: row.get::<_, i64>(1)? as u64,
            first_seen_ms: row.get(2)?,
            last_seen_ms: row.get(3)?,
        })
    })? {
        state.hosts.push(row?);
    }

    let mut raws = conn.prepare(
        "SELECT id, host, method, raw_path, route, hits, first_seen_ms, last_seen_ms, positions, endpoint_id, auth
         FROM raw_endpoints ORDER BY id",
    )?;
    let mut rows = raws.query([])?;
    while let Some(row) = rows.next()? {
        let id: i64 = row.get(0)?;
        let positions: Vec<u8> = row.get(8)?;
        let positions: Vec<PositionStats> = postcard::from_bytes(&positions)
            .map_err(|e| StoreError::Corrupt(format!("positions of raw endpoint {id}: {e}")))?;
        let raw_path: String = row.get(3)?;
        state.raw_endpoints.push(RawEndpoint {
            id,
            host: row.get(1)?,
            method: row.get(2)?,
            segments: decode_raw_path(&raw_path),
            route: row.get(4)?,
            hits: row.get::<_, i64>(5)? as u64,
            first_seen_ms: row.get(6)?,
            last_seen_ms: row.get(7)?,
            positions,
            endpoint_id: row.get(9)?,
            auth: from_json(&row.get::<_, String>(10)?, "authentication of a raw endpoint")?,
        });
    }

    let mut endpoints = conn.prepare(&format!("SELECT {ENDPOINT_COLUMNS} FROM endpoints"))?;
    let mut rows = endpoints.query([])?;
    while let Some(row) = rows.next()? {
        state.endpoints.push(endpoint_from_row(row)?);
    }

    let mut fields = conn.prepare("SELECT raw_id, section, path, status, content_type, field_type FROM fields")?;
    let mut rows = fields.query([])?;
    while let Some(row) = rows.next()? {
        let raw_id: i64 = row.get(0)?;
        state.field_keys.push((raw_id, field_key_from_row(row, 1)?));
    }

    let mut samples = conn.prepare("SELECT raw_id, hash FROM samples")?;
    for row in samples.query_map([], |row| Ok((row.get::<_, i64>(0)?, hash_from_db(row.get(1)?))))? {
        state.sample_hashes.push(row?);
    }

    let position: i64 = conn.query_row("SELECT journal_position FROM pipeline_state WHERE id = 1", [], |r| r.get(0))?;
    Ok((state, position))
}

pub const ENDPOINT_COLUMNS: &str =
    "id, host, method, template, params, hits, first_seen_ms, last_seen_ms, raw_count, auth, risk_score, risk_factors";

/// Reads an endpoint from a row selected with [`ENDPOINT_COLUMNS`].
pub fn endpoint_from_row(row: &rusqlite::Row<'_>) -> Result<Endpoint> {
    let id: String = row.get(0)?;
    let params_json: String = row.get(4)?;
    let params: Vec<ParamEvidence> = serde_json::from_str(&params_json)
        .map_err(|e| StoreError::Corrupt(format!("parameters of endpoint {id}: {e}")))?;
    Ok(Endpoint {
        id,
        host: row.get(1)?,
        method: row.get(2)?,
        template: row.get(3)?,
        params,
        hits: row.get::<_, i64>(5)? as u64,
        first_seen_ms: row.get(6)?,
        last_seen_ms: row.get(7)?,
        raw_count: row.get::<_, i64>(8)? as u64,
        auth: from_json(&row.get::<_, String>(9)?, "authentication of an endpoint")?,
        risk: RiskScore {
            score: row.get::<_, i64>(10)? as u32,
            factors: from_json(&row.get::<_, String>(11)?, "risk factors of an endpoint")?,
        },
    })
}

pub fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Parses a JSON column; `what` names the column in the error.
pub fn from_json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// Reads `section, path, status, content_type, field_type` starting at column `first`.
pub fn field_key_from_row(row: &rusqlite::Row<'_>, first: usize) -> Result<FieldKey> {
    let section: String = row.get(first)?;
    let status: i64 = row.get(first + 2)?;
    let field_type: String = row.get(first + 4)?;
    Ok(FieldKey {
        section: Section::parse(&section).ok_or_else(|| StoreError::Corrupt(format!("unknown section {section:?}")))?,
        path: row.get(first + 1)?,
        status: (status != 0).then_some(status as u16),
        content_type: row.get(first + 3)?,
        field_type: FieldType::parse(&field_type)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown field type {field_type:?}")))?,
    })
}

/// Maps a sample hash to an integer SQLite can store, keeping the order of hashes so
/// `ORDER BY hash` finds the smallest ones.
pub fn hash_to_db(hash: u64) -> i64 {
    (hash ^ (1 << 63)) as i64
}

pub fn hash_from_db(value: i64) -> u64 {
    (value as u64) ^ (1 << 63)
}
