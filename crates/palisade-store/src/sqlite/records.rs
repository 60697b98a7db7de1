//! Documents the server keeps as sent: security test runs and block rules.

use palisade_core::timestamp::now_ms;
use rusqlite::{Connection, OptionalExtension, params};

use crate::{Page, Result, StoredRule, TestRunSummary};

const RUN_COLUMNS: &str = "id, received_ms, runner, version, passed, failed, requests, duration_ms, submitted_by";

fn run_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<TestRunSummary> {
    Ok(TestRunSummary {
        id: row.get(0)?,
        received_ms: row.get(1)?,
        runner: row.get(2)?,
        version: row.get(3)?,
        passed: row.get::<_, i64>(4)? as u64,
        failed: row.get::<_, i64>(5)? as u64,
        requests: row.get::<_, i64>(6)? as u64,
        duration_ms: row.get(7)?,
        submitted_by: row.get(8)?,
    })
}

/// Stores a run and deletes the oldest beyond `max_runs`; returns the run with its id.
pub fn insert_test_run(
    conn: &mut Connection,
    run: &TestRunSummary,
    document: &str,
    max_runs: u64,
) -> Result<TestRunSummary> {
    let tx = conn.transaction()?;
    let received_ms = now_ms();
    tx.execute(
        "INSERT INTO test_runs (received_ms, runner, version, passed, failed, requests, duration_ms, submitted_by, document)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            received_ms,
            run.runner,
            run.version,
            run.passed as i64,
            run.failed as i64,
            run.requests as i64,
            run.duration_ms,
            run.submitted_by,
            document
        ],
    )?;
    let id = tx.last_insert_rowid();
    tx.execute(
        "DELETE FROM test_runs WHERE id NOT IN (SELECT id FROM test_runs ORDER BY id DESC LIMIT ?1)",
        params![max_runs.min(i64::MAX as u64) as i64],
    )?;
    tx.commit()?;
    Ok(TestRunSummary { id, received_ms, ..run.clone() })
}

pub fn test_runs(conn: &Connection, limit: u32, offset: u32) -> Result<Page<TestRunSummary>> {
    let total: i64 = conn.query_row("SELECT COUNT(*) FROM test_runs", [], |row| row.get(0))?;
    let mut select =
        conn.prepare_cached(&format!("SELECT {RUN_COLUMNS} FROM test_runs ORDER BY id DESC LIMIT ?1 OFFSET ?2"))?;
    let items = select.query_map(params![limit, offset], run_from_row)?.collect::<Result<Vec<_>, _>>()?;
    Ok(Page { items, total: total as u64 })
}

pub fn test_run(conn: &Connection, id: i64) -> Result<Option<(TestRunSummary, String)>> {
    Ok(conn
        .query_row(&format!("SELECT {RUN_COLUMNS}, document FROM test_runs WHERE id = ?1"), params![id], |row| {
            Ok((run_from_row(row)?, row.get(9)?))
        })
        .optional()?)
}

fn rule_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredRule> {
    Ok(StoredRule {
        id: row.get(0)?,
        document: row.get(1)?,
        created_ms: row.get(2)?,
        updated_ms: row.get(3)?,
        expires_ms: row.get(4)?,
    })
}

pub fn rules(conn: &Connection) -> Result<Vec<StoredRule>> {
    let mut select = conn.prepare_cached(
        "SELECT id, document, created_ms, updated_ms, expires_ms FROM block_rules ORDER BY created_ms, id",
    )?;
    Ok(select.query_map([], rule_from_row)?.collect::<Result<Vec<_>, _>>()?)
}

/// Inserts or replaces a rule; true when it is new.
pub fn put_rule(conn: &mut Connection, rule: &StoredRule) -> Result<bool> {
    let tx = conn.transaction()?;
    let existed: bool =
        tx.query_row("SELECT EXISTS (SELECT 1 FROM block_rules WHERE id = ?1)", params![rule.id], |row| row.get(0))?;
    tx.execute(
        "INSERT INTO block_rules (id, document, created_ms, updated_ms, expires_ms) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (id) DO UPDATE SET document = excluded.document, updated_ms = excluded.updated_ms,
             expires_ms = excluded.expires_ms",
        params![rule.id, rule.document, rule.created_ms, rule.updated_ms, rule.expires_ms],
    )?;
    tx.commit()?;
    Ok(!existed)
}

pub fn delete_rule(conn: &Connection, id: &str) -> Result<bool> {
    Ok(conn.execute("DELETE FROM block_rules WHERE id = ?1", params![id])? == 1)
}
