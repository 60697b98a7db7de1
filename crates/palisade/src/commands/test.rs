//! `palisade test run|generate|templates|schema`: YAML security tests in Metlo's format.

mod generate;
mod run;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand, ValueEnum};

use crate::EXIT_OK;
use crate::cli::Cli;

#[derive(Debug, Args)]
pub struct TestArgs {
    #[command(subcommand)]
    pub command: TestCommand,
}

#[derive(Debug, Subcommand)]
pub enum TestCommand {
    /// Run test files, or every .yaml and .yml file under directories. Exit codes: 0 all
    /// tests passed, 1 a test failed, 2 invalid input (a test file, a flag, a config).
    Run(RunArgs),
    /// Generate a test for an endpoint of the inventory from a template.
    Generate(GenerateArgs),
    /// List the templates `generate` accepts.
    Templates,
    /// Write the JSON Schema of test files, for editors.
    Schema {
        /// File to write; standard output when not given.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Human-readable summary.
    Pretty,
    Json,
    /// JUnit XML.
    Junit,
    /// SARIF 2.1.0.
    Sarif,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Test files or directories.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,

    /// Tests run at the same time; the steps of one test always run in order.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub parallel: u16,

    /// Output format on standard output.
    #[arg(long, value_enum, default_value_t = ReportFormat::Pretty)]
    pub format: ReportFormat,

    /// Also write report.json, junit.xml and results.sarif to this directory.
    #[arg(long)]
    pub report_dir: Option<PathBuf>,

    /// A variable as NAME=VALUE, overriding the test's `env` and --envfile; repeatable.
    #[arg(long = "env", value_name = "NAME=VALUE")]
    pub env: Vec<String>,

    /// A file of NAME=VALUE lines (`#` comments, optional `export` and quotes); repeatable.
    #[arg(long = "envfile", value_name = "FILE")]
    pub envfile: Vec<PathBuf>,

    /// A file of NAME=VALUE lines for the global environment (`{{global.NAME}}`), added to
    /// `testing.global_env` of the config; its values are redacted in every report.
    #[arg(long = "global-envfile", value_name = "FILE")]
    pub global_envfile: Vec<PathBuf>,

    /// Requests the whole run may send; a test that would send more fails.
    #[arg(long)]
    pub max_requests: Option<u64>,

    /// Requests one step may fan out to with payloads and `repeat`.
    #[arg(long, default_value_t = 1000)]
    pub max_step_requests: u64,

    /// Seconds one request may take, from sending to the end of the body.
    #[arg(long, default_value_t = 10)]
    pub timeout_secs: u64,

    /// Response body bytes read; the rest is cut and `resp.truncated` is true.
    #[arg(long, default_value_t = 10 * 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Milliseconds one JavaScript assertion or extractor may run.
    #[arg(long, default_value_t = 1000)]
    pub js_time_limit_ms: u64,

    /// Memory the JavaScript engine of one thread may use, in bytes.
    #[arg(long, default_value_t = 64 * 1024 * 1024)]
    pub js_memory_limit_bytes: usize,

    /// Accept any TLS certificate (test servers with self-signed certificates only).
    #[arg(long)]
    pub insecure: bool,

    /// A PEM file of CA certificates to trust in addition to the system's; repeatable.
    #[arg(long = "ca-cert", value_name = "FILE")]
    pub ca_cert: Vec<PathBuf>,

    /// Send the results to a Palisade server (`POST /api/v1/test-runs`). Unlike `ingest`,
    /// this is not read from PALISADE_SERVER, so that a run never sends results unasked.
    #[arg(long, requires = "key")]
    pub server: Option<String>,

    /// API token for --server.
    #[arg(long, env = "PALISADE_KEY")]
    pub key: Option<String>,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Endpoint id, or "METHOD HOST PATH" with a concrete path or the template.
    #[arg(long)]
    pub endpoint: String,

    /// Template name; `palisade test templates` lists them.
    #[arg(long)]
    pub template: String,

    /// File to write; standard output when not given.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub use crate::output::write_stdout;

pub fn run(cli: &Cli, args: &TestArgs) -> Result<u8> {
    match &args.command {
        TestCommand::Run(run) => run::run(cli, run),
        TestCommand::Generate(generate) => generate::run(cli, generate),
        TestCommand::Templates => {
            let mut text = String::new();
            for template in palisade_testing::templates::TEMPLATES {
                text.push_str(&format!("{:<26} {}\n", template.name, template.summary));
            }
            write_stdout(&text)?;
            Ok(EXIT_OK)
        }
        TestCommand::Schema { out } => {
            let text = palisade_testing::schema::json_schema_text();
            match out {
                Some(path) => std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?,
                None => write_stdout(&text)?,
            }
            Ok(EXIT_OK)
        }
    }
}
