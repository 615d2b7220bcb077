//! The Liptako domain model: nations, markings, principals, objects, and **the marking rule**.
//!
//! No I/O and no clock: times are arguments. The main pieces:
//! - [`Nation`]: an ISO 3166-1 alpha-3 code;
//! - [`Marking`] (level + releasability), [`Principal`], [`Policy`], in [`marking`];
//! - **the access decision** [`Policy::allows`] for an [`Audience`] (a reader in one world or a
//!   partner link), the visibility [`Transition`], the one marking input
//!   [`Policy::marking_input`] and [`Policy::derive_marking`], in [`access`];
//! - [`Object`] = [`Meta`] (id, origin, version, times, marking, exercise) + [`Body`]
//!   ([`Report`], [`Unit`], [`Zone`], [`Operation`], [`PursuitNotice`], [`Acknowledgement`],
//!   and the pooled means of [`pooled`]: [`Asset`], [`SupportRequest`], [`SupportResponse`]);
//!   [`next_version`] numbers versions under a precondition;
//! - [`workflow`]: the state of work between nations, derived from objects linked by id;
//! - [`Point`], [`Polygon`], [`Geometry`], [`BBox`]: GeoJSON-compatible geometry.

pub mod access;
pub mod geo;
pub mod marking;
pub mod nation;
pub mod object;
pub mod pooled;
pub mod workflow;

pub use access::{Audience, Transition};
pub use geo::{Area, BBox, GeoError, Geometry, Point, Polygon, PolygonTag};
pub use marking::{
    Confederation, Labelled, Levels, LinkAccreditation, Marked, Marking, MarkingError, Policy,
    PolicyError, Principal, Role,
};
pub use nation::{BadNation, Nation};
pub use object::{
    Acknowledgement, Body, Draft, Expect, InvalidObject, Meta, Object, ObjectType, Operation,
    OperationStatus, PursuitLimit, PursuitNotice, Report, ReportKind, SiteCategory, Unit,
    WriteConflict, Zone, ZoneKind, check_exercise_name, check_symbol_code, next_version,
};
pub use pooled::{
    Asset, AssetCategory, AssetStatus, Capabilities, SupportDecision, SupportPriority,
    SupportPurpose, SupportRequest, SupportResponse, Window,
};
pub use workflow::{Act, Answer, SupportState, Workflow, WorkflowState};
