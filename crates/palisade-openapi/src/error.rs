//! Errors of reading a description. Each names the JSON pointer of the problem.

use thiserror::Error;

/// Why a description could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ImportError {
    #[error("cannot read {path}: {message}")]
    Io { path: String, message: String },
    #[error("description of {bytes} bytes is larger than the limit of {max} bytes (max_spec_bytes)")]
    TooLarge { bytes: usize, max: usize },
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    InvalidJson { line: usize, column: usize, message: String },
    #[error("invalid YAML: {message}")]
    InvalidYaml { message: String },
    #[error(
        "not an OpenAPI description: expected `openapi: 3.0.x`, `openapi: 3.1.x` or `swagger: \"2.0\"` at {pointer}, found {found}"
    )]
    UnknownVersion { pointer: String, found: String },
    #[error("invalid description at {pointer}: {message}")]
    Invalid { pointer: String, message: String },
    #[error(
        "unsupported reference {reference:?} at {pointer}: only local references such as \
         #/components/schemas/Name are followed; bundle external files into one description first"
    )]
    ExternalRef { pointer: String, reference: String },
    #[error("reference {reference:?} at {pointer} points to nothing in this description")]
    DanglingRef { pointer: String, reference: String },
    #[error("reference {reference:?} at {pointer} is part of a cycle of references that never reaches a value")]
    RefCycle { pointer: String, reference: String },
    #[error("reference chain at {pointer} is longer than the limit of {max} (max_ref_depth)")]
    RefTooDeep { pointer: String, max: usize },
    #[error("description has more than {max} operations (max_operations)")]
    TooManyOperations { max: usize },
}

impl ImportError {
    /// JSON pointer of the problem in the description, when the error has one.
    pub fn pointer(&self) -> Option<&str> {
        match self {
            ImportError::UnknownVersion { pointer, .. }
            | ImportError::Invalid { pointer, .. }
            | ImportError::ExternalRef { pointer, .. }
            | ImportError::DanglingRef { pointer, .. }
            | ImportError::RefCycle { pointer, .. }
            | ImportError::RefTooDeep { pointer, .. } => Some(pointer),
            _ => None,
        }
    }

    pub(crate) fn invalid(pointer: &str, message: impl Into<String>) -> Self {
        ImportError::Invalid { pointer: display_pointer(pointer), message: message.into() }
    }
}

/// The empty pointer names the whole document; messages show it as `/` so it is visible.
pub(crate) fn display_pointer(pointer: &str) -> String {
    if pointer.is_empty() { "/".to_string() } else { pointer.to_string() }
}
