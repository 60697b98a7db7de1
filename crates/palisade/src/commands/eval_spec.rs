//! `palisade eval spec`: how well an exported description reconstructs the original.
//!
//! For each description, the command generates synthetic traffic with
//! `--requests-per-operation` requests per operation. Path values are shaped like real
//! identifiers, as `eval discovery` makes them, and query parameters, headers and bodies
//! are generated from the schemas. The requests are shuffled and run through the pipeline
//! with default settings. The inventory it builds is exported as
//! OpenAPI 3.1 and compared with the original (see `palisade_openapi::accuracy`). The
//! same traffic can be written as HAR files for other tools, whose output is scored the
//! same way with `--tool NAME=DIR`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use fastrand::Rng;
use palisade_analyze::{Outcome, Pipeline, PipelineConfig};
use palisade_core::inventory::Sample;
use palisade_core::{Limits, Trace};
use palisade_eval::discovery::spec::PathParam;
use palisade_eval::discovery::synthetic_host;
use palisade_eval::discovery::values::ValuePlan;
use palisade_openapi::accuracy::{Accuracy, compare};
use palisade_openapi::export::fields_from_deltas;
use palisade_openapi::synth::{SynthOptions, Synthesizer};
use palisade_openapi::{
    ApiSpec, EndpointExport, ImportSettings, Operation, ParamLocation, export, import, import_file,
};
use serde::Serialize;
use serde_json::{Value, json};

use crate::EXIT_OK;
use crate::cli::OutputFormat;
use crate::output::{print_json, table};

/// Start time of the first synthetic request (2024-01-01T00:00:00Z).
const FIRST_REQUEST_MS: i64 = 1_704_067_200_000;

#[derive(Debug, Args)]
pub struct SpecEvalArgs {
    /// Directory searched recursively for OpenAPI 3.x and Swagger 2.0 descriptions.
    #[arg(long, default_value = "../shared/corpora/specs")]
    pub specs: PathBuf,

    /// Requests generated per operation.
    #[arg(long, default_value_t = 10)]
    pub requests_per_operation: usize,

    /// Seed of the traffic generator and of the request order.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Write each description's traffic as HAR 1.2 to DIR/<name>.har, for other tools.
    #[arg(long, value_name = "DIR")]
    pub har_dir: Option<PathBuf>,

    /// Also score another tool's descriptions, read from DIR/<name>.json, .yaml or .yml
    /// (<name> is the description's file name without extension). Repeatable.
    #[arg(long = "tool", value_name = "NAME=DIR")]
    pub tools: Vec<String>,

    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

#[derive(Debug, Serialize)]
struct SpecRow {
    name: String,
    operations: usize,
    requests: usize,
    /// Requests the pipeline did not record or that failed trace validation.
    not_recorded: usize,
    /// Scores per tool. `palisade` is always there, others only when their output exists.
    scores: BTreeMap<String, Accuracy>,
}

#[derive(Debug, Serialize)]
struct Report {
    requests_per_operation: usize,
    seed: u64,
    specs: Vec<SpecRow>,
    skipped: Vec<(String, String)>,
    /// Sums over descriptions, per tool (micro averages).
    overall: BTreeMap<String, Accuracy>,
    /// With `--tool`: sums over the descriptions every tool has output for, so that the
    /// tools compare on the same set.
    in_common: BTreeMap<String, Accuracy>,
    /// Number of descriptions behind `in_common`.
    in_common_descriptions: usize,
}

pub fn run(args: &SpecEvalArgs) -> Result<u8> {
    if args.requests_per_operation == 0 {
        bail!("invalid --requests-per-operation 0: expected at least 1");
    }
    if !args.specs.is_dir() {
        bail!("specs directory {} not found: pass --specs DIR with OpenAPI descriptions", args.specs.display());
    }
    let tools = parse_tools(&args.tools)?;
    if let Some(dir) = &args.har_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }

    let mut report = Report {
        requests_per_operation: args.requests_per_operation,
        seed: args.seed,
        specs: Vec::new(),
        skipped: Vec::new(),
        overall: BTreeMap::new(),
        in_common: BTreeMap::new(),
        in_common_descriptions: 0,
    };
    for path in description_files(&args.specs)? {
        let name = path.strip_prefix(&args.specs).unwrap_or(&path).to_string_lossy().replace('\\', "/");
        let spec = match import_file(&path, &ImportSettings::default()) {
            Ok(spec) if !spec.operations.is_empty() => spec,
            Ok(_) => {
                report.skipped.push((name, "no operations".into()));
                continue;
            }
            Err(error) => {
                report.skipped.push((name, error.to_string()));
                continue;
            }
        };
        let row = evaluate(&name, &path, &spec, args, &tools)?;
        for (tool, accuracy) in &row.scores {
            let total = report.overall.entry(tool.clone()).or_default();
            *total = total.add(accuracy);
        }
        report.specs.push(row);
    }
    if report.specs.is_empty() {
        bail!("no OpenAPI descriptions found in {}", args.specs.display());
    }
    if !tools.is_empty() {
        for row in report.specs.iter().filter(|row| tools.iter().all(|(tool, _)| row.scores.contains_key(tool))) {
            report.in_common_descriptions += 1;
            for (tool, accuracy) in &row.scores {
                let total = report.in_common.entry(tool.clone()).or_default();
                *total = total.add(accuracy);
            }
        }
    }

    match args.format {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Table => print_report(&report),
    }
    Ok(EXIT_OK)
}

fn parse_tools(values: &[String]) -> Result<Vec<(String, PathBuf)>> {
    values
        .iter()
        .map(|value| match value.split_once('=') {
            Some((name, dir)) if !name.is_empty() && name != "palisade" => Ok((name.to_string(), PathBuf::from(dir))),
            _ => bail!("invalid --tool {value:?}: expected NAME=DIR with a name other than palisade"),
        })
        .collect()
}

/// Lists the `.json`, `.yaml` and `.yml` files below `dir`, sorted, with hidden ones
/// skipped.
fn description_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).with_context(|| format!("cannot read {}", current.display()))? {
            let path = entry?.path();
            if path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
            } else if matches!(path.extension().and_then(|e| e.to_str()), Some("json" | "yaml" | "yml")) {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

fn evaluate(
    name: &str,
    path: &Path,
    spec: &ApiSpec,
    args: &SpecEvalArgs,
    tools: &[(String, PathBuf)],
) -> Result<SpecRow> {
    let host = synthetic_host(name);
    let base = spec.base_paths.first().cloned().unwrap_or_default();
    let traces = traffic(spec, &host, &base, args);

    let stem = path.file_stem().map_or_else(|| name.to_string(), |s| s.to_string_lossy().into_owned());
    if let Some(dir) = &args.har_dir {
        let file = dir.join(format!("{stem}.har"));
        std::fs::write(&file, serde_json::to_vec(&har(&traces))?)
            .with_context(|| format!("cannot write {}", file.display()))?;
    }

    let (reconstructed, not_recorded) = reconstruct(&host, &traces);
    let mut scores = BTreeMap::new();
    scores.insert("palisade".to_string(), compare(spec, &reconstructed, &base));
    for (tool, dir) in tools {
        let found = ["json", "yaml", "yml"].iter().map(|e| dir.join(format!("{stem}.{e}"))).find(|p| p.is_file());
        let Some(file) = found else {
            continue;
        };
        match import_file(&file, &ImportSettings::default()) {
            Ok(theirs) => {
                scores.insert(tool.clone(), compare(spec, &theirs, &base));
            }
            Err(error) => eprintln!("warning: {tool} output {} is not a valid description: {error}", file.display()),
        }
    }
    Ok(SpecRow {
        name: name.to_string(),
        operations: spec.operations.len(),
        requests: traces.len(),
        not_recorded,
        scores,
    })
}

/// Synthetic requests for every operation, shuffled.
fn traffic(spec: &ApiSpec, host: &str, base: &str, args: &SpecEvalArgs) -> Vec<Trace> {
    let seed = args.seed ^ fnv1a(host.as_bytes());
    let mut rng = Rng::with_seed(seed);
    let mut synthesizer = Synthesizer::new(spec.document(), seed, SynthOptions::default());
    let mut plans: HashMap<String, ValuePlan> = HashMap::new();
    let mut traces = Vec::with_capacity(spec.operations.len() * args.requests_per_operation);
    for operation in &spec.operations {
        for _ in 0..args.requests_per_operation {
            let values = path_values(spec, operation, &mut plans, &mut rng);
            let start_ms = FIRST_REQUEST_MS + traces.len() as i64;
            traces.push(synthesizer.trace(operation, host, base, &values, start_ms));
        }
    }
    rng.shuffle(&mut traces);
    traces
}

/// Generates fresh values for the path parameters of `operation`. Operations share one
/// value plan per parameter definition and the literal before it, as a real API uses one
/// identifier style per resource.
fn path_values(
    spec: &ApiSpec,
    operation: &Operation,
    plans: &mut HashMap<String, ValuePlan>,
    rng: &mut Rng,
) -> BTreeMap<String, String> {
    let mut values = BTreeMap::new();
    for param in operation.parameters.iter().filter(|p| p.location == ParamLocation::Path) {
        let facts = path_param_facts(spec, param);
        let previous = previous_literal(&operation.path_template, &param.name);
        let key = format!("{facts:?} after {previous:?}");
        let plan = plans.entry(key).or_insert_with(|| ValuePlan::new(&facts, previous, rng));
        values.insert(param.name.clone(), plan.generate(rng));
    }
    values
}

fn path_param_facts(spec: &ApiSpec, param: &palisade_openapi::Parameter) -> PathParam {
    let document = spec.document();
    let schema = param
        .schema
        .as_ref()
        .and_then(|s| s.value(document).and_then(|v| document.resolve(v, &s.pointer).ok()))
        .map(|(value, _)| value);
    let text = |key: &str| schema.and_then(|s| s.get(key)).and_then(Value::as_str).map(String::from);
    let type_name = match schema.and_then(|s| s.get("type")) {
        Some(Value::String(name)) => Some(name.clone()),
        Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).find(|n| *n != "null").map(String::from),
        _ => None,
    };
    let enum_values = schema
        .and_then(|s| s.get("enum"))
        .and_then(Value::as_array)
        .map(|values| {
            values
                .iter()
                .filter_map(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    Value::Bool(b) => Some(b.to_string()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    PathParam {
        name: param.name.clone(),
        type_name,
        format: text("format"),
        enum_values,
        pattern: text("pattern"),
        minimum: schema.and_then(|s| s.get("minimum")).and_then(Value::as_i64),
        maximum: schema.and_then(|s| s.get("maximum")).and_then(Value::as_i64),
    }
}

/// Returns the literal segment right before the segment containing `{name}`.
fn previous_literal<'a>(template: &'a str, name: &str) -> Option<&'a str> {
    let segments: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
    let marker = format!("{{{name}}}");
    let position = segments.iter().position(|s| s.contains(&marker))?;
    let previous = *segments.get(position.checked_sub(1)?)?;
    (!previous.contains('{')).then_some(previous)
}

/// Runs the traces through a pipeline and exports what it learned. Returns the
/// reconstructed description and the number of traces not recorded.
fn reconstruct(host: &str, traces: &[Trace]) -> (ApiSpec, usize) {
    let limits = Limits::default();
    let mut pipeline = Pipeline::new(PipelineConfig::default());
    let mut not_recorded = 0;
    for trace in traces {
        if trace.validate(&limits).is_err() {
            not_recorded += 1;
            continue;
        }
        if !matches!(pipeline.process(trace), Outcome::Recorded { .. }) {
            not_recorded += 1;
        }
    }
    let delta = pipeline.take_delta();

    let mut exports = Vec::new();
    for endpoint in pipeline.endpoints() {
        let raw_ids = pipeline.raw_ids_of(&endpoint.id);
        let fields = fields_from_deltas(delta.fields.iter().filter(|f| raw_ids.contains(&f.raw_id)));
        let samples: Vec<Trace> = delta
            .samples_added
            .iter()
            .filter(|s: &&Sample| raw_ids.contains(&s.raw_id))
            .filter_map(|s| postcard::from_bytes(&s.trace).ok())
            .collect();
        exports.push(EndpointExport { endpoint: endpoint.clone(), fields, classes: Vec::new(), samples });
    }
    let document = export(host, &exports);
    let bytes = serde_json::to_vec(&document).unwrap_or_default();
    let spec = import(&bytes, palisade_openapi::SourceFormat::Json, &ImportSettings::default())
        .expect("an exported description always imports");
    (spec, not_recorded)
}

/// Converts the traces to a HAR 1.2 log.
fn har(traces: &[Trace]) -> Value {
    let headers = |list: &[palisade_core::Header]| -> Vec<Value> {
        list.iter().map(|h| json!({"name": h.name, "value": h.value})).collect()
    };
    let entries: Vec<Value> = traces
        .iter()
        .map(|trace| {
            let request = &trace.request;
            let query: Vec<Value> = request.query.iter().map(|q| json!({"name": q.name, "value": q.value})).collect();
            let mut url = format!("{}://{}{}", request.scheme, request.host, request.path);
            if !request.query.is_empty() {
                let pairs: Vec<String> = request
                    .query
                    .iter()
                    .map(|q| format!("{}={}", form_encode(&q.name), form_encode(&q.value)))
                    .collect();
                url.push('?');
                url.push_str(&pairs.join("&"));
            }
            let mut har_request = json!({
                "method": request.method, "url": url, "httpVersion": "HTTP/1.1", "cookies": [],
                "headers": headers(&request.headers), "queryString": query, "headersSize": -1,
                "bodySize": request.body.bytes.len(),
            });
            if !request.body.is_empty() {
                har_request["postData"] = json!({
                    "mimeType": request.content_type.clone().unwrap_or_default(),
                    "text": String::from_utf8_lossy(&request.body.bytes),
                });
            }
            let response = trace.response.as_ref();
            let har_response = json!({
                "status": response.map_or(0, |r| r.status), "statusText": "", "httpVersion": "HTTP/1.1",
                "cookies": [], "headers": response.map(|r| headers(&r.headers)).unwrap_or_default(),
                "content": {
                    "size": response.map_or(0, |r| r.body.bytes.len()),
                    "mimeType": response.and_then(|r| r.content_type.clone()).unwrap_or_default(),
                    "text": response.map(|r| String::from_utf8_lossy(&r.body.bytes).into_owned()).unwrap_or_default(),
                },
                "redirectURL": "", "headersSize": -1, "bodySize": response.map_or(0, |r| r.body.bytes.len()),
            });
            json!({
                "startedDateTime": palisade_core::timestamp::format_rfc3339(trace.meta.start_ms),
                "time": 1, "request": har_request, "response": har_response, "cache": {},
                "timings": {"send": 0, "wait": 1, "receive": 0},
            })
        })
        .collect();
    json!({"log": {"version": "1.2", "creator": {"name": "palisade eval spec", "version": env!("CARGO_PKG_VERSION")}, "entries": entries}})
}

fn form_encode(text: &str) -> String {
    const QUERY: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
    percent_encoding::utf8_percent_encode(text, QUERY).to_string()
}

/// 64-bit FNV-1a, stable across Rust releases, so a seed reproduces the same traffic.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

fn print_report(report: &Report) {
    let tools: Vec<&String> = report.overall.keys().collect();
    let mut out = table(&["SPEC", "TOOL", "OPS", "PATH P", "PATH R", "PATH F1", "PARAM R", "FIELD R", "TYPE ACC"]);
    let row = |out: &mut comfy_table::Table, spec: &str, tool: &str, operations: String, score: &Accuracy| {
        out.add_row(vec![
            spec.to_string(),
            tool.to_string(),
            operations,
            format!("{:.3}", score.paths.precision),
            format!("{:.3}", score.paths.recall),
            format!("{:.3}", score.paths.f1),
            format!("{:.3}", score.parameters.recall),
            format!("{:.3}", score.response_fields.recall),
            format!("{:.3}", score.type_accuracy()),
        ]);
    };
    for spec in &report.specs {
        for (tool, score) in &spec.scores {
            row(&mut out, &spec.name, tool, spec.operations.to_string(), score);
        }
    }
    for tool in &tools {
        row(&mut out, "overall (micro)", tool, String::new(), &report.overall[*tool]);
    }
    let in_common = format!("{} in common (micro)", report.in_common_descriptions);
    for (tool, score) in &report.in_common {
        row(&mut out, &in_common, tool, String::new(), score);
    }
    println!("{out}");
    let not_recorded: usize = report.specs.iter().map(|s| s.not_recorded).sum();
    let requests: usize = report.specs.iter().map(|s| s.requests).sum();
    println!(
        "{} descriptions, {requests} requests ({} per operation, seed {}); {not_recorded} not recorded by the pipeline.",
        report.specs.len(),
        report.requests_per_operation,
        report.seed
    );
    for (file, reason) in &report.skipped {
        println!("skipped {file}: {reason}");
    }
}
