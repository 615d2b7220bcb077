//! The `liptako` command line: one binary for the node (`serve`, `demo`, `init`, `user`) and
//! for the tools around it (`asterix`, `track`, `simulate`, `stix`, `aar`). Errors from every subcommand come
//! back here as `anyhow::Error`; the chain is printed once and the exit code chosen here.

mod aar_cmd;
mod asterix_cmd;
mod certs_cmd;
mod demo;
mod node_cmd;
mod stix_cmd;
mod track_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Liptako: a federated common operational picture.
#[derive(Debug, Parser)]
#[command(name = "liptako", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a demonstration on this machine: nodes, scenario, web addresses and logins.
    Demo(demo::DemoArgs),
    /// An after-action report (HTML, PDF or JSON) from a node's data directory.
    Aar(aar_cmd::AarArgs),
    /// Create a node's data directory: configuration, key, database, admin user.
    Init(node_cmd::InitArgs),
    /// Serve a node (HTTP API, live feed) until SIGTERM or Ctrl-C.
    Serve(node_cmd::ServeArgs),
    /// Manage a node's users.
    User(node_cmd::UserArgs),
    /// The node's certificate authority and certificates.
    Certs(certs_cmd::CertsArgs),
    /// Links to partner nodes.
    Link(certs_cmd::LinkArgs),
    /// ASTERIX tools: dump a capture as JSON, replay it over UDP.
    Asterix(asterix_cmd::AsterixArgs),
    /// Run the air-picture tracker offline over a plots file.
    Track(track_cmd::TrackArgs),
    /// Simulate aircraft and radars, emitting ASTERIX over UDP.
    Simulate(track_cmd::SimulateArgs),
    /// STIX 2.1 bundles for air-gapped transfers: export what a nation may hold, import.
    Stix(stix_cmd::StixArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The demo speaks to a new user through its banner: only warnings and errors join it
    // unless RUST_LOG asks for more.
    init_logging(match cli.command {
        Command::Demo(_) => "warn",
        _ => "info",
    });
    let result = match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Aar(args) => aar_cmd::run(args),
        Command::Init(args) => node_cmd::run_init(args),
        Command::Serve(args) => node_cmd::run_serve(args),
        Command::User(args) => node_cmd::run_user(args),
        Command::Certs(args) => certs_cmd::run_certs(args),
        Command::Link(args) => certs_cmd::run_link(args),
        Command::Asterix(args) => asterix_cmd::run(args),
        Command::Track(args) => track_cmd::run_track(args),
        Command::Simulate(args) => track_cmd::run_simulate(args),
        Command::Stix(args) => stix_cmd::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            #[allow(clippy::print_stderr)] // the one place the error chain reaches the user
            {
                eprintln!("liptako: {err:#}");
            }
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr through `tracing`; `RUST_LOG` filters them (default `default`: `info`,
/// `warn` for the demo).
fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // Colours only for a person at a terminal: a log file or a journal gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .init();
}
