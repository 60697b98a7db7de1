//! Palisade's own JSON trace format, accepted at `POST /api/v1/traces` as one object or an
//! array of objects, and in files as JSON Lines (one object per line).
//!
//! A trace is
//! `{"request": {"method", "url", "headers", "body"}, "response": {"status", "headers",
//! "body"}, "meta": {"start_time", "duration_ms", "client", "server", "environment",
//! "route"}, "agent": {...}}`, with `response`, `meta` and `agent` optional.
//! `docs/trace-format.md` in the repository describes every field. [`encode`] writes the
//! same format, and decoding what it wrote gives back the trace.

mod decode;
mod encode;
mod jsonl;

pub use decode::decode;
pub use encode::encode;
pub use jsonl::read_jsonl;

#[cfg(test)]
mod tests;
