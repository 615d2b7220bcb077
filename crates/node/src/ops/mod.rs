//! Cross-border operations: pursuit notices raised by this node for its engaged units, and the
//! acknowledgement of partners' notices. Operations themselves are ordinary objects
//! (`/api/v1/operations`, the API's generic routes); so are notices and acknowledgements, read
//! through the same routes and federated like any object.
//!
//! - `border`: a unit's side of the border, with hysteresis (pure);
//! - `pursuit`: [`PursuitBook`], the open pursuits and the writes each event calls for (pure);
//! - `deconfliction`: [`ProximityBook`], deconfliction alerts and protection-of-civilians
//!   warnings: which encounters open and close, and which one node raises each (pure);
//! - [`api`]: `POST /api/v1/pursuit-notices/{id}/acknowledge`;
//! - [`rules`]: users' alert rules and their alerts (`/api/v1/alert-rules`, `/api/v1/alerts`),
//!   node-local, and the task that matches every committed version against them;
//! - [`start`]: the task that follows the bus's committed changes (operations, this node's
//!   units, acknowledgements of its notices) and a one-second tick (durations, escalation),
//!   and writes through the node's write path; a second task follows every unit, operation
//!   and protected site for the proximity book.
//!
//! Queues: the task reads the bus's change topic; when it lags, it reloads the operations from
//! the store (positions missed are superseded by the next ones). Time comes from the node's
//! clock.

pub mod api;
pub mod border;
pub mod deconfliction;
pub mod pursuit;
pub mod rules;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use liptako_geo::{Borders, NationIndex};
use liptako_model::{
    Body, ExerciseWorlds, LinkAccreditation, Nation, Object, ObjectType, ReportKind, Workflow,
};
use liptako_store::{Query, WriteOp};
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use crate::bus::LiveChange;
use crate::config::pursuit::PursuitSection;
use crate::metrics::Counter;
use crate::state::Node;
use border::Location;
pub use deconfliction::ProximityBook;
pub use pursuit::PursuitBook;
use pursuit::{Context, PursuitWrite};

/// Who the audit log names for the notices and alerts this feature writes.
pub const ACTOR: &str = "pursuit";
/// Who the audit log names for deconfliction alerts and protection warnings.
pub const DECONFLICTION_ACTOR: &str = "deconfliction";
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
        exercises: ExerciseWorlds::none(),
        operations: HashMap::new(),
        book: PursuitBook::default(),
        written: HashMap::new(),
        failed: None,
    };
    for what in pursuit::WHATS {
        task.written.insert(
            what,
            node.metrics().counter(
                "liptako_pursuit_writes_total",
                "Pursuit notices raised, updated and ended, and pursuit alerts, by kind.",
                &[("what", what)],
            ),
        );
    }
    task.failed = Some(node.metrics().counter(
        "liptako_pursuit_write_failures_total",
        "Pursuit writes that failed (logged as errors).",
        &[],
    ));
    let changes = node.bus().changes();
    task.load().await?;
    node.spawn(task.run(changes));
    rules::start(node.clone()).await?;
    start_proximity(node).await
}

/// Starts the deconfliction and protection task.
async fn start_proximity(node: Arc<Node>) -> anyhow::Result<()> {
    let mut task = Proximity {
        node: node.clone(),
        links: node
            .links()
            .iter()
            .map(|link| LinkAccreditation {
                nation: link.config.nation,
                ceiling: link.config.ceiling.clone(),
            })
            .collect(),
        exercises: ExerciseWorlds::none(),
        book: ProximityBook::default(),
        written: HashMap::new(),
        failed: node.metrics().counter(
            "liptako_deconfliction_write_failures_total",
            "Deconfliction alerts and protection warnings that failed to be written.",
            &[],
        ),
    };
    for what in deconfliction::WHATS {
        task.written.insert(
            what,
            node.metrics().counter(
                "liptako_deconfliction_writes_total",
                "Deconfliction alerts and protection warnings raised, by kind.",
                &[("what", what)],
            ),
        );
    }
    let changes = node.bus().changes();
    let now = node.now();
    for kind in [
        ReportKind::DeconflictionAlert,
        ReportKind::ProtectionWarning,
    ] {
        for alert in scan_kind(&node, ObjectType::Report, Some(kind.as_str())).await? {
            if alert.meta.origin == node.nation() {
                task.book.restore(&alert, now);
            }
        }
    }
    task.load().await?;
    node.spawn(task.run(changes));
    Ok(())
}

struct Proximity {
    node: Arc<Node>,
    links: Vec<LinkAccreditation>,
    /// The exercise worlds held, read again whenever an exercise changes (whether a link can
    /// carry an alert of an exercise's world; federation decides the exit itself).
    exercises: ExerciseWorlds,
    book: ProximityBook,
    written: HashMap<&'static str, Counter>,
    failed: Counter,
}

impl Proximity {
    /// Reads every unit, operation and zone held; encounters that opened while the node was
    /// down (or while the task lagged) are raised now.
    async fn load(&mut self) -> anyhow::Result<()> {
        self.exercises = self.node.exercise_worlds().await?;
        self.book.clear_objects();
        for object_type in [ObjectType::Operation, ObjectType::Zone, ObjectType::Unit] {
            for object in scan_all(&self.node, object_type).await? {
                let writes = self.book.on_object(
                    Arc::new(object),
                    &proximity_context(&self.node, &self.links, &self.exercises),
                );
                self.write(writes).await;
            }
        }
        Ok(())
    }

    async fn run(mut self, mut changes: tokio::sync::broadcast::Receiver<Arc<LiveChange>>) {
        let mut shutdown = self.node.shutdown_signal();
        loop {
            tokio::select! {
                _ = shutdown.changed() => break,
                change = changes.recv() => match change {
                    Ok(change) => match change.as_ref() {
                        LiveChange::Version { object, .. } => {
                            if matches!(object.body, Body::Exercise(_)) {
                                self.exercises = self.node.exercise_worlds().await.unwrap_or_default();
                            }
                            let writes = self
                                .book
                                .on_object(object.clone(), &proximity_context(&self.node, &self.links, &self.exercises));
                            self.write(writes).await;
                        }
                        LiveChange::Recall { previous: Some(previous) } => {
                            self.book.forget(previous.meta.id);
                        }
                        LiveChange::Recall { previous: None } => {}
                    },
                    Err(RecvError::Lagged(n_missed)) => {
                        tracing::warn!(n_missed, "deconfliction: behind the bus; reloading");
                        if let Err(err) = self.load().await {
                            tracing::error!(cause = %err, "deconfliction: reloading failed");
                        }
                    }
                    Err(RecvError::Closed) => break,
                },
            }
        }
    }

    async fn write(&mut self, writes: Vec<PursuitWrite>) {
        if writes.is_empty() {
            return;
        }
        for write in &writes {
            tracing::info!(id = %write.draft.id, what = write.what, "deconfliction");
        }
        let ops = writes
            .iter()
            .map(|write| WriteOp::Local {
                draft: write.draft.clone(),
                actor: DECONFLICTION_ACTOR.to_owned(),
            })
            .collect();
        match self.node.write(ops).await {
            Ok(_) => {
                for write in &writes {
                    if let Some(counter) = self.written.get(write.what) {
                        counter.inc();
                    }
                }
            }
            Err(err) => {
                self.failed.inc();
                tracing::error!(cause = %err, "deconfliction: a write failed");
            }
        }
    }
}

fn proximity_context<'a>(
    node: &'a Node,
    links: &'a [LinkAccreditation],
    exercises: &'a ExerciseWorlds,
) -> deconfliction::Context<'a> {
    deconfliction::Context {
        policy: node.policy(),
        home: node.nation(),
        links,
        exercises,
        deconfliction: node.config().deconfliction.proximity(),
        protection: node.config().protection.proximity(),
        now: node.now(),
    }
}

struct Pursuits {
    node: Arc<Node>,
    index: NationIndex,
    links: Vec<LinkAccreditation>,
    /// As `Proximity::exercises`.
    exercises: ExerciseWorlds,
    operations: HashMap<Uuid, Arc<Object>>,
    book: PursuitBook,
    written: HashMap<&'static str, Counter>,
    failed: Option<Counter>,
}

impl Pursuits {
    async fn load(&mut self) -> anyhow::Result<()> {
        self.exercises = self.node.exercise_worlds().await?;
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
                    let writes = self.book.on_tick(&context(&self.node, &self.links, &self.exercises));
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
            Body::Exercise(_) => {
                self.exercises = self.node.exercise_worlds().await.unwrap_or_default();
            }
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
                let ctx = context(&self.node, &self.links, &self.exercises);
                let writes = self.book.on_unit(object, location, &operations, &ctx);
                self.write(writes).await;
            }
            _ => {}
        }
    }

    fn locate(&self, lat: f64, lon: f64) -> Location {
        locate(&self.index, &self.node.config().pursuit, lat, lon)
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
            Ok(_) => {
                self.book.written(&writes, self.node.now());
                for write in &writes {
                    if let Some(counter) = self.written.get(write.what) {
                        counter.inc();
                    }
                }
            }
            Err(err) => {
                if let Some(counter) = &self.failed {
                    counter.inc();
                }
                tracing::error!(cause = %err, "pursuit: a write failed");
            }
        }
    }
}

/// Where a position is: the nation under it and how far it is from the nearest border,
/// measured far enough to see a depth past the deepest limit.
fn locate(index: &NationIndex, settings: &PursuitSection, lat: f64, lon: f64) -> Location {
    let deepest_km = settings
        .partners
        .iter()
        .filter_map(|partner| partner.max_depth_km)
        .fold(settings.max_depth_km, f64::max);
    let search_m = (deepest_km * 1000.0 * 1.5).max(settings.hysteresis_m * 4.0);
    Location {
        nation: index
            .nation_at(lat, lon)
            .and_then(|code| Nation::parse(code).ok()),
        distance_to_border_m: index.distance_to_border_m(lat, lon, search_m),
    }
}

fn context<'a>(
    node: &'a Node,
    links: &'a [LinkAccreditation],
    exercises: &'a ExerciseWorlds,
) -> Context<'a> {
    Context {
        policy: node.policy(),
        home: node.nation(),
        links,
        exercises,
        settings: &node.config().pursuit,
        now: node.now(),
    }
}

/// Every live object of `object_type` this node holds, in every world it has seen.
async fn scan_all(node: &Arc<Node>, object_type: ObjectType) -> anyhow::Result<Vec<Object>> {
    scan_kind(node, object_type, None).await
}

/// Every live object of `object_type` (and of `kind`, if given) this node holds.
async fn scan_kind(
    node: &Arc<Node>,
    object_type: ObjectType,
    kind: Option<&str>,
) -> anyhow::Result<Vec<Object>> {
    let mut objects = Vec::new();
    let mut cursor = None;
    loop {
        let mut query = Query::all(object_type, LOAD_PAGE);
        query.kind = kind.map(str::to_owned);
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

#[cfg(test)]
mod tests {
    use super::*;
    use border::{BorderWatch, Crossing};
    use proptest::prelude::*;

    fn index() -> NationIndex {
        Borders::natural_earth()
            .unwrap()
            .only(&["MLI", "BFA", "NER"])
            .index(None)
    }

    /// On the Natural Earth borders: along latitude 15.3 the MLI/NER line is at longitude
    /// 1.82; a unit that rides it with up to 800 m of wobble each way, then goes in, enters
    /// once; the depth reported grows with the distance.
    #[test]
    fn riding_the_real_mli_ner_line_enters_once() {
        let index = index();
        let settings = PursuitSection::default();
        let mli = Nation::parse("MLI").unwrap();
        let is_partner = |nation: Nation| nation != mli;
        let mut watch = BorderWatch::default();
        let mut crossings = Vec::new();
        crossings.extend(watch.observe(locate(&index, &settings, 15.3, 1.4), 1000.0, is_partner));
        for step in 0..200 {
            // 0.0075 degrees of longitude at this latitude is 800 m.
            let wobble = if step % 2 == 0 { 0.0075 } else { -0.0075 };
            let lon = 1.82 + wobble * f64::from(step % 5) / 4.0;
            crossings.extend(watch.observe(
                locate(&index, &settings, 15.3, lon),
                1000.0,
                is_partner,
            ));
        }
        assert!(crossings.is_empty(), "{crossings:?}");
        // The line runs nearly along the parallel here: 1.9 is 300 m inside, 3.0 is 4.4 km.
        let shallow = locate(&index, &settings, 15.3, 1.9);
        assert_eq!(shallow.nation, Nation::parse("NER").ok());
        crossings.extend(watch.observe(shallow, 1000.0, is_partner));
        assert!(crossings.is_empty(), "{crossings:?}");
        let inside = locate(&index, &settings, 15.3, 3.0);
        assert_eq!(inside.nation, Nation::parse("NER").ok());
        assert!(inside.distance_to_border_m > 1000.0, "{inside:?}");
        crossings.extend(watch.observe(inside, 1000.0, is_partner));
        assert_eq!(
            crossings,
            vec![Crossing::Entered(Nation::parse("NER").unwrap())]
        );
        let deeper = locate(&index, &settings, 15.3, 4.5);
        assert!(deeper.distance_to_border_m > inside.distance_to_border_m + 50_000.0);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]
        /// Any path that never goes more than 900 m east of the line (in longitude, so less
        /// across it) raises nothing, however it wobbles.
        #[test]
        fn a_path_along_the_real_line_raises_nothing(
            offsets in proptest::collection::vec(-0.05f64..0.0084, 1..60),
        ) {
            let index = index();
            let settings = PursuitSection::default();
            let mli = Nation::parse("MLI").unwrap();
            let mut watch = BorderWatch::default();
            for offset in offsets {
                let crossings = watch.observe(
                    locate(&index, &settings, 15.3, 1.82 + offset),
                    1000.0,
                    |nation| nation != mli,
                );
                prop_assert!(crossings.is_empty(), "{:?} at {}", crossings, offset);
            }
        }
    }
}
