//! After-action reports: `GET /api/v1/aar?operation=ID | exercise=NAME | from=T1&to=T2[&bbox=..]`
//! with `format=html|pdf|json` and `lang=fr|en`, and `liptako aar` on a data directory.
//!
//! A report is read through the replay's own functions: the picture at the start of the window
//! ([`objects_at`](crate::replay::objects_at)) and the changes in it
//! ([`told_between`](crate::replay::told_between)), both of which hand out only what passes the
//! one access decision for the caller (`Policy::allows` with `Audience::reader(principal,
//! world)`, and every later version too), plus the thinned air history, each row judged the
//! same way. Nothing else is read, so a report can hold nothing its reader could not replay:
//! an NP user's report holds nothing above NP, a partner's liaison officer's nothing not
//! released to their nation, a real-world reader's nothing of an exercise.
//!
//! Content (`collect.rs`): a timeline (reports, alerts and warnings, alert acknowledgements
//! known to this node, operations, pursuit notices and their acknowledgements, support requests
//! and answers, border crossings of units and in the air); maps at key moments (start, first
//! crossing, end: `map.rs`); figures (`figures.rs`). Every page, and the HTML's header and
//! footer, carries the marking of the content: the highest level of what was included,
//! released only to the nations that may hold all of it (`Policy::derive_marking`), shown as
//! `Marking` displays itself. HTML (`html.rs`): one file, inline CSS and SVG, a CSP that
//! forbids every fetch. PDF (`pdf.rs`): made with `pdf-writer`, base-14 Helvetica in
//! WinAnsi, the marking at the top and bottom of every page, vector maps.

mod collect;
pub mod figures;
mod html;
pub mod map;
mod pdf;
pub mod text;

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use liptako_model::{BBox, Marking, Nation, Policy, Principal, check_exercise_name};
use liptako_store::{Store, StoreError};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

pub use figures::Figures;
pub use map::Geography;
pub use text::Lang;

use crate::http::error::AppError;
use crate::http::extract::{Caller, Params};
use crate::state::Node;

/// The report's routes.
pub fn routes() -> Router<Arc<Node>> {
    Router::new().route("/api/v1/aar", get(aar))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(aar),
    components(schemas(AarJson, EventJson, MapJson, Figures, figures::Delay, EventKind)),
    tags((name = "replay", description = "The picture as it was"))
)]
struct AarDoc;

/// The report's part of the OpenAPI document.
pub fn document() -> utoipa::openapi::OpenApi {
    <AarDoc as utoipa::OpenApi>::openapi()
}

/// Query parameters of an after-action report: an operation, an exercise's world, or a time
/// window (and area).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AarParams {
    /// The operation (its window and area, unless `from`, `to` or `bbox` say otherwise).
    pub operation: Option<String>,
    /// The exercise whose world to report on (absent: the real world).
    pub exercise: Option<String>,
    /// Start of the window (RFC 3339).
    pub from: Option<String>,
    /// End of the window (RFC 3339; default: now).
    pub to: Option<String>,
    /// The area, `west,south,east,north`.
    pub bbox: Option<String>,
    /// `html` (default), `pdf` or `json`.
    pub format: Option<String>,
    /// `fr` (default) or `en`.
    pub lang: Option<String>,
}

/// What a report is about, checked.
#[derive(Debug, Clone, Default)]
pub struct AarRequest {
    /// The operation.
    pub operation: Option<Uuid>,
    /// The exercise's world (`None`: the real world).
    pub exercise: Option<String>,
    /// Start of the window.
    pub from: Option<OffsetDateTime>,
    /// End of the window.
    pub to: Option<OffsetDateTime>,
    /// The area.
    pub bbox: Option<BBox>,
    /// The language.
    pub lang: Lang,
}

/// The formats a report is made in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// One self-contained HTML file.
    #[default]
    Html,
    /// A PDF document.
    Pdf,
    /// The report's content as JSON (for tools and tests).
    Json,
}

impl Format {
    /// Parses `html`, `pdf` or `json`.
    pub fn parse(text: &str) -> Option<Format> {
        match text {
            "html" => Some(Format::Html),
            "pdf" => Some(Format::Pdf),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

impl AarParams {
    /// Checks the parameters: a clear message for each mistake.
    pub fn check(self) -> Result<(AarRequest, Format), String> {
        let time = |name: &str, value: &Option<String>| -> Result<Option<OffsetDateTime>, String> {
            value
                .as_deref()
                .map(|text| {
                    OffsetDateTime::parse(text, &Rfc3339)
                        .map_err(|err| format!("{name}: an RFC 3339 time is needed: {err}"))
                })
                .transpose()
        };
        let operation = self
            .operation
            .as_deref()
            .map(|text| Uuid::parse_str(text).map_err(|_| format!("operation {text:?}: not an id")))
            .transpose()?;
        if let Some(name) = &self.exercise {
            check_exercise_name(name).map_err(|err| err.to_string())?;
        }
        let (from, to) = (time("from", &self.from)?, time("to", &self.to)?);
        if operation.is_none() && self.exercise.is_none() && from.is_none() {
            return Err(
                "name an operation (operation=ID), an exercise (exercise=NAME) or a window (from=T1&to=T2)"
                    .into(),
            );
        }
        if from.is_none() && to.is_some() && operation.is_none() {
            return Err("to: give from too".into());
        }
        if let (Some(from), Some(to)) = (from, to)
            && to <= from
        {
            return Err("to: must be after from".into());
        }
        let bbox = self
            .bbox
            .as_deref()
            .map(|text| BBox::parse(text).map_err(|err| err.to_string()))
            .transpose()?;
        let format = match self.format.as_deref() {
            None => Format::Html,
            Some(text) => Format::parse(text)
                .ok_or_else(|| format!("format {text:?}: use html, pdf or json"))?,
        };
        let lang = match self.lang.as_deref() {
            None => Lang::default(),
            Some(text) => {
                Lang::parse(text).ok_or_else(|| format!("lang {text:?}: use fr or en"))?
            }
        };
        Ok((
            AarRequest {
                operation,
                exercise: self.exercise,
                from,
                to,
                bbox,
                lang,
            },
            format,
        ))
    }
}

/// Why no report was made.
#[derive(Debug, thiserror::Error)]
pub enum AarError {
    /// No such operation, or one the caller may not see (the same answer).
    #[error("not found")]
    NotFound,
    /// Nothing to report, or a window that cannot be reported on.
    #[error("{0}")]
    Unprocessable(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AarError> for AppError {
    fn from(err: AarError) -> AppError {
        match err {
            AarError::NotFound => AppError::NotFound,
            AarError::Unprocessable(message) => AppError::Unprocessable(message),
            AarError::Store(err) => AppError::from(crate::state::NodeError::from(err)),
        }
    }
}

/// What happened, as the timeline lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = AarEventKind)]
pub enum EventKind {
    /// An operation was created.
    OperationCreated,
    /// An operation became active.
    OperationActive,
    /// A unit (or an aircraft) crossed a border.
    BorderCrossing,
    /// A pursuit notice was raised.
    PursuitNotice,
    /// The nation entered acknowledged a pursuit notice.
    PursuitAcknowledged,
    /// A pursuit ended.
    PursuitEnded,
    /// A report.
    Report,
    /// A civilian-harm report.
    CivilianHarm,
    /// An alert (airspace, pursuit, deconfliction, support).
    Alert,
    /// A protected-site warning.
    ProtectionWarning,
    /// An alert acknowledged on this node.
    AlertAcknowledged,
    /// A support request.
    SupportRequest,
    /// An addressed nation answered a support request.
    SupportAnswer,
    /// The requester cancelled a support request.
    SupportCancelled,
    /// An operation ended.
    OperationEnded,
}

/// One line of the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// When it happened.
    pub at: OffsetDateTime,
    /// What.
    pub kind: EventKind,
    /// The nation whose act or object it is.
    pub nation: Nation,
    /// What was written (a title, a callsign, a remark), as written.
    pub text: String,
    /// Facts in a form both languages share (a report kind, `MLI → NER`, a decision).
    pub detail: String,
    /// The object it comes from.
    pub id: Uuid,
    /// For an answer: how long after its head.
    pub delay_s: Option<f64>,
    /// The marking of the object it comes from.
    pub marking: Marking,
}

/// A key moment a map shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = AarMoment)]
pub enum Moment {
    /// The start of the window.
    First,
    /// The first border crossing.
    Crossing,
    /// The end of the window.
    Last,
}

/// One map.
#[derive(Debug, Clone)]
pub struct MapFrame {
    /// Which moment.
    pub moment: Moment,
    /// Its time.
    pub at: OffsetDateTime,
    /// What to draw (map plane, see `map.rs`).
    pub shapes: Vec<map::Shape>,
    /// Units shown.
    pub n_units: usize,
    /// Air tracks shown.
    pub n_air_tracks: usize,
    /// Zones and operation areas shown.
    pub n_zones: usize,
}

/// What a report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = AarScope)]
pub enum Scope {
    /// One operation.
    Operation,
    /// One exercise's world.
    Exercise,
    /// A time window (and area).
    Window,
}

/// An after-action report, ready to render.
#[derive(Debug, Clone)]
pub struct Aar {
    /// The language.
    pub lang: Lang,
    /// What it is about.
    pub scope: Scope,
    /// The operation's or exercise's name, when there is one.
    pub name: Option<String>,
    /// The exercise's world (`None`: the real world).
    pub exercise: Option<String>,
    /// The window.
    pub from: OffsetDateTime,
    /// Its end.
    pub to: OffsetDateTime,
    /// The area, if one bounds it.
    pub area: Option<BBox>,
    /// When it was made.
    pub generated: OffsetDateTime,
    /// For whom (user name, nation, clearance).
    pub reader: Principal,
    /// The node that made it.
    pub node: Nation,
    /// The marking of the content.
    pub marking: Marking,
    /// The timeline, oldest first.
    pub events: Vec<Event>,
    /// The maps.
    pub maps: Vec<MapFrame>,
    /// The figures.
    pub figures: Figures,
    /// How many marked items it includes.
    pub n_items: usize,
    /// Whether the window held more than was read.
    pub truncated: bool,
}

impl Aar {
    /// The marking as every page shows it: `C REL NER` (and `EXERCISE` for an exercise).
    pub fn marking_line(&self) -> String {
        match &self.exercise {
            Some(name) => format!(
                "{} · {} {name}",
                self.marking,
                text::label(self.lang, text::Label::ExerciseBanner)
            ),
            None => self.marking.to_string(),
        }
    }
}

/// Everything a report is built from.
pub struct Sources<'a> {
    /// The store.
    pub store: &'a dyn Store,
    /// The node's policy.
    pub policy: &'a Policy,
    /// The borders.
    pub geography: &'a Geography,
    /// The node's nation.
    pub node: Nation,
    /// The reader: every item passes the one decision for them.
    pub principal: &'a Principal,
    /// Now, from the node's clock.
    pub now: OffsetDateTime,
}

/// Builds the report `request` asks for, as `sources.principal` may see it. Blocking (store
/// reads).
pub fn build(sources: &Sources<'_>, request: &AarRequest) -> Result<Aar, AarError> {
    collect::build(sources, request)
}

/// A rendered report: its media type, a file name and the bytes.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// `text/html; charset=utf-8`, `application/pdf` or `application/json`.
    pub media_type: &'static str,
    /// A file name for it.
    pub file_name: String,
    /// The document.
    pub bytes: Vec<u8>,
    /// Pages (PDF only).
    pub pages: Option<usize>,
}

/// Renders `aar` in `format`.
pub fn render(aar: &Aar, format: Format) -> Rendered {
    let stem = format!(
        "aar-{}",
        aar.to
            .to_offset(time::UtcOffset::UTC)
            .format(time::macros::format_description!(
                "[year][month][day]T[hour][minute]Z"
            ))
            .unwrap_or_default()
    );
    match format {
        Format::Html => Rendered {
            media_type: "text/html; charset=utf-8",
            file_name: format!("{stem}.html"),
            bytes: html::render(aar).into_bytes(),
            pages: None,
        },
        Format::Pdf => {
            let (bytes, pages) = pdf::render(aar);
            Rendered {
                media_type: "application/pdf",
                file_name: format!("{stem}.pdf"),
                bytes,
                pages: Some(pages),
            }
        }
        Format::Json => Rendered {
            media_type: "application/json",
            file_name: format!("{stem}.json"),
            bytes: serde_json::to_vec_pretty(&AarJson::from(aar)).unwrap_or_default(),
            pages: None,
        },
    }
}

/// A report as JSON.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = AarReport)]
pub struct AarJson {
    /// What it is about.
    pub scope: Scope,
    /// The operation's or exercise's name.
    pub name: Option<String>,
    /// The exercise's world (absent: the real world).
    pub exercise: Option<String>,
    /// Start of the window.
    #[schema(value_type = String, format = DateTime)]
    pub from: String,
    /// End of the window.
    #[schema(value_type = String, format = DateTime)]
    pub to: String,
    /// The marking of the content.
    #[schema(value_type = Object)]
    pub marking: Marking,
    /// The marking line every page carries.
    pub marking_line: String,
    /// The timeline.
    pub events: Vec<EventJson>,
    /// The maps.
    pub maps: Vec<MapJson>,
    /// The figures.
    pub figures: Figures,
    /// Marked items included.
    pub n_items: usize,
    /// Whether the window held more than was read.
    pub truncated: bool,
}

/// One line of the timeline, as JSON.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = AarEvent)]
pub struct EventJson {
    /// When.
    #[schema(value_type = String, format = DateTime)]
    pub at: String,
    /// What.
    pub kind: EventKind,
    /// Whose.
    #[schema(value_type = String)]
    pub nation: Nation,
    /// As written.
    pub text: String,
    /// Facts.
    pub detail: String,
    /// The object.
    #[schema(value_type = String, format = Uuid)]
    pub id: Uuid,
    /// Delay after its head, seconds.
    pub delay_s: Option<f64>,
    /// The object's marking.
    #[schema(value_type = Object)]
    pub marking: Marking,
}

/// One map, as JSON (what it shows; the drawing is in the HTML and the PDF).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = AarMap)]
pub struct MapJson {
    /// Which moment.
    pub moment: Moment,
    /// Its time.
    #[schema(value_type = String, format = DateTime)]
    pub at: String,
    /// Units shown.
    pub units: usize,
    /// Air tracks shown.
    pub air_tracks: usize,
    /// Zones and areas shown.
    pub zones: usize,
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_else(|_| at.to_string())
}

impl From<&Aar> for AarJson {
    fn from(aar: &Aar) -> AarJson {
        AarJson {
            scope: aar.scope,
            name: aar.name.clone(),
            exercise: aar.exercise.clone(),
            from: rfc3339(aar.from),
            to: rfc3339(aar.to),
            marking: aar.marking.clone(),
            marking_line: aar.marking_line(),
            events: aar
                .events
                .iter()
                .map(|event| EventJson {
                    at: rfc3339(event.at),
                    kind: event.kind,
                    nation: event.nation,
                    text: event.text.clone(),
                    detail: event.detail.clone(),
                    id: event.id,
                    delay_s: event.delay_s,
                    marking: event.marking.clone(),
                })
                .collect(),
            maps: aar
                .maps
                .iter()
                .map(|frame| MapJson {
                    moment: frame.moment,
                    at: rfc3339(frame.at),
                    units: frame.n_units,
                    air_tracks: frame.n_air_tracks,
                    zones: frame.n_zones,
                })
                .collect(),
            figures: aar.figures.clone(),
            n_items: aar.n_items,
            truncated: aar.truncated,
        }
    }
}

/// `GET /api/v1/aar`
#[utoipa::path(get, path = "/api/v1/aar", tag = "replay",
    params(AarParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report as the caller may see it: HTML (`text/html`), PDF (`application/pdf`) or JSON", content(
            (AarJson = "application/json"),
            (String = "text/html"),
            (Vec<u8> = "application/pdf"))),
        (status = 400, description = "Bad operation id, time, area, format, language or exercise name"),
        (status = 401, description = "No valid token"),
        (status = 404, description = "No such operation (or one the caller may not see)"),
        (status = 422, description = "Nothing the caller may see happened in the window")))]
pub async fn aar(
    State(node): State<Arc<Node>>,
    caller: Caller,
    Params(params): Params<AarParams>,
) -> Result<Response, AppError> {
    let (request, format) = params.check().map_err(AppError::BadRequest)?;
    let principal = caller.0;
    let now = node.now();
    let geography = node.shared(|| Geography::load(node.policy()));
    let inner = node.clone();
    let outcome = node
        .with_store(move |store| {
            let sources = Sources {
                store,
                policy: inner.policy(),
                geography: &geography,
                node: inner.nation(),
                principal: &principal,
                now,
            };
            match build(&sources, &request) {
                Ok(aar) => Ok(Ok(render(&aar, format))),
                Err(AarError::Store(err)) => Err(err),
                Err(other) => Ok(Err(other)),
            }
        })
        .await?;
    let rendered = outcome?;
    if format == Format::Json {
        let value: serde_json::Value =
            serde_json::from_slice(&rendered.bytes).map_err(AppError::internal)?;
        return Ok(Json(value).into_response());
    }
    let mut response = rendered.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(rendered.media_type),
    );
    if let Ok(value) =
        HeaderValue::from_str(&format!("inline; filename=\"{}\"", rendered.file_name))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    // The HTML needs nothing from anywhere: say so to the browser too.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(html::CSP),
    );
    if let Some(pages) = rendered.pages
        && let Ok(value) = HeaderValue::from_str(&pages.to_string())
    {
        headers.insert("x-liptako-pages", value);
    }
    Ok(response)
}
