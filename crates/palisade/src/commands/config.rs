//! `palisade config`: print the default configuration, or check a file.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use palisade_server::Config;

use crate::EXIT_OK;

#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub command: ConfigCommand,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the configuration `palisade serve` uses without a file: every setting with
    /// its default value, as YAML that `--config` reads.
    Defaults,
    /// Check a configuration file (YAML syntax, unknown keys, regular expressions,
    /// detection rules, data classes, policies) without starting anything.
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Configuration file to check.
    pub file: PathBuf,
}

pub fn run(args: &ConfigArgs) -> Result<u8> {
    match &args.command {
        ConfigCommand::Defaults => {
            // The `proxy:` section is optional; it is printed with its defaults so every
            // setting is listed.
            let config = Config { proxy: Some(Default::default()), ..Config::default() };
            let text = serde_saphyr::to_string(&config).context("cannot write the default configuration")?;
            print!("{text}");
        }
        ConfigCommand::Check(check) => {
            Config::load(&check.file)?;
            println!("{}: valid", check.file.display());
        }
    }
    Ok(EXIT_OK)
}
