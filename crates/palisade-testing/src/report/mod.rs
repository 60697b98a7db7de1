//! Reports of a run: a human-readable summary and the JSON, JUnit XML and SARIF 2.1.0
//! files that CI systems read.

mod junit;
mod pretty;
mod sarif;

use crate::result::RunReport;

pub use junit::junit;
pub use pretty::pretty;
pub use sarif::sarif;

/// Output formats of `palisade test run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Pretty,
    Json,
    Junit,
    Sarif,
}

impl Format {
    /// Returns the file name used under `--report-dir`.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Pretty => "report.txt",
            Format::Json => "report.json",
            Format::Junit => "junit.xml",
            Format::Sarif => "results.sarif",
        }
    }
}

/// Renders a report in `format`.
pub fn render(report: &RunReport, format: Format) -> String {
    match format {
        Format::Pretty => pretty(report),
        Format::Json => json(report),
        Format::Junit => junit(report),
        Format::Sarif => sarif(report),
    }
}

/// Renders the report as pretty-printed JSON.
pub fn json(report: &RunReport) -> String {
    // The result types hold only strings, numbers and lists, so this cannot fail.
    let mut text = serde_json::to_string_pretty(report).unwrap_or_default();
    text.push('\n');
    text
}

/// Seconds with three decimals, as JUnit writes times.
fn seconds(ms: f64) -> String {
    format!("{:.3}", ms / 1000.0)
}
