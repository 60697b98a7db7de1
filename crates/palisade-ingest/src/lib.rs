//! Decoders that turn captured HTTP traffic into [`palisade_core::Trace`] values.
//!
//! Each module reads one input format: [`metlo`] for traces that Metlo agents send to the
//! collector, [`native`] for Palisade's own JSON and JSON Lines trace format, [`har`] for
//! HAR 1.2 files, and [`keploy`] for Keploy test cases. [`detect`] guesses a file's format
//! and [`encoding`] undoes `Content-Encoding` on bodies. This crate does no storage and no
//! serving.
//!
//! Every decoder follows the same rules. One bad trace rejects only itself, with a
//! [`TraceDecodeError`] naming its position and field. An input that cannot be read at all
//! gives a [`DecodeError`]. Every trace returned has passed [`palisade_core::Trace::validate`]
//! and has its bodies cut at [`palisade_core::Limits::max_body_bytes`]. No input makes a
//! decoder panic.

pub mod detect;
pub mod encoding;
pub mod error;
pub mod har;
pub mod keploy;
pub mod metlo;
pub mod native;

mod http;
mod json;

pub use detect::{Format, detect};
pub use error::{DecodeError, Position, TraceDecodeError};

use palisade_core::{Limits, Trace};

/// Counts of what a streaming reader handed to its callback.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Items decoded into valid traces.
    pub decoded: usize,
    /// Items rejected with a [`TraceDecodeError`].
    pub rejected: usize,
}

impl ImportSummary {
    fn count<T, E>(&mut self, result: &Result<T, E>) {
        match result {
            Ok(_) => self.decoded += 1,
            Err(_) => self.rejected += 1,
        }
    }
}

/// Checks a decoded trace against the model's rules and `limits`.
fn validated(trace: Trace, limits: &Limits) -> Result<Trace, String> {
    match trace.validate(limits) {
        Ok(()) => Ok(trace),
        Err(error) => Err(error.to_string()),
    }
}

/// Parses a whole JSON input into a value. A UTF-8 byte order mark is skipped because some
/// Windows tools write one.
fn parse_json(input: &[u8]) -> Result<serde_json::Value, DecodeError> {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    serde_json::from_slice(input).map_err(|error| DecodeError::from_json(&error))
}
