//! Classifies one concrete path segment by the shape of its value, without any word list.

use palisade_core::ValueKind;
use palisade_core::path::percent_decode_lossy;

/// Returns the shape of a path segment. Percent-encoded segments are judged by their
/// decoded text, so `alice%40example.com` is an email.
pub fn classify_segment(segment: &str) -> ValueKind {
    if segment.contains('%') {
        let decoded = percent_decode_lossy(segment);
        return classify_decoded(&decoded);
    }
    classify_decoded(segment)
}

fn classify_decoded(value: &str) -> ValueKind {
    let bytes = value.as_bytes();
    if bytes.is_empty() {
        return ValueKind::Other;
    }

    if bytes.iter().all(u8::is_ascii_digit) {
        return ValueKind::Integer;
    }
    if is_uuid(bytes) {
        return ValueKind::Uuid;
    }
    if bytes.len() >= 16 && bytes.iter().all(u8::is_ascii_hexdigit) {
        return ValueKind::HexHash;
    }
    if is_date(bytes) {
        return ValueKind::Date;
    }
    if is_email(value) {
        return ValueKind::Email;
    }
    if is_version(bytes) {
        return ValueKind::Version;
    }

    let stats = CharStats::of(bytes);
    if stats.other > 0 {
        return ValueKind::Other;
    }
    if stats.digits > 0 && stats.letters > 0 && is_mixed_id(bytes, &stats) {
        return ValueKind::MixedId;
    }
    if is_upper_code(bytes, &stats) || is_upper_letter_code(bytes) {
        return ValueKind::MixedId;
    }
    if is_prefixed_token(bytes) {
        return ValueKind::Token;
    }
    if bytes.len() >= 16 && looks_random(bytes) {
        return ValueKind::Token;
    }
    if bytes.len() >= 10 && looks_random_case(bytes) {
        return ValueKind::Token;
    }
    if stats.separators > 0 {
        return ValueKind::Slug;
    }
    // Words, including those with a short number such as `oauth2`, `sha256` or `ec2`.
    ValueKind::Word
}

/// Counts of character classes in a segment. Separators are `-`, `_` and `.`.
struct CharStats {
    letters: usize,
    digits: usize,
    separators: usize,
    other: usize,
}

impl CharStats {
    fn of(bytes: &[u8]) -> Self {
        let mut stats = CharStats { letters: 0, digits: 0, separators: 0, other: 0 };
        for &b in bytes {
            match b {
                b'a'..=b'z' | b'A'..=b'Z' => stats.letters += 1,
                b'0'..=b'9' => stats.digits += 1,
                b'-' | b'_' | b'.' | b'~' => stats.separators += 1,
                _ => stats.other += 1,
            }
        }
        stats
    }
}

/// Letters and digits mixed as in generated ids: at least four digits (`INV20240012`,
/// `abc1234`), digit runs split by letters (`a1b2c3`, `7c5ddbdf54`), or a random-looking
/// mix of eight or more characters. Words with a short number (`sha256`, `x509`, `k8s`,
/// `ipv6`) stay words.
fn is_mixed_id(bytes: &[u8], stats: &CharStats) -> bool {
    if stats.digits >= 4 && !is_word_with_suffix_number(bytes) {
        return true;
    }

    let mut digit_runs = 0;
    let mut in_digits = false;
    for &b in bytes {
        let is_digit = b.is_ascii_digit();
        if is_digit && !in_digits {
            digit_runs += 1;
        }
        in_digits = is_digit;
    }
    if digit_runs >= 3 || (digit_runs >= 2 && bytes.len() >= 6) {
        return true;
    }

    bytes.len() >= 8 && looks_random(bytes)
}

/// Upper-case letters and digits mixed, five or more, as in order codes (`K7QP2MXA`), but
/// not a word with a version number (`HTTP2`).
fn is_upper_code(bytes: &[u8], stats: &CharStats) -> bool {
    bytes.len() >= 5
        && stats.digits > 0
        && stats.letters > 0
        && stats.separators == 0
        && bytes.iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        && !is_word_with_suffix_number(bytes)
}

/// Upper-case letters, maybe with digits, as in generated codes (`LNWLRMQW`, `QSJHJK38`)
/// and enum values (`UNAUTHORIZED`): eight or more characters, or six or seven with a run
/// of four consonants. Short words in capitals (`DEFAULT`, `HTTP2`, `OAUTH2`) stay words.
fn is_upper_letter_code(bytes: &[u8]) -> bool {
    let capitals = bytes.iter().filter(|b| b.is_ascii_uppercase()).count();
    let code = bytes.iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) && capitals >= 4;
    code && (bytes.len() >= 8 || (bytes.len() >= 6 && longest_consonant_run(bytes) >= 4))
}

/// Checks for a short lower-case type prefix, `_` and a random-looking tail of ten or more
/// letters and digits with capitals or digits in it, as in `obj_SazxfrAqlegmpF`. Snake-case names
/// (`user_AccountSettings`, `dhl_express`) keep word-like tails.
fn is_prefixed_token(bytes: &[u8]) -> bool {
    let Some(underscore) = bytes.iter().position(|&b| b == b'_') else {
        return false;
    };
    let (prefix, tail) = (&bytes[..underscore], &bytes[underscore + 1..]);
    (2..=6).contains(&prefix.len())
        && prefix.iter().all(u8::is_ascii_lowercase)
        && tail.len() >= 10
        && tail.iter().all(u8::is_ascii_alphanumeric)
        && tail.iter().any(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        && (longest_consonant_run(tail) >= 4 || looks_random(tail))
}

/// Returns the length of the longest run of consonant letters. `y` counts as a vowel, digits end a run, and a
/// capital after a lower-case letter starts a new one, as camelCase starts a new word
/// (`SettingsPage` has runs `ngs` and `P`).
fn longest_consonant_run(bytes: &[u8]) -> usize {
    let mut longest = 0;
    let mut run = 0;
    let mut previous_lower = false;
    for &b in bytes {
        let consonant =
            b.is_ascii_alphabetic() && !matches!(b.to_ascii_lowercase(), b'a' | b'e' | b'i' | b'o' | b'u' | b'y');
        run = match (consonant, b.is_ascii_uppercase() && previous_lower) {
            (false, _) => 0,
            (true, true) => 1,
            (true, false) => run + 1,
        };
        previous_lower = b.is_ascii_lowercase();
        longest = longest.max(run);
    }
    longest
}

/// True when upper-case letters sit where words do not put them: camelCase words start
/// each word with one capital followed by lower-case letters (`accountSettings`), while
/// random tokens have runs of capitals and capitals followed by one lower-case letter
/// (`FRhiaCUzzosvbY`).
fn looks_random_case(bytes: &[u8]) -> bool {
    misplaced_capitals(bytes, false)
}

/// True for a name made of letters in camelCase or PascalCase words, where an acronym of
/// two to five capitals may stand before a word or at the end (`ATMServices`,
/// `customerID`). Object keys are read this way. Path segments are not, because random
/// identifiers of letters alone look the same there.
pub fn is_camel_case_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty() && bytes.iter().all(u8::is_ascii_alphabetic) && !misplaced_capitals(bytes, true)
}

fn misplaced_capitals(bytes: &[u8], acronyms: bool) -> bool {
    let lower = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_lowercase);
    let mut capitals = 0;
    let mut placed = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_uppercase() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_uppercase() {
            i += 1;
        }
        let run = i - start;
        capitals += run;
        let word_start = lower(i) && lower(i + 1);
        placed += usize::from(word_start);
        let acronym = if word_start {
            run - 1
        } else if i == bytes.len() {
            run
        } else {
            0
        };
        if acronyms && (2..=5).contains(&acronym) {
            placed += acronym;
        }
    }
    let misplaced = capitals - placed;
    misplaced >= 2 && misplaced * 2 >= capitals
}

/// `letters` followed by at most four digits and nothing else, like `sha256` or `user1234`.
fn is_word_with_suffix_number(bytes: &[u8]) -> bool {
    let letters = bytes.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    let rest = &bytes[letters..];
    letters >= 2 && !rest.is_empty() && rest.len() <= 4 && rest.iter().all(u8::is_ascii_digit)
}

/// True when character classes change often, as in `NffrFeUfNV2Hib`, and unlike
/// camelCase words such as `onboardingStatusHistory`.
fn looks_random(bytes: &[u8]) -> bool {
    let class = |b: u8| match b {
        b'a'..=b'z' => 0,
        b'A'..=b'Z' => 1,
        b'0'..=b'9' => 2,
        _ => 3,
    };
    let alnum: Vec<u8> = bytes.iter().copied().filter(u8::is_ascii_alphanumeric).collect();
    if alnum.len() < 8 {
        return false;
    }
    let transitions = alnum.windows(2).filter(|pair| class(pair[0]) != class(pair[1])).count();
    let has_digit = alnum.iter().any(u8::is_ascii_digit);
    let has_upper = alnum.iter().any(u8::is_ascii_uppercase);
    let has_lower = alnum.iter().any(u8::is_ascii_lowercase);
    let classes = usize::from(has_digit) + usize::from(has_upper) + usize::from(has_lower);
    classes >= 2 && transitions * 10 >= alnum.len() * 3
}

fn is_uuid(bytes: &[u8]) -> bool {
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// `YYYY-MM-DD`, optionally followed by a time as in RFC 3339.
fn is_date(bytes: &[u8]) -> bool {
    if bytes.len() < 10 {
        return false;
    }
    let date = &bytes[..10];
    let digits_at = |range: std::ops::Range<usize>| date[range].iter().all(u8::is_ascii_digit);
    let shape = digits_at(0..4) && date[4] == b'-' && digits_at(5..7) && date[7] == b'-' && digits_at(8..10);
    if !shape {
        return false;
    }
    let month = (date[5] - b'0') * 10 + (date[6] - b'0');
    let day = (date[8] - b'0') * 10 + (date[9] - b'0');
    (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && (bytes.len() == 10 || matches!(bytes[10], b'T' | b't' | b' '))
}

fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

/// `v1`, `v2`, `v1beta1`, `v2alpha3`, `v1.2`, and date-stamped versions such as
/// `v20180820`.
fn is_version(bytes: &[u8]) -> bool {
    let Some(rest) = bytes.strip_prefix(b"v").or_else(|| bytes.strip_prefix(b"V")) else {
        return false;
    };
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 8 && rest.len() == 8 {
        return true;
    }
    if digits == 0 || digits > 3 {
        return false;
    }
    let rest = &rest[digits..];
    if rest.is_empty() {
        return true;
    }
    if let Some(minor) = rest.strip_prefix(b".") {
        return !minor.is_empty() && minor.len() <= 3 && minor.iter().all(|b| b.is_ascii_digit() || *b == b'.');
    }
    for stage in [&b"alpha"[..], b"beta", b"rc"] {
        if let Some(number) = rest.strip_prefix(stage) {
            return number.len() <= 3 && number.iter().all(u8::is_ascii_digit);
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use ValueKind::*;

    #[test]
    fn classify_segment_table() {
        let cases = [
            ("42", Integer),
            ("0", Integer),
            ("2024", Integer),
            ("3f0c1f9e-6b1d-4c4e-9a59-0c3f3a1e2b7d", Uuid),
            ("6dcb09b5b57875f334f61aebed695e2e4193db5e", HexHash),
            ("507f1f77bcf86cd799439011", HexHash),
            ("2024-06-24", Date),
            ("2024-06-24T07:35:56Z", Date),
            ("alice@example.com", Email),
            ("alice%40example.com", Email),
            ("cus_NffrFeUfNV2Hib", MixedId),
            ("INV20240012", MixedId),
            ("a1b2c3", MixedId),
            ("abc1234", Word),
            ("nginx-7c5ddbdf54-x2x4k", MixedId),
            ("AbCdEfGhIjKlMnOpQr", Token),
            ("v1", Version),
            ("v2beta1", Version),
            ("v1.2", Version),
            ("v20180820", Version),
            ("K7QP2MXA", MixedId),
            ("FKYHVK5K", MixedId),
            ("HTTP2", Word),
            ("lis_FRhiaCUzzosvbY", Token),
            ("obj_SazxfrAqlegmpF", Token),
            ("lis_NwkyOrtwhiwm70", Token),
            ("int_sdvdAlqeuwu6jx", Token),
            ("user_AccountSettings", Slug),
            ("user_SettingsPage", Slug),
            ("LNWLRMQW", MixedId),
            ("NASTSFVF", MixedId),
            ("QSJHJK38", MixedId),
            ("FUHVW256", MixedId),
            ("THROTTLED", MixedId),
            ("DEFAULT", Word),
            ("OAUTH2", Word),
            ("SHA256", Word),
            ("HTTPS", Word),
            ("user_AccountSettings", Slug),
            ("accountSettingsPage", Word),
            ("users", Word),
            ("me", Word),
            ("onboardingStatus", Word),
            ("onboardingStatusHistory", Word),
            ("oauth2", Word),
            ("sha256", Word),
            ("x509", Word),
            ("k8s", Word),
            ("user1234", Word),
            ("my-first-post", Slug),
            ("api_keys", Slug),
            ("admissionregistration.k8s.io", Slug),
            ("index.html", Slug),
            ("a,b", Other),
            ("", Other),
        ];
        for (segment, expected) in cases {
            assert_eq!(classify_segment(segment), expected, "{segment}");
        }
    }

    #[test]
    fn camel_case_names_with_acronyms() {
        for name in ["ATMServices", "OtherATMServices", "customerID", "accountSettings", "URLPath", "id"] {
            assert!(is_camel_case_name(name), "{name}");
        }
        for name in ["FRhiaCUzzosvbY", "xQZRbcdEfGhT", "AbCdEfGhIjKl", "user_id", "abc123", ""] {
            assert!(!is_camel_case_name(name), "{name}");
        }
    }

    #[test]
    fn date_rejects_impossible_month() {
        assert_ne!(classify_segment("2024-13-01"), Date);
    }
}
