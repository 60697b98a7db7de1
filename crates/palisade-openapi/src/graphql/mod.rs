//! GraphQL operations in request bodies, for an inventory per operation.
//!
//! A small hand-written lexer and parser for executable documents (operations and
//! fragments, October 2021 edition of the GraphQL specification). Written here rather than
//! taken from a crate because only the operation's kind, name, variables and top-level
//! fields are needed, and the parsers on crates.io build a full typed AST with more
//! dependencies. Every input is bounded: document size, tokens, nesting and batch size.

mod lexer;
mod parser;

use serde::Serialize;
use serde_json::Value;
use thiserror::Error;

pub use parser::parse_document;

/// Bounds on one request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphqlLimits {
    /// Maximum document size read, in bytes.
    pub max_document_bytes: usize,
    /// Maximum number of tokens read from one document.
    pub max_tokens: usize,
    /// Maximum nesting depth of selection sets, lists and input objects.
    pub max_depth: usize,
    /// Maximum number of requests in one batched array.
    pub max_batch: usize,
}

impl Default for GraphqlLimits {
    fn default() -> Self {
        Self { max_document_bytes: 1024 * 1024, max_tokens: 100_000, max_depth: 64, max_batch: 100 }
    }
}

/// `query`, `mutation` or `subscription`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OperationKind {
    Query,
    Mutation,
    Subscription,
}

impl OperationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OperationKind::Query => "query",
            OperationKind::Mutation => "mutation",
            OperationKind::Subscription => "subscription",
        }
    }
}

/// A field selected at the top level of an operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopField {
    pub name: String,
    pub alias: Option<String>,
    /// Names of the arguments passed to the field, in the order written.
    pub arguments: Vec<String>,
}

/// One operation of a GraphQL request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GraphqlOperation {
    pub kind: OperationKind,
    pub name: Option<String>,
    /// The operation's arguments: its declared variables, without `$`.
    pub arguments: Vec<String>,
    /// Fields selected at the top level, with fragments spread in.
    pub fields: Vec<TopField>,
    /// True when the operation selects `__schema` or `__type` anywhere.
    pub introspection: bool,
}

impl GraphqlOperation {
    /// Returns a stable name for the inventory: `query GetUser`, or for an anonymous
    /// operation its sorted top-level fields, `query {posts,user}`.
    pub fn inventory_name(&self) -> String {
        match &self.name {
            Some(name) => format!("{} {name}", self.kind.as_str()),
            None => {
                let mut fields: Vec<&str> = self.fields.iter().map(|f| f.name.as_str()).collect();
                fields.sort_unstable();
                fields.dedup();
                format!("{} {{{}}}", self.kind.as_str(), fields.join(","))
            }
        }
    }
}

/// Reason a body is not a GraphQL request.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GraphqlError {
    #[error("invalid GraphQL at line {line}, column {column}: {message}")]
    Syntax { line: usize, column: usize, message: String },
    #[error("GraphQL document of {bytes} bytes is larger than the limit of {max} (max_document_bytes)")]
    TooLarge { bytes: usize, max: usize },
    #[error("GraphQL document has more than {max} tokens (max_tokens)")]
    TooManyTokens { max: usize },
    #[error("GraphQL document nests deeper than {max} (max_depth)")]
    TooDeep { max: usize },
    #[error("batch of {count} requests is larger than the limit of {max} (max_batch)")]
    BatchTooLarge { count: usize, max: usize },
    #[error("invalid GraphQL request: {0}")]
    Request(String),
    #[error("request {index} of the batch: {source}")]
    InBatch {
        index: usize,
        #[source]
        source: Box<GraphqlError>,
    },
}

/// Reads the operations a request body runs, with default limits. The body is JSON
/// (`{"query": ..., "variables": ..., "operationName": ...}` or an array of those for a
/// batch) or a bare GraphQL document (`application/graphql`). When a request names its
/// operation, only that operation is returned. Otherwise every operation of its document
/// is returned.
pub fn graphql_operations(body: &str) -> Result<Vec<GraphqlOperation>, GraphqlError> {
    graphql_operations_with(body, &GraphqlLimits::default())
}

/// Reads the operations a request body runs, like [`graphql_operations`] but with explicit
/// limits.
pub fn graphql_operations_with(body: &str, limits: &GraphqlLimits) -> Result<Vec<GraphqlOperation>, GraphqlError> {
    let trimmed = body.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        if let Ok(json) = serde_json::from_str::<Value>(trimmed) {
            return from_json(&json, limits);
        }
        // `{ user { id } }` is a document written in shorthand, not JSON.
        if trimmed.starts_with('[') {
            return Err(GraphqlError::Request("body starts like a JSON batch but is not valid JSON".into()));
        }
    }
    parse_document(trimmed, limits)
}

fn from_json(json: &Value, limits: &GraphqlLimits) -> Result<Vec<GraphqlOperation>, GraphqlError> {
    match json {
        Value::Array(requests) => {
            if requests.len() > limits.max_batch {
                return Err(GraphqlError::BatchTooLarge { count: requests.len(), max: limits.max_batch });
            }
            let mut operations = Vec::new();
            for (index, request) in requests.iter().enumerate() {
                let found = one_request(request, limits)
                    .map_err(|source| GraphqlError::InBatch { index, source: Box::new(source) })?;
                operations.extend(found);
            }
            Ok(operations)
        }
        _ => one_request(json, limits),
    }
}

fn one_request(request: &Value, limits: &GraphqlLimits) -> Result<Vec<GraphqlOperation>, GraphqlError> {
    let Some(object) = request.as_object() else {
        return Err(GraphqlError::Request("expected an object with a `query` string".into()));
    };
    let Some(query) = object.get("query").and_then(Value::as_str) else {
        return Err(GraphqlError::Request("missing `query` string".into()));
    };
    let operations = parse_document(query, limits)?;
    match object.get("operationName").and_then(Value::as_str) {
        Some(name) => {
            let chosen: Vec<GraphqlOperation> =
                operations.into_iter().filter(|op| op.name.as_deref() == Some(name)).collect();
            if chosen.is_empty() {
                return Err(GraphqlError::Request(format!("operationName {name:?} is not in the document")));
            }
            Ok(chosen)
        }
        None => Ok(operations),
    }
}

#[cfg(test)]
mod tests;
