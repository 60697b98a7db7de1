//! `palisade endpoints list|show`.

use anyhow::{Result, bail};
use palisade_core::Section;
use palisade_server::api::dto::{EndpointDetailDto, EndpointDto, PageDto};
use palisade_store::{EndpointFilter, EndpointSort, SqliteStore, Store};

use super::open_existing_store;
use crate::EXIT_OK;
use crate::cli::{
    Cli, EndpointListArgs, EndpointShowArgs, EndpointsArgs, EndpointsCommand, FalsePositiveArgs, OutputFormat,
    SortOrder,
};
use crate::output::{count, print_json, short_time, table};

pub fn run(cli: &Cli, args: &EndpointsArgs) -> Result<u8> {
    let store = open_existing_store(&cli.data_dir)?;
    match &args.command {
        EndpointsCommand::List(list) => run_list(&store, list),
        EndpointsCommand::Show(show) => run_show(&store, show),
        EndpointsCommand::FalsePositive(mark) => run_false_positive(&store, mark),
    }
}

fn run_list(store: &SqliteStore, args: &EndpointListArgs) -> Result<u8> {
    let filter = EndpointFilter {
        host: args.host.clone(),
        method: args.method.clone(),
        search: args.search.clone(),
        sort: match args.sort {
            SortOrder::Path => EndpointSort::Path,
            SortOrder::Hits => EndpointSort::Hits,
            SortOrder::LastSeen => EndpointSort::LastSeen,
            SortOrder::FirstSeen => EndpointSort::FirstSeen,
            SortOrder::Risk => EndpointSort::Risk,
        },
        limit: args.limit,
        offset: args.offset,
        min_risk: args.min_risk,
        data_class: args.data_class.clone(),
        auth: args.auth,
    };
    let page = store.endpoints(&filter)?;
    let items: Vec<EndpointDto> = page.items.iter().map(EndpointDto::from).collect();

    match args.format {
        OutputFormat::Json => {
            print_json(&PageDto { items, total: page.total, limit: args.limit, offset: args.offset })?
        }
        OutputFormat::Table => {
            let mut out = table(&["ID", "METHOD", "HOST", "TEMPLATE", "RISK", "AUTH", "REQUESTS", "LAST SEEN"]);
            for endpoint in &items {
                out.add_row(vec![
                    endpoint.id.clone(),
                    endpoint.method.clone(),
                    endpoint.host.clone(),
                    endpoint.template.clone(),
                    endpoint.risk_score.to_string(),
                    endpoint.authentication.join(","),
                    endpoint.hits.to_string(),
                    short_time(&endpoint.last_seen),
                ]);
            }
            println!("{out}");
            let shown = items.len() as u64;
            if shown < page.total {
                println!(
                    "{shown} of {}; use --offset {} for more",
                    count(page.total, "endpoint"),
                    args.offset as u64 + shown
                );
            } else {
                println!("{}", count(page.total, "endpoint"));
            }
        }
    }
    Ok(EXIT_OK)
}

fn run_show(store: &SqliteStore, args: &EndpointShowArgs) -> Result<u8> {
    let id = resolve(store, &args.endpoint)?;
    let Some(detail) = store.endpoint(&id)? else {
        bail!("no endpoint with id {id}; `palisade endpoints list` shows the ids");
    };
    let mut dto = EndpointDetailDto::from(&detail);
    let (specs, _) = palisade_openapi::stored::SpecSet::load(store, &palisade_openapi::ImportSettings::default())?;
    dto.spec = specs.merge_for(&detail.endpoint);
    let detail = dto;

    match args.format {
        OutputFormat::Json => print_json(&detail)?,
        OutputFormat::Table => print_detail(&detail),
    }
    Ok(EXIT_OK)
}

fn run_false_positive(store: &SqliteStore, args: &FalsePositiveArgs) -> Result<u8> {
    let Some(section) = Section::parse(&args.section) else {
        bail!(
            "invalid --section {:?}: expected request.path, request.query, request.header, request.body, \
             response.header or response.body",
            args.section
        );
    };
    let id = resolve(store, &args.endpoint)?;
    let marked_by = std::env::var("USER").unwrap_or_else(|_| "cli".to_string());
    if !store.mark_false_positive(&id, section, &args.path, &args.class, !args.undo, &marked_by)? {
        bail!(
            "endpoint {id} has no data class {} on {} {}; `palisade endpoints show {id}` lists its classes",
            args.class,
            args.section,
            args.path
        );
    }
    let what = if args.undo { "no longer marked" } else { "marked" };
    println!("{} on {} {} of endpoint {id} is {what} as a false positive.", args.class, args.section, args.path);
    Ok(EXIT_OK)
}

/// Accepts an id or "METHOD HOST PATH".
fn resolve(store: &SqliteStore, reference: &str) -> Result<String> {
    let parts: Vec<&str> = reference.split_whitespace().collect();
    match parts.as_slice() {
        [id] => Ok(id.to_string()),
        [method, host, path] => match store.find_endpoint(method, host, path)? {
            Some(endpoint) => Ok(endpoint.id),
            None => {
                bail!("no endpoint matches {method} {host} {path}; `palisade endpoints list --host {host}` shows them")
            }
        },
        _ => bail!("invalid endpoint {reference:?}: expected an id or \"METHOD HOST PATH\""),
    }
}

fn print_detail(detail: &EndpointDetailDto) {
    let endpoint = &detail.endpoint;
    println!("{} {}{}", endpoint.method, endpoint.host, endpoint.template);
    println!(
        "id {}  requests {}  first seen {}  last seen {}  path shapes merged {}",
        endpoint.id,
        endpoint.hits,
        short_time(&endpoint.first_seen),
        short_time(&endpoint.last_seen),
        endpoint.raw_paths
    );
    if let Some(spec) = &detail.spec {
        let deprecated = if spec.deprecated { " (deprecated)" } else { "" };
        let operation_id = spec.operation_id.as_deref().map(|id| format!(" {id}")).unwrap_or_default();
        println!(
            "documented by description {} as {}{operation_id}{deprecated} at {}",
            spec.spec_id, spec.path_template, spec.operation_pointer
        );
    }

    println!("\nRisk {}", detail.risk.score);
    for factor in &detail.risk.factors {
        println!("  +{:<3} {}: {}", factor.contribution, factor.name, factor.detail);
    }
    let auth: Vec<String> = detail.auth.requests.iter().map(|(scheme, n)| format!("{scheme} {n}")).collect();
    println!(
        "\nAuthentication: {} ({} succeeded)",
        if auth.is_empty() { "not observed".to_string() } else { auth.join(", ") },
        count(detail.auth.unauthenticated_success, "unauthenticated request")
    );

    if !endpoint.parameters.is_empty() {
        println!("\nPath parameters");
        let mut out = table(&["POSITION", "NAME", "RULE", "VALUE KINDS", "DISTINCT", "REQUESTS", "CONFIDENCE"]);
        for param in &endpoint.parameters {
            let kinds: Vec<String> = param.value_kinds.iter().map(|(kind, n)| format!("{kind}: {n}")).collect();
            out.add_row(vec![
                param.position.to_string(),
                param.name.clone(),
                param.rule.clone(),
                kinds.join(", "),
                param.distinct_values.to_string(),
                param.samples.to_string(),
                format!("{:.2}", param.confidence),
            ]);
        }
        println!("{out}");
    }

    println!("\nFields");
    let mut out = table(&["SECTION", "STATUS", "CONTENT TYPE", "PATH", "TYPE", "FORMAT", "NULLABLE", "SEEN"]);
    for field in &detail.fields {
        out.add_row(vec![
            field.section.clone(),
            field.status.map(|s| s.to_string()).unwrap_or_default(),
            field.content_type.clone(),
            if field.path.is_empty() { "(body)".to_string() } else { field.path.clone() },
            field.field_type.clone(),
            field.format.clone().unwrap_or_default(),
            if field.nullable { "yes".to_string() } else { String::new() },
            field.count.to_string(),
        ]);
    }
    println!("{out}");

    if !detail.data_classes.is_empty() {
        println!("\nData classes");
        let mut out = table(&["SECTION", "STATUS", "PATH", "CLASS", "SEVERITY", "HITS", "CONFIDENCE", "STATE"]);
        for class in &detail.data_classes {
            let state = if class.false_positive {
                "false positive"
            } else if class.active {
                "active"
            } else {
                "decayed"
            };
            out.add_row(vec![
                class.section.clone(),
                class.status.map(|s| s.to_string()).unwrap_or_default(),
                class.path.clone(),
                class.class.clone(),
                class.severity.clone(),
                format!("{}/{}", class.hits, class.observations),
                format!("{:.2}", class.confidence),
                state.to_string(),
            ]);
        }
        println!("{out}");
    }

    if !detail.alerts.is_empty() {
        println!("\nOpen alerts");
        for alert in &detail.alerts {
            println!("  {} [{}] {}: {}", alert.id, alert.severity, alert.kind, alert.description);
        }
    }

    if !detail.hourly_counts.is_empty() {
        println!("\nRequests per hour (UTC)");
        for hour in &detail.hourly_counts {
            println!("  {}  {}", short_time(&hour.hour), hour.count);
        }
    }
}
