//! One module per page or group of pages.

pub mod actors;
pub mod alerts;
pub mod attacks;
pub mod data;
pub mod endpoint;
pub mod endpoints;
pub mod login;
pub mod overview;
pub mod rules;
pub mod settings;
pub mod tests;

use serde::Deserialize;

/// Confirmations that a redirect after a form post may ask a page to show, by key, so no
/// text from the URL ever reaches the page.
const NOTICES: &[(&str, &str)] = &[
    ("marked", "Marked as a false positive. The data class no longer counts for risk."),
    ("unmarked", "The false-positive mark was removed."),
    ("resolved", "Alert resolved."),
    ("ignored", "Alert ignored."),
    ("open", "Alert reopened."),
    ("rule-saved", "Block rule saved."),
    ("rule-expired", "Block rule expired."),
    ("rule-deleted", "Block rule deleted."),
    ("key-revoked", "API key revoked."),
    ("role-changed", "Role changed."),
    ("user-removed", "User removed."),
];

/// The notice text for a key from a redirect's `notice` parameter.
pub fn notice(key: Option<&str>) -> Option<&'static str> {
    let key = key?;
    NOTICES.iter().find(|(k, _)| *k == key).map(|(_, text)| *text)
}

/// The `notice` parameter that pages accept alongside their own.
#[derive(Debug, Default, Deserialize)]
pub struct NoticeQuery {
    pub notice: Option<String>,
}

/// Treats an empty form or query value as absent.
pub fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}
