//! `liptako stix export` and `liptako stix import`: STIX 2.1 bundles for air-gapped transfers.
//!
//! - `export --data DIR --for BFA --clearance DR [--since 2026-11-24T00:00:00Z] > bundle.json`
//!   writes the reports a holder of that nation and clearance may hold (the node's access
//!   decision, as TAXII applies it: real world only), each with its marking definitions,
//!   TLP and identities, as one bundle on standard output.
//! - `import bundle.json --data DIR --marking DR:AES` stores each object as a report of this
//!   node (the same mapping and checks as a TAXII inbox); `--marking` is the marking of
//!   objects that carry none this node knows (`LEVEL` national only, `LEVEL:AES` all
//!   members, `LEVEL:BFA,NER` those nations). Prints a summary and each refusal as JSON.
//!
//! Both open the data directory directly. Import while the node is stopped (or post to a
//! TAXII inbox while it runs): a running node would not wake its federation until its next
//! own write, and could serve a changed report's previous version from its cache.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use liptako_model::{Marking, Nation, ObjectType, Principal, Role};
use liptako_node::Node;
use liptako_node::taxii::access;
use liptako_node::taxii::ingest::{self, Accepted};
use liptako_stix::{Exporter, timestamp};
use liptako_store::ArrivalQuery;
use serde_json::{Value, json};

/// `liptako stix`
#[derive(Debug, Args)]
pub struct StixArgs {
    #[command(subcommand)]
    command: StixCommand,
}

#[derive(Debug, Subcommand)]
enum StixCommand {
    /// Write the reports a nation and clearance may hold as a STIX 2.1 bundle (stdout).
    Export(ExportArgs),
    /// Store the objects of a STIX 2.1 bundle as reports of this node.
    Import(ImportArgs),
}

#[derive(Debug, Args)]
struct ExportArgs {
    /// The node's data directory.
    #[arg(long)]
    data: PathBuf,
    /// The nation the bundle is for (only what it may hold is written).
    #[arg(long = "for")]
    for_nation: Nation,
    /// The clearance of whoever receives it.
    #[arg(long)]
    clearance: String,
    /// Only reports this node took after this time (RFC 3339, e.g. 2026-11-24T00:00:00Z).
    #[arg(long)]
    since: Option<String>,
}

#[derive(Debug, Args)]
struct ImportArgs {
    /// The bundle (a JSON file).
    bundle: PathBuf,
    /// The node's data directory.
    #[arg(long)]
    data: PathBuf,
    /// The marking of objects that carry none this node knows: LEVEL, LEVEL:AES or
    /// LEVEL:BFA,NER. Without it, such objects are refused.
    #[arg(long)]
    marking: Option<String>,
}

/// Runs `liptako stix ...`.
pub fn run(args: StixArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    match args.command {
        StixCommand::Export(args) => runtime.block_on(export(args)),
        StixCommand::Import(args) => runtime.block_on(import(args)),
    }
}

/// Rows read per step.
const BATCH: usize = 1000;

async fn export(args: ExportArgs) -> anyhow::Result<()> {
    let node = Node::open(&args.data)?;
    node.policy().check_level(&args.clearance)?;
    let since = args
        .since
        .as_deref()
        .map(timestamp::parse)
        .transpose()
        .context("--since")?;
    let settings = liptako_node::taxii::settings(&node)?;
    let exporter = Exporter::new(node.policy(), settings.tlp);
    let recipient = Principal::new(
        "stix-export",
        args.for_nation,
        &args.clearance,
        Role::Viewer,
    );
    let levels = node.policy().levels();
    let cleared = levels.rank(&args.clearance);
    let mut objects: Vec<Value> = exporter.meta_objects(
        |marking| matches!((cleared, levels.rank(&marking.level)), (Some(c), Some(l)) if l <= c),
    );
    let mut after = 0;
    let mut n_reports = 0usize;
    loop {
        let query = ArrivalQuery {
            object_type: ObjectType::Report,
            exercise: None,
            after,
            added_after: since,
            limit: BATCH,
        };
        let batch = node.store().arrivals(&query, &mut |object| {
            access::decide(&node, &recipient, &object.meta, access::REAL_WORLD)
        })?;
        let n_batch = batch.len();
        for arrival in batch {
            after = arrival.position;
            if let Ok(values) = exporter.export(&arrival.object) {
                objects.extend(values);
                n_reports += 1;
            }
        }
        if n_batch < BATCH {
            break;
        }
    }
    let bundle = json!({
        "type": "bundle",
        "id": format!("bundle--{}", uuid::Uuid::new_v4()),
        "objects": objects,
    });
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer(&mut stdout, &bundle)?;
    writeln!(stdout)?;
    tracing::info!(
        n_reports,
        nation = %args.for_nation,
        clearance = %args.clearance,
        "STIX bundle written"
    );
    Ok(())
}

/// `LEVEL`, `LEVEL:AES`, `LEVEL:BFA,NER`.
fn parse_marking(text: &str) -> Marking {
    match text.split_once(':') {
        Some((level, tokens)) => Marking::new(
            level.trim(),
            tokens
                .split(',')
                .map(str::trim)
                .filter(|token| !token.is_empty()),
        ),
        None => Marking::new(text.trim(), Vec::<String>::new()),
    }
}

async fn import(args: ImportArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.bundle)
        .with_context(|| format!("cannot read {}", args.bundle.display()))?;
    let node = Node::open(&args.data)?;
    let settings = liptako_node::taxii::settings(&node)?;
    let exporter = Exporter::new(node.policy(), settings.tlp.clone());
    // The operator at the console: this node, cleared to the highest level.
    let principal = Principal::new(
        "stix-import",
        node.nation(),
        node.policy().levels().highest(),
        Role::Editor,
    );
    let default = args
        .marking
        .as_deref()
        .map(|text| access::marking_input(&node, &principal, &parse_marking(text)))
        .transpose()
        .context("--marking")?;
    let results = ingest::ingest(
        &node,
        &exporter,
        &ingest::Source {
            principal: &principal,
            default_marking: default.as_ref(),
            tlp_markings: &settings.tlp_import,
            allow_exercise: true,
        },
        &text,
    )
    .await
    .with_context(|| format!("{}", args.bundle.display()))?;
    let mut stored = 0usize;
    let mut unchanged = 0usize;
    let mut other = 0usize;
    let mut refused = Vec::new();
    for result in &results {
        match &result.result {
            Ok(Accepted::Stored(_)) => stored += 1,
            Ok(Accepted::Unchanged(_)) => unchanged += 1,
            Ok(Accepted::Part | Accepted::Context) => other += 1,
            Err(refusal) => refused.push(json!({
                "id": result.id,
                "reason": refusal.reason,
                "message": refusal.message,
            })),
        }
    }
    let summary = json!({
        "objects": results.len(),
        "stored": stored,
        "unchanged": unchanged,
        "parts_and_context": other,
        "refused": refused,
    });
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, &summary)?;
    writeln!(stdout)?;
    Ok(())
}
