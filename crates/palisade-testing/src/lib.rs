//! Palisade's YAML security tests, in Metlo's format: parsing with positioned
//! diagnostics, Handlebars templating, running against a live API with assertions and
//! extractors in JavaScript, payload fan-out, reports (pretty, JSON, JUnit, SARIF) and
//! templates that generate tests from the inventory.

pub mod assertion;
pub mod callback;
pub mod diagnostic;
pub mod extract;
pub mod generate;
pub mod http;
pub mod js;
pub mod jwt;
pub mod model;
pub mod parse;
pub mod path;
pub mod payloads;
pub mod report;
pub mod response;
pub mod result;
pub mod run;
pub mod schema;
pub mod template;
pub mod templates;

pub use diagnostic::Diagnostic;
pub use model::TestFile;
pub use parse::{ParseError, ParsedTest, parse_file, parse_str};
pub use result::{RunReport, TestResult, TestStatus};
pub use run::{RunSettings, Runner};
