//! Storage of alerts: deduplicated by kind, endpoint, location, data class and actor.

use palisade_core::alert::{Alert, AlertEvent, AlertStatus};
use palisade_core::timestamp::now_ms;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

use super::queries::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use crate::{AlertFilter, Page, Result};

const ALERT_COLUMNS: &str = "id, kind, severity, status, endpoint_id, host, location, data_class, actor, description, \
                             count, first_seen_ms, last_seen_ms, updated_ms";

fn alert_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Alert> {
    let optional = |index: usize| -> rusqlite::Result<Option<String>> {
        let text: String = row.get(index)?;
        Ok((!text.is_empty()).then_some(text))
    };
    let severity: String = row.get(2)?;
    let status: String = row.get(3)?;
    Ok(Alert {
        id: row.get(0)?,
        kind: row.get(1)?,
        severity: severity.parse().unwrap_or_default(),
        status: status.parse().unwrap_or_default(),
        endpoint_id: optional(4)?,
        host: optional(5)?,
        location: optional(6)?,
        data_class: optional(7)?,
        actor: optional(8)?,
        description: row.get(9)?,
        count: row.get::<_, i64>(10)? as u64,
        first_seen_ms: row.get(11)?,
        last_seen_ms: row.get(12)?,
        updated_ms: row.get(13)?,
    })
}

/// Adds an occurrence. A resolved alert that occurs again after it was resolved opens
/// again; an ignored one stays ignored. Returns the alert's id when this occurrence
/// created it or opened it again.
pub fn record(conn: &Connection, event: &AlertEvent) -> Result<Option<i64>> {
    let key = (
        event.kind.as_str(),
        event.endpoint_id.as_deref().unwrap_or(""),
        event.location.as_deref().unwrap_or(""),
        event.data_class.as_deref().unwrap_or(""),
        event.actor.as_deref().unwrap_or(""),
    );
    let existing: Option<(i64, String, i64)> = conn
        .prepare_cached(
            "SELECT id, status, updated_ms FROM alerts
             WHERE kind = ?1 AND endpoint_id = ?2 AND location = ?3 AND data_class = ?4 AND actor = ?5",
        )?
        .query_row(params![key.0, key.1, key.2, key.3, key.4], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .optional()?;

    let mut upsert = conn.prepare_cached(
        "INSERT INTO alerts (kind, severity, status, endpoint_id, host, location, data_class, actor, description,
                             count, first_seen_ms, last_seen_ms, updated_ms)
         VALUES (?1, ?2, 'open', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT (kind, endpoint_id, location, data_class, actor) DO UPDATE SET
             severity = excluded.severity,
             description = excluded.description,
             count = count + excluded.count,
             first_seen_ms = MIN(first_seen_ms, excluded.first_seen_ms),
             last_seen_ms = MAX(last_seen_ms, excluded.last_seen_ms),
             status = CASE WHEN status = 'resolved' AND excluded.last_seen_ms > updated_ms THEN 'open' ELSE status END",
    )?;
    upsert.execute(params![
        event.kind,
        event.severity.as_str(),
        event.endpoint_id.as_deref().unwrap_or(""),
        event.host.as_deref().unwrap_or(""),
        event.location.as_deref().unwrap_or(""),
        event.data_class.as_deref().unwrap_or(""),
        event.actor.as_deref().unwrap_or(""),
        event.description,
        event.count as i64,
        event.first_seen_ms,
        event.last_seen_ms,
        now_ms(),
    ])?;
    match existing {
        None => Ok(Some(conn.last_insert_rowid())),
        Some((id, status, updated_ms)) if status == "resolved" && event.last_seen_ms > updated_ms => Ok(Some(id)),
        Some(_) => Ok(None),
    }
}

/// Moves alerts and false-positive marks from an endpoint that no longer exists to the one
/// that took over its traffic, merging alerts that then coincide.
pub fn move_endpoint(conn: &Connection, old: &str, new: &str) -> Result<()> {
    conn.execute(
        "UPDATE alerts AS target SET
             count = target.count + source.count,
             first_seen_ms = MIN(target.first_seen_ms, source.first_seen_ms),
             last_seen_ms = MAX(target.last_seen_ms, source.last_seen_ms)
         FROM alerts AS source
         WHERE source.endpoint_id = ?1 AND target.endpoint_id = ?2
           AND source.kind = target.kind AND source.location = target.location
           AND source.data_class = target.data_class AND source.actor = target.actor",
        params![old, new],
    )?;
    conn.execute(
        "DELETE FROM alerts WHERE endpoint_id = ?1 AND EXISTS (
             SELECT 1 FROM alerts AS target WHERE target.endpoint_id = ?2 AND target.kind = alerts.kind
               AND target.location = alerts.location AND target.data_class = alerts.data_class
               AND target.actor = alerts.actor)",
        params![old, new],
    )?;
    conn.execute("UPDATE alerts SET endpoint_id = ?2 WHERE endpoint_id = ?1", params![old, new])?;
    conn.execute("UPDATE OR IGNORE class_marks SET endpoint_id = ?2 WHERE endpoint_id = ?1", params![old, new])?;
    conn.execute("DELETE FROM class_marks WHERE endpoint_id = ?1", params![old])?;
    Ok(())
}

pub fn list(conn: &Connection, filter: &AlertFilter) -> Result<Page<Alert>> {
    let mut conditions: Vec<&str> = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    if let Some(status) = filter.status {
        conditions.push("status = ?");
        values.push(Value::Text(status.as_str().to_string()));
    }
    if let Some(kind) = &filter.kind {
        conditions.push("kind = ?");
        values.push(Value::Text(kind.clone()));
    }
    if let Some(endpoint) = &filter.endpoint_id {
        conditions.push("endpoint_id = ?");
        values.push(Value::Text(endpoint.clone()));
    }
    if let Some(host) = &filter.host {
        conditions.push("host = ?");
        values.push(Value::Text(host.to_ascii_lowercase()));
    }
    if let Some(actor) = &filter.actor {
        conditions.push("actor = ?");
        values.push(Value::Text(actor.clone()));
    }
    let where_clause =
        if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };

    let total: i64 =
        conn.query_row(&format!("SELECT COUNT(*) FROM alerts {where_clause}"), params_from_iter(values.iter()), |r| {
            r.get(0)
        })?;
    let limit = match filter.limit {
        0 => DEFAULT_PAGE_SIZE,
        n => n.min(MAX_PAGE_SIZE),
    };
    values.push(Value::Integer(i64::from(limit)));
    values.push(Value::Integer(i64::from(filter.offset)));
    let sql = format!(
        "SELECT {ALERT_COLUMNS} FROM alerts {where_clause} ORDER BY last_seen_ms DESC, id DESC LIMIT ? OFFSET ?"
    );
    let mut select = conn.prepare(&sql)?;
    let rows = select.query_map(params_from_iter(values.iter()), alert_from_row)?;
    Ok(Page { items: rows.collect::<Result<Vec<_>, _>>()?, total: total as u64 })
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Alert>> {
    Ok(conn
        .query_row(&format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE id = ?1"), params![id], alert_from_row)
        .optional()?)
}

/// Sets an alert's status and returns the alert, or `None` when no alert has `id`.
pub fn set_status(conn: &Connection, id: i64, status: AlertStatus) -> Result<Option<Alert>> {
    let changed = conn.execute(
        "UPDATE alerts SET status = ?1, updated_ms = ?2 WHERE id = ?3",
        params![status.as_str(), now_ms(), id],
    )?;
    if changed == 0 {
        return Ok(None);
    }
    get(conn, id)
}

/// Open alerts of one endpoint, newest first.
pub fn open_for_endpoint(conn: &Connection, endpoint_id: &str) -> Result<Vec<Alert>> {
    let mut select = conn.prepare_cached(&format!(
        "SELECT {ALERT_COLUMNS} FROM alerts WHERE endpoint_id = ?1 AND status = 'open' ORDER BY last_seen_ms DESC"
    ))?;
    let rows = select.query_map(params![endpoint_id], alert_from_row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}
