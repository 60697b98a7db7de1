//! Parameter names: after the literal segment before them, as `/users/{userId}`.

use palisade_core::ValueKind;

use super::shape::classify_segment;

/// Longest generated parameter name, in bytes.
const MAX_NAME_BYTES: usize = 40;

/// Names a parameter after the literal segment that precedes it: `users` gives `userId`,
/// `api-keys` gives `apiKeyId`, `categories` gives `categoryId`. Without a usable
/// literal (none, a version such as `v1`, or no letters) the name is `id`.
pub fn param_name(previous_literal: Option<&str>) -> String {
    let Some(literal) = previous_literal else {
        return "id".to_string();
    };
    if !matches!(classify_segment(literal), ValueKind::Word | ValueKind::Slug) {
        return "id".to_string();
    }

    let words: Vec<&str> = literal.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect();
    let Some((last, rest)) = words.split_last() else {
        return "id".to_string();
    };

    let mut name = String::new();
    for (i, word) in rest.iter().chain(std::iter::once(&singular(last).as_str())).enumerate() {
        push_camel(&mut name, word, i == 0);
    }
    name.truncate(MAX_NAME_BYTES - 2);
    name.push_str("Id");
    name
}

/// Makes `name` unique among `taken` by appending 2, 3, ... .
pub fn unique_name(name: String, taken: &[String]) -> String {
    if !taken.contains(&name) {
        return name;
    }
    (2..).map(|n| format!("{name}{n}")).find(|candidate| !taken.contains(candidate)).unwrap_or(name)
}

/// English plural endings, applied only to the last word: enough for resource names
/// without a dictionary.
fn singular(word: &str) -> String {
    let lower = word.to_ascii_lowercase();
    let cut = |n: usize| word[..word.len() - n].to_string();
    if lower.len() > 3 && lower.ends_with("ies") {
        return format!("{}y", cut(3));
    }
    if lower.len() > 4 && ["sses", "xes", "ches", "shes", "zes"].iter().any(|end| lower.ends_with(end)) {
        return cut(2);
    }
    if lower.len() > 1 && lower.ends_with('s') && !["ss", "us", "is"].iter().any(|end| lower.ends_with(end)) {
        return cut(1);
    }
    word.to_string()
}

/// Appends `word` in camelCase: lower-case first letter for the first word, upper-case
/// for the rest. An existing camelCase word keeps its inner capitals.
fn push_camel(name: &mut String, word: &str, first: bool) {
    let mut chars = word.chars();
    let Some(head) = chars.next() else {
        return;
    };
    if first {
        name.push(head.to_ascii_lowercase());
    } else {
        name.push(head.to_ascii_uppercase());
    }
    name.extend(chars);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn param_name_table() {
        let cases = [
            (Some("users"), "userId"),
            (Some("orders"), "orderId"),
            (Some("categories"), "categoryId"),
            (Some("addresses"), "addressId"),
            (Some("boxes"), "boxId"),
            (Some("branches"), "branchId"),
            (Some("status"), "statusId"),
            (Some("api-keys"), "apiKeyId"),
            (Some("user_groups"), "userGroupId"),
            (Some("repos"), "repoId"),
            (Some("Person"), "personId"),
            (Some("onboardingStatus"), "onboardingStatusId"),
            (Some("v1"), "id"),
            (Some("42"), "id"),
            (None, "id"),
        ];
        for (literal, expected) in cases {
            assert_eq!(param_name(literal), expected, "{literal:?}");
        }
    }

    #[test]
    fn unique_name_appends_number() {
        let taken = vec!["repoId".to_string(), "repoId2".to_string()];
        assert_eq!(unique_name("repoId".into(), &taken), "repoId3");
        assert_eq!(unique_name("userId".into(), &taken), "userId");
    }
}
