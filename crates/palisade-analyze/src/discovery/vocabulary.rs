//! Closed vocabularies of path parameter values: HTTP methods, language codes, and cloud
//! regions and zones.
//!
//! APIs put such values in paths (`/methods/{httpMethod}`, `/docs/{lang}`,
//! `/zones/{zone}/pools`), and each value repeats as often as a resource name does, so
//! cardinality alone keeps them literal. A position whose word-like values all come from
//! one of these vocabularies, at least two of them, is a parameter. The lists are
//! standard codes, not English words, and a single value never decides: `/api/en` stays
//! literal until `/api/fr` appears beside it.

/// A vocabulary that a path segment belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Vocabulary {
    HttpMethod,
    Language,
    CloudRegion,
}

/// HTTP methods of RFC 9110 and PATCH, in upper case as request lines carry them.
const HTTP_METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"];

/// ISO 639-1 two-letter language codes, sorted.
const LANGUAGES: &[&str] = &[
    "aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", "ba", "be", "bg", "bh", "bi", "bm", "bn",
    "bo", "br", "bs", "ca", "ce", "ch", "co", "cr", "cs", "cu", "cv", "cy", "da", "de", "dv", "dz", "ee", "el", "en",
    "eo", "es", "et", "eu", "fa", "ff", "fi", "fj", "fo", "fr", "fy", "ga", "gd", "gl", "gn", "gu", "gv", "ha", "he",
    "hi", "ho", "hr", "ht", "hu", "hy", "hz", "ia", "id", "ie", "ig", "ii", "ik", "io", "is", "it", "iu", "ja", "jv",
    "ka", "kg", "ki", "kj", "kk", "kl", "km", "kn", "ko", "kr", "ks", "ku", "kv", "kw", "ky", "la", "lb", "lg", "li",
    "ln", "lo", "lt", "lu", "lv", "mg", "mh", "mi", "mk", "ml", "mn", "mr", "ms", "mt", "my", "na", "nb", "nd", "ne",
    "ng", "nl", "nn", "no", "nr", "nv", "ny", "oc", "oj", "om", "or", "os", "pa", "pi", "pl", "ps", "pt", "qu", "rm",
    "rn", "ro", "ru", "rw", "sa", "sc", "sd", "se", "sg", "si", "sk", "sl", "sm", "sn", "so", "sq", "sr", "ss", "st",
    "su", "sv", "sw", "ta", "te", "tg", "th", "ti", "tk", "tl", "tn", "to", "tr", "ts", "tt", "tw", "ty", "ug", "uk",
    "ur", "uz", "ve", "vi", "vo", "wa", "wo", "xh", "yi", "yo", "za", "zh", "zu",
];

/// Compass parts of region names, longest first so that `northeast` wins over `north`.
const DIRECTIONS: &[&str] = &[
    "northcentral",
    "southcentral",
    "westcentral",
    "northeast",
    "northwest",
    "southeast",
    "southwest",
    "central",
    "north",
    "south",
    "east",
    "west",
];

/// Area prefixes of AWS region names (`eu-west-1`, `ap-southeast-2`).
const AWS_AREAS: &[&str] = &["af", "ap", "ca", "cn", "eu", "il", "me", "mx", "sa", "us", "us-gov"];

/// Area prefixes of Google Cloud region names (`europe-west1`, `asia-northeast1`).
const GCP_AREAS: &[&str] = &["africa", "asia", "australia", "europe", "me", "northamerica", "southamerica", "us"];

/// Geography parts of Azure region names (`eastus2`, `australiaeast`, `uksouth`).
const AZURE_PLACES: &[&str] = &[
    "africa",
    "asia",
    "australia",
    "brazil",
    "canada",
    "china",
    "europe",
    "france",
    "germany",
    "india",
    "israel",
    "italy",
    "japan",
    "korea",
    "mexico",
    "newzealand",
    "norway",
    "poland",
    "qatar",
    "spain",
    "sweden",
    "switzerland",
    "taiwan",
    "uae",
    "uk",
    "us",
];

/// Returns the vocabulary `segment` belongs to, if any. HTTP methods match in upper case
/// only, and language codes and region names in lower case only, as APIs write them.
pub fn vocabulary_of(segment: &str) -> Option<Vocabulary> {
    if HTTP_METHODS.contains(&segment) {
        Some(Vocabulary::HttpMethod)
    } else if LANGUAGES.binary_search(&segment).is_ok() {
        Some(Vocabulary::Language)
    } else if is_cloud_region(segment) {
        Some(Vocabulary::CloudRegion)
    } else {
        None
    }
}

/// Returns the vocabulary that every value belongs to, when there are at least two values.
pub fn common_vocabulary<'a>(mut values: impl Iterator<Item = &'a str>) -> Option<Vocabulary> {
    let first = vocabulary_of(values.next()?)?;
    let mut count = 1;
    for value in values {
        if vocabulary_of(value) != Some(first) {
            return None;
        }
        count += 1;
    }
    (count >= 2).then_some(first)
}

/// Checks for AWS regions and zones (`us-east-1`, `us-east-1a`), Google Cloud regions and
/// zones (`europe-west1`, `europe-west1-b`) and Azure regions (`westeurope`, `eastus2`).
fn is_cloud_region(segment: &str) -> bool {
    is_aws_region(segment) || is_gcp_region(segment) || is_azure_region(segment)
}

/// Checks for an AWS name: area, direction and number, with an optional zone letter
/// (`eu-west-1`, `us-east-1a`).
fn is_aws_region(segment: &str) -> bool {
    after_area_and_direction(segment, AWS_AREAS)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|rest| is_number_and_zone(rest, ""))
}

/// Checks for a Google Cloud name: area, direction and number, with an optional `-` and
/// zone letter (`europe-west1`, `europe-west1-b`).
fn is_gcp_region(segment: &str) -> bool {
    after_area_and_direction(segment, GCP_AREAS).is_some_and(|rest| is_number_and_zone(rest, "-"))
}

/// Returns what follows one of `areas`, a `-` and a direction.
fn after_area_and_direction<'a>(segment: &'a str, areas: &[&str]) -> Option<&'a str> {
    areas.iter().find_map(|area| segment.strip_prefix(area)?.strip_prefix('-').and_then(strip_direction))
}

/// Checks for one or two digits, then nothing or `separator` and one lower-case letter.
fn is_number_and_zone(text: &str, separator: &str) -> bool {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let zone = &text[digits..];
    let zone_ok = zone.is_empty()
        || zone
            .strip_prefix(separator)
            .is_some_and(|letter| letter.len() == 1 && letter.as_bytes()[0].is_ascii_lowercase());
    (1..=2).contains(&digits) && zone_ok
}

/// Checks for an Azure name: a direction and a place in either order, with an optional
/// digit (`eastus2`, `australiaeast`, `southeastasia`, `uksouth`).
fn is_azure_region(segment: &str) -> bool {
    let name = segment.trim_end_matches(|c: char| c.is_ascii_digit());
    if name.len() + 1 < segment.len() {
        return false;
    }
    let place_then_direction =
        AZURE_PLACES.iter().any(|place| name.strip_prefix(place).is_some_and(|rest| DIRECTIONS.contains(&rest)));
    let direction_then_place = DIRECTIONS
        .iter()
        .any(|direction| name.strip_prefix(direction).is_some_and(|rest| AZURE_PLACES.contains(&rest)));
    place_then_direction || direction_then_place
}

/// Removes a leading compass part.
fn strip_direction(text: &str) -> Option<&str> {
    DIRECTIONS.iter().find_map(|direction| text.strip_prefix(direction))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_are_sorted() {
        assert!(LANGUAGES.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn vocabulary_table() {
        let cases = [
            ("GET", Some(Vocabulary::HttpMethod)),
            ("DELETE", Some(Vocabulary::HttpMethod)),
            ("get", None),
            ("en", Some(Vocabulary::Language)),
            ("zh", Some(Vocabulary::Language)),
            ("EN", None),
            ("xx", None),
            ("us-east-1", Some(Vocabulary::CloudRegion)),
            ("ap-southeast-2", Some(Vocabulary::CloudRegion)),
            ("us-gov-west-1", Some(Vocabulary::CloudRegion)),
            ("eu-central-1a", Some(Vocabulary::CloudRegion)),
            ("europe-west1", Some(Vocabulary::CloudRegion)),
            ("asia-northeast1-c", Some(Vocabulary::CloudRegion)),
            ("us-central1-f", Some(Vocabulary::CloudRegion)),
            ("eastus2", Some(Vocabulary::CloudRegion)),
            ("westeurope", Some(Vocabulary::CloudRegion)),
            ("australiaeast", Some(Vocabulary::CloudRegion)),
            ("southeastasia", Some(Vocabulary::CloudRegion)),
            ("uksouth", Some(Vocabulary::CloudRegion)),
            // Near misses: names, slugs and words that share parts with region names.
            ("my-project-3", None),
            ("us-east", None),
            ("east", None),
            ("northwest", None),
            ("europe", None),
            ("eastern", None),
            ("us-east-123", None),
            ("europe-west1-bb", None),
            ("eastus22", None),
            ("users", None),
        ];
        for (segment, expected) in cases {
            assert_eq!(vocabulary_of(segment), expected, "{segment}");
        }
    }

    #[test]
    fn common_vocabulary_needs_two_values_of_one_kind() {
        assert_eq!(common_vocabulary(["GET", "PUT"].into_iter()), Some(Vocabulary::HttpMethod));
        assert_eq!(common_vocabulary(["en", "fr", "de"].into_iter()), Some(Vocabulary::Language));
        assert_eq!(common_vocabulary(["en"].into_iter()), None);
        assert_eq!(common_vocabulary(["en", "GET"].into_iter()), None);
        assert_eq!(common_vocabulary(["en", "users"].into_iter()), None);
        assert_eq!(common_vocabulary(std::iter::empty()), None);
    }
}
