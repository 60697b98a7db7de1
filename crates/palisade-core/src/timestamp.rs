//! Timestamps are milliseconds since the Unix epoch (UTC) everywhere inside Palisade and
//! RFC 3339 strings at its edges.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    unix_ms(OffsetDateTime::now_utc())
}

pub fn unix_ms(at: OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1_000_000) as i64
}

/// Formats epoch milliseconds as RFC 3339 in UTC with exactly three fraction digits, so
/// the strings sort in time order.
pub fn format_rfc3339(ms: i64) -> String {
    let Ok(at) = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000) else {
        return ms.to_string();
    };
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    at.format(&format).unwrap_or_else(|_| ms.to_string())
}

/// Parses an RFC 3339 timestamp, such as those in HAR files, into epoch milliseconds.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    OffsetDateTime::parse(text.trim(), &Rfc3339).ok().map(unix_ms)
}

/// Start of the UTC hour that contains `ms`.
pub fn hour_start(ms: i64) -> i64 {
    ms - ms.rem_euclid(3_600_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip() {
        let ms = parse_rfc3339("2024-06-24T13:05:56.522288537+05:30").unwrap();
        assert_eq!(ms, 1_719_214_556_522);
        assert_eq!(format_rfc3339(ms), "2024-06-24T07:35:56.522Z");
    }

    #[test]
    fn whole_seconds_keep_three_digits() {
        assert_eq!(format_rfc3339(1_767_225_673_000), "2026-01-01T00:01:13.000Z");
    }

    #[test]
    fn rfc3339_rejects_garbage() {
        assert_eq!(parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn hour_start_floors() {
        assert_eq!(hour_start(3_600_000 * 5 + 1234), 3_600_000 * 5);
        assert_eq!(hour_start(-1), -3_600_000);
    }
}
