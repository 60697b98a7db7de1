//! The classification stage's view of a data classifier, and the alerts it raises.
//!
//! The pipeline talks to classifiers through [`DataClassifier`], so the stage can run with
//! Palisade's built-in classifier or a small one in tests.

use palisade_core::{Section, Severity};
use serde::{Deserialize, Serialize};

/// One value's match of a data class: byte offsets into the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataMatch {
    /// Index into [`DataClassifier::class`].
    pub class: u32,
    pub start: usize,
    pub end: usize,
}

/// What the pipeline needs to know of a class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassMeta {
    /// Stable id such as `email`.
    pub id: String,
    pub severity: Severity,
    /// True for credentials and keys (`aws_secret_access_key`, `jwt`, ...): finding one
    /// in a response raises a secret alert instead of a sensitive-data alert.
    pub secret: bool,
}

/// A data classifier as the pipeline uses it.
pub trait DataClassifier: Send + Sync {
    /// Appends the classes that `value`, found at `section` and field `path`, matches.
    fn classify(&self, section: Section, path: &str, value: &str, out: &mut Vec<DataMatch>);
    fn class(&self, index: u32) -> &ClassMeta;
    /// Finds a class by id or by the name an agent reported (Metlo's `Email`,
    /// `Credit Card Number`, ...).
    fn lookup(&self, name: &str) -> Option<u32>;
}

/// Alert types raised by classification.
pub mod kinds {
    pub const SENSITIVE_DATA_IN_RESPONSE: &str = "sensitive_data_in_response";
    pub const SENSITIVE_DATA_IN_URL: &str = "sensitive_data_in_url";
    pub const SECRET_IN_RESPONSE: &str = "secret_in_response";
    pub const UNAUTHENTICATED_SENSITIVE_DATA: &str = "unauthenticated_sensitive_data";
}

/// When classification raises alerts: the `alerts:` section of the configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertConfig {
    /// Classes below this severity are recorded on fields but raise no alert.
    pub min_class_severity: Severity,
}

impl Default for AlertConfig {
    fn default() -> Self {
        Self { min_class_severity: Severity::Medium }
    }
}

/// Picks the alert types that a class found at `section` raises.
pub fn alert_kinds(section: Section, class: &ClassMeta, unauthenticated_success: bool) -> Vec<&'static str> {
    let mut kinds_raised = Vec::new();
    match section {
        Section::ResponseBody | Section::ResponseHeader => {
            if class.secret {
                kinds_raised.push(kinds::SECRET_IN_RESPONSE);
            } else {
                kinds_raised.push(kinds::SENSITIVE_DATA_IN_RESPONSE);
            }
            if unauthenticated_success {
                kinds_raised.push(kinds::UNAUTHENTICATED_SENSITIVE_DATA);
            }
        }
        Section::Path | Section::Query => kinds_raised.push(kinds::SENSITIVE_DATA_IN_URL),
        Section::RequestHeader | Section::RequestBody => {}
    }
    kinds_raised
}

/// Describes an alert for people.
pub fn alert_description(kind: &str, class: &ClassMeta, location: &str) -> String {
    match kind {
        kinds::SECRET_IN_RESPONSE => format!("a secret ({}) is returned in {location}", class.id),
        kinds::SENSITIVE_DATA_IN_URL => format!("sensitive data ({}) is sent in the URL at {location}", class.id),
        kinds::UNAUTHENTICATED_SENSITIVE_DATA => {
            format!("sensitive data ({}) is returned at {location} to requests without credentials", class.id)
        }
        _ => format!("sensitive data ({}) is returned in {location}", class.id),
    }
}

#[cfg(test)]
pub(crate) mod fake {
    //! A classifier with three classes for tests: `email` (values with `@`), `us_ssn`
    //! (`123-45-6789` shapes) and `api_token` (values starting with `tok_`, a secret).
    use super::*;

    pub struct FakeClassifier {
        classes: Vec<ClassMeta>,
    }

    impl FakeClassifier {
        pub fn new() -> Self {
            let class = |id: &str, severity, secret| ClassMeta { id: id.into(), severity, secret };
            Self {
                classes: vec![
                    class("email", Severity::Medium, false),
                    class("us_ssn", Severity::High, false),
                    class("api_token", Severity::Critical, true),
                ],
            }
        }
    }

    impl DataClassifier for FakeClassifier {
        fn classify(&self, _: Section, _: &str, value: &str, out: &mut Vec<DataMatch>) {
            let whole = |class| DataMatch { class, start: 0, end: value.len() };
            if value.contains('@') && value.contains('.') {
                out.push(whole(0));
            }
            let bytes = value.as_bytes();
            if bytes.len() == 11 && bytes[3] == b'-' && bytes[6] == b'-' {
                out.push(whole(1));
            }
            if value.starts_with("tok_") {
                out.push(whole(2));
            }
        }

        fn class(&self, index: u32) -> &ClassMeta {
            &self.classes[index as usize]
        }

        fn lookup(&self, name: &str) -> Option<u32> {
            let name = name.to_ascii_lowercase();
            let id = if name == "email" { "email" } else { name.as_str() };
            self.classes.iter().position(|c| c.id == id).map(|i| i as u32)
        }
    }
}
