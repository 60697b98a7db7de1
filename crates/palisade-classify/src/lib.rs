//! Sensitive-data classification: finds personal data, financial data, government ids
//! and secrets in the values of API traffic.
//!
//! A [`Classifier`] is compiled once from a [`ClassifyConfig`] and then classifies each
//! value with the section and field path it was found at. Values are matched by one
//! combined regex automaton and each candidate is validated (Luhn, mod 97, Verhoeff,
//! national check digits, phone number metadata), so a nine-digit order id is not a
//! Social Security number. Classes whose values alone are ambiguous (names, dates of
//! birth, passwords, bare nine-digit numbers) need the field's key name to say what the
//! value is.
//!
//! ```
//! use palisade_classify::{Classifier, ClassifyConfig};
//! use palisade_core::Section;
//!
//! let classifier = Classifier::new(&ClassifyConfig::default()).unwrap();
//! let mut found = Vec::new();
//! classifier.classify(Section::RequestBody, "customer.card", "4111 1111 1111 1111", &mut found);
//! assert_eq!(classifier.class(found[0].class).id, "credit_card_visa");
//!
//! let masked = classifier.redact(Section::RequestBody, "note", "mail ada@example.com");
//! assert_eq!(masked.as_deref(), Some("mail [email]"));
//! ```

mod builtin;
pub mod check;
mod classifier;
mod config;
mod key;
mod rules;
#[cfg(feature = "synth")]
pub mod synth;

use palisade_core::Section;
use serde::{Deserialize, Serialize};

pub use builtin::Category;
pub use classifier::Classifier;
pub use config::{
    ClassifyConfig, ConfigError, CustomClass, DEFAULT_MAX_CUSTOM_CLASSES, DEFAULT_MAX_MATCHES_PER_VALUE,
    DEFAULT_MAX_PATTERN_BYTES, DEFAULT_MAX_REGEX_BYTES, DEFAULT_MAX_VALUE_BYTES, MetloSensitiveData,
    MetloSensitiveDataMap,
};
pub use palisade_core::Severity;

/// Index of a class in [`Classifier::classes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClassId(pub(crate) u16);

impl ClassId {
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// Description of one data class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataClassInfo {
    /// Stable snake_case id, such as `email` or `credit_card_visa`.
    pub id: String,
    /// Display name, such as `Email address`.
    pub name: String,
    pub category: Category,
    pub severity: Severity,
    /// Sections of a trace the class applies to.
    pub sections: Vec<Section>,
    /// False for classes defined in configuration.
    pub builtin: bool,
}

/// One detection in one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClassMatch {
    pub class: ClassId,
    /// Byte span in the value; the whole value for classes recognised by key name.
    pub start: usize,
    pub end: usize,
}
