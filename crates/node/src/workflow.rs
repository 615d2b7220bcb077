//! Work between nations, in the core so that every feature derives it the same way: the steps
//! of a workflow this node holds and a reader may see, and the state derived from them
//! (`liptako_model::workflow`). Pursuit notices (acknowledgements) and support requests
//! (answers of the addressed nations) use it; exercise control is meant to reuse it.
//!
//! A step refers to its head by id and carries the head's id in its search text, so the store's
//! text filter narrows a scan to one workflow; each candidate is then checked exactly (its
//! `refers_to`) and passes `Policy::allows` for the reader before it counts.

use std::sync::Arc;

use liptako_model::{
    Audience, Body, Object, ObjectType, Principal, ReportKind, Workflow, WorkflowState,
};
use liptako_store::Query;

use crate::state::{Node, NodeError};

/// Most steps of one workflow read.
pub const MAX_STEPS: usize = 200;

/// The steps linked to `head` that this node holds: every one, when `reader` is `None` (the
/// node's own bookkeeping), else only those `reader` may see in the head's world.
pub async fn steps(
    node: &Arc<Node>,
    head: &Object,
    reader: Option<&Principal>,
) -> Result<Vec<Object>, NodeError> {
    let id = head.meta.id;
    let Some(step_type) = Workflow::step_type(head) else {
        return Ok(Vec::new());
    };
    let mut query = Query::all(step_type, MAX_STEPS);
    query.exercise = head.meta.exercise.clone();
    query.text = Some(id.to_string());
    let policy_node = node.clone();
    let reader = reader.cloned();
    let page = node
        .with_store(move |store| {
            let policy = policy_node.policy();
            store.scan(&query, &mut |object| {
                object.body.refers_to() == Some(id)
                    && reader.as_ref().is_none_or(|principal| {
                        policy.allows(
                            Audience::reader(principal, object.meta.exercise.as_deref()),
                            object,
                        )
                    })
            })
        })
        .await?;
    Ok(page.objects)
}

/// The state of the workflow `head` starts, as `reader` may know it (`None` when `head` starts
/// no workflow).
pub async fn state(
    node: &Arc<Node>,
    head: &Object,
    reader: Option<&Principal>,
) -> Result<Option<WorkflowState>, NodeError> {
    if !Workflow::is_head(head) {
        return Ok(None);
    }
    let steps = steps(node, head, reader).await?;
    Ok(Some(Workflow::new(head, steps.iter()).state()))
}

/// Most civilian-harm reports linked to one operation on read.
pub const MAX_LINKED_REPORTS: usize = 200;

/// The civilian-harm reports linked to `operation` (`None` when it is no operation): those this
/// node holds, in its world, located inside its area and made within its time window, that
/// `reader` may see; oldest first. Derived on read, so that the operation and each report keep
/// their one writer.
pub async fn civilian_harm(
    node: &Arc<Node>,
    operation: &Object,
    reader: &Principal,
) -> Result<Option<Vec<uuid::Uuid>>, NodeError> {
    let Body::Operation(body) = &operation.body else {
        return Ok(None);
    };
    let Some(bbox) = operation.body.bbox() else {
        return Ok(Some(Vec::new()));
    };
    let mut query = Query::all(ObjectType::Report, MAX_LINKED_REPORTS);
    query.exercise = operation.meta.exercise.clone();
    query.kind = Some(ReportKind::CivilianHarm.as_str().to_owned());
    query.bbox = Some(bbox);
    let policy_node = node.clone();
    let reader = reader.clone();
    let (area, start, end) = (body.area.clone(), body.start, body.end);
    let page = node
        .with_store(move |store| {
            let policy = policy_node.policy();
            store.scan(&query, &mut |object| {
                let inside = match &object.body {
                    Body::Report(report) => report.location.is_some_and(|at| area.contains(at)),
                    _ => false,
                };
                inside
                    && object.meta.created >= start
                    && object.meta.created <= end
                    && policy.allows(
                        Audience::reader(&reader, object.meta.exercise.as_deref()),
                        object,
                    )
            })
        })
        .await?;
    let mut reports: Vec<&Object> = page.objects.iter().collect();
    reports.sort_by_key(|report| (report.meta.created, report.meta.id));
    Ok(Some(reports.iter().map(|report| report.meta.id).collect()))
}
