//! Small pieces of markup shared by pages: times, numbers, badges and pagination.

use maud::{Markup, html};
use palisade_core::Severity;
use palisade_core::timestamp::format_rfc3339;

/// Renders a time as `2026-12-04 10:00 UTC` inside `<time>` with the full RFC 3339 value.
pub fn time(ms: i64) -> Markup {
    let full = format_rfc3339(ms);
    html! { time datetime=(full) { (short_time(ms)) } }
}

/// `2026-12-04 10:00 UTC`.
pub fn short_time(ms: i64) -> String {
    let full = format_rfc3339(ms);
    match (full.get(..10), full.get(11..16)) {
        (Some(date), Some(clock)) => format!("{date} {clock} UTC"),
        _ => full,
    }
}

/// Formats an integer with thousands separators: `12,345`.
pub fn count(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// Renders a severity badge. The word is always shown, so colour is never the only signal.
pub fn severity(severity: Severity) -> Markup {
    html! { span class={ "badge sev-" (severity.as_str()) } { (severity.as_str()) } }
}

/// Name of the risk band of a score, as the overview groups them.
pub fn risk_band(score: u32) -> &'static str {
    match score {
        80.. => "critical",
        60..=79 => "high",
        40..=59 => "medium",
        1..=39 => "low",
        0 => "none",
    }
}

/// Renders a risk score badge with its band.
pub fn risk(score: u32) -> Markup {
    let band = risk_band(score);
    html! { span class={ "badge risk-" (band) } title={ "risk band: " (band) } { (score) } }
}

/// Renders an alert status badge.
pub fn status(status: &str) -> Markup {
    html! { span class={ "badge status-" (status) } { (status) } }
}

/// Renders an HTTP method in a fixed-width badge.
pub fn method(method: &str) -> Markup {
    html! { span class="method" { (method) } }
}

/// Human name of a field section.
pub fn section_name(section: &str) -> &'static str {
    match section {
        "request.path" => "Request path",
        "request.query" => "Request query",
        "request.header" => "Request headers",
        "request.body" => "Request body",
        "response.header" => "Response headers",
        "response.body" => "Response body",
        _ => "Other",
    }
}

/// Renders "Showing 51-100 of 10,000" with previous and next links that keep the other
/// query parameters. `base` is the path with every parameter but `offset` already encoded.
pub fn pagination(base: &str, offset: u32, shown: usize, total: u64, rows: u32) -> Markup {
    let separator = if base.contains('?') { '&' } else { '?' };
    let first = u64::from(offset) + 1;
    let last = u64::from(offset) + shown as u64;
    let previous = (offset > 0).then(|| offset.saturating_sub(rows));
    let next = (last < total).then_some(offset + rows);
    html! {
        nav class="pagination" aria-label="Pages" {
            p class="muted" {
                @if total == 0 { "Nothing to show" }
                @else { "Showing " (count(first)) "–" (count(last)) " of " (count(total)) }
            }
            @if let Some(previous) = previous {
                a class="button" rel="prev" href={ (base) (separator) "offset=" (previous) } { "Previous" }
            }
            @if let Some(next) = next {
                a class="button" rel="next" href={ (base) (separator) "offset=" (next) } { "Next" }
            }
        }
    }
}

/// Encodes query parameters, leaving out empty values.
pub fn query_string(pairs: &[(&str, Option<&str>)]) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            serializer.append_pair(name, value);
        }
    }
    serializer.finish()
}

/// Characters escaped in a path segment: all but the unreserved ones of RFC 3986, so an
/// id such as `no-admin_1.2` stays readable in the address bar.
const SEGMENT: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Percent-encodes one path segment, such as an actor id in `/actors/{id}`.
pub fn path_segment(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, SEGMENT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_get_separators() {
        let cases = [(0, "0"), (999, "999"), (1_000, "1,000"), (12_345, "12,345"), (1_234_567, "1,234,567")];
        for (value, expected) in cases {
            assert_eq!(count(value), expected);
        }
    }

    #[test]
    fn risk_bands_follow_scores() {
        let cases =
            [(0, "none"), (1, "low"), (39, "low"), (40, "medium"), (60, "high"), (80, "critical"), (100, "critical")];
        for (score, expected) in cases {
            assert_eq!(risk_band(score), expected, "{score}");
        }
    }

    #[test]
    fn query_string_skips_empty_values() {
        let query =
            query_string(&[("search", Some("a b")), ("host", Some("")), ("sort", None), ("method", Some("GET"))]);
        assert_eq!(query, "search=a+b&method=GET");
    }

    #[test]
    fn path_segments_keep_unreserved_characters() {
        let cases = [
            ("no-admin_1.2~x", "no-admin_1.2~x"),
            ("ip:203.0.113.9", "ip%3A203.0.113.9"),
            ("a/b c", "a%2Fb%20c"),
            ("é", "%C3%A9"),
        ];
        for (text, expected) in cases {
            assert_eq!(path_segment(text), expected, "{text}");
        }
    }

    #[test]
    fn pagination_links_keep_filters() {
        let markup = pagination("/endpoints?method=GET", 50, 50, 120, 50).into_string();
        assert!(markup.contains("Showing 51–100 of 120"), "{markup}");
        assert!(markup.contains("href=\"/endpoints?method=GET&amp;offset=0\""), "{markup}");
        assert!(markup.contains("href=\"/endpoints?method=GET&amp;offset=100\""), "{markup}");
        let last = pagination("/alerts", 100, 20, 120, 50).into_string();
        assert!(!last.contains("rel=\"next\""), "{last}");
    }
}
