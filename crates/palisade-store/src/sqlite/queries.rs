//! Reads for the API and the CLI.

use std::collections::BTreeMap;

use palisade_core::auth::AuthScheme;
use palisade_core::inventory::{Endpoint, FieldKey, FormatState, HostStats, Sample};
use palisade_core::path::split_path;
use palisade_core::{DataField, FieldType};
use rusqlite::types::Value;
use rusqlite::{Connection, params, params_from_iter};

use super::inventory::{ENDPOINT_COLUMNS, endpoint_from_row, field_key_from_row, hash_from_db};
use crate::{EndpointDetail, EndpointFilter, EndpointSort, HostSummary, HourlyCounts, Page, Result};

/// Page size when a filter sets none, and the largest page served.
pub const DEFAULT_PAGE_SIZE: u32 = 100;
pub const MAX_PAGE_SIZE: u32 = 1000;

pub fn hosts(conn: &Connection) -> Result<Vec<HostSummary>> {
    let mut select = conn.prepare(
        "SELECT h.host, h.hits, h.first_seen_ms, h.last_seen_ms,
                (SELECT COUNT(*) FROM endpoints e WHERE e.host = h.host)
         FROM hosts h ORDER BY h.host",
    )?;
    let rows = select.query_map([], |row| {
        Ok(HostSummary {
            stats: HostStats {
                host: row.get(0)?,
                hits: row.get::<_, i64>(1)? as u64,
                first_seen_ms: row.get(2)?,
                last_seen_ms: row.get(3)?,
            },
            endpoints: row.get::<_, i64>(4)? as u64,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

pub fn endpoints(conn: &Connection, filter: &EndpointFilter) -> Result<Page<Endpoint>> {
    let mut conditions: Vec<&str> = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    if let Some(host) = &filter.host {
        conditions.push("host = ?");
        values.push(Value::Text(host.to_ascii_lowercase()));
    }
    if let Some(method) = &filter.method {
        conditions.push("method = ?");
        values.push(Value::Text(method.to_ascii_uppercase()));
    }
    if let Some(search) = filter.search.as_deref().filter(|s| !s.is_empty()) {
        conditions.push("(template LIKE ? ESCAPE '\\' OR host LIKE ? ESCAPE '\\')");
        let pattern = format!("%{}%", escape_like(search));
        values.push(Value::Text(pattern.clone()));
        values.push(Value::Text(pattern));
    }
    if let Some(min_risk) = filter.min_risk {
        conditions.push("risk_score >= ?");
        values.push(Value::Integer(i64::from(min_risk)));
    }
    if let Some(class_id) = &filter.data_class {
        conditions.push(
            "EXISTS (SELECT 1 FROM raw_endpoints r JOIN field_classes fc ON fc.raw_id = r.id
                     WHERE r.endpoint_id = endpoints.id AND fc.class_id = ?
                       AND NOT EXISTS (SELECT 1 FROM class_marks m
                                       WHERE m.endpoint_id = endpoints.id AND m.section = fc.section
                                         AND m.path = fc.path AND m.class_id = fc.class_id))",
        );
        values.push(Value::Text(class_id.clone()));
    }
    if let Some(scheme) = filter.auth {
        // `auth` is `AuthStats` as JSON: requests per scheme in `AuthScheme::ALL` order.
        let index = AuthScheme::ALL.iter().position(|s| *s == scheme).unwrap_or(0);
        conditions.push("json_extract(auth, ?) > 0");
        values.push(Value::Text(format!("$.requests[{index}]")));
    }
    let where_clause =
        if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };

    let total: i64 = conn.query_row(
        &format!("SELECT COUNT(*) FROM endpoints {where_clause}"),
        params_from_iter(values.iter()),
        |row| row.get(0),
    )?;

    let order = match filter.sort {
        EndpointSort::Path => "host, template, method",
        EndpointSort::Hits => "hits DESC, host, template, method",
        EndpointSort::LastSeen => "last_seen_ms DESC, host, template, method",
        EndpointSort::FirstSeen => "first_seen_ms DESC, host, template, method",
        EndpointSort::Risk => "risk_score DESC, hits DESC, host, template, method",
    };
    let limit = match filter.limit {
        0 => DEFAULT_PAGE_SIZE,
        n => n.min(MAX_PAGE_SIZE),
    };
    let sql = format!("SELECT {ENDPOINT_COLUMNS} FROM endpoints {where_clause} ORDER BY {order} LIMIT ? OFFSET ?");
    values.push(Value::Integer(i64::from(limit)));
    values.push(Value::Integer(i64::from(filter.offset)));

    let mut select = conn.prepare(&sql)?;
    let mut rows = select.query(params_from_iter(values.iter()))?;
    let mut items = Vec::new();
    while let Some(row) = rows.next()? {
        items.push(endpoint_from_row(row)?);
    }
    Ok(Page { items, total: total as u64 })
}

fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

pub fn endpoint(conn: &Connection, id: &str, class_decay_ms: i64) -> Result<Option<EndpointDetail>> {
    let mut select = conn.prepare(&format!("SELECT {ENDPOINT_COLUMNS} FROM endpoints WHERE id = ?1"))?;
    let mut rows = select.query(params![id])?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    let endpoint = endpoint_from_row(row)?;
    let fields = fields(conn, id)?;
    let classes = super::classes::for_endpoint(conn, id, class_decay_ms)?;
    let alerts = super::alerts::open_for_endpoint(conn, id)?;
    let hourly = hourly(conn, id)?;
    Ok(Some(EndpointDetail { endpoint, fields, classes, alerts, hourly }))
}

struct FieldTotals {
    count: u64,
    format: FormatState,
    first_seen_ms: i64,
    last_seen_ms: i64,
}

/// Fields of an endpoint: the fields of its raw endpoints added together. A location also
/// seen holding `null` is reported once per other type, marked nullable.
fn fields(conn: &Connection, endpoint_id: &str) -> Result<Vec<DataField>> {
    let mut select = conn.prepare(
        "SELECT f.section, f.path, f.status, f.content_type, f.field_type,
                f.count, f.format, f.first_seen_ms, f.last_seen_ms
         FROM fields f JOIN raw_endpoints r ON r.id = f.raw_id
         WHERE r.endpoint_id = ?1",
    )?;
    let mut rows = select.query(params![endpoint_id])?;
    let mut merged: BTreeMap<FieldKey, FieldTotals> = BTreeMap::new();
    while let Some(row) = rows.next()? {
        let key = field_key_from_row(row, 0)?;
        let format: Option<String> = row.get(6)?;
        let totals = FieldTotals {
            count: row.get::<_, i64>(5)? as u64,
            format: FormatState::from_db(format.as_deref()),
            first_seen_ms: row.get(7)?,
            last_seen_ms: row.get(8)?,
        };
        match merged.get_mut(&key) {
            Some(existing) => {
                existing.count += totals.count;
                existing.format = existing.format.merge(totals.format);
                existing.first_seen_ms = existing.first_seen_ms.min(totals.first_seen_ms);
                existing.last_seen_ms = existing.last_seen_ms.max(totals.last_seen_ms);
            }
            None => {
                merged.insert(key, totals);
            }
        }
    }

    let has_other_type = |key: &FieldKey| {
        merged.keys().any(|other| {
            other.field_type != FieldType::Null
                && other.section == key.section
                && other.path == key.path
                && other.status == key.status
                && other.content_type == key.content_type
        })
    };
    let null_seen = |key: &FieldKey| {
        let null_key = FieldKey { field_type: FieldType::Null, ..key.clone() };
        merged.contains_key(&null_key)
    };

    let mut fields = Vec::with_capacity(merged.len());
    for (key, totals) in &merged {
        if key.field_type == FieldType::Null && has_other_type(key) {
            continue;
        }
        fields.push(DataField {
            nullable: key.field_type != FieldType::Null && null_seen(key),
            section: key.section,
            path: key.path.clone(),
            status: key.status,
            content_type: key.content_type.clone(),
            field_type: key.field_type,
            format: totals.format.format(),
            count: totals.count,
            first_seen_ms: totals.first_seen_ms,
            last_seen_ms: totals.last_seen_ms,
        });
    }
    Ok(fields)
}

fn hourly(conn: &Connection, endpoint_id: &str) -> Result<HourlyCounts> {
    let mut select = conn.prepare(
        "SELECT h.hour_ms, SUM(h.count) FROM hourly_counts h JOIN raw_endpoints r ON r.id = h.raw_id
         WHERE r.endpoint_id = ?1 GROUP BY h.hour_ms ORDER BY h.hour_ms",
    )?;
    let rows =
        select.query_map(params![endpoint_id], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)? as u64)))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Finds the endpoint of `host` and `method` whose template matches `path`. `path` may be
/// concrete (`/users/42`) or the template itself (`/users/{userId}`). When several
/// templates match, the one with the most literal segments wins.
pub fn find_endpoint(conn: &Connection, method: &str, host: &str, path: &str) -> Result<Option<Endpoint>> {
    let mut select =
        conn.prepare(&format!("SELECT {ENDPOINT_COLUMNS} FROM endpoints WHERE host = ?1 AND method = ?2"))?;
    let mut rows = select.query(params![host.to_ascii_lowercase(), method.to_ascii_uppercase()])?;
    let wanted = split_path(path);

    let mut best: Option<(usize, Endpoint)> = None;
    while let Some(row) = rows.next()? {
        let endpoint = endpoint_from_row(row)?;
        if endpoint.template == path {
            return Ok(Some(endpoint));
        }
        let template = split_path(&endpoint.template);
        if template.len() != wanted.len() {
            continue;
        }
        let mut literals = 0;
        let matches = template.iter().zip(&wanted).all(|(t, w)| {
            let is_param = t.starts_with('{') && t.ends_with('}');
            if !is_param {
                literals += 1;
            }
            is_param || t == w
        });
        if matches && best.as_ref().is_none_or(|(score, _)| literals > *score) {
            best = Some((literals, endpoint));
        }
    }
    Ok(best.map(|(_, endpoint)| endpoint))
}

/// Returns the samples with the smallest hashes across the endpoint's raw endpoints, newest
/// first. Choosing by hash keeps the choice independent of arrival order.
pub fn samples(conn: &Connection, endpoint_id: &str, limit: u32) -> Result<Vec<Sample>> {
    let mut select = conn.prepare(
        "SELECT raw_id, hash, start_ms, trace FROM (
             SELECT s.raw_id, s.hash, s.start_ms, s.trace
             FROM samples s JOIN raw_endpoints r ON r.id = s.raw_id
             WHERE r.endpoint_id = ?1 ORDER BY s.hash LIMIT ?2
         ) ORDER BY start_ms DESC, hash",
    )?;
    let rows = select.query_map(params![endpoint_id, i64::from(limit)], |row| {
        Ok(Sample { raw_id: row.get(0)?, hash: hash_from_db(row.get(1)?), start_ms: row.get(2)?, trace: row.get(3)? })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}
