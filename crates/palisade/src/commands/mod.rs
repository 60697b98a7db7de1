//! One module per subcommand.

pub mod actors;
pub mod alerts;
pub mod bench;
pub mod bench_classification;
pub mod bench_detection;
pub mod bench_drift;
pub mod bench_tests;
pub mod capture;
pub mod config;
pub mod endpoints;
pub mod eval;
pub mod eval_classification;
pub mod eval_detection;
pub mod eval_spec;
pub mod hosts;
pub mod ingest;
pub mod keys;
pub mod proxy;
pub mod rules;
pub mod serve;
pub mod spec;
pub mod test;
pub mod users;

use std::path::Path;

use anyhow::{Context, Result, bail};
use palisade_server::{Config, DataDir};
use palisade_store::SqliteStore;

use crate::cli::Cli;

/// Loads the configuration file named by `--config`, or returns the defaults.
pub fn load_config(cli: &Cli) -> Result<Config> {
    match &cli.config {
        Some(path) => Ok(Config::load(path)?),
        None => Ok(Config::default()),
    }
}

/// Opens an existing data directory's store for reading and key management. Does not take
/// the directory's lock, so it works while `palisade serve` runs.
pub fn open_existing_store(data_dir: &Path) -> Result<SqliteStore> {
    if !data_dir.join("palisade.db").exists() {
        bail!(
            "no Palisade data in {}: run `palisade ingest FILE` or `palisade serve` first, or pass --data-dir",
            data_dir.display()
        );
    }
    let dir = DataDir::open(data_dir, false)?;
    dir.open_store().with_context(|| format!("cannot open the data directory {}", data_dir.display()))
}
