//! The report's figures, pure: how fast pursuit notices were acknowledged and support requests
//! decided (from the workflow each node derives, `liptako_model::workflow`), how many alerts
//! were raised and how fast they were acknowledged, civilian-harm reports, protected-site
//! warnings, border crossings, air tracks seen and identified; and the marking of the whole
//! report, rolled up from what it includes.

use liptako_model::{Body, Marking, MarkingError, Nation, Object, Policy, ReportKind, Workflow};
use serde::Serialize;
use uuid::Uuid;

/// How long one workflow step took after its head.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = AarDelay)]
pub struct Delay {
    /// The head (a notice or a request).
    #[schema(value_type = String, format = Uuid)]
    pub head: Uuid,
    /// The nation that answered.
    #[schema(value_type = String)]
    pub nation: Nation,
    /// Seconds from the head's creation to the answer's.
    pub seconds: f64,
}

/// The figures of a report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = AarFigures)]
pub struct Figures {
    /// Pursuit notices raised in the window.
    pub pursuit_notices: usize,
    /// Time to acknowledge each acknowledged notice.
    pub pursuit_ack_delays: Vec<Delay>,
    /// Their median, seconds.
    pub pursuit_ack_median_s: Option<f64>,
    /// Support requests made in the window.
    pub support_requests: usize,
    /// Time to the first decision of each addressed nation that answered.
    pub support_decision_delays: Vec<Delay>,
    /// Their median, seconds.
    pub support_decision_median_s: Option<f64>,
    /// Alerts raised (reports of an alert kind, protection warnings included).
    pub alerts_raised: usize,
    /// Of which acknowledged on this node (when known).
    pub alerts_acknowledged: usize,
    /// Median time to acknowledge an alert, seconds.
    pub alert_ack_median_s: Option<f64>,
    /// Civilian-harm reports.
    pub civilian_harm_reports: usize,
    /// Protected-site warnings.
    pub protection_warnings: usize,
    /// Border crossings (of units, and airspace border-crossing alerts).
    pub border_crossings: usize,
    /// Air tracks seen.
    pub air_tracks: usize,
    /// Of which identified at some point (friend, neutral or suspect).
    pub air_tracks_identified: usize,
    /// Reports of any kind.
    pub reports: usize,
}

/// The median of `values` (the mean of the middle two for an even count); `None` if empty.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted.get(mid).copied()
    } else {
        Some((sorted.get(mid - 1)? + sorted.get(mid)?) / 2.0)
    }
}

/// Time to acknowledge each pursuit notice among `notices` that one of `acks` acknowledges: the
/// first acknowledgement by the nation entered (the workflow's rule), from the notice's
/// creation to the acknowledgement's.
pub fn pursuit_ack_delays(notices: &[&Object], acks: &[&Object]) -> Vec<Delay> {
    let mut delays = Vec::new();
    for notice in notices {
        if !matches!(notice.body, Body::PursuitNotice(_)) {
            continue;
        }
        let state = Workflow::new(notice, acks.iter().copied()).state();
        if let Some(ack) = state.acknowledged {
            delays.push(Delay {
                head: notice.meta.id,
                nation: ack.nation,
                seconds: (ack.at - notice.meta.created).as_seconds_f64(),
            });
        }
    }
    delays
}

/// Time to decide each support request among `requests`: per addressed nation, its first
/// answer among `responses` (any decision), from the request's creation.
pub fn support_decision_delays(requests: &[&Object], responses: &[&Object]) -> Vec<Delay> {
    let mut delays = Vec::new();
    for request in requests {
        if !matches!(request.body, Body::SupportRequest(_)) {
            continue;
        }
        let state = Workflow::new(request, responses.iter().copied()).state();
        let mut answered: Vec<Nation> = Vec::new();
        // Answers are oldest first: the first of each nation is its decision.
        for answer in state.answers {
            if answered.contains(&answer.nation) {
                continue;
            }
            answered.push(answer.nation);
            delays.push(Delay {
                head: request.meta.id,
                nation: answer.nation,
                seconds: (answer.at - request.meta.created).as_seconds_f64(),
            });
        }
    }
    delays
}

/// Whether a report kind is an alert (operators acknowledge it).
pub fn is_alert(kind: ReportKind) -> bool {
    kind.as_str().ends_with("_alert") || kind == ReportKind::ProtectionWarning
}

/// The marking of a report `node` makes from marked `sources` (every item it includes): the
/// highest level among them, released only to the nations that may hold every one
/// (`Policy::derive_marking`); the lowest level, national, when it includes nothing.
pub fn content_marking(
    policy: &Policy,
    node: Nation,
    sources: &[(Nation, &Marking)],
) -> Result<Marking, MarkingError> {
    policy.derive_marking(node, sources)
}

#[cfg(test)]
mod tests {
    use liptako_model::{
        Acknowledgement, Confederation, Levels, Meta, Point, PursuitNotice, SupportDecision,
        SupportResponse,
    };
    use time::OffsetDateTime;
    use time::macros::datetime;

    use super::*;

    fn nation(code: &str) -> Nation {
        Nation::parse(code).unwrap()
    }

    fn object(origin: &str, at: OffsetDateTime, body: Body) -> Object {
        Object {
            meta: Meta {
                id: Uuid::new_v4(),
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

    fn notice(at: OffsetDateTime, entered: &str) -> Object {
        object(
            "MLI",
            at,
            Body::PursuitNotice(Box::new(PursuitNotice {
                operation: Uuid::new_v4(),
                units: vec![Uuid::new_v4()],
                nation_entered: nation(entered),
                crossing_point: Point::new(15.3, 3.0),
                crossing_time: at,
                direction_deg: 90.0,
                depth_km: 4.0,
                max_depth_km: 4.0,
                limits_exceeded: Vec::new(),
                ended: None,
                track: Vec::new(),
            })),
        )
    }

    fn ack(origin: &str, at: OffsetDateTime, of: &Object) -> Object {
        object(
            origin,
            at,
            Body::Acknowledgement(Acknowledgement {
                refers_to: of.meta.id,
                by: "watch".into(),
                text: String::new(),
            }),
        )
    }

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[30.0]), Some(30.0));
        assert_eq!(median(&[90.0, 10.0, 30.0]), Some(30.0));
        assert_eq!(median(&[40.0, 10.0, 30.0, 20.0]), Some(25.0));
        assert_eq!(median(&[f64::NAN, 5.0]), Some(5.0));
    }

    #[test]
    fn pursuit_ack_delay_is_from_the_notice_to_the_first_ack_of_the_nation_entered() {
        let t0 = datetime!(2026-12-07 10:00:00 UTC);
        let first = notice(t0, "NER");
        let second = notice(t0 + time::Duration::minutes(30), "BFA");
        let unanswered = notice(t0, "NER");
        let acks = [
            // BFA is not the nation entered for the first notice: it does not count.
            ack("BFA", t0 + time::Duration::seconds(20), &first),
            ack("NER", t0 + time::Duration::seconds(95), &first),
            ack("NER", t0 + time::Duration::seconds(300), &first),
            ack("BFA", t0 + time::Duration::minutes(34), &second),
        ];
        let acks: Vec<&Object> = acks.iter().collect();
        let delays = pursuit_ack_delays(&[&first, &second, &unanswered], &acks);
        assert_eq!(delays.len(), 2, "{delays:?}");
        assert_eq!(delays[0].head, first.meta.id);
        assert_eq!(delays[0].nation, nation("NER"));
        assert_eq!(delays[0].seconds, 95.0);
        assert_eq!(delays[1].seconds, 240.0);
        let seconds: Vec<f64> = delays.iter().map(|d| d.seconds).collect();
        assert_eq!(median(&seconds), Some(167.5));
    }

    #[test]
    fn support_decision_delay_is_per_addressed_nation_first_answer() {
        let t0 = datetime!(2026-12-07 10:00:00 UTC);
        let request = object(
            "MLI",
            t0,
            Body::SupportRequest(Box::new(
                serde_json::from_value(serde_json::json!({
                    "category": "helicopter", "purpose": "medevac", "priority": "urgent",
                    "addressed_to": ["NER", "BFA"], "location": {"lat": 15.0, "lon": 1.0},
                    "start": "2026-12-07T10:00:00Z", "end": "2026-12-07T12:00:00Z"
                }))
                .unwrap(),
            )),
        );
        let answer = |origin: &str, seconds: i64, decision: SupportDecision| {
            object(
                origin,
                t0 + time::Duration::seconds(seconds),
                Body::SupportResponse(SupportResponse {
                    refers_to: request.meta.id,
                    decision,
                    by: "ops".into(),
                    assets: Vec::new(),
                    eta: None,
                    start: None,
                    end: None,
                    text: "no crew".into(),
                }),
            )
        };
        let responses = [
            answer("NER", 600, SupportDecision::Approved),
            answer("NER", 1200, SupportDecision::Tasked),
            answer("BFA", 120, SupportDecision::Declined),
            // The requester answering itself is no decision.
            answer("MLI", 10, SupportDecision::Approved),
        ];
        let responses: Vec<&Object> = responses.iter().collect();
        let mut delays = support_decision_delays(&[&request], &responses);
        delays.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
        let pairs: Vec<(String, f64)> = delays
            .iter()
            .map(|d| (d.nation.as_str().to_owned(), d.seconds))
            .collect();
        assert_eq!(pairs, vec![("BFA".into(), 120.0), ("NER".into(), 600.0)]);
    }

    #[test]
    fn the_report_is_marked_with_the_highest_level_and_the_common_holders() {
        let policy = Policy::new(
            Confederation::new("AES", vec![nation("MLI"), nation("BFA"), nation("NER")]).unwrap(),
            Levels::default(),
        );
        let mli = nation("MLI");
        let np_all = Marking::new("NP", ["AES"]);
        let dr_ner = Marking::new("DR", ["NER"]);
        let c_all = Marking::new("C", ["AES"]);
        // Nothing included: the lowest level, national.
        let empty = content_marking(&policy, mli, &[]).unwrap();
        assert_eq!(empty.to_string(), "NP NATIONAL");
        // Only what is released to all: all members.
        let all =
            content_marking(&policy, mli, &[(mli, &np_all), (nation("NER"), &np_all)]).unwrap();
        assert_eq!(all.to_string(), "NP REL AES");
        // The highest level wins; the holders narrow to those who may hold every item.
        let mixed = content_marking(
            &policy,
            mli,
            &[(mli, &np_all), (mli, &dr_ner), (nation("BFA"), &c_all)],
        )
        .unwrap();
        assert_eq!(mixed.level, "C");
        assert_eq!(mixed.to_string(), "C REL NER");
        // A partner's item released to this node alone keeps the report to the two of them.
        let to_mli = Marking::new("DR", ["MLI"]);
        let pair = content_marking(&policy, mli, &[(nation("NER"), &to_mli)]).unwrap();
        assert_eq!(pair.to_string(), "DR REL NER");
        // This node's national item makes the report national.
        let national = Marking::new("NP", Vec::<String>::new());
        let home = content_marking(&policy, mli, &[(mli, &national), (mli, &c_all)]).unwrap();
        assert_eq!(home.to_string(), "C NATIONAL");
    }
}
