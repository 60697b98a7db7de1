//! `palisade spec export|import|list|remove|reconcile|diff`: OpenAPI descriptions from
//! the inventory, imported into the data directory, reconciled with the inventory, and
//! compared.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use palisade_core::timestamp::{format_rfc3339, now_ms};
use palisade_openapi::diff::diff;
use palisade_openapi::stored::{self, SpecSet};
use palisade_openapi::{ApiSpec, ImportError, ImportSettings, import_file};
use palisade_server::DataDir;
use palisade_store::{Store, StoredSpec};

use super::{load_config, open_existing_store};
use crate::EXIT_OK;
use crate::cli::{Cli, OutputFormat};
use crate::output::{count, print_json, table};

/// Exit code of `spec diff` when the new description breaks clients of the old one.
const EXIT_BREAKING: u8 = 1;

#[derive(Debug, Args)]
pub struct SpecArgs {
    #[command(subcommand)]
    pub command: SpecCommand,
}

#[derive(Debug, Subcommand)]
pub enum SpecCommand {
    /// Write an OpenAPI 3.1 description of one host, reconstructed from the inventory
    /// in the data directory, with its evidence in `x-palisade-*` extensions.
    Export(ExportArgs),
    /// Read an OpenAPI 3.0 or 3.1 or Swagger 2.0 description (JSON or YAML), check it,
    /// store it in the data directory and print a summary, or the normalized model with
    /// --format json. With --check nothing is stored.
    Import(ImportArgs),
    /// List the descriptions stored in the data directory.
    List(ListArgs),
    /// Delete a stored description. Endpoints it covered are no longer merged into its
    /// operations, and traffic is no longer checked against it.
    Remove(RemoveArgs),
    /// Compare a stored description with the inventory: shadow endpoints (seen, not
    /// documented), zombie endpoints (deprecated, still called) and unused operations
    /// (documented, no traffic within openapi.zombie_after_days).
    Reconcile(ReconcileArgs),
    /// List breaking and non-breaking changes from OLD to NEW. Exit code 1 when there are
    /// breaking changes, 0 when there are none, 2 when a description is invalid.
    Diff(DiffArgs),
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Host whose endpoints are exported, as `palisade hosts` lists it.
    #[arg(long)]
    pub host: String,
    /// File to write; standard output when missing.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Redacted samples read per endpoint for examples and enum inference.
    #[arg(long, default_value_t = stored::DEFAULT_EXPORT_SAMPLES)]
    pub samples: u32,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Description file: .json, .yaml or .yml.
    pub file: PathBuf,
    /// Only check the description and print the summary; store nothing.
    #[arg(long)]
    pub check: bool,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// Id of the description, as `palisade spec list` shows it.
    pub id: i64,
}

#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// Id of the description, as `palisade spec list` shows it.
    pub id: i64,
    /// Days without traffic after which a documented operation counts as a zombie
    /// candidate; defaults to openapi.zombie_after_days of the configuration (30).
    #[arg(long)]
    pub zombie_after_days: Option<u32>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The description clients were written against.
    pub old: PathBuf,
    /// The description to compare with it.
    pub new: PathBuf,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

pub fn run(cli: &Cli, args: &SpecArgs) -> Result<u8> {
    match &args.command {
        SpecCommand::Export(export) => run_export(cli, export),
        SpecCommand::Import(import) => run_import(cli, import),
        SpecCommand::List(list) => run_list(cli, list),
        SpecCommand::Remove(remove) => run_remove(cli, remove),
        SpecCommand::Reconcile(reconcile) => run_reconcile(cli, reconcile),
        SpecCommand::Diff(diff) => run_diff(diff),
    }
}

fn run_export(cli: &Cli, args: &ExportArgs) -> Result<u8> {
    let store = open_existing_store(&cli.data_dir)?;
    let Some(text) = stored::export_host(&store, &args.host, args.samples)? else {
        let hosts: Vec<String> = store.hosts()?.into_iter().map(|h| h.stats.host).collect();
        bail!("no endpoints for host {:?}; hosts in {}: {}", args.host, cli.data_dir.display(), hosts.join(", "));
    };
    match &args.out {
        Some(path) => std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?,
        None => std::io::stdout().write_all(text.as_bytes())?,
    }
    Ok(EXIT_OK)
}

fn run_import(cli: &Cli, args: &ImportArgs) -> Result<u8> {
    let spec = read_description(&args.file, &ImportSettings::default())?;
    let stored = if args.check {
        None
    } else {
        let dir = DataDir::open(&cli.data_dir, false)?;
        let store =
            dir.open_store().with_context(|| format!("cannot open the data directory {}", cli.data_dir.display()))?;
        Some(stored::save_spec(&store, &spec)?)
    };
    if args.format == OutputFormat::Json {
        print_json(&spec.to_model_json())?;
        return Ok(EXIT_OK);
    }

    println!("{}", summary_table(&spec, stored.as_ref()));
    Ok(EXIT_OK)
}

/// Imports a description file. A file that cannot be read is reported as that alone
/// (`cannot read FILE: ...`), since nothing is known yet about its content.
fn read_description(path: &Path, settings: &ImportSettings) -> Result<ApiSpec> {
    match import_file(path, settings) {
        Ok(spec) => Ok(spec),
        Err(error @ ImportError::Io { .. }) => Err(error.into()),
        Err(error) => Err(anyhow::Error::new(error).context(format!("invalid description {}", path.display()))),
    }
}

/// Builds the summary that `spec import` prints: what was read, and the id it was stored
/// under.
fn summary_table(spec: &ApiSpec, stored: Option<&StoredSpec>) -> comfy_table::Table {
    let deprecated = spec.operations.iter().filter(|op| op.deprecated).count();
    let mut out = table(&["FIELD", "VALUE"]);
    if let Some(stored) = stored {
        out.add_row(vec!["id".to_string(), stored.id.to_string()]);
    }
    out.add_row(vec!["title".to_string(), spec.title.clone()]);
    out.add_row(vec!["version".to_string(), spec.version.clone()]);
    out.add_row(vec!["format".to_string(), format!("{} ({:?})", spec.spec_version, spec.dialect())]);
    out.add_row(vec!["operations".to_string(), format!("{} ({deprecated} deprecated)", spec.operations.len())]);
    out.add_row(vec!["hosts".to_string(), hosts_text(&spec.hosts)]);
    let bases: Vec<&str> = spec.base_paths.iter().map(|b| if b.is_empty() { "/" } else { b.as_str() }).collect();
    out.add_row(vec!["base paths".to_string(), bases.join(", ")]);
    out
}

fn hosts_text(hosts: &[String]) -> String {
    if hosts.is_empty() { "any host (relative servers)".to_string() } else { hosts.join(", ") }
}

fn run_list(cli: &Cli, args: &ListArgs) -> Result<u8> {
    let store = open_existing_store(&cli.data_dir)?;
    let specs = store.specs()?;
    if args.format == OutputFormat::Json {
        print_json(&specs)?;
        return Ok(EXIT_OK);
    }
    let mut out = table(&["ID", "TITLE", "VERSION", "OPERATIONS", "HOSTS", "IMPORTED"]);
    for spec in &specs {
        out.add_row(vec![
            spec.id.to_string(),
            spec.title.clone(),
            spec.version.clone(),
            spec.operations.to_string(),
            hosts_text(&spec.hosts),
            format_rfc3339(spec.imported_ms),
        ]);
    }
    println!("{out}");
    println!("{}", count(specs.len() as u64, "description"));
    Ok(EXIT_OK)
}

fn run_remove(cli: &Cli, args: &RemoveArgs) -> Result<u8> {
    let store = open_existing_store(&cli.data_dir)?;
    if !store.delete_spec(args.id)? {
        bail!("no description with id {}; `palisade spec list` shows the ids", args.id);
    }
    println!("removed description {}", args.id);
    Ok(EXIT_OK)
}

fn run_reconcile(cli: &Cli, args: &ReconcileArgs) -> Result<u8> {
    let config = load_config(cli)?;
    let zombie_after_days = args.zombie_after_days.unwrap_or(config.openapi.zombie_after_days);
    let store = open_existing_store(&cli.data_dir)?;
    let (set, skipped) = SpecSet::load(&store, &ImportSettings::default())?;
    let Some(loaded) = set.get(args.id) else {
        if let Some(skip) = skipped.iter().find(|skip| skip.id == args.id) {
            bail!("stored description {} no longer imports: {}", args.id, skip.error);
        }
        bail!("no description with id {}; `palisade spec list` shows the ids", args.id);
    };
    let endpoints = stored::all_endpoints(&store, None)?;
    let report = stored::reconcile_report(loaded, &endpoints, zombie_after_days, now_ms());
    if args.format == OutputFormat::Json {
        print_json(&report)?;
        return Ok(EXIT_OK);
    }

    let mut out = table(&["KIND", "OPERATION OR ENDPOINT", "HITS", "LAST SEEN"]);
    for shadow in &report.shadow {
        let last_seen = format_rfc3339(shadow.last_seen_ms);
        let endpoint = format!("{} {}", shadow.method, shadow.template);
        out.add_row(vec!["shadow".to_string(), endpoint, shadow.hits.to_string(), last_seen]);
    }
    for zombie in &report.zombie {
        let last_seen = format_rfc3339(zombie.last_seen_ms);
        out.add_row(vec!["zombie".to_string(), zombie.operation.clone(), zombie.hits.to_string(), last_seen]);
    }
    for unused in &report.unused {
        let kind = if unused.zombie_candidate { "zombie candidate" } else { "unused" };
        let last_seen = unused.last_seen_ms.map(format_rfc3339).unwrap_or_else(|| "never".to_string());
        out.add_row(vec![kind.to_string(), unused.operation.clone(), "-".to_string(), last_seen]);
    }
    println!("{out}");
    println!(
        "{} shadow, {} zombie, {} unused; {} documented",
        report.shadow.len(),
        report.zombie.len(),
        report.unused.len(),
        count(report.documented, "endpoint")
    );
    Ok(EXIT_OK)
}

fn run_diff(args: &DiffArgs) -> Result<u8> {
    let settings = ImportSettings::default();
    let old = read_description(&args.old, &settings)?;
    let new = read_description(&args.new, &settings)?;
    let report = diff(&old, &new);
    match args.format {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Table => print!("{}", report.to_text()),
    }
    Ok(if report.breaking() > 0 { EXIT_BREAKING } else { EXIT_OK })
}
