//! GraphQL documents: the string literals in arguments are where user input sits. Names,
//! selections and numbers are schema structure and are not reported.

/// One string literal with the name of the argument or variable default it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Literal {
    /// Argument name such as `filter`, or empty when none precedes the literal.
    pub argument: String,
    pub value: String,
}

/// Returns the string literals of a GraphQL document, at most `max_literals` of them, and
/// whether some were left out.
pub fn string_literals(document: &str, max_literals: usize) -> (Vec<Literal>, bool) {
    let bytes = document.as_bytes();
    let mut literals = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                i = bytes[i..].iter().position(|&b| b == b'\n').map(|p| i + p).unwrap_or(bytes.len());
            }
            b'"' => {
                if literals.len() == max_literals {
                    return (literals, true);
                }
                let argument = argument_before(document, i);
                let (value, end) = if bytes[i..].starts_with(b"\"\"\"") {
                    let body_start = i + 3;
                    let end = document[body_start..].find("\"\"\"").map(|p| body_start + p).unwrap_or(bytes.len());
                    (document[body_start..end].to_string(), (end + 3).min(bytes.len()))
                } else {
                    read_string(document, i + 1)
                };
                literals.push(Literal { argument, value });
                i = end;
            }
            _ => i += 1,
        }
    }
    (literals, false)
}

/// Reads a `"..."` string whose content starts at `start`, decoding escapes; returns the
/// value and the position after the closing quote.
fn read_string(document: &str, start: usize) -> (String, usize) {
    let mut value = String::new();
    let mut chars = document[start..].char_indices();
    while let Some((offset, c)) = chars.next() {
        match c {
            '"' => return (value, start + offset + 1),
            '\\' => match chars.next() {
                Some((_, 'n')) => value.push('\n'),
                Some((_, 'r')) => value.push('\r'),
                Some((_, 't')) => value.push('\t'),
                Some((_, 'u')) => {
                    let hex: String = chars.by_ref().take(4).map(|(_, c)| c).collect();
                    if let Some(decoded) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                        value.push(decoded);
                    }
                }
                Some((_, other)) => value.push(other),
                None => break,
            },
            '\n' => return (value, start + offset),
            c => value.push(c),
        }
    }
    (value, document.len())
}

/// The `name` of a `name: "literal"` argument ending just before `quote`.
fn argument_before(document: &str, quote: usize) -> String {
    let before = document[..quote].trim_end();
    let Some(before) = before.strip_suffix(':') else { return String::new() };
    let before = before.trim_end();
    let start = before.rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map(|p| p + 1).unwrap_or(0);
    before[start..].to_string()
}

/// True when `text` looks like a GraphQL document rather than ordinary text.
pub fn looks_like_document(text: &str) -> bool {
    let trimmed = text.trim_start();
    let starts_document = trimmed.starts_with('{')
        || ["query", "mutation", "subscription", "fragment"].iter().any(|keyword| trimmed.starts_with(keyword));
    starts_document && trimmed.contains('{') && trimmed.contains('}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_with_argument_names() {
        let document = r#"query { user(name: "O'Brien\" x", id: 3) { posts(filter: """a
b""") { title } } } # "comment""#;
        let (literals, cut) = string_literals(document, 10);
        assert!(!cut);
        assert_eq!(
            literals,
            vec![
                Literal { argument: "name".into(), value: "O'Brien\" x".into() },
                Literal { argument: "filter".into(), value: "a\nb".into() },
            ]
        );
    }

    #[test]
    fn document_detection() {
        assert!(looks_like_document("query Q { a }"));
        assert!(looks_like_document("{ users { id } }"));
        assert!(!looks_like_document("hello world"));
    }
}
