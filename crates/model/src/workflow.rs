//! Work between nations, derived from objects of each nation linked by id.
//!
//! An object has one writer, its origin node. A workflow between nations is therefore a set of
//! objects, each written by the nation whose act it records and linked to the workflow's first
//! object (its *head*) by id ([`Body::refers_to`]): a pursuit notice (the pursuing nation) and
//! its acknowledgement (the nation entered); later a support request and its decision. Each
//! object is marked and federates like any other; each node derives the workflow's state from
//! the objects it holds and the reader may see ([`Workflow::new`], then [`Workflow::state`]).
//! Nothing here is stored: two nodes holding the same objects derive the same state.
//!
//! Who may act on a head is part of the head ([`Workflow::responder`]): a step written by any
//! other nation is ignored, so a third nation cannot acknowledge a notice for the nation
//! entered.

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::nation::Nation;
use crate::object::{Body, Object, PursuitLimit};

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
        matches!(object.body, Body::PursuitNotice(_))
    }

    /// The nation whose act the head awaits (a notice: the nation entered).
    pub fn responder(head: &Object) -> Option<Nation> {
        match &head.body {
            Body::PursuitNotice(notice) => Some(notice.nation_entered),
            _ => None,
        }
    }

    /// The workflow of `head` among `candidates`: the live steps that refer to it, are in its
    /// world and were written by its responder, oldest first.
    pub fn new(head: &'a Object, candidates: impl IntoIterator<Item = &'a Object>) -> Self {
        let responder = Workflow::responder(head);
        let mut steps: Vec<&Object> = candidates
            .into_iter()
            .filter(|step| {
                !step.meta.deleted
                    && step.body.refers_to() == Some(head.meta.id)
                    && step.meta.exercise == head.meta.exercise
                    && Some(step.meta.origin) == responder
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
        }
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
