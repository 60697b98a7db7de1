//! Evaluating assertions: EQ, REGEXP and JavaScript.

use regex::{Regex, RegexBuilder};
use serde_json::Value;

use crate::extract::{EvalError, Scope};
use crate::js;
use crate::model::{Assertion, AssertionType, Comparison, Expected, Primitive};
use crate::template;

/// Largest compiled size of one regular expression in a test, in bytes; bounds memory
/// for patterns with large repetition counts.
pub const MAX_REGEX_BYTES: usize = 1024 * 1024;

/// Compiles a pattern of a test file with the size limit.
pub fn compile_regex(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern).size_limit(MAX_REGEX_BYTES).build()
}

/// The outcome of an assertion that could be evaluated.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub passed: bool,
    /// Description of the comparison, such as `resp.status EQ any of [401, 403]`; empty
    /// when an EQ or REGEXP assertion passed.
    pub description: String,
    /// The value found, for the report.
    pub actual: Value,
}

/// Evaluates an assertion against a response.
pub fn evaluate(assertion: &Assertion, scope: &Scope) -> Result<Outcome, EvalError> {
    match assertion {
        Assertion::Script(script) => script_truthy(script, scope),
        Assertion::Compare(comparison) => compare(comparison, scope),
    }
}

fn script_truthy(script: &str, scope: &Scope) -> Result<Outcome, EvalError> {
    let actual = scope.run_js(script)?;
    Ok(Outcome { passed: js::is_truthy(&actual), description: script.to_string(), actual })
}

fn compare(comparison: &Comparison, scope: &Scope) -> Result<Outcome, EvalError> {
    let key = comparison.key.as_deref();
    match comparison.kind {
        AssertionType::Js => {
            let Expected::One(Primitive::String(script)) = &comparison.value else {
                unreachable!("the parser accepts only one string for JS assertions")
            };
            match key {
                None => script_truthy(script, scope),
                Some(key) => {
                    let expected = scope.run_js(script)?;
                    let actual = scope.lookup(key)?.unwrap_or(Value::Null);
                    let passed = loose_eq(&actual, &expected);
                    Ok(Outcome { passed, description: format!("{key} EQ ({script})"), actual })
                }
            }
        }
        AssertionType::Eq => {
            let key = key.unwrap_or("resp");
            let actual = scope.lookup(key)?;
            let expected = rendered_items(&comparison.value, scope)?;
            let passed = match &actual {
                Some(actual) => expected.iter().any(|e| loose_eq(actual, e)),
                None => false,
            };
            // The description is only read when the assertion fails.
            let description = if passed {
                String::new()
            } else {
                format!("{key} EQ {}", describe_expected(&expected, comparison.value.is_list()))
            };
            Ok(Outcome { passed, description, actual: actual.unwrap_or(Value::Null) })
        }
        AssertionType::Regexp => {
            let key = key.unwrap_or("resp.text");
            let actual = scope.lookup(key)?;
            let text = actual.as_ref().map(template::value_text).unwrap_or_default();
            let mut passed = false;
            let patterns = rendered_items(&comparison.value, scope)?;
            for pattern in &patterns {
                let pattern = template::value_text(pattern);
                let regex = compile_regex(&pattern)
                    .map_err(|e| EvalError::Regex { pattern: pattern.clone(), message: e.to_string() })?;
                if actual.is_some() && regex.is_match(&text) {
                    passed = true;
                    break;
                }
            }
            let description = if passed {
                String::new()
            } else {
                format!("{key} REGEXP {}", describe_expected(&patterns, comparison.value.is_list()))
            };
            Ok(Outcome { passed, description, actual: actual.unwrap_or(Value::Null) })
        }
    }
}

impl Expected {
    fn is_list(&self) -> bool {
        matches!(self, Expected::AnyOf(_))
    }
}

/// Expected values with templates in strings rendered.
fn rendered_items(expected: &Expected, scope: &Scope) -> Result<Vec<Value>, EvalError> {
    let mut out = Vec::new();
    for item in expected.items() {
        match item {
            Primitive::String(text) => out.push(Value::String(template::render(text, scope.variables)?)),
            other => out.push(other.to_json()),
        }
    }
    Ok(out)
}

fn describe_expected(values: &[Value], list: bool) -> String {
    let shown: Vec<String> = values.iter().map(Value::to_string).collect();
    if list { format!("any of [{}]", shown.join(", ")) } else { shown.join(", ") }
}

/// Equality between a value found in a response and an expected value, lenient about
/// text: `200` equals `"200"` and `true` equals `"true"`, because headers are always text
/// while YAML writes `value: 648` as a number.
pub fn loose_eq(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Number(n), Value::String(s)) | (Value::String(s), Value::Number(n)) => {
            s.trim().parse::<f64>().ok() == n.as_f64()
        }
        (Value::Bool(b), Value::String(s)) | (Value::String(s), Value::Bool(b)) => {
            s == if *b { "true" } else { "false" }
        }
        (a, b) => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::js::JsLimits;
    use crate::response::HttpResponse;
    use crate::template::Variables;
    use serde_json::json;

    fn check(assertion: Assertion) -> Result<Outcome, EvalError> {
        let response = HttpResponse {
            status: 403,
            headers: vec![("content-length".into(), "648".into()), ("content-type".into(), "application/json".into())],
            body: br#"{"error":"forbidden","admin":false}"#.to_vec(),
            truncated: false,
            duration_ms: 20.0,
            url: "http://127.0.0.1/".into(),
        };
        let resp = crate::response::RespView::new(&response);
        let mut variables = Variables::default();
        variables.set("EXPECTED", json!("forbidden"));
        let scope = Scope { resp: &resp, variables: &variables, js_limits: JsLimits::default() };
        evaluate(&assertion, &scope)
    }

    fn passes(assertion: Assertion) -> bool {
        check(assertion).unwrap().passed
    }

    #[test]
    fn eq_cases() {
        assert!(passes(Assertion::eq("resp.status", 403)));
        assert!(!passes(Assertion::eq("resp.status", 200)));
        assert!(passes(Assertion::eq("resp.status", &[401u16, 403][..])));
        assert!(!passes(Assertion::eq("resp.status", &[200u16, 201][..])));
        assert!(passes(Assertion::eq("resp.headers['content-length']", "648")));
        assert!(passes(Assertion::eq("resp.headers['content-length']", 648)));
        assert!(passes(Assertion::eq("resp.data.error", "{{EXPECTED}}")));
        assert!(passes(Assertion::eq("resp.data.admin", "false")));
        assert!(!passes(Assertion::eq("resp.data.missing", "x")));
    }

    #[test]
    fn regexp_cases() {
        assert!(passes(Assertion::regexp("resp.data.error", "^forb")));
        assert!(!passes(Assertion::regexp("resp.data.error", "^allowed")));
        assert!(passes(Assertion::regexp("resp.status", "^4\\d\\d$")));
        assert!(!passes(Assertion::regexp("resp.nothing", ".*")));
    }

    #[test]
    fn js_cases() {
        assert!(passes(Assertion::js("resp.status >= 400")));
        assert!(!passes(Assertion::js("resp.status < 300")));
        assert!(passes(Assertion::js("resp.duration < 1000")));
        let keyed = Assertion::Compare(Comparison {
            kind: AssertionType::Js,
            key: Some("resp.status".into()),
            value: Expected::One(Primitive::String("400 + 3".into())),
        });
        assert!(passes(keyed));
    }

    #[test]
    fn description_shows_any_of() {
        let outcome = check(Assertion::eq("resp.status", &[401u16, 200][..])).unwrap();
        assert!(!outcome.passed);
        assert_eq!(outcome.description, "resp.status EQ any of [401, 200]");
        assert_eq!(outcome.actual, json!(403));
    }

    #[test]
    fn js_error_is_error() {
        assert!(matches!(check(Assertion::js("nope(")), Err(EvalError::Js(_))));
    }

    #[test]
    fn loose_eq_cases() {
        let cases = [
            (json!(200), json!(200), true),
            (json!(200), json!(200.0), true),
            (json!("200"), json!(200), true),
            (json!("20x"), json!(200), false),
            (json!(true), json!("true"), true),
            (json!("a"), json!("a"), true),
            (json!("a"), json!("A"), false),
            (json!(null), json!("null"), false),
        ];
        for (a, b, expected) in cases {
            assert_eq!(loose_eq(&a, &b), expected, "{a} {b}");
        }
    }
}
