//! Limits that bound the work and memory spent on one trace.

use serde::{Deserialize, Serialize};

/// Per-trace limits. Each is a setting under `limits:` in the configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Bytes of each request and response body kept; longer bodies are cut and marked as
    /// truncated.
    pub max_body_bytes: usize,
    /// Longest accepted request path, in bytes, without the query string.
    pub max_path_bytes: usize,
    /// Most path segments accepted in one request path.
    pub max_path_segments: usize,
    /// Most headers accepted on one request or response.
    pub max_headers: usize,
    /// Most query parameters accepted on one request.
    pub max_query_params: usize,
    /// Deepest JSON nesting walked when learning fields; deeper values are skipped.
    pub max_json_depth: usize,
    /// Most fields learned from one body; the rest of the body is skipped.
    pub max_fields_per_body: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024,
            max_path_bytes: 8 * 1024,
            max_path_segments: 64,
            max_headers: 256,
            max_query_params: 256,
            max_json_depth: 32,
            max_fields_per_body: 1000,
        }
    }
}
