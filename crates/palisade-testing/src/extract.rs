//! Extractors, and the scope that extractors and assertions read from.

use regex::Regex;
use serde_json::{Map, Value};

use crate::js::{self, JsError, JsLimits};
use crate::model::{Extractor, ExtractorType};
use crate::path;
use crate::response::RespView;
use crate::template::{self, TemplateError, Variables};

/// Values that extractors and assertions read after one request.
pub struct Scope<'a> {
    /// The `resp` object.
    pub resp: &'a RespView<'a>,
    pub variables: &'a Variables,
    pub js_limits: JsLimits,
}

/// An error evaluating an extractor or assertion.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    #[error(transparent)]
    Path(#[from] path::PathError),
    #[error(transparent)]
    Js(#[from] JsError),
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error("invalid regular expression `{pattern}`: {message}")]
    Regex { pattern: String, message: String },
    #[error("invalid CSS selector `{selector}`: {message}")]
    Selector { selector: String, message: String },
}

impl Scope<'_> {
    /// Looks a path up the way Metlo does: `resp...` reads the response, `status` is
    /// `resp.status`, `global.NAME` reads the global environment, and any other first
    /// name is a test variable.
    pub fn lookup(&self, key: &str) -> Result<Option<Value>, path::PathError> {
        let segments = path::parse_cached(key)?;
        let (first, rest) = segments.split_first().expect("parse returns at least one segment");
        // The root is borrowed, so a lookup copies only the value it finds, not the body.
        let globals;
        let root: Option<&Value> = match first {
            path::Segment::Name(name) if name == "resp" => {
                // Fields are read from the view, which builds only what is asked for.
                let Some((field, deeper)) = rest.split_first() else {
                    return Ok(Some(self.resp.object().clone()));
                };
                let path::Segment::Name(field) = field else { return Ok(None) };
                let Some(value) = self.resp.field(field) else { return Ok(None) };
                return Ok(path::lookup(&value, deeper));
            }
            path::Segment::Name(name) if name == "status" => {
                return Ok(path::lookup(&Value::from(self.resp.response.status), rest));
            }
            path::Segment::Name(name) if name == "global" => {
                globals = Value::Object(self.variables.globals().clone());
                Some(&globals)
            }
            path::Segment::Name(name) => self.variables.get(name),
            path::Segment::Index(_) => None,
        };
        Ok(root.and_then(|value| path::lookup(value, rest)))
    }

    /// Runs a script with `resp` and the test variables as globals.
    pub fn run_js(&self, script: &str) -> Result<Value, JsError> {
        // Only variables the script names are passed, as the engine converts no others.
        let mut globals: Map<String, Value> = Map::new();
        if script.contains("global") {
            globals.insert("global".into(), Value::Object(self.variables.globals().clone()));
        }
        for (name, value) in self.variables.vars() {
            if script.contains(name.as_str()) {
                globals.insert(name.clone(), value.clone());
            }
        }
        let text = script.contains("text").then(|| self.resp.response.text());
        let resp = js::Resp { value: self.resp.object(), text: text.as_deref() };
        js::evaluate(script, Some(resp), &globals, self.js_limits)
    }
}

/// Runs one extractor and returns the value for its variable. A path or pattern that
/// finds nothing gives null, so a later assertion on the variable fails with a clear
/// value instead of the step stopping.
pub fn run_extractor(extractor: &Extractor, scope: &Scope) -> Result<Value, EvalError> {
    let value = template::render(&extractor.value, scope.variables)?;
    match extractor.kind {
        ExtractorType::Value => Ok(scope.lookup(&value)?.unwrap_or(Value::Null)),
        ExtractorType::Js => Ok(scope.run_js(&value)?),
        ExtractorType::Regexp => {
            let regex = compile(&value)?;
            let text = scope.resp.response.text();
            let Some(captures) = regex.captures(&text) else { return Ok(Value::Null) };
            let matched = captures.name("value").or_else(|| captures.get(0));
            Ok(matched.map(|m| Value::String(m.as_str().to_string())).unwrap_or(Value::Null))
        }
        ExtractorType::Html => {
            let selector = scraper::Selector::parse(&value)
                .map_err(|e| EvalError::Selector { selector: value.clone(), message: e.to_string() })?;
            let document = scraper::Html::parse_document(&scope.resp.response.text());
            let text = document.select(&selector).next().map(|element| element.text().collect::<String>());
            Ok(text.map(|t| Value::String(t.trim().to_string())).unwrap_or(Value::Null))
        }
    }
}

fn compile(pattern: &str) -> Result<Regex, EvalError> {
    crate::assertion::compile_regex(pattern)
        .map_err(|e| EvalError::Regex { pattern: pattern.to_string(), message: e.to_string() })
}

/// Checks a CSS selector's syntax.
pub fn check_selector(selector: &str) -> Result<(), String> {
    scraper::Selector::parse(selector).map(|_| ()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::HttpResponse;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn response() -> HttpResponse {
        HttpResponse {
            status: 200,
            headers: vec![("content-type".into(), "text/html".into()), ("x-request-id".into(), "r-1".into())],
            body: br#"<html><body><h1 class="title"> Hello </h1><input name="csrf" value="c-9"><p>token=abc123;</p></body></html>"#.to_vec(),
            truncated: false,
            duration_ms: 5.0,
            url: "http://127.0.0.1/".into(),
        }
    }

    fn extract(kind: ExtractorType, value: &str) -> Value {
        let response = response();
        let resp = RespView::new(&response);
        let mut globals = BTreeMap::new();
        globals.insert("SECRET".to_string(), "s3cret".to_string());
        let mut variables = Variables::new(&globals);
        variables.set("PREV", json!({"id": 5}));
        let scope = Scope { resp: &resp, variables: &variables, js_limits: JsLimits::default() };
        run_extractor(&Extractor { name: "X".into(), kind, value: value.into() }, &scope).unwrap()
    }

    #[test]
    fn extractor_cases() {
        let cases = [
            (ExtractorType::Value, "resp.status", json!(200)),
            (ExtractorType::Value, "status", json!(200)),
            (ExtractorType::Value, "resp.headers['X-Request-Id']", json!("r-1")),
            (ExtractorType::Value, "PREV.id", json!(5)),
            (ExtractorType::Value, "global.SECRET", json!("s3cret")),
            (ExtractorType::Value, "resp.nothing", json!(null)),
            (ExtractorType::Js, "resp.status + 1", json!(201)),
            (ExtractorType::Regexp, "token=[a-z0-9]+", json!("token=abc123")),
            (ExtractorType::Regexp, "token=(?P<value>[a-z0-9]+)", json!("abc123")),
            (ExtractorType::Regexp, "nomatch\\d", json!(null)),
            (ExtractorType::Html, "h1.title", json!("Hello")),
            (ExtractorType::Html, "p", json!("token=abc123;")),
            (ExtractorType::Html, "table", json!(null)),
        ];
        for (kind, value, expected) in cases {
            assert_eq!(extract(kind, value), expected, "{kind:?} {value}");
        }
    }

    #[test]
    fn selector_check() {
        assert!(check_selector("div > p.x").is_ok());
        assert!(check_selector("div >>> ").is_err());
    }
}
