//! Readers of the public attack corpora, each turning its entries into labelled requests:
//! the OWASP CRS regression tests, libinjection's data files, GoTestWAF test cases,
//! HttpParamsDataset, fuzzdb and PayloadsAllTheThings.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Deserialize;

use super::http::{RawRequest, encode_component, encode_target};

/// One labelled request.
#[derive(Debug, Clone)]
pub struct Sample {
    pub source: &'static str,
    /// Attack class of an attack, or of the rule or list a benign request was written
    /// against; `any` for benign text not aimed at one class.
    pub class: String,
    pub attack: bool,
    /// Origin of the entry: file and test, or file and line.
    pub id: String,
    pub request: RawRequest,
}

/// Entries a reader could not turn into requests, with the reason.
#[derive(Debug, Clone, Default)]
pub struct Skipped {
    pub counts: BTreeMap<String, usize>,
}

impl Skipped {
    pub fn add(&mut self, reason: impl Into<String>, count: usize) {
        *self.counts.entry(reason.into()).or_default() += count;
    }
}

/// All sources, in report order.
pub const SOURCES: &[&str] = &["crs", "libinjection", "gotestwaf", "httpparams", "fuzzdb", "patt"];

pub fn load(corpus: &Path, sources: &[String], samples: &mut Vec<Sample>, skipped: &mut Skipped) -> Result<()> {
    let wanted = |source: &str| sources.is_empty() || sources.iter().any(|s| s == source);
    if wanted("crs") {
        load_crs(&corpus.join("crs/tests/regression/tests"), samples, skipped)?;
    }
    if wanted("libinjection") {
        load_libinjection(&corpus.join("libinjection/data"), samples, skipped)?;
    }
    if wanted("gotestwaf") {
        load_gotestwaf(&corpus.join("gotestwaf/testcases"), samples, skipped)?;
    }
    if wanted("httpparams") {
        load_httpparams(&corpus.join("httpparams/payload_train.csv"), samples, skipped)?;
    }
    if wanted("fuzzdb") {
        load_lists("fuzzdb", &corpus.join("fuzzdb/attack"), FUZZDB_LISTS, samples, skipped)?;
    }
    if wanted("patt") {
        load_lists("patt", &corpus.join("patt"), PATT_LISTS, samples, skipped)?;
    }
    Ok(())
}

/// Returns the parameter values of the list sources (libinjection, HttpParamsDataset, fuzzdb,
/// PayloadsAllTheThings), attacks and benign alike, without duplicates, in a fixed order.
pub fn parameter_values(corpus: &Path) -> Result<Vec<String>> {
    let mut samples = Vec::new();
    let mut skipped = Skipped::default();
    let sources: Vec<String> = ["libinjection", "httpparams", "fuzzdb", "patt"].iter().map(|s| s.to_string()).collect();
    load(corpus, &sources, &mut samples, &mut skipped)?;
    let mut seen = HashSet::new();
    let mut values = Vec::new();
    for sample in samples {
        let Some(query) = sample.request.target.strip_prefix("/?").and_then(|q| q.split_once('=')).map(|(_, v)| v)
        else {
            continue;
        };
        let value = super::http::percent_decode(query, true);
        if seen.insert(value.clone()) {
            values.push(value);
        }
    }
    Ok(values)
}

/// Files under `dir` (recursively) whose name ends with one of `extensions`, sorted.
fn files_under(dir: &Path, extensions: &[&str]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries = fs::read_dir(&current).with_context(|| format!("cannot read directory {}", current.display()))?;
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if extensions.iter().any(|extension| path.to_string_lossy().ends_with(extension)) {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------
// OWASP CRS regression tests (go-ftw format).

#[derive(Debug, Deserialize)]
struct CrsFile {
    #[serde(default)]
    tests: Vec<CrsTest>,
}

#[derive(Debug, Deserialize)]
struct CrsTest {
    #[serde(default)]
    test_id: Option<u64>,
    #[serde(default)]
    stages: Vec<CrsStage>,
}

#[derive(Debug, Deserialize)]
struct CrsStage {
    #[serde(default)]
    input: CrsInput,
    #[serde(default)]
    output: CrsOutput,
}

#[derive(Debug, Default, Deserialize)]
struct CrsInput {
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    uri: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    data: Option<String>,
    #[serde(default)]
    encoded_request: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct CrsOutput {
    #[serde(default)]
    log: Option<CrsLog>,
}

#[derive(Debug, Default, Deserialize)]
struct CrsLog {
    #[serde(default)]
    expect_ids: Vec<u64>,
    #[serde(default)]
    no_expect_ids: Vec<u64>,
}

/// Returns the attack class a CRS rule detects, or `None` for rules outside the classes
/// Palisade reports (protocol enforcement, session fixation, response leakage).
pub fn crs_class(rule: u64) -> Option<&'static str> {
    let class = match rule {
        913000..=913999 => "scanner",
        921200 => "ldap_injection",
        921110..=921160 | 921190 => "crlf_injection",
        930100..=930119 => "path_traversal",
        930120..=930999 => "lfi",
        931000..=931999 => "rfi",
        932000..=932999 => "command_injection",
        933000..=933999 => "code_injection",
        934100 | 934101 | 934140 | 934150 | 934160 => "code_injection",
        934110 | 934120 | 934190 => "ssrf",
        934130 => "prototype_pollution",
        934170 => "lfi",
        934180 | 934200 => "ssti",
        934210 | 934220 => "orm_injection",
        941000..=941999 => "xss",
        942000..=942999 => "sqli",
        943000..=943999 => "session_fixation",
        944000..=944999 => "deserialization",
        _ => return None,
    };
    Some(class)
}

fn load_crs(dir: &Path, samples: &mut Vec<Sample>, skipped: &mut Skipped) -> Result<()> {
    for path in files_under(dir, &[".yaml"])? {
        let name = file_name(&path);
        let Some(rule) = name.trim_end_matches(".yaml").parse::<u64>().ok() else {
            continue;
        };
        let folder = path.parent().map(file_name).unwrap_or_default();
        if folder.starts_with("RESPONSE-") {
            skipped.add("crs: response tests (no response rules)", 1);
            continue;
        }
        let text = fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let file: CrsFile = match serde_saphyr::from_str(&text) {
            Ok(file) => file,
            Err(error) => {
                skipped.add(format!("crs: unparsable file {name}: {}", first_line(&error.to_string())), 1);
                continue;
            }
        };
        let class = crs_class(rule).unwrap_or("protocol");

        for (test_index, test) in file.tests.iter().enumerate() {
            for (stage_index, stage) in test.stages.iter().enumerate() {
                let Some(log) = &stage.output.log else {
                    skipped.add("crs: stage without log expectations", 1);
                    continue;
                };
                let attack = if !log.expect_ids.is_empty() {
                    true
                } else if !log.no_expect_ids.is_empty() {
                    false
                } else {
                    skipped.add("crs: stage without log expectations", 1);
                    continue;
                };
                if stage.input.encoded_request.is_some() {
                    skipped.add("crs: raw encoded requests", 1);
                    continue;
                }
                let test_id = test.test_id.unwrap_or(test_index as u64 + 1);
                let input = &stage.input;
                let method = input.method.clone().unwrap_or_else(|| "GET".into());
                let target = encode_target(input.uri.as_deref().unwrap_or("/"));
                let mut headers: Vec<(String, String)> =
                    input.headers.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                let body = input.data.clone().unwrap_or_default().into_bytes();
                // go-ftw sends a form content type with a body when the test names none.
                if !body.is_empty() && !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type")) {
                    headers.push(("Content-Type".into(), "application/x-www-form-urlencoded".into()));
                }
                samples.push(Sample {
                    source: "crs",
                    class: class.to_string(),
                    attack,
                    id: format!("{name}#{test_id}.{}", stage_index + 1),
                    request: RawRequest { method, target, headers, body },
                });
            }
        }
    }
    Ok(())
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

// ---------------------------------------------------------------------------------------
// libinjection data files: one payload a line.

fn load_libinjection(dir: &Path, samples: &mut Vec<Sample>, skipped: &mut Skipped) -> Result<()> {
    for path in files_under(dir, &[".txt"])? {
        let name = file_name(&path);
        let (class, attack) = if name == "false_positives.txt" {
            ("sqli", false)
        } else if name.starts_with("sqli-") {
            ("sqli", true)
        } else if name.starts_with("xss-") {
            ("xss", true)
        } else {
            skipped.add(format!("libinjection: unlabelled file {name}"), 1);
            continue;
        };
        let text = fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let text = String::from_utf8_lossy(&text);
        let mut seen = HashSet::new();
        for (index, line) in text.lines().enumerate() {
            // Lines starting with `#` are comments in libinjection's data files.
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            if !seen.insert(line.to_string()) {
                skipped.add("libinjection: duplicate payloads", 1);
                continue;
            }
            samples.push(Sample {
                source: "libinjection",
                class: class.into(),
                attack,
                id: format!("{name}:{}", index + 1),
                request: RawRequest::query_parameter_as_written("q", line),
            });
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// HttpParamsDataset: CSV `payload,length,attack_type,label`.

fn load_httpparams(path: &Path, samples: &mut Vec<Sample>, skipped: &mut Skipped) -> Result<()> {
    let text = fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut seen = HashSet::new();
    for (index, record) in parse_csv(&text).into_iter().enumerate().skip(1) {
        let [payload, _, attack_type, _] = record.as_slice() else {
            skipped.add("httpparams: malformed rows", 1);
            continue;
        };
        let (class, attack) = match attack_type.as_str() {
            "norm" => ("any", false),
            "sqli" => ("sqli", true),
            "xss" => ("xss", true),
            "cmdi" => ("command_injection", true),
            "path-traversal" => ("path_traversal", true),
            _ => {
                skipped.add(format!("httpparams: unknown attack type {attack_type}"), 1);
                continue;
            }
        };
        if !seen.insert((payload.clone(), attack)) {
            skipped.add("httpparams: duplicate payloads", 1);
            continue;
        }
        samples.push(Sample {
            source: "httpparams",
            class: class.into(),
            attack,
            id: format!("payload_train.csv:{}", index + 1),
            request: RawRequest::query_parameter(payload),
        });
    }
    Ok(())
}

/// Parses CSV with `"` quoting and `""` escapes.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, '\r') => {}
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    records
}

// ---------------------------------------------------------------------------------------
// Payload lists: fuzzdb and PayloadsAllTheThings, one payload a line.

/// List files and their classes, relative to the source root. Lists of bare names
/// (commands, attributes, event names), of benign values, and of injection points with
/// a placeholder instead of a payload (`rfi/rfi.txt`) are left out because they are not
/// attack payloads.
const FUZZDB_LISTS: &[(&str, &str)] = &[
    ("sql-injection/detect", "sqli"),
    ("sql-injection/exploit", "sqli"),
    ("sql-injection/payloads-sql-blind", "sqli"),
    ("xss/", "xss"),
    ("html_js_fuzz/HTML5sec_Injections.txt", "xss"),
    ("path-traversal/", "path_traversal"),
    ("lfi/", "lfi"),
    ("os-cmd-execution/command-execution-unix.txt", "command_injection"),
    ("os-cmd-execution/command-injection-template.txt", "command_injection"),
    ("os-cmd-execution/OSCommandInject.Windows.txt", "command_injection"),
    ("os-cmd-execution/shell-delimiters.txt", "command_injection"),
    ("os-cmd-execution/shell-operators.txt", "command_injection"),
    ("os-cmd-execution/source-disc-cmd-exec-traversal.txt", "command_injection"),
    ("ldap/", "ldap_injection"),
    ("xml/xml-attacks.txt", "xxe"),
    ("no-sql-injection/", "nosql_injection"),
    ("http-protocol/crlf-injection.txt", "crlf_injection"),
    ("ip/localhost.txt", "ssrf"),
];

/// Returns the query parameter a list payload is sent in. SSRF payloads are hosts and
/// URLs, which only mean something in a parameter named for one.
fn parameter_for(class: &str) -> &'static str {
    if class == "ssrf" { "url" } else { "q" }
}

const PATT_LISTS: &[(&str, &str)] = &[
    ("SQL Injection/Intruder/", "sqli"),
    ("XSS Injection/Intruders/", "xss"),
    ("Directory Traversal/Intruder/", "path_traversal"),
    ("File Inclusion/Intruders/", "lfi"),
    ("Command Injection/Intruder/", "command_injection"),
    ("LDAP Injection/Intruder/LDAP_FUZZ.txt", "ldap_injection"),
    ("LDAP Injection/Intruder/LDAP_FUZZ_SMALL.txt", "ldap_injection"),
    ("NoSQL Injection/Intruder/", "nosql_injection"),
    ("Server Side Template Injection/Intruder/", "ssti"),
    ("XXE Injection/Intruders/", "xxe"),
];

/// Files of a list directory that hold no attack payloads: documentation, lists of event
/// handler names, and lists of encodings of one character.
const NOT_PAYLOAD_FILES: &[&str] = &[
    "README.md",
    "jsonp_endpoint.txt",
    "xss_swf_fuzz.txt",
    "all-encodings-of-lt.txt",
    "JHADDIX_XSS_WITH_CONTEXT.doc.txt",
    "html-event-attributes.txt",
    "default-javascript-event-attributes.txt",
    "0xcela_event_handlers.txt",
    "port_swigger_xss_cheatsheet_event_handlers.txt",
];

fn load_lists(
    source: &'static str,
    root: &Path,
    lists: &[(&str, &str)],
    samples: &mut Vec<Sample>,
    skipped: &mut Skipped,
) -> Result<()> {
    let files = files_under(root, &[""])?;
    let mut seen: HashSet<(String, String)> = HashSet::new();
    for path in files {
        let relative = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().replace('\\', "/");
        let Some((_, class)) = lists.iter().find(|(prefix, _)| relative.starts_with(prefix)) else {
            continue;
        };
        if NOT_PAYLOAD_FILES.contains(&file_name(&path).as_str()) {
            continue;
        }
        let bytes = fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let text = String::from_utf8_lossy(&bytes);
        for (index, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() {
                continue;
            }
            if !seen.insert((class.to_string(), line.to_string())) {
                skipped.add(format!("{source}: duplicate payloads"), 1);
                continue;
            }
            samples.push(Sample {
                source,
                class: class.to_string(),
                attack: true,
                id: format!("{relative}:{}", index + 1),
                request: RawRequest::query_parameter_as_written(parameter_for(class), line),
            });
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// GoTestWAF test cases: payloads x encoders x placeholders.

#[derive(Debug, Deserialize)]
struct GoTestWafFile {
    #[serde(default)]
    payload: Vec<String>,
    #[serde(default)]
    encoder: Vec<String>,
    #[serde(default)]
    placeholder: Vec<GoTestWafPlaceholder>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
}

/// A placeholder: a bare name, or a name with settings (`RawRequest`, `GraphQL`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum GoTestWafPlaceholder {
    Name(String),
    WithSettings(BTreeMap<String, RawRequestTemplate>),
}

#[derive(Debug, Default, Deserialize)]
struct RawRequestTemplate {
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    body: Option<String>,
}

/// Returns the attack class of a GoTestWAF test type.
fn gotestwaf_class(kind: &str) -> &'static str {
    let lower = kind.to_ascii_lowercase();
    match () {
        _ if lower.contains("sql") => "sqli",
        _ if lower.contains("xss") => "xss",
        _ if lower.contains("path traversal") => "path_traversal",
        _ if lower.contains("lfi") => "lfi",
        _ if lower.contains("rce") || lower.contains("shell") || lower.contains("ss injection") => "command_injection",
        _ if lower.contains("nosql") => "nosql_injection",
        _ if lower.contains("ldap") => "ldap_injection",
        _ if lower.contains("xxe") || lower.contains("xml") => "xxe",
        _ if lower.contains("sst") => "ssti",
        _ if lower.contains("crlf") || lower.contains("mail") => "crlf_injection",
        _ if lower.contains("useragent") => "scanner",
        _ if lower.contains("graphql") => "graphql_introspection",
        _ => "mixed",
    }
}

fn load_gotestwaf(dir: &Path, samples: &mut Vec<Sample>, skipped: &mut Skipped) -> Result<()> {
    for path in files_under(dir, &[".yml", ".yaml"])? {
        let name = path.strip_prefix(dir).unwrap_or(&path).to_string_lossy().into_owned();
        let raw = fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        // Some files write `\'` in double-quoted strings, which YAML does not define; the
        // GoTestWAF loader reads it as `'`.
        let text = raw.replace("\\'", "'");
        let file: GoTestWafFile = match serde_saphyr::from_str(&text) {
            Ok(file) => file,
            Err(error) => {
                skipped.add(format!("gotestwaf: unparsable file {name}: {}", first_line(&error.to_string())), 1);
                continue;
            }
        };
        let attack = !name.starts_with("false-pos");
        let class = if attack { gotestwaf_class(file.kind.as_deref().unwrap_or("")) } else { "any" };

        for (payload_index, payload) in file.payload.iter().enumerate() {
            for encoder in &file.encoder {
                let Some(encoded) = encode_payload(encoder, payload) else {
                    skipped.add(format!("gotestwaf: unknown encoder {encoder}"), 1);
                    continue;
                };
                for placeholder in &file.placeholder {
                    let request = match placeholder {
                        GoTestWafPlaceholder::Name(placeholder) => place(placeholder, &encoded, None),
                        GoTestWafPlaceholder::WithSettings(settings) => settings
                            .iter()
                            .next()
                            .and_then(|(placeholder, template)| place(placeholder, &encoded, Some(template))),
                    };
                    let Some(request) = request else {
                        skipped.add(
                            format!("gotestwaf: placeholder without HTTP form ({})", placeholder_name(placeholder)),
                            1,
                        );
                        continue;
                    };
                    samples.push(Sample {
                        source: "gotestwaf",
                        class: class.to_string(),
                        attack,
                        id: format!("{name}:{}:{encoder}:{}", payload_index + 1, placeholder_name(placeholder)),
                        request,
                    });
                }
            }
        }
    }
    Ok(())
}

fn placeholder_name(placeholder: &GoTestWafPlaceholder) -> String {
    match placeholder {
        GoTestWafPlaceholder::Name(name) => name.clone(),
        GoTestWafPlaceholder::WithSettings(settings) => settings.keys().next().cloned().unwrap_or_default(),
    }
}

/// Applies a GoTestWAF encoder to a payload.
fn encode_payload(encoder: &str, payload: &str) -> Option<String> {
    Some(match encoder {
        "Plain" => payload.to_string(),
        "URL" => encode_component(payload),
        "Base64" => base64(payload.as_bytes(), true),
        "Base64Flat" => base64(payload.as_bytes(), false),
        "JSUnicode" => payload.chars().map(|c| format!("\\u{:04x}", c as u32)).collect(),
        "XMLEntity" => payload.chars().map(|c| format!("&#x{:x};", c as u32)).collect(),
        _ => return None,
    })
}

fn base64(bytes: &[u8], padded: bool) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &b)| acc | (b as u32) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
        if padded {
            out.push_str(&"=".repeat(3 - chunk.len()));
        }
    }
    out
}

/// Builds the request that puts an encoded payload where a placeholder names. The payload
/// is placed as the encoder produced it; line breaks in header values are percent-encoded.
fn place(placeholder: &str, encoded: &str, template: Option<&RawRequestTemplate>) -> Option<RawRequest> {
    let key = "gtw_param";
    let request = match placeholder {
        "URLParam" => RawRequest::get(encode_target(&format!("/?{key}={encoded}"))),
        "URLPath" => RawRequest::get(encode_target(&format!("/{encoded}"))),
        "Header" => {
            let mut request = RawRequest::get("/".into());
            request.headers.push(("X-Gtw-Header".into(), header_safe(encoded)));
            request
        }
        "UserAgent" => {
            let mut request = RawRequest::get("/".into());
            request.headers.retain(|(k, _)| !k.eq_ignore_ascii_case("user-agent"));
            request.headers.push(("User-Agent".into(), header_safe(encoded)));
            request
        }
        "HTMLForm" => {
            RawRequest::post("/".into(), "application/x-www-form-urlencoded", format!("{key}={encoded}").into_bytes())
        }
        "HTMLMultipartForm" => {
            let boundary = "palisadeevalboundary";
            let body = format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{key}\"\r\n\r\n{encoded}\r\n--{boundary}--\r\n"
            );
            RawRequest::post("/".into(), &format!("multipart/form-data; boundary={boundary}"), body.into_bytes())
        }
        "JSONRequest" | "JSONBody" => {
            let body = serde_json::json!({ key: encoded }).to_string();
            RawRequest::post("/".into(), "application/json", body.into_bytes())
        }
        "XMLBody" => RawRequest::post("/".into(), "text/xml", encoded.as_bytes().to_vec()),
        "SOAPBody" => {
            let body = format!(
                "<?xml version=\"1.0\"?><soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><soap:Body><value>{encoded}</value></soap:Body></soap:Envelope>"
            );
            RawRequest::post("/".into(), "application/soap+xml", body.into_bytes())
        }
        "GraphQL" => {
            let method = template.and_then(|t| t.method.clone()).unwrap_or_else(|| "GET".into());
            if method.eq_ignore_ascii_case("POST") {
                RawRequest::post("/graphql".into(), "application/json", encoded.as_bytes().to_vec())
            } else {
                RawRequest::get(encode_target(&format!("/graphql?query={encoded}")))
            }
        }
        "RawRequest" => {
            let template = template?;
            let method = template.method.clone().unwrap_or_else(|| "GET".into());
            let path = template.path.clone().unwrap_or_else(|| "/".into()).replace("{{payload}}", encoded);
            let body = template.body.clone().unwrap_or_default().replace("{{payload}}", encoded);
            let mut headers = vec![("Host".to_string(), "localhost".to_string())];
            for (name, value) in &template.headers {
                // Bodies here are sent uncompressed, so a declared encoding would be false.
                if name.eq_ignore_ascii_case("content-encoding") {
                    continue;
                }
                headers.push((name.clone(), value.replace("{{payload}}", encoded)));
            }
            let body = body.replace('\n', "\r\n").into_bytes();
            RawRequest { method, target: encode_target(&path), headers, body }
        }
        _ => return None,
    };
    Some(request)
}

/// Header values cannot hold line breaks on the wire; they are percent-encoded.
fn header_safe(value: &str) -> String {
    value.replace('\r', "%0D").replace('\n', "%0A")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_escapes() {
        let records = parse_csv("a,b\n\"x,\"\"y\"\"\",2\n");
        assert_eq!(records, vec![vec!["a", "b"], vec!["x,\"y\"", "2"]]);
    }

    #[test]
    fn base64_matches_known_values() {
        assert_eq!(base64(b"runtime", true), "cnVudGltZQ==");
        assert_eq!(base64(b"runtime", false), "cnVudGltZQ");
    }

    #[test]
    fn crs_rule_classes() {
        assert_eq!(crs_class(942100), Some("sqli"));
        assert_eq!(crs_class(934110), Some("ssrf"));
        assert_eq!(crs_class(920100), None);
    }
}
