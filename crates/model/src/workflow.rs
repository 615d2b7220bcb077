//! Work between nations, derived from objects of each nation linked by id.
//!
//! An object has one writer, its origin node. A workflow between nations is therefore a set of
//! objects, each written by the nation whose act it records and linked to the workflow's first
//! object (its *head*) by id ([`Body::refers_to`]): a pursuit notice (the pursuing nation) and
//! its acknowledgement (the nation entered); a support request (the requesting nation) and the
//! answers of the nations it is addressed to (approved, declined, tasked, completed). Each
//! object is marked and federates like any other; each node derives the workflow's state from
//! the objects it holds and the reader may see ([`Workflow::new`], then [`Workflow::state`]).
//! Nothing here is stored: two nodes holding the same objects derive the same state.
//!
//! Who may act on a head is part of the head ([`Workflow::responders`]): a step written by any
//! other nation is ignored, so a third nation cannot acknowledge a notice for the nation
//! entered, nor approve a request addressed to another.
//!
//! A support request's state ([`SupportState`]) does not depend on the order steps arrive in:
//! each addressed nation's furthest answer counts (completed, then tasked, then approved; a
//! decline only when it said nothing else); the request is `completed` when one nation
//! completed it, else `cancelled` when the requester cancelled it, else `tasked`, `approved`,
//! `declined` (every addressed nation declined) or `requested`.

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::nation::Nation;
use crate::object::{Body, Object, ObjectType, PursuitLimit};
use crate::pooled::SupportDecision;

/// A head and the steps linked to it that a node holds.
#[derive(Debug, Clone)]
pub struct Workflow<'a> {
    head: &'a Object,
    steps: Vec<&'a Object>,
}

/// The derived state of a workflow, as `GET` of its head shows it (`"workflow"`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkflowState {
    /// The head was made: by which nation, when.
    pub raised: Act,
    /// The responder's acknowledgement, the first one held (absent: not yet).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acknowledged: Option<Act>,
    /// Limits of the agreement exceeded (pursuit notices).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub limits_exceeded: Vec<PursuitLimit>,
    /// When the head's own nation ended it (absent: still open).
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub ended: Option<OffsetDateTime>,
    /// A support request's state (absent for other heads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<SupportState>,
    /// The answers of the nations a support request is addressed to, oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<Answer>,
}

/// Where a support request stands, as derived from the objects a node holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SupportState {
    /// No addressed nation has answered yet.
    Requested,
    /// An addressed nation agreed.
    Approved,
    /// Every addressed nation declined.
    Declined,
    /// An addressed nation's assets are on the task.
    Tasked,
    /// Done.
    Completed,
    /// The requesting nation cancelled it.
    Cancelled,
}

impl SupportState {
    /// The snake_case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            SupportState::Requested => "requested",
            SupportState::Approved => "approved",
            SupportState::Declined => "declined",
            SupportState::Tasked => "tasked",
            SupportState::Completed => "completed",
            SupportState::Cancelled => "cancelled",
        }
    }
}

/// One addressed nation's answer to a support request.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Answer {
    /// The `support_response` object recording it.
    pub id: Uuid,
    /// The nation that answered.
    pub nation: Nation,
    /// The user.
    pub by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: OffsetDateTime,
    /// What it said.
    pub decision: SupportDecision,
    /// The assets tasked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub assets: Vec<Uuid>,
    /// When the support is expected on site.
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub eta: Option<OffsetDateTime>,
    /// The window the assets are committed for, when it is not the request's.
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub start: Option<OffsetDateTime>,
    /// Its end.
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub end: Option<OffsetDateTime>,
    /// The reason or remark.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub text: String,
}

/// One nation's act in a workflow.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Act {
    /// The object recording it.
    pub id: Uuid,
    /// The nation that acted.
    pub nation: Nation,
    /// The user, when the act names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: OffsetDateTime,
    /// What was said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl<'a> Workflow<'a> {
    /// Whether objects of this head's type start a workflow.
    pub fn is_head(object: &Object) -> bool {
        Workflow::step_type(object).is_some()
    }

    /// The type of the steps linked to this head (`None`: it starts no workflow).
    pub fn step_type(head: &Object) -> Option<ObjectType> {
        match &head.body {
            Body::PursuitNotice(_) => Some(ObjectType::Acknowledgement),
            Body::SupportRequest(_) => Some(ObjectType::SupportResponse),
            _ => None,
        }
    }

    /// The nations whose acts the head awaits (a notice: the nation entered; a support
    /// request: the nations it is addressed to, never the requester itself).
    pub fn responders(head: &Object) -> Vec<Nation> {
        match &head.body {
            Body::PursuitNotice(notice) => vec![notice.nation_entered],
            Body::SupportRequest(request) => request
                .addressed_to
                .iter()
                .copied()
                .filter(|nation| *nation != head.meta.origin)
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The workflow of `head` among `candidates`: the live steps that refer to it, are in its
    /// world and were written by its responder, oldest first.
    pub fn new(head: &'a Object, candidates: impl IntoIterator<Item = &'a Object>) -> Self {
        let responders = Workflow::responders(head);
        let step_type = Workflow::step_type(head);
        let mut steps: Vec<&Object> = candidates
            .into_iter()
            .filter(|step| {
                !step.meta.deleted
                    && step.body.refers_to() == Some(head.meta.id)
                    && step.meta.exercise == head.meta.exercise
                    && Some(step.object_type()) == step_type
                    && responders.contains(&step.meta.origin)
            })
            .collect();
        steps.sort_by_key(|step| (step.meta.created, step.meta.id));
        Workflow { head, steps }
    }

    /// The steps kept, oldest first.
    pub fn steps(&self) -> &[&'a Object] {
        &self.steps
    }

    /// The state derived from the head and its steps.
    pub fn state(&self) -> WorkflowState {
        let acknowledged = self.steps.iter().find_map(|step| match &step.body {
            Body::Acknowledgement(ack) => Some(Act {
                id: step.meta.id,
                nation: step.meta.origin,
                by: Some(ack.by.clone()),
                at: step.meta.created,
                text: (!ack.text.is_empty()).then(|| ack.text.clone()),
            }),
            _ => None,
        });
        let (limits_exceeded, ended) = match &self.head.body {
            Body::PursuitNotice(notice) => (notice.limits_exceeded.clone(), notice.ended),
            _ => (Vec::new(), None),
        };
        let answers: Vec<Answer> = self
            .steps
            .iter()
            .filter_map(|step| match &step.body {
                Body::SupportResponse(response) => Some(Answer {
                    id: step.meta.id,
                    nation: step.meta.origin,
                    by: response.by.clone(),
                    at: step.meta.created,
                    decision: response.decision,
                    assets: response.assets.clone(),
                    eta: response.eta,
                    start: response.start,
                    end: response.end,
                    text: response.text.clone(),
                }),
                _ => None,
            })
            .collect();
        let state = match &self.head.body {
            Body::SupportRequest(request) => Some(support_state(
                &Workflow::responders(self.head),
                &answers,
                request.cancelled.is_some(),
            )),
            _ => None,
        };
        WorkflowState {
            raised: Act {
                id: self.head.meta.id,
                nation: self.head.meta.origin,
                by: None,
                at: self.head.meta.created,
                text: None,
            },
            acknowledged,
            limits_exceeded,
            ended,
            state,
            answers,
        }
    }
}

/// The furthest answer of `nation` among `answers`: completed, tasked, approved, then declined.
pub fn furthest_answer(nation: Nation, answers: &[Answer]) -> Option<SupportDecision> {
    answers
        .iter()
        .filter(|answer| answer.nation == nation)
        .map(|answer| answer.decision)
        .max_by_key(|decision| match decision {
            SupportDecision::Declined => 0,
            SupportDecision::Approved => 1,
            SupportDecision::Tasked => 2,
            SupportDecision::Completed => 3,
        })
}

fn support_state(responders: &[Nation], answers: &[Answer], cancelled: bool) -> SupportState {
    let furthest: Vec<Option<SupportDecision>> = responders
        .iter()
        .map(|nation| furthest_answer(*nation, answers))
        .collect();
    let any = |decision| furthest.contains(&Some(decision));
    if any(SupportDecision::Completed) {
        SupportState::Completed
    } else if cancelled {
        SupportState::Cancelled
    } else if any(SupportDecision::Tasked) {
        SupportState::Tasked
    } else if any(SupportDecision::Approved) {
        SupportState::Approved
    } else if !furthest.is_empty()
        && furthest
            .iter()
            .all(|decision| *decision == Some(SupportDecision::Declined))
    {
        SupportState::Declined
    } else {
        SupportState::Requested
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::Point;
    use crate::marking::Marking;
    use crate::object::{Acknowledgement, Meta, PursuitNotice};
    use time::macros::datetime;

    fn nation(code: &str) -> Nation {
        Nation::parse(code).unwrap()
    }

    fn object(id: u128, origin: &str, minute: u8, body: Body) -> Object {
        let at = datetime!(2026-12-06 10:00 UTC) + time::Duration::minutes(minute.into());
        Object {
            meta: Meta {
                id: Uuid::from_u128(id),
                origin: nation(origin),
                version: 1,
                created: at,
                updated: at,
                valid_until: None,
                marking: Marking::new("DR", ["AES"]),
                exercise: None,
                deleted: false,
            },
            body,
        }
    }

    fn notice() -> Object {
        object(
            1,
            "MLI",
            0,
            Body::PursuitNotice(Box::new(PursuitNotice {
                operation: Uuid::from_u128(9),
                units: vec![Uuid::from_u128(8)],
                nation_entered: nation("NER"),
                crossing_point: Point::new(15.0, 3.5),
                crossing_time: datetime!(2026-12-06 10:00 UTC),
                direction_deg: 90.0,
                depth_km: 3.0,
                max_depth_km: 3.0,
                limits_exceeded: Vec::new(),
                ended: None,
                track: Vec::new(),
            })),
        )
    }

    fn ack(id: u128, origin: &str, minute: u8, refers_to: u128) -> Object {
        object(
            id,
            origin,
            minute,
            Body::Acknowledgement(Acknowledgement {
                refers_to: Uuid::from_u128(refers_to),
                by: format!("officer-{id}"),
                text: String::new(),
            }),
        )
    }

    #[test]
    fn the_first_acknowledgement_of_the_nation_entered_counts() {
        let head = notice();
        let held = [
            ack(2, "BFA", 1, 1), // not the nation entered: ignored
            ack(3, "NER", 5, 1),
            ack(4, "NER", 3, 7), // about another notice
            ack(5, "NER", 4, 1),
        ];
        let workflow = Workflow::new(&head, held.iter());
        assert_eq!(workflow.steps().len(), 2);
        let state = workflow.state();
        let acknowledged = state.acknowledged.unwrap();
        assert_eq!(acknowledged.id, Uuid::from_u128(5));
        assert_eq!(acknowledged.nation, nation("NER"));
        assert_eq!(state.raised.nation, nation("MLI"));
        assert!(state.ended.is_none());
    }

    #[test]
    fn clock_skew_between_nodes_does_not_matter() {
        // NER's clock runs ten minutes behind MLI's: its acknowledgement is stamped before the
        // notice was raised. It still counts; order among steps is each step's own.
        let head = notice();
        let mut early = ack(6, "NER", 0, 1);
        early.meta.created -= time::Duration::minutes(10);
        let state = Workflow::new(&head, [&early]).state();
        assert_eq!(
            state.acknowledged.map(|act| act.id),
            Some(Uuid::from_u128(6))
        );
    }

    #[test]
    fn a_step_in_another_world_or_deleted_does_not_count() {
        let head = notice();
        let mut exercise = ack(7, "NER", 1, 1);
        exercise.meta.exercise = Some("SAHEL 27".into());
        let mut deleted = ack(8, "NER", 1, 1);
        deleted.meta.deleted = true;
        assert!(
            Workflow::new(&head, [&exercise, &deleted])
                .state()
                .acknowledged
                .is_none()
        );
    }

    fn request(addressed: &[&str], cancelled: bool) -> Object {
        object(
            20,
            "NER",
            0,
            Body::SupportRequest(Box::new(crate::pooled::SupportRequest {
                asset: None,
                category: crate::pooled::AssetCategory::Medevac,
                purpose: crate::pooled::SupportPurpose::Medevac,
                priority: crate::pooled::SupportPriority::Urgent,
                addressed_to: addressed.iter().map(|code| nation(code)).collect(),
                location: Some(Point::new(14.5, 1.5)),
                area: None,
                start: datetime!(2026-12-06 10:00 UTC),
                end: datetime!(2026-12-06 18:00 UTC),
                description: "two casualties".into(),
                operation: None,
                cancelled: cancelled.then_some(datetime!(2026-12-06 11:00 UTC)),
                cancel_reason: String::new(),
            })),
        )
    }

    fn answer(id: u128, origin: &str, minute: u8, decision: SupportDecision) -> Object {
        object(
            id,
            origin,
            minute,
            Body::SupportResponse(crate::pooled::SupportResponse {
                refers_to: Uuid::from_u128(20),
                decision,
                by: format!("officer-{id}"),
                assets: Vec::new(),
                eta: None,
                start: None,
                end: None,
                text: "reason".into(),
            }),
        )
    }

    fn support_state(head: &Object, held: &[Object]) -> SupportState {
        Workflow::new(head, held.iter()).state().state.unwrap()
    }

    #[test]
    fn every_transition_of_a_support_request() {
        use SupportDecision::*;
        let head = request(&["MLI"], false);
        assert_eq!(support_state(&head, &[]), SupportState::Requested);
        let approved = answer(21, "MLI", 1, Approved);
        let tasked = answer(22, "MLI", 2, Tasked);
        let completed = answer(23, "MLI", 3, Completed);
        let declined = answer(24, "MLI", 1, Declined);
        assert_eq!(
            support_state(&head, std::slice::from_ref(&approved)),
            SupportState::Approved
        );
        assert_eq!(
            support_state(&head, &[approved.clone(), tasked.clone()]),
            SupportState::Tasked
        );
        assert_eq!(
            support_state(
                &head,
                &[approved.clone(), tasked.clone(), completed.clone()]
            ),
            SupportState::Completed
        );
        assert_eq!(support_state(&head, &[declined]), SupportState::Declined);
        let cancelled = request(&["MLI"], true);
        assert_eq!(support_state(&cancelled, &[]), SupportState::Cancelled);
        assert_eq!(
            support_state(&cancelled, &[approved.clone(), tasked]),
            SupportState::Cancelled
        );
        // Done before the cancellation was read: done.
        assert_eq!(
            support_state(&cancelled, &[approved, completed]),
            SupportState::Completed
        );
        let json = serde_json::to_value(Workflow::new(&head, []).state()).unwrap();
        assert_eq!(json["state"], "requested");
        assert!(json.get("acknowledged").is_none());
    }

    #[test]
    fn answers_from_nations_not_addressed_are_ignored() {
        use SupportDecision::*;
        let head = request(&["MLI"], false);
        // BFA was not asked; NER is the requester: neither answers for MLI.
        let held = [
            answer(30, "BFA", 1, Approved),
            answer(31, "NER", 1, Completed),
        ];
        let workflow = Workflow::new(&head, held.iter());
        assert!(workflow.steps().is_empty());
        assert_eq!(workflow.state().state, Some(SupportState::Requested));
        // An acknowledgement is not an answer to a request, even from MLI.
        let ack = ack(32, "MLI", 1, 20);
        assert_eq!(support_state(&head, &[ack]), SupportState::Requested);
    }

    #[test]
    fn two_addressed_nations() {
        use SupportDecision::*;
        let head = request(&["MLI", "BFA"], false);
        let mli_declines = answer(40, "MLI", 1, Declined);
        assert_eq!(
            support_state(&head, std::slice::from_ref(&mli_declines)),
            SupportState::Requested
        );
        let bfa_declines = answer(41, "BFA", 2, Declined);
        assert_eq!(
            support_state(&head, &[mli_declines.clone(), bfa_declines]),
            SupportState::Declined
        );
        let bfa_approves = answer(42, "BFA", 2, Approved);
        assert_eq!(
            support_state(&head, &[mli_declines, bfa_approves]),
            SupportState::Approved
        );
    }

    proptest::proptest! {
        /// The order steps arrive in (or their clocks) never changes the state: any
        /// permutation of the same answers derives the same state.
        #[test]
        fn out_of_order_answers_derive_the_same_state(
            decisions in proptest::collection::vec((0usize..3, 0usize..4, 0u8..60), 0..8),
            cancelled in proptest::bool::ANY,
            seed in 0u64..1000,
        ) {
            let nations = ["MLI", "BFA", "TCD"];
            let kinds = [
                SupportDecision::Declined,
                SupportDecision::Approved,
                SupportDecision::Tasked,
                SupportDecision::Completed,
            ];
            let head = request(&["MLI", "BFA"], cancelled);
            let held: Vec<Object> = decisions
                .iter()
                .enumerate()
                .map(|(idx, (who, what, minute))| {
                    answer(100 + idx as u128, nations[*who], *minute, kinds[*what])
                })
                .collect();
            let mut shuffled = held.clone();
            // A cheap deterministic permutation.
            let n_held = shuffled.len().max(1);
            shuffled.rotate_left((seed as usize) % n_held);
            shuffled.reverse();
            let state = support_state(&head, &held);
            proptest::prop_assert_eq!(state, support_state(&head, &shuffled));
            // TCD was never asked: its answers change nothing.
            let without_tcd: Vec<Object> = held
                .iter()
                .filter(|step| step.meta.origin != nation("TCD"))
                .cloned()
                .collect();
            proptest::prop_assert_eq!(state, support_state(&head, &without_tcd));
            if cancelled {
                proptest::prop_assert!(
                    matches!(state, SupportState::Cancelled | SupportState::Completed)
                );
            }
        }
    }

    #[test]
    fn nothing_held_is_raised_only() {
        let head = notice();
        let state = Workflow::new(&head, []).state();
        assert!(state.acknowledged.is_none());
        let json = serde_json::to_value(&state).unwrap();
        assert_eq!(json["raised"]["nation"], "MLI");
        assert!(json.get("acknowledged").is_none());
    }
}
