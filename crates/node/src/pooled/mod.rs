//! Pooled means: the assets each nation contributes and support requests between nations.
//! Assets and support requests are ordinary objects (`/api/v1/assets`,
//! `/api/v1/support-requests`, the API's generic routes, federated like any object); this
//! feature adds the acts of the workflow and the escalation of unanswered requests.
//!
//! - [`api`]: `POST /api/v1/support-requests/{id}/decide` (or `/approve`, `/decline`), `/task`,
//!   `/complete`
//!   (the addressed nation, each act its own `support_response` object linked by id) and
//!   `/cancel` (the requesting nation, a new version of its request);
//! - [`book`]: [`SupportBook`], this node's requests awaiting a first answer (pure);
//! - [`start`]: the task that follows the bus's committed changes (this node's requests, the
//!   answers to them) and a one-second tick, and writes a `support_alert` report for a request
//!   unanswered past its priority's response time (`[support]`), through the node's write
//!   path as actor `support`.
//!
//! Queues: the task reads the bus's change topic; when it lags, it reloads its requests from
//! the store. Time comes from the node's clock.

pub mod api;
pub mod book;
pub mod views;

use std::sync::Arc;
use std::time::Duration;

use liptako_model::{Body, Object, ObjectType, ReportKind, Workflow};
use liptako_store::{Query, WriteOp};
use tokio::sync::broadcast::error::RecvError;

use crate::bus::LiveChange;
use crate::metrics::Counter;
use crate::state::Node;
pub use book::SupportBook;

/// Who the audit log names for the alerts this feature writes.
pub const ACTOR: &str = "support";
/// How often response times are checked.
const TICK: Duration = Duration::from_secs(1);
/// Objects read per page when loading.
const LOAD_PAGE: usize = 500;

/// Starts the support task.
pub async fn start(node: Arc<Node>) -> anyhow::Result<()> {
    let mut task = Support {
        written: node.metrics().counter(
            "liptako_support_alerts_total",
            "Support requests escalated: unanswered past their priority's response time.",
            &[],
        ),
        failed: node.metrics().counter(
            "liptako_support_alert_failures_total",
            "Support alerts that could not be written (logged as errors).",
            &[],
        ),
        node: node.clone(),
        book: SupportBook::default(),
    };
    let changes = node.bus().changes();
    task.load().await?;
    node.spawn(task.run(changes));
    Ok(())
}

struct Support {
    node: Arc<Node>,
    book: SupportBook,
    written: Counter,
    failed: Counter,
}

impl Support {
    async fn load(&mut self) -> anyhow::Result<()> {
        let home = self.node.nation();
        self.book = SupportBook::default();
        for request in scan_all(&self.node, ObjectType::SupportRequest, None).await? {
            if request.meta.origin != home {
                continue;
            }
            let steps = crate::workflow::steps(&self.node, &request, None).await?;
            let answered = !Workflow::new(&request, steps.iter()).steps().is_empty();
            self.book.on_request(&request, home, answered);
        }
        // A request escalated before the restart is not escalated again.
        if self.book.n_awaiting() > 0 {
            let mut query = Query::all(ObjectType::Report, LOAD_PAGE);
            query.kind = Some(ReportKind::SupportAlert.as_str().to_owned());
            for alert in scan_all(&self.node, ObjectType::Report, Some(query)).await? {
                if alert.meta.origin != home {
                    continue;
                }
                if let Body::Report(report) = &alert.body {
                    for word in report.body.split_whitespace() {
                        if let Ok(id) = uuid::Uuid::parse_str(word) {
                            self.book.escalated(id);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    async fn run(mut self, mut changes: tokio::sync::broadcast::Receiver<Arc<LiveChange>>) {
        let mut shutdown = self.node.shutdown_signal();
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.changed() => break,
                _ = tick.tick() => self.on_tick().await,
                change = changes.recv() => match change {
                    Ok(change) => self.on_change(&change),
                    Err(RecvError::Lagged(n_missed)) => {
                        tracing::warn!(n_missed, "support: behind the bus; reloading requests");
                        if let Err(err) = self.load().await {
                            tracing::error!(cause = %err, "support: reloading failed");
                        }
                    }
                    Err(RecvError::Closed) => break,
                },
            }
        }
    }

    fn on_change(&mut self, change: &LiveChange) {
        let LiveChange::Version { object, .. } = change else {
            return;
        };
        match &object.body {
            // An answer already written before the request's version arrives is rare (one
            // node writes both only in tests); the request's own versions say `answered: false`
            // and an answer read later removes it.
            Body::SupportRequest(_) => self.book.on_request(object, self.node.nation(), false),
            Body::SupportResponse(response) if !object.meta.deleted => {
                self.book.on_answer(response.refers_to, object.meta.origin);
            }
            _ => {}
        }
    }

    async fn on_tick(&mut self) {
        let alerts = self.book.on_tick(
            self.node.now(),
            &self.node.config().support,
            self.node.nation(),
        );
        if alerts.is_empty() {
            return;
        }
        for (request, draft) in &alerts {
            tracing::info!(%request, alert = %draft.id, "support: request unanswered in time");
        }
        let ops = alerts
            .into_iter()
            .map(|(_, draft)| WriteOp::Local {
                draft,
                actor: ACTOR.to_owned(),
            })
            .collect();
        match self.node.write(ops).await {
            Ok(outcomes) => {
                for _ in outcomes {
                    self.written.inc();
                }
            }
            Err(err) => {
                self.failed.inc();
                tracing::error!(cause = %err, "support: writing an alert failed");
            }
        }
    }
}

/// Every live object of `object_type` this node holds in the real world (or what `query`
/// narrows to).
async fn scan_all(
    node: &Arc<Node>,
    object_type: ObjectType,
    query: Option<Query>,
) -> anyhow::Result<Vec<Object>> {
    let mut objects = Vec::new();
    let mut cursor = None;
    let base = query.unwrap_or_else(|| Query::all(object_type, LOAD_PAGE));
    loop {
        let mut query = base.clone();
        query.cursor = cursor;
        let page = node
            .with_store(move |store| store.scan(&query, &mut |_| true))
            .await?;
        objects.extend(page.objects);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(objects),
        }
    }
}
