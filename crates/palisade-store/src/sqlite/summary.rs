//! Aggregates over the whole inventory for the dashboard: counts, risk bands, traffic per
//! hour and data classes across endpoints.

use std::collections::{HashMap, HashSet};

use palisade_core::{Section, Severity};
use rusqlite::{Connection, params};

use crate::{AlertCount, ClassLocation, DataClassSummary, HourlyCounts, InventorySummary, Page, Result, StoreError};

/// Width of one risk band in score points; the last band also holds the maximum score.
const RISK_BAND_POINTS: i64 = 20;

pub fn summary(conn: &Connection, since_ms: i64) -> Result<InventorySummary> {
    let hosts: i64 = conn.query_row("SELECT COUNT(*) FROM hosts", [], |row| row.get(0))?;
    let (endpoints, new_endpoints): (i64, i64) = conn.query_row(
        "SELECT COUNT(*), COALESCE(SUM(first_seen_ms >= ?1), 0) FROM endpoints",
        params![since_ms],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;

    let mut risk_bands = [0u64; 5];
    let mut select = conn.prepare_cached("SELECT MIN(risk_score / ?1, 4), COUNT(*) FROM endpoints GROUP BY 1")?;
    let mut rows = select.query(params![RISK_BAND_POINTS])?;
    while let Some(row) = rows.next()? {
        let band: i64 = row.get(0)?;
        risk_bands[band.clamp(0, 4) as usize] = row.get::<_, i64>(1)? as u64;
    }

    // Severity names sort alphabetically, not by rank, so the worst one is found in Rust.
    let mut select = conn
        .prepare_cached("SELECT kind, severity, COUNT(*) FROM alerts WHERE status = 'open' GROUP BY kind, severity")?;
    let mut by_kind: HashMap<String, AlertCount> = HashMap::new();
    let mut rows = select.query([])?;
    while let Some(row) = rows.next()? {
        let kind: String = row.get(0)?;
        let severity: Severity = row.get::<_, String>(1)?.parse().unwrap_or_default();
        let count = row.get::<_, i64>(2)? as u64;
        let entry = by_kind.entry(kind.clone()).or_insert(AlertCount { kind, severity, count: 0 });
        entry.count += count;
        entry.severity = entry.severity.max(severity);
    }
    let mut open_alerts: Vec<AlertCount> = by_kind.into_values().collect();
    open_alerts.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.kind.cmp(&b.kind)));

    let mut select = conn.prepare_cached("SELECT class, COUNT(*) FROM findings GROUP BY class ORDER BY 2 DESC, 1")?;
    let findings_by_class = select
        .query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)? as u64)))?
        .collect::<Result<Vec<_>, _>>()?;

    Ok(InventorySummary {
        hosts: hosts as u64,
        endpoints: endpoints as u64,
        new_endpoints: new_endpoints as u64,
        risk_bands,
        open_alerts,
        findings_by_class,
    })
}

pub fn traffic(conn: &Connection, hours: u32) -> Result<HourlyCounts> {
    let latest: Option<i64> = conn.query_row("SELECT MAX(hour_ms) FROM hourly_counts", [], |row| row.get(0))?;
    let Some(latest) = latest else {
        return Ok(Vec::new());
    };
    let first = latest - (i64::from(hours.max(1)) - 1) * 3_600_000;
    let mut select = conn.prepare_cached(
        "SELECT hour_ms, SUM(count) FROM hourly_counts WHERE hour_ms >= ?1 GROUP BY hour_ms ORDER BY hour_ms",
    )?;
    let rows = select.query_map(params![first], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)? as u64)))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// One data class on one field location of an endpoint, summed over its raw endpoints.
struct LocationRow {
    class_id: String,
    endpoint_id: String,
    severity: Severity,
    hits: u64,
    last_hit_ms: i64,
    false_positive: bool,
}

/// Rows of one class (or of all, for `None`) with each location's section and path. A class
/// has one severity, so `MAX` picks the value of any grouped row.
fn location_rows(conn: &Connection, class_id: Option<&str>) -> Result<Vec<(LocationRow, String, String)>> {
    let mut select = conn.prepare_cached(
        "SELECT fc.class_id, r.endpoint_id, fc.section, fc.path, MAX(fc.severity), SUM(fc.hits), MAX(fc.last_hit_ms),
                EXISTS (SELECT 1 FROM class_marks m WHERE m.endpoint_id = r.endpoint_id AND m.section = fc.section
                        AND m.path = fc.path AND m.class_id = fc.class_id)
         FROM field_classes fc JOIN raw_endpoints r ON r.id = fc.raw_id
         WHERE ?1 IS NULL OR fc.class_id = ?1
         GROUP BY fc.class_id, r.endpoint_id, fc.section, fc.path",
    )?;
    let mut rows = select.query(params![class_id])?;
    let mut locations = Vec::new();
    while let Some(row) = rows.next()? {
        let location = LocationRow {
            class_id: row.get(0)?,
            endpoint_id: row.get(1)?,
            severity: row.get::<_, String>(4)?.parse().unwrap_or_default(),
            hits: row.get::<_, i64>(5)? as u64,
            last_hit_ms: row.get(6)?,
            false_positive: row.get(7)?,
        };
        locations.push((location, row.get(2)?, row.get(3)?));
    }
    Ok(locations)
}

pub fn data_classes(conn: &Connection) -> Result<Vec<DataClassSummary>> {
    let mut by_class: HashMap<String, (DataClassSummary, HashSet<String>)> = HashMap::new();
    for (location, _, _) in location_rows(conn, None)? {
        let (summary, endpoints) = by_class.entry(location.class_id.clone()).or_insert_with(|| {
            let summary = DataClassSummary {
                class_id: location.class_id.clone(),
                severity: location.severity,
                endpoints: 0,
                locations: 0,
                hits: 0,
                last_hit_ms: location.last_hit_ms,
                false_positives: 0,
            };
            (summary, HashSet::new())
        });
        summary.severity = summary.severity.max(location.severity);
        if location.false_positive {
            summary.false_positives += 1;
            continue;
        }
        summary.locations += 1;
        summary.hits += location.hits;
        summary.last_hit_ms = summary.last_hit_ms.max(location.last_hit_ms);
        endpoints.insert(location.endpoint_id);
    }
    let mut classes: Vec<DataClassSummary> = by_class
        .into_values()
        .map(|(mut summary, endpoints)| {
            summary.endpoints = endpoints.len() as u64;
            summary
        })
        .collect();
    classes.sort_by(|a, b| {
        b.endpoints
            .cmp(&a.endpoints)
            .then_with(|| b.severity.cmp(&a.severity))
            .then_with(|| a.class_id.cmp(&b.class_id))
    });
    Ok(classes)
}

pub fn class_locations(conn: &Connection, class_id: &str, limit: u32, offset: u32) -> Result<Page<ClassLocation>> {
    let mut rows = location_rows(conn, Some(class_id))?;
    rows.sort_by(|(a, a_section, a_path), (b, b_section, b_path)| {
        b.hits
            .cmp(&a.hits)
            .then_with(|| a.endpoint_id.cmp(&b.endpoint_id))
            .then_with(|| (a_section, a_path).cmp(&(b_section, b_path)))
    });
    let total = rows.len() as u64;

    let mut endpoint_select = conn.prepare_cached("SELECT host, method, template FROM endpoints WHERE id = ?1")?;
    let mut items = Vec::new();
    for (location, section, path) in rows.into_iter().skip(offset as usize).take(limit as usize) {
        let Some((host, method, template)) = endpoint_select
            .query_map(params![location.endpoint_id], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, String>(2)?))
            })?
            .next()
            .transpose()?
        else {
            continue;
        };
        let section =
            Section::parse(&section).ok_or_else(|| StoreError::Corrupt(format!("unknown section {section:?}")))?;
        items.push(ClassLocation {
            endpoint_id: location.endpoint_id,
            host,
            method,
            template,
            section,
            path,
            severity: location.severity,
            hits: location.hits,
            last_hit_ms: location.last_hit_ms,
            false_positive: location.false_positive,
        });
    }
    Ok(Page { items, total })
}
