//! `palisade keys create|list|revoke`.

use anyhow::{Result, bail};
use palisade_core::access::Role;
use palisade_core::timestamp::format_rfc3339;
use palisade_server::DataDir;
use palisade_store::Store;
use serde_json::json;

use crate::EXIT_OK;
use crate::cli::{Cli, KeyRole, KeysArgs, KeysCommand, OutputFormat};
use crate::output::{print_json, short_time, table};

pub fn run(cli: &Cli, args: &KeysArgs) -> Result<u8> {
    // Creating a key also works on a new data directory, so a key can be made before the
    // first `palisade serve`.
    let store = DataDir::open(&cli.data_dir, false)?.open_store()?;
    match &args.command {
        KeysCommand::Create { name, role, format } => {
            let (key, secret) = store.create_key(name, role_of(*role))?;
            match format {
                OutputFormat::Json => {
                    print_json(&json!({"id": key.id, "name": key.name, "role": key.role, "key": secret}))?
                }
                OutputFormat::Table => {
                    println!(
                        "Created {} key {} ({}). Its secret is shown once:\n  {secret}",
                        key.role, key.id, key.name
                    )
                }
            }
        }
        KeysCommand::List { format } => {
            let keys = store.list_keys()?;
            match format {
                OutputFormat::Json => print_json(&keys)?,
                OutputFormat::Table => {
                    let mut out = table(&["ID", "NAME", "ROLE", "PREFIX", "CREATED", "LAST USED", "STATUS"]);
                    for key in &keys {
                        let last_used = key.last_used_ms.map(|ms| short_time(&format_rfc3339(ms))).unwrap_or_default();
                        let status = if key.revoked_ms.is_some() { "revoked" } else { "active" };
                        out.add_row(vec![
                            key.id.to_string(),
                            key.name.clone(),
                            key.role.to_string(),
                            format!("{}...", key.prefix),
                            short_time(&format_rfc3339(key.created_ms)),
                            last_used,
                            status.to_string(),
                        ]);
                    }
                    println!("{out}");
                }
            }
        }
        KeysCommand::Revoke { id } => {
            if !store.revoke_key(*id)? {
                bail!("no active key with id {id}; `palisade keys list` shows the ids");
            }
            println!("Revoked key {id}.");
        }
    }
    Ok(EXIT_OK)
}

fn role_of(role: KeyRole) -> Role {
    match role {
        KeyRole::Ingest => Role::Ingest,
        KeyRole::Viewer => Role::Viewer,
        KeyRole::Analyst => Role::Analyst,
        KeyRole::Admin => Role::Admin,
    }
}
