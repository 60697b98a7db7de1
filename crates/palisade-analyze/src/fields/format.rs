//! Inference of JSON Schema string formats and of scalar types for text values.

use std::net::{Ipv4Addr, Ipv6Addr};

use palisade_core::{FieldType, StringFormat};

/// Returns the format of a string value, checking the cheapest distinguishing character
/// first so most values cost a few comparisons.
pub fn string_format(value: &str) -> Option<StringFormat> {
    let bytes = value.as_bytes();
    let first = *bytes.first()?;
    if bytes.len() > 2048 {
        return None;
    }

    if first.is_ascii_digit() {
        if is_date(bytes) {
            if bytes.len() == 10 {
                return Some(StringFormat::Date);
            }
            return is_date_time(bytes).then_some(StringFormat::DateTime);
        }
        if bytes.len() == 36 && is_uuid(bytes) {
            return Some(StringFormat::Uuid);
        }
        // The character check fails fast on most values, and the parser accepts no other
        // characters.
        if bytes.len() <= 15
            && bytes.iter().all(|b| b.is_ascii_digit() || *b == b'.')
            && value.parse::<Ipv4Addr>().is_ok()
        {
            return Some(StringFormat::Ipv4);
        }
    }
    if bytes.len() == 36 && is_uuid(bytes) {
        return Some(StringFormat::Uuid);
    }
    // IPv6 text holds only hex digits, `:` and the dots of an embedded IPv4 address, so
    // most values fail the character check on their first character and are not parsed.
    // A URI fails it on `/`.
    if bytes.iter().all(|b| b.is_ascii_hexdigit() || *b == b':' || *b == b'.')
        && bytes.contains(&b':')
        && value.parse::<Ipv6Addr>().is_ok()
    {
        return Some(StringFormat::Ipv6);
    }
    // `find` scans a word at a time; most values hold no `@`, so this runs to their end.
    if let Some(at) = value.find('@')
        && is_email(bytes, at)
    {
        return Some(StringFormat::Email);
    }
    if is_uri(bytes) {
        return Some(StringFormat::Uri);
    }
    None
}

/// Infers the type of a value that arrives as text (query parameters, form fields,
/// headers): integers, decimal numbers and `true`/`false` are typed, the rest are strings.
pub fn scalar_type(value: &str) -> FieldType {
    let bytes = value.as_bytes();
    if bytes.is_empty() {
        return FieldType::String;
    }
    let digits = bytes.strip_prefix(b"-").unwrap_or(bytes);
    // Leading zeros (`007`, zip codes) mean an identifier kept as text.
    let leading_zero = digits.len() > 1 && digits[0] == b'0';
    if !digits.is_empty() && digits.len() <= 18 && digits.iter().all(u8::is_ascii_digit) && !leading_zero {
        return FieldType::Integer;
    }
    if value == "true" || value == "false" {
        return FieldType::Boolean;
    }
    // The cheap checks come first, because most text values fail on the first character.
    let is_decimal = digits.first().is_some_and(u8::is_ascii_digit)
        && digits.last().is_some_and(u8::is_ascii_digit)
        && digits.iter().all(|b| b.is_ascii_digit() || *b == b'.')
        && digits.iter().filter(|b| **b == b'.').count() == 1;
    if is_decimal && !leading_zero_integer_part(digits) {
        return FieldType::Number;
    }
    FieldType::String
}

fn leading_zero_integer_part(digits: &[u8]) -> bool {
    digits.len() > 1 && digits[0] == b'0' && digits[1] != b'.'
}

fn is_date(bytes: &[u8]) -> bool {
    bytes.len() >= 10
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[5..7].iter().all(u8::is_ascii_digit)
        && bytes[7] == b'-'
        && bytes[8..10].iter().all(u8::is_ascii_digit)
        && (1..=12).contains(&((bytes[5] - b'0') * 10 + (bytes[6] - b'0')))
        && (1..=31).contains(&((bytes[8] - b'0') * 10 + (bytes[9] - b'0')))
}

/// RFC 3339 date-time after a valid date: `THH:MM:SS`, optional fraction, then `Z` or an
/// offset.
fn is_date_time(bytes: &[u8]) -> bool {
    if bytes.len() < 20 || !matches!(bytes[10], b'T' | b't' | b' ') {
        return false;
    }
    let time = &bytes[11..];
    let two_digits = |at: usize| time.len() > at + 1 && time[at].is_ascii_digit() && time[at + 1].is_ascii_digit();
    if !(two_digits(0) && time[2] == b':' && two_digits(3) && time[5] == b':' && two_digits(6)) {
        return false;
    }
    let mut rest = &time[8..];
    if let Some(fraction) = rest.strip_prefix(b".") {
        let digits = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return false;
        }
        rest = &fraction[digits..];
    }
    match rest {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|b| b.is_ascii_digit()),
        _ => false,
    }
}

fn is_uuid(bytes: &[u8]) -> bool {
    bytes.iter().enumerate().all(|(i, b)| match i {
        8 | 13 | 18 | 23 => *b == b'-',
        _ => b.is_ascii_hexdigit(),
    })
}

fn is_email(bytes: &[u8], at: usize) -> bool {
    let (local, domain) = (&bytes[..at], &bytes[at + 1..]);
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local.iter().all(|b| b.is_ascii_alphanumeric() || is_email_local_symbol(*b));
    let dot = domain.iter().rposition(|b| *b == b'.');
    let domain_ok = domain.len() <= 253
        && dot.is_some_and(|d| d > 0 && domain.len() - d > 2)
        && domain.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'.' || *b == b'-')
        && !domain.starts_with(b".")
        && !domain.contains(&b'@');
    local_ok && domain_ok
}

/// True for the symbols, besides letters and digits, that the local part of an address
/// may contain.
fn is_email_local_symbol(b: u8) -> bool {
    matches!(
        b,
        b'!' | b'#'
            | b'$'
            | b'%'
            | b'&'
            | b'\''
            | b'*'
            | b'+'
            | b'-'
            | b'/'
            | b'='
            | b'?'
            | b'^'
            | b'_'
            | b'`'
            | b'{'
            | b'|'
            | b'}'
            | b'~'
            | b'.'
    )
}

/// Checks for an absolute URI: a scheme of letters, `://` and something after it.
fn is_uri(bytes: &[u8]) -> bool {
    let Some(colon) = bytes.iter().take(16).position(|b| *b == b':') else {
        return false;
    };
    colon > 0
        && bytes[0].is_ascii_alphabetic()
        && bytes[..colon].iter().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(b))
        && bytes[colon..].starts_with(b"://")
        && bytes.len() > colon + 3
        && !bytes.iter().any(|b| b.is_ascii_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_format_table() {
        let cases = [
            ("2024-06-24", Some(StringFormat::Date)),
            ("2024-06-24T07:35:56Z", Some(StringFormat::DateTime)),
            ("2024-06-24T07:35:56.522+05:30", Some(StringFormat::DateTime)),
            ("2024-06-24T07:35", None),
            ("2024-13-24", None),
            ("ada@example.com", Some(StringFormat::Email)),
            ("ada@localhost", None),
            ("@example.com", None),
            ("3f0c1f9e-6b1d-4c4e-9a59-0c3f3a1e2b7d", Some(StringFormat::Uuid)),
            ("https://example.com/x", Some(StringFormat::Uri)),
            ("mailto:ada@example.com", None),
            ("http://", None),
            ("10.0.0.1", Some(StringFormat::Ipv4)),
            ("999.0.0.1", None),
            ("2001:db8::1", Some(StringFormat::Ipv6)),
            ("12:30", None),
            ("hello", None),
            ("", None),
        ];
        for (value, expected) in cases {
            assert_eq!(string_format(value), expected, "{value}");
        }
    }

    #[test]
    fn scalar_type_table() {
        let cases = [
            ("42", FieldType::Integer),
            ("-7", FieldType::Integer),
            ("007", FieldType::String),
            ("0", FieldType::Integer),
            ("3.14", FieldType::Number),
            ("0.5", FieldType::Number),
            ("1.2.3", FieldType::String),
            ("true", FieldType::Boolean),
            ("True", FieldType::String),
            ("", FieldType::String),
            ("12345678901234567890", FieldType::String),
            ("abc", FieldType::String),
        ];
        for (value, expected) in cases {
            assert_eq!(scalar_type(value), expected, "{value:?}");
        }
    }
}
