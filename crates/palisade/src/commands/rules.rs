//! `palisade rules add|list|remove`: block rules, stored in the data directory. These
//! commands work without a server; a running `palisade serve` picks changes up within
//! `blocking.reload_interval_secs`.

use std::io::Read;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use palisade_core::timestamp::{format_rfc3339, now_ms, parse_rfc3339};
use palisade_proxy::rules::{BlockRule, RuleSet};
use palisade_server::DataDir;
use palisade_server::api::rules::parse_rule;
use palisade_server::rules::{end_ms, stored_rule};
use palisade_store::Store;
use serde_json::{Value, json};

use crate::EXIT_OK;
use crate::cli::{Cli, OutputFormat};
use crate::commands::load_config;
use crate::output::{count, print_json, short_time, table};

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub command: RulesCommand,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Add a block rule from a JSON file, or from flags for one IP range, path prefix
    /// or actor.
    Add(AddArgs),
    /// List block rules, expired ones included.
    List {
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Remove a block rule by id.
    Remove { id: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RuleMode {
    /// Log and count matches, let requests through.
    Monitor,
    /// Reject matching requests.
    Block,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// A rule document (JSON, as the REST API takes it); `-` reads standard input.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["ip", "path_prefix", "actor", "rate_limit", "mode", "expires", "reason"])]
    pub file: Option<PathBuf>,
    /// Rule id [default: a random one].
    #[arg(long)]
    pub id: Option<String>,
    /// Match client IPs in this CIDR range, or this one address.
    #[arg(long, value_name = "CIDR")]
    pub ip: Option<String>,
    /// Match paths that start with this prefix (after normalisation).
    #[arg(long, value_name = "PREFIX")]
    pub path_prefix: Option<String>,
    /// Match this actor id, such as ip:203.0.113.9 or user:alice.
    #[arg(long, value_name = "ID")]
    pub actor: Option<String>,
    /// Enforcement mode [default: monitor].
    #[arg(long, value_enum)]
    pub mode: Option<RuleMode>,
    /// When the rule stops applying: a duration from now (30s, 15m, 1h, 7d) or an RFC 3339
    /// time [default: never].
    #[arg(long, value_name = "DURATION|TIME")]
    pub expires: Option<String>,
    /// Reason for the rule, shown in the rule list.
    #[arg(long)]
    pub reason: Option<String>,
    /// Rate limit instead of a block: at most N requests per WINDOW (such as 100/1m).
    /// Requests count per actor with --actor and per client IP otherwise. A key over the
    /// limit is rejected for one WINDOW.
    #[arg(long, value_name = "N/WINDOW")]
    pub rate_limit: Option<String>,
}

pub fn run(cli: &Cli, args: &RulesArgs) -> Result<u8> {
    let store = DataDir::open(&cli.data_dir, false)?.open_store()?;
    match &args.command {
        RulesCommand::Add(add) => {
            let rule = rule_from_args(add)?;
            let limits = load_config(cli)?.blocking.rules;
            RuleSet::compile(std::slice::from_ref(&rule), &limits)?;
            let stored = store.rules()?;
            if stored.iter().any(|existing| existing.id == rule.id) {
                bail!("rule {:?} already exists: remove it first or pick another --id", rule.id);
            }
            if stored.len() >= limits.max_rules {
                bail!(
                    "the rule set already has {}, the limit (blocking.rules.max_rules is {}): remove rules first",
                    count(stored.len() as u64, "rule"),
                    limits.max_rules
                );
            }
            store.put_rule(&stored_rule(&rule)?)?;
            println!(
                "Added rule {} ({} mode). A running server applies it within blocking.reload_interval_secs.",
                rule.id,
                rule.mode.as_str()
            );
        }
        RulesCommand::List { format } => {
            let stored = store.rules()?;
            let mut rules = Vec::with_capacity(stored.len());
            for row in &stored {
                let rule: BlockRule = serde_json::from_str(&row.document)
                    .with_context(|| format!("stored rule {:?} is not a valid rule", row.id))?;
                rules.push(rule);
            }
            match format {
                OutputFormat::Json => print_json(&rules)?,
                OutputFormat::Table => print_table(&rules),
            }
        }
        RulesCommand::Remove { id } => {
            if !store.delete_rule(id)? {
                bail!("no rule with id {id:?}; `palisade rules list` shows them");
            }
            println!("Removed rule {id}.");
        }
    }
    Ok(EXIT_OK)
}

fn print_table(rules: &[BlockRule]) {
    let now = now_ms();
    let mut out = table(&["ID", "MODE", "ORIGIN", "MATCH", "ACTION", "EXPIRES"]);
    for rule in rules {
        let conditions = serde_json::to_value(&rule.conditions).unwrap_or(Value::Null);
        let action = serde_json::to_value(&rule.action).unwrap_or(Value::Null);
        let expires = match end_ms(rule) {
            Some(end) if end <= now => "expired".to_string(),
            Some(end) => short_time(&format_rfc3339(end)),
            None => "never".to_string(),
        };
        out.add_row(vec![
            rule.id.clone(),
            rule.mode.as_str().to_string(),
            rule.origin.to_string(),
            if rule.conditions.is_empty() { "every request".to_string() } else { conditions.to_string() },
            action.to_string(),
            expires,
        ]);
    }
    println!("{out}");
}

/// Builds the rule document from `--file` or from the flags, and checks it as the REST
/// API does.
fn rule_from_args(args: &AddArgs) -> Result<BlockRule> {
    if let Some(path) = &args.file {
        let text = if path.as_os_str() == "-" {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).context("cannot read the rule from standard input")?;
            text
        } else {
            std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?
        };
        let mut document: Value =
            serde_json::from_str(&text).with_context(|| format!("invalid rule JSON in {}", path.display()))?;
        if let (Some(id), Some(object)) = (&args.id, document.as_object_mut()) {
            object.insert("id".into(), Value::String(id.clone()));
        }
        let rule = parse_rule(document.to_string().as_bytes(), None, None)
            .map_err(|error| anyhow::anyhow!("{} in {}", error, path.display()))?;
        return Ok(rule);
    }

    let mut conditions = Vec::new();
    if let Some(ip) = &args.ip {
        conditions.push(json!({"field": "ip", "op": "in_cidr", "value": ip}));
    }
    if let Some(prefix) = &args.path_prefix {
        conditions.push(json!({"field": "path", "op": "starts_with", "value": prefix}));
    }
    if let Some(actor) = &args.actor {
        conditions.push(json!({"field": "actor", "op": "equals", "value": actor}));
    }
    if conditions.is_empty() {
        bail!("missing condition: give --ip, --path-prefix or --actor, or a rule document with --file");
    }

    let action = match &args.rate_limit {
        Some(text) => {
            let (threshold, window_secs) = parse_rate(text)?;
            let key = if args.actor.is_some() { "actor" } else { "ip" };
            json!({"rate_limit": {"threshold": threshold, "window_secs": window_secs, "block_secs": window_secs, "key": key}})
        }
        None => json!({"block": {}}),
    };
    let mut document = json!({
        "mode": match args.mode.unwrap_or(RuleMode::Monitor) { RuleMode::Monitor => "monitor", RuleMode::Block => "block" },
        "reason": args.reason.clone().unwrap_or_default(),
        "conditions": [{"all": conditions}],
        "action": action,
    });
    if let Some(id) = &args.id {
        document["id"] = Value::String(id.clone());
    }
    if let Some(expires) = &args.expires {
        document["expires_at"] = Value::String(format_rfc3339(parse_expiry(expires, now_ms())?));
    }
    Ok(parse_rule(document.to_string().as_bytes(), None, None)?)
}

/// Parses `N/WINDOW` such as `100/1m` into the threshold and the window in seconds.
fn parse_rate(text: &str) -> Result<(u32, u32)> {
    let invalid = || anyhow::anyhow!("invalid --rate-limit {text:?}: expected N/WINDOW such as 100/1m or 10/30s");
    let (count, window) = text.split_once('/').ok_or_else(invalid)?;
    let threshold: u32 = count.trim().parse().map_err(|_| invalid())?;
    let window_secs = parse_duration_secs(window.trim()).ok_or_else(invalid)?;
    if threshold == 0 || window_secs == 0 {
        return Err(invalid());
    }
    let window_secs = u32::try_from(window_secs).map_err(|_| invalid())?;
    Ok((threshold, window_secs))
}

/// Parses `--expires`: a duration from `now` or an RFC 3339 time, in epoch milliseconds.
fn parse_expiry(text: &str, now: i64) -> Result<i64> {
    if let Some(secs) = parse_duration_secs(text) {
        return Ok(now.saturating_add((secs as i64).saturating_mul(1000)));
    }
    parse_rfc3339(text).ok_or_else(|| {
        anyhow::anyhow!("invalid --expires {text:?}: expected a duration such as 30m, 1h or 7d, or an RFC 3339 time")
    })
}

/// Parses `30s`, `15m`, `1h`, `7d` or a bare number of seconds.
fn parse_duration_secs(text: &str) -> Option<u64> {
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let value: u64 = digits.parse().ok()?;
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    value.checked_mul(scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_rates() {
        assert_eq!(parse_duration_secs("90"), Some(90));
        assert_eq!(parse_duration_secs("15m"), Some(900));
        assert_eq!(parse_duration_secs("2d"), Some(172_800));
        assert_eq!(parse_duration_secs("1w"), None);
        assert_eq!(parse_duration_secs("h"), None);
        assert_eq!(parse_rate("100/1m").unwrap(), (100, 60));
        assert!(parse_rate("0/1m").is_err());
        assert!(parse_rate("100").is_err());
    }

    #[test]
    fn expiry_forms() {
        assert_eq!(parse_expiry("1h", 1_000).unwrap(), 3_601_000);
        assert_eq!(parse_expiry("2026-03-01T10:00:00Z", 0).unwrap(), 1_772_359_200_000);
        assert!(parse_expiry("soon", 0).unwrap_err().to_string().contains("--expires"));
    }
}
