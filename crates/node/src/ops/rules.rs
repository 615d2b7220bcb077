//! Alert rules: a user's standing question ("anything of these types and kinds, at or above
//! this level, of these nations, in this area") and the alerts it raises, for that user only.
//!
//! - `/api/v1/alert-rules` (list, create), `/api/v1/alert-rules/{id}` (read, replace, delete):
//!   the caller's own rules only; another user's rule is answered like a missing one. At most
//!   [`MAX_RULES_PER_USER`] rules per user.
//! - `GET /api/v1/alerts`, `POST /api/v1/alerts/{id}/acknowledge`: the caller's alerts. At most
//!   [`MAX_ALERTS_PER_USER`] are kept per user (the oldest acknowledged go first, then the
//!   oldest).
//! - The task ([`start`]) follows the bus's committed changes: each new version that is not a
//!   deletion is matched against every rule; a rule matches only what its owner may see
//!   **now** (`Policy::allows` with the owner's principal, read from the account at each
//!   decision: a disabled account matches nothing, a demoted one only what it may still see).
//!   An object raises one alert per rule when it starts matching (a unit moving inside the
//!   area raises one, not one per position); it may raise again after it stopped matching.
//!   The alert goes to the owner's live feeds (`{"op":"alert"}` on the bus's user-alert
//!   topic, delivered to that user's sessions only) and to the owner's list.
//!
//! **Node-local, never federated.** Rules and alerts are not objects: they live in
//! `DATA/alert-rules.json` (written whole, to a new file renamed over the old), outside the
//! store whose logs federation reads, so no path can carry them to a partner. An alert records
//! only the rule, the object's id, type, kind, origin and version, and the time: listing
//! alerts checks each object again against the caller's current principal and leaves out what
//! they may no longer see.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use liptako_model::{
    Area, Audience, Body, Nation, Object, ObjectType, Point, Policy, Principal, Role,
    check_exercise_name,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use super::deconfliction::{point_to_polygons_km, polygons_distance_km};
use super::pursuit::distance_m;
use crate::bus::LiveChange;
use crate::http::error::AppError;
use crate::http::extract::Caller;
use crate::state::Node;

/// Most rules one user keeps.
pub const MAX_RULES_PER_USER: usize = 20;
/// Most alerts kept per user.
pub const MAX_ALERTS_PER_USER: usize = 200;
/// Most (rule, object) pairs remembered as matching; beyond, the memory starts afresh (an
/// object still matching may then alert once more).
const MAX_MATCHED: usize = 100_000;
/// The file, in the node's data directory.
pub const FILE: &str = "alert-rules.json";
/// Longest rule name.
const MAX_NAME_CHARS: usize = 100;
/// Most entries in each list of a rule.
const MAX_LIST: usize = 32;
/// Largest radius, metres.
const MAX_RADIUS_M: f64 = 2_000_000.0;

/// A circle: a point and a radius.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Circle {
    /// The centre.
    pub center: Point,
    /// The radius, metres (1 to 2 000 000).
    pub radius_m: f64,
}

/// What a client writes to create or replace a rule. Exactly one of `area` and `circle`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertRuleInput {
    /// A name for the owner.
    pub name: String,
    /// A GeoJSON `Polygon` or `MultiPolygon`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<Area>,
    /// Or a point and a radius.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub circle: Option<Circle>,
    /// Only these object types (empty: all).
    #[serde(default)]
    pub types: Vec<ObjectType>,
    /// Only these kinds (report kinds, zone kinds, operation statuses; empty: all).
    #[serde(default)]
    pub kinds: Vec<String>,
    /// Only objects marked at or above this level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_level: Option<String>,
    /// Only objects of these nations (empty: all).
    #[serde(default)]
    pub nations: Vec<Nation>,
    /// The exercise whose world the rule watches (absent: the real world).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exercise: Option<String>,
}

/// A rule, as stored and listed: its id, owner and creation time, and what it asks (the
/// fields of [`AlertRuleInput`], written out: the API's schemas are flat).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AlertRule {
    /// Its id.
    pub id: Uuid,
    /// The user it belongs to.
    pub owner: String,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created: OffsetDateTime,
    /// A name for the owner.
    pub name: String,
    /// A GeoJSON `Polygon` or `MultiPolygon`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<Area>,
    /// Or a point and a radius.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub circle: Option<Circle>,
    /// Only these object types (empty: all).
    #[serde(default)]
    pub types: Vec<ObjectType>,
    /// Only these kinds (empty: all).
    #[serde(default)]
    pub kinds: Vec<String>,
    /// Only objects marked at or above this level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_level: Option<String>,
    /// Only objects of these nations (empty: all).
    #[serde(default)]
    pub nations: Vec<Nation>,
    /// The exercise whose world the rule watches (absent: the real world).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exercise: Option<String>,
}

impl AlertRule {
    /// A rule of `owner` asking `input`.
    pub fn new(
        id: Uuid,
        owner: String,
        created: OffsetDateTime,
        input: AlertRuleInput,
    ) -> AlertRule {
        let mut rule = AlertRule {
            id,
            owner,
            created,
            name: String::new(),
            area: None,
            circle: None,
            types: Vec::new(),
            kinds: Vec::new(),
            min_level: None,
            nations: Vec::new(),
            exercise: None,
        };
        rule.set(input);
        rule
    }

    /// Replaces what it asks.
    pub fn set(&mut self, input: AlertRuleInput) {
        self.name = input.name;
        self.area = input.area;
        self.circle = input.circle;
        self.types = input.types;
        self.kinds = input.kinds;
        self.min_level = input.min_level;
        self.nations = input.nations;
        self.exercise = input.exercise;
    }
}

/// An alert raised by a rule, for its owner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UserAlert {
    /// Its id.
    pub id: Uuid,
    /// The rule that matched.
    pub rule: Uuid,
    /// The rule's name then.
    pub rule_name: String,
    /// The user it is for.
    pub owner: String,
    /// The object that matched.
    pub object: Uuid,
    /// Its type.
    pub object_type: ObjectType,
    /// Its kind, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Its origin.
    pub origin: Nation,
    /// The version that matched.
    pub version: u64,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// When the owner acknowledged it.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub acknowledged: Option<OffsetDateTime>,
}

/// The file's content.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Saved {
    #[serde(default)]
    rules: Vec<AlertRule>,
    #[serde(default)]
    alerts: Vec<UserAlert>,
}

/// The node's rules and alerts (one per node: `Node::shared`).
pub struct RuleBook {
    path: PathBuf,
    saved: Mutex<Saved>,
    matched: Mutex<HashSet<(Uuid, Uuid)>>,
    /// Saves one at a time (each writes the latest state).
    save_lock: tokio::sync::Mutex<()>,
}

impl RuleBook {
    /// Reads `dir/alert-rules.json` (absent or unreadable: none; an unreadable file is logged
    /// and kept aside as `.bad`).
    pub fn load(dir: &Path) -> RuleBook {
        let path = dir.join(FILE);
        let saved = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|err| {
                tracing::error!(cause = %err, path = %path.display(), "alert rules unreadable; starting without");
                let _ = std::fs::rename(&path, path.with_extension("json.bad"));
                Saved::default()
            }),
            Err(_) => Saved::default(),
        };
        RuleBook {
            path,
            saved: Mutex::new(saved),
            matched: Mutex::new(HashSet::new()),
            save_lock: tokio::sync::Mutex::new(()),
        }
    }

    fn with<T>(&self, call: impl FnOnce(&mut Saved) -> T) -> T {
        let mut saved = self.saved.lock().unwrap_or_else(PoisonError::into_inner);
        call(&mut saved)
    }

    /// Every rule.
    pub fn rules(&self) -> Vec<AlertRule> {
        self.with(|saved| saved.rules.clone())
    }

    /// Every alert kept for `owner`, oldest first.
    pub fn alerts_of(&self, owner: &str) -> Vec<UserAlert> {
        self.with(|saved| {
            saved
                .alerts
                .iter()
                .filter(|alert| alert.owner == owner)
                .cloned()
                .collect()
        })
    }

    /// Writes the current state to the file.
    async fn save(&self) -> Result<(), AppError> {
        let _one = self.save_lock.lock().await;
        let bytes = self
            .with(|saved| serde_json::to_vec_pretty(&*saved))
            .map_err(|err| AppError::internal(format!("alert rules: {err}")))?;
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || write_atomically(&path, &bytes))
            .await
            .map_err(|err| AppError::internal(format!("alert rules: {err}")))?
            .map_err(|err| AppError::internal(format!("alert rules: writing: {err}")))
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let tmp = path.with_extension("json.tmp");
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// The node's rule book (read by [`start`]; read here, at once, when the routes serve a node
/// whose tasks were not started, as in-process tests).
pub fn book(node: &Node) -> Arc<RuleBook> {
    node.shared(|| RuleBook::load(node.data_dir()))
}

/// Checks a rule as written; the error names the field.
pub fn check(input: &AlertRuleInput, policy: &Policy) -> Result<(), String> {
    let n_chars = input.name.chars().count();
    if n_chars == 0 || n_chars > MAX_NAME_CHARS || input.name.chars().any(char::is_control) {
        return Err(format!(
            "name: 1 to {MAX_NAME_CHARS} characters, no control characters"
        ));
    }
    match (&input.area, &input.circle) {
        (Some(area), None) => area.check().map_err(|err| format!("area: {err}"))?,
        (None, Some(circle)) => {
            circle
                .center
                .check()
                .map_err(|err| format!("circle.center: {err}"))?;
            if !circle.radius_m.is_finite() || !(1.0..=MAX_RADIUS_M).contains(&circle.radius_m) {
                return Err(format!("circle.radius_m: 1 to {MAX_RADIUS_M}"));
            }
        }
        _ => return Err("area: give exactly one of area and circle".into()),
    }
    if input.types.len() > MAX_LIST
        || input.kinds.len() > MAX_LIST
        || input.nations.len() > MAX_LIST
    {
        return Err(format!("types, kinds, nations: at most {MAX_LIST} each"));
    }
    if let Some(kind) = input.kinds.iter().find(|kind| {
        kind.is_empty()
            || kind.len() > 40
            || !kind.chars().all(|c| c.is_ascii_lowercase() || c == '_')
    }) {
        return Err(format!("kinds: {kind:?} is not a kind"));
    }
    if let Some(level) = &input.min_level
        && policy.levels().rank(level).is_none()
    {
        return Err(format!(
            "min_level: {level:?} is not one of {}",
            policy.levels().names().join(", ")
        ));
    }
    if let Some(nation) = input
        .nations
        .iter()
        .find(|nation| !policy.confederation().is_member(**nation))
    {
        return Err(format!("nations: {nation} is not a member"));
    }
    if let Some(exercise) = &input.exercise {
        check_exercise_name(exercise).map_err(|err| format!("exercise: {err}"))?;
    }
    Ok(())
}

/// Whether `object` answers the rule's question (types, kinds, level, nations, world, area).
/// Whether the owner may see it is decided apart, with `Policy::allows`.
pub fn matches(rule: &AlertRule, object: &Object, policy: &Policy) -> bool {
    if object.meta.deleted || object.meta.exercise != rule.exercise {
        return false;
    }
    if !rule.types.is_empty() && !rule.types.contains(&object.body.object_type()) {
        return false;
    }
    if !rule.kinds.is_empty()
        && !object
            .body
            .kind_str()
            .is_some_and(|kind| rule.kinds.iter().any(|wanted| wanted == kind))
    {
        return false;
    }
    if !rule.nations.is_empty() && !rule.nations.contains(&object.meta.origin) {
        return false;
    }
    if let Some(min_level) = &rule.min_level {
        match (
            policy.levels().rank(min_level),
            policy.levels().rank(&object.meta.marking.level),
        ) {
            (Some(min), Some(level)) if level >= min => {}
            _ => return false,
        }
    }
    let (point, polygons) = match &object.body {
        Body::Report(report) => (report.location, Vec::new()),
        Body::Unit(unit) => (unit.position, Vec::new()),
        Body::Zone(zone) => (None, vec![zone.area.clone()]),
        Body::Operation(operation) => (None, operation.area.polygons()),
        Body::PursuitNotice(notice) => (
            Some(
                notice
                    .track
                    .last()
                    .copied()
                    .unwrap_or(notice.crossing_point),
            ),
            Vec::new(),
        ),
        _ => (None, Vec::new()),
    };
    match (&rule.area, &rule.circle, point) {
        (Some(area), _, Some(point)) => area.contains(point),
        (Some(area), _, None) if !polygons.is_empty() => {
            polygons_distance_km(&area.polygons(), &polygons) <= 0.0
        }
        (None, Some(circle), Some(point)) => distance_m(circle.center, point) <= circle.radius_m,
        (None, Some(circle), None) if !polygons.is_empty() => {
            point_to_polygons_km(circle.center, &polygons) * 1000.0 <= circle.radius_m
        }
        _ => false,
    }
}

/// Reads the rules (off the async threads) and starts the task that matches every committed
/// version against them.
pub async fn start(node: Arc<Node>) -> anyhow::Result<()> {
    let dir = node.data_dir().to_owned();
    let loaded = tokio::task::spawn_blocking(move || RuleBook::load(&dir)).await?;
    let rules = node.shared(|| loaded);
    let changes = node.bus().changes();
    node.spawn(run(node.clone(), rules, changes));
    Ok(())
}

async fn run(
    node: Arc<Node>,
    rules: Arc<RuleBook>,
    mut changes: tokio::sync::broadcast::Receiver<Arc<LiveChange>>,
) {
    let mut shutdown = node.shutdown_signal();
    let raised = node.metrics().counter(
        "liptako_alert_rule_alerts_total",
        "Alerts raised by users' alert rules.",
        &[],
    );
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            change = changes.recv() => match change {
                Ok(change) => {
                    if let LiveChange::Version { object, .. } = change.as_ref() {
                        let n = evaluate(&node, &rules, object).await;
                        for _ in 0..n {
                            raised.inc();
                        }
                    }
                }
                Err(RecvError::Lagged(n_missed)) => {
                    // Missed versions are superseded by the next ones of the same objects.
                    tracing::warn!(n_missed, "alert rules: behind the bus");
                }
                Err(RecvError::Closed) => break,
            },
        }
    }
}

/// The owner's principal now, if the account exists and is enabled.
async fn owner_principal(node: &Node, owner: &str) -> Option<Principal> {
    match node.users().account(node, owner).await {
        Ok(Some(user)) if !user.disabled => Some(crate::auth::user_principal(&user)),
        Ok(_) => None,
        Err(err) => {
            tracing::warn!(cause = %err, "alert rules: reading an owner's account");
            None
        }
    }
}

/// Matches one version against every rule; returns how many alerts it raised.
pub async fn evaluate(node: &Node, rules: &RuleBook, object: &Object) -> usize {
    let mut n_raised = 0;
    let mut new_alerts = Vec::new();
    for rule in rules.rules() {
        let key = (rule.id, object.meta.id);
        let hit = if matches(&rule, object, node.policy()) {
            match owner_principal(node, &rule.owner).await {
                Some(principal) => node.policy().allows(
                    Audience::reader(&principal, rule.exercise.as_deref()),
                    object,
                ),
                None => false,
            }
        } else {
            false
        };
        let fresh = {
            let mut matched = rules.matched.lock().unwrap_or_else(PoisonError::into_inner);
            if hit {
                if matched.len() >= MAX_MATCHED {
                    matched.clear();
                }
                matched.insert(key)
            } else {
                matched.remove(&key);
                false
            }
        };
        if !fresh {
            continue;
        }
        new_alerts.push(UserAlert {
            id: Uuid::now_v7(),
            rule: rule.id,
            rule_name: rule.name.clone(),
            owner: rule.owner.clone(),
            object: object.meta.id,
            object_type: object.body.object_type(),
            kind: object.body.kind_str().map(str::to_owned),
            origin: object.meta.origin,
            version: object.meta.version,
            at: node.now(),
            acknowledged: None,
        });
    }
    if new_alerts.is_empty() {
        return 0;
    }
    rules.with(|saved| {
        for alert in &new_alerts {
            saved.alerts.push(alert.clone());
            keep_within_cap(&mut saved.alerts, &alert.owner);
        }
    });
    if let Err(err) = rules.save().await {
        tracing::error!(cause = %err, "alert rules: saving alerts");
    }
    for alert in new_alerts {
        let message = serde_json::json!({ "op": "alert", "alert": alert }).to_string();
        node.bus().publish_user_alert(&alert.owner, message);
        n_raised += 1;
    }
    n_raised
}

/// Keeps at most [`MAX_ALERTS_PER_USER`] of `owner`'s alerts: the oldest acknowledged go
/// first, then the oldest.
fn keep_within_cap(alerts: &mut Vec<UserAlert>, owner: &str) {
    loop {
        let n_owned = alerts.iter().filter(|alert| alert.owner == owner).count();
        if n_owned <= MAX_ALERTS_PER_USER {
            return;
        }
        let victim = alerts
            .iter()
            .position(|alert| alert.owner == owner && alert.acknowledged.is_some())
            .or_else(|| alerts.iter().position(|alert| alert.owner == owner));
        match victim {
            Some(idx) => {
                alerts.remove(idx);
            }
            None => return,
        }
    }
}

/// The feature's routes.
pub fn routes() -> Router<Arc<Node>> {
    Router::new()
        .route(
            "/api/v1/alert-rules",
            axum::routing::get(list_rules).post(create_rule),
        )
        .route(
            "/api/v1/alert-rules/{id}",
            axum::routing::get(get_rule)
                .put(replace_rule)
                .delete(delete_rule),
        )
        .route("/api/v1/alerts", axum::routing::get(list_alerts))
        .route(
            "/api/v1/alerts/{id}/acknowledge",
            axum::routing::post(acknowledge_alert),
        )
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list_rules, create_rule, get_rule, replace_rule, delete_rule, list_alerts, acknowledge_alert),
    components(schemas(AlertRuleInput, AlertRule, UserAlert, Circle)),
    tags((name = "alerts", description = "Users' alert rules and their alerts (node-local, never federated)"))
)]
struct RulesDoc;

/// The feature's part of the OpenAPI document.
pub fn document() -> utoipa::openapi::OpenApi {
    <RulesDoc as utoipa::OpenApi>::openapi()
}

fn parse_input(body: &Bytes, node: &Node) -> Result<AlertRuleInput, AppError> {
    let input: AlertRuleInput = serde_json::from_slice(body)
        .map_err(|err| AppError::BadRequest(format!("invalid body: {err}")))?;
    check(&input, node.policy()).map_err(AppError::BadRequest)?;
    Ok(input)
}

fn rule_id(id: &str) -> Result<Uuid, AppError> {
    // A malformed id names nothing: answered like any unknown id.
    Uuid::parse_str(id).map_err(|_| AppError::NotFound)
}

/// `GET /api/v1/alert-rules`
#[utoipa::path(get, path = "/api/v1/alert-rules", tag = "alerts",
    responses((status = 200, body = Vec<AlertRule>, description = "The caller's rules")),
    security(("bearer" = [])))]
pub async fn list_rules(
    State(node): State<Arc<Node>>,
    caller: Caller,
) -> Result<Json<Vec<AlertRule>>, AppError> {
    let name = caller.0.name;
    Ok(Json(book(&node).with(|saved| {
        saved
            .rules
            .iter()
            .filter(|rule| rule.owner == name)
            .cloned()
            .collect()
    })))
}

/// `POST /api/v1/alert-rules`
#[utoipa::path(post, path = "/api/v1/alert-rules", tag = "alerts",
    request_body = AlertRuleInput,
    responses(
        (status = 201, body = AlertRule, description = "Created"),
        (status = 400, description = "A bad rule"),
        (status = 403, description = "Not a user account of this node"),
        (status = 409, description = "The caller already has the most rules allowed"),
    ),
    security(("bearer" = [])))]
pub async fn create_rule(
    State(node): State<Arc<Node>>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, AppError> {
    caller.require(Role::Viewer)?;
    let input = parse_input(&body, &node)?;
    let owner = caller.0.name;
    if owner_principal(&node, &owner).await.is_none() {
        return Err(AppError::Forbidden(
            "alert rules belong to user accounts of this node".into(),
        ));
    }
    let rules = book(&node);
    let rule = rules.with(|saved| {
        let n_owned = saved
            .rules
            .iter()
            .filter(|rule| rule.owner == owner)
            .count();
        if n_owned >= MAX_RULES_PER_USER {
            return Err(AppError::Conflict {
                message: format!("at most {MAX_RULES_PER_USER} alert rules per user"),
                current_version: None,
            });
        }
        let rule = AlertRule::new(Uuid::now_v7(), owner.clone(), node.now(), input);
        saved.rules.push(rule.clone());
        Ok(rule)
    })?;
    rules.save().await?;
    Ok((StatusCode::CREATED, Json(rule)).into_response())
}

/// `GET /api/v1/alert-rules/{id}`
#[utoipa::path(get, path = "/api/v1/alert-rules/{id}", tag = "alerts",
    params(("id" = Uuid, Path, description = "The rule")),
    responses((status = 200, body = AlertRule, description = "The rule"),
              (status = 404, description = "No such rule of the caller's")),
    security(("bearer" = [])))]
pub async fn get_rule(
    State(node): State<Arc<Node>>,
    caller: Caller,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<AlertRule>, AppError> {
    let id = rule_id(&id)?;
    let name = caller.0.name;
    book(&node)
        .with(|saved| {
            saved
                .rules
                .iter()
                .find(|rule| rule.id == id && rule.owner == name)
                .cloned()
        })
        .map(Json)
        .ok_or(AppError::NotFound)
}

/// `PUT /api/v1/alert-rules/{id}`
#[utoipa::path(put, path = "/api/v1/alert-rules/{id}", tag = "alerts",
    params(("id" = Uuid, Path, description = "The rule")),
    request_body = AlertRuleInput,
    responses((status = 200, body = AlertRule, description = "Replaced"),
              (status = 400, description = "A bad rule"),
              (status = 404, description = "No such rule of the caller's")),
    security(("bearer" = [])))]
pub async fn replace_rule(
    State(node): State<Arc<Node>>,
    caller: Caller,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> Result<Json<AlertRule>, AppError> {
    let id = rule_id(&id)?;
    let input = parse_input(&body, &node)?;
    let name = caller.0.name;
    let rules = book(&node);
    let rule = rules
        .with(|saved| {
            let rule = saved
                .rules
                .iter_mut()
                .find(|rule| rule.id == id && rule.owner == name)?;
            rule.set(input);
            Some(rule.clone())
        })
        .ok_or(AppError::NotFound)?;
    rules
        .matched
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .retain(|(rule, _)| *rule != id);
    rules.save().await?;
    Ok(Json(rule))
}

/// `DELETE /api/v1/alert-rules/{id}`
#[utoipa::path(delete, path = "/api/v1/alert-rules/{id}", tag = "alerts",
    params(("id" = Uuid, Path, description = "The rule")),
    responses((status = 204, description = "Deleted"),
              (status = 404, description = "No such rule of the caller's")),
    security(("bearer" = [])))]
pub async fn delete_rule(
    State(node): State<Arc<Node>>,
    caller: Caller,
    UrlPath(id): UrlPath<String>,
) -> Result<StatusCode, AppError> {
    let id = rule_id(&id)?;
    let name = caller.0.name;
    let rules = book(&node);
    let removed = rules.with(|saved| {
        let before = saved.rules.len();
        saved
            .rules
            .retain(|rule| !(rule.id == id && rule.owner == name));
        saved.rules.len() < before
    });
    if !removed {
        return Err(AppError::NotFound);
    }
    rules.save().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/alerts`
#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts",
    responses((status = 200, body = Vec<UserAlert>, description = "The caller's alerts, newest first, about objects the caller may still see")),
    security(("bearer" = [])))]
pub async fn list_alerts(
    State(node): State<Arc<Node>>,
    caller: Caller,
) -> Result<Json<Vec<UserAlert>>, AppError> {
    let principal = caller.0;
    let mine: Vec<UserAlert> = book(&node).with(|saved| {
        saved
            .alerts
            .iter()
            .rev()
            .filter(|alert| alert.owner == principal.name)
            .cloned()
            .collect()
    });
    let mut shown = Vec::with_capacity(mine.len());
    for alert in mine {
        if still_visible(&node, &principal, &alert).await? {
            shown.push(alert);
        }
    }
    Ok(Json(shown))
}

/// Whether the caller may still see the object an alert is about (in any world it matched in:
/// the object's own).
async fn still_visible(
    node: &Arc<Node>,
    principal: &Principal,
    alert: &UserAlert,
) -> Result<bool, AppError> {
    Ok(match node.get_object(alert.object).await? {
        Some(stored) => {
            let object = stored.object;
            !object.meta.deleted
                && node.policy().allows(
                    Audience::reader(principal, object.meta.exercise.as_deref()),
                    object.as_ref(),
                )
        }
        None => false,
    })
}

/// `POST /api/v1/alerts/{id}/acknowledge`
#[utoipa::path(post, path = "/api/v1/alerts/{id}/acknowledge", tag = "alerts",
    params(("id" = Uuid, Path, description = "The alert")),
    responses((status = 200, body = UserAlert, description = "Acknowledged (again: unchanged)"),
              (status = 404, description = "No such alert of the caller's")),
    security(("bearer" = [])))]
pub async fn acknowledge_alert(
    State(node): State<Arc<Node>>,
    caller: Caller,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<UserAlert>, AppError> {
    let id = rule_id(&id)?;
    let principal = caller.0;
    let rules = book(&node);
    let alert = rules
        .with(|saved| {
            saved
                .alerts
                .iter()
                .find(|alert| alert.id == id && alert.owner == principal.name)
                .cloned()
        })
        .ok_or(AppError::NotFound)?;
    if !still_visible(&node, &principal, &alert).await? {
        return Err(AppError::NotFound);
    }
    let now = node.now();
    let alert = rules
        .with(|saved| {
            let alert = saved.alerts.iter_mut().find(|alert| alert.id == id)?;
            alert.acknowledged.get_or_insert(now);
            Some(alert.clone())
        })
        .ok_or(AppError::NotFound)?;
    rules.save().await?;
    Ok(Json(alert))
}

#[cfg(test)]
mod tests {
    use super::*;
    use liptako_model::{Confederation, Levels, Marking, Meta, Report, ReportKind};
    use time::macros::datetime;

    fn nation(code: &str) -> Nation {
        Nation::parse(code).unwrap()
    }

    fn policy() -> Policy {
        Policy::new(
            Confederation::new("AES", vec![nation("MLI"), nation("BFA"), nation("NER")]).unwrap(),
            Levels::default(),
        )
    }

    fn report(kind: ReportKind, level: &str, lat: f64, lon: f64) -> Object {
        Object {
            meta: Meta {
                id: Uuid::from_u128(1),
                origin: nation("NER"),
                version: 1,
                created: datetime!(2026-12-06 10:00 UTC),
                updated: datetime!(2026-12-06 10:00 UTC),
                valid_until: None,
                marking: Marking::new(level, ["AES"]),
                exercise: None,
                deleted: false,
            },
            body: Body::Report(Report {
                kind,
                title: "t".into(),
                body: String::new(),
                location: Some(Point::new(lat, lon)),
            }),
        }
    }

    fn rule() -> AlertRuleInput {
        AlertRuleInput {
            name: "near Menaka".into(),
            area: None,
            circle: Some(Circle {
                center: Point::new(15.9, 2.4),
                radius_m: 50_000.0,
            }),
            types: vec![ObjectType::Report],
            kinds: vec!["incident".into()],
            min_level: Some("DR".into()),
            nations: vec![nation("NER")],
            exercise: None,
        }
    }

    #[test]
    fn a_rule_matches_by_area_type_kind_level_and_nation() {
        let policy = policy();
        assert!(check(&rule(), &policy).is_ok());
        let rule = AlertRule::new(
            Uuid::nil(),
            "awa".into(),
            datetime!(2026-12-06 10:00 UTC),
            rule(),
        );
        assert!(matches(
            &rule,
            &report(ReportKind::Incident, "DR", 16.0, 2.5),
            &policy
        ));
        // Too far, another kind, too low a level.
        assert!(!matches(
            &rule,
            &report(ReportKind::Incident, "DR", 17.0, 2.5),
            &policy
        ));
        assert!(!matches(
            &rule,
            &report(ReportKind::SpotReport, "DR", 16.0, 2.5),
            &policy
        ));
        assert!(!matches(
            &rule,
            &report(ReportKind::Incident, "NP", 16.0, 2.5),
            &policy
        ));
        let mut other_nation = rule.clone();
        other_nation.nations = vec![nation("BFA")];
        assert!(!matches(
            &other_nation,
            &report(ReportKind::Incident, "C", 16.0, 2.5),
            &policy
        ));
        // A polygon instead of a circle.
        let mut polygon = rule.clone();
        polygon.circle = None;
        polygon.area = Some(Area::Polygon {
            coordinates: vec![vec![
                [2.0, 15.5],
                [3.0, 15.5],
                [3.0, 16.5],
                [2.0, 16.5],
                [2.0, 15.5],
            ]],
        });
        assert!(matches(
            &polygon,
            &report(ReportKind::Incident, "S", 16.0, 2.5),
            &policy
        ));
        assert!(!matches(
            &polygon,
            &report(ReportKind::Incident, "S", 16.0, 3.5),
            &policy
        ));
    }

    #[test]
    fn bad_rules_name_the_field() {
        let policy = policy();
        let mut both = rule();
        both.area = Some(Area::Polygon {
            coordinates: vec![vec![[2.0, 15.5], [3.0, 15.5], [3.0, 16.5], [2.0, 15.5]]],
        });
        assert!(check(&both, &policy).unwrap_err().contains("exactly one"));
        let mut level = rule();
        level.min_level = Some("TOP".into());
        assert!(check(&level, &policy).unwrap_err().contains("min_level"));
        let mut radius = rule();
        radius.circle = Some(Circle {
            center: Point::new(15.0, 2.0),
            radius_m: f64::NAN,
        });
        assert!(check(&radius, &policy).unwrap_err().contains("radius_m"));
        let mut nation_list = rule();
        nation_list.nations = vec![nation("FRA")];
        assert!(
            check(&nation_list, &policy)
                .unwrap_err()
                .contains("nations")
        );
    }

    #[tokio::test]
    async fn rules_survive_a_restart_and_a_damaged_file_is_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        let book = RuleBook::load(dir.path());
        book.with(|saved| {
            saved.rules.push(AlertRule::new(
                Uuid::from_u128(9),
                "awa".into(),
                datetime!(2026-12-06 10:00 UTC),
                rule(),
            ))
        });
        book.save().await.unwrap();
        let again = RuleBook::load(dir.path());
        assert_eq!(again.rules(), book.rules());
        assert_eq!(again.rules().len(), 1);
        std::fs::write(dir.path().join(FILE), b"{not json").unwrap();
        assert!(RuleBook::load(dir.path()).rules().is_empty());
        assert!(dir.path().join("alert-rules.json.bad").exists());
    }

    #[test]
    fn the_alert_cap_drops_acknowledged_first() {
        let alert = |n: u128, owner: &str, acknowledged: bool| UserAlert {
            id: Uuid::from_u128(n),
            rule: Uuid::nil(),
            rule_name: String::new(),
            owner: owner.into(),
            object: Uuid::nil(),
            object_type: ObjectType::Report,
            kind: None,
            origin: nation("MLI"),
            version: 1,
            at: datetime!(2026-12-06 10:00 UTC),
            acknowledged: acknowledged.then_some(datetime!(2026-12-06 10:00 UTC)),
        };
        let mut alerts: Vec<UserAlert> = (0..MAX_ALERTS_PER_USER as u128)
            .map(|n| alert(n, "awa", n == 5))
            .collect();
        alerts.push(alert(9999, "ali", false));
        alerts.push(alert(10_000, "awa", false));
        keep_within_cap(&mut alerts, "awa");
        assert_eq!(alerts.len(), MAX_ALERTS_PER_USER + 1);
        assert!(!alerts.iter().any(|a| a.id == Uuid::from_u128(5)));
        alerts.push(alert(10_001, "awa", false));
        keep_within_cap(&mut alerts, "awa");
        assert!(
            !alerts.iter().any(|a| a.id == Uuid::from_u128(0)),
            "then the oldest"
        );
        assert!(alerts.iter().any(|a| a.owner == "ali"));
    }
}
