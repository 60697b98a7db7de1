//! `palisade test generate`: a test from a template and a stored sample of an endpoint.

use anyhow::{Context, Result, bail};
use palisade_core::Trace;
use palisade_store::{SqliteStore, Store};
use palisade_testing::generate::{Endpoint, GenContext, TestingConfig, to_yaml_with_notes};
use palisade_testing::templates;

use super::GenerateArgs;
use crate::EXIT_OK;
use crate::cli::Cli;
use crate::commands::open_existing_store;
use crate::output::count;

pub fn run(cli: &Cli, args: &GenerateArgs) -> Result<u8> {
    let template = templates::find(&args.template)?;
    let config = match &cli.config {
        Some(path) => TestingConfig::load(path)?,
        None => TestingConfig::default(),
    };

    let store = open_existing_store(&cli.data_dir)?;
    let (id, template_path) = resolve(&store, &args.endpoint)?;
    let samples = store.samples(&id, 1)?;
    let Some(sample) = samples.first() else {
        bail!("endpoint {id} has no stored sample to build a request from; ingest traffic for it first");
    };
    let trace: Trace = postcard::from_bytes(&sample.trace)
        .context("the stored sample was written by an incompatible version of Palisade")?;

    let authz = config.authz();
    let host = trace.request.host.clone();
    let testing_host = authz.as_ref().and_then(|a| a.host(&host)).and_then(|h| h.testing_host()).map(str::to_string);
    let endpoint = Endpoint::from_trace(&trace, &template_path, config.auth_for(&host), testing_host.as_deref())?;
    let test = template.generate(&GenContext { endpoint: endpoint.clone(), authz })?;
    let yaml = to_yaml_with_notes(&test, template.name, &endpoint);

    match &args.out {
        Some(path) => {
            std::fs::write(path, &yaml).with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote {} ({}) to {}", test.id, count(test.test.len() as u64, "step"), path.display());
        }
        None => super::write_stdout(&yaml)?,
    }
    Ok(EXIT_OK)
}

/// Finds the endpoint by id or "METHOD HOST PATH"; returns its id and path template.
fn resolve(store: &SqliteStore, reference: &str) -> Result<(String, String)> {
    let parts: Vec<&str> = reference.split_whitespace().collect();
    let id = match parts.as_slice() {
        [id] => id.to_string(),
        [method, host, path] => match store.find_endpoint(&method.to_ascii_uppercase(), host, path)? {
            Some(endpoint) => endpoint.id,
            None => {
                bail!("no endpoint matches {method} {host} {path}; `palisade endpoints list --host {host}` shows them")
            }
        },
        _ => bail!("invalid endpoint {reference:?}: expected an id or \"METHOD HOST PATH\""),
    };
    match store.endpoint(&id)? {
        Some(detail) => Ok((id, detail.endpoint.template)),
        None => bail!("no endpoint with id {id}; `palisade endpoints list` shows the ids"),
    }
}
