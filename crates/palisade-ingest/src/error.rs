//! Errors of the decoders. A [`DecodeError`] rejects a whole input, and a
//! [`TraceDecodeError`] rejects one trace while the other traces of the input still decode.

use std::fmt;
use std::io;

use thiserror::Error;

/// A failure that stops decoding the whole input.
#[derive(Debug, Error)]
pub enum DecodeError {
    /// The input is not valid JSON. Line and column count from 1, as serde_json reports them.
    #[error("invalid JSON at line {line} column {column}: {message}")]
    InvalidJson { line: usize, column: usize, message: String },

    /// The input is valid JSON but not the top-level shape the endpoint accepts, such as an
    /// object sent to a batch endpoint.
    #[error("expected {expected}, found {found}")]
    UnexpectedShape { expected: &'static str, found: &'static str },

    /// A streamed input ended inside a JSON value. The traces before `byte` were delivered.
    #[error(
        "input ended early at byte {byte} (line {line} column {column}) after {entries} {}: the file is truncated",
        if *entries == 1 { "entry" } else { "entries" }
    )]
    Truncated { byte: u64, line: usize, column: usize, entries: usize },

    /// The input is JSON but not a HAR document.
    #[error("not a HAR file: {reason}")]
    NotHar { reason: String },

    /// The input is not valid YAML, or does not have the types a Keploy test case needs.
    /// Line and column count from 1.
    #[error("invalid YAML at line {line} column {column}: {message}")]
    InvalidYaml { line: usize, column: usize, message: String },

    /// A Keploy test case that parsed as YAML but cannot become a valid trace.
    #[error("invalid Keploy test case: {0}")]
    InvalidTestCase(String),

    #[error("failed to read input: {0}")]
    Io(#[from] io::Error),
}

impl DecodeError {
    /// Converts a serde_json error from a complete in-memory input.
    pub(crate) fn from_json(error: &serde_json::Error) -> Self {
        DecodeError::InvalidJson { line: error.line(), column: error.column(), message: json_message(error) }
    }
}

/// Returns serde_json's message without the ` at line L column C` suffix that its `Display`
/// appends, so that callers can place the position themselves.
pub(crate) fn json_message(error: &serde_json::Error) -> String {
    let full = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    match full.strip_suffix(&suffix) {
        Some(message) => message.to_string(),
        None => full,
    }
}

/// The place of one trace inside its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// Index in a JSON array of traces, counting from 0. A single object is trace 0.
    Trace(usize),
    /// Index in a HAR file's `log.entries`, counting from 0.
    Entry(usize),
    /// Line of a JSON Lines file, counting from 1.
    Line(usize),
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Trace(index) => write!(f, "trace {index}"),
            Position::Entry(index) => write!(f, "entry {index}"),
            Position::Line(line) => write!(f, "line {line}"),
        }
    }
}

/// A trace that could not be decoded or that broke a limit. The other traces of the same
/// input are unaffected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{position}: {message}")]
pub struct TraceDecodeError {
    pub position: Position,
    /// Description of the failure that names the field by its path in the input, such as
    /// `missing field "request.method"`.
    pub message: String,
}

impl TraceDecodeError {
    pub fn new(position: Position, message: impl Into<String>) -> Self {
        Self { position, message: message.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_error_names_position() {
        let error = TraceDecodeError::new(Position::Trace(3), "missing field \"request.method\"");
        assert_eq!(error.to_string(), "trace 3: missing field \"request.method\"");

        let error = TraceDecodeError::new(Position::Line(14), "invalid JSON at column 9: expected value");
        assert_eq!(error.to_string(), "line 14: invalid JSON at column 9: expected value");

        let error = TraceDecodeError::new(Position::Entry(0), "x");
        assert_eq!(error.to_string(), "entry 0: x");
    }

    #[test]
    fn json_message_drops_position() {
        let error = serde_json::from_str::<serde_json::Value>("[1,").unwrap_err();
        assert_eq!(json_message(&error), "EOF while parsing a value");

        let decode = DecodeError::from_json(&error);
        assert_eq!(decode.to_string(), "invalid JSON at line 1 column 3: EOF while parsing a value");
    }

    #[test]
    fn truncation_counts_entries_in_words() {
        let truncated = |entries| DecodeError::Truncated { byte: 9, line: 1, column: 10, entries }.to_string();
        assert!(truncated(1).ends_with("after 1 entry: the file is truncated"), "{}", truncated(1));
        assert!(truncated(0).ends_with("after 0 entries: the file is truncated"), "{}", truncated(0));
    }
}
