//! Reading native traces from JSON Lines: one trace object per line.

use std::io::BufRead;

use palisade_core::timestamp::now_ms;
use palisade_core::{Limits, Trace};

use crate::ImportSummary;
use crate::error::{DecodeError, Position, TraceDecodeError, json_message};

/// Reads native traces from JSON Lines, one trace object per line, and calls `on_trace` with
/// each result as soon as its line is read. Blank lines are skipped. A line that is not valid
/// JSON or not a valid trace gives an error naming its line number (counting from 1), and
/// reading goes on with the next line. Traces without `meta.start_time` start at the time
/// reading began.
///
/// Returns `Err` only when reading fails. Each line is held in memory while it is decoded.
pub fn read_jsonl<R: BufRead>(
    mut reader: R,
    limits: &Limits,
    mut on_trace: impl FnMut(Result<Trace, TraceDecodeError>),
) -> Result<ImportSummary, DecodeError> {
    let received_ms = now_ms();
    let mut summary = ImportSummary::default();
    let mut line = Vec::new();
    let mut line_number = 0;

    loop {
        line.clear();
        // NOTE: a line has no length limit, so one huge line is read into memory whole.
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        line_number += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }

        // Without the line break, serde_json's column points into this line even when the
        // line ends early.
        let content = line.strip_suffix(b"\n").unwrap_or(&line);
        let content = content.strip_suffix(b"\r").unwrap_or(content);
        let result = decode_line(content, limits, received_ms)
            .map_err(|message| TraceDecodeError::new(Position::Line(line_number), message));
        summary.count(&result);
        on_trace(result);
    }
    Ok(summary)
}

fn decode_line(line: &[u8], limits: &Limits, received_ms: i64) -> Result<Trace, String> {
    let value: serde_json::Value = match serde_json::from_slice(line) {
        Ok(value) => value,
        Err(error) => return Err(format!("invalid JSON at column {}: {}", error.column(), json_message(&error))),
    };
    super::decode::decode_value(&value, limits, received_ms)
}
