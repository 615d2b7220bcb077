//! Work between nations, in the core so that every feature derives it the same way: the steps
//! of a workflow this node holds and a reader may see, and the state derived from them
//! (`liptako_model::workflow`). Pursuit notices (acknowledgements) and support requests
//! (answers of the addressed nations) use it; exercise control is meant to reuse it.
//!
//! A step refers to its head by id and carries the head's id in its search text, so the store's
//! text filter narrows a scan to one workflow; each candidate is then checked exactly (its
//! `refers_to`) and passes `Policy::allows` for the reader before it counts.

use std::sync::Arc;

use liptako_model::{Audience, Object, Principal, Workflow, WorkflowState};
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
