//! The `palisade` command.

mod cli;
mod commands;
mod output;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

/// Exit codes are a contract with scripts: 0 success, 1 findings or failed tests, 2 a
/// usage or input error.
pub const EXIT_OK: u8 = 0;
pub const EXIT_INPUT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli);
    // HTTP clients (ingest --server, tests, webhooks) speak TLS through rustls' ring
    // provider, which must be installed before the first client is built.
    palisade_server::webhooks::install_crypto_provider();

    let result = match &cli.command {
        Command::Serve(args) => commands::serve::run(&cli, args),
        Command::Ingest(args) => commands::ingest::run(&cli, args),
        Command::Endpoints(args) => commands::endpoints::run(&cli, args),
        Command::Hosts(args) => commands::hosts::run(&cli, args),
        Command::Keys(args) => commands::keys::run(&cli, args),
        Command::Users(args) => commands::users::run(&cli, args),
        Command::Rules(args) => commands::rules::run(&cli, args),
        Command::Alerts(args) => commands::alerts::run(&cli, args),
        Command::Actors(args) => commands::actors::run_actors(&cli, args),
        Command::Findings(args) => commands::actors::run_findings(&cli, args),
        Command::Eval(args) => commands::eval::run(args),
        Command::Bench(args) => commands::bench::run(args),
        Command::Capture(args) => commands::capture::run(&cli, args),
        Command::Test(args) => commands::test::run(&cli, args),
        Command::Spec(args) => commands::spec::run(&cli, args),
        Command::Proxy(args) => commands::proxy::run(&cli, args),
        Command::Config(args) => commands::config::run(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(EXIT_INPUT_ERROR)
        }
    }
}

fn init_logging(cli: &Cli) {
    use tracing_subscriber::EnvFilter;

    let default_level = if matches!(cli.command, Command::Serve(_) | Command::Proxy(_)) { "info" } else { "warn" };
    let filter = EnvFilter::try_from_env("PALISADE_LOG").unwrap_or_else(|_| EnvFilter::new(default_level));
    // Colours only on a terminal: logs redirected to a file stay plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    if cli.log_format == cli::LogFormat::Json {
        builder.json().init();
    } else {
        builder.init();
    }
}
