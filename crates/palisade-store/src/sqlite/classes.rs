//! Data classes per field location of an endpoint, and false-positive marks.

use std::collections::{HashMap, HashSet};

use palisade_core::Section;
use palisade_core::timestamp::now_ms;
use rusqlite::{Connection, params};

use crate::{FieldClass, Result, StoreError};

/// Data classes of an endpoint's field locations, summed over its raw endpoints. A class
/// is active while the location keeps showing it: it stops being active once the location
/// was seen for `decay_ms` after the class last matched.
pub fn for_endpoint(conn: &Connection, endpoint_id: &str, decay_ms: i64) -> Result<Vec<FieldClass>> {
    let mut locations = conn.prepare_cached(
        "SELECT f.section, f.path, f.status, f.content_type, SUM(f.count), MAX(f.last_seen_ms)
         FROM fields f JOIN raw_endpoints r ON r.id = f.raw_id
         WHERE r.endpoint_id = ?1 AND f.field_type != 'null'
         GROUP BY f.section, f.path, f.status, f.content_type",
    )?;
    let mut seen: HashMap<(String, String, i64, String), (u64, i64)> = HashMap::new();
    let mut rows = locations.query(params![endpoint_id])?;
    while let Some(row) = rows.next()? {
        let key = (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
        seen.insert(key, (row.get::<_, i64>(4)? as u64, row.get(5)?));
    }

    let marked = marks(conn, endpoint_id)?;
    // A class has one severity, so the value from any of the grouped rows is right.
    let mut select = conn.prepare_cached(
        "SELECT fc.section, fc.path, fc.status, fc.content_type, fc.class_id, fc.severity,
                SUM(fc.hits), MIN(fc.first_hit_ms), MAX(fc.last_hit_ms)
         FROM field_classes fc JOIN raw_endpoints r ON r.id = fc.raw_id
         WHERE r.endpoint_id = ?1
         GROUP BY fc.section, fc.path, fc.status, fc.content_type, fc.class_id
         ORDER BY fc.section, fc.status, fc.path, fc.class_id",
    )?;
    let mut rows = select.query(params![endpoint_id])?;
    let mut classes = Vec::new();
    while let Some(row) = rows.next()? {
        let section_text: String = row.get(0)?;
        let path: String = row.get(1)?;
        let status: i64 = row.get(2)?;
        let content_type: String = row.get(3)?;
        let class_id: String = row.get(4)?;
        let severity: String = row.get(5)?;
        let hits = row.get::<_, i64>(6)? as u64;
        let last_hit_ms: i64 = row.get(8)?;

        let key = (section_text.clone(), path.clone(), status, content_type.clone());
        let (observations, location_last_seen) = seen.get(&key).copied().unwrap_or((hits, last_hit_ms));
        let observations = observations.max(hits);
        let section = Section::parse(&section_text)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown section {section_text:?}")))?;
        classes.push(FieldClass {
            false_positive: marked.contains(&(section_text, path.clone(), class_id.clone())),
            section,
            path,
            status: (status != 0).then_some(status as u16),
            content_type,
            class_id,
            severity: severity.parse().unwrap_or_default(),
            hits,
            observations,
            confidence: hits as f64 / observations as f64,
            first_hit_ms: row.get(7)?,
            last_hit_ms,
            active: location_last_seen - last_hit_ms <= decay_ms,
        });
    }
    Ok(classes)
}

fn marks(conn: &Connection, endpoint_id: &str) -> Result<HashSet<(String, String, String)>> {
    let mut select = conn.prepare_cached("SELECT section, path, class_id FROM class_marks WHERE endpoint_id = ?1")?;
    let rows = select.query_map(params![endpoint_id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
    Ok(rows.collect::<Result<HashSet<_>, _>>()?)
}

/// Marks or unmarks a class on a field location of an endpoint as a false positive.
/// Returns false when the endpoint has no such class on that location.
pub fn mark(
    conn: &Connection,
    endpoint_id: &str,
    section: Section,
    path: &str,
    class_id: &str,
    false_positive: bool,
    marked_by: &str,
) -> Result<bool> {
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM field_classes fc JOIN raw_endpoints r ON r.id = fc.raw_id
                        WHERE r.endpoint_id = ?1 AND fc.section = ?2 AND fc.path = ?3 AND fc.class_id = ?4)",
        params![endpoint_id, section.as_str(), path, class_id],
        |row| row.get(0),
    )?;
    if !exists {
        return Ok(false);
    }
    if false_positive {
        conn.execute(
            "INSERT OR REPLACE INTO class_marks (endpoint_id, section, path, class_id, marked_by, marked_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![endpoint_id, section.as_str(), path, class_id, marked_by, now_ms()],
        )?;
    } else {
        conn.execute(
            "DELETE FROM class_marks WHERE endpoint_id = ?1 AND section = ?2 AND path = ?3 AND class_id = ?4",
            params![endpoint_id, section.as_str(), path, class_id],
        )?;
    }
    Ok(true)
}
