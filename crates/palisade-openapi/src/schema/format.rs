//! Checks for the string `format`s that drift validation enforces. Other formats are
//! annotations and always pass.

use std::net::{Ipv4Addr, Ipv6Addr};

/// Result of checking a string against a format.
pub(crate) fn check(format: &str, text: &str) -> bool {
    match format {
        "date-time" => is_date_time(text),
        "date" => is_date(text),
        "email" => is_email(text),
        "uuid" => is_uuid(text),
        "uri" => is_uri(text),
        "ipv4" => text.parse::<Ipv4Addr>().is_ok(),
        "ipv6" => text.parse::<Ipv6Addr>().is_ok(),
        _ => true,
    }
}

/// Checks an RFC 3339 `full-date` such as `2024-02-29`, with the day checked against the
/// month.
fn is_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    let (Some(year), Some(month), Some(day)) = (digits(&text[0..4]), digits(&text[5..7]), digits(&text[8..10])) else {
        return false;
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// Checks an RFC 3339 `date-time` such as `2024-01-31T23:59:60.123+02:00`. Lower-case `t`
/// and `z` and a space between date and time are accepted, as RFC 3339 section 5.6 allows.
fn is_date_time(text: &str) -> bool {
    if text.len() < 20 || !text.is_char_boundary(10) || !is_date(&text[..10]) {
        return false;
    }
    if !matches!(text.as_bytes()[10], b'T' | b't' | b' ') {
        return false;
    }
    let time = &text[11..];
    if time.len() < 9 || !time.is_char_boundary(8) {
        return false;
    }
    let clock = &time[..8];
    let clock_bytes = clock.as_bytes();
    if clock_bytes[2] != b':' || clock_bytes[5] != b':' {
        return false;
    }
    let (Some(hour), Some(minute), Some(second)) = (digits(&clock[0..2]), digits(&clock[3..5]), digits(&clock[6..8]))
    else {
        return false;
    };
    if hour > 23 || minute > 59 || second > 60 {
        return false;
    }
    let mut rest = &time[8..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let end = fraction.find(|c: char| !c.is_ascii_digit()).unwrap_or(fraction.len());
        if end == 0 {
            return false;
        }
        rest = &fraction[end..];
    }
    if rest.eq_ignore_ascii_case("z") {
        return true;
    }
    let offset = rest.as_bytes();
    if offset.len() != 6 || !matches!(offset[0], b'+' | b'-') || offset[3] != b':' {
        return false;
    }
    matches!((digits(&rest[1..3]), digits(&rest[4..6])), (Some(h), Some(m)) if h <= 23 && m <= 59)
}

fn digits(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Checks an email address pragmatically: one `@`, a non-empty local part without
/// spaces, and a domain of dot-separated labels of letters, digits and `-`.
fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    if local.is_empty() || local.len() > 64 || local.contains(['@', ' ', '\t']) {
        return false;
    }
    !domain.is_empty()
        && domain.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b >= 0x80)
        })
}

/// `8-4-4-4-12` hexadecimal digits.
fn is_uuid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// Checks an absolute URI (RFC 3986): a scheme of a letter followed by letters, digits,
/// `+`, `-` or `.`, then `:`, and no spaces or control characters.
fn is_uri(text: &str) -> bool {
    let Some((scheme, _)) = text.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    let scheme_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    scheme_ok && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_accept_and_reject() {
        let cases = [
            ("date-time", "2024-01-31T23:59:59Z", true),
            ("date-time", "2024-01-31T23:59:60.123+02:00", true),
            ("date-time", "2024-01-31 10:00:00z", true),
            ("date-time", "2024-02-30T10:00:00Z", false),
            ("date-time", "2024-01-31T24:00:00Z", false),
            ("date-time", "2024-01-31", false),
            ("date-time", "2024-01-31T10:00:00", false),
            ("date", "2024-02-29", true),
            ("date", "2023-02-29", false),
            ("email", "ada@example.com", true),
            ("email", "ada@localhost", true),
            ("email", "ada.example.com", false),
            ("email", "ada@exa_mple.com", false),
            ("email", "[email]", false),
            ("uuid", "3f0c1f9e-6b1d-4c4e-9a59-0c3f3a1e2b7d", true),
            ("uuid", "3f0c1f9e6b1d4c4e9a590c3f3a1e2b7d", false),
            ("uri", "https://example.com/a?b=c", true),
            ("uri", "urn:isbn:0451450523", true),
            ("uri", "/relative/path", false),
            ("uri", "https://exa mple.com", false),
            ("ipv4", "192.0.2.1", true),
            ("ipv4", "256.0.0.1", false),
            ("ipv6", "2001:db8::1", true),
            ("ipv6", "2001:db8::g", false),
            ("made-up", "anything", true),
        ];
        for (format, text, expected) in cases {
            assert_eq!(check(format, text), expected, "{format} {text:?}");
        }
    }
}
