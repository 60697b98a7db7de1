//! `palisade hosts`.

use anyhow::Result;
use palisade_server::api::dto::HostDto;
use palisade_store::Store;

use super::open_existing_store;
use crate::EXIT_OK;
use crate::cli::{Cli, HostsArgs, OutputFormat};
use crate::output::{print_json, short_time, table};

pub fn run(cli: &Cli, args: &HostsArgs) -> Result<u8> {
    let store = open_existing_store(&cli.data_dir)?;
    let hosts: Vec<HostDto> = store.hosts()?.iter().map(HostDto::from).collect();
    match args.format {
        OutputFormat::Json => print_json(&hosts)?,
        OutputFormat::Table => {
            let mut out = table(&["HOST", "ENDPOINTS", "REQUESTS", "FIRST SEEN", "LAST SEEN"]);
            for host in &hosts {
                out.add_row(vec![
                    host.host.clone(),
                    host.endpoints.to_string(),
                    host.hits.to_string(),
                    short_time(&host.first_seen),
                    short_time(&host.last_seen),
                ]);
            }
            println!("{out}");
        }
    }
    Ok(EXIT_OK)
}
