//! Errors in test files, shown like compiler errors: the file, line and column, the
//! source line with a caret under the problem, and a hint such as "did you mean".

use std::fmt;

use crate::parse::node::Position;

/// A problem in a test file, found before anything runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file name as given on the command line.
    pub file: String,
    pub position: Position,
    /// Description of the problem, lowercase without a trailing period.
    pub message: String,
    /// What to do about it, such as "did you mean `headers`?".
    pub hint: Option<String>,
    /// The source line at `position`, without its line break.
    pub source_line: Option<String>,
    /// Characters the caret underlines, at least 1.
    pub width: usize,
}

impl Diagnostic {
    pub fn new(file: &str, source: &str, position: Position, message: impl Into<String>) -> Self {
        let source_line = if position.line == 0 {
            None
        } else {
            source.lines().nth(position.line as usize - 1).map(|l| l.trim_end_matches('\r').to_string())
        };
        Self { file: file.to_string(), position, message: message.into(), hint: None, source_line, width: 1 }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_width(mut self, width: usize) -> Self {
        self.width = width.max(1);
        self
    }

    /// Renders the diagnostic as several lines of plain text:
    ///
    /// ```text
    /// error: unknown key `header` in request
    ///   --> tests/login.yaml:6:7
    ///    |
    ///  6 |       header:
    ///    |       ^^^^^^ did you mean `headers`?
    /// ```
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!("error: {}\n", self.message));
        out.push_str(&format!("  --> {}:{}:{}\n", self.file, self.position.line, self.position.column));
        if let Some(line) = &self.source_line {
            let number = self.position.line.to_string();
            let gutter = " ".repeat(number.len());
            out.push_str(&format!(" {gutter} |\n"));
            out.push_str(&format!(" {number} | {line}\n"));

            // The column counts characters, so the caret is placed by characters too; tabs
            // are kept so the caret lines up under a tab-indented line.
            let prefix: String = line
                .chars()
                .take(self.position.column.saturating_sub(1) as usize)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            let caret = "^".repeat(self.width);
            match &self.hint {
                Some(hint) => out.push_str(&format!(" {gutter} | {prefix}{caret} {hint}\n")),
                None => out.push_str(&format!(" {gutter} | {prefix}{caret}\n")),
            }
        } else if let Some(hint) = &self.hint {
            out.push_str(&format!("  = {hint}\n"));
        }
        out
    }
}

impl fmt::Display for Diagnostic {
    /// Writes one line: `FILE:LINE:COLUMN: MESSAGE (HINT)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.position.line, self.position.column, self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}

/// Returns the candidate closest to `input` when it is close enough to be a likely typo:
/// at most a third of the input's length in edits, compared without case.
pub fn did_you_mean<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = input.to_ascii_lowercase();
    let max_distance = (input.chars().count() / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        let distance = edit_distance(&lower, &candidate.to_ascii_lowercase());
        if distance <= max_distance && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// Levenshtein distance in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_edits() {
        let cases = [("", "", 0), ("abc", "abc", 0), ("header", "headers", 1), ("kitten", "sitting", 3), ("", "ab", 2)];
        for (a, b, expected) in cases {
            assert_eq!(edit_distance(a, b), expected, "{a} -> {b}");
        }
    }

    #[test]
    fn did_you_mean_finds_close_names() {
        let keys = ["method", "url", "headers", "query", "form", "data", "graphql"];
        assert_eq!(did_you_mean("header", keys), Some("headers"));
        assert_eq!(did_you_mean("URL", keys), Some("url"));
        assert_eq!(did_you_mean("metod", keys), Some("method"));
        assert_eq!(did_you_mean("body", keys), None);
        assert_eq!(did_you_mean("REGEX", ["EQ", "REGEXP", "JS"]), Some("REGEXP"));
    }

    #[test]
    fn render_puts_caret_under_column() {
        let source = "id: x\ntest:\n  - request:\n      header: []\n";
        let diagnostic = Diagnostic::new("t.yaml", source, Position { line: 4, column: 7 }, "unknown key `header`")
            .with_hint("did you mean `headers`?")
            .with_width(6);
        let expected = "error: unknown key `header`\n  --> t.yaml:4:7\n   |\n 4 |       header: []\n   |       ^^^^^^ did you mean `headers`?\n";
        assert_eq!(diagnostic.render(), expected);
        assert_eq!(diagnostic.to_string(), "t.yaml:4:7: unknown key `header` (did you mean `headers`?)");
    }
}
