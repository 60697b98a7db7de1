//! `vulnerable-api [--safe] [--listen 127.0.0.1:8088]`: a deliberately vulnerable API
//! for trying Palisade's security tests.

use std::net::SocketAddr;
use std::process::ExitCode;

use vulnerable_api::Mode;

const USAGE: &str = "usage: vulnerable-api [--safe] [--listen 127.0.0.1:PORT]

A deliberately vulnerable HTTP API for trying security tests. It listens only on
127.0.0.1. --safe fixes every flaw. The default address is 127.0.0.1:8088.";

fn main() -> ExitCode {
    let mut mode = Mode::Vulnerable;
    let mut address = SocketAddr::from(([127, 0, 0, 1], 8088));
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--safe" => mode = Mode::Safe,
            "--listen" => match args.next().map(|a| a.parse::<SocketAddr>()) {
                Some(Ok(parsed)) => address = parsed,
                _ => {
                    eprintln!("error: --listen needs an address such as 127.0.0.1:8088\n\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "--help" | "-h" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("error: unknown argument {other:?}\n\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }

    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let label = if mode == Mode::Safe { "safe" } else { "vulnerable" };
    eprintln!("vulnerable-api ({label} mode) listening on http://{address}");
    match runtime.block_on(vulnerable_api::serve(address, mode)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
