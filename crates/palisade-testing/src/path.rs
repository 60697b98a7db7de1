//! Paths such as `resp.data.items[0].id` or `resp.headers['content-type']`, as Metlo
//! reads them with lodash's `get`: names separated by dots, and brackets holding an index
//! or a quoted name.

use serde_json::{Map, Value};

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Name(String),
    Index(usize),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid path `{path}`: {reason}")]
pub struct PathError {
    pub path: String,
    pub reason: &'static str,
}

/// Most parsed paths kept per thread; the cache is emptied when it is full.
const MAX_CACHED_PATHS: usize = 4096;

thread_local! {
    /// Parsed paths by their text, because a test evaluates the same keys for every
    /// request.
    static PARSED: std::cell::RefCell<std::collections::HashMap<String, std::rc::Rc<[Segment]>>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// Splits a path into segments, reusing an earlier parse of the same text.
pub fn parse_cached(path: &str) -> Result<std::rc::Rc<[Segment]>, PathError> {
    PARSED.with(|cell| {
        if let Some(found) = cell.borrow().get(path) {
            return Ok(found.clone());
        }
        let segments: std::rc::Rc<[Segment]> = parse(path)?.into();
        let mut cache = cell.borrow_mut();
        if cache.len() >= MAX_CACHED_PATHS {
            cache.clear();
        }
        cache.insert(path.to_string(), segments.clone());
        Ok(segments)
    })
}

/// Splits a path into segments.
pub fn parse(path: &str) -> Result<Vec<Segment>, PathError> {
    let error = |reason| PathError { path: path.to_string(), reason };
    let mut segments = Vec::new();
    let mut chars = path.trim().chars().peekable();
    let mut name = String::new();

    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if !name.is_empty() {
                    segments.push(Segment::Name(std::mem::take(&mut name)));
                } else if segments.is_empty() {
                    return Err(error("a path cannot start with `.`"));
                }
            }
            '[' => {
                if !name.is_empty() {
                    segments.push(Segment::Name(std::mem::take(&mut name)));
                }
                let mut inner = String::new();
                let quote = chars.peek().copied().filter(|q| *q == '\'' || *q == '"');
                if let Some(q) = quote {
                    chars.next();
                    loop {
                        match chars.next() {
                            Some(ch) if ch == q => break,
                            Some('\\') => inner.extend(chars.next()),
                            Some(ch) => inner.push(ch),
                            None => return Err(error("unclosed quote")),
                        }
                    }
                    if chars.next() != Some(']') {
                        return Err(error("expected `]` after the quoted name"));
                    }
                    segments.push(Segment::Name(inner));
                } else {
                    loop {
                        match chars.next() {
                            Some(']') => break,
                            Some(ch) => inner.push(ch),
                            None => return Err(error("unclosed `[`")),
                        }
                    }
                    let inner = inner.trim();
                    match inner.parse::<usize>() {
                        Ok(index) => segments.push(Segment::Index(index)),
                        Err(_) if !inner.is_empty() => segments.push(Segment::Name(inner.to_string())),
                        Err(_) => return Err(error("empty `[]`")),
                    }
                }
            }
            _ => name.push(c),
        }
    }
    if !name.is_empty() {
        segments.push(Segment::Name(name));
    }
    if segments.is_empty() {
        return Err(error("empty path"));
    }
    Ok(segments)
}

/// Follows `segments` from `value`. Object names are matched exactly first and then
/// without case, so `resp.headers['Content-Type']` finds the lower-case header. Arrays
/// and strings also have `length`.
pub fn lookup(value: &Value, segments: &[Segment]) -> Option<Value> {
    // Values are followed by reference and only the result is copied, so reading
    // `resp.data.id` does not copy the body.
    let mut current = value;
    for (index, segment) in segments.iter().enumerate() {
        match step(current, segment)? {
            Found::Inside(next) => current = next,
            Found::Computed(computed) => return lookup(&computed, &segments[index + 1..]),
        }
    }
    Some(current.clone())
}

/// A value found by one step: a part of the value, or a value computed from it (`length`).
enum Found<'v> {
    Inside(&'v Value),
    Computed(Value),
}

fn step<'v>(value: &'v Value, segment: &Segment) -> Option<Found<'v>> {
    match (value, segment) {
        (Value::Object(map), Segment::Name(name)) => object_field(map, name).map(Found::Inside),
        (Value::Object(map), Segment::Index(index)) => object_field(map, &index.to_string()).map(Found::Inside),
        (Value::Array(items), Segment::Index(index)) => items.get(*index).map(Found::Inside),
        (Value::Array(items), Segment::Name(name)) if name == "length" => {
            Some(Found::Computed(Value::from(items.len())))
        }
        (Value::Array(items), Segment::Name(name)) => {
            name.parse::<usize>().ok().and_then(|i| items.get(i)).map(Found::Inside)
        }
        (Value::String(text), Segment::Name(name)) if name == "length" => {
            Some(Found::Computed(Value::from(text.encode_utf16().count())))
        }
        _ => None,
    }
}

fn object_field<'m>(map: &'m Map<String, Value>, name: &str) -> Option<&'m Value> {
    map.get(name).or_else(|| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parse_cases() {
        let name = |s: &str| Segment::Name(s.into());
        let cases: Vec<(&str, Vec<Segment>)> = vec![
            ("resp.status", vec![name("resp"), name("status")]),
            ("resp.headers['content-type']", vec![name("resp"), name("headers"), name("content-type")]),
            ("resp.headers[\"x.y\"]", vec![name("resp"), name("headers"), name("x.y")]),
            ("a.items[0].id", vec![name("a"), name("items"), Segment::Index(0), name("id")]),
            ("a[1][2]", vec![name("a"), Segment::Index(1), Segment::Index(2)]),
            ("a.0", vec![name("a"), name("0")]),
        ];
        for (path, expected) in cases {
            assert_eq!(parse(path).unwrap(), expected, "{path}");
        }
    }

    #[test]
    fn parse_rejects_broken_paths() {
        for path in ["", "a[", "a['x", "a[]", ".a"] {
            assert!(parse(path).is_err(), "{path}");
        }
    }

    #[test]
    fn lookup_cases() {
        let value = json!({"resp": {"status": 200, "headers": {"content-type": "text/html"}, "data": {"items": [{"id": 7}], "name": "abc"}}});
        let cases = [
            ("resp.status", Some(json!(200))),
            ("resp.headers['Content-Type']", Some(json!("text/html"))),
            ("resp.data.items[0].id", Some(json!(7))),
            ("resp.data.items.0.id", Some(json!(7))),
            ("resp.data.items.length", Some(json!(1))),
            ("resp.data.name.length", Some(json!(3))),
            ("resp.data.missing", None),
            ("resp.status.x", None),
        ];
        for (path, expected) in cases {
            assert_eq!(lookup(&value, &parse(path).unwrap()), expected, "{path}");
        }
    }
}
