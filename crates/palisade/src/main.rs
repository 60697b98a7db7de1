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
    if !keeps_sigpipe_ignored(&cli.command) {
        end_quietly_on_closed_stdout();
    }
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

/// Returns true for the servers, the benchmarks (some run a server and its clients) and
/// the commands that send HTTP requests to another process, which keep SIGPIPE ignored as
/// the Rust runtime sets it. hyper writes with
/// `writev`, which raises SIGPIPE when the peer has closed the connection, so the default
/// action would end such a command without a message. The clients among them write
/// standard output only through `output::write_stdout`, which treats a closed pipe as the
/// end of the output.
fn keeps_sigpipe_ignored(command: &Command) -> bool {
    match command {
        Command::Serve(_) | Command::Proxy(_) | Command::Bench(_) => true,
        Command::Ingest(args) => args.server.is_some(),
        Command::Capture(args) => args.server.is_some(),
        Command::Test(args) => matches!(args.command, commands::test::TestCommand::Run(_)),
        _ => false,
    }
}

/// Restores the default SIGPIPE action, so that a command whose reader closed the pipe
/// (`palisade alerts list | head`) ends silently, as other Unix tools do, instead of
/// panicking in `println!`.
#[cfg(unix)]
fn end_quietly_on_closed_stdout() {
    // SAFETY: `signal` only changes the process's action for SIGPIPE, and SIG_DFL is a
    // valid action for it. It runs before any other thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn end_quietly_on_closed_stdout() {}

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
