//! The store writer of TAK-reported units: the hub hands it a draft whenever a unit's thinned
//! history is due (see `config::UnitHistory`); it writes every waiting draft in one durable
//! write, then the next batch.
//!
//! Queue policy: one pending draft per unit, the latest replacing an older one not yet
//! written. The hub never waits for the store, and a slow disk costs intermediate versions
//! only, never the latest position.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use liptako_model::Draft;
use liptako_store::{WriteOp, WriteOutcome};
use tokio::sync::Notify;
use uuid::Uuid;

use super::metrics::TakMetrics;
use crate::state::Node;

/// Most drafts written in one transaction.
const MAX_BATCH: usize = 1_000;

/// Pending unit drafts (latest per unit) and the task that writes them.
#[derive(Default)]
pub struct Recorder {
    pending: Mutex<HashMap<Uuid, (Draft, String)>>,
    ready: Notify,
}

impl Recorder {
    /// Hands over a draft written by `actor`; replaces a pending draft of the same unit.
    pub fn submit(&self, draft: Draft, actor: String) {
        let mut pending = self
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        pending.insert(draft.id, (draft, actor));
        drop(pending);
        self.ready.notify_one();
    }

    fn take(&self) -> Vec<(Draft, String)> {
        let mut pending = self
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        pending.drain().map(|(_, value)| value).collect()
    }

    /// Writes pending drafts until the node shuts down.
    pub async fn run(self: Arc<Self>, node: Arc<Node>, metrics: TakMetrics) {
        let mut shutdown = node.shutdown_signal();
        loop {
            tokio::select! {
                _ = self.ready.notified() => {}
                _ = shutdown.changed() => {
                    // What is pending is still written: a position accepted is not lost.
                    self.write_all(&node, &metrics).await;
                    return;
                }
            }
            self.write_all(&node, &metrics).await;
        }
    }

    async fn write_all(&self, node: &Arc<Node>, metrics: &TakMetrics) {
        let mut drafts = self.take();
        while !drafts.is_empty() {
            let rest = drafts.split_off(drafts.len().min(MAX_BATCH));
            let ops: Vec<WriteOp> = drafts
                .into_iter()
                .map(|(draft, actor)| WriteOp::Local { draft, actor })
                .collect();
            let n_ops = ops.len();
            match node.write(ops).await {
                Ok(outcomes) => {
                    for outcome in outcomes {
                        match outcome {
                            WriteOutcome::Committed(_) => metrics.units_stored.inc(),
                            WriteOutcome::Conflict(conflict) => {
                                metrics.unit_write_errors.inc();
                                tracing::warn!(cause = %conflict, "TAK unit not stored");
                            }
                            _ => {}
                        }
                    }
                }
                Err(err) => {
                    metrics.unit_write_errors.add(n_ops as u64);
                    tracing::warn!(cause = %err, units = n_ops, "TAK units not stored");
                }
            }
            drafts = rest;
        }
    }
}
