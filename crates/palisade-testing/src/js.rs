//! JavaScript for assertions and extractors, run in QuickJS (through `rquickjs`) with a
//! time limit and a memory limit and no I/O: QuickJS's core has no file, network or
//! process functions, and the `std` and `os` modules are never loaded.
//!
//! QuickJS was chosen over Boa after measuring both on the 2-core build machine. A clean
//! release build of a one-expression program took 39 s against 218 s (rquickjs 0.14,
//! boa_engine 0.22), and one evaluation in a fresh context took 143 µs against 434 µs.
//! QuickJS can also stop a script by memory use and by an interrupt check, where Boa
//! limits only loop iterations and recursion.
//!
//! A script sees `resp` and every test variable as globals, as in Metlo's runner, and its
//! value is the value of its last expression.

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

use rquickjs::{Context, Ctx, Runtime};
use serde_json::{Map, Value};

/// Limits for one evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsLimits {
    /// Wall-clock time one script may run.
    pub time_limit: Duration,
    /// Memory the JavaScript heap of one thread may use, in bytes.
    pub memory_limit_bytes: usize,
    /// Native stack one script may use, in bytes; bounds recursion.
    pub max_stack_bytes: usize,
}

impl Default for JsLimits {
    fn default() -> Self {
        Self { time_limit: Duration::from_secs(1), memory_limit_bytes: 64 * 1024 * 1024, max_stack_bytes: 512 * 1024 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsError {
    #[error("JavaScript ran longer than the limit of {0} ms (js_time_limit_ms)")]
    Timeout(u128),
    #[error("JavaScript used more memory than the limit of {0} bytes (js_memory_limit_bytes)")]
    OutOfMemory(usize),
    #[error("JavaScript error: {0}")]
    Exception(String),
    #[error("JavaScript returned {0}, which has no JSON value")]
    UnsupportedResult(&'static str),
    #[error("cannot start the JavaScript engine: {0}")]
    Engine(String),
}

/// One runtime per thread, reused across evaluations; each evaluation gets a fresh
/// context, so nothing a script defines is seen by the next one.
struct Engine {
    runtime: Runtime,
    limits: JsLimits,
}

thread_local! {
    static ENGINE: RefCell<Option<Engine>> = const { RefCell::new(None) };
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
    static INTERRUPTED: Cell<bool> = const { Cell::new(false) };
}

fn new_engine(limits: JsLimits) -> Result<Engine, JsError> {
    let runtime = Runtime::new().map_err(|e| JsError::Engine(e.to_string()))?;
    runtime.set_memory_limit(limits.memory_limit_bytes);
    runtime.set_max_stack_size(limits.max_stack_bytes);
    runtime.set_interrupt_handler(Some(Box::new(|| {
        let expired = DEADLINE.with(|d| d.get().is_some_and(|deadline| Instant::now() >= deadline));
        if expired {
            INTERRUPTED.with(|i| i.set(true));
        }
        expired
    })));
    Ok(Engine { runtime, limits })
}

/// The `resp` global: the object, and the body text for `resp.text`.
#[derive(Debug, Clone, Copy)]
pub struct Resp<'a> {
    pub value: &'a Value,
    pub text: Option<&'a str>,
}

/// Evaluates `script` with `resp` (when given) and `variables` as globals, and returns its
/// value as JSON (`undefined` becomes null). `resp.body` is the same value as `resp.data`.
pub fn evaluate(
    script: &str,
    resp: Option<Resp>,
    variables: &Map<String, Value>,
    limits: JsLimits,
) -> Result<Value, JsError> {
    ENGINE.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.as_ref().is_none_or(|engine| engine.limits != limits) {
            *slot = Some(new_engine(limits)?);
        }
        let Some(engine) = slot.as_ref() else { unreachable!("the engine was created above") };
        run(engine, script, resp, variables)
    })
}

fn run(engine: &Engine, script: &str, resp: Option<Resp>, variables: &Map<String, Value>) -> Result<Value, JsError> {
    let context = Context::full(&engine.runtime).map_err(|e| JsError::Engine(e.to_string()))?;
    DEADLINE.with(|d| d.set(Some(Instant::now() + engine.limits.time_limit)));
    INTERRUPTED.with(|i| i.set(false));

    let result = context.with(|ctx| -> Result<Value, JsError> {
        // Only globals that the script names are converted, because converting a large
        // body for a script that never reads `resp` costs more than the script itself.
        if let Some(resp) = resp
            && script.contains("resp")
        {
            set_resp(&ctx, resp).map_err(|e| error_from(&ctx, e, engine))?;
        }
        for (name, value) in variables {
            if script.contains(name.as_str()) && name != "resp" {
                set_global(&ctx, name, value).map_err(|e| error_from(&ctx, e, engine))?;
            }
        }

        let value: rquickjs::Value = ctx.eval(script).map_err(|e| error_from(&ctx, e, engine))?;
        to_json(&ctx, value).map_err(|e| match e {
            ConvertError::Js(error) => error_from(&ctx, error, engine),
            ConvertError::Unsupported(kind) => JsError::UnsupportedResult(kind),
        })
    });

    DEADLINE.with(|d| d.set(None));

    // When QuickJS cannot allocate even an error object it throws `null`. Memory use near
    // the limit, read before the context is freed, separates that case from a script that
    // throws null itself.
    let result = match result {
        Err(JsError::Exception(message)) if message == NON_ERROR_THROWN => {
            let used = engine.runtime.memory_usage().malloc_size;
            if used >= (engine.limits.memory_limit_bytes as i64) / 2 {
                Err(JsError::OutOfMemory(engine.limits.memory_limit_bytes))
            } else {
                Err(JsError::Exception(message))
            }
        }
        other => other,
    };
    drop(context);
    engine.runtime.run_gc();
    result
}

fn set_resp(ctx: &Ctx<'_>, resp: Resp) -> rquickjs::Result<()> {
    let object = ctx.json_parse(resp.value.to_string())?;
    if let Some(map) = object.as_object() {
        let data: rquickjs::Value = map.get("data")?;
        map.set("body", data)?;
        if let Some(text) = resp.text {
            map.set("text", text)?;
        }
    }
    ctx.globals().set("resp", object)
}

fn set_global(ctx: &Ctx<'_>, name: &str, value: &Value) -> rquickjs::Result<()> {
    let parsed = ctx.json_parse(value.to_string())?;
    ctx.globals().set(name, parsed)
}

enum ConvertError {
    Js(rquickjs::Error),
    Unsupported(&'static str),
}

fn to_json<'js>(ctx: &Ctx<'js>, value: rquickjs::Value<'js>) -> Result<Value, ConvertError> {
    if value.is_undefined() || value.is_null() {
        return Ok(Value::Null);
    }
    if let Some(b) = value.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Some(i) = value.as_int() {
        return Ok(Value::from(i));
    }
    if let Some(f) = value.as_float() {
        // QuickJS keeps results such as `200 + 1` as doubles; whole numbers are written as
        // integers so that they compare and print as the integers they are.
        if f.fract() == 0.0 && f.abs() < 9.0e15 {
            return Ok(Value::from(f as i64));
        }
        return Ok(serde_json::Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null));
    }
    if let Some(s) = value.as_string() {
        return s.to_string().map(Value::String).map_err(ConvertError::Js);
    }
    if value.is_function() {
        return Err(ConvertError::Unsupported("a function"));
    }
    if value.is_symbol() {
        return Err(ConvertError::Unsupported("a symbol"));
    }
    let text = ctx.json_stringify(value).map_err(ConvertError::Js)?;
    let Some(text) = text else { return Ok(Value::Null) };
    let text = text.to_string().map_err(ConvertError::Js)?;
    serde_json::from_str(&text).map_err(|_| ConvertError::Unsupported("a value that JSON cannot hold"))
}

fn error_from(ctx: &Ctx<'_>, error: rquickjs::Error, engine: &Engine) -> JsError {
    let limits = &engine.limits;
    if INTERRUPTED.with(|i| i.get()) {
        return JsError::Timeout(limits.time_limit.as_millis());
    }
    let message = match error {
        rquickjs::Error::Exception => {
            let thrown = ctx.catch();
            match thrown.as_exception() {
                Some(exception) => {
                    let name: Option<String> = exception.get("name").ok();
                    let message = exception.message().unwrap_or_default();
                    match name {
                        Some(name) if !name.is_empty() => format!("{name}: {message}"),
                        _ => message,
                    }
                }
                None => thrown
                    .as_string()
                    .and_then(|s| s.to_string().ok())
                    .unwrap_or_else(|| String::from(NON_ERROR_THROWN)),
            }
        }
        other => other.to_string(),
    };
    if message.contains("out of memory") {
        return JsError::OutOfMemory(limits.memory_limit_bytes);
    }
    JsError::Exception(message)
}

const NON_ERROR_THROWN: &str = "a non-error value was thrown";

/// True for values that JavaScript treats as true in a condition.
pub fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eval(script: &str) -> Result<Value, JsError> {
        let resp = json!({"status": 200, "data": {"items": [1, 2, 3]}, "headers": {"content-type": "text/html"}});
        let mut variables = Map::new();
        variables.insert("TOKEN".into(), json!("abc"));
        evaluate(script, Some(Resp { value: &resp, text: Some("<p>x</p>") }), &variables, JsLimits::default())
    }

    #[test]
    fn evaluates_expressions() {
        let cases = [
            ("resp.status < 300", json!(true)),
            ("resp.data.items.length", json!(3)),
            ("resp.body.items[1]", json!(2)),
            ("resp.text.length", json!(8)),
            ("resp.headers['content-type'].includes('html')", json!(true)),
            ("TOKEN + '!'", json!("abc!")),
            ("const x = 2; x * 21", json!(42)),
            ("({a: [1, {b: null}]})", json!({"a": [1, {"b": null}]})),
            ("undefined", json!(null)),
            ("1.5", json!(1.5)),
        ];
        for (script, expected) in cases {
            assert_eq!(eval(script).unwrap(), expected, "{script}");
        }
    }

    #[test]
    fn globals_do_not_leak_between_scripts() {
        assert_eq!(eval("var leaked = 1; leaked").unwrap(), json!(1));
        assert_eq!(eval("typeof leaked").unwrap(), json!("undefined"));
    }

    #[test]
    fn infinite_loop_times_out() {
        let limits = JsLimits { time_limit: Duration::from_millis(100), ..JsLimits::default() };
        let start = Instant::now();
        let result = evaluate("while (true) {}", None, &Map::new(), limits);
        assert_eq!(result, Err(JsError::Timeout(100)));
        assert!(start.elapsed() < Duration::from_secs(5));
        assert_eq!(evaluate("1 + 1", None, &Map::new(), limits), Ok(json!(2)));
    }

    #[test]
    fn memory_hog_is_stopped() {
        let limits = JsLimits { memory_limit_bytes: 8 * 1024 * 1024, ..JsLimits::default() };
        let result = evaluate("let a = []; while (true) { a.push('x'.repeat(1000)); }", None, &Map::new(), limits);
        assert_eq!(result, Err(JsError::OutOfMemory(8 * 1024 * 1024)));
    }

    #[test]
    fn exceptions_are_reported() {
        let error = eval("resp.nothing.deeper").unwrap_err();
        assert!(matches!(&error, JsError::Exception(m) if m.starts_with("TypeError")), "{error}");
        let syntax = eval("resp.status <").unwrap_err();
        assert!(matches!(&syntax, JsError::Exception(m) if m.starts_with("SyntaxError")), "{syntax}");
    }

    #[test]
    fn no_io_functions() {
        for name in ["require", "fetch", "XMLHttpRequest", "process", "std", "os"] {
            assert_eq!(eval(&format!("typeof {name}")).unwrap(), json!("undefined"), "{name}");
        }
    }

    #[test]
    fn truthiness() {
        let cases = [
            (json!(0), false),
            (json!(1), true),
            (json!(""), false),
            (json!("x"), true),
            (json!(null), false),
            (json!([]), true),
        ];
        for (value, expected) in cases {
            assert_eq!(is_truthy(&value), expected, "{value}");
        }
    }
}
