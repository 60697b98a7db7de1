//! `palisade serve`.

use anyhow::{Context, Result};
use palisade_core::access::Role;
use palisade_server::inline_proxy::start_inline_proxy_on;
use palisade_server::{DataDir, RunningServer};

use super::load_config;
use crate::EXIT_OK;
use crate::cli::{Cli, ServeArgs};

pub fn run(cli: &Cli, args: &ServeArgs) -> Result<u8> {
    let mut config = load_config(cli)?;
    if let Some(listen) = args.listen {
        config.server.listen = listen;
    }
    let proxy = proxy_config(&config, args);
    let data_dir = DataDir::open(&cli.data_dir, true)?;

    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the runtime")?;
    runtime.block_on(async {
        // The first-start secrets are printed only once, so every step that can fail on a
        // flag, a setting or a busy port runs before they are created. These steps bind
        // the API listener and start the in-process proxy with its own listener.
        let listener = palisade_server::server::bind_listener(config.server.listen).await?;
        let mut prepared = palisade_server::server::prepare(config, data_dir, listener).await?;
        let proxy = match proxy {
            Some(proxy_config) => match start_inline_proxy_on(prepared.rules(), prepared.queue(), proxy_config).await {
                Ok(proxy) => Some(proxy),
                Err(error) => {
                    prepared.stop().await?;
                    return Err(error.context("cannot start the in-process proxy"));
                }
            },
            None => None,
        };
        if let Err(error) = prepared.create_first_run_credentials() {
            if let Some(proxy) = proxy {
                proxy.shutdown().await;
            }
            prepared.stop().await?;
            return Err(error);
        }
        let server = prepared.serve();

        print_first_run_credentials(&server);
        println!("Palisade is listening on http://{}", server.local_addr);
        if let Some(proxy) = &proxy {
            println!("The proxy is listening on http://{}", proxy.local_addr);
        }

        wait_for_signal().await;
        // The proxy goes first: it feeds the server's trace queue until it has stopped.
        if let Some(proxy) = proxy {
            tracing::info!("shutting down the in-process proxy");
            proxy.shutdown().await;
        }
        tracing::info!("shutting down: applying accepted traces");
        server.shutdown().await
    })?;
    Ok(EXIT_OK)
}

/// Prints the secrets of the keys and the `admin` user that this start created.
fn print_first_run_credentials(server: &RunningServer) {
    for (key, secret) in &server.first_run_keys {
        let label = match key.role {
            Role::Ingest => "Ingest key for agents and `palisade ingest --server`",
            _ => "Admin API token",
        };
        println!("{label} (shown once; only its hash is stored):\n  {secret}");
    }
    if let Some(password) = &server.first_run_password {
        println!(
            "Dashboard user `admin`, password (shown once; `palisade users passwd admin` sets a new one):\n  {password}"
        );
    }
}

/// Returns the in-process proxy's settings: the config file's `proxy:` section with the flags
/// applied, or `None` when no listen address is set.
fn proxy_config(config: &palisade_server::Config, args: &ServeArgs) -> Option<palisade_proxy::ProxyConfig> {
    let mut proxy = config.proxy.clone().unwrap_or_default();
    if let Some(listen) = args.proxy_listen {
        proxy.listen = Some(listen);
    }
    if let Some(upstream) = &args.upstream {
        proxy.upstream = Some(upstream.clone());
    }
    proxy.listen.is_some().then_some(proxy)
}

/// Waits for Ctrl-C or, on Unix, SIGTERM.
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
