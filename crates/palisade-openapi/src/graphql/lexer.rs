//! Tokens of a GraphQL document. Whitespace, commas and comments are skipped.

use super::{GraphqlError, GraphqlLimits};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// One of `! $ & ( ) : = @ [ ] { | }`.
    Punct(u8),
    Spread,
    Name,
    Int,
    Float,
    String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Token<'a> {
    pub kind: Kind,
    pub text: &'a str,
    /// Byte offset in the document.
    pub offset: usize,
}

/// Splits `source` into tokens.
pub(super) fn tokenize<'a>(source: &'a str, limits: &GraphqlLimits) -> Result<Vec<Token<'a>>, GraphqlError> {
    if source.len() > limits.max_document_bytes {
        return Err(GraphqlError::TooLarge { bytes: source.len(), max: limits.max_document_bytes });
    }
    let bytes = source.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        match byte {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => i += 1,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'!' | b'$' | b'&' | b'(' | b')' | b':' | b'=' | b'@' | b'[' | b']' | b'{' | b'|' | b'}' => {
                tokens.push(Token { kind: Kind::Punct(byte), text: &source[i..i + 1], offset: i });
                i += 1;
            }
            b'.' => {
                if !source[i..].starts_with("...") {
                    return Err(syntax(source, i, "expected `...`"));
                }
                tokens.push(Token { kind: Kind::Spread, text: &source[i..i + 3], offset: i });
                i += 3;
            }
            b'"' => {
                let end = string_end(source, i)?;
                tokens.push(Token { kind: Kind::String, text: &source[i..end], offset: i });
                i = end;
            }
            b'-' | b'0'..=b'9' => {
                let (end, kind) = number_end(source, i)?;
                tokens.push(Token { kind, text: &source[i..end], offset: i });
                i = end;
            }
            b'_' | b'a'..=b'z' | b'A'..=b'Z' => {
                let start = i;
                while i < bytes.len() && (bytes[i] == b'_' || bytes[i].is_ascii_alphanumeric()) {
                    i += 1;
                }
                tokens.push(Token { kind: Kind::Name, text: &source[start..i], offset: start });
            }
            0xEF if source[i..].starts_with('\u{feff}') => i += 3,
            _ => {
                let c = source[i..].chars().next().unwrap_or('?');
                return Err(syntax(source, i, &format!("unexpected character {c:?}")));
            }
        }
        if tokens.len() > limits.max_tokens {
            return Err(GraphqlError::TooManyTokens { max: limits.max_tokens });
        }
    }
    Ok(tokens)
}

/// End offset of the string starting at `start`: `"..."` with escapes, or `"""..."""`.
fn string_end(source: &str, start: usize) -> Result<usize, GraphqlError> {
    let bytes = source.as_bytes();
    if source[start..].starts_with("\"\"\"") {
        let mut i = start + 3;
        while i < bytes.len() {
            if source[i..].starts_with("\\\"\"\"") {
                i += 4;
            } else if source[i..].starts_with("\"\"\"") {
                return Ok(i + 3);
            } else {
                i += 1;
            }
        }
        return Err(syntax(source, start, "unterminated block string"));
    }
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Ok(i + 1),
            b'\n' | b'\r' => return Err(syntax(source, start, "unterminated string")),
            _ => i += 1,
        }
    }
    Err(syntax(source, start, "unterminated string"))
}

fn number_end(source: &str, start: usize) -> Result<(usize, Kind), GraphqlError> {
    let bytes = source.as_bytes();
    let mut i = start;
    if bytes[i] == b'-' {
        i += 1;
    }
    let digits_start = i;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
    }
    if i == digits_start {
        return Err(syntax(source, start, "expected a digit after `-`"));
    }
    let mut kind = Kind::Int;
    if i < bytes.len() && bytes[i] == b'.' {
        kind = Kind::Float;
        i += 1;
        let fraction_start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == fraction_start {
            return Err(syntax(source, start, "expected a digit after `.`"));
        }
    }
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        kind = Kind::Float;
        i += 1;
        if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
            i += 1;
        }
        let exponent_start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == exponent_start {
            return Err(syntax(source, start, "expected a digit in the exponent"));
        }
    }
    if i < bytes.len() && (bytes[i] == b'_' || bytes[i].is_ascii_alphabetic() || bytes[i] == b'.') {
        return Err(syntax(source, start, "invalid number"));
    }
    Ok((i, kind))
}

/// A syntax error at byte `offset`, with a 1-based line and column (in characters).
pub(super) fn syntax(source: &str, offset: usize, message: &str) -> GraphqlError {
    let offset = offset.min(source.len());
    let before = &source[..source.floor_char_boundary(offset)];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    GraphqlError::Syntax { line, column, message: message.to_string() }
}
