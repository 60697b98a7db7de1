//! Runs the proxy from the library alone, with the subset of `palisade proxy`'s flags
//! that `scripts/bench-proxy.sh` uses. The script falls back to it when the `palisade`
//! binary cannot be built; the request path is the same `run_proxy`.
//!
//! Usage: `proxy_serve --listen ADDR --upstream URL [--rules FILE] [--inline-detection block|monitor]`

use std::sync::Arc;

use palisade_proxy::rules::{BlockRule, Mode};
use palisade_proxy::{NoMirror, ProxyConfig, RuleSource, run_proxy};

#[tokio::main]
async fn main() {
    let mut config = ProxyConfig::default();
    let mut rules: Vec<BlockRule> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_else(|| usage(&format!("missing value of {flag}")));
        match flag.as_str() {
            "--listen" => config.listen = Some(value.parse().unwrap_or_else(|_| usage("invalid --listen"))),
            "--upstream" => config.upstream = Some(value),
            "--rules" => {
                let text = std::fs::read_to_string(&value).unwrap_or_else(|_| usage("cannot read --rules"));
                rules = serde_json::from_str(&text).unwrap_or_else(|error| usage(&format!("invalid rules: {error}")));
            }
            "--inline-detection" => {
                config.inline_detection.enabled = true;
                config.inline_detection.mode = if value == "block" { Mode::Block } else { Mode::Monitor };
            }
            other => usage(&format!("unknown flag {other}")),
        }
    }
    let proxy = run_proxy(config, RuleSource::Static(rules), Arc::new(NoMirror))
        .await
        .unwrap_or_else(|error| usage(&format!("cannot start: {error}")));
    println!("listening on {}", proxy.local_addr);
    let _ = tokio::signal::ctrl_c().await;
    proxy.shutdown().await;
}

fn usage(problem: &str) -> ! {
    eprintln!("error: {problem}");
    eprintln!("usage: proxy_serve --listen ADDR --upstream URL [--rules FILE] [--inline-detection block|monitor]");
    std::process::exit(2);
}
