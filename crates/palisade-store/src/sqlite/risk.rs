//! Risk scores: named factors with their contributions, computed from an endpoint's data
//! classes, authentication and open alerts, and stored with the endpoint so listings can
//! sort by them.
//!
//! | factor | points |
//! |---|---|
//! | `sensitive_data_returned`: most severe active class in a response | critical 40, high 30, medium 20, low 10 |
//! | `unauthenticated_access`: requests without credentials got 2xx | 20 |
//! | `sensitive_data_without_auth`: both of the above | 15 |
//! | `sensitive_data_in_url`: an active class in the path or query | 15 |
//! | `write_method`: POST, PUT, PATCH or DELETE | 10 |
//! | `open_alerts`: 5 per open alert | at most 15 |
//!
//! The score is the sum, at most 100. Classes marked as false positives do not count.

use palisade_core::Severity;
use palisade_core::auth::AuthStats;
use palisade_core::inventory::{RiskFactor, RiskScore};
use rusqlite::{Connection, OptionalExtension, params};

use super::inventory::{from_json, to_json};
use crate::Result;

const MAX_SCORE: u32 = 100;

/// Recomputes and stores the risk of each endpoint in `endpoint_ids`.
pub fn recompute(conn: &Connection, endpoint_ids: &[String], class_decay_ms: i64) -> Result<()> {
    let mut update = conn.prepare_cached("UPDATE endpoints SET risk_score = ?1, risk_factors = ?2 WHERE id = ?3")?;
    for id in endpoint_ids {
        let Some(risk) = compute(conn, id, class_decay_ms)? else {
            continue;
        };
        update.execute(params![risk.score, to_json(&risk.factors)?, id])?;
    }
    Ok(())
}

/// Computes the risk of one endpoint; `None` when it does not exist.
pub fn compute(conn: &Connection, endpoint_id: &str, class_decay_ms: i64) -> Result<Option<RiskScore>> {
    let found: Option<(String, String)> = conn
        .query_row("SELECT method, auth FROM endpoints WHERE id = ?1", params![endpoint_id], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .optional()?;
    let Some((method, auth)) = found else {
        return Ok(None);
    };
    let auth: AuthStats = from_json(&auth, "authentication of an endpoint")?;
    let classes = super::classes::for_endpoint(conn, endpoint_id, class_decay_ms)?;
    let counted: Vec<_> = classes.iter().filter(|c| c.active && !c.false_positive).collect();

    let mut factors = Vec::new();

    let mut returned: Vec<(&str, Severity)> =
        counted.iter().filter(|c| c.section.is_response()).map(|c| (c.class_id.as_str(), c.severity)).collect();
    returned.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    returned.dedup_by(|a, b| a.0 == b.0);
    if let Some((_, worst)) = returned.first() {
        let points = match worst {
            Severity::Critical => 40,
            Severity::High => 30,
            Severity::Medium => 20,
            Severity::Low => 10,
            Severity::Info => 0,
        };
        factors.push(factor("sensitive_data_returned", points, format!("returns {}", describe(&returned))));
    }

    if auth.unauthenticated_success > 0 {
        let requests = if auth.unauthenticated_success == 1 { "request" } else { "requests" };
        let detail = format!("{} {requests} without credentials got a 2xx response", auth.unauthenticated_success);
        factors.push(factor("unauthenticated_access", 20, detail));
        if !returned.is_empty() {
            factors.push(factor(
                "sensitive_data_without_auth",
                15,
                "sensitive data is returned without credentials".into(),
            ));
        }
    }

    let mut in_url: Vec<(&str, Severity)> = counted
        .iter()
        .filter(|c| matches!(c.section, palisade_core::Section::Path | palisade_core::Section::Query))
        .map(|c| (c.class_id.as_str(), c.severity))
        .collect();
    in_url.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    in_url.dedup_by(|a, b| a.0 == b.0);
    if !in_url.is_empty() {
        factors.push(factor("sensitive_data_in_url", 15, format!("URL carries {}", describe(&in_url))));
    }

    if matches!(method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE") {
        factors.push(factor("write_method", 10, format!("{method} changes data")));
    }

    let open_alerts: i64 = conn.query_row(
        "SELECT COUNT(*) FROM alerts WHERE endpoint_id = ?1 AND status = 'open'",
        params![endpoint_id],
        |row| row.get(0),
    )?;
    if open_alerts > 0 {
        let points = (open_alerts as u32 * 5).min(15);
        factors.push(factor("open_alerts", points, format!("{open_alerts} open alerts")));
    }

    let score = factors.iter().map(|f| f.contribution).sum::<u32>().min(MAX_SCORE);
    Ok(Some(RiskScore { score, factors }))
}

fn factor(name: &str, contribution: u32, detail: String) -> RiskFactor {
    RiskFactor { name: name.to_string(), contribution, detail }
}

fn describe(classes: &[(&str, Severity)]) -> String {
    classes.iter().map(|(class, severity)| format!("{class} ({severity})")).collect::<Vec<_>>().join(", ")
}
