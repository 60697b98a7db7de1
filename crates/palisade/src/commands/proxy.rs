//! `palisade proxy`: the inline reverse proxy that enforces block rules.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use palisade_proxy::config::{ProxyFile, TlsConfig};
use palisade_proxy::feed::{FeedClient, FeedResponse};
use palisade_proxy::rules::{BlockRule, Mode};
use palisade_proxy::{HttpMirror, MirrorSink, NoMirror, RuleSource, run_proxy};

use crate::EXIT_OK;
use crate::cli::Cli;

#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// Address to listen on, such as 0.0.0.0:8080 [or `proxy.listen` in --config].
    #[arg(long, env = "PALISADE_PROXY_LISTEN", value_parser = crate::cli::socket_address)]
    pub listen: Option<SocketAddr>,

    /// Upstream to forward to, such as http://127.0.0.1:3000 [or `proxy.upstream`].
    #[arg(long, env = "PALISADE_UPSTREAM")]
    pub upstream: Option<String>,

    /// Palisade server to pull block rules from and mirror traces to.
    #[arg(long, env = "PALISADE_SERVER", requires = "key")]
    pub server: Option<String>,

    /// Ingest key for --server: it reads the rule feed and sends traces.
    #[arg(long, env = "PALISADE_KEY")]
    pub key: Option<String>,

    /// Do not mirror traces to --server; only pull rules.
    #[arg(long)]
    pub no_mirror: bool,

    /// Block rules from a JSON file (an array of rules, or a rule feed response) instead
    /// of a server.
    #[arg(long, conflicts_with = "server")]
    pub rules: Option<PathBuf>,

    /// Address of a separate listener for `GET /metrics` (Prometheus text) [default: none].
    #[arg(long, env = "PALISADE_PROXY_METRICS_LISTEN", value_parser = crate::cli::socket_address)]
    pub metrics_listen: Option<SocketAddr>,

    /// Terminate TLS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// Private key (PEM) for --tls-cert.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Run signature detection on each request before forwarding it.
    #[arg(long, value_enum)]
    pub inline_detection: Option<InlineDetectionFlag>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InlineDetectionFlag {
    Off,
    /// Log and count high-confidence findings.
    Monitor,
    /// Reject requests with high-confidence findings (403).
    Block,
}

pub fn run(cli: &Cli, args: &ProxyArgs) -> Result<u8> {
    // --config names a proxy file here: `version: 1` and a `proxy:` section.
    let mut config = match &cli.config {
        Some(path) => ProxyFile::load(path)?.proxy,
        None => Default::default(),
    };
    if let Some(listen) = args.listen {
        config.listen = Some(listen);
    }
    if let Some(upstream) = &args.upstream {
        config.upstream = Some(upstream.clone());
    }
    if let Some(address) = args.metrics_listen {
        config.metrics_listen = Some(address);
    }
    if let (Some(cert_path), Some(key_path)) = (&args.tls_cert, &args.tls_key) {
        config.tls = Some(TlsConfig { cert_path: cert_path.clone(), key_path: key_path.clone() });
    }
    match args.inline_detection {
        Some(InlineDetectionFlag::Off) => config.inline_detection.enabled = false,
        Some(InlineDetectionFlag::Monitor) => {
            config.inline_detection.enabled = true;
            config.inline_detection.mode = Mode::Monitor;
        }
        Some(InlineDetectionFlag::Block) => {
            config.inline_detection.enabled = true;
            config.inline_detection.mode = Mode::Block;
        }
        None => {}
    }

    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the runtime")?;
    runtime.block_on(async {
        let (rules, mirror): (RuleSource, Arc<dyn MirrorSink>) = match (&args.server, &args.key) {
            (Some(server), Some(key)) => {
                let feed = FeedClient::new(server, key, config.feed.clone())?;
                let mirror: Arc<dyn MirrorSink> = if args.no_mirror {
                    Arc::new(NoMirror)
                } else {
                    Arc::new(HttpMirror::start(server, key, config.mirror.clone())?)
                };
                (RuleSource::Feed(feed), mirror)
            }
            (Some(_), None) => bail!("--server needs --key"),
            _ => {
                let rules = match &args.rules {
                    Some(path) => read_rules(path)?,
                    None => Vec::new(),
                };
                (RuleSource::Static(rules), Arc::new(NoMirror))
            }
        };

        let proxy = run_proxy(config, rules, mirror).await?;
        println!("Palisade proxy is listening on {}", proxy.local_addr);
        if let Some(address) = proxy.metrics_addr {
            println!("Metrics at http://{address}/metrics");
        }
        wait_for_signal().await;
        tracing::info!("shutting down: finishing running requests");
        proxy.shutdown().await;
        Ok(())
    })?;
    Ok(EXIT_OK)
}

/// Reads rules from a JSON array of rules or a rule feed response.
fn read_rules(path: &PathBuf) -> Result<Vec<BlockRule>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("invalid JSON in {}", path.display()))?;
    let rules = if value.is_array() {
        serde_json::from_value(value)
    } else {
        serde_json::from_value::<FeedResponse>(value).map(|feed| feed.rules)
    };
    rules.with_context(|| format!("invalid rules in {}", path.display()))
}

/// Waits for Ctrl-C or, on Unix, SIGTERM.
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
