//! Exercise control: inject scripts for drills. The exercise itself is an ordinary object
//! (`/api/v1/exercises`, generic routes, federated like any other); the participation rule
//! lives in the one access decision (`Policy::allows` for a link, `liptako_model::exercise`).
//!
//! This feature lets the exercise control staff of the directing node (a user named in the
//! exercise's `control`, or an admin of that node) load a timed script ([`script`]) and run,
//! pause and resume it:
//! - `POST /api/v1/exercises/{id}/injects` (JSON, or TOML with `Content-Type: application/toml`)
//!   loads a script (422 naming the step if it is bad);
//! - `POST .../injects/run`, `.../pause`, `.../resume`; `GET .../injects`: the state, the next
//!   step and the steps done.
//!
//! Each step is written through the node's normal write path (`Node::write`, actor
//! `inject:<user>`) as an object of this node in the exercise's world, with the exercise's
//! marking at the time of the step: federation, the live feed and TAK (`opex`) follow as for any
//! object. Time is the node's clock (`Clock::instant`); paused time does not count. Runs are kept
//! in memory: a restart forgets them (the objects written stay).

pub mod script;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use liptako_model::{
    Audience, Body, Draft, Exercise, ExerciseStatus, Expect, Marking, Object, Role, Unit,
};
use liptako_store::WriteOp;
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::http::error::AppError;
use crate::http::extract::Caller;
use crate::state::Node;
use script::{Action, Script, format_at};

/// How often a running script looks for due steps.
const TICK: Duration = Duration::from_millis(50);

/// The feature's routes.
pub fn routes() -> Router<Arc<Node>> {
    Router::new()
        .route(
            "/api/v1/exercises/{id}/injects",
            axum::routing::get(status).post(load),
        )
        .route(
            "/api/v1/exercises/{id}/injects/run",
            axum::routing::post(run),
        )
        .route(
            "/api/v1/exercises/{id}/injects/pause",
            axum::routing::post(pause),
        )
        .route(
            "/api/v1/exercises/{id}/injects/resume",
            axum::routing::post(resume),
        )
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(load, status, run, pause, resume),
    components(schemas(InjectsView, StepView, DoneView, ScriptDoc)),
    tags((name = "exercise", description = "Exercise control: inject scripts for drills"))
)]
struct ExerciseDoc;

/// The feature's part of the OpenAPI document.
pub fn document() -> utoipa::openapi::OpenApi {
    <ExerciseDoc as utoipa::OpenApi>::openapi()
}

/// A script (for the document; see the module [`script`] for the actions).
#[derive(Debug, utoipa::ToSchema)]
pub struct ScriptDoc {
    /// The steps: `{"at": "mm:ss", "action": "create_report" | "raise_alert" | "create_unit" |
    /// "move_unit", ...}`.
    #[schema(value_type = Vec<serde_json::Value>)]
    pub steps: Vec<()>,
}

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    /// Loaded, not started.
    Loaded,
    /// Steps run as their time comes.
    Running,
    /// Stopped; paused time does not count.
    Paused,
    /// Every step ran.
    Done,
    /// Stopped by a failure (named in `error`).
    Failed,
}

/// The state of an exercise's injects.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InjectsView {
    /// The exercise.
    pub exercise: Uuid,
    /// Its name (the world the injects write in).
    pub name: String,
    /// Where the run stands.
    pub state: RunState,
    /// T+ now (paused time left out), `mm:ss`.
    pub elapsed: String,
    /// T+ now, seconds.
    pub elapsed_s: f64,
    /// Steps in the script.
    pub n_steps: usize,
    /// The next step to run, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<StepView>,
    /// The steps done, in order.
    pub done: Vec<DoneView>,
    /// Why the run failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Who loaded the script.
    pub loaded_by: String,
}

/// A step to come.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StepView {
    /// Its number in the script, from 1.
    pub step: usize,
    /// T+ as written.
    pub at: String,
    /// The action.
    pub action: String,
}

/// A step done.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DoneView {
    /// Its number in the script, from 1.
    pub step: usize,
    /// T+ as written.
    pub at: String,
    /// The action.
    pub action: String,
    /// The object written.
    pub object: Uuid,
    /// T+ when it ran, seconds.
    pub ran_at_s: f64,
    /// When it ran (wall time).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub done_at: OffsetDateTime,
}

/// Every exercise's run on this node (`Node::shared`).
#[derive(Default)]
struct Runs {
    by_exercise: Mutex<HashMap<Uuid, Run>>,
}

struct Run {
    name: String,
    script: Script,
    state: RunState,
    /// Bumped at each load and run, so that a runner of an older run stops.
    generation: u64,
    started: Option<Instant>,
    paused_at: Option<Instant>,
    paused_total: Duration,
    next: usize,
    done: Vec<DoneView>,
    /// The script's units: its name for each -> id and last body.
    units: HashMap<String, (Uuid, Unit)>,
    error: Option<String>,
    loaded_by: String,
}

impl Run {
    fn elapsed(&self, now: Instant) -> Duration {
        let Some(started) = self.started else {
            return Duration::ZERO;
        };
        let until = self.paused_at.unwrap_or(now);
        until
            .saturating_duration_since(started)
            .saturating_sub(self.paused_total)
    }

    fn view(&self, exercise: Uuid, now: Instant) -> InjectsView {
        let elapsed = self.elapsed(now);
        InjectsView {
            exercise,
            name: self.name.clone(),
            state: self.state,
            elapsed: format_at(elapsed),
            elapsed_s: elapsed.as_secs_f64(),
            n_steps: self.script.steps.len(),
            next: self.script.steps.get(self.next).map(|step| StepView {
                step: self.next + 1,
                at: step.at_text.clone(),
                action: step.action.name().to_owned(),
            }),
            done: self.done.clone(),
            error: self.error.clone(),
            loaded_by: self.loaded_by.clone(),
        }
    }
}

fn runs(node: &Node) -> Arc<Runs> {
    node.shared(Runs::default)
}

/// The exercise `id` if the caller may run its injects: it is an exercise this node directs,
/// the caller may see it, is a user of this nation, and an admin or one of its control staff.
async fn controlled(
    node: &Arc<Node>,
    caller: &Caller,
    id: &str,
) -> Result<(Arc<Object>, Exercise), AppError> {
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound)?;
    let stored = node.get_object(id).await?.ok_or(AppError::NotFound)?;
    let object = stored.object;
    let Body::Exercise(exercise) = &object.body else {
        return Err(AppError::NotFound);
    };
    if object.meta.deleted
        || !node
            .policy()
            .allows(Audience::reader(&caller.0, None), object.as_ref())
    {
        return Err(AppError::NotFound);
    }
    let home = node.nation();
    if object.meta.origin != home {
        return Err(AppError::Forbidden(format!(
            "injects are run by exercise control on the directing node ({})",
            object.meta.origin
        )));
    }
    let principal = &caller.0;
    let is_control = principal.nation == home
        && (principal.role >= Role::Admin || exercise.control.contains(&principal.name));
    if !is_control {
        return Err(AppError::Forbidden(
            "only the exercise's control staff (named in `control`) or an admin of this node run its injects".into(),
        ));
    }
    let exercise = exercise.as_ref().clone();
    Ok((object, exercise))
}

#[utoipa::path(post, path = "/api/v1/exercises/{id}/injects", tag = "exercise",
    params(("id" = Uuid, Path, description = "The exercise")),
    request_body(content = ScriptDoc, description = "The script (JSON, or TOML with Content-Type application/toml)"),
    responses(
        (status = 200, body = InjectsView, description = "Loaded"),
        (status = 403, description = "Not the exercise's control staff, or not its directing node"),
        (status = 409, description = "A run is under way (pause it and wait, or let it finish)"),
        (status = 422, description = "A bad script: the error names the step"),
    ),
    security(("bearer" = []))
)]
/// `POST /api/v1/exercises/{id}/injects`
pub async fn load(
    State(node): State<Arc<Node>>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let (object, exercise) = controlled(&node, &caller, &id).await?;
    let is_toml = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.contains("toml"));
    let script = if is_toml {
        let text = std::str::from_utf8(&body)
            .map_err(|_| AppError::BadRequest("a TOML script must be UTF-8".into()))?;
        script::parse_toml(text)
    } else {
        script::parse_json(&body)
    }
    .map_err(|err| AppError::Unprocessable(err.0))?;
    let runs = runs(&node);
    let mut by_exercise = runs
        .by_exercise
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    let generation = by_exercise
        .get(&object.meta.id)
        .map_or(0, |run| run.generation + 1);
    if let Some(run) = by_exercise.get(&object.meta.id)
        && matches!(run.state, RunState::Running | RunState::Paused)
    {
        return Err(AppError::Conflict {
            message: "a run of this exercise's injects is under way".into(),
            current_version: None,
        });
    }
    let run = Run {
        name: exercise.name,
        script,
        state: RunState::Loaded,
        generation,
        started: None,
        paused_at: None,
        paused_total: Duration::ZERO,
        next: 0,
        done: Vec::new(),
        units: HashMap::new(),
        error: None,
        loaded_by: caller.0.name.clone(),
    };
    let view = run.view(object.meta.id, node.clock().instant());
    by_exercise.insert(object.meta.id, run);
    drop(by_exercise);
    tracing::info!(exercise = %object.meta.id, steps = view.n_steps, by = %caller.0.name, "injects loaded");
    Ok(Json(view).into_response())
}

#[utoipa::path(get, path = "/api/v1/exercises/{id}/injects", tag = "exercise",
    params(("id" = Uuid, Path, description = "The exercise")),
    responses(
        (status = 200, body = InjectsView, description = "The run's state"),
        (status = 403, description = "Not the exercise's control staff, or not its directing node"),
        (status = 409, description = "No script loaded"),
    ),
    security(("bearer" = []))
)]
/// `GET /api/v1/exercises/{id}/injects`
pub async fn status(
    State(node): State<Arc<Node>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (object, _) = controlled(&node, &caller, &id).await?;
    act(&node, object.meta.id, |_, _| Ok(()))
}

#[utoipa::path(post, path = "/api/v1/exercises/{id}/injects/run", tag = "exercise",
    params(("id" = Uuid, Path, description = "The exercise")),
    responses(
        (status = 200, body = InjectsView, description = "Running from T+00:00"),
        (status = 403, description = "Not the exercise's control staff, or not its directing node"),
        (status = 409, description = "No script loaded, or a run is under way"),
        (status = 422, description = "The exercise has ended"),
    ),
    security(("bearer" = []))
)]
/// `POST /api/v1/exercises/{id}/injects/run`: from T+00:00 (again, after a run finished).
pub async fn run(
    State(node): State<Arc<Node>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (object, exercise) = controlled(&node, &caller, &id).await?;
    if exercise.status == ExerciseStatus::Ended {
        return Err(AppError::Unprocessable(
            "the exercise has ended: its world is read-only".into(),
        ));
    }
    let id = object.meta.id;
    let mut generation = 0;
    let response = act(&node, id, |run, now| {
        if matches!(run.state, RunState::Running | RunState::Paused) {
            return Err(conflict("a run is under way"));
        }
        run.generation += 1;
        generation = run.generation;
        run.state = RunState::Running;
        run.started = Some(now);
        run.paused_at = None;
        run.paused_total = Duration::ZERO;
        run.next = 0;
        run.done.clear();
        run.units.clear();
        run.error = None;
        Ok(())
    })?;
    let actor = format!("inject:{}", caller.0.name);
    tracing::info!(exercise = %id, by = %caller.0.name, "injects running");
    node.spawn(runner(node.clone(), id, generation, actor));
    Ok(response)
}

#[utoipa::path(post, path = "/api/v1/exercises/{id}/injects/pause", tag = "exercise",
    params(("id" = Uuid, Path, description = "The exercise")),
    responses(
        (status = 200, body = InjectsView, description = "Paused"),
        (status = 403, description = "Not the exercise's control staff, or not its directing node"),
        (status = 409, description = "Not running"),
    ),
    security(("bearer" = []))
)]
/// `POST /api/v1/exercises/{id}/injects/pause`
pub async fn pause(
    State(node): State<Arc<Node>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (object, _) = controlled(&node, &caller, &id).await?;
    act(&node, object.meta.id, |run, now| {
        if run.state != RunState::Running {
            return Err(conflict("the injects are not running"));
        }
        run.state = RunState::Paused;
        run.paused_at = Some(now);
        Ok(())
    })
}

#[utoipa::path(post, path = "/api/v1/exercises/{id}/injects/resume", tag = "exercise",
    params(("id" = Uuid, Path, description = "The exercise")),
    responses(
        (status = 200, body = InjectsView, description = "Running again"),
        (status = 403, description = "Not the exercise's control staff, or not its directing node"),
        (status = 409, description = "Not paused"),
    ),
    security(("bearer" = []))
)]
/// `POST /api/v1/exercises/{id}/injects/resume`
pub async fn resume(
    State(node): State<Arc<Node>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (object, _) = controlled(&node, &caller, &id).await?;
    act(&node, object.meta.id, |run, now| {
        if run.state != RunState::Paused {
            return Err(conflict("the injects are not paused"));
        }
        if let Some(paused_at) = run.paused_at.take() {
            run.paused_total += now.saturating_duration_since(paused_at);
        }
        run.state = RunState::Running;
        Ok(())
    })
}

/// A short built-in drill for `liptako demo --exercise`: a unit of the directing nation
/// deploys near the Niger border, reports, moves, and an alert is raised, within two minutes.
pub const DEMO_SCRIPT: &str = r#"{"steps": [
  {"at": "00:05", "action": "create_unit", "unit": "bravo", "callsign": "EX BRAVO",
   "symbol": "SFGPUCI----K---", "position": {"lat": 15.05, "lon": 1.05}},
  {"at": "00:15", "action": "create_report", "kind": "spot_report",
   "title": "EX: armed group seen moving east", "location": {"lat": 15.1, "lon": 1.2}},
  {"at": "00:30", "action": "move_unit", "unit": "bravo",
   "position": {"lat": 15.08, "lon": 1.15}, "course_deg": 70.0, "speed_mps": 12.0},
  {"at": "00:45", "action": "raise_alert", "title": "EX: drone over the camp",
   "location": {"lat": 15.12, "lon": 1.25}},
  {"at": "01:00", "action": "move_unit", "unit": "bravo",
   "position": {"lat": 15.11, "lon": 1.24}, "course_deg": 70.0, "speed_mps": 12.0},
  {"at": "01:30", "action": "create_report", "kind": "incident",
   "title": "EX: contact, two vehicles", "location": {"lat": 15.12, "lon": 1.26}}
]}"#;

/// Loads `script` for the exercise `exercise` (one this node directs) and runs it at once, as
/// `by`: what exercise control does with the routes, for the binary's demo.
pub fn load_and_run(
    node: &Arc<Node>,
    exercise: &Object,
    script: Script,
    by: &str,
) -> Result<(), String> {
    let Body::Exercise(held) = &exercise.body else {
        return Err("not an exercise".into());
    };
    if exercise.meta.origin != node.nation() {
        return Err("injects run on the directing node".into());
    }
    let id = exercise.meta.id;
    let runs = runs(node);
    let generation = {
        let mut by_exercise = runs
            .by_exercise
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let generation = by_exercise.get(&id).map_or(1, |run| run.generation + 1);
        by_exercise.insert(
            id,
            Run {
                name: held.name.clone(),
                script,
                state: RunState::Running,
                generation,
                started: Some(node.clock().instant()),
                paused_at: None,
                paused_total: Duration::ZERO,
                next: 0,
                done: Vec::new(),
                units: HashMap::new(),
                error: None,
                loaded_by: by.to_owned(),
            },
        );
        generation
    };
    node.spawn(runner(node.clone(), id, generation, format!("inject:{by}")));
    Ok(())
}

fn conflict(message: &str) -> AppError {
    AppError::Conflict {
        message: message.to_owned(),
        current_version: None,
    }
}

/// Applies `change` to the exercise's run and answers its state.
fn act(
    node: &Node,
    exercise: Uuid,
    change: impl FnOnce(&mut Run, Instant) -> Result<(), AppError>,
) -> Result<Response, AppError> {
    let runs = runs(node);
    let mut by_exercise = runs
        .by_exercise
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    let run = by_exercise
        .get_mut(&exercise)
        .ok_or_else(|| conflict("no script loaded: POST one to /api/v1/exercises/{id}/injects"))?;
    let now = node.clock().instant();
    change(run, now)?;
    Ok(Json(run.view(exercise, now)).into_response())
}

/// What a due step writes.
struct Due {
    step: usize,
    at: String,
    action: &'static str,
    key: Option<String>,
    id: Uuid,
    body: Body,
    expect: Expect,
}

/// Runs the due steps of one run until it is done, replaced or the node stops.
async fn runner(node: Arc<Node>, exercise: Uuid, generation: u64, actor: String) {
    let runs = runs(&node);
    let mut shutdown = node.shutdown_signal();
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = tokio::time::sleep(TICK) => {}
        }
        // The next due step, if any (one at a time, so a pause stops between steps).
        let due = {
            let mut by_exercise = runs
                .by_exercise
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let Some(run) = by_exercise.get_mut(&exercise) else {
                return;
            };
            if run.generation != generation {
                return;
            }
            match run.state {
                RunState::Running => {}
                RunState::Paused => continue,
                RunState::Loaded | RunState::Done | RunState::Failed => return,
            }
            let elapsed = run.elapsed(node.clock().instant());
            let Some(step) = run.script.steps.get(run.next) else {
                run.state = RunState::Done;
                return;
            };
            if step.at > elapsed {
                continue;
            }
            let number = run.next + 1;
            let (key, id, body, expect) = match &step.action {
                Action::CreateReport(report) => (
                    None,
                    Uuid::now_v7(),
                    Body::Report(report.clone()),
                    Expect::New,
                ),
                Action::CreateUnit { key, unit } => (
                    Some(key.clone()),
                    Uuid::now_v7(),
                    Body::Unit(unit.clone()),
                    Expect::New,
                ),
                Action::MoveUnit {
                    key,
                    position,
                    course_deg,
                    speed_mps,
                } => {
                    let Some((id, unit)) = run.units.get(key) else {
                        run.state = RunState::Failed;
                        run.error = Some(format!("step {number}: unit {key:?} was never created"));
                        return;
                    };
                    let mut unit = unit.clone();
                    unit.position = Some(*position);
                    unit.course_deg = *course_deg;
                    unit.speed_mps = *speed_mps;
                    (Some(key.clone()), *id, Body::Unit(unit), Expect::Any)
                }
            };
            Due {
                step: number,
                at: step.at_text.clone(),
                action: step.action.name(),
                key,
                id,
                body,
                expect,
            }
        };
        let outcome = write_step(&node, exercise, &due, &actor).await;
        let mut by_exercise = runs
            .by_exercise
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let Some(run) = by_exercise.get_mut(&exercise) else {
            return;
        };
        if run.generation != generation {
            return;
        }
        match outcome {
            Ok(()) => {
                let now = node.clock().instant();
                if let (Some(key), Body::Unit(unit)) = (&due.key, &due.body) {
                    run.units.insert(key.clone(), (due.id, unit.clone()));
                }
                run.done.push(DoneView {
                    step: due.step,
                    at: due.at.clone(),
                    action: due.action.to_owned(),
                    object: due.id,
                    ran_at_s: run.elapsed(now).as_secs_f64(),
                    done_at: node.now(),
                });
                run.next += 1;
                if run.next >= run.script.steps.len() {
                    run.state = RunState::Done;
                    tracing::info!(%exercise, "injects done");
                    return;
                }
            }
            Err(err) => {
                tracing::warn!(%exercise, step = due.step, cause = %err, "inject failed");
                run.state = RunState::Failed;
                run.error = Some(format!("step {} (at {}): {err}", due.step, due.at));
                return;
            }
        }
    }
}

/// Writes one step as an object of this node in the exercise's world, marked as the exercise
/// is now. Fails if the exercise is gone or has ended.
async fn write_step(
    node: &Arc<Node>,
    exercise: Uuid,
    due: &Due,
    actor: &str,
) -> Result<(), String> {
    let stored = node
        .get_object(exercise)
        .await
        .map_err(|err| err.to_string())?
        .ok_or("the exercise is gone")?;
    let (name, marking): (String, Marking) = match &stored.object.body {
        Body::Exercise(held) if !stored.object.meta.deleted => {
            if held.status == ExerciseStatus::Ended {
                return Err("the exercise has ended".into());
            }
            (held.name.clone(), stored.object.meta.marking.clone())
        }
        _ => return Err("the exercise is gone".into()),
    };
    let draft = Draft {
        id: due.id,
        origin: node.nation(),
        expect: due.expect,
        at: node.now(),
        marking,
        valid_until: None,
        exercise: Some(name),
        body: Some(due.body.clone()),
    };
    let outcomes = node
        .write(vec![WriteOp::Local {
            draft,
            actor: actor.to_owned(),
        }])
        .await
        .map_err(|err| err.to_string())?;
    match outcomes.first() {
        Some(liptako_store::WriteOutcome::Committed(_)) => Ok(()),
        Some(liptako_store::WriteOutcome::Conflict(conflict)) => Err(conflict.to_string()),
        _ => Err("the store wrote no version".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_script_is_a_valid_script() {
        let script = script::parse_json(DEMO_SCRIPT.as_bytes()).unwrap();
        assert_eq!(script.steps.len(), 6);
        assert_eq!(script.steps[5].at, Duration::from_secs(90));
    }

    #[test]
    fn paused_time_does_not_count() {
        let start = Instant::now();
        let mut run = Run {
            name: "X".into(),
            script: script::parse_json(DEMO_SCRIPT.as_bytes()).unwrap(),
            state: RunState::Running,
            generation: 1,
            started: Some(start),
            paused_at: None,
            paused_total: Duration::ZERO,
            next: 0,
            done: Vec::new(),
            units: HashMap::new(),
            error: None,
            loaded_by: "ctl".into(),
        };
        let at = |s: u64| start + Duration::from_secs(s);
        assert_eq!(run.elapsed(at(10)), Duration::from_secs(10));
        run.paused_at = Some(at(10));
        assert_eq!(run.elapsed(at(25)), Duration::from_secs(10));
        run.paused_total += Duration::from_secs(15);
        run.paused_at = None;
        assert_eq!(run.elapsed(at(30)), Duration::from_secs(15));
        let view = run.view(Uuid::nil(), at(30));
        assert_eq!(view.elapsed, "00:15");
        assert_eq!(view.next.map(|next| next.at), Some("00:05".to_owned()));
    }
}
