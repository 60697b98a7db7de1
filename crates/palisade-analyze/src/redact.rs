//! Removal of credentials and sensitive values from traces before they are stored as
//! samples.
//!
//! Always applied, whatever the configuration: `Authorization`, `Proxy-Authorization`,
//! `Cookie` and `Set-Cookie` headers, and headers, query parameters and JSON or
//! URL-encoded body fields whose name contains a credential word (`key`, `token`, `secret`,
//! `password`, `auth`, `session`, ...; see [`is_credential_name`]). Their values become `[redacted]`; the names stay, because which credential
//! a request carried is useful to know. Multipart bodies are dropped from samples whole,
//! because files and fields in them cannot be redacted reliably.
//!
//! Beyond credentials, every value a data classifier matches is masked as its class id
//! (`[email]`), unless the host is listed for full capture, and fields listed in Metlo's
//! `blockFields` configuration become `[blocked]`.

use palisade_core::path::{percent_decode_lossy, split_path};
use palisade_core::{Body, Header, QueryParam, Section, Trace};
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

mod sample;

pub use sample::encode_redacted_trace;

use crate::classify::{DataClassifier, DataMatch};
use crate::config::{ConfigError, compile_regex};
use crate::fields::{BodyKind, body_kind, content_type_of, media_type};

/// Value written in place of a removed credential.
pub const REDACTED: &str = "[redacted]";
/// Value written in place of a field listed in `blockFields`.
pub const BLOCKED: &str = "[blocked]";

/// The `privacy:` section of the configuration file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrivacyConfig {
    /// Regexes of hosts whose samples keep values found sensitive. Credentials are removed
    /// anyway.
    pub full_capture_hosts: Vec<String>,
}

/// Compiled privacy settings.
#[derive(Debug, Clone, Default)]
pub struct Privacy {
    full_capture: Vec<Regex>,
    block_fields: Vec<BlockFieldRule>,
}

/// One entry of Metlo's `blockFields`: fields to blank on a host's path, for some methods
/// or all.
#[derive(Debug, Clone, PartialEq, Eq)]
struct BlockFieldRule {
    host: String,
    /// Template segments; `{...}` matches any segment.
    path: Vec<String>,
    /// Upper-case methods, or empty for all.
    methods: Vec<String>,
    fields: Vec<(Section, String)>,
}

impl Privacy {
    /// Compiles `privacy:` and Metlo's `blockFields`, which maps host to path to either
    /// `{disable_paths: [...]}` or method to `{disable_paths: [...]}`. Field paths start
    /// with `req.body.`, `res.body.`, `req.headers.`, `res.headers.` or `req.query.`.
    pub fn compile(config: &PrivacyConfig, block_fields: Option<&Value>) -> Result<Self, ConfigError> {
        let mut privacy = Privacy::default();
        for (i, pattern) in config.full_capture_hosts.iter().enumerate() {
            privacy.full_capture.push(compile_regex(pattern, &format!("privacy.full_capture_hosts[{i}]"))?);
        }
        let Some(Value::Object(hosts)) = block_fields else {
            return Ok(privacy);
        };
        for (host, paths) in hosts {
            let Value::Object(paths) = paths else {
                return Err(ConfigError::Invalid(format!("blockFields.{host}: expected a map of paths")));
            };
            for (path, entry) in paths {
                let setting = format!("blockFields.{host}.{path}");
                let template: Vec<String> = split_path(path).into_iter().map(str::to_string).collect();
                let rule = |methods: Vec<String>, fields: Vec<(Section, String)>| BlockFieldRule {
                    host: host.to_ascii_lowercase(),
                    path: template.clone(),
                    methods,
                    fields,
                };
                if let Some(disable) = entry.get("disable_paths") {
                    privacy.block_fields.push(rule(Vec::new(), disable_paths(disable, &setting)?));
                    continue;
                }
                let Value::Object(methods) = entry else {
                    return Err(ConfigError::Invalid(format!("{setting}: expected disable_paths or methods")));
                };
                for (method, inner) in methods {
                    let setting = format!("{setting}.{method}");
                    let Some(disable) = inner.get("disable_paths") else {
                        return Err(ConfigError::Invalid(format!("{setting}: missing disable_paths")));
                    };
                    let methods =
                        if method.eq_ignore_ascii_case("ALL") { Vec::new() } else { vec![method.to_ascii_uppercase()] };
                    privacy.block_fields.push(rule(methods, disable_paths(disable, &setting)?));
                }
            }
        }
        Ok(privacy)
    }

    fn full_capture(&self, host: &str) -> bool {
        self.full_capture.iter().any(|pattern| pattern.is_match(host))
    }

    fn blocked_fields(&self, host: &str, method: &str, path: &str) -> Vec<(Section, String)> {
        let segments = split_path(path);
        let mut fields = Vec::new();
        for rule in &self.block_fields {
            let path_matches = rule.path.len() == segments.len()
                && rule.path.iter().zip(&segments).all(|(want, got)| want.starts_with('{') || want == got);
            let method_matches = rule.methods.is_empty() || rule.methods.iter().any(|m| m == method);
            if rule.host == host && path_matches && method_matches {
                fields.extend(rule.fields.iter().cloned());
            }
        }
        fields
    }
}

fn disable_paths(value: &Value, setting: &str) -> Result<Vec<(Section, String)>, ConfigError> {
    const PREFIXES: [(&str, Section); 5] = [
        ("req.body.", Section::RequestBody),
        ("res.body.", Section::ResponseBody),
        ("req.headers.", Section::RequestHeader),
        ("res.headers.", Section::ResponseHeader),
        ("req.query.", Section::Query),
    ];
    let Value::Array(items) = value else {
        return Err(ConfigError::Invalid(format!("{setting}.disable_paths: expected a list of field paths")));
    };
    let mut fields = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let text = item.as_str().unwrap_or("");
        let found =
            PREFIXES.iter().find_map(|(prefix, section)| text.strip_prefix(prefix).map(|rest| (*section, rest)));
        let Some((section, rest)) = found else {
            return Err(ConfigError::Invalid(format!(
                "{setting}.disable_paths[{i}]: invalid field path {text:?}: expected a path after req.body., \
                 res.body., req.headers., res.headers. or req.query."
            )));
        };
        let rest = match section {
            Section::RequestHeader | Section::ResponseHeader => rest.to_ascii_lowercase(),
            _ => rest.to_string(),
        };
        fields.push((section, rest));
    }
    Ok(fields)
}

/// What sample redaction needs besides the trace.
#[derive(Clone, Copy)]
pub struct RedactContext<'a> {
    pub classifier: Option<&'a dyn DataClassifier>,
    pub privacy: Option<&'a Privacy>,
    /// The trace's normalised host, for `full_capture_hosts` and `blockFields`.
    pub host: &'a str,
    /// Sections where the classifier found something, as bits `1 << section as u8`;
    /// values elsewhere are not classified again. `u8::MAX` classifies everything.
    pub classified_sections: u8,
    /// Body sections, as bits `1 << section as u8`, whose body is known to parse as JSON
    /// and to have no credential-named key, because field learning walked all of it. When
    /// nothing else in such a section needs masking, its body is kept without parsing it
    /// again.
    pub credential_free_json: u8,
}

impl Default for RedactContext<'_> {
    fn default() -> Self {
        Self { classifier: None, privacy: None, host: "", classified_sections: u8::MAX, credential_free_json: 0 }
    }
}

/// Maximum number of names [`CredentialNames`] remembers. Past it the memo starts over.
const MAX_REMEMBERED_NAMES: usize = 1024;

/// Memo of [`is_credential_name`] for header and parameter names, which repeat from one
/// request to the next.
#[derive(Debug, Default)]
pub struct CredentialNames {
    known: hashbrown::HashMap<Box<str>, bool>,
}

impl CredentialNames {
    /// Returns [`is_credential_name`] of `name`.
    pub fn check(&mut self, name: &str) -> bool {
        if let Some(known) = self.known.get(name) {
            return *known;
        }
        let credential = is_credential_name(name);
        if self.known.len() >= MAX_REMEMBERED_NAMES {
            self.known.clear();
        }
        self.known.insert(name.into(), credential);
        credential
    }
}

/// Parts of names that mark a credential, lower-case; bodies without any of them hold
/// no credential field, which spares parsing them.
const CREDENTIAL_MARKERS: [&str; 13] = [
    "pass",
    "pwd",
    "secret",
    "token",
    "key",
    "auth",
    "session",
    "cookie",
    "jwt",
    "bearer",
    "credential",
    "csrf",
    "xsrf",
];

fn credential_markers() -> &'static aho_corasick::AhoCorasick {
    static MARKERS: std::sync::OnceLock<aho_corasick::AhoCorasick> = std::sync::OnceLock::new();
    MARKERS.get_or_init(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(CREDENTIAL_MARKERS)
            .expect("the credential markers are plain words")
    })
}

/// Returns a copy of `trace` without credentials, and, per `context`, without values found
/// sensitive and without blocked fields.
pub fn redact_trace(trace: &Trace, context: &RedactContext<'_>) -> Trace {
    redact_owned_trace(trace.clone(), context)
}

/// Like [`redact_trace`], reusing the trace it is given.
pub fn redact_owned_trace(trace: Trace, context: &RedactContext<'_>) -> Trace {
    redact_owned_trace_with(trace, context, &mut CredentialNames::default())
}

/// Like [`redact_owned_trace`], looking names up in `names` first.
pub fn redact_owned_trace_with(mut trace: Trace, context: &RedactContext<'_>, names: &mut CredentialNames) -> Trace {
    let mut redactor = Redactor::new(&trace, context, names);

    let request = &mut trace.request;
    if let Some(path) = redactor.path(&request.path) {
        request.path = path;
    }
    redactor.headers(&mut request.headers, Section::RequestHeader);
    for param in &mut request.query {
        if let Some(value) = redactor.query_value(param) {
            param.value = value;
        }
    }
    // The content type is read after the headers are redacted, as the sample shows it.
    let request_type = content_type_of(request.content_type.as_deref(), &request.headers);
    if let Some(body) = redactor.body(&request.body, request_type, Section::RequestBody) {
        request.body = body;
    }

    if let Some(response) = &mut trace.response {
        redactor.headers(&mut response.headers, Section::ResponseHeader);
        let response_type = content_type_of(response.content_type.as_deref(), &response.headers);
        if let Some(body) = redactor.body(&response.body, response_type, Section::ResponseBody) {
            response.body = body;
        }
    }
    trace
}

/// The redaction of one trace: what it masks, and the names memo. Each method returns
/// the redacted form of a part, or `None` when the part stays as it is.
pub(crate) struct Redactor<'a, 'n> {
    masker: Masker<'a>,
    credential_free_json: u8,
    names: &'n mut CredentialNames,
}

impl<'a, 'n> Redactor<'a, 'n> {
    pub(crate) fn new(trace: &Trace, context: &RedactContext<'a>, names: &'n mut CredentialNames) -> Self {
        let full_capture = context.privacy.is_some_and(|p| p.full_capture(context.host));
        let blocked = match context.privacy {
            Some(privacy) => privacy.blocked_fields(context.host, &trace.request.method, &trace.request.path),
            None => Vec::new(),
        };
        let masker = Masker {
            classifier: if full_capture { None } else { context.classifier },
            classified_sections: context.classified_sections,
            blocked,
        };
        Self { masker, credential_free_json: context.credential_free_json, names }
    }

    /// Masks sensitive path segments, such as an email in `/accounts/ada%40example.com`.
    pub(crate) fn path(&self, path: &str) -> Option<String> {
        if !self.masker.may_mask(Section::Path) {
            return None;
        }
        let mut changed = false;
        let segments: Vec<String> = path
            .split('/')
            .enumerate()
            .map(|(i, segment)| {
                let decoded = percent_decode_lossy(segment);
                match self.masker.mask(Section::Path, &format!("{{{}}}", i.saturating_sub(1)), &decoded) {
                    Some(masked) => {
                        changed = true;
                        masked
                    }
                    None => segment.to_string(),
                }
            })
            .collect();
        changed.then(|| segments.join("/"))
    }

    fn headers(&mut self, headers: &mut [Header], section: Section) {
        let may_mask = self.masker.may_mask(section);
        for header in headers {
            if let Some(value) = self.header_value(header, section, may_mask) {
                header.value = value;
            }
        }
    }

    /// `may_mask` is [`Masker::may_mask`] of `section`, which callers check once per
    /// trace.
    pub(crate) fn header_value(&mut self, header: &Header, section: Section, may_mask: bool) -> Option<String> {
        if self.names.check(&header.name) {
            return Some(REDACTED.to_string());
        }
        if !may_mask {
            return None;
        }
        self.masker.mask(section, &header.name.to_ascii_lowercase(), &header.value)
    }

    pub(crate) fn may_mask(&self, section: Section) -> bool {
        self.masker.may_mask(section)
    }

    pub(crate) fn query_value(&mut self, param: &QueryParam) -> Option<String> {
        if self.names.check(&param.name) {
            return Some(REDACTED.to_string());
        }
        self.masker.mask(Section::Query, &param.name, &param.value)
    }

    /// Redacts one body, whose media type is `content_type`.
    pub(crate) fn body(&mut self, body: &Body, content_type: Option<&str>, section: Section) -> Option<Body> {
        if body.is_empty() {
            return None;
        }
        let masker = &self.masker;
        let media = media_type(content_type.unwrap_or(""));
        let kind = body_kind(&media, &body.bytes);
        let may_mask = masker.may_mask(section);

        // Without masking, a body of another type keeps every byte, and a JSON body that
        // field learning found free of credential-named keys parses and comes back
        // unchanged, so neither needs scanning.
        let json_checked = self.credential_free_json & (1 << section as u8) != 0;
        if !may_mask && (kind == BodyKind::Other || (kind == BodyKind::Json && json_checked)) {
            return None;
        }
        let has_markers = credential_markers().is_match(&body.bytes[..]);
        if !has_markers && !may_mask && kind != BodyKind::Multipart {
            return None;
        }

        let replace_bytes = |bytes: Vec<u8>| Some(Body { bytes, truncated: body.truncated });
        match kind {
            BodyKind::Json => {
                // A body that does not parse (often a truncated one) cannot be checked field
                // by field, so it is not kept.
                let Ok(mut value) = serde_json::from_slice::<Value>(&body.bytes) else {
                    return Some(Body { bytes: b"[unparsed JSON body removed]".to_vec(), truncated: false });
                };
                let mut path = String::new();
                if redact_json(&mut value, &mut path, masker, section) {
                    return replace_bytes(serde_json::to_vec(&value).unwrap_or_default());
                }
                None
            }
            BodyKind::Form => {
                let pairs: Vec<(String, String)> = form_urlencoded::parse(&body.bytes).into_owned().collect();
                let mut changed = false;
                let mut serializer = form_urlencoded::Serializer::new(String::new());
                for (name, value) in &pairs {
                    let replaced = if self.names.check(name) {
                        Some(REDACTED.to_string())
                    } else {
                        masker.mask(section, name, value)
                    };
                    changed |= replaced.is_some();
                    serializer.append_pair(name, replaced.as_deref().unwrap_or(value));
                }
                if changed {
                    return replace_bytes(serializer.finish().into_bytes());
                }
                None
            }
            BodyKind::Multipart => Some(Body { bytes: b"[multipart body removed]".to_vec(), truncated: false }),
            BodyKind::Other => {
                let text = String::from_utf8_lossy(&body.bytes).into_owned();
                masker.mask(section, "", &text).and_then(|masked| replace_bytes(masked.into_bytes()))
            }
        }
    }
}

/// Masks values: blocked fields entirely, sensitive matches as their class id.
struct Masker<'a> {
    classifier: Option<&'a dyn DataClassifier>,
    classified_sections: u8,
    blocked: Vec<(Section, String)>,
}

impl Masker<'_> {
    /// True when values of `section` may need masking.
    fn may_mask(&self, section: Section) -> bool {
        self.blocked.iter().any(|(s, _)| *s == section)
            || (self.classifier.is_some() && self.classified_sections & (1 << section as u8) != 0)
    }

    /// Returns the masked value, or `None` when nothing in it is sensitive or blocked.
    fn mask(&self, section: Section, path: &str, value: &str) -> Option<String> {
        if self.blocked.iter().any(|(s, p)| *s == section && p == path) {
            return Some(BLOCKED.to_string());
        }
        if self.classified_sections & (1 << section as u8) == 0 {
            return None;
        }
        let classifier = self.classifier?;
        let mut matches: Vec<DataMatch> = Vec::new();
        classifier.classify(section, path, value, &mut matches);
        if matches.is_empty() {
            return None;
        }
        matches.sort_by_key(|m| (m.start, std::cmp::Reverse(m.end)));
        let mut masked = String::with_capacity(value.len());
        let mut position = 0;
        for found in matches {
            let start = found.start.min(value.len());
            let end = found.end.min(value.len());
            if start < position || !value.is_char_boundary(start) || !value.is_char_boundary(end) {
                continue;
            }
            masked.push_str(&value[position..start]);
            masked.push('[');
            masked.push_str(&classifier.class(found.class).id);
            masked.push(']');
            position = end;
        }
        masked.push_str(&value[position..]);
        Some(masked)
    }
}

/// True for a header, parameter or field name that carries a credential. Names are split
/// into words at punctuation and camelCase boundaries, so `X-Auth-Token` and `apiKey`
/// match while `author` and `keyboard` do not.
pub fn is_credential_name(name: &str) -> bool {
    // Most names (`content-type`, `user-agent`) contain no marker at all.
    if !credential_markers().is_match(name) {
        return false;
    }
    const WORDS: [&str; 17] = [
        "auth",
        "authorization",
        "bearer",
        "cookie",
        "credential",
        "credentials",
        "csrf",
        "jwt",
        "key",
        "pass",
        "passwd",
        "password",
        "pwd",
        "secret",
        "session",
        "token",
        "xsrf",
    ];
    const INFIXES: [&str; 5] = ["password", "passwd", "secret", "token", "apikey"];

    let lower = name.to_ascii_lowercase();
    if INFIXES.iter().any(|infix| lower.contains(infix)) {
        return true;
    }
    split_words(name).iter().any(|word| WORDS.contains(&word.as_str()))
}

/// True unless the JSON field at `path`, in the notation of field learning, surely sits
/// under a key that is no credential name. Array items sit under no key. Keys written as
/// `{key}` or quoted may be anything, so they count as credentials.
pub(crate) fn json_path_may_end_in_credential(path: &str) -> bool {
    if path.is_empty() || path.ends_with("[]") {
        return false;
    }
    if path.ends_with("{key}") || path.ends_with("\"]") {
        return true;
    }
    let key = path.rsplit('.').next().unwrap_or(path);
    is_credential_name(key)
}

/// Lower-case words of a name, split at non-alphanumeric characters and before an
/// upper-case letter that follows a lower-case one.
fn split_words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            previous_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && previous_lower && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        word.push(c.to_ascii_lowercase());
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Replaces credentials, blocked fields and sensitive values anywhere in `value`, with
/// `path` the field path of `value` in the notation of field learning. True when
/// something changed.
fn redact_json(value: &mut Value, path: &mut String, masker: &Masker<'_>, section: Section) -> bool {
    let mut changed = false;
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                let base = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                if is_credential_name(key) && !item.is_object() && !item.is_array() {
                    *item = Value::String(REDACTED.to_string());
                    changed = true;
                } else {
                    changed |= redact_json(item, path, masker, section);
                }
                path.truncate(base);
            }
        }
        Value::Array(items) => {
            let base = path.len();
            path.push_str("[]");
            for item in items {
                changed |= redact_json(item, path, masker, section);
            }
            path.truncate(base);
        }
        Value::String(text) => {
            if let Some(masked) = masker.mask(section, path, text) {
                *text = masked;
                changed = true;
            }
        }
        Value::Number(number) => {
            if let Some(masked) = masker.mask(section, path, &number.to_string()) {
                *value = Value::String(masked);
                changed = true;
            }
        }
        Value::Bool(_) | Value::Null => {}
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::{Request, Response, TraceMeta, TraceSource};

    fn trace() -> Trace {
        Trace {
            request: Request {
                method: "POST".into(),
                scheme: "https".into(),
                host: "h".into(),
                path: "/login".into(),
                query: vec![
                    QueryParam { name: "api_key".into(), value: "k1".into() },
                    QueryParam { name: "page".into(), value: "1".into() },
                ],
                headers: vec![
                    Header::new("Authorization", "Bearer abc"),
                    Header::new("Cookie", "sid=1"),
                    Header::new("X-Api-Key", "k2"),
                    Header::new("Accept", "*/*"),
                    Header::new("Keyboard-Layout", "us"),
                ],
                content_type: Some("application/json".into()),
                body: Body::capped(
                    br#"{"user":"ada","password":"p","nested":{"client_secret":"s"}}"#.to_vec(),
                    1 << 20,
                ),
            },
            response: Some(Response {
                status: 200,
                headers: vec![Header::new("Set-Cookie", "sid=2")],
                content_type: Some("application/x-www-form-urlencoded".into()),
                body: Body::capped(b"access_token=t&scope=read".to_vec(), 1 << 20),
            }),
            meta: TraceMeta {
                start_ms: 0,
                duration_us: None,
                client: None,
                server: None,
                source: TraceSource::Native,
                environment: None,
                route: None,
            },
            agent: None,
        }
    }

    fn plain() -> RedactContext<'static> {
        RedactContext::default()
    }

    #[test]
    fn credentials_are_removed_everywhere() {
        let redacted = redact_trace(&trace(), &plain());
        let headers: Vec<(&str, &str)> =
            redacted.request.headers.iter().map(|h| (h.name.as_str(), h.value.as_str())).collect();
        assert_eq!(
            headers,
            vec![
                ("Authorization", REDACTED),
                ("Cookie", REDACTED),
                ("X-Api-Key", REDACTED),
                ("Accept", "*/*"),
                ("Keyboard-Layout", "us"),
            ]
        );
        assert_eq!(redacted.request.query[0].value, REDACTED);
        assert_eq!(redacted.request.query[1].value, "1");

        let body: Value = serde_json::from_slice(&redacted.request.body.bytes).unwrap();
        assert_eq!(body["password"], REDACTED);
        assert_eq!(body["nested"]["client_secret"], REDACTED);
        assert_eq!(body["user"], "ada");

        let response = redacted.response.unwrap();
        assert_eq!(response.headers[0].value, REDACTED);
        assert_eq!(String::from_utf8(response.body.bytes).unwrap(), "access_token=%5Bredacted%5D&scope=read");
    }

    #[test]
    fn credential_names() {
        for name in ["password", "X-Auth-Token", "refresh_token", "apiKey", "x-key", "pwd", "Proxy-Authorization"] {
            assert!(is_credential_name(name), "{name}");
        }
        for name in ["keyboard", "monkey", "page", "user", "email", "content-type", "author", "authorName"] {
            assert!(!is_credential_name(name), "{name}");
        }
    }

    #[test]
    fn unparsable_json_body_is_dropped() {
        let mut trace = trace();
        trace.request.body = Body::capped(br#"{"password":"p"#.to_vec(), 1 << 20);
        let redacted = redact_trace(&trace, &plain());
        assert!(!String::from_utf8_lossy(&redacted.request.body.bytes).contains("\"p"));
    }

    fn trace_with_pii() -> Trace {
        let mut trace = trace();
        trace.request.query.push(QueryParam { name: "contact".into(), value: "ada@example.com".into() });
        trace.response.as_mut().unwrap().content_type = Some("application/json".into());
        trace.response.as_mut().unwrap().body = Body::capped(
            br#"{"users":[{"email":"ada@example.com","ssn":"123-45-6789","note":"write to bob@example.org"}]}"#
                .to_vec(),
            1 << 20,
        );
        trace
    }

    #[test]
    fn sensitive_values_are_masked_by_class() {
        let classifier = crate::classify::fake::FakeClassifier::new();
        let context =
            RedactContext { classifier: Some(&classifier), privacy: None, host: "h", ..RedactContext::default() };
        let redacted = redact_trace(&trace_with_pii(), &context);
        assert_eq!(redacted.request.query[2].value, "[email]");
        let body: Value = serde_json::from_slice(&redacted.response.unwrap().body.bytes).unwrap();
        assert_eq!(body["users"][0]["email"], "[email]");
        assert_eq!(body["users"][0]["ssn"], "[us_ssn]");
        assert_eq!(body["users"][0]["note"], "[email]");
    }

    #[test]
    fn sensitive_path_segments_are_masked() {
        let classifier = crate::classify::fake::FakeClassifier::new();
        let context = RedactContext { classifier: Some(&classifier), ..RedactContext::default() };
        let mut trace = trace();
        trace.request.path = "/accounts/ada%40example.com/orders".into();
        assert_eq!(redact_trace(&trace, &context).request.path, "/accounts/[email]/orders");
    }

    #[test]
    fn full_capture_hosts_keep_values_but_not_credentials() {
        let classifier = crate::classify::fake::FakeClassifier::new();
        let privacy = Privacy::compile(&PrivacyConfig { full_capture_hosts: vec!["^h$".into()] }, None).unwrap();
        let context = RedactContext {
            classifier: Some(&classifier),
            privacy: Some(&privacy),
            host: "h",
            ..RedactContext::default()
        };
        let redacted = redact_trace(&trace_with_pii(), &context);
        assert_eq!(redacted.request.query[2].value, "ada@example.com");
        assert_eq!(redacted.request.headers[0].value, REDACTED);
    }

    #[test]
    fn block_fields_blank_listed_paths() {
        let config: Value = serde_json::json!({
            "h": {
                "/login": {"disable_paths": ["req.body.user", "res.body.access_token"]},
                "/users/{id}": {"GET": {"disable_paths": ["res.body.ssn"]}}
            }
        });
        let privacy = Privacy::compile(&PrivacyConfig::default(), Some(&config)).unwrap();
        let context =
            RedactContext { classifier: None, privacy: Some(&privacy), host: "h", ..RedactContext::default() };
        let redacted = redact_trace(&trace(), &context);
        let body: Value = serde_json::from_slice(&redacted.request.body.bytes).unwrap();
        assert_eq!(body["user"], BLOCKED);

        let bad = serde_json::json!({"h": {"/x": {"disable_paths": ["body.x"]}}});
        let error = Privacy::compile(&PrivacyConfig::default(), Some(&bad)).unwrap_err().to_string();
        assert!(error.contains("blockFields.h./x.disable_paths[0]"), "{error}");
    }

    /// Traces that take every path of redaction: credentials, masked values, form,
    /// multipart, unparsable and non-JSON bodies, agent analysis and a missing response.
    fn varied_traces() -> Vec<Trace> {
        let mut traces = vec![trace(), trace_with_pii()];

        let mut multipart = trace();
        multipart.request.content_type = Some("multipart/form-data; boundary=XyZ".into());
        multipart.request.body = Body::capped(b"--XyZ--\r\n".to_vec(), 1 << 20);
        traces.push(multipart);

        let mut unparsable = trace();
        unparsable.request.body = Body::capped(br#"{"password":"p"#.to_vec(), 1 << 20);
        traces.push(unparsable);

        let mut text = trace_with_pii();
        text.request.content_type = Some("text/plain".into());
        text.request.body = Body::capped(b"write to ada@example.com".to_vec(), 1 << 20);
        text.request.path = "/accounts/ada%40example.com/orders".into();
        text.agent = Some(palisade_core::AgentAnalysis::default());
        traces.push(text);

        let mut header_type = trace();
        header_type.request.content_type = None;
        header_type.request.headers.push(Header::new("Content-Type", "application/json"));
        header_type.response = None;
        traces.push(header_type);
        traces
    }

    #[test]
    fn encoded_sample_matches_redacted_copy() {
        let classifier = crate::classify::fake::FakeClassifier::new();
        let block_fields = serde_json::json!({"h": {"/login": {"disable_paths": ["req.body.user"]}}});
        let privacy = Privacy::compile(&PrivacyConfig::default(), Some(&block_fields)).unwrap();
        let contexts = [
            plain(),
            RedactContext { classifier: Some(&classifier), host: "h", ..RedactContext::default() },
            RedactContext { classifier: Some(&classifier), classified_sections: 0, ..RedactContext::default() },
            RedactContext { privacy: Some(&privacy), host: "h", ..RedactContext::default() },
        ];
        for (i, trace) in varied_traces().iter().enumerate() {
            for (j, context) in contexts.iter().enumerate() {
                let expected = postcard::to_stdvec(&redact_trace(trace, context)).unwrap();
                let encoded = encode_redacted_trace(trace, context, &mut CredentialNames::default(), Vec::new());
                assert_eq!(encoded.unwrap(), expected, "trace {i}, context {j}");
            }
        }
    }

    #[test]
    fn checked_json_body_is_kept() {
        let mut trace = trace();
        trace.request.body = Body::capped(br#"{"user": "ada"}"#.to_vec(), 1 << 20);
        let context = RedactContext { credential_free_json: 1 << Section::RequestBody as u8, ..plain() };
        assert_eq!(redact_trace(&trace, &context).request.body, trace.request.body);
    }

    #[test]
    fn json_paths_ending_in_credentials() {
        let cases = [
            ("", false),
            ("user", false),
            ("password", true),
            ("user.apiKey", true),
            ("tokens[]", false),
            ("items[].secret", true),
            ("{key}", true),
            ("a.[\"b.c\"]", true),
            ("[\"b.c\"].name", false),
        ];
        for (path, expected) in cases {
            assert_eq!(json_path_may_end_in_credential(path), expected, "{path}");
        }
    }

    #[test]
    fn credential_names_memo_agrees() {
        let mut names = CredentialNames::default();
        for name in ["password", "X-Auth-Token", "author", "keyboard", "password", "author"] {
            assert_eq!(names.check(name), is_credential_name(name), "{name}");
        }
    }

    #[test]
    fn body_bytes_encode_as_a_sequence() {
        // The derive's default encoding of a byte vector, which `Body` must keep.
        #[derive(Serialize)]
        struct SequenceBody {
            bytes: Vec<u8>,
            truncated: bool,
        }
        let bytes: Vec<u8> = (0..=255).chain(0..40).collect();
        let body = Body { bytes: bytes.clone(), truncated: true };
        let expected = postcard::to_stdvec(&SequenceBody { bytes, truncated: true }).unwrap();
        assert_eq!(postcard::to_stdvec(&body).unwrap(), expected);
    }
}
