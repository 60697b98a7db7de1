//! `palisade actors list|show` and `palisade findings list`.

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use palisade_core::actor::ActorKind;
use palisade_server::api::dto::{ActorDetailDto, ActorDto, FindingDto, PageDto};
use palisade_store::{ActorDetail, ActorFilter, FindingFilter, Store};

use super::open_existing_store;
use crate::EXIT_OK;
use crate::cli::{Cli, OutputFormat};
use crate::output::{count, print_json, short_time, table};

/// Most findings `actors show` prints.
const MAX_TIMELINE: u32 = 1000;

#[derive(Debug, Args)]
pub struct ActorsArgs {
    #[command(subcommand)]
    pub command: ActorsCommand,
}

#[derive(Debug, Subcommand)]
pub enum ActorsCommand {
    /// List actors, most recently seen first.
    List {
        /// Only actors with findings.
        #[arg(long)]
        with_findings: bool,
        #[arg(long, default_value_t = 100)]
        limit: u32,
        #[arg(long, default_value_t = 0)]
        offset: u32,
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Show one actor with its timeline of findings and its alerts.
    Show {
        /// Actor id such as `ip:203.0.113.9` or `user:alice`.
        id: String,
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
}

#[derive(Debug, Args)]
pub struct FindingsArgs {
    /// Only findings of this actor id.
    #[arg(long)]
    pub actor: Option<String>,
    /// Only findings of this endpoint id.
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Only findings of this class, such as `sqli` or `object_enumeration`.
    #[arg(long)]
    pub class: Option<String>,
    #[arg(long, default_value_t = 100)]
    pub limit: u32,
    #[arg(long, default_value_t = 0)]
    pub offset: u32,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

pub fn run_actors(cli: &Cli, args: &ActorsArgs) -> Result<u8> {
    let store = open_existing_store(&cli.data_dir)?;
    match &args.command {
        ActorsCommand::List { with_findings, limit, offset, format } => {
            let filter = ActorFilter { with_findings_only: *with_findings, limit: *limit, offset: *offset };
            let page = store.actors(&filter)?;
            let items: Vec<ActorDto> = page.items.iter().map(ActorDto::from).collect();
            match format {
                OutputFormat::Json => {
                    print_json(&PageDto { items, total: page.total, limit: *limit, offset: *offset })?
                }
                OutputFormat::Table => {
                    let mut out = table(&["ACTOR", "REQUESTS", "FINDINGS", "LAST IP", "FIRST SEEN", "LAST SEEN"]);
                    for actor in &items {
                        let findings: Vec<String> =
                            actor.findings.iter().map(|(class, n)| format!("{class} {n}")).collect();
                        out.add_row(vec![
                            actor.id.clone(),
                            actor.requests.to_string(),
                            findings.join(", "),
                            actor.last_ip.clone().unwrap_or_default(),
                            short_time(&actor.first_seen),
                            short_time(&actor.last_seen),
                        ]);
                    }
                    println!("{out}");
                    println!("{} of {}", items.len(), count(page.total, "actor"));
                }
            }
        }
        ActorsCommand::Show { id, format } => {
            let Some(detail) = find_actor(&store, id)? else {
                bail!(
                    "no actor {id}; actor ids start with their kind, such as ip:203.0.113.9 or user:alice; \
                     `palisade actors list` shows the ids"
                );
            };
            let detail = ActorDetailDto::from(&detail);
            match format {
                OutputFormat::Json => print_json(&detail)?,
                OutputFormat::Table => print_actor(&detail),
            }
        }
    }
    Ok(EXIT_OK)
}

/// Finds an actor by id. An id without a kind (`203.0.113.9`, `alice`) is looked up as a
/// client IP, then as a user.
fn find_actor(store: &dyn Store, id: &str) -> Result<Option<ActorDetail>> {
    if let Some(detail) = store.actor(id, MAX_TIMELINE)? {
        return Ok(Some(detail));
    }
    if id.split_once(':').is_some_and(|(kind, _)| ActorKind::parse(kind).is_some()) {
        return Ok(None);
    }
    for kind in [ActorKind::Ip, ActorKind::User] {
        if let Some(detail) = store.actor(&format!("{}:{id}", kind.as_str()), MAX_TIMELINE)? {
            return Ok(Some(detail));
        }
    }
    Ok(None)
}

fn print_actor(detail: &ActorDetailDto) {
    let actor = &detail.actor;
    println!(
        "{} ({})  requests {}  last IP {}",
        actor.id,
        actor.kind,
        actor.requests,
        actor.last_ip.as_deref().unwrap_or("-")
    );
    println!("first seen {}  last seen {}", short_time(&actor.first_seen), short_time(&actor.last_seen));
    if !detail.timeline.is_empty() {
        println!("\nTimeline");
        let mut out = table(&["TIME", "CLASS", "RULE", "CONFIDENCE", "REQUEST", "LOCATION", "EVIDENCE"]);
        for finding in &detail.timeline {
            out.add_row(vec![
                short_time(&finding.time),
                finding.class.clone(),
                finding.rule_id.clone(),
                finding.confidence.clone(),
                format!("{} {}{}", finding.method, finding.host, finding.path),
                finding.location.clone(),
                finding.evidence.clone(),
            ]);
        }
        println!("{out}");
    }
    if !detail.alerts.is_empty() {
        println!("\nAlerts");
        for alert in &detail.alerts {
            println!("  {} [{}] {} ({}): {}", alert.id, alert.severity, alert.kind, alert.status, alert.description);
        }
    }
}

pub fn run_findings(cli: &Cli, args: &FindingsArgs) -> Result<u8> {
    let store = open_existing_store(&cli.data_dir)?;
    if let Some(class) = &args.class {
        let classes = palisade_server::detection::finding_classes();
        if !classes.contains(&class.as_str()) {
            eprintln!("warning: no finding has class {class:?}. Finding classes: {}", classes.join(", "));
        }
    }
    let filter = FindingFilter {
        actor: args.actor.clone(),
        endpoint_id: args.endpoint.clone(),
        class: args.class.clone(),
        since_ms: None,
        oldest_first: false,
        limit: args.limit,
        offset: args.offset,
    };
    let page = store.findings(&filter)?;
    let items: Vec<FindingDto> = page.items.iter().map(FindingDto::from).collect();
    match args.format {
        OutputFormat::Json => {
            print_json(&PageDto { items, total: page.total, limit: args.limit, offset: args.offset })?
        }
        OutputFormat::Table => {
            let mut out = table(&["TIME", "ACTOR", "CLASS", "RULE", "CONFIDENCE", "REQUEST", "LOCATION", "EVIDENCE"]);
            for finding in &items {
                out.add_row(vec![
                    short_time(&finding.time),
                    finding.actor.clone().unwrap_or_default(),
                    finding.class.clone(),
                    finding.rule_id.clone(),
                    finding.confidence.clone(),
                    format!("{} {}{}", finding.method, finding.host, finding.path),
                    finding.location.clone(),
                    finding.evidence.clone(),
                ]);
            }
            println!("{out}");
            println!("{} of {}", items.len(), count(page.total, "finding"));
        }
    }
    Ok(EXIT_OK)
}
