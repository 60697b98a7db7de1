//! The trace journal: accepted traces, durable on disk until the pipeline has applied
//! them to the inventory.
//!
//! The collector appends each accepted request's traces as one batch and responds only
//! after the transaction committed with `synchronous = FULL`. The pipeline reads batches
//! in id order and records the last id it applied in the same store transaction as the
//! inventory changes, so after a crash it resumes exactly after the last applied batch.
//! The journal is its own SQLite file, so appends never wait for inventory writes.

use std::path::Path;

use palisade_core::Trace;
use rusqlite::{Connection, params};

use crate::{Result, StoreError};

/// First byte of every payload: the encoding version of the traces after it.
const PAYLOAD_VERSION: u8 = 1;

/// Traces accepted in one request.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalBatch {
    /// Position of the batch; ids only grow, even after deletions.
    pub id: i64,
    pub received_ms: i64,
    pub traces: Vec<Trace>,
}

/// One connection to the journal file. The collector and the pipeline each open their own.
pub struct Journal {
    conn: Connection,
}

impl Journal {
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS batches (
                 id INTEGER PRIMARY KEY AUTOINCREMENT,
                 received_ms INTEGER NOT NULL,
                 trace_count INTEGER NOT NULL,
                 payload BLOB NOT NULL
             );",
        )?;
        Ok(Self { conn })
    }

    /// Appends encoded batches (see [`encode_traces`]) in one transaction and returns
    /// their ids. When this returns, the batches survive a crash or power loss.
    pub fn append(&mut self, batches: &[(i64, usize, &[u8])]) -> Result<Vec<i64>> {
        let tx = self.conn.transaction()?;
        let mut ids = Vec::with_capacity(batches.len());
        {
            let mut insert =
                tx.prepare_cached("INSERT INTO batches (received_ms, trace_count, payload) VALUES (?1, ?2, ?3)")?;
            for (received_ms, count, payload) in batches {
                insert.execute(params![received_ms, *count as i64, payload])?;
                ids.push(tx.last_insert_rowid());
            }
        }
        tx.commit()?;
        Ok(ids)
    }

    /// Reads batches after `position`, in order, until they hold at least `max_traces`
    /// traces (always at least one batch when any is waiting).
    pub fn read_after(&self, position: i64, max_traces: usize) -> Result<Vec<JournalBatch>> {
        let mut select = self
            .conn
            .prepare_cached("SELECT id, received_ms, payload FROM batches WHERE id > ?1 ORDER BY id LIMIT 1000")?;
        let mut rows = select.query(params![position])?;
        let mut batches = Vec::new();
        let mut traces = 0;
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            let payload: Vec<u8> = row.get(2)?;
            let decoded =
                decode_traces(&payload).map_err(|e| StoreError::Corrupt(format!("journal batch {id}: {e}")))?;
            traces += decoded.len();
            batches.push(JournalBatch { id, received_ms: row.get(1)?, traces: decoded });
            if traces >= max_traces {
                break;
            }
        }
        Ok(batches)
    }

    /// Deletes batches up to and including `position`.
    pub fn delete_through(&self, position: i64) -> Result<usize> {
        Ok(self.conn.execute("DELETE FROM batches WHERE id <= ?1", params![position])?)
    }

    /// Batches and traces waiting after `position`.
    pub fn pending(&self, position: i64) -> Result<(u64, u64)> {
        let (batches, traces): (i64, Option<i64>) = self.conn.query_row(
            "SELECT COUNT(*), SUM(trace_count) FROM batches WHERE id > ?1",
            params![position],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        Ok((batches as u64, traces.unwrap_or(0) as u64))
    }
}

/// Encodes traces for the journal.
pub fn encode_traces(traces: &[Trace]) -> Vec<u8> {
    let mut payload = vec![PAYLOAD_VERSION];
    // Encoding into a Vec cannot fail for these types: they hold no maps with non-string
    // keys and no values postcard cannot represent.
    payload.extend(postcard::to_stdvec(traces).unwrap_or_default());
    payload
}

/// Decodes a journal payload.
pub fn decode_traces(payload: &[u8]) -> std::result::Result<Vec<Trace>, String> {
    match payload.split_first() {
        Some((&PAYLOAD_VERSION, rest)) => postcard::from_bytes(rest).map_err(|e| e.to_string()),
        Some((version, _)) => Err(format!("unknown payload version {version}")),
        None => Err("empty payload".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::{Body, Request, TraceMeta, TraceSource};

    fn trace(path: &str) -> Trace {
        Trace {
            request: Request {
                method: "GET".into(),
                scheme: "http".into(),
                host: "h".into(),
                path: path.into(),
                query: vec![],
                headers: vec![],
                content_type: None,
                body: Body::default(),
            },
            response: None,
            meta: TraceMeta {
                start_ms: 1,
                duration_us: None,
                client: None,
                server: None,
                source: TraceSource::Native,
                environment: None,
                route: None,
            },
            agent: None,
        }
    }

    #[test]
    fn append_read_delete() {
        let dir = tempfile::tempdir().unwrap();
        let mut journal = Journal::open(&dir.path().join("journal.db")).unwrap();
        let first = encode_traces(&[trace("/a"), trace("/b")]);
        let second = encode_traces(&[trace("/c")]);
        let ids = journal.append(&[(10, 2, &first), (11, 1, &second)]).unwrap();
        assert_eq!(ids, vec![1, 2]);
        assert_eq!(journal.pending(0).unwrap(), (2, 3));

        let batches = journal.read_after(0, 1).unwrap();
        assert_eq!(batches.len(), 1);
        assert_eq!(batches[0].traces.len(), 2);
        assert_eq!(batches[0].traces[1].request.path, "/b");

        journal.delete_through(1).unwrap();
        assert_eq!(journal.pending(0).unwrap(), (1, 1));
        let ids = journal.append(&[(12, 1, &second)]).unwrap();
        assert_eq!(ids, vec![3], "ids are never reused");
    }

    #[test]
    fn reopen_keeps_batches() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.db");
        {
            let mut journal = Journal::open(&path).unwrap();
            journal.append(&[(1, 1, &encode_traces(&[trace("/x")]))]).unwrap();
        }
        let journal = Journal::open(&path).unwrap();
        assert_eq!(journal.read_after(0, 10).unwrap()[0].traces[0].request.path, "/x");
    }

    #[test]
    fn corrupt_payload_is_an_error() {
        assert!(decode_traces(&[]).is_err());
        assert!(decode_traces(&[9, 1, 2]).is_err());
        assert!(decode_traces(&[PAYLOAD_VERSION, 0xff, 0xff]).is_err());
    }
}
