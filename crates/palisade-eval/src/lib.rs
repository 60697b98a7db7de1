//! Measurements of Palisade against public data and synthetic traffic, for the `palisade
//! eval` and `palisade bench` commands.
//!
//! [`discovery`] measures path template discovery: it reads OpenAPI descriptions,
//! synthesises requests for every operation, runs them through the pipeline and compares
//! the discovered templates with the description's paths. [`corpus`] generates a mixed,
//! deterministic traffic corpus, and [`bench`] times the pipeline over it against a JSON
//! parsing floor measured in the same run.
//!
//! Nothing here is part of the product's data path; the crate only reads files that the
//! caller names and never opens a network connection.

pub mod bench;
pub mod corpus;
pub mod discovery;
