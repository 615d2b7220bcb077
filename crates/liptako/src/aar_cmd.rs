//! `liptako aar`: an after-action report from a node's data directory, as one of its users may
//! see it (the same report and the same access decision as `GET /api/v1/aar`).
//!
//! `liptako aar --data DIR --user NAME --operation ID --format pdf --lang en --out aar.pdf`
//! (or `--exercise NAME`, or `--from T1 [--to T2] [--bbox W,S,E,N]`). It opens the data
//! directory directly and only reads, so it may run beside the serving node; the user account
//! (nation, clearance) decides what the report holds, and a disabled account makes none.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use liptako_node::Node;
use liptako_node::auth::user_principal;
use liptako_node::replay::aar::{self, AarError, AarParams, Geography, Sources};

/// `liptako aar`
#[derive(Debug, Args)]
pub struct AarArgs {
    /// The node's data directory.
    #[arg(long, visible_alias = "node-dir")]
    data: PathBuf,
    /// The user the report is made for: it holds only what this account may see.
    #[arg(long)]
    user: String,
    /// The operation (its window and area).
    #[arg(long)]
    operation: Option<String>,
    /// The exercise whose world to report on (absent: the real world).
    #[arg(long)]
    exercise: Option<String>,
    /// Start of the window (RFC 3339).
    #[arg(long)]
    from: Option<String>,
    /// End of the window (RFC 3339; default: now).
    #[arg(long)]
    to: Option<String>,
    /// The area, west,south,east,north.
    #[arg(long)]
    bbox: Option<String>,
    /// html, pdf or json.
    #[arg(long, default_value = "html")]
    format: String,
    /// fr or en.
    #[arg(long, default_value = "fr")]
    lang: String,
    /// Where to write the report (default: standard output).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Runs `liptako aar`.
pub fn run(args: AarArgs) -> anyhow::Result<()> {
    let (request, format) = AarParams {
        operation: args.operation,
        exercise: args.exercise,
        from: args.from,
        to: args.to,
        bbox: args.bbox,
        format: Some(args.format),
        lang: Some(args.lang),
    }
    .check()
    .map_err(anyhow::Error::msg)?;
    let node = Node::open(&args.data)?;
    let account = node
        .store()
        .user(&args.user)?
        .with_context(|| format!("no user {:?} on this node", args.user))?;
    anyhow::ensure!(!account.disabled, "user {:?} is disabled", args.user);
    let principal = user_principal(&account);
    let geography = Geography::load(node.policy());
    let sources = Sources {
        store: node.store().as_ref(),
        policy: node.policy(),
        geography: &geography,
        node: node.nation(),
        principal: &principal,
        now: node.now(),
    };
    let report = match aar::build(&sources, &request) {
        Ok(report) => report,
        Err(AarError::NotFound) => anyhow::bail!("no such operation for {}", args.user),
        Err(err) => return Err(err.into()),
    };
    let rendered = aar::render(&report, format);
    match &args.out {
        Some(path) => std::fs::write(path, &rendered.bytes)
            .with_context(|| format!("writing {}", path.display()))?,
        None => std::io::Write::write_all(&mut std::io::stdout().lock(), &rendered.bytes)?,
    }
    tracing::info!(
        events = report.events.len(),
        marking = %report.marking,
        bytes = rendered.bytes.len(),
        pages = rendered.pages.unwrap_or(0),
        "after-action report written"
    );
    Ok(())
}
