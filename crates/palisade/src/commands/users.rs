//! `palisade users add|list|passwd|role|remove`: dashboard accounts, stored in the data
//! directory. These commands work while `palisade serve` runs.

use std::io::BufRead;

use anyhow::{Context, Result, bail};
use palisade_core::access::Role;
use palisade_core::timestamp::format_rfc3339;
use palisade_server::DataDir;
use palisade_server::auth::{generate_password, hash_password};
use palisade_store::Store;

use crate::EXIT_OK;
use crate::cli::{Cli, OutputFormat, UserRole, UsersArgs, UsersCommand};
use crate::commands::load_config;
use crate::output::{print_json, short_time, table};

pub fn run(cli: &Cli, args: &UsersArgs) -> Result<u8> {
    let store = DataDir::open(&cli.data_dir, false)?.open_store()?;
    match &args.command {
        UsersCommand::Add { name, role, password_stdin } => {
            let (password, generated) = password(cli, *password_stdin)?;
            let user = store.create_user(name, role_of(*role), &hash_password(&password)?)?;
            println!("Added {} user {}.", user.role, user.name);
            if generated {
                println!("Password (shown once):\n  {password}");
            }
        }
        UsersCommand::List { format } => {
            let users = store.list_users()?;
            match format {
                OutputFormat::Json => print_json(&users)?,
                OutputFormat::Table => {
                    let mut out = table(&["NAME", "ROLE", "CREATED", "LAST SIGN-IN"]);
                    for user in &users {
                        out.add_row(vec![
                            user.name.clone(),
                            user.role.to_string(),
                            short_time(&format_rfc3339(user.created_ms)),
                            user.last_login_ms.map(|ms| short_time(&format_rfc3339(ms))).unwrap_or_default(),
                        ]);
                    }
                    println!("{out}");
                }
            }
        }
        UsersCommand::Passwd { name, password_stdin } => {
            let (password, generated) = password(cli, *password_stdin)?;
            if !store.set_user_password(name, &hash_password(&password)?)? {
                bail!("no user named {name:?}; `palisade users list` shows them");
            }
            println!("Changed the password of {name}; their sessions have ended.");
            if generated {
                println!("Password (shown once):\n  {password}");
            }
        }
        UsersCommand::Role { name, role } => {
            if !store.set_user_role(name, role_of(*role))? {
                bail!("no user named {name:?}; `palisade users list` shows them");
            }
            println!("{name} is now {}.", role_of(*role));
        }
        UsersCommand::Remove { name } => {
            if !store.delete_user(name)? {
                bail!("no user named {name:?}; `palisade users list` shows them");
            }
            println!("Removed {name} and ended their sessions.");
        }
    }
    Ok(EXIT_OK)
}

/// The password from standard input, or a generated one; the flag says which.
fn password(cli: &Cli, from_stdin: bool) -> Result<(String, bool)> {
    if !from_stdin {
        return Ok((generate_password()?, true));
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    let minimum = load_config(cli)?.server.min_password_length;
    if password.chars().count() < minimum {
        bail!("password too short: at least {minimum} characters (server.min_password_length)");
    }
    Ok((password, false))
}

fn role_of(role: UserRole) -> Role {
    match role {
        UserRole::Viewer => Role::Viewer,
        UserRole::Analyst => Role::Analyst,
        UserRole::Admin => Role::Admin,
    }
}
