//! Handlebars templating of test files, compatible with how Metlo's files use it:
//! `{{VAR}}`, `{{global.VAR}}` and `{{default VAR "fallback"}}`.
//!
//! Differences from Metlo's runner: output is never HTML-escaped (Metlo's escaped `"` in
//! JSON bodies to `&quot;`), and a variable that is not defined is an error rather than an
//! empty string. Palisade adds the helpers `json`, `base64`, `urlencode`, `jwt_none`,
//! `jwt_sign` and `jwt_expired`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use base64::Engine;
use handlebars::{
    Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderError, RenderErrorReason, Renderable,
    StringOutput, Template,
};
use serde_json::{Map, Value};

/// Text written in place of a secret value.
pub const REDACTED: &str = "[redacted]";

/// Secret values shorter than this are not redacted: replacing every "1" or "ab" in a
/// report would make it unreadable, and such short values are not real secrets.
pub const MIN_SECRET_CHARS: usize = 3;

/// Variables of one test run: the global environment, read as `{{global.NAME}}`, and the
/// test's own variables, read as `{{NAME}}`.
#[derive(Debug, Clone)]
pub struct Variables {
    globals: Map<String, Value>,
    /// The test variables plus `global`, kept ready as the rendering context so that a
    /// render does not copy them.
    context: Context,
}

impl Default for Variables {
    fn default() -> Self {
        Self::new(&BTreeMap::new())
    }
}

impl Variables {
    pub fn new(globals: &BTreeMap<String, String>) -> Self {
        let globals: Map<String, Value> = globals.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        let mut context = Map::new();
        context.insert("global".into(), Value::Object(globals.clone()));
        Self { globals, context: Context::from(Value::Object(context)) }
    }

    /// Sets a test variable. The name `global` is kept for the global environment and is
    /// ignored here.
    pub fn set(&mut self, name: &str, value: Value) {
        if name == "global" {
            return;
        }
        if let Value::Object(map) = self.context.data_mut() {
            map.insert(name.to_string(), value);
        }
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        if name == "global" {
            return None;
        }
        self.context.data().get(name)
    }

    /// Returns the test variables, without `global`.
    pub fn vars(&self) -> impl Iterator<Item = (&String, &Value)> {
        let map = match self.context.data() {
            Value::Object(map) => Some(map),
            _ => None,
        };
        map.into_iter().flat_map(|m| m.iter()).filter(|(name, _)| name.as_str() != "global")
    }

    pub fn globals(&self) -> &Map<String, Value> {
        &self.globals
    }
}

/// Values that never appear in reports or logs: everything in the global environment.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    /// Sorted by decreasing length, so a secret that contains another is replaced whole.
    values: Vec<String>,
}

impl Secrets {
    pub fn new<'a>(values: impl IntoIterator<Item = &'a str>) -> Self {
        let mut values: Vec<String> =
            values.into_iter().filter(|v| v.chars().count() >= MIN_SECRET_CHARS).map(str::to_string).collect();
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        values.dedup();
        Self { values }
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Returns `text` with every secret value replaced by [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in &self.values {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), REDACTED);
            }
        }
        out
    }
}

/// An error rendering a template.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("undefined variable `{0}`: define it in `env`, with --env {0}=VALUE, or extract it in an earlier step")]
    Undefined(String),
    #[error("invalid template: {0}")]
    Invalid(String),
}

fn engine() -> &'static Handlebars<'static> {
    static ENGINE: OnceLock<Handlebars<'static>> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut hb = Handlebars::new();
        hb.register_escape_fn(handlebars::no_escape);
        hb.set_strict_mode(true);
        hb.register_helper("default", Box::new(default_helper));
        hb.register_helper("json", Box::new(json_helper));
        hb.register_helper("base64", Box::new(base64_helper));
        hb.register_helper("urlencode", Box::new(urlencode_helper));
        hb.register_helper("jwt_none", Box::new(jwt_none_helper));
        hb.register_helper("jwt_sign", Box::new(jwt_sign_helper));
        hb.register_helper("jwt_expired", Box::new(jwt_expired_helper));
        hb
    })
}

/// Checks the syntax of a template without rendering it.
pub fn check_syntax(text: &str) -> Result<(), String> {
    if !text.contains("{{") {
        return Ok(());
    }
    Template::compile(text).map(|_| ()).map_err(|e| first_line(&e.to_string()))
}

/// Most compiled templates kept per thread; the cache is emptied when it is full.
const MAX_CACHED_TEMPLATES: usize = 4096;

thread_local! {
    /// Compiled templates by their text. Compiling (a PEG parse) costs more than
    /// rendering, and a test renders the same strings for every step run.
    static COMPILED: std::cell::RefCell<std::collections::HashMap<String, Template>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// Renders `text` with `variables`. Text without `{{` is returned as it is.
pub fn render(text: &str, variables: &Variables) -> Result<String, TemplateError> {
    if !text.contains("{{") {
        return Ok(text.to_string());
    }
    if let Some(rendered) = render_plain_variables(text, variables) {
        return rendered;
    }
    COMPILED.with(|cell| {
        let mut cache = cell.borrow_mut();
        if !cache.contains_key(text) {
            let compiled = Template::compile(text).map_err(|e| TemplateError::Invalid(first_line(&e.to_string())))?;
            if cache.len() >= MAX_CACHED_TEMPLATES {
                cache.clear();
            }
            cache.insert(text.to_string(), compiled);
        }
        let template = cache.get(text).expect("inserted above");
        let engine = engine();
        let mut render_context = RenderContext::new(None);
        let mut output = StringOutput::new();
        template.render(engine, &variables.context, &mut render_context, &mut output).map_err(convert_error)?;
        output.into_string().map_err(|e| TemplateError::Invalid(e.to_string()))
    })
}

/// Renders a template whose expressions are all plain variables (`{{NAME}}` or
/// `{{global.NAME}}`) holding strings, numbers or booleans, without the template engine:
/// most test strings are of this kind, and this is several times faster. Returns `None`
/// for any other template, which the engine then renders with the same result.
fn render_plain_variables(text: &str, variables: &Variables) -> Option<Result<String, TemplateError>> {
    if text.contains('\\') {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 32);
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}")?;
        let expression = after[..end].trim();
        let (scope, name) = match expression.strip_prefix("global.") {
            Some(name) => (Some(variables.globals()), name),
            None => (None, expression),
        };
        let plain = !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if !plain || after[..end].starts_with(['{', '~', '!', '#', '/', '>', '&', '^']) {
            return None;
        }
        let value = match scope {
            Some(globals) => globals.get(name),
            None => variables.get(name),
        };
        match value {
            Some(Value::String(s)) => out.push_str(s),
            Some(Value::Number(n)) => out.push_str(&n.to_string()),
            Some(Value::Bool(b)) => out.push_str(if *b { "true" } else { "false" }),
            Some(_) => return None,
            None => return Some(Err(TemplateError::Undefined(expression.to_string()))),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Some(Ok(out))
}

fn convert_error(error: RenderError) -> TemplateError {
    match error.reason() {
        RenderErrorReason::MissingVariable(Some(name)) => TemplateError::Undefined(name.clone()),
        RenderErrorReason::MissingVariable(None) => TemplateError::Undefined(String::from("?")),
        _ => TemplateError::Invalid(first_line(&error.to_string())),
    }
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or(message).trim().to_string()
}

/// Text of a value as a template writes it: strings bare, everything else as JSON.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `{{default VAR "fallback"}}`: the variable, or the fallback when it is missing, null or
/// empty.
fn default_helper(
    h: &Helper,
    _: &Handlebars,
    _: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let value = h.param(0).map(|p| p.value().clone()).unwrap_or(Value::Null);
    let chosen = match &value {
        Value::Null => h.param(1).map(|p| p.value().clone()).unwrap_or(Value::Null),
        Value::String(s) if s.is_empty() => h.param(1).map(|p| p.value().clone()).unwrap_or(Value::Null),
        _ => value,
    };
    out.write(&value_text(&chosen))?;
    Ok(())
}

fn json_helper(h: &Helper, _: &Handlebars, _: &Context, _: &mut RenderContext, out: &mut dyn Output) -> HelperResult {
    let value = h.param(0).map(|p| p.value().clone()).unwrap_or(Value::Null);
    out.write(&value.to_string())?;
    Ok(())
}

fn base64_helper(h: &Helper, _: &Handlebars, _: &Context, _: &mut RenderContext, out: &mut dyn Output) -> HelperResult {
    let text = string_param(h, 0, "base64")?;
    out.write(&base64::engine::general_purpose::STANDARD.encode(text))?;
    Ok(())
}

fn urlencode_helper(
    h: &Helper,
    _: &Handlebars,
    _: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let text = string_param(h, 0, "urlencode")?;
    let encoded: String = form_urlencoded::byte_serialize(text.as_bytes()).collect();
    out.write(&encoded)?;
    Ok(())
}

fn jwt_none_helper(
    h: &Helper,
    _: &Handlebars,
    _: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let token = string_param(h, 0, "jwt_none")?;
    let forged = crate::jwt::unsigned(&token).map_err(|e| helper_error("jwt_none", &e.to_string()))?;
    out.write(&forged)?;
    Ok(())
}

fn jwt_sign_helper(
    h: &Helper,
    _: &Handlebars,
    _: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let token = string_param(h, 0, "jwt_sign")?;
    let secret = string_param(h, 1, "jwt_sign")?;
    let forged = crate::jwt::resigned(&token, &secret).map_err(|e| helper_error("jwt_sign", &e.to_string()))?;
    out.write(&forged)?;
    Ok(())
}

fn jwt_expired_helper(
    h: &Helper,
    _: &Handlebars,
    _: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let token = string_param(h, 0, "jwt_expired")?;
    let secret = string_param(h, 1, "jwt_expired")?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let forged = crate::jwt::expired(&token, &secret, now).map_err(|e| helper_error("jwt_expired", &e.to_string()))?;
    out.write(&forged)?;
    Ok(())
}

fn string_param(h: &Helper, index: usize, helper: &str) -> Result<String, RenderError> {
    match h.param(index).map(|p| p.value()) {
        Some(Value::Null) | None => Err(helper_error(helper, &format!("missing argument {}", index + 1))),
        Some(value) => Ok(value_text(value)),
    }
}

fn helper_error(helper: &str, message: &str) -> RenderError {
    RenderErrorReason::Other(format!("{helper}: {message}")).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn variables() -> Variables {
        let mut globals = BTreeMap::new();
        globals.insert("API_KEY".to_string(), "k-123456".to_string());
        let mut variables = Variables::new(&globals);
        variables.set("HOST", json!("127.0.0.1:8080"));
        variables.set("ID", json!(42));
        variables.set("EMPTY", json!(""));
        variables.set("OBJ", json!({"a": [1, 2]}));
        variables
    }

    #[test]
    fn render_cases() {
        let cases = [
            ("plain text", "plain text"),
            ("http://{{HOST}}/users/{{ID}}", "http://127.0.0.1:8080/users/42"),
            ("{{global.API_KEY}}", "k-123456"),
            ("{{default MISSING \"x\"}}", "x"),
            ("{{default EMPTY \"fallback\"}}", "fallback"),
            ("{{default HOST \"x\"}}", "127.0.0.1:8080"),
            ("{\"q\": \"{{HOST}}\" }", "{\"q\": \"127.0.0.1:8080\" }"),
            ("{{json OBJ}}", "{\"a\":[1,2]}"),
            ("{{OBJ.a.[1]}}", "2"),
            ("{{base64 \"user:pass\"}}", "dXNlcjpwYXNz"),
            ("{{urlencode \"a b&c\"}}", "a+b%26c"),
            ("<{{HOST}}>", "<127.0.0.1:8080>"),
        ];
        let variables = variables();
        for (template, expected) in cases {
            assert_eq!(render(template, &variables).unwrap(), expected, "{template}");
        }
    }

    #[test]
    fn plain_variables_render_as_engine_does() {
        let variables = variables();
        let cases = [
            "http://{{HOST}}/users/{{ID}}",
            "{{ HOST }}",
            "{{global.API_KEY}}-{{ID}}",
            "a {{HOST}} b {{HOST}} c",
            "{{HOST}}{{ID}}",
        ];
        for template in cases {
            let fast = render_plain_variables(template, &variables).expect("plain template").unwrap();
            let engine = engine().render_template(template, variables.context.data()).unwrap();
            assert_eq!(fast, engine, "{template}");
        }
        for template in
            ["{{OBJ}}", "{{default X \"y\"}}", "{{{HOST}}}", "{{OBJ.a}}", "\\{{HOST}}", "{{#if HOST}}x{{/if}}"]
        {
            assert!(render_plain_variables(template, &variables).is_none(), "{template}");
        }
        let missing = render_plain_variables("{{NOPE}}", &variables).unwrap();
        assert_eq!(missing, Err(TemplateError::Undefined("NOPE".into())));
        let missing_global = render_plain_variables("{{global.NOPE}}", &variables).unwrap();
        assert_eq!(missing_global, Err(TemplateError::Undefined("global.NOPE".into())));
    }

    #[test]
    fn undefined_variable_is_error() {
        let error = render("http://{{NOPE}}/", &variables()).unwrap_err();
        assert_eq!(error, TemplateError::Undefined("NOPE".into()));
    }

    #[test]
    fn check_syntax_rejects_unclosed() {
        assert!(check_syntax("{{HOST").is_err());
        assert!(check_syntax("{{HOST}}").is_ok());
        assert!(check_syntax("no braces").is_ok());
    }

    #[test]
    fn secrets_are_redacted() {
        let secrets = Secrets::new(["k-123456", "ab", "k-123"]);
        assert_eq!(secrets.redact("key=k-123456&x=k-123&y=ab"), "key=[redacted]&x=[redacted]&y=ab");
    }
}
