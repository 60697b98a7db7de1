//! Endpoint discovery: from concrete request paths to path templates with evidence.
//!
//! Two steps. [`tree::HostTree`] maps each request to a raw endpoint, replacing segments
//! with an identifier shape (see [`shape`]) by that shape. [`templates::derive_endpoints`]
//! then reads all raw endpoints of a host and decides which word-like positions are
//! parameters by their cardinality or a closed vocabulary (see [`vocabulary`]), and names every parameter (see [`naming`]).

pub mod naming;
pub mod shape;
pub mod templates;
pub mod tree;
pub mod vocabulary;

pub use shape::classify_segment;
