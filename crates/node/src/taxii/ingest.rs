//! Storing what STIX brings in (a TAXII post, a pulled page, a bundle from the command line):
//! `liptako_stix::import` maps each object, then each report is checked here (marking through
//! [`access::marking_input`], an existing object through [`access::decide`], only this node's
//! own objects changed) and written as an ordinary report, so it federates by its marking,
//! shows on the map and reaches TAK clients like any other.

use std::sync::Arc;

use liptako_model::{Body, Draft, Expect, Marking, Principal};
use liptako_stix::import::{self, split_objects};
use liptako_stix::{EnvelopeError, Exporter, ImportContext, Limits, ObjectOutcome, Outcome, Tlp};
use liptako_store::{WriteOp, WriteOutcome};
use uuid::Uuid;

use super::access;
use crate::state::Node;

/// What happened to one object.
#[derive(Debug, Clone)]
pub struct Ingested {
    /// Its STIX id, when readable.
    pub id: Option<String>,
    /// Its version (`modified`), when readable.
    pub version: Option<String>,
    /// Stored (the report's id), unchanged, part of another, context, or refused and why.
    pub result: Result<Accepted, Refusal>,
}

/// An object taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// Written as a new version of this report.
    Stored(Uuid),
    /// Already held with the same content.
    Unchanged(Uuid),
    /// Folded into another object's report.
    Part,
    /// Read for context, not stored.
    Context,
}

/// An object refused: a reason for metrics and a message for the sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// A short label (metrics).
    pub reason: &'static str,
    /// What is wrong, for the sender.
    pub message: String,
}

fn refusal(reason: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        reason,
        message: message.into(),
    }
}

fn reason_of(error: &liptako_stix::ImportError) -> &'static str {
    use liptako_stix::ImportError as E;
    match error {
        E::Malformed(_) | E::Missing(_) | E::BadId(_) | E::SpecVersion => "malformed",
        E::TooLarge { .. } => "too_large",
        E::BadTimestamp { .. } => "bad_timestamp",
        E::Unsupported(_) | E::Alone(_) => "unsupported",
        E::Individual(_) | E::AboutIndividual(_) => "individual",
        E::Unmarked => "unmarked",
        E::MarkingConflict(_) | E::Granular => "marking",
        E::BadExtension(_) | E::Invalid(_) => "invalid",
        E::PrimaryRefused(_) => "part_of_refused",
    }
}

/// Where the objects come from and what applies to them.
pub struct Source<'a> {
    /// Who brings them in (their clearance bounds the markings).
    pub principal: &'a Principal,
    /// The marking of objects that carry none this node knows.
    pub default_marking: Option<&'a Marking>,
    /// TLP level → marking.
    pub tlp_markings: &'a [(Tlp, Marking)],
    /// Whether objects of an exercise (from our extension) are taken.
    pub allow_exercise: bool,
}

/// Imports an envelope or bundle and stores what may be stored: one [`Ingested`] per object,
/// in order. The whole input is refused only when it is no envelope or bundle at all.
pub async fn ingest(
    node: &Arc<Node>,
    exporter: &Exporter,
    source: &Source<'_>,
    text: &str,
) -> Result<Vec<Ingested>, EnvelopeError> {
    let limits = Limits::default();
    let raw = split_objects(text, &limits)?;
    let ctx = ImportContext {
        exporter,
        nation: node.nation(),
        default_marking: source.default_marking,
        tlp_markings: source.tlp_markings,
        limits,
    };
    let outcomes: Vec<ObjectOutcome> = import::import(&raw, &ctx);
    drop(raw);
    let mut results: Vec<Ingested> = Vec::with_capacity(outcomes.len());
    // Drafts to write, with the index of the object they come from.
    let mut drafts: Vec<(usize, Draft)> = Vec::new();
    for (idx, outcome) in outcomes.iter().enumerate() {
        let result = match &outcome.outcome {
            Outcome::Refused(error) => Err(refusal(reason_of(error), error.to_string())),
            Outcome::Part { .. } => Ok(Accepted::Part),
            Outcome::Context => Ok(Accepted::Context),
            Outcome::Stored(imported) => match prepare(node, source, imported).await {
                Ok(Prepared::Unchanged(id)) => Ok(Accepted::Unchanged(id)),
                Ok(Prepared::Write(draft)) => {
                    let id = draft.id;
                    drafts.push((idx, *draft));
                    Ok(Accepted::Stored(id))
                }
                Err(refused) => Err(refused),
            },
        };
        results.push(Ingested {
            id: outcome.id.clone(),
            version: outcome.version.clone(),
            result,
        });
    }
    if !drafts.is_empty() {
        let actor = format!("taxii:{}", source.principal.name);
        let ops = drafts
            .iter()
            .map(|(_, draft)| WriteOp::Local {
                draft: draft.clone(),
                actor: actor.clone(),
            })
            .collect();
        match node.write(ops).await {
            Ok(written) => {
                for ((idx, _), outcome) in drafts.iter().zip(written) {
                    if let WriteOutcome::Conflict(conflict) = outcome
                        && let Some(result) = results.get_mut(*idx)
                    {
                        result.result = Err(refusal("conflict", conflict.to_string()));
                    }
                }
            }
            Err(err) => {
                tracing::error!(cause = %err, "TAXII import: store write failed");
                for (idx, _) in &drafts {
                    if let Some(result) = results.get_mut(*idx) {
                        result.result = Err(refusal("internal", "internal error: not stored"));
                    }
                }
            }
        }
    }
    // A part shares its primary's fate after the write too.
    let failed: Vec<String> = results
        .iter()
        .filter(|result| result.result.is_err())
        .filter_map(|result| result.id.clone())
        .collect();
    for (result, outcome) in results.iter_mut().zip(&outcomes) {
        if let (Ok(Accepted::Part), Outcome::Part { into }) = (&result.result, &outcome.outcome)
            && failed.contains(into)
        {
            result.result = Err(refusal(
                "part_of_refused",
                format!("part of {into}, which was refused"),
            ));
        }
    }
    Ok(results)
}

enum Prepared {
    Write(Box<Draft>),
    Unchanged(Uuid),
}

async fn prepare(
    node: &Arc<Node>,
    source: &Source<'_>,
    imported: &liptako_stix::Imported,
) -> Result<Prepared, Refusal> {
    if imported.exercise.is_some() && !source.allow_exercise {
        return Err(refusal(
            "exercise",
            "objects of an exercise are not taken here (real world only)",
        ));
    }
    let marking = access::marking_input(node, source.principal, &imported.marking)
        .map_err(|err| refusal("marking", err.to_string()))?;
    let body = Body::Report(imported.report.clone());
    let current = node
        .get_object(imported.id)
        .await
        .map_err(|err| refusal("internal", err.to_string()))?;
    let expect = match current {
        None => Expect::New,
        Some(stored) => {
            let object = &stored.object;
            // One answer whatever the reason, so a hidden object's existence does not show.
            if object.meta.origin != node.nation()
                || !access::decide(
                    node,
                    source.principal,
                    &object.meta,
                    imported.exercise.as_deref(),
                )
            {
                return Err(refusal(
                    "not_writable",
                    "an object with this id exists on this node that you may not change",
                ));
            }
            if !object.meta.deleted
                && object.body == body
                && object.meta.marking == marking
                && object.meta.valid_until == imported.valid_until
            {
                return Ok(Prepared::Unchanged(imported.id));
            }
            if object.meta.deleted {
                Expect::Any
            } else {
                Expect::Version(object.meta.version)
            }
        }
    };
    Ok(Prepared::Write(Box::new(Draft {
        id: imported.id,
        origin: node.nation(),
        expect,
        at: node.now(),
        marking,
        valid_until: imported.valid_until,
        exercise: imported.exercise.clone(),
        body: Some(body),
    })))
}
