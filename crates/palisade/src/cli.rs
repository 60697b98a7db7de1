//! Command-line flags, defined once with their help text.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "palisade",
    version,
    about = "Self-hosted API security: inventory, sensitive data, attacks, blocking, tests"
)]
pub struct Cli {
    /// Data directory holding the inventory database and the trace journal.
    #[arg(long, global = true, env = "PALISADE_DATA_DIR", default_value = "./palisade-data")]
    pub data_dir: PathBuf,

    /// Configuration file (YAML with `version: 1`).
    #[arg(long, global = true, env = "PALISADE_CONFIG")]
    pub config: Option<PathBuf>,

    /// Log format on standard error. The level comes from PALISADE_LOG (default: info for
    /// `serve` and `proxy`, warn otherwise), for example PALISADE_LOG=debug.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the collector, the pipeline and the REST API.
    Serve(ServeArgs),
    /// Import traffic from HAR, JSON Lines, JSON, Keploy, pcap or pcapng files (format detected).
    Ingest(IngestArgs),
    /// List endpoints or show one with its evidence and fields.
    Endpoints(EndpointsArgs),
    /// List hosts with their traffic and endpoint counts.
    Hosts(HostsArgs),
    /// Create, list and revoke API keys.
    Keys(KeysArgs),
    /// Manage dashboard users: add, list, change role or password, remove.
    Users(UsersArgs),
    /// Add, list and remove block rules in the data directory.
    Rules(crate::commands::rules::RulesArgs),
    /// List alerts and change their status.
    Alerts(crate::commands::alerts::AlertsArgs),
    /// List actors (API keys, users, sessions, client IPs) and show their timelines.
    Actors(crate::commands::actors::ActorsArgs),
    /// List findings: attacks and suspicious behaviour, one per detection.
    Findings(crate::commands::actors::FindingsArgs),
    /// Measure accuracy against public data, such as path template discovery against
    /// OpenAPI descriptions.
    Eval(crate::commands::eval::EvalArgs),
    /// Measure throughput of the pipeline and of ingest through the HTTP server.
    Bench(crate::commands::bench::BenchArgs),
    /// Capture HTTP traffic from a network interface (libpcap) or from VXLAN traffic
    /// mirroring, and send the traces to a server.
    Capture(crate::commands::capture::CaptureArgs),
    /// Run YAML security tests (Metlo's format) and generate them from the inventory.
    Test(crate::commands::test::TestArgs),
    /// Export OpenAPI descriptions from the inventory, check descriptions, and compare
    /// two of them.
    Spec(crate::commands::spec::SpecArgs),
    /// Run the inline reverse proxy that enforces block rules and mirrors traffic.
    Proxy(crate::commands::proxy::ProxyArgs),
    /// Print the default configuration with every setting, or check a configuration file.
    Config(crate::commands::config::ConfigArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:7480, or `server.listen` in the config].
    #[arg(long, env = "PALISADE_LISTEN", value_parser = socket_address)]
    pub listen: Option<SocketAddr>,

    /// Also run the inline proxy on this address. It enforces this server's block rules
    /// and sends its traffic to this server's pipeline [default: `proxy.listen` in the
    /// config, and no proxy when neither is set].
    #[arg(long, env = "PALISADE_PROXY_LISTEN", value_parser = socket_address)]
    pub proxy_listen: Option<SocketAddr>,

    /// Upstream of the in-process proxy, http://HOST:PORT [default: `proxy.upstream` in
    /// the config].
    #[arg(long, env = "PALISADE_UPSTREAM")]
    pub upstream: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// Detect from the file name and first bytes.
    Auto,
    Har,
    Jsonl,
    /// Palisade's JSON trace format: one object or an array.
    Json,
    Keploy,
    /// Metlo trace JSON (v2): one object or an array.
    Metlo,
    /// A pcap or pcapng packet capture of HTTP/1.x traffic.
    Pcap,
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Files or directories to import; directories are searched recursively.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,

    /// Input format of every file.
    #[arg(long = "input-format", value_enum, default_value_t = InputFormat::Auto)]
    pub input_format: InputFormat,

    /// Send the traces to a running server instead of writing the data directory.
    #[arg(long, env = "PALISADE_SERVER", requires = "key")]
    pub server: Option<String>,

    /// Ingest key (or API token) for --server.
    #[arg(long, env = "PALISADE_KEY")]
    pub key: Option<String>,

    /// Traces per request with --server.
    #[arg(long, default_value_t = 500)]
    pub batch_size: usize,

    /// Do not draw a progress bar.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct EndpointsArgs {
    #[command(subcommand)]
    pub command: EndpointsCommand,
}

#[derive(Debug, Subcommand)]
pub enum EndpointsCommand {
    /// List endpoints.
    List(EndpointListArgs),
    /// Show one endpoint: risk factors, authentication, template evidence, fields, data
    /// classes, open alerts and hourly counts.
    Show(EndpointShowArgs),
    /// Mark a data class on a field of an endpoint as a false positive (or undo it).
    FalsePositive(FalsePositiveArgs),
}

#[derive(Debug, Args)]
pub struct FalsePositiveArgs {
    /// Endpoint id, or "METHOD HOST PATH".
    pub endpoint: String,
    /// Section of the field: request.path, request.query, request.header, request.body,
    /// response.header or response.body.
    #[arg(long)]
    pub section: String,
    /// Field path as `endpoints show` prints it, such as `items[].email`.
    #[arg(long)]
    pub path: String,
    /// Data class id, such as `email`.
    #[arg(long)]
    pub class: String,
    /// Remove the mark instead.
    #[arg(long)]
    pub undo: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SortOrder {
    /// Host, template, method.
    Path,
    /// Most requests first.
    Hits,
    /// Most recently seen first.
    #[value(alias = "last_seen")]
    LastSeen,
    /// Most recently discovered first.
    #[value(alias = "first_seen")]
    FirstSeen,
    /// Highest risk score first.
    Risk,
}

#[derive(Debug, Args)]
pub struct EndpointListArgs {
    /// Only endpoints of this host.
    #[arg(long)]
    pub host: Option<String>,
    /// Only endpoints with this method.
    #[arg(long)]
    pub method: Option<String>,
    /// Only endpoints whose host or template contains this text (case-insensitive).
    #[arg(long)]
    pub search: Option<String>,
    /// Sort order. `last_seen` and `first_seen`, as the REST API spells them, are accepted
    /// too.
    #[arg(long, value_enum, default_value_t = SortOrder::Path)]
    pub sort: SortOrder,
    /// Only endpoints whose risk score is at least SCORE.
    #[arg(long, value_name = "SCORE")]
    pub min_risk: Option<u32>,
    /// Only endpoints with this data class on a field, such as email.
    #[arg(long, value_name = "CLASS")]
    pub data_class: Option<String>,
    /// Only endpoints called with this authentication scheme: none, basic, bearer, jwt,
    /// api_key_header, api_key_query or session_cookie.
    #[arg(long, value_name = "SCHEME", value_parser = parse_auth_scheme)]
    pub auth: Option<palisade_core::auth::AuthScheme>,
    /// Endpoints per page (at most 1000).
    #[arg(long, default_value_t = 100)]
    pub limit: u32,
    /// Endpoints to skip.
    #[arg(long, default_value_t = 0)]
    pub offset: u32,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

fn parse_auth_scheme(text: &str) -> Result<palisade_core::auth::AuthScheme, String> {
    palisade_core::auth::AuthScheme::ALL.into_iter().find(|scheme| scheme.as_str() == text).ok_or_else(|| {
        let names: Vec<&str> = palisade_core::auth::AuthScheme::ALL.iter().map(|scheme| scheme.as_str()).collect();
        format!("expected one of {}", names.join(", "))
    })
}

#[derive(Debug, Args)]
pub struct EndpointShowArgs {
    /// Endpoint id, or "METHOD HOST PATH" where PATH is concrete (/users/42) or the
    /// template (/users/{userId}).
    pub endpoint: String,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct HostsArgs {
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    pub command: KeysCommand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeyRole {
    /// Send traces only.
    Ingest,
    /// Read everything.
    Viewer,
    /// Read and triage.
    Analyst,
    /// Everything.
    Admin,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key; its secret is printed once and only its hash is stored.
    Create {
        /// A name to recognise the key by.
        name: String,
        #[arg(long, value_enum, default_value_t = KeyRole::Ingest)]
        role: KeyRole,
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// List keys (never their secrets).
    List {
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Revoke a key by id; requests with it fail from then on.
    Revoke { id: i64 },
}

#[derive(Debug, Args)]
pub struct UsersArgs {
    #[command(subcommand)]
    pub command: UsersCommand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UserRole {
    /// Read everything.
    Viewer,
    /// Read and triage.
    Analyst,
    /// Everything, including users, keys and settings.
    Admin,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Add a user. Without --password-stdin a password is generated and printed once.
    Add {
        name: String,
        #[arg(long, value_enum)]
        role: UserRole,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users (never their passwords).
    List {
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Set a new password and end the user's sessions. Without --password-stdin a
    /// password is generated and printed once.
    Passwd {
        name: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change a user's role; live sessions get the new role at once.
    Role {
        name: String,
        #[arg(long, value_enum)]
        role: UserRole,
    },
    /// Remove a user and end their sessions. The only admin cannot be removed.
    Remove { name: String },
}

/// Parses a listen address, saying what a valid one looks like, as the configuration
/// file's errors do.
pub fn socket_address(text: &str) -> Result<SocketAddr, String> {
    text.parse().map_err(|_| {
        "expected IP:PORT, such as 127.0.0.1:7480, with a port up to 65535 (host names such as localhost are not accepted)"
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn flags_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sort_accepts_api_spellings() {
        for (spelling, expected) in [
            ("last-seen", SortOrder::LastSeen),
            ("last_seen", SortOrder::LastSeen),
            ("first-seen", SortOrder::FirstSeen),
            ("first_seen", SortOrder::FirstSeen),
        ] {
            let cli = Cli::try_parse_from(["palisade", "endpoints", "list", "--sort", spelling]).unwrap();
            let Command::Endpoints(EndpointsArgs { command: EndpointsCommand::List(list) }) = cli.command else {
                panic!("`endpoints list` parsed as {:?}", cli.command);
            };
            assert_eq!(list.sort, expected, "--sort {spelling}");
        }
    }
}
