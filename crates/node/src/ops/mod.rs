//! Cross-border operations: pursuit notices raised by this node for its engaged units, and the
//! acknowledgement of partners' notices. Operations themselves are ordinary objects
//! (`/api/v1/operations`, the API's generic routes); so are notices and acknowledgements, read
//! through the same routes and federated like any object.
//!
//! - `border`: a unit's side of the border, with hysteresis (pure);
//! - `pursuit`: [`PursuitBook`], the open pursuits and the writes each event calls for (pure);
//! - [`api`]: `POST /api/v1/pursuit-notices/{id}/acknowledge`;
//! - [`start`]: the task that follows the bus's committed changes (operations, this node's
//!   units, acknowledgements of its notices) and a one-second tick (durations, escalation),
//!   and writes through the node's write path.
//!
//! Queues: the task reads the bus's change topic; when it lags, it reloads the operations from
//! the store (positions missed are superseded by the next ones). Time comes from the node's
//! clock.

pub mod api;
pub mod border;
pub mod pursuit;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use liptako_geo::{Borders, NationIndex};
use liptako_model::{Body, LinkAccreditation, Nation, Object, ObjectType, Workflow};
use liptako_store::{Query, WriteOp};
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use crate::bus::LiveChange;
use crate::state::Node;
use border::Location;
pub use pursuit::PursuitBook;
use pursuit::{Context, PursuitWrite};

/// Who the audit log names for the notices and alerts this feature writes.
pub const ACTOR: &str = "pursuit";
/// How often durations and escalations are checked.
const TICK: Duration = Duration::from_secs(1);
/// Objects read per page when loading.
const LOAD_PAGE: usize = 500;

/// Starts the pursuit task.
pub async fn start(node: Arc<Node>) -> anyhow::Result<()> {
    let members: Vec<String> = node
        .policy()
        .confederation()
        .members()
        .iter()
        .map(|nation| nation.as_str().to_owned())
        .collect();
    let index = tokio::task::spawn_blocking(move || {
        let codes: Vec<&str> = members.iter().map(String::as_str).collect();
        Borders::natural_earth().map(|borders| borders.only(&codes).index(None))
    })
    .await
    .context("loading the borders")?
    .context("the embedded Natural Earth borders")?;
    let mut task = Pursuits {
        node: node.clone(),
        index,
        links: node
            .links()
            .iter()
            .map(|link| LinkAccreditation {
                nation: link.config.nation,
                ceiling: link.config.ceiling.clone(),
            })
            .collect(),
        operations: HashMap::new(),
        book: PursuitBook::default(),
    };
    let changes = node.bus().changes();
    task.load().await?;
    node.spawn(task.run(changes));
    Ok(())
}

struct Pursuits {
    node: Arc<Node>,
    index: NationIndex,
    links: Vec<LinkAccreditation>,
    operations: HashMap<Uuid, Arc<Object>>,
    book: PursuitBook,
}

impl Pursuits {
    async fn load(&mut self) -> anyhow::Result<()> {
        self.operations.clear();
        for object in scan_all(&self.node, ObjectType::Operation).await? {
            self.operations.insert(object.meta.id, Arc::new(object));
        }
        if self.book.n_open() == 0 {
            let home = self.node.nation();
            for notice in scan_all(&self.node, ObjectType::PursuitNotice).await? {
                if notice.meta.origin != home {
                    continue;
                }
                let steps = crate::workflow::steps(&self.node, &notice, None).await?;
                let acknowledged = Workflow::new(&notice, steps.iter())
                    .state()
                    .acknowledged
                    .is_some();
                self.book
                    .restore(&notice, acknowledged, &self.node.config().pursuit);
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
                _ = tick.tick() => {
                    let writes = self.book.on_tick(&context(&self.node, &self.links));
                    self.write(writes).await;
                }
                change = changes.recv() => match change {
                    Ok(change) => self.on_change(&change).await,
                    Err(RecvError::Lagged(n_missed)) => {
                        tracing::warn!(n_missed, "pursuit: behind the bus; reloading operations");
                        if let Err(err) = self.load().await {
                            tracing::error!(cause = %err, "pursuit: reloading failed");
                        }
                    }
                    Err(RecvError::Closed) => break,
                },
            }
        }
    }

    async fn on_change(&mut self, change: &LiveChange) {
        let LiveChange::Version { object, .. } = change else {
            if let LiveChange::Recall {
                previous: Some(previous),
            } = change
            {
                self.operations.remove(&previous.meta.id);
            }
            return;
        };
        match &object.body {
            Body::Operation(_) => {
                if object.meta.deleted {
                    self.operations.remove(&object.meta.id);
                } else {
                    self.operations.insert(object.meta.id, object.clone());
                }
            }
            Body::Acknowledgement(ack) => {
                self.book.acknowledged(ack.refers_to, object.meta.origin);
            }
            Body::Unit(unit) if object.meta.origin == self.node.nation() => {
                let Some(position) = unit.position else {
                    return;
                };
                let engaged = self.book.is_open(object.meta.id)
                    || self.operations.values().any(|operation| {
                        matches!(&operation.body, Body::Operation(op) if op.engages(object.meta.id))
                    });
                if !engaged {
                    return;
                }
                let location = self.locate(position.lat, position.lon);
                let operations: Vec<&Object> =
                    self.operations.values().map(|op| op.as_ref()).collect();
                let ctx = context(&self.node, &self.links);
                let writes = self.book.on_unit(object, location, &operations, &ctx);
                self.write(writes).await;
            }
            _ => {}
        }
    }

    fn locate(&self, lat: f64, lon: f64) -> Location {
        let settings = &self.node.config().pursuit;
        let deepest_km = settings
            .partners
            .iter()
            .filter_map(|partner| partner.max_depth_km)
            .fold(settings.max_depth_km, f64::max);
        // Far enough to measure a depth past the deepest limit.
        let search_m = (deepest_km * 1000.0 * 1.5).max(settings.hysteresis_m * 4.0);
        Location {
            nation: self
                .index
                .nation_at(lat, lon)
                .and_then(|code| Nation::parse(code).ok()),
            distance_to_border_m: self.index.distance_to_border_m(lat, lon, search_m),
        }
    }

    async fn write(&mut self, writes: Vec<PursuitWrite>) {
        if writes.is_empty() {
            return;
        }
        for write in &writes {
            tracing::info!(id = %write.draft.id, what = write.what, "pursuit");
        }
        let ops = writes
            .iter()
            .map(|write| WriteOp::Local {
                draft: write.draft.clone(),
                actor: ACTOR.to_owned(),
            })
            .collect();
        match self.node.write(ops).await {
            Ok(_) => self.book.written(&writes, self.node.now()),
            Err(err) => tracing::error!(cause = %err, "pursuit: a write failed"),
        }
    }
}

fn context<'a>(node: &'a Node, links: &'a [LinkAccreditation]) -> Context<'a> {
    Context {
        policy: node.policy(),
        home: node.nation(),
        links,
        settings: &node.config().pursuit,
        now: node.now(),
    }
}

/// Every live object of `object_type` this node holds, in every world it has seen.
async fn scan_all(node: &Arc<Node>, object_type: ObjectType) -> anyhow::Result<Vec<Object>> {
    let mut objects = Vec::new();
    let mut cursor = None;
    loop {
        let mut query = Query::all(object_type, LOAD_PAGE);
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
