//! Limits of import and validation. Every bound on work or memory is one of these
//! settings.

use serde::{Deserialize, Serialize};

/// Limits applied while reading a description and while validating traffic against it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImportSettings {
    /// Largest description accepted, in bytes of JSON or YAML text. Larger input is
    /// rejected before parsing.
    pub max_spec_bytes: usize,
    /// Longest chain of `$ref`s followed to reach one value, and the most schemas applied
    /// to one value through `$ref`, `allOf`, `anyOf`, `oneOf` or `not` without descending
    /// into it. The second bound ends schemas such as `A: {allOf: [{$ref: A}]}` that
    /// would otherwise recurse forever.
    pub max_ref_depth: usize,
    /// Most YAML parser events (scalars, mapping and sequence starts) read from one
    /// description. The 4 MB Stripe description needs a few million.
    pub max_yaml_events: usize,
    /// Most operations read from one description.
    pub max_operations: usize,
    /// Most URLs one `servers` entry expands to when its variables list `enum` values.
    pub max_server_variants: usize,
    /// Most violations reported for one trace; the rest are counted in
    /// [`crate::drift::Violation`]'s last message.
    pub max_violations_per_trace: usize,
    /// Longest `pattern` compiled, in bytes; longer patterns are not checked.
    pub max_pattern_bytes: usize,
    /// Compiled size limit of one `pattern` regex, in bytes.
    pub max_regex_bytes: usize,
    /// Deepest JSON value validated; deeper parts of a body are not checked.
    pub max_value_depth: usize,
}

impl Default for ImportSettings {
    fn default() -> Self {
        Self {
            max_spec_bytes: 50 * 1024 * 1024,
            max_ref_depth: 32,
            max_yaml_events: 100_000_000,
            max_operations: 100_000,
            max_server_variants: 64,
            max_violations_per_trace: 32,
            max_pattern_bytes: 1024,
            max_regex_bytes: 1 << 20,
            max_value_depth: 64,
        }
    }
}
