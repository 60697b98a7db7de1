//! OpenAPI for Palisade: export a description of a host from the inventory, import
//! descriptions (Swagger 2.0, OpenAPI 3.0 and 3.1, JSON or YAML), match traffic to their
//! operations, report drift between traffic and a description, compare two descriptions,
//! and name GraphQL operations.
//!
//! The pieces and who calls them:
//! - [`import::import`] and [`import::import_file`] read a description into an
//!   [`ApiSpec`]; [`ApiSpec::match_operation`] finds the operation of a request.
//! - [`drift::validate`] checks one trace against its operation.
//! - [`reconcile::reconcile`] sorts inventory endpoints and documented operations into
//!   shadow, zombie and unused.
//! - [`export::export`] writes an OpenAPI 3.1 description of one host from inventory data.
//! - [`diff::diff`] lists breaking and non-breaking changes between two descriptions.
//! - `stored` (feature `store`) keeps descriptions in the store, exports a host from the
//!   store, reconciles a stored description with the inventory and finds the operation
//!   that covers an endpoint.
//! - [`graphql::graphql_operations`] reads the operations of a GraphQL request body.
//! - [`synth`] generates conforming traffic and [`accuracy`] scores a reconstructed
//!   description against the original, for benchmarks and evaluations.

pub mod accuracy;
pub mod diff;
pub mod document;
pub mod drift;
pub mod error;
pub mod export;
pub mod graphql;
pub mod import;
pub mod model;
pub mod pointer;
pub mod reconcile;
mod router;
pub mod schema;
pub mod settings;
#[cfg(feature = "store")]
pub mod stored;
pub mod synth;

pub use document::{Dialect, Document};
pub use drift::{Violation, ViolationKind, validate};
pub use error::ImportError;
pub use export::{ClassObservation, EndpointExport, ExportSettings, export, export_with};
pub use graphql::{GraphqlError, GraphqlOperation, OperationKind, graphql_operations};
pub use import::{SourceFormat, import, import_file};
pub use model::{
    ApiSpec, MediaSchema, Operation, ParamLocation, ParamStyle, Parameter, RequestBody, ResponseSpec, SchemaRef,
};
pub use settings::ImportSettings;
