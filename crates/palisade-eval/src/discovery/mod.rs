//! Path template discovery measured against OpenAPI descriptions.
//!
//! For each description: one synthetic host, `requests_per_operation` requests for every
//! operation with fresh parameter values each time (see [`values`]), shuffled with the
//! seed and run through a [`Pipeline`] with the given discovery settings. The set of
//! discovered templates, with the base path removed, is then compared with the set of
//! the description's paths (see [`score`]). Methods are ignored in the comparison.
//!
//! Paths with a parameter inside a segment (`/files/{name}.json`) cannot come out of
//! segment-level templating. They count in the headline scores and are reported apart.
//! The scores "without" them come from a second run whose traffic leaves those
//! operations out, so their requests do not turn into false positives either.

pub mod pattern;
pub mod score;
pub mod spec;
pub mod values;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use fastrand::Rng;
use palisade_analyze::{DiscoveryConfig, Outcome, Pipeline, PipelineConfig};
use palisade_core::inventory::RawId;
use palisade_core::{Body, Header, Limits, Request, Response, Trace, TraceMeta, TraceSource};
use serde::Serialize;

use score::{Counts, Scores, has_param_inside_segment, normalize_template, strip_base_path};
use spec::{ApiSpec, Operation, PathParam};
use values::{ValuePlan, encode_segment};

/// Requests generated per operation unless the caller says otherwise. Each carries fresh
/// values for every path parameter.
pub const DEFAULT_REQUESTS_PER_OPERATION: usize = 10;

/// Start time of the first synthetic request (2024-01-01T00:00:00Z), in milliseconds
/// since the Unix epoch; each further request starts one millisecond later.
const FIRST_REQUEST_MS: i64 = 1_704_067_200_000;

/// Related templates listed with each miss.
const MAX_RELATED: usize = 3;

/// Settings of one evaluation run.
#[derive(Debug, Clone, Serialize)]
pub struct EvalOptions {
    pub requests_per_operation: usize,
    pub seed: u64,
    pub discovery: DiscoveryConfig,
}

impl Default for EvalOptions {
    fn default() -> Self {
        Self { requests_per_operation: DEFAULT_REQUESTS_PER_OPERATION, seed: 1, discovery: DiscoveryConfig::default() }
    }
}

/// Results over every description in a directory.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub options: EvalOptions,
    pub specs: Vec<SpecResult>,
    pub skipped: Vec<SkippedFile>,
    /// Every description path counted: the headline.
    pub overall: Summary,
    /// Paths with a parameter inside a segment left out of descriptions and traffic.
    pub overall_without_inside_segment: Summary,
}

/// Scores summed over descriptions (micro) and averaged per description (macro).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Summary {
    pub counts: Counts,
    pub micro: Scores,
    /// Mean of the per-description scores, over descriptions with at least one path.
    pub macro_average: Scores,
}

/// A file in the directory that was not evaluated, with the reason.
#[derive(Debug, Clone, Serialize)]
pub struct SkippedFile {
    pub file: String,
    pub reason: String,
}

/// Results for one description.
#[derive(Debug, Clone, Serialize)]
pub struct SpecResult {
    pub name: String,
    pub version: String,
    pub host: String,
    pub base_path: String,
    pub operations: usize,
    pub requests: usize,
    /// Requests the pipeline did not record, such as those past an endpoint limit.
    pub not_recorded: usize,
    /// Requests that failed trace validation (for example a path over the length limit).
    pub invalid: usize,
    pub unresolved_refs: usize,
    pub counts: Counts,
    pub scores: Scores,
    /// Distinct description paths with a parameter inside a segment.
    pub inside_segment: usize,
    pub counts_without_inside_segment: Counts,
    pub scores_without_inside_segment: Scores,
    /// Description paths that were not discovered, each with the templates its requests
    /// were recorded under.
    pub false_negatives: Vec<Miss>,
    /// Discovered templates that are not description paths, each with the description
    /// paths whose requests made it.
    pub false_positives: Vec<Miss>,
}

/// One template on one side that the other side lacks.
#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    pub template: String,
    pub related: Vec<String>,
}

/// Evaluates every description below `dir`. Files that are not descriptions are listed
/// in [`Report::skipped`]; only a directory that cannot be read is an error.
pub fn evaluate_dir(dir: &Path, options: &EvalOptions) -> std::io::Result<Report> {
    let mut specs = Vec::new();
    let mut skipped = Vec::new();
    for path in spec::find_files(dir)? {
        let name = path.strip_prefix(dir).unwrap_or(&path).to_string_lossy().replace('\\', "/");
        match spec::load_spec(&path, &name) {
            Ok(api) => specs.push(evaluate_spec(&api, options)),
            Err(error) => skipped.push(SkippedFile { file: name, reason: error.to_string() }),
        }
    }
    Ok(build_report(options.clone(), specs, skipped))
}

/// Assembles a report and its micro and macro summaries.
pub fn build_report(options: EvalOptions, specs: Vec<SpecResult>, skipped: Vec<SkippedFile>) -> Report {
    let overall = summarize(specs.iter().map(|s| (s.counts, s.scores)));
    let overall_without_inside_segment =
        summarize(specs.iter().map(|s| (s.counts_without_inside_segment, s.scores_without_inside_segment)));
    Report { options, specs, skipped, overall, overall_without_inside_segment }
}

fn summarize(items: impl Iterator<Item = (Counts, Scores)>) -> Summary {
    let mut counts = Counts::default();
    let mut per_spec: Vec<Scores> = Vec::new();
    for (spec_counts, scores) in items {
        counts.add(spec_counts);
        if spec_counts.spec > 0 {
            per_spec.push(scores);
        }
    }
    Summary { counts, micro: counts.scores(), macro_average: Scores::mean(&per_spec) }
}

/// Evaluates one description.
pub fn evaluate_spec(spec: &ApiSpec, options: &EvalOptions) -> SpecResult {
    let host = synthetic_host(&spec.name);
    let all: Vec<&Operation> = spec.operations.iter().collect();
    let run = run_traffic(spec, &host, &all, options);
    let comparison = compare(&all, &run);

    let inside: BTreeSet<String> =
        all.iter().filter(|op| has_param_inside_segment(&op.path)).map(|op| normalize_template(&op.path)).collect();
    let counts_without_inside_segment = if inside.is_empty() {
        comparison.counts
    } else {
        let kept: Vec<&Operation> = all.iter().copied().filter(|op| !has_param_inside_segment(&op.path)).collect();
        let rerun = run_traffic(spec, &host, &kept, options);
        compare(&kept, &rerun).counts
    };

    SpecResult {
        name: spec.name.clone(),
        version: spec.version.clone(),
        host,
        base_path: spec.base_path.clone(),
        operations: spec.operations.len(),
        requests: run.requests,
        not_recorded: run.not_recorded,
        invalid: run.invalid,
        unresolved_refs: spec.unresolved_refs,
        counts: comparison.counts,
        scores: comparison.counts.scores(),
        inside_segment: inside.len(),
        counts_without_inside_segment,
        scores_without_inside_segment: counts_without_inside_segment.scores(),
        false_negatives: comparison.false_negatives,
        false_positives: comparison.false_positives,
    }
}

/// Derives one synthetic host per description from its file name: `github-api.json` gives
/// `api.github-api.example`.
pub fn synthetic_host(name: &str) -> String {
    let file = name.rsplit('/').next().unwrap_or(name);
    let stem = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
    let mut label = String::new();
    for c in stem.chars() {
        if c.is_ascii_alphanumeric() {
            label.push(c.to_ascii_lowercase());
        } else if !label.ends_with('-') {
            label.push('-');
        }
    }
    // A DNS label contains at most 63 characters (RFC 1035 section 2.3.4).
    label.truncate(63);
    let label = label.trim_matches('-');
    let label = if label.is_empty() { "spec" } else { label };
    format!("api.{label}.example")
}

/// Templates discovered by one run of synthetic traffic.
struct TrafficRun {
    requests: usize,
    not_recorded: usize,
    invalid: usize,
    /// Normalised discovered templates, each with the indices of the operations whose
    /// requests were recorded under it.
    discovered: BTreeMap<String, BTreeSet<usize>>,
    /// Per operation index, the normalised templates its requests were recorded under.
    landed: Vec<BTreeSet<String>>,
}

fn run_traffic(spec: &ApiSpec, host: &str, operations: &[&Operation], options: &EvalOptions) -> TrafficRun {
    let mut rng = Rng::with_seed(options.seed ^ fnv1a(spec.name.as_bytes()));

    // One value plan per distinct parameter definition and position, shared by the
    // operations that use it, as a real API uses one identifier style for one resource.
    let mut plans: HashMap<String, ValuePlan> = HashMap::new();
    let mut requests: Vec<(usize, String)> = Vec::with_capacity(operations.len() * options.requests_per_operation);
    for (index, operation) in operations.iter().enumerate() {
        for param in &operation.params {
            let previous = previous_literal(&operation.path, &param.name);
            plans.entry(plan_key(param, previous)).or_insert_with(|| ValuePlan::new(param, previous, &mut rng));
        }
        for _ in 0..options.requests_per_operation {
            let path = concrete_path(&spec.base_path, operation, &plans, &mut rng);
            requests.push((index, path));
        }
    }
    rng.shuffle(&mut requests);

    let config = PipelineConfig { discovery: options.discovery.clone(), ..PipelineConfig::default() };
    let limits = Limits::default();
    let mut pipeline = Pipeline::new(config);
    let mut recorded: Vec<(usize, RawId)> = Vec::with_capacity(requests.len());
    let mut run = TrafficRun {
        requests: requests.len(),
        not_recorded: 0,
        invalid: 0,
        discovered: BTreeMap::new(),
        landed: vec![BTreeSet::new(); operations.len()],
    };
    for (sequence, (index, path)) in requests.into_iter().enumerate() {
        let trace = synthetic_trace(host, &operations[index].method, path, sequence as i64);
        if trace.validate(&limits).is_err() {
            run.invalid += 1;
            continue;
        }
        match pipeline.process(&trace) {
            Outcome::Recorded { raw_id } => recorded.push((index, raw_id)),
            Outcome::Skipped(_) => run.not_recorded += 1,
        }
    }

    // Map every recorded request to the template its raw endpoint was derived into.
    let delta = pipeline.take_delta();
    let templates: HashMap<&str, String> = pipeline
        .endpoints()
        .into_iter()
        .map(|endpoint| {
            let template = strip_base_path(&normalize_template(&endpoint.template), &spec.base_path);
            (endpoint.id.as_str(), template)
        })
        .collect();
    for template in templates.values() {
        run.discovered.entry(template.clone()).or_default();
    }
    let endpoint_of_raw: HashMap<RawId, &str> =
        delta.raw_endpoints.iter().map(|raw| (raw.id, raw.endpoint_id.as_str())).collect();
    for (index, raw_id) in recorded {
        let Some(template) = endpoint_of_raw.get(&raw_id).and_then(|id| templates.get(id)) else {
            continue;
        };
        run.landed[index].insert(template.clone());
        run.discovered.entry(template.clone()).or_default().insert(index);
    }
    run
}

/// Builds a request path for `operation`: the base path, then the operation's path with every
/// `{name}` replaced by a fresh, percent-encoded value.
fn concrete_path(base_path: &str, operation: &Operation, plans: &HashMap<String, ValuePlan>, rng: &mut Rng) -> String {
    let values: Vec<(String, String)> = operation
        .params
        .iter()
        .map(|param| {
            let key = plan_key(param, previous_literal(&operation.path, &param.name));
            let plan = plans.get(&key).expect("run_traffic made a plan for every parameter");
            let mut value = plan.generate(rng);
            if value.is_empty() {
                value.push('x');
            }
            (param.name.clone(), encode_segment(&value))
        })
        .collect();

    let mut path = String::from(base_path);
    let mut rest = operation.path.as_str();
    while let Some(start) = rest.find('{') {
        let Some(length) = rest[start..].find('}') else {
            break;
        };
        path.push_str(&rest[..start]);
        let name = rest[start + 1..start + length].trim_start_matches(['+', '#']).trim_end_matches('*');
        match values.iter().find(|(n, _)| n == name) {
            Some((_, value)) => path.push_str(value),
            None => path.push_str(&rest[start..start + length + 1]),
        }
        rest = &rest[start + length + 1..];
    }
    path.push_str(rest);
    if !path.starts_with('/') {
        path.insert(0, '/');
    }
    path
}

fn plan_key(param: &PathParam, previous_literal: Option<&str>) -> String {
    format!("{param:?} after {previous_literal:?}")
}

/// Returns the literal segment right before the segment that contains `{name}`, if any.
fn previous_literal<'a>(path: &'a str, name: &str) -> Option<&'a str> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let position = segments.iter().position(|segment| spec::template_param_names(segment).iter().any(|n| n == name))?;
    let previous = *segments.get(position.checked_sub(1)?)?;
    (!previous.contains('{')).then_some(previous)
}

fn synthetic_trace(host: &str, method: &str, path: String, sequence: i64) -> Trace {
    let json = Some("application/json".to_string());
    Trace {
        request: Request {
            method: method.to_string(),
            scheme: "https".to_string(),
            host: host.to_string(),
            path,
            query: Vec::new(),
            headers: vec![Header::new("Accept", "application/json"), Header::new("User-Agent", "palisade-eval")],
            content_type: None,
            body: Body::default(),
        },
        response: Some(Response {
            status: 200,
            headers: vec![Header::new("Content-Type", "application/json")],
            content_type: json,
            body: Body { bytes: br#"{"ok":true}"#.to_vec(), truncated: false },
        }),
        meta: TraceMeta {
            start_ms: FIRST_REQUEST_MS + sequence,
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

struct Comparison {
    counts: Counts,
    false_negatives: Vec<Miss>,
    false_positives: Vec<Miss>,
}

fn compare(operations: &[&Operation], run: &TrafficRun) -> Comparison {
    let mut expected: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    for (index, operation) in operations.iter().enumerate() {
        expected.entry(normalize_template(&operation.path)).or_default().insert(index);
    }

    let matched = expected.keys().filter(|t| run.discovered.contains_key(*t)).count();
    let counts = Counts { spec: expected.len(), discovered: run.discovered.len(), matched };

    let false_negatives = expected
        .iter()
        .filter(|(template, _)| !run.discovered.contains_key(*template))
        .map(|(template, indices)| {
            let landed: BTreeSet<&String> = indices.iter().flat_map(|&i| &run.landed[i]).collect();
            Miss { template: template.clone(), related: landed.into_iter().take(MAX_RELATED).cloned().collect() }
        })
        .collect();
    let false_positives = run
        .discovered
        .iter()
        .filter(|(template, _)| !expected.contains_key(*template))
        .map(|(template, indices)| {
            let sources: BTreeSet<String> = indices.iter().map(|&i| normalize_template(&operations[i].path)).collect();
            Miss { template: template.clone(), related: sources.into_iter().take(MAX_RELATED).collect() }
        })
        .collect();
    Comparison { counts, false_negatives, false_positives }
}

/// 64-bit FNV-1a, a hash that stays the same across Rust releases, unlike the standard
/// library's, so a seed reproduces the same traffic everywhere.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests;
