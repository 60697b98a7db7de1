//! Classifier configuration: limits, disabled classes, custom classes, and Metlo's
//! `sensitiveData` and `disabledDataClass` settings.

use std::fmt;

use palisade_core::{Section, Severity};
use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

use crate::builtin::{BUILTINS, Category, METLO_CLASS_NAMES};

/// Default for [`ClassifyConfig::max_value_bytes`]: 64 KiB covers form fields, tokens and
/// PEM keys, while a 10 MB body stored as one value costs at most this much scanning.
pub const DEFAULT_MAX_VALUE_BYTES: usize = 64 * 1024;
/// Default for [`ClassifyConfig::max_matches_per_value`].
pub const DEFAULT_MAX_MATCHES_PER_VALUE: usize = 64;
/// Default for [`ClassifyConfig::max_regex_bytes`]: 1 MiB of compiled program per custom
/// pattern, enough for any hand-written pattern and far below what `a{1000}{1000}` needs.
pub const DEFAULT_MAX_REGEX_BYTES: usize = 1 << 20;
/// Default for [`ClassifyConfig::max_pattern_bytes`].
pub const DEFAULT_MAX_PATTERN_BYTES: usize = 4096;
/// Default for [`ClassifyConfig::max_custom_classes`].
pub const DEFAULT_MAX_CUSTOM_CLASSES: usize = 256;

/// Classifier settings: limits, phone regions, disabled classes and custom classes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClassifyConfig {
    /// Bytes of each value that are scanned. The rest of a longer value is not scanned,
    /// and the value is counted in [`crate::Classifier::truncated_values`].
    pub max_value_bytes: usize,
    /// Matches reported for one value; further matches are dropped.
    pub max_matches_per_value: usize,
    /// Compiled size limit of each custom regex, in bytes.
    pub max_regex_bytes: usize,
    /// Length limit of each custom regex's source text, in bytes.
    pub max_pattern_bytes: usize,
    /// Number of custom classes accepted.
    pub max_custom_classes: usize,
    /// Regions (ISO 3166 alpha-2) tried, in order, for phone numbers written without a
    /// country code under a phone key, such as `(415) 555-2671`.
    pub phone_regions: Vec<String>,
    /// Ids of built-in classes that are not reported, such as `ipv4_address`. Metlo's
    /// names (`IP_ADDRESS`) are accepted too.
    pub disabled_classes: Vec<String>,
    /// Classes defined by the user.
    pub custom_classes: Vec<CustomClass>,
}

impl Default for ClassifyConfig {
    fn default() -> Self {
        Self {
            max_value_bytes: DEFAULT_MAX_VALUE_BYTES,
            max_matches_per_value: DEFAULT_MAX_MATCHES_PER_VALUE,
            max_regex_bytes: DEFAULT_MAX_REGEX_BYTES,
            max_pattern_bytes: DEFAULT_MAX_PATTERN_BYTES,
            max_custom_classes: DEFAULT_MAX_CUSTOM_CLASSES,
            phone_regions: vec!["US".to_string()],
            disabled_classes: Vec::new(),
            custom_classes: Vec::new(),
        }
    }
}

/// A data class defined in configuration.
///
/// With only `value_regex`, every match in a value is reported. With only `key_regex`,
/// every non-empty value whose last key matches is reported whole. With both, matches of
/// `value_regex` are reported only under keys that match `key_regex`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomClass {
    /// Stable id: lower-case letters, digits and underscores.
    pub id: String,
    /// Display name; the id when missing.
    #[serde(default)]
    pub name: Option<String>,
    /// Regex searched in values (Rust `regex` syntax).
    #[serde(default)]
    pub value_regex: Option<String>,
    /// Regex matched against the last key of the field path (a JSON key, header name or
    /// query parameter name).
    #[serde(default)]
    pub key_regex: Option<String>,
    /// Sections the class applies to; all sections when empty.
    #[serde(default)]
    pub sections: Vec<Section>,
    #[serde(default = "default_custom_severity")]
    pub severity: Severity,
    #[serde(default = "default_custom_category")]
    pub category: Category,
}

fn default_custom_severity() -> Severity {
    Severity::Medium
}

fn default_custom_category() -> Category {
    Category::Custom
}

/// Problems found while compiling a configuration.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    #[error("invalid {field} of data class {class:?} at line {line}, column {column} (byte {offset}): {message}")]
    InvalidRegex { class: String, field: String, offset: usize, line: usize, column: usize, message: String },
    #[error(
        "{field} of data class {class:?} compiles to more than {limit_bytes} bytes: simplify the pattern or raise max_regex_bytes"
    )]
    RegexTooLarge { class: String, field: String, limit_bytes: usize },
    #[error("{field} of data class {class:?} is {length} bytes long, more than max_pattern_bytes ({limit_bytes})")]
    PatternTooLong { class: String, field: String, length: usize, limit_bytes: usize },
    #[error(
        "unknown data class {name:?} in disabled classes: expected a built-in id such as \"email\" or a Metlo name such as \"EMAIL\""
    )]
    UnknownClass { name: String },
    #[error("duplicate data class id {id:?}: custom classes need ids that no other class uses")]
    DuplicateClass { id: String },
    #[error("invalid data class id {id:?}: expected lower-case letters, digits and underscores")]
    InvalidClassId { id: String },
    #[error("data class {class:?} has neither a value regex nor a key regex")]
    MissingPattern { class: String },
    #[error("too many custom classes: {count}, more than max_custom_classes ({limit})")]
    TooManyClasses { count: usize, limit: usize },
    #[error("invalid phone region {region:?}: expected an ISO 3166 alpha-2 code such as \"US\"")]
    InvalidPhoneRegion { region: String },
    #[error("invalid {name} {value}: expected at least {min}")]
    InvalidLimit { name: &'static str, value: usize, min: usize },
    #[error("invalid severity {value:?} of data class {class:?}: expected NONE, LOW, MEDIUM or HIGH")]
    InvalidSeverity { class: String, value: String },
}

/// One entry of Metlo's `sensitiveData` map, with its name (the map key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetloSensitiveData {
    pub name: String,
    /// Metlo risk score: `NONE`, `LOW`, `MEDIUM` or `HIGH`.
    pub severity: String,
    /// Regexes searched in values; Metlo joins them with `|`.
    pub patterns: Vec<String>,
    /// Regexes matched against field names.
    pub key_patterns: Vec<String>,
}

/// The value side of a `sensitiveData` entry as Metlo's YAML writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct MetloSensitiveDataEntry {
    severity: String,
    #[serde(default)]
    patterns: Option<Vec<String>>,
    #[serde(default)]
    key_patterns: Option<Vec<String>>,
}

/// Metlo's `sensitiveData` setting: a map from class name to `{severity, patterns,
/// keyPatterns}`, read in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetloSensitiveDataMap(pub Vec<MetloSensitiveData>);

/// Writes the map back in the shape of Metlo's YAML, so a printed configuration loads
/// again.
impl Serialize for MetloSensitiveDataMap {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Entry<'a> {
            severity: &'a str,
            patterns: &'a [String],
            key_patterns: &'a [String],
        }

        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for class in &self.0 {
            let entry =
                Entry { severity: &class.severity, patterns: &class.patterns, key_patterns: &class.key_patterns };
            map.serialize_entry(&class.name, &entry)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for MetloSensitiveDataMap {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;

        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = MetloSensitiveDataMap;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map from data class name to {severity, patterns, keyPatterns}")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some((name, entry)) = map.next_entry::<String, MetloSensitiveDataEntry>()? {
                    entries.push(MetloSensitiveData {
                        name,
                        severity: entry.severity,
                        patterns: entry.patterns.unwrap_or_default(),
                        key_patterns: entry.key_patterns.unwrap_or_default(),
                    });
                }
                Ok(MetloSensitiveDataMap(entries))
            }
        }

        deserializer.deserialize_map(EntriesVisitor)
    }
}

impl ClassifyConfig {
    /// Builds a configuration from Metlo's `sensitiveData` entries and its
    /// `disabledDataClass` list, with default limits.
    ///
    /// Metlo's names become ids in snake case (`Employee ID` gives `employee_id`); its
    /// patterns are joined with `|` as Metlo joins them. A class with both patterns and
    /// key patterns matches only where both do. Each pattern is checked on its own, so an
    /// error names the pattern's position in the list.
    pub fn from_metlo(sensitive_data: &[MetloSensitiveData], disabled: &[String]) -> Result<Self, ConfigError> {
        let mut config = ClassifyConfig::default();
        for name in disabled {
            let known = METLO_CLASS_NAMES.iter().any(|(metlo, _)| metlo == name);
            if !known && !BUILTINS.iter().any(|b| b.id == name) {
                return Err(ConfigError::UnknownClass { name: name.clone() });
            }
            config.disabled_classes.push(name.clone());
        }

        for entry in sensitive_data {
            let id = snake_case(&entry.name);
            let severity = metlo_severity(&entry.severity).ok_or_else(|| ConfigError::InvalidSeverity {
                class: entry.name.clone(),
                value: entry.severity.clone(),
            })?;
            for (field, patterns) in [("patterns", &entry.patterns), ("keyPatterns", &entry.key_patterns)] {
                for (i, pattern) in patterns.iter().enumerate() {
                    let field = format!("{field}[{i}]");
                    crate::classifier::compile_custom_regex(&entry.name, &field, pattern, &config)?;
                }
            }
            let join = |patterns: &[String]| {
                (!patterns.is_empty())
                    .then(|| patterns.iter().map(|p| format!("(?:{p})")).collect::<Vec<_>>().join("|"))
            };
            config.custom_classes.push(CustomClass {
                id,
                name: Some(entry.name.clone()),
                value_regex: join(&entry.patterns),
                key_regex: join(&entry.key_patterns),
                sections: Vec::new(),
                severity,
                category: Category::Custom,
            });
        }
        Ok(config)
    }

    /// Built-in ids that `disabled_classes` turns off, with Metlo names expanded.
    pub(crate) fn disabled_builtin_ids(&self) -> Result<Vec<&'static str>, ConfigError> {
        let mut ids = Vec::new();
        for name in &self.disabled_classes {
            if let Some((_, mapped)) = METLO_CLASS_NAMES.iter().find(|(metlo, _)| metlo == name) {
                ids.extend_from_slice(mapped);
            } else if let Some(def) = BUILTINS.iter().find(|b| b.id == name) {
                ids.push(def.id);
            } else {
                return Err(ConfigError::UnknownClass { name: name.clone() });
            }
        }
        Ok(ids)
    }
}

/// Metlo's risk scores as Palisade severities; Metlo has no critical level.
fn metlo_severity(score: &str) -> Option<Severity> {
    match score.trim().to_ascii_uppercase().as_str() {
        "NONE" => Some(Severity::Info),
        "LOW" => Some(Severity::Low),
        "MEDIUM" => Some(Severity::Medium),
        "HIGH" => Some(Severity::High),
        _ => None,
    }
}

/// `Employee ID-2` becomes `employee_id_2`.
fn snake_case(name: &str) -> String {
    let mut id = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c.to_ascii_lowercase());
        } else if !id.is_empty() && !id.ends_with('_') {
            id.push('_');
        }
    }
    while id.ends_with('_') {
        id.pop();
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_table() {
        assert_eq!(snake_case("Employee ID"), "employee_id");
        assert_eq!(snake_case("  my-class_2 "), "my_class_2");
        assert_eq!(snake_case("X"), "x");
    }

    #[test]
    fn metlo_sensitive_data_reads_in_order() {
        let yaml = "\
Employee ID:
  severity: HIGH
  patterns:
    - 'EMP-[0-9]{6}'
Internal Token:
  severity: LOW
  keyPatterns:
    - '(?i)x-internal-token'
";
        let map: MetloSensitiveDataMap = serde_saphyr::from_str(yaml).unwrap();
        assert_eq!(map.0.len(), 2);
        assert_eq!(map.0[0].name, "Employee ID");
        assert_eq!(map.0[0].patterns, vec!["EMP-[0-9]{6}".to_string()]);
        assert_eq!(map.0[1].key_patterns, vec!["(?i)x-internal-token".to_string()]);

        let config = ClassifyConfig::from_metlo(&map.0, &["IP_ADDRESS".to_string()]).unwrap();
        assert_eq!(config.custom_classes[0].id, "employee_id");
        assert_eq!(config.custom_classes[0].severity, Severity::High);
        assert_eq!(config.custom_classes[0].value_regex.as_deref(), Some("(?:EMP-[0-9]{6})"));
        assert_eq!(config.custom_classes[1].key_regex.as_deref(), Some("(?:(?i)x-internal-token)"));
        assert_eq!(config.disabled_builtin_ids().unwrap(), vec!["ipv4_address", "ipv6_address"]);
    }

    #[test]
    fn metlo_sensitive_data_writes_back_as_a_map() {
        let yaml = "Employee ID:\n  severity: HIGH\n  patterns:\n    - 'EMP-[0-9]{6}'\n";
        let map: MetloSensitiveDataMap = serde_saphyr::from_str(yaml).unwrap();
        let written = serde_saphyr::to_string(&map).unwrap();
        let again: MetloSensitiveDataMap = serde_saphyr::from_str(&written).unwrap();
        assert_eq!(again, map, "{written}");
    }

    #[test]
    fn metlo_unknown_field_is_rejected() {
        let yaml = "X:\n  severity: LOW\n  pattern: 'a'\n";
        assert!(serde_saphyr::from_str::<MetloSensitiveDataMap>(yaml).is_err());
    }

    #[test]
    fn metlo_errors_name_class_and_position() {
        let entry = MetloSensitiveData {
            name: "Broken".to_string(),
            severity: "LOW".to_string(),
            patterns: vec!["ok".to_string(), "a(b".to_string()],
            key_patterns: Vec::new(),
        };
        let error = ClassifyConfig::from_metlo(&[entry], &[]).unwrap_err();
        match &error {
            ConfigError::InvalidRegex { class, field, offset, .. } => {
                assert_eq!(class, "Broken");
                assert_eq!(field, "patterns[1]");
                assert_eq!(*offset, 1);
            }
            other => panic!("unexpected error {other:?}"),
        }

        let bad_severity =
            MetloSensitiveData { severity: "URGENT".to_string(), patterns: vec!["a".to_string()], ..entry_named("X") };
        assert!(matches!(ClassifyConfig::from_metlo(&[bad_severity], &[]), Err(ConfigError::InvalidSeverity { .. })));
        assert!(matches!(
            ClassifyConfig::from_metlo(&[], &["NOT_A_CLASS".to_string()]),
            Err(ConfigError::UnknownClass { .. })
        ));
    }

    fn entry_named(name: &str) -> MetloSensitiveData {
        MetloSensitiveData {
            name: name.to_string(),
            severity: "LOW".to_string(),
            patterns: Vec::new(),
            key_patterns: Vec::new(),
        }
    }

    #[test]
    fn config_rejects_unknown_fields() {
        let yaml = "max_value_bytes: 100\nmax_bytes: 3\n";
        assert!(serde_saphyr::from_str::<ClassifyConfig>(yaml).is_err());
        let config: ClassifyConfig = serde_saphyr::from_str("max_value_bytes: 100\n").unwrap();
        assert_eq!(config.max_value_bytes, 100);
        assert_eq!(config.phone_regions, vec!["US".to_string()]);
    }
}
