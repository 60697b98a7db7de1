//! `palisade ingest FILE...`: imports traffic files into the data directory, or sends
//! them to a running server with `--server`.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use palisade_analyze::{Outcome, PipelineCounters};
use palisade_core::timestamp::now_ms;
use palisade_core::{Limits, Trace};
use palisade_ingest::metlo::MetloVersion;
use palisade_ingest::{DecodeError, Format, TraceDecodeError};
use palisade_server::DataDir;
use palisade_server::worker::LocalIngest;
use palisade_store::Store;

use super::load_config;
use crate::cli::{Cli, IngestArgs, InputFormat};
use crate::output::{count, write_stdout};
use crate::{EXIT_INPUT_ERROR, EXIT_OK};

/// Largest file read whole (JSON documents, Keploy YAML); HAR and JSON Lines files are
/// streamed and have no size limit. Larger JSON traffic belongs in JSON Lines.
const MAX_WHOLE_FILE_BYTES: u64 = 512 * 1024 * 1024;
/// Traces applied per store transaction when writing the data directory.
const LOCAL_COMMIT_EVERY: usize = 5_000;
/// Rejections printed one by one; the rest are counted.
const MAX_PRINTED_REJECTIONS: usize = 20;
/// Maximum attempts to send one batch when the server responds with 429 or cannot be reached.
const MAX_SEND_ATTEMPTS: u32 = 20;

pub fn run(cli: &Cli, args: &IngestArgs) -> Result<u8> {
    let config = load_config(cli)?;
    let files = collect_files(&args.paths)?;
    if files.is_empty() {
        bail!("no files to import under {}", display_paths(&args.paths));
    }

    let total_bytes: u64 = files.iter().filter_map(|f| f.metadata().ok()).map(|m| m.len()).sum();
    let progress = if args.quiet { ProgressBar::hidden() } else { ProgressBar::new(total_bytes) };
    progress.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );

    let mut sink = match &args.server {
        Some(server) => Sink::Remote(RemoteSink::new(server, args.key.as_deref().unwrap_or(""), args.batch_size)?),
        None => {
            let data_dir = DataDir::open(&cli.data_dir, true)?;
            let store = data_dir.open_store()?;
            Sink::Local { data_dir, store: Box::new(store) }
        }
    };

    let mut report = Report::default();
    let result = match &mut sink {
        Sink::Local { store, data_dir } => {
            let pipeline = config.pipeline(&data_dir.actor_key())?;
            let mut local = LocalIngest::open(store.as_ref(), pipeline, LOCAL_COMMIT_EVERY)?;
            let outcome = import_all(&files, args.input_format, &config.limits, &progress, &mut report, &mut |trace| {
                local.push(trace).map(|outcome| matches!(outcome, Outcome::Recorded { .. }))
            });
            let counters = local.finish()?;
            report.counters = Some(counters);
            outcome
        }
        Sink::Remote(remote) => {
            let outcome = import_all(&files, args.input_format, &config.limits, &progress, &mut report, &mut |trace| {
                remote.push(trace)?;
                Ok(true)
            });
            remote.flush()?;
            outcome
        }
    };
    progress.finish_and_clear();
    result?;

    print_report(&report, &sink, files.len())?;
    let code = if report.failed_files > 0 || report.imported == 0 { EXIT_INPUT_ERROR } else { EXIT_OK };
    Ok(code)
}

enum Sink {
    Local { data_dir: DataDir, store: Box<dyn Store> },
    Remote(RemoteSink),
}

#[derive(Default)]
struct Report {
    imported: u64,
    rejected: u64,
    /// Files that decoded but contain no HTTP exchange (Keploy test cases of another kind).
    skipped_files: Vec<PathBuf>,
    failed_files: u64,
    printed: usize,
    counters: Option<PipelineCounters>,
}

impl Report {
    fn reject(&mut self, file: &Path, error: &TraceDecodeError) {
        self.rejected += 1;
        if self.printed < MAX_PRINTED_REJECTIONS {
            eprintln!("rejected: {}: {error}", file.display());
            self.printed += 1;
        }
    }
}

type Push<'a> = dyn FnMut(&Trace) -> Result<bool> + 'a;

fn import_all(
    files: &[PathBuf],
    forced: InputFormat,
    limits: &Limits,
    progress: &ProgressBar,
    report: &mut Report,
    push: &mut Push<'_>,
) -> Result<()> {
    for file in files {
        progress.set_message(file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
        match import_file(file, forced, limits, progress, report, push) {
            Ok(()) => {}
            Err(FileError::Input(error)) => {
                report.failed_files += 1;
                progress.suspend(|| eprintln!("error: {}: {error}", file.display()));
            }
            Err(FileError::Sink(error)) => return Err(error),
        }
    }
    Ok(())
}

/// Errors of one file: bad input is reported and the import goes on; a failing store or
/// server stops it.
enum FileError {
    Input(String),
    Sink(anyhow::Error),
}

fn import_file(
    path: &Path,
    forced: InputFormat,
    limits: &Limits,
    progress: &ProgressBar,
    report: &mut Report,
    push: &mut Push<'_>,
) -> Result<(), FileError> {
    let file = File::open(path).map_err(|e| FileError::Input(format!("cannot open: {e}")))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut reader = BufReader::new(progress.wrap_read(file));

    let format = match forced_format(forced) {
        Some(format) => format,
        None => {
            let head = peek(&mut reader).map_err(|e| FileError::Input(format!("cannot read: {e}")))?;
            palisade_ingest::detect(path, head).ok_or_else(|| {
                FileError::Input("unknown format: expected HAR, JSON Lines, JSON, Metlo JSON, Keploy YAML, pcap or pcapng; pass --input-format".to_string())
            })?
        }
    };

    let mut sink_error: Option<anyhow::Error> = None;
    let mut deliver = |result: Result<Trace, TraceDecodeError>, report: &mut Report| {
        if sink_error.is_some() {
            return;
        }
        match result {
            Ok(trace) => match push(&trace) {
                Ok(true) => report.imported += 1,
                Ok(false) => report.imported += 1,
                Err(error) => sink_error = Some(error),
            },
            Err(error) => progress.suspend(|| report.reject(path, &error)),
        }
    };

    let outcome: Result<(), DecodeError> = match format {
        Format::Har => palisade_ingest::har::read_har(reader, limits, |r| deliver(r, report)).map(|_| ()),
        Format::Jsonl => palisade_ingest::native::read_jsonl(reader, limits, |r| deliver(r, report)).map(|_| ()),
        Format::Pcap => {
            let config = palisade_capture::CaptureConfig::default();
            palisade_capture::read_capture(reader, &config, limits, |r| deliver(r, report))
                .map(|stats| progress.suspend(|| eprintln!("{}: {stats}", path.display())))
                .map_err(|error| DecodeError::Io(std::io::Error::other(error)))
        }
        Format::NativeJson | Format::MetloJson | Format::Keploy => {
            if size > MAX_WHOLE_FILE_BYTES {
                return Err(FileError::Input(format!(
                    "file of {size} bytes is larger than {MAX_WHOLE_FILE_BYTES} bytes, the most read whole; \
                     convert it to JSON Lines (.jsonl), which is streamed"
                )));
            }
            let mut bytes = Vec::with_capacity(size as usize);
            reader.read_to_end(&mut bytes).map_err(|e| FileError::Input(format!("cannot read: {e}")))?;
            decode_whole(path, format, &bytes, limits, report).map(|results| {
                for result in results {
                    deliver(result, report);
                }
            })
        }
    };

    if let Some(error) = sink_error {
        return Err(FileError::Sink(error));
    }
    outcome.map_err(|e| FileError::Input(e.to_string()))
}

fn decode_whole(
    path: &Path,
    format: Format,
    bytes: &[u8],
    limits: &Limits,
    report: &mut Report,
) -> Result<Vec<Result<Trace, TraceDecodeError>>, DecodeError> {
    match format {
        Format::NativeJson => palisade_ingest::native::decode(bytes, limits, now_ms()),
        Format::MetloJson => {
            let batch = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
            palisade_ingest::metlo::decode(bytes, MetloVersion::V2, batch, limits, now_ms())
        }
        Format::Keploy => {
            let text = String::from_utf8_lossy(bytes);
            match palisade_ingest::keploy::decode(&text, limits)? {
                Some(trace) => Ok(vec![Ok(trace)]),
                None => {
                    report.skipped_files.push(path.to_path_buf());
                    Ok(Vec::new())
                }
            }
        }
        Format::Har | Format::Jsonl | Format::Pcap => Ok(Vec::new()),
    }
}

fn forced_format(format: InputFormat) -> Option<Format> {
    match format {
        InputFormat::Auto => None,
        InputFormat::Har => Some(Format::Har),
        InputFormat::Jsonl => Some(Format::Jsonl),
        InputFormat::Json => Some(Format::NativeJson),
        InputFormat::Keploy => Some(Format::Keploy),
        InputFormat::Metlo => Some(Format::MetloJson),
        InputFormat::Pcap => Some(Format::Pcap),
    }
}

/// Returns the first bytes of a buffered reader without consuming them.
fn peek<R: Read>(reader: &mut BufReader<R>) -> std::io::Result<&[u8]> {
    use std::io::BufRead;
    reader.fill_buf()
}

/// Expands directories into the files below them, sorted, skipping hidden files and
/// files Palisade cannot read (such as licences).
fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        let metadata = std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
        if metadata.is_dir() {
            walk(path, &mut files)?;
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for entry in entries {
        let hidden = entry.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden {
            continue;
        }
        if entry.is_dir() {
            walk(&entry, files)?;
        } else if has_traffic_extension(&entry) {
            files.push(entry);
        }
    }
    Ok(())
}

fn has_traffic_extension(path: &Path) -> bool {
    let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    matches!(
        extension.as_deref(),
        Some("har" | "json" | "jsonl" | "ndjson" | "yaml" | "yml" | "pcap" | "pcapng" | "cap")
    )
}

fn display_paths(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// Prints the summary. Standard output goes through `write_stdout`, because with --server
/// SIGPIPE stays ignored and `println!` would panic when the reader has closed the pipe.
fn print_report(report: &Report, sink: &Sink, files: usize) -> Result<()> {
    if report.rejected > report.printed as u64 {
        let more = report.rejected - report.printed as u64;
        eprintln!("... and {} more", count(more, "rejected trace"));
    }
    for path in &report.skipped_files {
        eprintln!("skipped: {}: Keploy test case of a kind other than Http", path.display());
    }

    let destination = match sink {
        Sink::Local { data_dir, .. } => data_dir.path().display().to_string(),
        Sink::Remote(remote) => remote.url.clone(),
    };
    let mut text = format!(
        "Imported {} from {} into {destination} ({} rejected, {} skipped as not HTTP, {} failed).\n",
        count(report.imported, "trace"),
        count(files as u64, "file"),
        report.rejected,
        count(report.skipped_files.len() as u64, "file"),
        count(report.failed_files, "file")
    );
    if let (Some(counters), Sink::Local { store, .. }) = (&report.counters, sink) {
        let skipped = counters.skipped_host_blocked
            + counters.skipped_path_blocked
            + counters.skipped_host_limit
            + counters.skipped_endpoint_limit;
        if skipped > 0 {
            let verb = if skipped == 1 { "was" } else { "were" };
            text.push_str(&format!(
                "{} {verb} not inventoried (block lists or host/endpoint limits).\n",
                count(skipped, "trace")
            ));
        }
        if let Ok(hosts) = store.hosts() {
            text.push_str(&inventory_sentence(hosts.iter().map(|h| h.endpoints).sum(), hosts.len() as u64));
        }
    }
    write_stdout(&text)
}

/// Describes the inventory after an import, and what to do next when it is empty.
fn inventory_sentence(endpoints: u64, hosts: u64) -> String {
    if endpoints == 0 {
        return "The inventory is empty: no endpoints were found. Import HTTP traffic with \
                `palisade ingest FILE` (HAR, JSON Lines, JSON, Keploy YAML, pcap or pcapng).\n"
            .to_string();
    }
    format!(
        "The inventory holds {} on {}: `palisade endpoints list` shows them.\n",
        count(endpoints, "endpoint"),
        count(hosts, "host")
    )
}

/// Sends traces to `POST /api/v1/traces` of a running server in batches.
struct RemoteSink {
    url: String,
    key: String,
    batch_size: usize,
    batch: Vec<serde_json::Value>,
    client: reqwest::Client,
    runtime: tokio::runtime::Runtime,
    /// True once the server has responded to a request. Before that, a refused connection
    /// means a wrong address or a stopped server and fails at once. After it, the server
    /// may be restarting, so sends are retried.
    responded: bool,
}

impl RemoteSink {
    fn new(server: &str, key: &str, batch_size: usize) -> Result<Self> {
        let base = server.trim_end_matches('/');
        if !base.starts_with("http://") {
            // NOTE: the client is built without TLS support; HTTPS servers need a TLS-enabled
            // build or a local proxy.
            bail!("invalid --server {server:?}: expected an http:// URL such as http://127.0.0.1:7480");
        }
        let runtime =
            tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the runtime")?;
        let client = reqwest::Client::builder().timeout(Duration::from_secs(60)).build()?;
        Ok(Self {
            url: format!("{base}/api/v1/traces"),
            key: key.to_string(),
            batch_size: batch_size.max(1),
            batch: Vec::new(),
            client,
            runtime,
            responded: false,
        })
    }

    fn push(&mut self, trace: &Trace) -> Result<()> {
        self.batch.push(palisade_ingest::native::encode(trace));
        if self.batch.len() >= self.batch_size {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let body = serde_json::to_vec(&self.batch)?;
        self.batch.clear();

        let mut attempt = 0;
        loop {
            attempt += 1;
            let request = self
                .client
                .post(&self.url)
                .header("authorization", format!("Bearer {}", self.key))
                .header("content-type", "application/json")
                .body(body.clone());
            // `send` sets up its timeout on the runtime, so it must run inside it.
            let response = self.runtime.block_on(async { request.send().await });
            self.responded |= response.is_ok();
            let wait = match response {
                Ok(response) if response.status().is_success() => return Ok(()),
                Ok(response) if response.status().as_u16() == 429 && attempt < MAX_SEND_ATTEMPTS => {
                    let seconds = response
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<u64>().ok())
                        .unwrap_or(1);
                    Duration::from_secs(seconds)
                }
                Ok(response) => {
                    let status = response.status();
                    let text = self.runtime.block_on(response.text()).unwrap_or_default();
                    bail!("server at {} responded with {status}: {}", self.url, text.trim());
                }
                Err(error)
                    if attempt < MAX_SEND_ATTEMPTS
                        && (error.is_timeout() || (error.is_connect() && self.responded)) =>
                {
                    // Printed on the first failure only, so a server that is down does not look
                    // like a hang.
                    if attempt == 1 {
                        let cause = anyhow::Error::new(error);
                        eprintln!(
                            "warning: cannot reach {} ({cause:#}); trying again every second, {} more times",
                            self.url,
                            MAX_SEND_ATTEMPTS - 1
                        );
                    }
                    Duration::from_secs(1)
                }
                // The context keeps reqwest's error as the source, so the message ends with
                // the cause, such as "Connection refused".
                Err(error) if error.is_connect() && !self.responded => {
                    return Err(anyhow::Error::new(error).context(format!(
                        "cannot send traces to {}: no server answered there; check that `palisade serve` runs at \
                         that address",
                        self.url
                    )));
                }
                Err(error) => {
                    return Err(anyhow::Error::new(error).context(format!("cannot send traces to {}", self.url)));
                }
            };
            std::thread::sleep(wait);
        }
    }
}
