//! `palisade test run`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use palisade_testing::callback::CallbackListener;
use palisade_testing::generate::TestingConfig;
use palisade_testing::http::HttpSettings;
use palisade_testing::js::JsLimits;
use palisade_testing::report::{self, Format};
use palisade_testing::{ParseError, ParsedTest, RunReport, RunSettings, Runner};

use super::{ReportFormat, RunArgs};
use crate::cli::Cli;
use crate::output::count;
use crate::{EXIT_INPUT_ERROR, EXIT_OK};

/// Exit code when a test failed.
const EXIT_TEST_FAILED: u8 = 1;

pub fn run(cli: &Cli, args: &RunArgs) -> Result<u8> {
    let files = collect_files(&args.paths)?;
    if files.is_empty() {
        bail!("no .yaml or .yml test files found in {}", display_paths(&args.paths));
    }

    // Every file is checked before anything runs, so one run shows every mistake.
    let mut tests = Vec::with_capacity(files.len());
    let mut invalid = 0;
    for file in &files {
        match palisade_testing::parse_file(file) {
            Ok(test) => tests.push(test),
            Err(ParseError::Invalid(diagnostics)) => {
                invalid += 1;
                for diagnostic in diagnostics {
                    eprint!("{}", diagnostic.render());
                }
            }
            Err(other) => {
                invalid += 1;
                eprintln!("error: {other}");
            }
        }
    }
    if invalid > 0 {
        let verb = if invalid == 1 { "is" } else { "are" };
        eprintln!("{invalid} of {} {verb} invalid; nothing was run", count(files.len() as u64, "test file"));
        return Ok(EXIT_INPUT_ERROR);
    }
    check_unique_ids(&tests)?;

    let config = match &cli.config {
        Some(path) => TestingConfig::load(path)?,
        None => TestingConfig::default(),
    };
    let mut globals: BTreeMap<String, String> =
        config.global_env.iter().map(|kv| (kv.name.clone(), kv.value.clone())).collect();
    for file in &args.global_envfile {
        globals.extend(read_envfile(file)?);
    }
    let mut overrides = Vec::new();
    for file in &args.envfile {
        overrides.extend(read_envfile(file)?);
    }
    for pair in &args.env {
        overrides.push(parse_pair(pair).with_context(|| format!("invalid --env {pair:?}"))?);
    }

    warn_empty_variables(&tests, &overrides);

    let settings = settings(args)?;
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    let report = runtime.block_on(execute(tests, settings, globals, overrides))?;

    let format = match args.format {
        ReportFormat::Pretty => Format::Pretty,
        ReportFormat::Json => Format::Json,
        ReportFormat::Junit => Format::Junit,
        ReportFormat::Sarif => Format::Sarif,
    };
    super::write_stdout(&report::render(&report, format))?;
    if let Some(dir) = &args.report_dir {
        write_reports(dir, &report)?;
    }
    if let (Some(server), Some(key)) = (&args.server, &args.key) {
        runtime.block_on(send_results(server, key, &report))?;
    }
    Ok(if report.failed() == 0 { EXIT_OK } else { EXIT_TEST_FAILED })
}

/// Warns about variables that a test's `env` leaves empty and its requests use, such as
/// the credential placeholders of generated tests, when no `--env` or env file sets them.
/// The test still runs, because an empty value can be what a test means.
fn warn_empty_variables(tests: &[ParsedTest], overrides: &[(String, String)]) {
    for parsed in tests {
        let text = palisade_testing::model::to_yaml(&parsed.test);
        for entry in parsed.test.env.iter().filter(|entry| entry.value.is_empty()) {
            let set = overrides.iter().any(|(name, value)| *name == entry.name && !value.is_empty());
            if !set && palisade_testing::generate::uses_variable(&text, &entry.name) {
                eprintln!(
                    "warning: {}: variable {} is empty, so its requests send an empty value; pass --env {}=VALUE",
                    parsed.file, entry.name, entry.name
                );
            }
        }
    }
}

async fn execute(
    tests: Vec<ParsedTest>,
    settings: RunSettings,
    globals: BTreeMap<String, String>,
    overrides: Vec<(String, String)>,
) -> Result<RunReport> {
    let mut runner = Runner::new(settings, globals, overrides).context("cannot set up the HTTP client")?;

    // The listener for server-side request forgery tests runs only when a test uses it.
    let needs_callback = tests.iter().any(|t| palisade_testing::model::to_yaml(&t.test).contains("CALLBACK_URL"));
    let callback = if needs_callback {
        Some(CallbackListener::start().await.context("cannot start the callback listener on 127.0.0.1")?)
    } else {
        None
    };
    if let Some(listener) = &callback {
        runner = runner.with_builtin("CALLBACK_URL", &listener.url());
    }
    let runner = Arc::new(runner);
    Ok(runner.run_all(tests).await)
}

fn settings(args: &RunArgs) -> Result<RunSettings> {
    let mut ca_certificates_pem = Vec::new();
    for path in &args.ca_cert {
        ca_certificates_pem.push(std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?);
    }
    Ok(RunSettings {
        http: HttpSettings {
            request_timeout: Duration::from_secs(args.timeout_secs.max(1)),
            max_body_bytes: args.max_body_bytes,
            insecure_skip_verify: args.insecure,
            ca_certificates_pem,
            ..HttpSettings::default()
        },
        js: JsLimits {
            time_limit: Duration::from_millis(args.js_time_limit_ms.max(1)),
            memory_limit_bytes: args.js_memory_limit_bytes,
            ..JsLimits::default()
        },
        max_requests: args.max_requests,
        max_step_requests: args.max_step_requests,
        parallel: usize::from(args.parallel),
    })
}

/// Files named on the command line, and .yaml and .yml files under directories, sorted.
fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        let metadata = std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
        if metadata.is_dir() {
            let mut found = Vec::new();
            walk(path, &mut found)?;
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
    Ok(())
}

fn display_paths(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// Two tests with the same id would be indistinguishable in reports.
fn check_unique_ids(tests: &[ParsedTest]) -> Result<()> {
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for test in tests {
        if let Some(first) = seen.insert(&test.test.id, &test.file) {
            bail!("test id {:?} is used by both {first} and {}; ids must be unique", test.test.id, test.file);
        }
    }
    Ok(())
}

/// Reads NAME=VALUE lines: blank lines and `#` comments are skipped, `export ` is
/// allowed before the name, and one pair of matching quotes around the value is removed.
pub fn read_envfile(path: &Path) -> Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut pairs = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let pair = parse_pair(line).with_context(|| format!("invalid line {} of {}", index + 1, path.display()))?;
        pairs.push(pair);
    }
    Ok(pairs)
}

fn parse_pair(text: &str) -> Result<(String, String)> {
    let Some((name, value)) = text.split_once('=') else { bail!("expected NAME=VALUE") };
    let name = name.trim();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-') {
        bail!("invalid variable name {name:?}");
    }
    let value = value.trim();
    let unquoted =
        ['"', '\''].iter().find_map(|q| value.strip_prefix(*q).and_then(|v| v.strip_suffix(*q))).unwrap_or(value);
    Ok((name.to_string(), unquoted.to_string()))
}

fn write_reports(dir: &Path, report: &RunReport) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for format in [Format::Json, Format::Junit, Format::Sarif] {
        let path = dir.join(format.file_name());
        std::fs::write(&path, report::render(report, format))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// Sends the run's results to a server as `POST /api/v1/test-runs`; docs/testing.md
/// describes the body.
async fn send_results(server: &str, key: &str, report: &RunReport) -> Result<()> {
    let url = format!("{}/api/v1/test-runs", server.trim_end_matches('/'));
    let body = serde_json::json!({
        "runner": "palisade",
        "version": env!("CARGO_PKG_VERSION"),
        "duration_ms": report.duration_ms,
        "requests": report.requests,
        "passed": report.passed(),
        "failed": report.failed(),
        "tests": report.tests,
    });
    let client =
        reqwest::Client::builder().timeout(Duration::from_secs(30)).build().context("cannot build the HTTP client")?;
    let response = client
        .post(&url)
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .with_context(|| format!("cannot send the results to {url}"))?;
    let status = response.status();
    if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::METHOD_NOT_ALLOWED {
        bail!(
            "storing test results is not supported by this server yet: {url} answered {status}; the results are only in this output"
        );
    }
    if !status.is_success() {
        bail!("{url} refused the results: {status}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_pair_cases() {
        assert_eq!(parse_pair("A=1").unwrap(), ("A".into(), "1".into()));
        assert_eq!(parse_pair("TOKEN=\"Bearer x=y\"").unwrap(), ("TOKEN".into(), "Bearer x=y".into()));
        assert_eq!(parse_pair("B='q'").unwrap(), ("B".into(), "q".into()));
        assert_eq!(parse_pair("EMPTY=").unwrap(), ("EMPTY".into(), "".into()));
        assert!(parse_pair("NOEQUALS").is_err());
        assert!(parse_pair("BAD NAME=1").is_err());
    }

    #[test]
    fn envfile_skips_comments() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(&path, "# comment\n\nexport A=1\nB = two \n").unwrap();
        assert_eq!(read_envfile(&path).unwrap(), vec![("A".into(), "1".into()), ("B".into(), "two".into())]);
    }
}
