//! Domain types shared by every Palisade stage: traces, hosts, path templates, data fields
//! and the limits that bound them. This crate performs no I/O.

pub mod access;
pub mod actor;
pub mod alert;
pub mod auth;
pub mod error;
pub mod field;
pub mod finding;
pub mod host;
pub mod inventory;
pub mod json_key;
pub mod limits;
pub mod path;
pub mod severity;
pub mod sketch;
pub mod template;
pub mod timestamp;
pub mod trace;
pub mod yaml;

pub use field::{DataField, FieldType, Section, StringFormat};
pub use limits::Limits;
pub use severity::Severity;
pub use template::{ParamEvidence, ParamRule, PathTemplate, TemplateSegment, ValueKind};
pub use trace::{
    AgentAnalysis, Body, Header, Peer, QueryParam, Request, Response, Trace, TraceError, TraceMeta, TraceSource,
};
