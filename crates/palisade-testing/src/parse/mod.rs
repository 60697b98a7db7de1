//! Reading test files: YAML text to a [`TestFile`] with the position of every step,
//! assertion and extractor, or a list of [`Diagnostic`]s naming what is wrong and where.

mod convert;
pub mod node;

use std::path::Path;

use crate::diagnostic::Diagnostic;
use crate::model::TestFile;
use node::{Node, Position};

/// Largest test file read, in bytes. A test file is hand-written or generated text; a
/// larger one is almost certainly the wrong file.
pub const MAX_TEST_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// A parsed test with where its parts are in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedTest {
    /// The file name as given, used in reports and diagnostics.
    pub file: String,
    pub test: TestFile,
    pub positions: TestPositions,
}

/// Positions of the parts of a test, for reports that point into the file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TestPositions {
    pub id: Position,
    pub steps: Vec<StepPositions>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepPositions {
    pub step: Position,
    pub url: Position,
    pub assertions: Vec<Position>,
    pub extractors: Vec<Position>,
}

/// An error reading a test file.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} has {size} bytes, more than the limit of {max} (MAX_TEST_FILE_BYTES)")]
    TooLarge { path: String, size: u64, max: u64 },
    #[error("{}", render_all(.0))]
    Invalid(Vec<Diagnostic>),
}

impl ParseError {
    /// Returns the diagnostics of an invalid file, empty for read errors.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            ParseError::Invalid(diagnostics) => diagnostics,
            _ => &[],
        }
    }
}

fn render_all(diagnostics: &[Diagnostic]) -> String {
    diagnostics.iter().map(Diagnostic::to_string).collect::<Vec<_>>().join("\n")
}

/// Reads and parses a test file.
pub fn parse_file(path: &Path) -> Result<ParsedTest, ParseError> {
    let display = path.display().to_string();
    let metadata = std::fs::metadata(path).map_err(|source| ParseError::Read { path: display.clone(), source })?;
    if metadata.len() > MAX_TEST_FILE_BYTES {
        return Err(ParseError::TooLarge { path: display, size: metadata.len(), max: MAX_TEST_FILE_BYTES });
    }
    let text = std::fs::read_to_string(path).map_err(|source| ParseError::Read { path: display.clone(), source })?;
    parse_str(&text, &display)
}

/// Parses test file text; `file` names it in diagnostics.
pub fn parse_str(text: &str, file: &str) -> Result<ParsedTest, ParseError> {
    let node = parse_yaml(text, file).map_err(|d| ParseError::Invalid(vec![d]))?;
    convert::convert(node, text, file)
}

/// Parses YAML text into a tree of positioned nodes.
pub fn parse_yaml(text: &str, file: &str) -> Result<Node, Diagnostic> {
    if text.trim().is_empty() {
        return Err(Diagnostic::new(file, text, Position { line: 1, column: 1 }, "empty test file")
            .with_hint("a test needs at least `id` and `test`"));
    }
    // YAML 1.2 booleans only (`true` and `false`), as Metlo's YAML reader has them: under
    // YAML 1.1 rules `y` and `no` would become booleans.
    let options = serde_saphyr::options! { with_snippet: false, strict_booleans: true };
    serde_saphyr::from_str_with_options::<Node>(text, options).map_err(|error| yaml_diagnostic(&error, text, file))
}

fn yaml_diagnostic(error: &serde_saphyr::Error, text: &str, file: &str) -> Diagnostic {
    let position = error
        .location()
        .map(|l| Position { line: l.line() as u32, column: l.column() as u32 })
        .unwrap_or(Position { line: 1, column: 1 });
    let message = error.without_snippet().to_string();
    Diagnostic::new(file, text, position, format!("invalid YAML: {}", clean_yaml_message(&message)))
}

/// Shortens the YAML library's message to its first line without the position, which the
/// diagnostic shows itself.
fn clean_yaml_message(message: &str) -> String {
    let first = message.lines().next().unwrap_or(message).trim();
    let without_position = match first.find(" at line ") {
        Some(index) => &first[..index],
        None => first,
    };
    let trimmed = without_position.trim_end_matches('.');
    let mut chars = trimmed.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}
