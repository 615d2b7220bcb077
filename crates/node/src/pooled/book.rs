//! [`SupportBook`]: this node's own support requests still awaiting a first answer, pure (time
//! passed in). A request none of its addressed nations has answered within its priority's
//! expected response time (`[support]`) escalates once: a `support_alert` report, marked like
//! the request, so the requesting nation and the nations it asked both see it. Like the
//! escalation of an unacknowledged pursuit notice (`ops::pursuit`).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use liptako_model::{
    Body, Draft, Expect, Marking, Nation, Object, Point, Report, ReportKind, SupportPriority,
    SupportPurpose, Workflow,
};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::config::support::SupportSection;

/// How long a support alert stays valid.
pub const ALERT_VALIDITY: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, Clone)]
struct Awaiting {
    priority: SupportPriority,
    purpose: SupportPurpose,
    created: OffsetDateTime,
    marking: Marking,
    exercise: Option<String>,
    location: Option<Point>,
    responders: Vec<Nation>,
    escalated: bool,
}

/// The requests of this node that no addressed nation has answered yet.
#[derive(Debug, Default)]
pub struct SupportBook {
    awaiting: HashMap<Uuid, Awaiting>,
    /// Requests an addressed nation answered: a later version of one does not await again.
    answered: HashSet<Uuid>,
}

impl SupportBook {
    /// Requests awaiting a first answer.
    pub fn n_awaiting(&self) -> usize {
        self.awaiting.len()
    }

    /// A version of a support request: followed when it is `home`'s, live, not cancelled and
    /// not answered yet (`answered`, or an answer seen before); otherwise forgotten.
    pub fn on_request(&mut self, request: &Object, home: Nation, answered: bool) {
        let Body::SupportRequest(body) = &request.body else {
            return;
        };
        let id = request.meta.id;
        if answered {
            self.answered.insert(id);
        }
        if request.meta.origin != home
            || request.meta.deleted
            || body.cancelled.is_some()
            || self.answered.contains(&id)
        {
            self.awaiting.remove(&id);
            return;
        }
        let location = body.location.or_else(|| {
            request.body.bbox().map(|bbox| {
                Point::new(
                    (bbox.south + bbox.north) / 2.0,
                    (bbox.west + bbox.east) / 2.0,
                )
            })
        });
        let escalated = self.awaiting.get(&id).is_some_and(|open| open.escalated);
        self.awaiting.insert(
            id,
            Awaiting {
                priority: body.priority,
                purpose: body.purpose,
                created: request.meta.created,
                marking: request.meta.marking.clone(),
                exercise: request.meta.exercise.clone(),
                location,
                responders: Workflow::responders(request),
                escalated,
            },
        );
    }

    /// An answer (`support_response`) of `nation` to `request` arrived: the request is answered
    /// if `nation` is one it was addressed to.
    pub fn on_answer(&mut self, request: Uuid, nation: Nation) {
        if self
            .awaiting
            .get(&request)
            .is_some_and(|open| open.responders.contains(&nation))
        {
            self.awaiting.remove(&request);
            self.answered.insert(request);
        }
    }

    /// The request was escalated before (an alert is held for it): not again.
    pub fn escalated(&mut self, request: Uuid) {
        if let Some(open) = self.awaiting.get_mut(&request) {
            open.escalated = true;
        }
    }

    /// Time passed: the alerts of requests past their expected response time, once each.
    pub fn on_tick(
        &mut self,
        now: OffsetDateTime,
        settings: &SupportSection,
        home: Nation,
    ) -> Vec<(Uuid, Draft)> {
        let mut alerts = Vec::new();
        for (id, open) in &mut self.awaiting {
            let within = settings.response_time(open.priority);
            if open.escalated || now - open.created <= within {
                continue;
            }
            open.escalated = true;
            let asked: Vec<&str> = open.responders.iter().map(Nation::as_str).collect();
            let title = format!(
                "Support request ({}) not answered by {} within {}",
                open.priority.as_str(),
                asked.join(", "),
                crate::config::ConfigDuration(within)
            );
            let body = format!(
                "Support request {id} ({}, {}) made at {} has had no answer.",
                open.priority.as_str(),
                open.purpose.as_str(),
                open.created
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
            );
            alerts.push((
                *id,
                Draft {
                    id: Uuid::now_v7(),
                    origin: home,
                    expect: Expect::New,
                    at: now,
                    // Like the request: the requester and the nations asked see it.
                    marking: open.marking.clone(),
                    valid_until: Some(now + ALERT_VALIDITY),
                    exercise: open.exercise.clone(),
                    body: Some(Body::Report(Report {
                        kind: ReportKind::SupportAlert,
                        title: title
                            .chars()
                            .take(liptako_model::object::MAX_TITLE_CHARS)
                            .collect(),
                        body,
                        location: open.location,
                    })),
                },
            ));
        }
        alerts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use liptako_model::{AssetCategory, Meta, SupportRequest};
    use time::macros::datetime;

    fn nation(code: &str) -> Nation {
        Nation::parse(code).unwrap()
    }

    fn request(origin: &str, priority: SupportPriority) -> Object {
        Object {
            meta: Meta {
                id: Uuid::from_u128(1),
                origin: nation(origin),
                version: 1,
                created: datetime!(2026-12-06 10:00 UTC),
                updated: datetime!(2026-12-06 10:00 UTC),
                valid_until: None,
                marking: Marking::new("DR", ["MLI"]),
                exercise: None,
                deleted: false,
            },
            body: Body::SupportRequest(Box::new(SupportRequest {
                asset: None,
                category: AssetCategory::Medevac,
                purpose: SupportPurpose::Medevac,
                priority,
                addressed_to: vec![nation("MLI")],
                location: Some(Point::new(14.0, 1.0)),
                area: None,
                start: datetime!(2026-12-06 10:00 UTC),
                end: datetime!(2026-12-06 12:00 UTC),
                description: String::new(),
                operation: None,
                cancelled: None,
                cancel_reason: String::new(),
            })),
        }
    }

    #[test]
    fn an_unanswered_request_escalates_once_after_its_priority_time() {
        let settings = SupportSection::default();
        let ner = nation("NER");
        let mut book = SupportBook::default();
        book.on_request(&request("NER", SupportPriority::Urgent), ner, false);
        let before = datetime!(2026-12-06 10:29 UTC);
        assert!(book.on_tick(before, &settings, ner).is_empty());
        let after = datetime!(2026-12-06 10:31 UTC);
        let alerts = book.on_tick(after, &settings, ner);
        assert_eq!(alerts.len(), 1);
        let Some(Body::Report(report)) = &alerts[0].1.body else {
            panic!("not a report: {alerts:?}");
        };
        assert_eq!(report.kind, ReportKind::SupportAlert);
        assert!(report.title.contains("MLI"), "{}", report.title);
        assert_eq!(alerts[0].1.marking, Marking::new("DR", ["MLI"]));
        assert!(book.on_tick(after, &settings, ner).is_empty());
        // A routine request has a day.
        let mut book = SupportBook::default();
        book.on_request(&request("NER", SupportPriority::Routine), ner, false);
        assert!(book.on_tick(after, &settings, ner).is_empty());
    }

    #[test]
    fn an_answer_from_an_addressed_nation_stops_it_and_others_do_not() {
        let settings = SupportSection::default();
        let ner = nation("NER");
        let mut book = SupportBook::default();
        book.on_request(&request("NER", SupportPriority::Urgent), ner, false);
        book.on_answer(Uuid::from_u128(1), nation("BFA"));
        assert_eq!(book.n_awaiting(), 1);
        book.on_answer(Uuid::from_u128(1), nation("MLI"));
        assert_eq!(book.n_awaiting(), 0);
        // A later version of the answered request (its description changed) awaits nothing.
        book.on_request(&request("NER", SupportPriority::Urgent), ner, false);
        assert_eq!(book.n_awaiting(), 0);
        assert!(
            book.on_tick(datetime!(2026-12-07 10:00 UTC), &settings, ner)
                .is_empty()
        );
        // A partner's request is not this node's to escalate; a cancelled one neither.
        book.on_request(&request("MLI", SupportPriority::Urgent), ner, false);
        let mut cancelled = request("NER", SupportPriority::Urgent);
        if let Body::SupportRequest(body) = &mut cancelled.body {
            body.cancelled = Some(datetime!(2026-12-06 10:05 UTC));
        }
        book.on_request(&cancelled, ner, false);
        assert_eq!(book.n_awaiting(), 0);
    }
}
