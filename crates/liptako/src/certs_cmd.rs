//! `liptako certs` (the node's certificate authority and certificates) and `liptako link`
//! (links to partner nodes).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use liptako_model::Nation;
use liptako_node::Config;
use liptako_node::pki;

use crate::node_cmd::say;

/// `liptako certs`
#[derive(Debug, Args)]
pub struct CertsArgs {
    #[command(subcommand)]
    pub command: CertsCommand,
}

/// Certificate commands.
#[derive(Debug, Subcommand)]
pub enum CertsCommand {
    /// Create the node's CA and its node certificate (for partners and TLS listeners).
    Init(CertsInitArgs),
    /// Issue a TAK client certificate for a user: .p12, PEM, and a data package (.zip) that
    /// sets a phone up in one import.
    Client(CertsClientArgs),
}

/// `liptako certs client`
#[derive(Debug, Args)]
pub struct CertsClientArgs {
    /// The node's data directory.
    #[arg(long)]
    pub data: PathBuf,
    /// The device's callsign (set on the phone by the data package; names the files).
    #[arg(long)]
    pub name: String,
    /// The user the certificate is issued to: the device gets this user's principal.
    #[arg(long)]
    pub user: String,
    /// Host name or address phones reach the node at (default: the TLS listener's address).
    #[arg(long)]
    pub host: Option<String>,
    /// TLS port phones connect to (default: the TLS listener's, else 8089).
    #[arg(long)]
    pub port: Option<u16>,
    /// Password of the .p12 files; generated and printed when absent.
    #[arg(long, env = "LIPTAKO_P12_PASSWORD")]
    pub password: Option<String>,
    /// Where to write the files (default: DATA/clients/<NAME>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Validity in days (default: [cot] client_cert_days).
    #[arg(long)]
    pub days: Option<u32>,
}

/// `liptako certs init`
#[derive(Debug, Args)]
pub struct CertsInitArgs {
    /// The node's data directory.
    #[arg(long)]
    pub data: PathBuf,
    /// Extra host names or IP addresses the node is reached at (repeat the option).
    #[arg(long = "host")]
    pub hosts: Vec<String>,
}

/// `liptako link`
#[derive(Debug, Args)]
pub struct LinkArgs {
    #[command(subcommand)]
    pub command: LinkCommand,
}

/// Link commands.
#[derive(Debug, Subcommand)]
pub enum LinkCommand {
    /// Add a link to a partner node (copies its CA certificate, accredits its origin key,
    /// writes a [[link]]).
    Add(LinkAddArgs),
    /// Accredit a nation's origin key: what this node receives of that nation's objects,
    /// through any partner, must be signed with it (for a nation reached only through a relay).
    Origin(LinkOriginArgs),
}

/// `liptako link origin`
#[derive(Debug, Args)]
pub struct LinkOriginArgs {
    /// The node's data directory.
    #[arg(long)]
    pub data: PathBuf,
    /// The origin's nation.
    #[arg(long)]
    pub nation: Nation,
    /// Its origin public key file (its `certs/origin.pub`).
    #[arg(long)]
    pub key: PathBuf,
}

/// `liptako link add`
#[derive(Debug, Args)]
pub struct LinkAddArgs {
    /// The node's data directory.
    #[arg(long)]
    pub data: PathBuf,
    /// The partner's nation.
    #[arg(long)]
    pub nation: Nation,
    /// The partner's federation address, https://host:port.
    #[arg(long)]
    pub url: String,
    /// The partner's CA certificate (its `certs/ca.pem`).
    #[arg(long)]
    pub ca: PathBuf,
    /// The partner's origin public key (its `certs/origin.pub`; by default the `origin.pub`
    /// beside the CA certificate).
    #[arg(long)]
    pub origin_key: Option<PathBuf>,
    /// The highest classification level that may cross this link.
    #[arg(long)]
    pub ceiling: String,
}

pub fn run_certs(args: CertsArgs) -> anyhow::Result<()> {
    match args.command {
        CertsCommand::Init(args) => {
            let config = Config::load(&args.data)?;
            let paths = pki::init(&args.data, config.node.nation, &args.hosts)?;
            say(&format!("node certificate: {}", paths.node_cert.display()));
            say(&format!(
                "give partners this origin key too: {}",
                paths.origin_pub.display()
            ));
            say(&format!(
                "give partners this CA certificate: {}",
                paths.ca_cert.display()
            ));
            Ok(())
        }
        CertsCommand::Client(args) => {
            let issued = liptako_node::tak::certs::issue_client(
                &args.data,
                liptako_node::tak::certs::ClientRequest {
                    callsign: args.name,
                    user: args.user,
                    host: args.host,
                    port: args.port,
                    password: args.password,
                    out: args.out,
                    days: args.days,
                },
            )?;
            say(&format!("wrote to {}:", issued.dir.display()));
            for file in &issued.files {
                say(&format!("  {file}"));
            }
            say(&format!(
                "the .zip data package sets a TAK client up to connect to {} (import it on the device)",
                issued.connect
            ));
            if let Some(password) = issued.generated_password {
                say(&format!(".p12 password (shown once): {password}"));
            }
            Ok(())
        }
    }
}

pub fn run_link(args: LinkArgs) -> anyhow::Result<()> {
    match args.command {
        LinkCommand::Add(args) => {
            let path = liptako_node::init::add_link(
                &args.data,
                args.nation,
                &args.url,
                &args.ca,
                args.origin_key.as_deref(),
                &args.ceiling,
            )?;
            say(&format!(
                "link to {} (ceiling {}) written to {}",
                args.nation,
                args.ceiling,
                path.display()
            ));
            Ok(())
        }
        LinkCommand::Origin(args) => {
            let path = liptako_node::init::accredit_origin(&args.data, args.nation, &args.key)?;
            say(&format!(
                "origin key of {} accredited in {}",
                args.nation,
                path.display()
            ));
            Ok(())
        }
    }
}
