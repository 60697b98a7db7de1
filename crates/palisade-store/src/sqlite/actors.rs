//! Storage of findings and actors, and an actor's timeline.

use std::collections::BTreeMap;

use palisade_core::actor::{Actor, ActorDelta, ActorKind};
use palisade_core::alert::Alert;
use palisade_core::finding::{Confidence, Finding, FindingSource};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

use super::inventory::{from_json, to_json};
use super::queries::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use crate::{ActorFilter, FindingFilter, Page, Result};

const FINDING_COLUMNS: &str =
    "at_ms, class, rule_id, source, severity, confidence, actor, endpoint_id, host, method, path, location, evidence";

fn finding_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Finding> {
    let optional = |index: usize| -> rusqlite::Result<Option<String>> {
        let text: String = row.get(index)?;
        Ok((!text.is_empty()).then_some(text))
    };
    let source: String = row.get(3)?;
    let severity: String = row.get(4)?;
    let confidence: String = row.get(5)?;
    Ok(Finding {
        at_ms: row.get(0)?,
        class: row.get(1)?,
        rule_id: row.get(2)?,
        source: if source == "behaviour" { FindingSource::Behaviour } else { FindingSource::Signature },
        severity: severity.parse().unwrap_or_default(),
        confidence: Confidence::parse(&confidence).unwrap_or(Confidence::Low),
        actor: optional(6)?,
        endpoint_id: optional(7)?,
        host: row.get(8)?,
        method: row.get(9)?,
        path: row.get(10)?,
        location: row.get(11)?,
        evidence: row.get(12)?,
    })
}

/// Stores findings and deletes the oldest beyond `max_findings`.
pub fn add_findings(conn: &Connection, findings: &[Finding], max_findings: u64) -> Result<()> {
    if findings.is_empty() {
        return Ok(());
    }
    let mut insert = conn.prepare_cached(&format!(
        "INSERT INTO findings ({FINDING_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
    ))?;
    for finding in findings {
        insert.execute(params![
            finding.at_ms,
            finding.class,
            finding.rule_id,
            finding.source.as_str(),
            finding.severity.as_str(),
            finding.confidence.as_str(),
            finding.actor.as_deref().unwrap_or(""),
            finding.endpoint_id.as_deref().unwrap_or(""),
            finding.host,
            finding.method,
            finding.path,
            finding.location,
            finding.evidence,
        ])?;
    }
    conn.execute(
        "DELETE FROM findings WHERE id <= (SELECT MAX(id) FROM findings) - ?1",
        params![i64::try_from(max_findings).unwrap_or(i64::MAX)],
    )?;
    Ok(())
}

/// Adds actor activity: request and finding counts add up, times widen.
pub fn add_actors(conn: &Connection, actors: &[ActorDelta]) -> Result<()> {
    let mut select = conn.prepare_cached("SELECT findings FROM actors WHERE id = ?1")?;
    let mut upsert = conn.prepare_cached(
        "INSERT INTO actors (id, kind, requests, first_seen_ms, last_seen_ms, last_ip, findings)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (id) DO UPDATE SET
             requests = requests + excluded.requests,
             first_seen_ms = MIN(first_seen_ms, excluded.first_seen_ms),
             last_ip = CASE WHEN excluded.last_seen_ms >= last_seen_ms AND excluded.last_ip IS NOT NULL
                            THEN excluded.last_ip ELSE last_ip END,
             last_seen_ms = MAX(last_seen_ms, excluded.last_seen_ms),
             findings = excluded.findings",
    )?;
    for actor in actors {
        let stored: Option<String> = select.query_row(params![actor.id], |row| row.get(0)).optional()?;
        let mut counts: BTreeMap<String, u64> = match stored {
            Some(text) => from_json(&text, "finding counts of an actor")?,
            None => BTreeMap::new(),
        };
        for (class, count) in &actor.findings {
            *counts.entry(class.clone()).or_insert(0) += count;
        }
        upsert.execute(params![
            actor.id,
            actor.kind.as_str(),
            actor.requests as i64,
            actor.first_seen_ms,
            actor.last_seen_ms,
            actor.last_ip,
            to_json(&counts)?,
        ])?;
    }
    Ok(())
}

fn actor_from_row(row: &rusqlite::Row<'_>) -> Result<Actor> {
    let kind: String = row.get(1)?;
    let findings: String = row.get(6)?;
    let counts: BTreeMap<String, u64> = from_json(&findings, "finding counts of an actor")?;
    Ok(Actor {
        id: row.get(0)?,
        kind: ActorKind::parse(&kind).unwrap_or(ActorKind::Ip),
        requests: row.get::<_, i64>(2)? as u64,
        first_seen_ms: row.get(3)?,
        last_seen_ms: row.get(4)?,
        last_ip: row.get(5)?,
        findings: counts.into_iter().collect(),
    })
}

const ACTOR_COLUMNS: &str = "id, kind, requests, first_seen_ms, last_seen_ms, last_ip, findings";

pub fn list_actors(conn: &Connection, filter: &ActorFilter) -> Result<Page<Actor>> {
    let where_clause = if filter.with_findings_only { "WHERE findings != '{}'" } else { "" };
    let total: i64 = conn.query_row(&format!("SELECT COUNT(*) FROM actors {where_clause}"), [], |r| r.get(0))?;
    let limit = page_limit(filter.limit);
    let mut select = conn.prepare(&format!(
        "SELECT {ACTOR_COLUMNS} FROM actors {where_clause} ORDER BY last_seen_ms DESC, id LIMIT ?1 OFFSET ?2"
    ))?;
    let mut rows = select.query(params![i64::from(limit), i64::from(filter.offset)])?;
    let mut items = Vec::new();
    while let Some(row) = rows.next()? {
        items.push(actor_from_row(row)?);
    }
    Ok(Page { items, total: total as u64 })
}

pub fn get_actor(conn: &Connection, id: &str) -> Result<Option<Actor>> {
    let mut select = conn.prepare_cached(&format!("SELECT {ACTOR_COLUMNS} FROM actors WHERE id = ?1"))?;
    let mut rows = select.query(params![id])?;
    match rows.next()? {
        Some(row) => Ok(Some(actor_from_row(row)?)),
        None => Ok(None),
    }
}

pub fn list_findings(conn: &Connection, filter: &FindingFilter) -> Result<Page<Finding>> {
    let mut conditions: Vec<&str> = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    if let Some(actor) = &filter.actor {
        conditions.push("actor = ?");
        values.push(Value::Text(actor.clone()));
    }
    if let Some(endpoint) = &filter.endpoint_id {
        conditions.push("endpoint_id = ?");
        values.push(Value::Text(endpoint.clone()));
    }
    if let Some(class) = &filter.class {
        conditions.push("class = ?");
        values.push(Value::Text(class.clone()));
    }
    if let Some(since) = filter.since_ms {
        conditions.push("at_ms >= ?");
        values.push(Value::Integer(since));
    }
    let where_clause =
        if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
    let total: i64 = conn.query_row(
        &format!("SELECT COUNT(*) FROM findings {where_clause}"),
        params_from_iter(values.iter()),
        |r| r.get(0),
    )?;
    values.push(Value::Integer(i64::from(page_limit(filter.limit))));
    values.push(Value::Integer(i64::from(filter.offset)));
    let order = if filter.oldest_first { "at_ms, id" } else { "at_ms DESC, id DESC" };
    let sql = format!("SELECT {FINDING_COLUMNS} FROM findings {where_clause} ORDER BY {order} LIMIT ? OFFSET ?");
    let mut select = conn.prepare(&sql)?;
    let rows = select.query_map(params_from_iter(values.iter()), finding_from_row)?;
    Ok(Page { items: rows.collect::<Result<Vec<_>, _>>()?, total: total as u64 })
}

/// Alerts that name an actor, newest first.
pub fn actor_alerts(conn: &Connection, actor: &str) -> Result<Vec<Alert>> {
    let page = super::alerts::list(
        conn,
        &crate::AlertFilter { actor: Some(actor.to_string()), limit: MAX_PAGE_SIZE, ..Default::default() },
    )?;
    Ok(page.items)
}

fn page_limit(limit: u32) -> u32 {
    match limit {
        0 => DEFAULT_PAGE_SIZE,
        n => n.min(MAX_PAGE_SIZE),
    }
}
