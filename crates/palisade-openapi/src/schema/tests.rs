use serde_json::json;

use super::*;
use crate::settings::ImportSettings;

fn document(dialect: Dialect) -> Document {
    let root = json!({"components": {"schemas": {
        "User": {
            "type": "object",
            "required": ["id", "email"],
            "additionalProperties": false,
            "properties": {
                "id": {"type": "integer", "minimum": 1},
                "email": {"type": "string", "format": "email"},
                "nickname": {"type": "string", "nullable": true, "maxLength": 5},
                "role": {"type": "string", "enum": ["admin", "member"]},
                "tags": {"type": "array", "items": {"type": "string", "pattern": "^[a-z]+$"}, "maxItems": 2},
                "score": {"type": "number", "exclusiveMinimum": true, "minimum": 0},
                "rank": {"type": "number", "exclusiveMinimum": 0},
                "alias": {"type": ["string", "null"]}
            }
        },
        "Node": {"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}}},
        "Loop": {"allOf": [{"$ref": "#/components/schemas/Loop"}]},
        "Pet": {
            "oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
            "discriminator": {"propertyName": "kind"}
        },
        "Cat": {"type": "object", "required": ["kind", "lives"], "properties": {"kind": {"type": "string"}, "lives": {"type": "integer"}}},
        "Dog": {"type": "object", "required": ["kind", "barks"], "properties": {"kind": {"type": "string"}, "barks": {"type": "boolean"}}},
        "IdOrName": {"anyOf": [{"type": "integer"}, {"type": "string", "minLength": 3}]},
        "NotEmpty": {"type": "string", "not": {"const": ""}},
        "Merged": {"allOf": [{"$ref": "#/components/schemas/Cat"}, {"required": ["name"]}]}
    }}});
    Document::new(root, dialect, ImportSettings::default())
}

fn check(dialect: Dialect, schema: &str, value: serde_json::Value) -> Vec<(String, String, &'static str)> {
    let document = document(dialect);
    let schema = SchemaRef::at(format!("/components/schemas/{schema}"));
    validate_value(&document, &schema, &value, 10)
        .into_iter()
        .map(|v| (v.schema_pointer, v.instance_path, v.keyword))
        .collect()
}

const USER: &str = "/components/schemas/User";

#[test]
fn valid_values_pass() {
    let cases = [
        (
            "User",
            json!({"id": 1, "email": "ada@example.com", "nickname": null, "tags": ["a", "b"], "score": 0.5, "alias": null}),
        ),
        ("User", json!({"id": 2.0, "email": "b@example.com", "role": "admin"})),
        ("Node", json!({"children": [{"children": [{"children": []}]}]})),
        ("Pet", json!({"kind": "Cat", "lives": 9})),
        ("IdOrName", json!(42)),
        ("IdOrName", json!("bob")),
        ("NotEmpty", json!("x")),
        ("Merged", json!({"kind": "Cat", "lives": 1, "name": "Tom"})),
        ("Loop", json!({"anything": true})),
    ];
    for (schema, value) in cases {
        assert_eq!(check(Dialect::OpenApi30, schema, value.clone()), vec![], "{schema} {value}");
    }
}

#[test]
fn each_keyword_reports_its_pointer() {
    let p = |suffix: &str| format!("{USER}{suffix}");
    let base = json!({"id": 1, "email": "ada@example.com"});
    let with = |key: &str, value: serde_json::Value| {
        let mut object = base.clone();
        object[key] = value;
        object
    };
    let cases = [
        (json!("not an object"), vec![(p("/type"), "", "type")]),
        (json!({"id": 1}), vec![(p("/required"), "email", "required")]),
        (with("id", json!("1")), vec![(p("/properties/id/type"), "id", "type")]),
        (with("id", json!(0)), vec![(p("/properties/id/minimum"), "id", "minimum")]),
        (with("email", json!("[email]")), vec![(p("/properties/email/format"), "email", "format")]),
        (with("nickname", json!("toolong")), vec![(p("/properties/nickname/maxLength"), "nickname", "maxLength")]),
        (with("role", json!("owner")), vec![(p("/properties/role/enum"), "role", "enum")]),
        (with("tags", json!(["ok", "Bad"])), vec![(p("/properties/tags/items/pattern"), "tags[]", "pattern")]),
        (with("tags", json!(["a", "b", "c"])), vec![(p("/properties/tags/maxItems"), "tags", "maxItems")]),
        (with("score", json!(0)), vec![(p("/properties/score/minimum"), "score", "minimum")]),
        (with("extra", json!(1)), vec![(p("/additionalProperties"), "extra", "additionalProperties")]),
        (with("alias", json!(3)), vec![(p("/properties/alias/type"), "alias", "type")]),
    ];
    for (value, expected) in cases {
        let expected: Vec<(String, String, &str)> =
            expected.into_iter().map(|(a, b, c)| (a, b.to_string(), c)).collect();
        assert_eq!(check(Dialect::OpenApi30, "User", value.clone()), expected, "{value}");
    }
}

#[test]
fn dialects_read_nullable_and_exclusive_bounds() {
    let value = json!({"id": 1, "email": "a@example.com", "nickname": null, "alias": null, "rank": 0});
    // 3.0: `nullable` allows null, a type list is not 3.0 syntax but null is listed, and a
    // numeric exclusiveMinimum is ignored.
    assert_eq!(check(Dialect::OpenApi30, "User", value.clone()), vec![]);
    // 3.1: `nullable` is ignored and exclusiveMinimum is a number.
    let found = check(Dialect::OpenApi31, "User", value);
    let keywords: Vec<&str> = found.iter().map(|(_, _, k)| *k).collect();
    assert_eq!(keywords, vec!["type", "exclusiveMinimum"], "{found:?}");
}

#[test]
fn combinators_and_discriminator() {
    let cases = [
        (
            "Pet",
            json!({"kind": "Dog", "barks": "loud"}),
            vec![("/components/schemas/Dog/properties/barks/type", "barks", "type")],
        ),
        ("Pet", json!({"kind": "Cow"}), vec![("/components/schemas/Pet/oneOf", "", "oneOf")]),
        ("IdOrName", json!("ab"), vec![("/components/schemas/IdOrName/anyOf", "", "anyOf")]),
        ("NotEmpty", json!(""), vec![("/components/schemas/NotEmpty/not", "", "not")]),
        (
            "Merged",
            json!({"kind": "Cat", "lives": 1}),
            vec![("/components/schemas/Merged/allOf/1/required", "name", "required")],
        ),
    ];
    for (schema, value, expected) in cases {
        let expected: Vec<(String, String, &str)> =
            expected.into_iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c)).collect();
        assert_eq!(check(Dialect::OpenApi30, schema, value.clone()), expected, "{schema} {value}");
    }
}

#[test]
fn violations_are_capped() {
    let document = document(Dialect::OpenApi30);
    let schema = SchemaRef::at(format!("{USER}/properties/tags"));
    let value = json!(["A", "B", "C", "D", "E"]);
    assert_eq!(validate_value(&document, &schema, &value, 2).len(), 2);
    assert!(!is_valid(&document, &schema, &value));
    assert!(is_valid(&document, &schema, &json!(["a"])));
}

#[test]
fn item_counts_in_words() {
    assert_eq!(items_text(1), "1 item");
    assert_eq!(items_text(0), "0 items");
    assert_eq!(items_text(3), "3 items");
}
