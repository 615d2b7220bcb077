//! `liptako init`, `liptako serve` and `liptako user`: setting up and running a node.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use liptako_model::{Nation, Role};
use liptako_node::init::{InitOptions, NewUser, UserChange, add_user, init_data_dir, set_user};
use liptako_node::{Node, server};

/// `liptako init`
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The data directory to create (configuration, key, database).
    #[arg(long)]
    pub data: PathBuf,
    /// This node's nation (ISO 3166-1 alpha-3, e.g. MLI).
    #[arg(long)]
    pub nation: Nation,
    /// The admin user's password; generated and printed when absent.
    #[arg(long, env = "LIPTAKO_ADMIN_PASSWORD")]
    pub admin_password: Option<String>,
    /// The confederation's name (a releasability meaning "all members").
    #[arg(long, default_value = "AES")]
    pub confederation: String,
    /// The member nations, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "MLI,BFA,NER")]
    pub members: Vec<Nation>,
    /// The HTTP address to listen on.
    #[arg(long)]
    pub http: Option<SocketAddr>,
    /// The address partner nodes connect to.
    #[arg(long)]
    pub federation: Option<SocketAddr>,
}

/// `liptako serve`
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The node's data directory (made by `liptako init`).
    #[arg(long)]
    pub data: PathBuf,
    /// Listen here instead of the configured address.
    #[arg(long)]
    pub http: Option<SocketAddr>,
    /// Listen for TAK clients over TCP here (CoT stream; overrides `[cot] tcp_listen`).
    #[arg(long)]
    pub cot_tcp: Option<SocketAddr>,
    /// Listen for TAK clients over TLS with client certificates here (`[cot] tls_listen`).
    #[arg(long)]
    pub cot_tls: Option<SocketAddr>,
    /// Serve TAK certificate enrollment here; ATAK uses port 8446 (`[cot] enroll_listen`).
    #[arg(long)]
    pub cot_enroll: Option<SocketAddr>,
}

/// `liptako user`
#[derive(Debug, Args)]
pub struct UserArgs {
    #[command(subcommand)]
    pub command: UserCommand,
}

/// User commands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user.
    Add(UserAddArgs),
    /// Change a user: disable or enable, demote or promote, change clearance or nation, reset
    /// the password. A running node applies it within a second; disabling or a new password
    /// ends the user's open sessions (API, live feed, TAK).
    Set(UserSetArgs),
}

/// `liptako user set`
#[derive(Debug, Args)]
pub struct UserSetArgs {
    /// The node's data directory.
    #[arg(long)]
    pub data: PathBuf,
    /// Login name.
    #[arg(long)]
    pub name: String,
    /// New clearance level.
    #[arg(long)]
    pub clearance: Option<String>,
    /// New role: viewer, editor, releaser or admin.
    #[arg(long, value_parser = parse_role)]
    pub role: Option<Role>,
    /// New nation.
    #[arg(long)]
    pub nation: Option<Nation>,
    /// Disable the account (its sessions end).
    #[arg(long, conflicts_with = "enable")]
    pub disable: bool,
    /// Enable the account again.
    #[arg(long)]
    pub enable: bool,
    /// New password (its sessions end).
    #[arg(long, conflicts_with = "reset_password")]
    pub password: Option<String>,
    /// Generate a new password and print it once (its sessions end).
    #[arg(long)]
    pub reset_password: bool,
}

/// `liptako user add`
#[derive(Debug, Args)]
pub struct UserAddArgs {
    /// The node's data directory.
    #[arg(long)]
    pub data: PathBuf,
    /// Login name.
    #[arg(long)]
    pub name: String,
    /// Clearance level (one of the configured levels, e.g. NP, DR, C, S).
    #[arg(long)]
    pub clearance: String,
    /// Role: viewer, editor, releaser or admin.
    #[arg(long, value_parser = parse_role, default_value = "viewer")]
    pub role: Role,
    /// Password; generated and printed when absent.
    #[arg(long)]
    pub password: Option<String>,
    /// The user's nation, when not the node's (a partner's liaison officer).
    #[arg(long)]
    pub nation: Option<Nation>,
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| format!("{text:?}: viewer, editor, releaser or admin"))
}

pub fn run_init(args: InitArgs) -> anyhow::Result<()> {
    let report = init_data_dir(
        &args.data,
        InitOptions {
            nation: args.nation,
            confederation: args.confederation,
            members: args.members,
            admin_password: args.admin_password,
            http: args.http,
            federation: args.federation,
        },
    )?;
    say(&format!("created {}", report.config_path.display()));
    if let Some(password) = report.generated_password {
        say(&format!("admin password (shown once): {password}"));
    }
    say(&format!(
        "start it with: liptako serve --data {}",
        args.data.display()
    ));
    Ok(())
}

pub fn run_serve(args: ServeArgs) -> anyhow::Result<()> {
    let runtime = runtime()?;
    runtime.block_on(async {
        let mut config = liptako_node::Config::load(&args.data)?;
        let cot = &mut config.cot;
        cot.tcp_listen = args.cot_tcp.or(cot.tcp_listen);
        cot.tls_listen = args.cot_tls.or(cot.tls_listen);
        cot.enroll_listen = args.cot_enroll.or(cot.enroll_listen);
        let node = Node::with_config(&args.data, config)
            .with_context(|| format!("cannot open the node in {}", args.data.display()))?;
        server::run(node, args.http, server::shutdown_signal()).await
    })
}

pub fn run_user(args: UserArgs) -> anyhow::Result<()> {
    match args.command {
        UserCommand::Add(args) => {
            let name = args.name.clone();
            let generated = add_user(
                &args.data,
                NewUser {
                    name: args.name,
                    nation: args.nation,
                    clearance: args.clearance,
                    role: args.role,
                    password: args.password,
                },
            )?;
            say(&format!("added user {name}"));
            if let Some(password) = generated {
                say(&format!("password (shown once): {password}"));
            }
            Ok(())
        }
        UserCommand::Set(args) => {
            let generated = if args.reset_password {
                Some(liptako_node::auth::generate_password()?)
            } else {
                None
            };
            let change = UserChange {
                clearance: args.clearance,
                role: args.role,
                nation: args.nation,
                disabled: if args.disable {
                    Some(true)
                } else if args.enable {
                    Some(false)
                } else {
                    None
                },
                password: args.password.or_else(|| generated.clone()),
            };
            let user = set_user(&args.data, &args.name, change)?;
            say(&format!(
                "user {}: {} {} {}{}",
                user.name,
                user.nation,
                user.clearance,
                user.role.as_str(),
                if user.disabled { ", disabled" } else { "" }
            ));
            if let Some(password) = generated {
                say(&format!("password (shown once): {password}"));
            }
            Ok(())
        }
    }
}

/// The multi-threaded runtime the node runs on.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// A line for the person at the terminal (CLI output, not a log).
#[allow(clippy::print_stdout)]
pub fn say(line: &str) {
    println!("{line}");
}
