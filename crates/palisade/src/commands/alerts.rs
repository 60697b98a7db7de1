//! `palisade alerts list|show|resolve|ignore|reopen`.

use anyhow::{Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use palisade_core::alert::AlertStatus;
use palisade_server::api::dto::{AlertDto, FindingDto, PageDto};
use palisade_store::{AlertFilter, FindingFilter, Store};

use super::open_existing_store;
use crate::EXIT_OK;
use crate::cli::{Cli, OutputFormat};
use crate::output::{count, print_json, short_time, table};

#[derive(Debug, Args)]
pub struct AlertsArgs {
    #[command(subcommand)]
    pub command: AlertsCommand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusArg {
    Open,
    Resolved,
    Ignored,
}

#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// List alerts, newest first.
    List {
        /// Only alerts with this status.
        #[arg(long, value_enum)]
        status: Option<StatusArg>,
        /// Only alerts of this type, such as `sensitive_data_in_response`.
        #[arg(long = "type")]
        kind: Option<String>,
        /// Only alerts of this endpoint id.
        #[arg(long)]
        endpoint: Option<String>,
        /// Only alerts of this host.
        #[arg(long)]
        host: Option<String>,
        /// Only alerts of this actor id, such as `ip:203.0.113.9`.
        #[arg(long)]
        actor: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
        #[arg(long, default_value_t = 0)]
        offset: u32,
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Show one alert.
    Show {
        id: i64,
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Mark an alert resolved; it opens again if it occurs again.
    Resolve { id: i64 },
    /// Ignore an alert; it stays ignored when it occurs again.
    Ignore { id: i64 },
    /// Open a resolved or ignored alert again.
    Reopen { id: i64 },
}

pub fn run(cli: &Cli, args: &AlertsArgs) -> Result<u8> {
    let store = open_existing_store(&cli.data_dir)?;
    match &args.command {
        AlertsCommand::List { status, kind, endpoint, host, actor, limit, offset, format } => {
            if let Some(kind) = kind
                && !alert_types().contains(kind)
            {
                eprintln!("warning: no alert has type {kind:?}. Alert types: {}", alert_types().join(", "));
            }
            let filter = AlertFilter {
                status: status.map(status_of),
                kind: kind.clone(),
                endpoint_id: endpoint.clone(),
                host: host.clone(),
                actor: actor.clone(),
                limit: *limit,
                offset: *offset,
            };
            let page = store.alerts(&filter)?;
            let items: Vec<AlertDto> = page.items.iter().map(AlertDto::from).collect();
            match format {
                OutputFormat::Json => {
                    print_json(&PageDto { items, total: page.total, limit: *limit, offset: *offset })?
                }
                OutputFormat::Table => {
                    // Data alerts have a data class and no actor. Attack and behaviour
                    // alerts have an actor, and TYPE names their class (`attack_sqli`).
                    let mut out = table(&[
                        "ID",
                        "STATUS",
                        "SEVERITY",
                        "TYPE",
                        "HOST",
                        "LOCATION",
                        "DATA CLASS",
                        "ACTOR",
                        "COUNT",
                        "LAST SEEN",
                    ]);
                    for alert in &items {
                        out.add_row(vec![
                            alert.id.to_string(),
                            alert.status.clone(),
                            alert.severity.clone(),
                            alert.kind.clone(),
                            alert.host.clone().unwrap_or_default(),
                            alert.location.clone().unwrap_or_default(),
                            alert.data_class.clone().unwrap_or_default(),
                            alert.actor.clone().unwrap_or_default(),
                            alert.count.to_string(),
                            short_time(&alert.last_seen),
                        ]);
                    }
                    println!("{out}");
                    println!("{} of {}", items.len(), count(page.total, "alert"));
                }
            }
        }
        AlertsCommand::Show { id, format } => {
            let Some(alert) = store.alert(*id)? else {
                bail!("no alert with id {id}; `palisade alerts list` shows the ids");
            };
            let alert = AlertDto::from(&alert);
            match format {
                OutputFormat::Json => print_json(&alert)?,
                OutputFormat::Table => {
                    println!("alert {} ({}, {}): {}", alert.id, alert.status, alert.severity, alert.description);
                    println!(
                        "type {}  endpoint {}  count {}",
                        alert.kind,
                        alert.endpoint_id.as_deref().unwrap_or("-"),
                        alert.count
                    );
                    println!(
                        "host {}  location {}  data class {}  actor {}",
                        alert.host.as_deref().unwrap_or("-"),
                        alert.location.as_deref().unwrap_or("-"),
                        alert.data_class.as_deref().unwrap_or("-"),
                        alert.actor.as_deref().unwrap_or("-")
                    );
                    println!(
                        "first seen {}  last seen {}",
                        short_time(&alert.first_seen),
                        short_time(&alert.last_seen)
                    );
                    print_findings(&store, &alert)?;
                }
            }
        }
        AlertsCommand::Resolve { id } => change(&store, *id, AlertStatus::Resolved)?,
        AlertsCommand::Ignore { id } => change(&store, *id, AlertStatus::Ignored)?,
        AlertsCommand::Reopen { id } => change(&store, *id, AlertStatus::Open)?,
    }
    Ok(EXIT_OK)
}

/// Returns every alert type Palisade raises.
fn alert_types() -> Vec<String> {
    use palisade_analyze::classify::kinds;

    let attacks = palisade_detect::AttackClass::ALL.iter().map(|class| format!("attack_{}", class.as_str()));
    let behaviour = palisade_analyze::behaviour::classes::ALL.iter().map(|kind| kind.to_string());
    let data = [
        kinds::SENSITIVE_DATA_IN_RESPONSE,
        kinds::SENSITIVE_DATA_IN_URL,
        kinds::SECRET_IN_RESPONSE,
        kinds::UNAUTHENTICATED_SENSITIVE_DATA,
        palisade_server::specs::drift::SPEC_DRIFT_ALERT,
    ];
    attacks.chain(behaviour).chain(data.iter().map(|kind| kind.to_string())).collect()
}

/// Maximum number of findings that `alerts show` prints.
const MAX_ALERT_FINDINGS: usize = 5;
/// Latest findings of the alert's class and actor that `alerts show` reads to find those
/// at the alert's location.
const MAX_FINDINGS_READ: u32 = 200;

/// Prints the latest findings behind an attack or behaviour alert: those of its class,
/// actor and location, and of its endpoint when it has one, with their evidence.
fn print_findings(store: &dyn Store, alert: &AlertDto) -> Result<()> {
    let Some(actor) = &alert.actor else {
        return Ok(());
    };
    let class = alert.kind.strip_prefix("attack_").unwrap_or(&alert.kind);
    let filter = FindingFilter {
        actor: Some(actor.clone()),
        endpoint_id: alert.endpoint_id.clone(),
        class: Some(class.to_string()),
        since_ms: None,
        oldest_first: false,
        limit: MAX_FINDINGS_READ,
        offset: 0,
    };
    let page = store.findings(&filter)?;
    let findings: Vec<FindingDto> = page
        .items
        .iter()
        .map(FindingDto::from)
        .filter(|finding| alert.location.as_ref().is_none_or(|location| *location == finding.location))
        .take(MAX_ALERT_FINDINGS)
        .collect();
    if findings.is_empty() {
        return Ok(());
    }
    println!("\nLatest findings");
    let mut out = table(&["TIME", "RULE", "CONFIDENCE", "REQUEST", "LOCATION", "EVIDENCE"]);
    for finding in findings {
        out.add_row(vec![
            short_time(&finding.time),
            finding.rule_id,
            finding.confidence,
            format!("{} {}{}", finding.method, finding.host, finding.path),
            finding.location,
            finding.evidence,
        ]);
    }
    println!("{out}");
    Ok(())
}

fn change(store: &dyn Store, id: i64, status: AlertStatus) -> Result<()> {
    match store.set_alert_status(id, status)? {
        Some(alert) => {
            println!("Alert {} is {}.", alert.id, alert.status);
            Ok(())
        }
        None => bail!("no alert with id {id}; `palisade alerts list` shows the ids"),
    }
}

fn status_of(status: StatusArg) -> AlertStatus {
    match status {
        StatusArg::Open => AlertStatus::Open,
        StatusArg::Resolved => AlertStatus::Resolved,
        StatusArg::Ignored => AlertStatus::Ignored,
    }
}
