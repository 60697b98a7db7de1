//! The JSON Schema of test files, for editors that validate YAML against a schema.

use crate::model::TestFile;

/// Returns the JSON Schema (draft 2020-12) of a test file.
pub fn json_schema() -> serde_json::Value {
    let schema = schemars::schema_for!(TestFile);
    schema.to_value()
}

/// Returns the schema as pretty-printed JSON with a final line break, as written to
/// `docs/test-schema.json`.
pub fn json_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&json_schema()).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_schema_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/test-schema.json");
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(path, json_schema_text()).unwrap();
        }
        let published = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            published == json_schema_text(),
            "docs/test-schema.json is out of date: run `palisade test schema --out docs/test-schema.json` \
             or this test with UPDATE_GOLDEN=1"
        );
    }

    #[test]
    fn schema_describes_assertions_and_payloads() {
        let schema = json_schema();
        let assertion = &schema["$defs"]["Assertion"]["anyOf"];
        assert_eq!(assertion[0]["type"], "string");
        let names = schema["$defs"]["BuiltinListName"]["enum"].as_array().unwrap();
        assert!(names.iter().any(|n| n == "SQLI_TIME"));
    }
}
