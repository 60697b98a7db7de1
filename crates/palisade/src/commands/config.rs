//! `palisade config`: print the default configuration, or check a file.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use palisade_server::Config;
use serde::Serialize;

use crate::EXIT_OK;
use crate::cli::OutputFormat;
use crate::output::{print_json, table};

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
    /// List the signature detection rules: the ids that `detection.disabled_rules` and
    /// findings use, with their attack class and what each rule matches.
    Rules {
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
}

/// One detection rule as `palisade config rules --format json` prints it.
#[derive(Serialize)]
struct RuleDto {
    id: &'static str,
    class: &'static str,
    summary: &'static str,
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
        ConfigCommand::Rules { format } => {
            let rules: Vec<RuleDto> = palisade_detect::RULES
                .iter()
                .map(|rule| RuleDto { id: rule.id, class: rule.class.as_str(), summary: rule.summary })
                .collect();
            match format {
                OutputFormat::Json => print_json(&rules)?,
                OutputFormat::Table => {
                    let mut out = table(&["RULE", "CLASS", "MATCHES"]);
                    for rule in &rules {
                        out.add_row(vec![rule.id, rule.class, rule.summary]);
                    }
                    println!("{out}");
                }
            }
        }
    }
    Ok(EXIT_OK)
}
