//! The restricted zones the tracker checks, kept in step with the store: every real-world,
//! current zone of kind `restricted` the node holds (its own and partners'), loaded at start
//! and then followed on the live feed (created, changed, deleted, recalled, expired). A change
//! hands the tracker the whole new list.

use std::collections::BTreeMap;
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use liptako_model::{Body, Marking, Nation, Object, ObjectType, ZoneKind};
use liptako_store::Query;
use time::OffsetDateTime;
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use super::engine::Input;
use crate::bus::LiveChange;
use crate::state::Node;

/// How often expired zones are looked for, and a refused hand-over to the tracker retried.
const RECHECK: Duration = Duration::from_secs(1);
/// Page size when loading zones.
const LOAD_PAGE: usize = 1_000;

/// A restricted zone as the air picture knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneInfo {
    /// The zone object's id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// Who made it.
    pub origin: Nation,
    /// Its marking (an alert about it is at least as restricted).
    pub marking: Marking,
    /// Its outer boundary, `(lat, lon)` (the tracker does not take holes).
    pub ring: Vec<(f64, f64)>,
    /// End of validity.
    pub valid_until: Option<OffsetDateTime>,
}

/// The zones in force, by id.
#[derive(Debug, Default)]
pub struct ZoneBook {
    zones: BTreeMap<Uuid, ZoneInfo>,
}

impl ZoneBook {
    /// The zone with this id (the tracker's `zone_id`).
    pub fn get(&self, zone_id: &str) -> Option<&ZoneInfo> {
        Uuid::parse_str(zone_id)
            .ok()
            .and_then(|id| self.zones.get(&id))
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.zones.len()
    }

    /// The zones as the tracker takes them.
    pub fn tracker_zones(&self) -> Vec<liptako_track::Zone> {
        self.zones
            .values()
            .map(|zone| liptako_track::Zone {
                id: zone.id.to_string(),
                name: zone.name.clone(),
                polygon: zone.ring.clone(),
                floor_m: None,
                ceiling_m: None,
            })
            .collect()
    }

    /// Takes in a version (or a recall when `object` is `None` for `id`); true if the zones in
    /// force changed.
    pub fn apply(&mut self, id: Uuid, object: Option<&Object>, now: OffsetDateTime) -> bool {
        match object.and_then(|object| zone_info(object, now)) {
            Some(info) => self.zones.insert(id, info.clone()).as_ref() != Some(&info),
            None => self.zones.remove(&id).is_some(),
        }
    }

    /// Drops zones whose validity ended; true if any did.
    pub fn expire(&mut self, now: OffsetDateTime) -> bool {
        let before = self.zones.len();
        self.zones
            .retain(|_, zone| zone.valid_until.is_none_or(|until| until > now));
        self.zones.len() != before
    }
}

/// The zone in force an object is, if it is one.
fn zone_info(object: &Object, now: OffsetDateTime) -> Option<ZoneInfo> {
    let Body::Zone(zone) = &object.body else {
        return None;
    };
    if object.meta.deleted
        || object.meta.exercise.is_some()
        || zone.kind != ZoneKind::Restricted
        || object.meta.valid_until.is_some_and(|until| until <= now)
    {
        return None;
    }
    let ring: Vec<(f64, f64)> = zone
        .area
        .outer()
        .iter()
        .map(|&[lon, lat]| (lat, lon))
        .collect();
    (ring.len() >= 3).then(|| ZoneInfo {
        id: object.meta.id,
        name: zone.name.clone(),
        origin: object.meta.origin,
        marking: object.meta.marking.clone(),
        ring,
        valid_until: object.meta.valid_until,
    })
}

/// Loads every restricted zone in force from the store.
async fn load(node: &Arc<Node>) -> Result<ZoneBook, crate::state::NodeError> {
    let mut book = ZoneBook::default();
    let mut cursor = None;
    let now = node.now();
    loop {
        let mut query = Query::all(ObjectType::Zone, LOAD_PAGE);
        query.kind = Some(ZoneKind::Restricted.as_str().to_owned());
        query.valid_at = Some(now);
        query.cursor = cursor;
        let page = node
            .with_store(move |store| store.scan(&query, &mut |_| true))
            .await?;
        for object in &page.objects {
            book.apply(object.meta.id, Some(object), now);
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(book),
        }
    }
}

/// Loads the zones, hands them to the tracker, then follows the live feed until shutdown.
/// `book` is shared with the publisher (zone names and markings for alerts).
pub async fn follow(
    node: Arc<Node>,
    book: Arc<RwLock<ZoneBook>>,
    inputs: SyncSender<Input>,
) -> anyhow::Result<()> {
    // Subscribe first, so that nothing committed while loading is missed.
    let mut changes = node.bus().changes();
    let loaded = load(&node)
        .await
        .map_err(|err| anyhow::anyhow!("air picture: loading the restricted zones: {err}"))?;
    tracing::info!(zones = loaded.len(), "air picture: restricted zones loaded");
    *book
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = loaded;
    let mut dirty = true;
    let mut shutdown = node.shutdown_signal();
    let mut recheck = tokio::time::interval(RECHECK);
    loop {
        if dirty {
            let zones = book
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .tracker_zones();
            match inputs.try_send(Input::Zones(zones)) {
                Ok(()) => dirty = false,
                // The tracker is busy: try again at the next recheck.
                Err(TrySendError::Full(_)) => {}
                Err(TrySendError::Disconnected(_)) => return Ok(()),
            }
        }
        tokio::select! {
            change = changes.recv() => match change {
                Ok(change) => {
                    let now = node.now();
                    let mut zones = book.write().unwrap_or_else(std::sync::PoisonError::into_inner);
                    dirty |= match change.as_ref() {
                        LiveChange::Version { object, .. } if object.object_type() == ObjectType::Zone => {
                            zones.apply(object.meta.id, Some(object), now)
                        }
                        LiveChange::Recall { previous: Some(object) } => {
                            zones.apply(object.meta.id, None, now)
                        }
                        _ => false,
                    };
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "air picture: zone follower fell behind the live feed; reloading");
                    match load(&node).await {
                        Ok(loaded) => {
                            *book.write().unwrap_or_else(std::sync::PoisonError::into_inner) = loaded;
                            dirty = true;
                        }
                        Err(err) => tracing::error!(cause = %err, "air picture: reloading the zones failed"),
                    }
                }
                Err(RecvError::Closed) => return Ok(()),
            },
            _ = recheck.tick() => {
                let now = node.now();
                dirty |= book.write().unwrap_or_else(std::sync::PoisonError::into_inner).expire(now);
            }
            _ = shutdown.changed() => return Ok(()),
        }
    }
}
